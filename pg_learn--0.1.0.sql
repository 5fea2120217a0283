/* pg_learn--0.1.0.sql: install script for pg_learn 0.1.0 */

\echo Use "CREATE EXTENSION pg_learn" to load this file. \quit

/* ------------------------------------------------------------------------
 * Catalog.  Models, their versions (metadata only) and the blobs live in
 * three tables, so that listing models never reads a blob.  They are
 * registered with pg_extension_config_dump, so pg_dump brings them along.
 * Ordinary roles read them; they change only through the ai_* functions,
 * which write as the extension's owner after checking the caller.
 * ------------------------------------------------------------------------ */

CREATE TABLE @extschema@.ai_catalog_models (
	name text PRIMARY KEY,
	owner pg_catalog.regrole NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	deployed_version integer
);

CREATE TABLE @extschema@.ai_catalog_versions (
	id bigserial PRIMARY KEY,
	model_name text NOT NULL
		REFERENCES @extschema@.ai_catalog_models (name)
		ON DELETE CASCADE ON UPDATE CASCADE,
	version integer NOT NULL,
	algorithm text NOT NULL,
	options jsonb NOT NULL,
	feature_names text[] NOT NULL,
	feature_types text[] NOT NULL,
	target_name text,
	target_type text,
	data_source text NOT NULL,
	rows_used bigint NOT NULL,
	metrics jsonb NOT NULL,
	blob_size integer NOT NULL,
	trained_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	trained_by pg_catalog.regrole NOT NULL,
	training_seconds double precision NOT NULL,
	UNIQUE (model_name, version)
);

CREATE TABLE @extschema@.ai_catalog_blobs (
	version_id bigint PRIMARY KEY
		REFERENCES @extschema@.ai_catalog_versions (id) ON DELETE CASCADE,
	blob bytea NOT NULL
);
-- models are dense floating point: compression costs time and saves little
ALTER TABLE @extschema@.ai_catalog_blobs ALTER COLUMN blob SET STORAGE EXTERNAL;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.ai_catalog_models', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ai_catalog_versions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ai_catalog_versions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ai_catalog_blobs', '');

REVOKE ALL ON @extschema@.ai_catalog_models, @extschema@.ai_catalog_versions,
	@extschema@.ai_catalog_blobs FROM PUBLIC;
GRANT SELECT ON @extschema@.ai_catalog_models, @extschema@.ai_catalog_versions
	TO PUBLIC;

COMMENT ON TABLE @extschema@.ai_catalog_models IS
	'pg_learn models: one row per model name, with its owner and deployed version';
COMMENT ON TABLE @extschema@.ai_catalog_versions IS
	'pg_learn model versions: training metadata and metrics, one row per ai_train';
COMMENT ON TABLE @extschema@.ai_catalog_blobs IS
	'pg_learn model blobs (docs/model-format.md), one per version';

CREATE VIEW @extschema@.ai_models AS
SELECT m.name,
	   v.version,
	   v.algorithm,
	   (v.version OPERATOR(pg_catalog.=) m.deployed_version) IS TRUE AS deployed,
	   v.target_name,
	   v.feature_names,
	   v.rows_used,
	   v.metrics,
	   v.blob_size,
	   v.options,
	   v.data_source,
	   v.trained_at,
	   v.trained_by,
	   v.training_seconds,
	   m.owner
  FROM @extschema@.ai_catalog_models m
  JOIN @extschema@.ai_catalog_versions v ON v.model_name OPERATOR(pg_catalog.=) m.name;

GRANT SELECT ON @extschema@.ai_models TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_models IS
	'Every model version with its metrics, size, and whether it is the deployed one';

/* ------------------------------------------------------------------------
 * Training, deployment
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_train(
	name text,
	algorithm text,
	data text,
	target text DEFAULT NULL,
	options jsonb DEFAULT '{}',
	OUT name text,
	OUT version integer,
	OUT algorithm text,
	OUT rows_used bigint,
	OUT metrics jsonb,
	OUT seconds double precision)
RETURNS record
AS 'MODULE_PATHNAME', 'ai_train'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_train(text, text, text, text, jsonb) IS
	'Train a model on a table, view or SELECT and store it as a new version';

CREATE FUNCTION @extschema@.ai_deploy(name text, version integer)
RETURNS void
AS 'MODULE_PATHNAME', 'ai_deploy'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_deploy(text, integer) IS
	'Make a version of a model the live one (deploying an older version rolls back)';

CREATE FUNCTION @extschema@.ai_drop_model(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'ai_drop_model'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_drop_model(text) IS
	'Drop a model and all its versions';

/* ------------------------------------------------------------------------
 * Prediction
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name text, features record)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_record'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(text, record) IS
	'Predict with a regression model; features are matched to the row''s columns by name';

CREATE FUNCTION @extschema@.ai_predict(name text, features double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(text, double precision[]) IS
	'Predict with a regression model from a feature array in training order';

CREATE FUNCTION @extschema@.ai_classify(name text, features record)
RETURNS text
AS 'MODULE_PATHNAME', 'ai_classify_record'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(text, record) IS
	'Most probable class label (as text) from a classifier; features matched by column name';

CREATE FUNCTION @extschema@.ai_classify(name text, features double precision[])
RETURNS text
AS 'MODULE_PATHNAME', 'ai_classify_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(text, double precision[]) IS
	'Most probable class label (as text) from a feature array in training order';

CREATE FUNCTION @extschema@.ai_predict_proba(name text, features record)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_record'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(text, record) IS
	'Class probabilities in the order of ai_model_classes(); features matched by column name';

CREATE FUNCTION @extschema@.ai_predict_proba(name text, features double precision[])
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(text, double precision[]) IS
	'Class probabilities in the order of ai_model_classes(), from a feature array';

CREATE FUNCTION @extschema@.ai_model_classes(name text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'ai_model_classes'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_model_classes(text) IS
	'Class labels of the deployed version of a classifier, in probability order';

CREATE FUNCTION @extschema@.ai_model_features(name text,
	OUT "position" integer, OUT feature text, OUT type text, OUT kind text,
	OUT inputs integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_model_features'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_model_features(text) IS
	'Features of the deployed version of a model, in training (array) order';

CREATE FUNCTION @extschema@.ai_model_coefficients(name text,
	OUT feature text, OUT class text, OUT coefficient double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_model_coefficients'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_model_coefficients(text) IS
	'Coefficients of a linear or logistic model on the original scale of the features';

/* ------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_evaluate(name text, data text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ai_evaluate'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_evaluate(text, text) IS
	'Metrics of the deployed version of a model on a table, view or SELECT holding the target';

/* ------------------------------------------------------------------------
 * Recommenders (algorithm 'als').  Ids are integers (bigint) or text; each
 * function exists for both families and a model answers in its own.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name text, "user" bigint, item bigint)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_rec_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(text, bigint, bigint) IS
	'Predicted rating (explicit) or score (implicit) of a user for an item';

CREATE FUNCTION @extschema@.ai_predict(name text, "user" text, item text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_rec_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(text, text, text) IS
	'Predicted rating (explicit) or score (implicit) of a user for an item (text ids)';

CREATE FUNCTION @extschema@.ai_recommend(name text, "user" bigint, k integer DEFAULT 10,
	exclude_seen boolean DEFAULT true, OUT item bigint, OUT score double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_recommend_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend(text, bigint, integer, boolean) IS
	'Top-k items for a user, best first; an unknown user gets the most popular items';

CREATE FUNCTION @extschema@.ai_recommend(name text, "user" text, k integer DEFAULT 10,
	exclude_seen boolean DEFAULT true, OUT item text, OUT score double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_recommend_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend(text, text, integer, boolean) IS
	'Top-k items for a user (text ids), best first; an unknown user gets the most popular items';

CREATE FUNCTION @extschema@.ai_recommend_all(name text, k integer DEFAULT 10,
	OUT "user" bigint, OUT item bigint, OUT rank integer, OUT score double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_recommend_all_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION @extschema@.ai_recommend_all(text, integer) IS
	'Top-k items for every user, streamed a block of users at a time';

CREATE FUNCTION @extschema@.ai_recommend_all_text(name text, k integer DEFAULT 10,
	OUT "user" text, OUT item text, OUT rank integer, OUT score double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_recommend_all_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION @extschema@.ai_recommend_all_text(text, integer) IS
	'Top-k items for every user of a model with text ids';

CREATE FUNCTION @extschema@.ai_similar_items(name text, item bigint, k integer DEFAULT 10,
	OUT item bigint, OUT similarity double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_similar_items_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_items(text, bigint, integer) IS
	'Items most similar to an item (cosine similarity of item factors)';

CREATE FUNCTION @extschema@.ai_similar_items(name text, item text, k integer DEFAULT 10,
	OUT item text, OUT similarity double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_similar_items_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_items(text, text, integer) IS
	'Items most similar to an item (text ids)';

CREATE FUNCTION @extschema@.ai_similar_users(name text, "user" bigint, k integer DEFAULT 10,
	OUT "user" bigint, OUT similarity double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_similar_users_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_users(text, bigint, integer) IS
	'Users most similar to a user (cosine similarity of user factors)';

CREATE FUNCTION @extschema@.ai_similar_users(name text, "user" text, k integer DEFAULT 10,
	OUT "user" text, OUT similarity double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_similar_users_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_users(text, text, integer) IS
	'Users most similar to a user (text ids)';

CREATE FUNCTION @extschema@.ai_recommend_for_ratings(name text, items bigint[],
	ratings double precision[], k integer DEFAULT 10,
	OUT item bigint, OUT score double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_recommend_for_ratings_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend_for_ratings(text, bigint[], double precision[], integer) IS
	'Top-k items for a user the model has not seen, folded in from their ratings';

CREATE FUNCTION @extschema@.ai_recommend_for_ratings(name text, items text[],
	ratings double precision[], k integer DEFAULT 10,
	OUT item text, OUT score double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_recommend_for_ratings_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend_for_ratings(text, text[], double precision[], integer) IS
	'Top-k items for a new user from their ratings (text ids)';

/* ------------------------------------------------------------------------
 * Aggregates: one-pass statistics with float8[] states, parallel safe (the
 * states are a type with text I/O, so parallel query and Citus can ship
 * partial states); layouts in src/algo/moments.h
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_stats_agg_sfunc(state pg_catalog.float8[], x pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_stats_agg_sfunc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_stats_agg_sfunc(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Transition function of ai_stats_agg: adds one row (Welford)';

CREATE FUNCTION @extschema@.ai_stats_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_stats_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_stats_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_stats_agg: merges two partial states (Chan et al.)';

CREATE FUNCTION @extschema@.ai_stats_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.jsonb
AS 'MODULE_PATHNAME', 'ai_stats_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_stats_agg_final(pg_catalog.float8[]) IS
	'Final function of ai_stats_agg: per-column statistics as a jsonb array';

CREATE AGGREGATE @extschema@.ai_stats_agg(pg_catalog.float8[]) (
	SFUNC = @extschema@.ai_stats_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_stats_agg_combine,
	FINALFUNC = @extschema@.ai_stats_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_stats_agg(pg_catalog.float8[]) IS
	'Per-column count, mean, variance, standard deviation, min and max of arrays (NULL elements skipped)';

CREATE FUNCTION @extschema@.ai_linreg_agg_sfunc(state pg_catalog.float8[],
	features pg_catalog.float8[], target pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_linreg_agg_sfunc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_linreg_agg_sfunc(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8) IS
	'Transition function of ai_linreg_agg: adds one row to the means and centred co-moments (Welford)';

CREATE FUNCTION @extschema@.ai_linreg_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_linreg_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_linreg_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_linreg_agg: merges two partial states (Chan et al.)';

CREATE FUNCTION @extschema@.ai_linreg_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_linreg_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_linreg_agg_final(pg_catalog.float8[]) IS
	'Final function of ai_linreg_agg: the checked state, NULL when no row was added';

CREATE AGGREGATE @extschema@.ai_linreg_agg(features pg_catalog.float8[], target pg_catalog.float8) (
	SFUNC = @extschema@.ai_linreg_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_linreg_agg_combine,
	FINALFUNC = @extschema@.ai_linreg_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_linreg_agg(pg_catalog.float8[], pg_catalog.float8) IS
	'Sufficient statistics of a linear regression (row count, means, centred co-moments) for ai_linreg_solve';

CREATE FUNCTION @extschema@.ai_linreg_solve(state pg_catalog.float8[], l2 pg_catalog.float8 DEFAULT 0)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_linreg_solve'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_linreg_solve(pg_catalog.float8[], pg_catalog.float8) IS
	'Ridge coefficients (weights, then the intercept) from a state of ai_linreg_agg';

CREATE FUNCTION @extschema@.ai_logreg_grad_agg_sfunc(state pg_catalog.float8[],
	weights pg_catalog.float8[], features pg_catalog.float8[], label pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_logreg_grad_agg_sfunc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_logreg_grad_agg_sfunc(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8) IS
	'Transition function of ai_logreg_grad_agg: adds one row''s log-loss and gradient';

CREATE FUNCTION @extschema@.ai_logreg_grad_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_logreg_grad_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_logreg_grad_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_logreg_grad_agg: adds two partial states';

CREATE FUNCTION @extschema@.ai_logreg_grad_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_logreg_grad_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_logreg_grad_agg_final(pg_catalog.float8[]) IS
	'Final function of ai_logreg_grad_agg: [n, mean log-loss, mean gradient (weights, then intercept)]';

CREATE AGGREGATE @extschema@.ai_logreg_grad_agg(weights pg_catalog.float8[],
	features pg_catalog.float8[], label pg_catalog.float8) (
	SFUNC = @extschema@.ai_logreg_grad_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_logreg_grad_agg_combine,
	FINALFUNC = @extschema@.ai_logreg_grad_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_logreg_grad_agg(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8) IS
	'Mean log-loss and gradient of a binary logistic regression at the given weights: one optimizer step';

CREATE FUNCTION @extschema@.ai_kmeans_step_agg_sfunc(state pg_catalog.float8[],
	centroids pg_catalog.float8[], features pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_kmeans_step_agg_sfunc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_kmeans_step_agg_sfunc(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8[]) IS
	'Transition function of ai_kmeans_step_agg and ai_kmeans_inertia: assigns one point to its nearest centroid';

CREATE FUNCTION @extschema@.ai_kmeans_step_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_kmeans_step_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_kmeans_step_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_kmeans_step_agg and ai_kmeans_inertia: adds two partial states of the same centroids';

CREATE FUNCTION @extschema@.ai_kmeans_step_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_kmeans_step_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_kmeans_step_agg_final(pg_catalog.float8[]) IS
	'Final function of ai_kmeans_step_agg: the new centroids as a k x d array';

CREATE FUNCTION @extschema@.ai_kmeans_inertia_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ai_kmeans_inertia_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_kmeans_inertia_final(pg_catalog.float8[]) IS
	'Final function of ai_kmeans_inertia: the sum of squared distances to the nearest centroids';

CREATE AGGREGATE @extschema@.ai_kmeans_step_agg(centroids pg_catalog.float8[], features pg_catalog.float8[]) (
	SFUNC = @extschema@.ai_kmeans_step_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_kmeans_step_agg_combine,
	FINALFUNC = @extschema@.ai_kmeans_step_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_kmeans_step_agg(pg_catalog.float8[], pg_catalog.float8[]) IS
	'One Lloyd step of k-means: the new centroids (k x d) from the given ones';

CREATE AGGREGATE @extschema@.ai_kmeans_inertia(centroids pg_catalog.float8[], features pg_catalog.float8[]) (
	SFUNC = @extschema@.ai_kmeans_step_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_kmeans_step_agg_combine,
	FINALFUNC = @extschema@.ai_kmeans_inertia_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_kmeans_inertia(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Sum of squared distances of the points to their nearest centroids (k-means inertia)';

/* ------------------------------------------------------------------------
 * Clustering (kmeans)
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_cluster(name text, features record)
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_cluster_record'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_cluster(text, record) IS
	'Cluster number (1 to k) of the nearest centroid of a kmeans model; features matched by column name';

CREATE FUNCTION @extschema@.ai_cluster(name text, features double precision[])
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_cluster_array'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_cluster(text, double precision[]) IS
	'Cluster number (1 to k) of the nearest centroid of a kmeans model, from a feature array in training order';

CREATE FUNCTION @extschema@.ai_centroids(name text,
	OUT cluster integer, OUT centroid double precision[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_centroids'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_centroids(text) IS
	'Centroids of the deployed version of a kmeans model, one row per cluster, in encoded input order';

/* ------------------------------------------------------------------------
 * Moving models between databases
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_export_model(name text, version integer DEFAULT NULL)
RETURNS bytea
AS 'MODULE_PATHNAME', 'ai_export_model'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.ai_export_model(text, integer) IS
	'A version of a model (the deployed one by default) as a self-describing, checksummed bytea';

CREATE FUNCTION @extschema@.ai_import_model(name text, model bytea, deploy boolean DEFAULT true)
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_import_model'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_import_model(text, bytea, boolean) IS
	'Validate an exported model and store it as a new version; returns the version number';

/* ------------------------------------------------------------------------
 * Explanations
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_explain(name text, features record,
	OUT feature text, OUT value text, OUT contribution double precision, OUT class text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_explain'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_explain(text, record) IS
	'Exact additive contributions of each feature to a linear or logistic prediction (link scale), plus a (base) row';

/* ------------------------------------------------------------------------
 * Neural networks (algorithm neural_net): a tensor column given as bytea,
 * and the per-epoch training history
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name text, features bytea)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_bytea'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(text, bytea) IS
	'Prediction of a neural_net regression model from a tensor given as bytes (uint8)';

CREATE FUNCTION @extschema@.ai_classify(name text, features bytea)
RETURNS text
AS 'MODULE_PATHNAME', 'ai_classify_bytea'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(text, bytea) IS
	'Most probable class of a neural_net classifier for a tensor given as bytes (uint8)';

CREATE FUNCTION @extschema@.ai_predict_proba(name text, features bytea)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_bytea'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(text, bytea) IS
	'Class probabilities (in ai_model_classes order) of a neural_net classifier for a tensor given as bytes';

CREATE FUNCTION @extschema@.ai_training_history(name text,
	OUT epoch integer, OUT train_loss double precision, OUT train_accuracy double precision,
	OUT validation_loss double precision, OUT validation_accuracy double precision,
	OUT seconds double precision, OUT kept boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_training_history'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.ai_training_history(text) IS
	'Per-epoch training and validation loss and accuracy of the deployed neural_net version; kept marks the epoch whose weights it holds';
