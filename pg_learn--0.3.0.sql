/* pg_learn--0.3.0.sql: install script for pg_learn 0.3.0 */

\echo Use "CREATE EXTENSION pg_learn" to load this file. \quit

/* ------------------------------------------------------------------------
 * Rules for everything in this script (and every upgrade script); see
 * docs/security.md.  test/tap/hostile.sh attacks them.
 *
 * CREATE EXTENSION runs this script as a superuser with search_path set to
 * the target schema, where another role may have planted objects.  So:
 *
 * 1. Qualify every reference: our own objects as @extschema@.name, built-in
 *    functions, types and aggregates as pg_catalog.name (pg_catalog.text,
 *    pg_catalog.jsonb, pg_catalog.now(), pg_catalog.float8[]), operators as
 *    OPERATOR(pg_catalog.=).  Only the SQL keyword types (integer, bigint,
 *    smallint, boolean, double precision, real) may stay bare: the grammar
 *    maps them to pg_catalog itself.
 * 2. Never CREATE OR REPLACE, IF NOT EXISTS or ALTER ... OWNER on a member
 *    object: a pre-planted object with a member's name must make CREATE
 *    EXTENSION fail, not be adopted.
 * 3. LANGUAGE SQL and plpgsql functions pin their search_path:
 *    SET search_path = pg_catalog, pg_temp (and still qualify).
 * 4. No SECURITY DEFINER unless it must be; then it also pins search_path.
 *    (The C functions that write the catalog switch to the extension owner
 *    themselves, in src/catalog.c, with search_path pinned the same way.)
 * 5. Every new ai_* function gets a call in test/tap/hostile.sh, which fails
 *    when an ai_* function is not covered.
 * 6. Add new objects in a commented section of their own at the end.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Catalog.  Models, their versions (metadata only) and the blobs live in
 * three tables, so that listing models never reads a blob.  They are
 * registered with pg_extension_config_dump, so pg_dump brings them along.
 * Ordinary roles read them; they change only through the ai_* functions,
 * which write as the extension's owner after checking the caller.
 * ------------------------------------------------------------------------ */

CREATE TABLE @extschema@.ai_catalog_models (
	name pg_catalog.text PRIMARY KEY,
	owner pg_catalog.regrole NOT NULL,
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	deployed_version integer
);

CREATE TABLE @extschema@.ai_catalog_versions (
	id bigserial PRIMARY KEY,
	name pg_catalog.text NOT NULL
		REFERENCES @extschema@.ai_catalog_models (name)
		ON DELETE CASCADE ON UPDATE CASCADE,
	version integer NOT NULL,
	algorithm pg_catalog.text NOT NULL,
	options pg_catalog.jsonb NOT NULL,
	feature_names pg_catalog.text[] NOT NULL,
	feature_types pg_catalog.text[] NOT NULL,
	target_name pg_catalog.text,
	target_type pg_catalog.text,
	data_source pg_catalog.text NOT NULL,
	rows_used bigint NOT NULL,
	metrics pg_catalog.jsonb NOT NULL,
	blob_size integer NOT NULL,
	trained_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	trained_by pg_catalog.regrole NOT NULL,
	seconds double precision NOT NULL,
	UNIQUE (name, version)
);

CREATE TABLE @extschema@.ai_catalog_blobs (
	version_id bigint PRIMARY KEY
		REFERENCES @extschema@.ai_catalog_versions (id) ON DELETE CASCADE,
	blob pg_catalog.bytea NOT NULL
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
	   v.seconds,
	   m.owner
  FROM @extschema@.ai_catalog_models m
  JOIN @extschema@.ai_catalog_versions v ON v.name OPERATOR(pg_catalog.=) m.name;

GRANT SELECT ON @extschema@.ai_models TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_models IS
	'Every model version with its metrics, size, and whether it is the deployed one';

/* ------------------------------------------------------------------------
 * Training, deployment
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_train(
	name pg_catalog.text,
	algorithm pg_catalog.text,
	data pg_catalog.text,
	target pg_catalog.text DEFAULT NULL,
	options pg_catalog.jsonb DEFAULT '{}',
	OUT name pg_catalog.text,
	OUT version integer,
	OUT algorithm pg_catalog.text,
	OUT rows_used bigint,
	OUT metrics pg_catalog.jsonb,
	OUT seconds double precision,
	OUT deployed boolean)
RETURNS pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_train'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_train(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) IS
	'Train a model on a table, view or SELECT and store it as a new version (deployed says whether it went live)';

CREATE FUNCTION @extschema@.ai_algorithm_options(
	algorithm pg_catalog.text DEFAULT NULL,
	OUT algorithm pg_catalog.text,
	OUT option pg_catalog.text,
	OUT type pg_catalog.text,
	OUT default_value pg_catalog.text,
	OUT description pg_catalog.text,
	OUT example pg_catalog.jsonb)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_algorithm_options'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_algorithm_options(pg_catalog.text) IS
	'The options ai_train accepts for each algorithm (or one): type, default, description and a valid example';

CREATE FUNCTION @extschema@.ai_deploy(name pg_catalog.text, version integer)
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_deploy'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_deploy(pg_catalog.text, integer) IS
	'Make a version of a model the live one (deploying an older version rolls back); returns the version it replaced';

CREATE FUNCTION @extschema@.ai_drop_model(name pg_catalog.text)
RETURNS void
AS 'MODULE_PATHNAME', 'ai_drop_model'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_drop_model(pg_catalog.text) IS
	'Drop a model and all its versions';

/* ------------------------------------------------------------------------
 * Prediction
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name pg_catalog.text, features pg_catalog.record, version integer DEFAULT NULL)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(pg_catalog.text, pg_catalog.record, integer) IS
	'Predict with a regression model; features are matched to the row''s columns by name';

CREATE FUNCTION @extschema@.ai_predict(name pg_catalog.text, features double precision[], version integer DEFAULT NULL)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_array'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(pg_catalog.text, double precision[], integer) IS
	'Predict with a regression model from a feature array in training order';

CREATE FUNCTION @extschema@.ai_classify(name pg_catalog.text, features pg_catalog.record,
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'ai_classify_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(pg_catalog.text, pg_catalog.record, double precision, integer) IS
	'Class label (as text) from a classifier: the most probable, or for two classes the positive one when its probability reaches the threshold (the argument, else the model''s); features matched by column name';

CREATE FUNCTION @extschema@.ai_classify(name pg_catalog.text, features double precision[],
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'ai_classify_array'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(pg_catalog.text, double precision[], double precision, integer) IS
	'Class label (as text) from a feature array in training order (threshold as for the record form)';

CREATE FUNCTION @extschema@.ai_predict_proba(name pg_catalog.text, features pg_catalog.record, version integer DEFAULT NULL)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(pg_catalog.text, pg_catalog.record, integer) IS
	'Class probabilities in the order of ai_model_classes(); features matched by column name';

CREATE FUNCTION @extschema@.ai_predict_proba(name pg_catalog.text, features double precision[], version integer DEFAULT NULL)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_array'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(pg_catalog.text, double precision[], integer) IS
	'Class probabilities in the order of ai_model_classes(), from a feature array';

CREATE FUNCTION @extschema@.ai_model_classes(name pg_catalog.text)
RETURNS pg_catalog.text[]
AS 'MODULE_PATHNAME', 'ai_model_classes'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_model_classes(pg_catalog.text) IS
	'Class labels of the deployed version of a classifier, in probability order';

CREATE FUNCTION @extschema@.ai_model_features(name pg_catalog.text,
	OUT "position" integer, OUT feature pg_catalog.text, OUT type pg_catalog.text, OUT kind pg_catalog.text,
	OUT inputs integer, OUT encoding pg_catalog.text)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_model_features'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_model_features(pg_catalog.text) IS
	'Features of the deployed version of a model, in training (array) order, and how each becomes the model''s inputs';

CREATE FUNCTION @extschema@.ai_model_coefficients(name pg_catalog.text,
	OUT feature pg_catalog.text, OUT class pg_catalog.text, OUT coefficient double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_model_coefficients'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_model_coefficients(pg_catalog.text) IS
	'Coefficients of a linear or logistic model on the original scale of the features';

/* ------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_evaluate(name pg_catalog.text, data pg_catalog.text, version integer DEFAULT NULL)
RETURNS pg_catalog.jsonb
AS 'MODULE_PATHNAME', 'ai_evaluate'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_evaluate(pg_catalog.text, pg_catalog.text, integer) IS
	'Metrics of a version of a model (the deployed one by default) on a table, view or SELECT holding the target';

/* ------------------------------------------------------------------------
 * Recommenders (algorithm 'als').  Ids are integers (bigint) or text; each
 * function exists for both families and a model answers in its own.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name pg_catalog.text, user_id bigint, item_id bigint)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_rec_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(pg_catalog.text, bigint, bigint) IS
	'Predicted rating (explicit) or score (implicit) of a user for an item';

CREATE FUNCTION @extschema@.ai_predict(name pg_catalog.text, user_id pg_catalog.text, item_id pg_catalog.text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_rec_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
	'Predicted rating (explicit) or score (implicit) of a user for an item (text ids)';

CREATE FUNCTION @extschema@.ai_recommend(name pg_catalog.text, user_id bigint, k integer DEFAULT 10,
	exclude_seen boolean DEFAULT true, OUT item_id bigint, OUT score double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_recommend_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend(pg_catalog.text, bigint, integer, boolean) IS
	'Top-k items for a user, best first; an unknown user gets the most popular items';

CREATE FUNCTION @extschema@.ai_recommend(name pg_catalog.text, user_id pg_catalog.text, k integer DEFAULT 10,
	exclude_seen boolean DEFAULT true, OUT item_id pg_catalog.text, OUT score double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_recommend_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend(pg_catalog.text, pg_catalog.text, integer, boolean) IS
	'Top-k items for a user (text ids), best first; an unknown user gets the most popular items';

CREATE FUNCTION @extschema@.ai_recommend_all(name pg_catalog.text, k integer DEFAULT 10,
	OUT user_id bigint, OUT item_id bigint, OUT rank integer, OUT score double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_recommend_all_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION @extschema@.ai_recommend_all(pg_catalog.text, integer) IS
	'Top-k items for every user, streamed a block of users at a time';

CREATE FUNCTION @extschema@.ai_recommend_all_text(name pg_catalog.text, k integer DEFAULT 10,
	OUT user_id pg_catalog.text, OUT item_id pg_catalog.text, OUT rank integer, OUT score double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_recommend_all_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION @extschema@.ai_recommend_all_text(pg_catalog.text, integer) IS
	'Top-k items for every user of a model with text ids';

CREATE FUNCTION @extschema@.ai_similar_items(name pg_catalog.text, item_id bigint, k integer DEFAULT 10,
	OUT item_id bigint, OUT similarity double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_similar_items_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_items(pg_catalog.text, bigint, integer) IS
	'Items most similar to an item (cosine similarity of item factors)';

CREATE FUNCTION @extschema@.ai_similar_items(name pg_catalog.text, item_id pg_catalog.text, k integer DEFAULT 10,
	OUT item_id pg_catalog.text, OUT similarity double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_similar_items_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_items(pg_catalog.text, pg_catalog.text, integer) IS
	'Items most similar to an item (text ids)';

CREATE FUNCTION @extschema@.ai_similar_users(name pg_catalog.text, user_id bigint, k integer DEFAULT 10,
	OUT user_id bigint, OUT similarity double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_similar_users_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_users(pg_catalog.text, bigint, integer) IS
	'Users most similar to a user (cosine similarity of user factors)';

CREATE FUNCTION @extschema@.ai_similar_users(name pg_catalog.text, user_id pg_catalog.text, k integer DEFAULT 10,
	OUT user_id pg_catalog.text, OUT similarity double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_similar_users_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_similar_users(pg_catalog.text, pg_catalog.text, integer) IS
	'Users most similar to a user (text ids)';

CREATE FUNCTION @extschema@.ai_recommend_for_ratings(name pg_catalog.text, item_ids bigint[],
	ratings double precision[], k integer DEFAULT 10,
	OUT item_id bigint, OUT score double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_recommend_for_ratings_int'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend_for_ratings(pg_catalog.text, bigint[], double precision[], integer) IS
	'Top-k items for a user the model has not seen, folded in from their ratings';

CREATE FUNCTION @extschema@.ai_recommend_for_ratings(name pg_catalog.text, item_ids pg_catalog.text[],
	ratings double precision[], k integer DEFAULT 10,
	OUT item_id pg_catalog.text, OUT score double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_recommend_for_ratings_text'
LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.ai_recommend_for_ratings(pg_catalog.text, pg_catalog.text[], double precision[], integer) IS
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

CREATE FUNCTION @extschema@.ai_cluster(name pg_catalog.text, features pg_catalog.record, version integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_cluster_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_cluster(pg_catalog.text, pg_catalog.record, integer) IS
	'Cluster number (1 to k) of the nearest centroid of a kmeans model; features matched by column name';

CREATE FUNCTION @extschema@.ai_cluster(name pg_catalog.text, features double precision[], version integer DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_cluster_array'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_cluster(pg_catalog.text, double precision[], integer) IS
	'Cluster number (1 to k) of the nearest centroid of a kmeans model, from a feature array in training order';

CREATE FUNCTION @extschema@.ai_centroids(name pg_catalog.text,
	OUT cluster integer, OUT centroid double precision[])
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_centroids'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_centroids(pg_catalog.text) IS
	'Centroids of the deployed version of a kmeans model, one row per cluster, in encoded input order';

/* ------------------------------------------------------------------------
 * Moving models between databases
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_export_model(name pg_catalog.text, version integer DEFAULT NULL,
	format pg_catalog.text DEFAULT 'pg_learn')
RETURNS pg_catalog.bytea
AS 'MODULE_PATHNAME', 'ai_export_model'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.ai_export_model(pg_catalog.text, integer, pg_catalog.text) IS
	'A version of a model (the deployed one by default) as a self-describing, checksummed bytea (format pg_learn), or a tree model as XGBoost JSON (format xgboost_json)';

CREATE FUNCTION @extschema@.ai_import_model(name pg_catalog.text, model pg_catalog.bytea, deploy boolean DEFAULT true,
	format pg_catalog.text DEFAULT 'pg_learn', options pg_catalog.jsonb DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'ai_import_model'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_import_model(pg_catalog.text, pg_catalog.bytea, boolean, pg_catalog.text, pg_catalog.jsonb) IS
	'Validate an exported model (format pg_learn), an XGBoost JSON model (format xgboost_json) or an ONNX file (format onnx, with options task, classes, output, output_kind, columns) and store it as a new version; returns the version number';

/* ------------------------------------------------------------------------
 * Explanations
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_explain(name pg_catalog.text, features pg_catalog.record,
	version integer DEFAULT NULL,
	OUT feature pg_catalog.text, OUT value pg_catalog.text, OUT contribution double precision, OUT class pg_catalog.text)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_explain'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_explain(pg_catalog.text, pg_catalog.record, integer) IS
	'Contribution of each feature to a prediction, plus a (base) row: exact on the link scale for linear and logistic models, exact TreeSHAP on the margin for xgboost and random_forest, sampled Shapley values for neural_net, squared distance to the centroid for kmeans';

/* ========================================================================
 * New in 0.2.0.  Everything below this line is also the upgrade script
 * pg_learn--0.1.0--0.2.0.sql, which scripts/make-upgrade writes from it;
 * test/tap/upgrade.sh checks that an updated 0.1.0 installation has exactly
 * the objects of a fresh one.  Objects of a later version go below a marker
 * of their own.
 * ======================================================================== */

/* ------------------------------------------------------------------------
 * Model cache invalidation.  The ai_* functions never change a stored blob,
 * so each backend caches its deserialized models; a superuser who UPDATEs
 * or DELETEs rows of ai_catalog_blobs directly (a repair, or damage) fires
 * this trigger, which invalidates the table's relcache entry: every
 * backend's model cache is emptied at its next use and the blob is read and
 * validated again (src/model_cache.c).
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_catalog_blobs_changed()
RETURNS pg_catalog.trigger
AS 'MODULE_PATHNAME', 'ai_catalog_blobs_changed'
LANGUAGE C;
REVOKE ALL ON FUNCTION @extschema@.ai_catalog_blobs_changed() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.ai_catalog_blobs_changed() IS
	'Trigger: a model blob changed behind the ai_* functions, so every backend reloads and revalidates its cached models';

CREATE TRIGGER ai_catalog_blobs_changed
	AFTER UPDATE OR DELETE OR TRUNCATE ON @extschema@.ai_catalog_blobs
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.ai_catalog_blobs_changed();

-- ---------- one row as training sees it (the aggregate training method) ----------

CREATE FUNCTION @extschema@.ai_holdout_support(pg_catalog.internal)
RETURNS pg_catalog.internal
AS 'MODULE_PATHNAME', 'ai_holdout_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_holdout_support(pg_catalog.internal) IS
	'Planner support of ai_holdout: the rows it keeps are its test_size (a constant) of the data';

CREATE FUNCTION @extschema@.ai_holdout(data_row pg_catalog.record, seed pg_catalog.int8 DEFAULT 42,
	test_size pg_catalog.float8 DEFAULT 0.2)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'ai_holdout'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
SUPPORT @extschema@.ai_holdout_support;
COMMENT ON FUNCTION @extschema@.ai_holdout(pg_catalog.record, pg_catalog.int8, pg_catalog.float8) IS
	'Is this row of the data in the hold-out of ai_train with this seed and test_size?';

CREATE FUNCTION @extschema@.ai_features(model pg_catalog.bytea, data_row pg_catalog.record)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_features'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_features(pg_catalog.bytea, pg_catalog.record) IS
	'The inputs a model computes from a row (imputation, one-hot encoding), in its input order';

CREATE FUNCTION @extschema@.ai_label(model pg_catalog.bytea, data_row pg_catalog.record)
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ai_label'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_label(pg_catalog.bytea, pg_catalog.record) IS
	'The target of a row as a model trains on it: the number, or the 0-based class index (NULL if unknown)';

CREATE AGGREGATE @extschema@.ai_kmeans_step_state(centroids pg_catalog.float8[], features pg_catalog.float8[]) (
	SFUNC = @extschema@.ai_kmeans_step_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_kmeans_step_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_kmeans_step_state(pg_catalog.float8[], pg_catalog.float8[]) IS
	'The whole state of one Lloyd step: [k, d, inertia, centroids, counts, offsets] (see ai_kmeans_step_agg)';

CREATE FUNCTION @extschema@.ai_softmax_grad_agg_sfunc(state pg_catalog.float8[],
	weights pg_catalog.float8[], features pg_catalog.float8[], label pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_softmax_grad_agg_sfunc'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_softmax_grad_agg_sfunc(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8) IS
	'Transition function of ai_softmax_grad_agg: adds one row''s softmax loss and gradient';

CREATE FUNCTION @extschema@.ai_softmax_grad_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_softmax_grad_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_softmax_grad_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_softmax_grad_agg: adds two partial states';

CREATE FUNCTION @extschema@.ai_softmax_grad_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_softmax_grad_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_softmax_grad_agg_final(pg_catalog.float8[]) IS
	'Final function of ai_softmax_grad_agg: [n, mean loss, mean gradient]';

CREATE AGGREGATE @extschema@.ai_softmax_grad_agg(weights pg_catalog.float8[],
	features pg_catalog.float8[], label pg_catalog.float8) (
	SFUNC = @extschema@.ai_softmax_grad_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_softmax_grad_agg_combine,
	FINALFUNC = @extschema@.ai_softmax_grad_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_softmax_grad_agg(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8) IS
	'Mean loss and gradient of a multinomial (softmax) logistic regression at the given (features + 1) x classes weights';

/* ------------------------------------------------------------------------
 * Model privileges.  A model belongs to the role that created it; others
 * use it through ai_grant().  Row-level security on the catalog tables shows
 * a role only the models it may use (the functions check the same rule in C,
 * as the extension owner, before they read a blob); the blobs are readable
 * by nobody but the extension owner.  See src/privileges.c.
 * ------------------------------------------------------------------------ */

CREATE TABLE @extschema@.ai_catalog_grants (
	name pg_catalog.text NOT NULL
		REFERENCES @extschema@.ai_catalog_models (name)
		ON DELETE CASCADE ON UPDATE CASCADE,
	-- the model's owner, repeated so that the policies need no cycle
	model_owner pg_catalog.regrole NOT NULL,
	-- a role, or 0 ('-') for PUBLIC; regrole, so that pg_dump writes role names
	grantee pg_catalog.regrole NOT NULL,
	privilege pg_catalog.text NOT NULL
		CHECK (privilege OPERATOR(pg_catalog.=) ANY ('{predict,train}'::pg_catalog.text[])),
	granted_by pg_catalog.regrole NOT NULL,
	granted_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (name, grantee, privilege)
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ai_catalog_grants', '');
REVOKE ALL ON @extschema@.ai_catalog_grants FROM PUBLIC;
GRANT SELECT ON @extschema@.ai_catalog_grants TO PUBLIC;
COMMENT ON TABLE @extschema@.ai_catalog_grants IS
	'pg_learn model privileges granted with ai_grant (train includes predict)';

ALTER TABLE @extschema@.ai_catalog_models ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.ai_catalog_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.ai_catalog_blobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.ai_catalog_grants ENABLE ROW LEVEL SECURITY;

-- a grant is visible to the model's owner (and members) and to its grantee
CREATE POLICY ai_grants_visible ON @extschema@.ai_catalog_grants FOR SELECT
	USING (pg_catalog.pg_has_role(model_owner::pg_catalog.oid, 'USAGE')
		   OR grantee::pg_catalog.oid OPERATOR(pg_catalog.=) 0::pg_catalog.oid
		   OR pg_catalog.pg_has_role(grantee::pg_catalog.oid, 'USAGE'));

-- a model is visible to whoever may use it.  The subqueries name the
-- policy's own table explicitly: their tables have a "name" column too.
CREATE POLICY ai_models_usable ON @extschema@.ai_catalog_models FOR SELECT
	USING (pg_catalog.pg_has_role(owner::pg_catalog.oid, 'USAGE')
		   OR EXISTS (SELECT 1 FROM @extschema@.ai_catalog_grants g
					   WHERE g.name OPERATOR(pg_catalog.=) ai_catalog_models.name
						 AND g.privilege OPERATOR(pg_catalog.=) 'predict'::pg_catalog.text));

-- a version is visible with its model
CREATE POLICY ai_versions_usable ON @extschema@.ai_catalog_versions FOR SELECT
	USING (EXISTS (SELECT 1 FROM @extschema@.ai_catalog_models m
					WHERE m.name OPERATOR(pg_catalog.=) ai_catalog_versions.name));

-- no policy on ai_catalog_blobs: only its owner (the extension's) reads it

-- the view reads the tables as the caller, so their policies apply
ALTER VIEW @extschema@.ai_models SET (security_invoker = true);

CREATE VIEW @extschema@.ai_model_grants WITH (security_invoker = true) AS
SELECT g.name,
	   CASE WHEN g.grantee::pg_catalog.oid OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
			ELSE g.grantee::pg_catalog.text END AS grantee,
	   g.privilege,
	   g.granted_by,
	   g.granted_at
  FROM @extschema@.ai_catalog_grants g;
GRANT SELECT ON @extschema@.ai_model_grants TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_model_grants IS
	'Model privileges granted with ai_grant, as far as the caller may see them';

CREATE FUNCTION @extschema@.ai_grant(name pg_catalog.text, role pg_catalog.text, privilege pg_catalog.text)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'ai_grant'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_grant(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
	'Let a role (or PUBLIC) use a model: ''predict'' (every use) or ''train'' (add versions, includes predict)';

CREATE FUNCTION @extschema@.ai_revoke(name pg_catalog.text, role pg_catalog.text, privilege pg_catalog.text)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'ai_revoke'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_revoke(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
	'Take a privilege on a model back from a role (revoking predict takes train too)';

/* ------------------------------------------------------------------------
 * Feature importance (permutation importance over the training hold-out)
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_feature_importance(name pg_catalog.text, repeats integer DEFAULT 5,
	seed bigint DEFAULT 42, kind pg_catalog.text DEFAULT 'permutation',
	OUT feature pg_catalog.text, OUT importance double precision, OUT std double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_feature_importance'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_feature_importance(pg_catalog.text, integer, bigint, pg_catalog.text) IS
	'Importance of each feature: permutation (mean drop of R² or accuracy on the training hold-out over seeded shuffles), or a tree model''s gain, cover or weight';

/* ------------------------------------------------------------------------
 * Background training (docs/background.md): jobs, schedules, progress.
 * The job tables are read and written only through the functions and the
 * views below; a role sees its own jobs and schedules (and those of roles
 * it is a member of; a superuser sees all).  Owners are role OIDs.
 * ------------------------------------------------------------------------ */

CREATE TABLE @extschema@.ai_catalog_jobs (
	id bigserial PRIMARY KEY,
	name pg_catalog.text NOT NULL,
	algorithm pg_catalog.text NOT NULL,
	data pg_catalog.text NOT NULL,
	target pg_catalog.text,
	options pg_catalog.jsonb NOT NULL,
	deploy pg_catalog.text NOT NULL DEFAULT 'always' CHECK (deploy IN ('always', 'if_better')),
	metric pg_catalog.text,
	owner pg_catalog.regrole NOT NULL,
	search_path pg_catalog.text NOT NULL,
	state pg_catalog.text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
	schedule_name pg_catalog.text,
	submitted_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	started_at pg_catalog.timestamptz,
	finished_at pg_catalog.timestamptz,
	worker_pid integer,
	error pg_catalog.text,
	version integer,
	deployed boolean
);
CREATE INDEX ai_catalog_jobs_active ON @extschema@.ai_catalog_jobs (id)
	WHERE state IN ('queued', 'running');

CREATE TABLE @extschema@.ai_catalog_schedules (
	name pg_catalog.text PRIMARY KEY,
	every_interval pg_catalog.interval,
	cron pg_catalog.text,
	algorithm pg_catalog.text NOT NULL,
	data pg_catalog.text NOT NULL,
	target pg_catalog.text,
	options pg_catalog.jsonb NOT NULL,
	deploy pg_catalog.text NOT NULL DEFAULT 'always' CHECK (deploy IN ('always', 'if_better')),
	metric pg_catalog.text,
	owner pg_catalog.regrole NOT NULL,
	search_path pg_catalog.text NOT NULL,
	time_zone pg_catalog.text NOT NULL,
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	next_run pg_catalog.timestamptz NOT NULL,
	last_run pg_catalog.timestamptz,
	last_job bigint,
	max_failures integer NOT NULL CHECK (max_failures >= 0),
	state pg_catalog.text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
	consecutive_failures integer NOT NULL DEFAULT 0,
	last_error pg_catalog.text,
	counted_job bigint,
	paused_at pg_catalog.timestamptz,
	CHECK ((every_interval IS NULL) <> (cron IS NULL))
);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.ai_catalog_schedules', '');
REVOKE ALL ON @extschema@.ai_catalog_jobs, @extschema@.ai_catalog_schedules,
	@extschema@.ai_catalog_jobs_id_seq FROM PUBLIC;
COMMENT ON TABLE @extschema@.ai_catalog_jobs IS
	'pg_learn background training jobs (read them through ai_jobs)';
COMMENT ON TABLE @extschema@.ai_catalog_schedules IS
	'pg_learn training schedules (read them through ai_schedules)';

CREATE VIEW @extschema@.ai_jobs WITH (security_barrier) AS
SELECT j.id,
	   j.name,
	   j.algorithm,
	   j.state,
	   j.owner::pg_catalog.regrole AS submitted_by,
	   j.submitted_at,
	   j.started_at,
	   j.finished_at,
	   j.error,
	   j.version,
	   j.deployed,
	   j.schedule_name AS schedule,
	   j.worker_pid AS pid,
	   j.data,
	   j.target,
	   j.options,
	   j.deploy
  FROM @extschema@.ai_catalog_jobs j
 WHERE pg_catalog.pg_has_role(j.owner, 'MEMBER');
GRANT SELECT ON @extschema@.ai_jobs TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_jobs IS
	'Background training jobs of the current role: state, times, error, version produced';

CREATE VIEW @extschema@.ai_schedules WITH (security_barrier) AS
SELECT s.name,
	   COALESCE(s.cron, s.every_interval::pg_catalog.text) AS schedule,
	   s.state,
	   s.algorithm,
	   s.data,
	   s.target,
	   s.options,
	   s.deploy,
	   s.metric,
	   s.owner::pg_catalog.regrole AS owner,
	   s.time_zone,
	   s.created_at,
	   s.last_run,
	   s.last_job,
	   j.state AS last_state,
	   CASE WHEN j.id IS NULL THEN s.last_error ELSE j.error END AS last_error,
	   j.version AS last_version,
	   s.consecutive_failures,
	   s.max_failures,
	   s.paused_at,
	   CASE WHEN s.state OPERATOR(pg_catalog.=) 'active' THEN s.next_run END AS next_run
  FROM @extschema@.ai_catalog_schedules s
  LEFT JOIN @extschema@.ai_catalog_jobs j ON j.id OPERATOR(pg_catalog.=) s.last_job
 WHERE pg_catalog.pg_has_role(s.owner, 'MEMBER');
GRANT SELECT ON @extschema@.ai_schedules TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_schedules IS
	'Training schedules of the current role: state (active or paused), last run, last state and error, failures in a row, next run';

CREATE FUNCTION @extschema@.ai_train_async(
	name pg_catalog.text,
	algorithm pg_catalog.text,
	data pg_catalog.text,
	target pg_catalog.text DEFAULT NULL,
	options pg_catalog.jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'ai_train_async'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_train_async(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) IS
	'Queue a training (the arguments of ai_train) for a background worker; returns the job id';

CREATE FUNCTION @extschema@.ai_cancel(job_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ai_cancel'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_cancel(bigint) IS
	'Cancel a queued or running job; false if it had already ended';

CREATE FUNCTION @extschema@.ai_wait(job_id bigint, timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'ai_wait'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_wait(bigint, pg_catalog.interval) IS
	'Wait until a job ends (or the timeout passes) and return its state';

CREATE FUNCTION @extschema@.ai_cron_next(cron pg_catalog.text, after pg_catalog.timestamptz,
	time_zone pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.timestamptz
AS 'MODULE_PATHNAME', 'ai_cron_next'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.ai_cron_next(pg_catalog.text, pg_catalog.timestamptz, pg_catalog.text) IS
	'The first time after a moment that a five-field cron expression matches (in a time zone, default the session''s)';

CREATE FUNCTION @extschema@.ai_schedule(
	name pg_catalog.text,
	every pg_catalog.text,
	algorithm pg_catalog.text,
	data pg_catalog.text,
	target pg_catalog.text DEFAULT NULL,
	options pg_catalog.jsonb DEFAULT '{}')
RETURNS pg_catalog.timestamptz
AS 'MODULE_PATHNAME', 'ai_schedule'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_schedule(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb) IS
	'Retrain a model every interval or on a cron schedule; returns the first run time';

CREATE FUNCTION @extschema@.ai_unschedule(name pg_catalog.text)
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'ai_unschedule'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_unschedule(pg_catalog.text) IS
	'Remove the training schedule of a model';

CREATE FUNCTION @extschema@.ai_resume_schedule(name pg_catalog.text)
RETURNS pg_catalog.timestamptz
AS 'MODULE_PATHNAME', 'ai_resume_schedule'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_resume_schedule(pg_catalog.text) IS
	'Resume a schedule paused after failed runs in a row (pg_learn.schedule_max_failures, option max_failures); returns its next run';

CREATE FUNCTION @extschema@.ai_progress(
	OUT pid integer,
	OUT job_id bigint,
	OUT name pg_catalog.text,
	OUT algorithm pg_catalog.text,
	OUT role pg_catalog.regrole,
	OUT phase pg_catalog.text,
	OUT rows_read bigint,
	OUT iteration integer,
	OUT max_iterations integer,
	OUT loss double precision,
	OUT started_at pg_catalog.timestamptz,
	OUT seconds double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_progress'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_progress() IS
	'Trainings running now in this database, synchronous and background: phase, rows, iteration, loss';

CREATE VIEW @extschema@.ai_progress AS SELECT * FROM @extschema@.ai_progress();
GRANT SELECT ON @extschema@.ai_progress TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_progress IS
	'Trainings running now in this database (the rows of ai_progress())';

/* ------------------------------------------------------------------------
 * Neural networks (algorithm neural_net): a tensor column given as bytea,
 * and the per-epoch training history
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name pg_catalog.text, features pg_catalog.bytea, version integer DEFAULT NULL)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(pg_catalog.text, pg_catalog.bytea, integer) IS
	'Prediction of a neural_net regression model from a tensor given as bytes (uint8)';

CREATE FUNCTION @extschema@.ai_classify(name pg_catalog.text, features pg_catalog.bytea,
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'ai_classify_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(pg_catalog.text, pg_catalog.bytea, double precision, integer) IS
	'Class of a neural_net classifier for a tensor given as bytes (uint8) (threshold as for the record form)';

CREATE FUNCTION @extschema@.ai_predict_proba(name pg_catalog.text, features pg_catalog.bytea, version integer DEFAULT NULL)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(pg_catalog.text, pg_catalog.bytea, integer) IS
	'Class probabilities (in ai_model_classes order) of a neural_net classifier for a tensor given as bytes';

CREATE FUNCTION @extschema@.ai_training_history(name pg_catalog.text,
	OUT epoch integer, OUT train_loss double precision, OUT train_accuracy double precision,
	OUT validation_loss double precision, OUT validation_accuracy double precision,
	OUT seconds double precision, OUT kept boolean)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_training_history'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.ai_training_history(pg_catalog.text) IS
	'Per-epoch training and validation loss and accuracy of the deployed neural_net version; kept marks the epoch whose weights it holds';

/* ------------------------------------------------------------------------
 * Versions (0.3.0): dropping one version.  The scoring functions take
 * "version => N" to score a version without deploying it.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_drop_version(name pg_catalog.text, version integer)
RETURNS void
AS 'MODULE_PATHNAME', 'ai_drop_version'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_drop_version(pg_catalog.text, integer) IS
	'Drop one version of a model and its blob (not the deployed one)';

/* ------------------------------------------------------------------------
 * New in 0.3.0: classifiers
 * ------------------------------------------------------------------------ */

/* ai_classify_proba: the label ai_classify says with its probability, in one call */
CREATE FUNCTION @extschema@.ai_classify_proba(name pg_catalog.text, features pg_catalog.record,
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL,
	OUT label pg_catalog.text, OUT probability double precision)
RETURNS record
AS 'MODULE_PATHNAME', 'ai_classify_proba_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify_proba(pg_catalog.text, pg_catalog.record, double precision, integer) IS
	'The class ai_classify says and its probability, in one model evaluation; features matched by column name';

CREATE FUNCTION @extschema@.ai_classify_proba(name pg_catalog.text, features double precision[],
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL,
	OUT label pg_catalog.text, OUT probability double precision)
RETURNS record
AS 'MODULE_PATHNAME', 'ai_classify_proba_array'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify_proba(pg_catalog.text, double precision[], double precision, integer) IS
	'The class ai_classify says and its probability, from a feature array in training order';

CREATE FUNCTION @extschema@.ai_classify_proba(name pg_catalog.text, features pg_catalog.bytea,
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL,
	OUT label pg_catalog.text, OUT probability double precision)
RETURNS record
AS 'MODULE_PATHNAME', 'ai_classify_proba_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify_proba(pg_catalog.text, pg_catalog.bytea, double precision, integer) IS
	'The class ai_classify says and its probability, for a tensor given as bytes (uint8)';

/* ------------------------------------------------------------------------
 * Search and cross-validation (issue 15): "search" in ai_train is an
 * option; ai_cross_validate scores a setting by K folds, storing nothing.
 * ------------------------------------------------------------------------ */
CREATE FUNCTION @extschema@.ai_cross_validate(name pg_catalog.text, algorithm pg_catalog.text,
	data pg_catalog.text, target pg_catalog.text DEFAULT NULL,
	options pg_catalog.jsonb DEFAULT NULL, folds integer DEFAULT 5)
RETURNS TABLE(fold integer, metrics pg_catalog.jsonb)
AS 'MODULE_PATHNAME', 'ai_cross_validate'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_cross_validate(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.jsonb, integer) IS
	'K-fold cross-validation of a training without storing a model: one row per fold (its hold-out metrics), then fold NULL rows with {"summary": "mean"} and {"summary": "std"}';

/* ------------------------------------------------------------------------
 * Scale-out: fused aggregates, anonymous rows.  A pass of the "aggregate"
 * training method writes ROW(q.c1, ..., q.cN) with the data's column names
 * (so that engines that ship SQL, such as Citus, see the row as the pass
 * wrote it), and one fused aggregate per family does the hold-out test, the
 * encoding and the accumulation in one call per row.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_features(model pg_catalog.bytea, data_row pg_catalog.record, columns pg_catalog.text[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_features'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_features(pg_catalog.bytea, pg_catalog.record, pg_catalog.text[]) IS
	'The inputs a model computes from a row read positionally: field i of data_row is the column columns[i]';

CREATE FUNCTION @extschema@.ai_label(model pg_catalog.bytea, data_row pg_catalog.record, columns pg_catalog.text[])
RETURNS pg_catalog.float8
AS 'MODULE_PATHNAME', 'ai_label'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_label(pg_catalog.bytea, pg_catalog.record, pg_catalog.text[]) IS
	'The target of a row read positionally (field i is the column columns[i]), as a model trains on it';

CREATE FUNCTION @extschema@.ai_linreg_fit_agg_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	data_row pg_catalog.record, columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_linreg_fit_agg_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_linreg_fit_agg_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8) IS
	'Transition function of ai_linreg_fit_agg: splits, encodes and adds one row (a block at a time, DSYRK)';

CREATE FUNCTION @extschema@.ai_logreg_fit_agg_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	data_row pg_catalog.record, columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8,
	weights pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_logreg_fit_agg_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_logreg_fit_agg_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, pg_catalog.float8[]) IS
	'Transition function of ai_logreg_fit_agg: splits, encodes and adds one row''s loss and gradient (a block at a time, DGEMM)';

CREATE FUNCTION @extschema@.ai_kmeans_fit_agg_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	data_row pg_catalog.record, columns pg_catalog.text[], centroids pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_kmeans_fit_agg_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_kmeans_fit_agg_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.float8[]) IS
	'Transition function of ai_kmeans_fit_agg: encodes one row and assigns it to its nearest centroid';

CREATE FUNCTION @extschema@.ai_fit_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_fit_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_fit_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_linreg_fit_agg, ai_logreg_fit_agg, ai_kmeans_fit_agg and ai_stats_fit_agg: merges two partial states';

CREATE FUNCTION @extschema@.ai_fit_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_fit_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_fit_agg_final(pg_catalog.float8[]) IS
	'Final function of the fused aggregates: the state of ai_linreg_agg, the result of ai_logreg_grad_agg / ai_softmax_grad_agg, the state of ai_kmeans_step_state, or that of ai_stats_agg';

CREATE AGGREGATE @extschema@.ai_linreg_fit_agg(model pg_catalog.bytea, data_row pg_catalog.record,
	columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8) (
	SFUNC = @extschema@.ai_linreg_fit_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_linreg_fit_agg(pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8) IS
	'Fused ai_linreg_agg over the data: hold-out, encoding by the model, co-moments of the training rows and of the hold-out, NULL counts, in one call per row';

CREATE AGGREGATE @extschema@.ai_logreg_fit_agg(model pg_catalog.bytea, data_row pg_catalog.record,
	columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8, weights pg_catalog.float8[]) (
	SFUNC = @extschema@.ai_logreg_fit_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_logreg_fit_agg(pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, pg_catalog.float8[]) IS
	'Fused ai_logreg_grad_agg / ai_softmax_grad_agg over the training rows of the data: mean log-loss and gradient at the weights';

CREATE AGGREGATE @extschema@.ai_kmeans_fit_agg(model pg_catalog.bytea, data_row pg_catalog.record,
	columns pg_catalog.text[], centroids pg_catalog.float8[]) (
	SFUNC = @extschema@.ai_kmeans_fit_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_kmeans_fit_agg(pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.float8[]) IS
	'Fused ai_kmeans_step_state over the rows of the data, encoded by the model: the whole state of one Lloyd step';

-- The fields form of the fused aggregates: the row's fields as trailing
-- arguments (no record built per row; at most 94 fields), named by columns.
CREATE FUNCTION @extschema@.ai_linreg_fit_agg_fields_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any")
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_linreg_fit_agg_fields_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_linreg_fit_agg_fields_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, "any") IS
	'Transition function of ai_linreg_fit_agg (fields form): splits, encodes and adds one row given as its fields';

CREATE FUNCTION @extschema@.ai_logreg_fit_agg_fields_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8, weights pg_catalog.float8[],
	VARIADIC fields "any")
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_logreg_fit_agg_fields_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_logreg_fit_agg_fields_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, pg_catalog.float8[], "any") IS
	'Transition function of ai_logreg_fit_agg (fields form): splits, encodes and adds one row''s loss and gradient';

CREATE FUNCTION @extschema@.ai_kmeans_fit_agg_fields_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	columns pg_catalog.text[], centroids pg_catalog.float8[], VARIADIC fields "any")
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_kmeans_fit_agg_fields_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_kmeans_fit_agg_fields_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.text[], pg_catalog.float8[], "any") IS
	'Transition function of ai_kmeans_fit_agg (fields form): encodes one row and assigns it to its nearest centroid';

CREATE AGGREGATE @extschema@.ai_linreg_fit_agg(model pg_catalog.bytea, columns pg_catalog.text[],
	seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any") (
	SFUNC = @extschema@.ai_linreg_fit_agg_fields_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_linreg_fit_agg(pg_catalog.bytea, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, "any") IS
	'Fused ai_linreg_agg over the data, the row given as its fields: co-moments of the training rows and of the hold-out, NULL counts';

CREATE AGGREGATE @extschema@.ai_logreg_fit_agg(model pg_catalog.bytea, columns pg_catalog.text[],
	seed pg_catalog.int8, test_size pg_catalog.float8, weights pg_catalog.float8[], VARIADIC fields "any") (
	SFUNC = @extschema@.ai_logreg_fit_agg_fields_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_logreg_fit_agg(pg_catalog.bytea, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, pg_catalog.float8[], "any") IS
	'Fused ai_logreg_grad_agg / ai_softmax_grad_agg over the training rows, the row given as its fields';

CREATE AGGREGATE @extschema@.ai_kmeans_fit_agg(model pg_catalog.bytea, columns pg_catalog.text[],
	centroids pg_catalog.float8[], VARIADIC fields "any") (
	SFUNC = @extschema@.ai_kmeans_fit_agg_fields_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_kmeans_fit_agg(pg_catalog.bytea, pg_catalog.text[], pg_catalog.float8[], "any") IS
	'Fused ai_kmeans_step_state over the rows of the data, the row given as its fields';

-- The standardization and the counting passes, fused (ai_stats_fit_agg,
-- ai_count_fit_agg), and the hold-out test of a row given as its fields.
CREATE FUNCTION @extschema@.ai_holdout(seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'ai_holdout_fields'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SUPPORT @extschema@.ai_holdout_support;
COMMENT ON FUNCTION @extschema@.ai_holdout(pg_catalog.int8, pg_catalog.float8, "any") IS
	'Is this row, given as its fields in the data''s order, in the hold-out of ai_train with this seed and test_size?';

CREATE FUNCTION @extschema@.ai_stats_fit_agg_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	data_row pg_catalog.record, columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_stats_fit_agg_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_stats_fit_agg_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8) IS
	'Transition function of ai_stats_fit_agg: splits, encodes and adds one training row''s inputs to their statistics';

CREATE FUNCTION @extschema@.ai_stats_fit_agg_fields_sfunc(state pg_catalog.float8[], model pg_catalog.bytea,
	columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any")
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_stats_fit_agg_fields_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_stats_fit_agg_fields_sfunc(pg_catalog.float8[], pg_catalog.bytea, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, "any") IS
	'Transition function of ai_stats_fit_agg (fields form): splits, encodes and adds one training row''s inputs';

CREATE AGGREGATE @extschema@.ai_stats_fit_agg(model pg_catalog.bytea, data_row pg_catalog.record,
	columns pg_catalog.text[], seed pg_catalog.int8, test_size pg_catalog.float8) (
	SFUNC = @extschema@.ai_stats_fit_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_stats_fit_agg(pg_catalog.bytea, pg_catalog.record, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8) IS
	'Fused ai_stats_agg(ai_features(...)) over the training rows: count, mean, M2, min and max of each input';

CREATE AGGREGATE @extschema@.ai_stats_fit_agg(model pg_catalog.bytea, columns pg_catalog.text[],
	seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any") (
	SFUNC = @extschema@.ai_stats_fit_agg_fields_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_fit_agg_combine,
	FINALFUNC = @extschema@.ai_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_stats_fit_agg(pg_catalog.bytea, pg_catalog.text[], pg_catalog.int8, pg_catalog.float8, "any") IS
	'Fused ai_stats_agg(ai_features(...)) over the training rows, the row given as its fields';

CREATE FUNCTION @extschema@.ai_count_fit_agg_sfunc(state pg_catalog.float8[], data_row pg_catalog.record,
	columns pg_catalog.text[], target pg_catalog.text, seed pg_catalog.int8, test_size pg_catalog.float8)
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_count_fit_agg_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_count_fit_agg_sfunc(pg_catalog.float8[], pg_catalog.record, pg_catalog.text[], pg_catalog.text, pg_catalog.int8, pg_catalog.float8) IS
	'Transition function of ai_count_fit_agg: splits one row and counts it, its non-NULL fields and their sums';

CREATE FUNCTION @extschema@.ai_count_fit_agg_fields_sfunc(state pg_catalog.float8[], columns pg_catalog.text[],
	target pg_catalog.text, seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any")
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_count_fit_agg_fields_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_count_fit_agg_fields_sfunc(pg_catalog.float8[], pg_catalog.text[], pg_catalog.text, pg_catalog.int8, pg_catalog.float8, "any") IS
	'Transition function of ai_count_fit_agg (fields form): splits one row given as its fields and counts it';

CREATE FUNCTION @extschema@.ai_count_fit_agg_combine(a pg_catalog.float8[], b pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_count_fit_agg_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_count_fit_agg_combine(pg_catalog.float8[], pg_catalog.float8[]) IS
	'Combine function of ai_count_fit_agg: adds two partial states';

CREATE FUNCTION @extschema@.ai_count_fit_agg_final(state pg_catalog.float8[])
RETURNS pg_catalog.float8[]
AS 'MODULE_PATHNAME', 'ai_count_fit_agg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_count_fit_agg_final(pg_catalog.float8[]) IS
	'Final function of ai_count_fit_agg: the rows on each side of the split and without a target, then per field its non-NULL values and their sum on each side';

CREATE AGGREGATE @extschema@.ai_count_fit_agg(data_row pg_catalog.record, columns pg_catalog.text[],
	target pg_catalog.text, seed pg_catalog.int8, test_size pg_catalog.float8) (
	SFUNC = @extschema@.ai_count_fit_agg_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_count_fit_agg_combine,
	FINALFUNC = @extschema@.ai_count_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_count_fit_agg(pg_catalog.record, pg_catalog.text[], pg_catalog.text, pg_catalog.int8, pg_catalog.float8) IS
	'The first pass of "method": "aggregate": rows per side of the hold-out split, rows without a target, non-NULL values and sums per column';

CREATE AGGREGATE @extschema@.ai_count_fit_agg(columns pg_catalog.text[], target pg_catalog.text,
	seed pg_catalog.int8, test_size pg_catalog.float8, VARIADIC fields "any") (
	SFUNC = @extschema@.ai_count_fit_agg_fields_sfunc,
	STYPE = pg_catalog.float8[],
	INITCOND = '{}',
	COMBINEFUNC = @extschema@.ai_count_fit_agg_combine,
	FINALFUNC = @extschema@.ai_count_fit_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ai_count_fit_agg(pg_catalog.text[], pg_catalog.text, pg_catalog.int8, pg_catalog.float8, "any") IS
	'The first pass of "method": "aggregate", the row given as its fields';

/* ------------------------------------------------------------------------
 * Scale-out: distributed scoring (docs/scale-out.md).  On a Citus
 * coordinator, every change of a model (a new version, a deploy, a drop, a
 * grant) is copied at commit to the workers, which call this function with
 * the model's state; then ai_predict() and friends run on the shards.
 * Internal: only the extension's owner (and superusers) may call it.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_catalog_apply(name pg_catalog.text, state pg_catalog.jsonb,
	versions integer[] DEFAULT NULL, blobs pg_catalog.bytea[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ai_catalog_apply'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.ai_catalog_apply(pg_catalog.text, pg_catalog.jsonb, integer[], pg_catalog.bytea[]) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.ai_catalog_apply(pg_catalog.text, pg_catalog.jsonb, integer[], pg_catalog.bytea[]) IS
	'Internal (Citus workers): make this node''s copy of a model equal to the coordinator''s state (NULL: drop it), with the blobs of the given versions; returns how many versions still lack a blob here';

/* ------------------------------------------------------------------------
 * Layer outputs (issue 16): ai_predict_tensor, a network's layer (such as
 * a pooled text embedding) or any model's output before the labels.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict_tensor(name pg_catalog.text, features pg_catalog.record,
	output pg_catalog.text DEFAULT NULL, version integer DEFAULT NULL)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ai_predict_tensor_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_tensor(pg_catalog.text, pg_catalog.record, pg_catalog.text, integer) IS
	'Output of a neural_net layer for a row (output: its number, negative from the end, or its type), or with output NULL the model''s output: class probabilities or the predicted value';

CREATE FUNCTION @extschema@.ai_predict_tensor(name pg_catalog.text, features double precision[],
	output pg_catalog.text DEFAULT NULL, version integer DEFAULT NULL)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ai_predict_tensor_array'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_tensor(pg_catalog.text, double precision[], pg_catalog.text, integer) IS
	'Output of a neural_net layer (or with output NULL the model''s output) for a feature array or a tensor';

CREATE FUNCTION @extschema@.ai_predict_tensor(name pg_catalog.text, features pg_catalog.bytea,
	output pg_catalog.text DEFAULT NULL, version integer DEFAULT NULL)
RETURNS real[]
AS 'MODULE_PATHNAME', 'ai_predict_tensor_bytea'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_tensor(pg_catalog.text, pg_catalog.bytea, pg_catalog.text, integer) IS
	'Output of a neural_net layer (or with output NULL the model''s output) for a tensor given as bytes (uint8)';

/* ------------------------------------------------------------------------
 * Charts (issue 18): ai_chart, a self-contained SVG of a model
 * (docs/charts.md).
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_chart(name pg_catalog.text, kind pg_catalog.text,
	data pg_catalog.text DEFAULT NULL, version integer DEFAULT NULL,
	options pg_catalog.jsonb DEFAULT NULL)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'ai_chart'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_chart(pg_catalog.text, pg_catalog.text, pg_catalog.text, integer, pg_catalog.jsonb) IS
	'A self-contained SVG chart of a model: learning_curve, importance, or on data (a table, view or SELECT holding the target) roc, pr, confusion, residuals';

/* ------------------------------------------------------------------------
 * Anomaly detection (issue 18): the isolation_forest algorithm and
 * ai_detect_anomalies, which dispatches on the model's family (anomaly.c).
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_detect_anomalies(name pg_catalog.text, features pg_catalog.record,
	threshold double precision DEFAULT NULL, version integer DEFAULT NULL,
	OUT is_anomaly boolean, OUT score double precision)
RETURNS record
AS 'MODULE_PATHNAME', 'ai_detect_anomalies_record'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_detect_anomalies(pg_catalog.text, pg_catalog.record, double precision, integer) IS
	'Whether a row is an anomaly for an anomaly model (isolation_forest), and its score: an anomaly when the score is above the threshold (NULL: the model''s own); features matched by column name';

CREATE FUNCTION @extschema@.ai_generate(name pg_catalog.text, n integer,
	seed bigint DEFAULT NULL)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'ai_generate'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_generate(pg_catalog.text, integer, bigint) IS
	'n synthetic rows of a variational autoencoder (neural_net, "task": "autoencoder", "variational": true): z ~ N(0, I) through its decoder, one jsonb object of the training columns per row; seed NULL: a different draw each call';

/* ------------------------------------------------------------------------
 * Drift (issue 18): the training rows' summaries stored in every model
 * trained on rows, compared with new data by ai_drift.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_drift(name pg_catalog.text, data pg_catalog.text,
	version integer DEFAULT NULL)
RETURNS TABLE(feature pg_catalog.text, kind pg_catalog.text, statistic pg_catalog.text,
	value double precision, threshold double precision, drifted boolean,
	unseen_share double precision, null_share double precision)
AS 'MODULE_PATHNAME', 'ai_drift'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_drift(pg_catalog.text, pg_catalog.text, integer) IS
	'Drift of the data from a model''s training rows, per feature: PSI and Kolmogorov-Smirnov for numbers, Jensen-Shannon distance for categories, each flagged against its threshold, with the shares of unseen values and NULLs (docs/drift.md)';

CREATE FUNCTION @extschema@.ai_drift_counters_raw(OUT version_id bigint, OUT unseen bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ai_drift_counters'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_drift_counters_raw() IS
	'Internal: the unseen-category counts of this database''s model versions (read them through ai_drift_counters)';

CREATE VIEW @extschema@.ai_drift_counters AS
SELECT m.name, m.version, c.unseen
  FROM @extschema@.ai_drift_counters_raw() c
  JOIN @extschema@.ai_catalog_versions v ON v.id OPERATOR(pg_catalog.=) c.version_id
  JOIN @extschema@.ai_models m ON m.name OPERATOR(pg_catalog.=) v.name
   AND m.version OPERATOR(pg_catalog.=) v.version;
GRANT SELECT ON @extschema@.ai_drift_counters TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_drift_counters IS
	'Per model version: categorical values met at prediction that are not in the feature''s training vocabulary, since the server started (shared memory with pg_learn_launcher preloaded, else this session''s)';

/* ------------------------------------------------------------------------
 * Forecasting (issue 18): the "forecast" algorithm (ai_train), and
 * ai_forecast, the next periods of each series with a prediction interval.
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_forecast(name pg_catalog.text, horizon integer DEFAULT NULL,
	series pg_catalog.text DEFAULT NULL, level double precision DEFAULT 0.95,
	OUT series pg_catalog.text, OUT ts timestamptz, OUT forecast double precision,
	OUT lower double precision, OUT upper double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_forecast'
LANGUAGE C STABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.ai_forecast(pg_catalog.text, integer, pg_catalog.text, double precision) IS
	'The next periods (horizon; NULL: the model''s) of one series (NULL: every series) of a forecast model: the forecast and its interval at level';
