/* pg_learn--0.1.0--0.2.0.sql: upgrade from 0.1.0 to 0.2.0 (written by scripts/make-upgrade) */

\echo Use "ALTER EXTENSION pg_learn UPDATE" to load this file. \quit

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

CREATE FUNCTION @extschema@.ai_holdout(data_row pg_catalog.record, seed pg_catalog.int8 DEFAULT 42,
	fraction pg_catalog.float8 DEFAULT 0.2)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'ai_holdout'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
	model_name pg_catalog.text NOT NULL
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
	PRIMARY KEY (model_name, grantee, privilege)
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

-- a model is visible to whoever may use it
CREATE POLICY ai_models_usable ON @extschema@.ai_catalog_models FOR SELECT
	USING (pg_catalog.pg_has_role(owner::pg_catalog.oid, 'USAGE')
		   OR EXISTS (SELECT 1 FROM @extschema@.ai_catalog_grants g
					   WHERE g.model_name OPERATOR(pg_catalog.=) name
						 AND g.privilege OPERATOR(pg_catalog.=) 'predict'::pg_catalog.text));

-- a version is visible with its model
CREATE POLICY ai_versions_usable ON @extschema@.ai_catalog_versions FOR SELECT
	USING (EXISTS (SELECT 1 FROM @extschema@.ai_catalog_models m
					WHERE m.name OPERATOR(pg_catalog.=) model_name));

-- no policy on ai_catalog_blobs: only its owner (the extension's) reads it

-- the view reads the tables as the caller, so their policies apply
ALTER VIEW @extschema@.ai_models SET (security_invoker = true);

CREATE VIEW @extschema@.ai_model_grants WITH (security_invoker = true) AS
SELECT g.model_name AS name,
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
	seed bigint DEFAULT 42,
	OUT feature pg_catalog.text, OUT importance double precision, OUT std double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_feature_importance'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.ai_feature_importance(pg_catalog.text, integer, bigint) IS
	'Permutation importance of each feature on the training hold-out: mean drop of R² (regression) or accuracy (classification) over seeded shuffles';

/* ------------------------------------------------------------------------
 * Background training (docs/background.md): jobs, schedules, progress.
 * The job tables are read and written only through the functions and the
 * views below; a role sees its own jobs and schedules (and those of roles
 * it is a member of; a superuser sees all).  Owners are role OIDs.
 * ------------------------------------------------------------------------ */

CREATE TABLE @extschema@.ai_catalog_jobs (
	id bigserial PRIMARY KEY,
	model_name pg_catalog.text NOT NULL,
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
	   j.model_name AS model,
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
	   j.error AS last_error,
	   j.version AS last_version,
	   s.next_run
  FROM @extschema@.ai_catalog_schedules s
  LEFT JOIN @extschema@.ai_catalog_jobs j ON j.id OPERATOR(pg_catalog.=) s.last_job
 WHERE pg_catalog.pg_has_role(s.owner, 'MEMBER');
GRANT SELECT ON @extschema@.ai_schedules TO PUBLIC;
COMMENT ON VIEW @extschema@.ai_schedules IS
	'Training schedules of the current role with their last run, last state and next run';

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

CREATE FUNCTION @extschema@.ai_progress(
	OUT pid integer,
	OUT job_id bigint,
	OUT model pg_catalog.text,
	OUT algorithm pg_catalog.text,
	OUT role pg_catalog.regrole,
	OUT phase pg_catalog.text,
	OUT rows_read bigint,
	OUT iteration integer,
	OUT max_iterations integer,
	OUT loss double precision,
	OUT started_at pg_catalog.timestamptz,
	OUT elapsed_seconds double precision)
RETURNS SETOF pg_catalog.record
AS 'MODULE_PATHNAME', 'ai_progress'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.ai_progress() IS
	'Trainings running now in this database, synchronous and background: phase, rows, iteration, loss';

CREATE VIEW @extschema@.ai_progress AS SELECT * FROM @extschema@.ai_progress();
GRANT SELECT ON @extschema@.ai_progress TO PUBLIC;

/* ------------------------------------------------------------------------
 * Neural networks (algorithm neural_net): a tensor column given as bytea,
 * and the per-epoch training history
 * ------------------------------------------------------------------------ */

CREATE FUNCTION @extschema@.ai_predict(name pg_catalog.text, features pg_catalog.bytea)
RETURNS double precision
AS 'MODULE_PATHNAME', 'ai_predict_bytea'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict(pg_catalog.text, pg_catalog.bytea) IS
	'Prediction of a neural_net regression model from a tensor given as bytes (uint8)';

CREATE FUNCTION @extschema@.ai_classify(name pg_catalog.text, features pg_catalog.bytea)
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'ai_classify_bytea'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_classify(pg_catalog.text, pg_catalog.bytea) IS
	'Most probable class of a neural_net classifier for a tensor given as bytes (uint8)';

CREATE FUNCTION @extschema@.ai_predict_proba(name pg_catalog.text, features pg_catalog.bytea)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'ai_predict_proba_bytea'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ai_predict_proba(pg_catalog.text, pg_catalog.bytea) IS
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
