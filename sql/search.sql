--
-- "search" in ai_train (grid, random, folds, failing trials, errors) and
-- ai_cross_validate.
--
SET client_min_messages = warning;

-- a ridge problem where a large l2 is clearly best on validation: few
-- rows, 20 noise features, y = x1 + noise
SELECT setseed(0.42);
CREATE TABLE sr AS
  SELECT i AS id, random() - 0.5 AS x1,
         random() AS n1, random() AS n2, random() AS n3, random() AS n4, random() AS n5,
         random() AS n6, random() AS n7, random() AS n8, random() AS n9, random() AS n10,
         random() AS n11, random() AS n12, random() AS n13, random() AS n14, random() AS n15,
         random() AS n16, random() AS n17, random() AS n18, random() AS n19, random() AS n20,
         random() - 0.5 AS e
  FROM generate_series(1, 60) i;
ALTER TABLE sr ADD COLUMN y float8;
UPDATE sr SET y = x1 + e;
ALTER TABLE sr DROP COLUMN e;

-- grid over l2: the largest useful l2 wins
SELECT metrics->'search'->>'method' AS method, metrics->'search'->>'metric' AS metric,
       (metrics->'search'->>'best')::int AS best,
       jsonb_path_query_array(metrics->'search'->'trials', '$[*].params.l2') AS tried,
       jsonb_path_query_first(metrics->'search'->'trials', '$[*] ? (@.chosen == true).params') AS chosen
  FROM ai_train('sr', 'linear_regression', 'sr', 'y',
                '{"exclude": ["id"], "search": {"params": {"l2": [0, 0.01, 3, 30, 100000]}}}');
-- the stored version's options are the chosen setting, without "search"
SELECT options FROM ai_catalog_versions WHERE name = 'sr' ORDER BY version DESC LIMIT 1;
-- the scores say why: the validation rmse is lowest at l2 3, worse with
-- less (overfitting the noise features) and more (underfitting x1)
SELECT t->>'trial' AS trial, t->'params' AS params,
       rank() OVER (ORDER BY (t->>'score')::float8) AS rmse_rank,
       t->>'chosen' AS chosen, (t->>'seconds')::float8 >= 0 AS timed
  FROM ai_models m, jsonb_array_elements(m.metrics->'search'->'trials') t WHERE m.name = 'sr';

-- random: trials distinct draws of the grid, seeded
SELECT jsonb_array_length(metrics->'search'->'trials') AS trials,
       (SELECT count(DISTINCT t->'params') FROM jsonb_array_elements(metrics->'search'->'trials') t) AS distinct_settings,
       metrics->'search'->>'method' AS method
  FROM ai_train('sr_random', 'linear_regression', 'sr', 'y',
                '{"exclude": ["id"], "search": {"method": "random", "trials": 3,
                  "params": {"l2": [0, 0.01, 30, 100000], "tol": [1e-6, 1e-3]}}}');
-- grid capped by trials: the first settings in order (the last option varies fastest)
SELECT jsonb_path_query_array(metrics->'search'->'trials', '$[*].params') AS tried
  FROM ai_train('sr_cap', 'linear_regression', 'sr', 'y',
                '{"exclude": ["id"], "search": {"trials": 3, "params": {"l2": [0, 30], "tol": [1e-6, 1e-3]}}}');

-- folds: 3 trials per setting on disjoint folds, their mean the score
SELECT jsonb_path_query_first(metrics->'search'->'trials', '$[*] ? (@.chosen == true).params.l2')
         IN ('3', '30') AS chosen_3_or_30,
       metrics->'search'->>'folds' AS folds,
       (SELECT bool_and(jsonb_array_length(t->'scores') = 3
                        AND abs((t->>'score')::float8 - ((t->'scores'->>0)::float8 + (t->'scores'->>1)::float8
                                + (t->'scores'->>2)::float8) / 3) < 1e-9)
          FROM jsonb_array_elements(metrics->'search'->'trials') t) AS mean_of_folds
  FROM ai_train('sr_folds', 'linear_regression', 'sr', 'y',
                '{"exclude": ["id"], "search": {"folds": 3, "params": {"l2": [0, 0.01, 3, 30, 100000]}}}');

-- the validation folds are disjoint and cover the rows: the folds of
-- ai_cross_validate hold out every row exactly once
SELECT count(*) AS folds, sum((metrics->>'rows_test')::int) AS rows_held_out,
       bool_and((metrics->>'rows_train')::int + (metrics->>'rows_test')::int = 60) AS all_rows
  FROM ai_cross_validate('cv', 'linear_regression', 'sr', 'y', '{"exclude": ["id"]}', 3)
 WHERE fold IS NOT NULL;

-- a failing trial is recorded and skipped: "nulls": "error" fails on a NULL feature
CREATE TABLE sr_nulls AS SELECT * FROM sr;
UPDATE sr_nulls SET n1 = NULL WHERE id % 5 = 0;
SELECT t->'params' AS params, t->>'error' AS error, t ? 'score' AS scored, t->>'chosen' AS chosen
  FROM ai_train('sr_fail', 'linear_regression', 'sr_nulls', 'y',
                '{"exclude": ["id"], "search": {"params": {"nulls": ["error", "impute"]}}}') r,
       jsonb_array_elements(r.metrics->'search'->'trials') t;
-- every trial failing is an ERROR
SELECT ai_train('sr_fail', 'linear_regression', 'sr_nulls', 'y',
                '{"exclude": ["id"], "search": {"params": {"nulls": ["error"]}}}');

-- other families: a classifier, a clustering, a tree ensemble, a network
CREATE TABLE sc AS SELECT id, x1, n1, n2, CASE WHEN x1 + 0.2 * n1 > 0 THEN 'a' ELSE 'b' END AS y FROM sr;
SELECT metrics->'search'->>'metric' AS metric, jsonb_array_length(metrics->'search'->'trials') AS trials
  FROM ai_train('sc', 'logistic_regression', 'sc', 'y',
                '{"exclude": ["id"], "search": {"params": {"l2": [1e-4, 1]}, "metric": "log_loss"}}');
SELECT metrics->'search'->>'metric' AS metric,
       jsonb_path_query_array(metrics->'search'->'trials', '$[*].params.k') AS tried
  FROM ai_train('sk', 'kmeans', 'SELECT x1, n1 FROM sr', NULL, '{"search": {"params": {"k": [2, 3]}}}');
SELECT metrics->'search'->>'metric' AS metric, jsonb_array_length(metrics->'search'->'trials') AS trials
  FROM ai_train('sx', 'xgboost', 'sc', 'y',
                '{"exclude": ["id"], "n_estimators": 3, "search": {"params": {"max_depth": [1, 2]}}}');
SELECT metrics->'search'->>'metric' AS metric,
       jsonb_path_query_array(metrics->'search'->'trials', '$[*].params.layers[0].dense.units') AS units
  FROM ai_train('sn', 'neural_net', 'SELECT x1, n1, y FROM sr', 'y',
                '{"epochs": 2, "search": {"params": {"layers": [
                    [{"dense": {"units": 2, "activation": "relu"}}, {"dense": {"units": 1}}],
                    [{"dense": {"units": 4, "activation": "relu"}}, {"dense": {"units": 1}}]]}}}');
-- a network on a tensor column splits by row position: refused, not skipped
SELECT ai_train('sn2', 'neural_net', 'SELECT ARRAY[x1, n1] AS x, y FROM sr', 'y',
                '{"epochs": 2, "layers": [{"dense": {"units": 1}}], "search": {"params": {"l2": [0, 1]}}}');

-- the errors, each naming the bad key or value
CREATE FUNCTION sr_try(o jsonb, algorithm text DEFAULT 'linear_regression', data text DEFAULT 'sr',
                       target text DEFAULT 'y') RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ai_train('sr_err', algorithm, data, target, o);
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLERRM;
END $$;
SELECT o, sr_try(o::jsonb) AS error FROM (VALUES
  ('{"search": [1]}'),
  ('{"search": {}}'),
  ('{"search": {"params": {}}}'),
  ('{"search": {"params": {"l3": [1]}}}'),
  ('{"search": {"params": {"l2": []}}}'),
  ('{"search": {"params": {"l2": 0.1}}}'),
  ('{"search": {"params": {"l2": [0.1, -1]}}}'),
  ('{"search": {"params": {"nulls": ["error", "skip"]}}}'),
  ('{"search": {"params": {"seed": [1, 2]}}}'),
  ('{"search": {"params": {"test_size": [0.1]}}}'),
  ('{"search": {"params": {"l2": [1]}, "method": "bayes"}}'),
  ('{"search": {"params": {"l2": [1]}, "folds": 1}}'),
  ('{"search": {"params": {"l2": [1]}, "folds": 2.5}}'),
  ('{"search": {"params": {"l2": [1]}, "trials": 0}}'),
  ('{"search": {"params": {"l2": [1]}, "metric": "accuracy"}}'),
  ('{"search": {"params": {"l2": [1]}, "iterations": 3}}'),
  ('{"search": {"params": {"l2": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "tol": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "max_iter": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}}')
) AS t(o);
SELECT sr_try('{"search": {"params": {"k": [2]}, "folds": 2}}', 'kmeans', 'SELECT x1 FROM sr', NULL);
SELECT sr_try('{"search": {"params": {"k": [2]}}}', 'als',
              'SELECT id AS u, id % 7 AS i, 1.0 AS r FROM sr', NULL);
SELECT sr_try('{"search": {"params": {"layers": [3]}}}', 'neural_net');
SELECT sr_try('{"search": {"params": {"layers": [[{"dense": {"units": 0}}]]}}}', 'neural_net');

-- ai_train_async reads "search" with the same reader: accepted, or the same error
SELECT ai_cancel(ai_train_async('sr_async', 'linear_regression', 'sr', 'y',
                                '{"search": {"params": {"l2": [0, 1]}}}')) IS NOT NULL AS accepted;
SELECT ai_train_async('sr_async', 'linear_regression', 'sr', 'y', '{"search": {"params": {"l3": [1]}}}');

-- ai_cross_validate: a row per fold, then the mean and the std
SELECT fold, metrics ? 'test' AS has_test, metrics->>'summary' AS summary,
       (metrics->'test'->>'rmse' IS NOT NULL OR metrics->>'rmse' IS NOT NULL) AS has_rmse
  FROM ai_cross_validate('cv', 'linear_regression', 'sr', 'y', '{"exclude": ["id"], "l2": 30}', 4);
-- the mean row is the mean of the folds
SELECT abs(avg((metrics->'test'->>'rmse')::float8) FILTER (WHERE fold IS NOT NULL)
           - max((metrics->>'rmse')::float8) FILTER (WHERE metrics->>'summary' = 'mean')) < 1e-9 AS mean_ok,
       abs(stddev_samp((metrics->'test'->>'rmse')::float8) FILTER (WHERE fold IS NOT NULL)
           - max((metrics->>'rmse')::float8) FILTER (WHERE metrics->>'summary' = 'std')) < 1e-9 AS std_ok
  FROM ai_cross_validate('cv', 'linear_regression', 'sr', 'y', '{"exclude": ["id"]}');
-- no model stored
SELECT count(*) FROM ai_models WHERE name = 'cv';
SELECT * FROM ai_cross_validate('cv', 'linear_regression', 'sr', 'y', NULL, 1);
SELECT * FROM ai_cross_validate('cv', 'kmeans', 'sr', NULL, NULL, 3);
SELECT * FROM ai_cross_validate('cv', 'linear_regression', 'sr', 'y', '{"l2": -1}', 3);
SELECT * FROM ai_cross_validate('cv', 'linear_regression', 'sr', 'y', '{"search": {"params": {"l2": [1]}}}', 3);
SELECT * FROM ai_cross_validate('cv', 'linear_regresion', 'sr', 'y', NULL, 3);
