-- ai_train with "method": "aggregate": the same model as in memory, from
-- parallel-safe aggregate passes that keep no rows
SET extra_float_digits = 0;
CREATE TABLE agt AS
  SELECT i,
         (i % 13)::float8 AS a,
         CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 5)::float8 END AS b,
         CASE WHEN i % 11 = 0 THEN NULL ELSE (ARRAY['x', 'y', 'z'])[1 + i % 3] END AS c,
         (i % 4)::numeric / 3 AS d,
         2 + 0.5 * (i % 13) - (i % 5) + CASE i % 3 WHEN 0 THEN 3 ELSE 0 END + sin(i) AS y,
         ((i % 13) + sin(i * 7) * 4 > 6) AS lab
    FROM generate_series(1, 6000) i;
ANALYZE agt;

-- the same split, preprocessing and coefficients as in memory
SELECT version FROM ai_train('agt_lin_mem', 'linear_regression', 'SELECT a, b, c, d, y FROM agt', 'y', '{"method": "memory", "l2": 0.5}');
SELECT version FROM ai_train('agt_lin_agg', 'linear_regression', 'SELECT a, b, c, d, y FROM agt', 'y', '{"method": "aggregate", "l2": 0.5}');
-- the test metrics of linear regression come from the hold-out's co-moments
-- (the fit pass itself; no mae, which needs every residual)
CREATE FUNCTION agt_same_regression(a text, b text) RETURNS TABLE (same_test_metrics bool, same_split bool, method text, passes text)
LANGUAGE sql AS $$
SELECT m.metrics #> '{test,n}' = g.metrics #> '{test,n}'
       AND abs((m.metrics #>> '{test,rmse}')::float8 / (g.metrics #>> '{test,rmse}')::float8 - 1) < 1e-9
       AND abs((m.metrics #>> '{test,r2}')::float8 - (g.metrics #>> '{test,r2}')::float8) < 1e-9
       AND NOT g.metrics -> 'test' ? 'mae',
       m.metrics ->> 'rows_train' = g.metrics ->> 'rows_train',
       g.metrics ->> 'method', g.metrics ->> 'passes'
  FROM ai_models m, ai_models g WHERE m.name = a AND g.name = b
$$;
SELECT * FROM agt_same_regression('agt_lin_mem', 'agt_lin_agg');

-- numbers only: one pass counts and fits; a second one when it met NULLs (b),
-- with their training means
SELECT version FROM ai_train('agt_num_mem', 'linear_regression', 'SELECT a, d, y FROM agt', 'y', '{"method": "memory", "l2": 0.5}');
SELECT version FROM ai_train('agt_num_agg', 'linear_regression', 'SELECT a, d, y FROM agt', 'y', '{"method": "aggregate", "l2": 0.5}');
SELECT * FROM agt_same_regression('agt_num_mem', 'agt_num_agg');
SELECT version FROM ai_train('agt_nul_mem', 'linear_regression', 'SELECT a, b, d, CASE WHEN i % 9 = 0 THEN NULL ELSE y END AS y FROM agt', 'y', '{"method": "memory", "l2": 0.5}');
SELECT version FROM ai_train('agt_nul_agg', 'linear_regression', 'SELECT a, b, d, CASE WHEN i % 9 = 0 THEN NULL ELSE y END AS y FROM agt', 'y', '{"method": "aggregate", "l2": 0.5}');
SELECT * FROM agt_same_regression('agt_nul_mem', 'agt_nul_agg');
SELECT a.metrics ->> 'rows_skipped_null_target' AS skipped, m.metrics ->> 'rows_skipped_null_target' AS skipped_in_memory
  FROM ai_models m, ai_models a WHERE m.name = 'agt_nul_mem' AND a.name = 'agt_nul_agg';
SELECT max(abs(ai_predict('agt_nul_mem', t) - ai_predict('agt_nul_agg', t))
           / greatest(abs(ai_predict('agt_nul_mem', t)), 1)) < 1e-9 AS same_predictions
  FROM agt t;
SELECT (SELECT array_agg(feature || '=' || value ORDER BY feature) FROM ai_explain('agt_nul_mem', t) WHERE feature <> '(base)')
     = (SELECT array_agg(feature || '=' || value ORDER BY feature) FROM ai_explain('agt_nul_agg', t) WHERE feature <> '(base)') AS same_imputation
  FROM agt t WHERE i = 77;
-- under 50 rows the default hold-out is dropped: the pass runs again without one
SELECT version FROM ai_train('agt_small', 'linear_regression', 'SELECT a, d, y FROM agt WHERE i <= 40', 'y', '{"method": "aggregate"}');
SELECT metrics ->> 'rows_train' AS rows_train, metrics ->> 'rows_test' AS rows_test, metrics ->> 'passes' AS passes
  FROM ai_models WHERE name = 'agt_small';
SELECT max(abs(ai_predict('agt_lin_mem', t) - ai_predict('agt_lin_agg', t))
           / greatest(abs(ai_predict('agt_lin_mem', t)), 1)) < 1e-9 AS same_predictions
  FROM agt t;
-- the models have the same form: features, imputation and vocabulary
SELECT (SELECT array_agg(feature || '=' || value ORDER BY feature) FROM ai_explain('agt_lin_mem', t) WHERE feature <> '(base)')
     = (SELECT array_agg(feature || '=' || value ORDER BY feature) FROM ai_explain('agt_lin_agg', t) WHERE feature <> '(base)') AS same_encoding
  FROM agt t WHERE i = 77;

SELECT version FROM ai_train('agt_log_mem', 'logistic_regression', 'SELECT a, b, c, d, lab FROM agt', 'lab', '{"method": "memory"}');
SELECT version FROM ai_train('agt_log_agg', 'logistic_regression', 'SELECT a, b, c, d, lab FROM agt', 'lab', '{"method": "aggregate"}');
SELECT m.metrics -> 'test' = a.metrics -> 'test' AS same_test_metrics,
       m.metrics ->> 'iterations' = a.metrics ->> 'iterations' AS same_iterations
  FROM ai_models m, ai_models a WHERE m.name = 'agt_log_mem' AND a.name = 'agt_log_agg';
SELECT max(abs((ai_predict_proba('agt_log_mem', t))[2] - (ai_predict_proba('agt_log_agg', t))[2])) < 1e-9 AS same_probabilities,
       bool_and(ai_classify('agt_log_mem', t) = ai_classify('agt_log_agg', t)) AS same_classes
  FROM agt t;

-- multinomial: one ai_softmax_grad_agg pass per evaluation
SELECT version FROM ai_train('agt_mn_mem', 'logistic_regression', 'SELECT a, b, d, y, c FROM agt WHERE c IS NOT NULL', 'c', '{"method": "memory"}');
SELECT version FROM ai_train('agt_mn_agg', 'logistic_regression', 'SELECT a, b, d, y, c FROM agt WHERE c IS NOT NULL', 'c', '{"method": "aggregate"}');
SELECT m.metrics -> 'test' = a.metrics -> 'test' AS same_test_metrics,
       m.metrics ->> 'iterations' = a.metrics ->> 'iterations' AS same_iterations
  FROM ai_models m, ai_models a WHERE m.name = 'agt_mn_mem' AND a.name = 'agt_mn_agg';
SELECT max(abs(pm - pa)) < 1e-9 AS same_probabilities
  FROM (SELECT * FROM agt WHERE c IS NOT NULL) t,
       LATERAL unnest(ai_predict_proba('agt_mn_mem', t), ai_predict_proba('agt_mn_agg', t)) AS u(pm, pa);

-- kmeans: the same seeding sample (drawn by row hash), then Lloyd steps as
-- ai_kmeans_step_state passes: the same centroids
CREATE TABLE agk AS
  SELECT i, (i % 4) * 10 + sin(i) * 2 AS x, ((i / 4) % 3) * 8 + cos(i * 3) * 2 AS y,
         CASE WHEN i % 50 = 0 THEN NULL ELSE (ARRAY['u', 'v'])[1 + (i % 4) / 2] END AS c
    FROM generate_series(1, 12000) i;
ANALYZE agk;
SELECT version FROM ai_train('agk_mem', 'kmeans', 'agk', options => '{"k": 12, "exclude": ["i"], "method": "memory"}');
SELECT version FROM ai_train('agk_agg', 'kmeans', 'agk', options => '{"k": 12, "exclude": ["i"], "method": "aggregate"}');
SELECT m.metrics -> 'train' -> 'cluster_sizes' = a.metrics -> 'train' -> 'cluster_sizes' AS same_sizes,
       abs((m.metrics -> 'train' ->> 'inertia')::float8 / (a.metrics -> 'train' ->> 'inertia')::float8 - 1) < 1e-9 AS same_inertia,
       m.metrics ->> 'iterations' AS iterations_memory, a.metrics ->> 'iterations' AS iterations_aggregate
  FROM ai_models m, ai_models a WHERE m.name = 'agk_mem' AND a.name = 'agk_agg';
SELECT max(abs(cm - ca) / greatest(abs(cm), 1)) < 1e-9 AS same_centroids
  FROM ai_centroids('agk_mem') m JOIN ai_centroids('agk_agg') a USING (cluster),
       LATERAL unnest(m.centroid, a.centroid) AS u(cm, ca);
SELECT count(*) FILTER (WHERE ai_cluster('agk_mem', t) <> ai_cluster('agk_agg', t)) AS disagree FROM agk t;

-- the row functions: the split, the encoding and the label of training
SELECT count(*) FILTER (WHERE ai_holdout(t, seed => 42, test_size => 0.2)) = (SELECT (metrics ->> 'rows_test')::int FROM ai_models WHERE name = 'agt_lin_mem') AS holdout_matches
  FROM (SELECT a, b, c, d, y FROM agt) t;
SELECT ai_holdout(t, 42, 0) AS never FROM (SELECT a, b, c, d, y FROM agt) t LIMIT 1;
-- the planner knows the share ai_holdout keeps (ai_holdout_support): a
-- constant test_size is the selectivity, NOT takes the rest; else PostgreSQL's
-- default for a boolean function (a third)
ANALYZE agt;
CREATE FUNCTION pg_temp.share(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN round(((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric / 6000), 3);
END $$;
SELECT pg_temp.share('SELECT * FROM agt t WHERE ai_holdout(t, 42, 0.02)') AS two_percent,
       pg_temp.share('SELECT * FROM agt t WHERE NOT ai_holdout(t)') AS not_default,
       pg_temp.share('SELECT * FROM agt t WHERE ai_holdout(t, test_size => 0.5)') AS named,
       pg_temp.share('SELECT * FROM agt t WHERE ai_holdout(t, 42, t.a / 1e9)') AS not_constant;
SELECT ai_export_model('agt_log_agg') AS blob \gset
SELECT i, a, b, c, ai_features(:'blob', t) AS inputs, lab, ai_label(:'blob', t) AS label
  FROM agt t WHERE i IN (1, 7, 33) ORDER BY i;
-- a model that changes from row to row (not a constant): each row is encoded by its own
SELECT ai_export_model('agt_mn_agg') AS blob2 \gset
SELECT i, array_length(ai_features(CASE WHEN i % 2 = 0 THEN :'blob'::bytea ELSE :'blob2'::bytea END, t), 1) AS inputs,
       ai_features(CASE WHEN i % 2 = 0 THEN :'blob'::bytea ELSE :'blob2'::bytea END, t)
         = CASE WHEN i % 2 = 0 THEN ai_features(:'blob', t) ELSE ai_features(:'blob2', t) END AS as_its_own
  FROM agt t WHERE i <= 4 ORDER BY i;

-- parallel query splits every pass: Partial Aggregate -> Gather -> Finalize Aggregate
-- (the leader does not scan: a pass may then have as many workers as cores)
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT ai_linreg_agg(ai_features(:'blob', t), ai_label(:'blob', t)) FROM agt t WHERE NOT ai_holdout(t);
SELECT version FROM ai_train('agt_lin_par', 'linear_regression', 'SELECT a, b, c, d, y FROM agt', 'y', '{"method": "aggregate", "l2": 0.5}');
SELECT version FROM ai_train('agt_log_par', 'logistic_regression', 'SELECT a, b, c, d, lab FROM agt', 'lab', '{"method": "aggregate"}');
-- the split hashes every column of the data, excluded ones too: other data, other split
SELECT version FROM ai_train('agt_lin_excl', 'linear_regression', 'agt', 'y', '{"method": "aggregate", "exclude": ["i", "lab"], "l2": 0.5}');
SELECT version FROM ai_train('agk_par', 'kmeans', 'agk', options => '{"k": 12, "exclude": ["i"], "method": "aggregate"}');
SELECT name, (metrics ->> 'parallel_workers')::int BETWEEN 1 AND 2 AS workers_planned FROM ai_models WHERE name IN ('agt_lin_par', 'agt_log_par', 'agk_par') ORDER BY name;
SELECT max(abs(cm - ca) / greatest(abs(cm), 1)) < 1e-9 AS same_centroids_as_serial
  FROM ai_centroids('agk_mem') m JOIN ai_centroids('agk_par') a USING (cluster),
       LATERAL unnest(m.centroid, a.centroid) AS u(cm, ca);
SELECT (SELECT count(*) FILTER (WHERE ai_holdout(t)) FROM agt t) = (SELECT (metrics ->> 'rows_test')::int FROM ai_models WHERE name = 'agt_lin_excl') AS split_of_whole_rows;
SELECT max(abs(ai_predict('agt_lin_mem', t) - ai_predict('agt_lin_par', t))
           / greatest(abs(ai_predict('agt_lin_mem', t)), 1)) < 1e-9 AS same_as_serial,
       max(abs((ai_predict_proba('agt_log_mem', t))[2] - (ai_predict_proba('agt_log_par', t))[2])) < 1e-9 AS same_as_serial_logistic
  FROM agt t;
-- more workers than the cores (less the leader's) are not planned: the passes are capped to
-- them, and the setting is back afterwards, also after a training that failed
SET max_parallel_workers_per_gather = 1000;
SELECT version FROM ai_train('agt_log_cap', 'logistic_regression', 'SELECT a, b, c, d, lab FROM agt', 'lab', '{"method": "aggregate"}');
SELECT (metrics ->> 'parallel_workers_cap')::int < 1000 AS capped,
       (metrics ->> 'parallel_workers')::int <= (metrics ->> 'parallel_workers_cap')::int AS within_cap,
       current_setting('max_parallel_workers_per_gather') AS setting_after
  FROM ai_models WHERE name = 'agt_log_cap';
BEGIN;
SELECT version FROM ai_train('agt_log_cap', 'logistic_regression', 'SELECT a, b, c, d, lab FROM agt', 'lab', '{"method": "aggregate"}');
SELECT current_setting('max_parallel_workers_per_gather') AS in_transaction;
COMMIT;
DO $$BEGIN
  PERFORM ai_train('agt_e', 'linear_regression', 'SELECT a, ''NaN''::float8 AS b, y FROM agt', 'y', '{"method": "aggregate"}');
EXCEPTION WHEN data_exception THEN
  RAISE NOTICE 'failed: %; max_parallel_workers_per_gather %', SQLERRM, current_setting('max_parallel_workers_per_gather');
END$$;
SET max_parallel_workers_per_gather = 0;
SELECT version FROM ai_train('agt_log_cap', 'logistic_regression', 'SELECT a, b, c, d, lab FROM agt', 'lab', '{"method": "aggregate"}');
SELECT metrics ? 'parallel_workers_cap' AS cap_when_serial FROM ai_models WHERE name = 'agt_log_cap' ORDER BY version DESC LIMIT 1;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- "auto" (the default): aggregate passes when the rows would not fit pg_learn.max_train_memory
CREATE TABLE agt_big AS
  SELECT i, (i % 97)::float8 AS a, ((i * 7) % 31)::float8 AS b, (i % 3 = 0) AS flag,
         (i % 97) - 0.5 * ((i * 7) % 31) + 5 * (i % 3 = 0)::int + cos(i) AS y
    FROM generate_series(1, 60000) i;
ANALYZE agt_big;
SET pg_learn.max_train_memory = '1MB';
SELECT version FROM ai_train('agt_big_auto', 'linear_regression', 'agt_big', 'y', '{"exclude": ["i"], "l2": 0.01}');
SELECT metrics ->> 'method' AS method FROM ai_models WHERE name = 'agt_big_auto';
SELECT version FROM ai_train('agt_big_log', 'logistic_regression', 'SELECT a, b, y, flag FROM agt_big', 'flag');
SELECT metrics ->> 'method' AS logistic_method FROM ai_models WHERE name = 'agt_big_log';
SELECT version FROM ai_train('agt_big_km', 'kmeans', 'agt_big', options => '{"k": 3, "exclude": ["i", "y"]}');
SELECT metrics ->> 'method' AS kmeans_method FROM ai_models WHERE name = 'agt_big_km';
-- "memory" keeps the ERROR, whose hint names the aggregate method
SELECT version FROM ai_train('agt_big_mem', 'linear_regression', 'agt_big', 'y', '{"exclude": ["i"], "l2": 0.01, "method": "memory"}');
RESET pg_learn.max_train_memory;
SELECT version FROM ai_train('agt_big_mem', 'linear_regression', 'agt_big', 'y', '{"exclude": ["i"], "l2": 0.01, "method": "memory"}');
SELECT version FROM ai_train('agt_big_log_mem', 'logistic_regression', 'SELECT a, b, y, flag FROM agt_big', 'flag', '{"method": "memory"}');
SELECT max(abs((ai_predict_proba('agt_big_log_mem', t))[2] - (ai_predict_proba('agt_big_log', t))[2])) < 1e-9 AS same_logistic
  FROM agt_big t;
SELECT metrics ->> 'method' IS NULL AS in_memory FROM ai_models WHERE name = 'agt_big_mem';
SELECT max(abs(ai_predict('agt_big_mem', t) - ai_predict('agt_big_auto', t))
           / greatest(abs(ai_predict('agt_big_mem', t)), 1)) < 1e-9 AS same_coefficients
  FROM agt_big t;

-- errors
SELECT version FROM ai_train('agt_e', 'linear_regression', 'agt', 'y', '{"method": "cluster"}');
SELECT version FROM ai_train('agt_e', 'linear_regression', 'SELECT a, y FROM agt WHERE false', 'y', '{"method": "aggregate"}');
SELECT version FROM ai_train('agt_e', 'linear_regression', 'SELECT a, ''NaN''::float8 AS b, y FROM agt', 'y', '{"method": "aggregate"}');
SELECT version FROM ai_train('agt_e', 'linear_regression', 'SELECT a, y FROM agt', 'nope', '{"method": "aggregate"}');
SELECT ai_features(:'blob', t) FROM (SELECT 1 AS a) t;
SELECT ai_features(:'blob', t) FROM (SELECT 'x'::text AS a, 1 AS b, 'x' AS c, 1 AS d) t;
SELECT ai_features('\x00'::bytea, t) FROM (SELECT 1 AS a) t;
SELECT ai_holdout(t, -1, 0.2) FROM (SELECT 1 AS a) t;
SELECT ai_holdout(t, 1, 1) FROM (SELECT 1 AS a) t;

SELECT version FROM ai_train('agt_e', 'kmeans', 'agk', options => '{"k": 20000, "method": "aggregate"}');
DROP TABLE agt, agt_big, agk;
SELECT count(*) FROM (SELECT ai_drop_model(name) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'agt%' OR name LIKE 'agk%') m) d;
