--
-- The option schema (ai_algorithm_options) and the one reader behind
-- ai_train, ai_train_async and ai_schedule; "deploy": "if_better" with
-- "metric", and "keep_versions", in ai_train itself.
--
SET client_min_messages = warning;

-- tiny data, one table per reader shape
CREATE TABLE opt_reg AS
  SELECT i AS id, (i % 7)::float8 AS x1, (i % 5)::float8 AS x2,
         2.0 * (i % 7) + (i % 5) + 0.1 * (i % 3) AS y
  FROM generate_series(1, 60) i;
CREATE TABLE opt_cls AS
  SELECT id, x1, x2, CASE WHEN x1 + x2 > 5 THEN 'a' ELSE 'b' END AS y FROM opt_reg;
CREATE TABLE opt_km AS SELECT id, x1, x2 FROM opt_reg;
CREATE TABLE opt_rat AS
  SELECT u AS user_id, i AS item_id, ((u * 7 + i * 3) % 5 + 1)::float8 AS rating
  FROM generate_series(1, 20) u, generate_series(1, 12) i WHERE (u + i) % 3 <> 0;
CREATE TABLE opt_nn AS SELECT id, ARRAY[x1, x2, x1 * x2] AS x, y FROM opt_reg;
CREATE TABLE opt_ts AS
  SELECT date '2024-01-01' + i AS day, 's' || s AS store,
         10 * s + 3 * sin(2 * pi() * i / 7) + sin(i * 1.3 + s) AS v
  FROM generate_series(1, 2) s, generate_series(0, 41) i;

-- what each algorithm trains on in this test; a network needs its layers
CREATE TABLE opt_case (algorithm text PRIMARY KEY, data text, target text, base jsonb);
INSERT INTO opt_case VALUES
  ('linear_regression', 'opt_reg', 'y', '{}'),
  ('logistic_regression', 'opt_cls', 'y', '{}'),
  ('kmeans', 'opt_km', NULL, '{}'),
  ('als', 'opt_rat', NULL, '{}'),
  -- a classifier, so that the classifier options apply (the layers example is one)
  ('neural_net', 'SELECT c.id, n.x, c.y FROM opt_cls c JOIN opt_nn n USING (id)', 'y',
   jsonb_build_object('layers', (SELECT example FROM ai_algorithm_options('neural_net')
                                 WHERE option = 'layers'),
                      'epochs', 2, 'exclude', '["id"]'::jsonb)),
  -- tree ensembles as classifiers, so that the classifier options apply
  ('xgboost', 'opt_cls', 'y', '{"n_estimators": 3}'),
  ('random_forest', 'opt_cls', 'y', '{"n_estimators": 3}'),
  ('isolation_forest', 'opt_km', NULL, '{"n_estimators": 5}'),
  ('forecast', 'opt_ts', 'v', '{"time": "day", "series": "store", "test_size": 2}');

-- every algorithm is covered by this test
SELECT DISTINCT algorithm FROM ai_algorithm_options() EXCEPT SELECT algorithm FROM opt_case;

-- the schema itself: every option has a type, a default, a description and an example
SELECT algorithm, count(*) AS options,
       bool_and(type <> '' AND default_value <> '' AND description <> '' AND example IS NOT NULL) AS complete
  FROM ai_algorithm_options() GROUP BY algorithm ORDER BY algorithm;
SELECT option, type, default_value, example FROM ai_algorithm_options('linear_regression') ORDER BY option;
SELECT * FROM ai_algorithm_options('linear_regresion');

-- the error text of a statement, or 'ok'
CREATE FUNCTION opt_try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN others THEN
  RETURN SQLERRM;
END $$;

-- the three ways to train, with the options o
CREATE FUNCTION opt_train(c opt_case, o jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT opt_try(format('SELECT ai_train(%L, %L, %L, %L, %L)',
                        'opt_' || c.algorithm, c.algorithm, c.data, c.target, c.base || o)) $$;
CREATE FUNCTION opt_async(c opt_case, o jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT opt_try(format('SELECT ai_cancel(ai_train_async(%L, %L, %L, %L, %L))',
                        'opt_' || c.algorithm, c.algorithm, c.data, c.target, c.base || o)) $$;
CREATE FUNCTION opt_schedule(c opt_case, o jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT opt_try(format('SELECT ai_schedule(%L, %L, %L, %L, %L, %L), ai_unschedule(%L)',
                        'opt_s_' || c.algorithm, '1 day', c.algorithm, c.data, c.target,
                        c.base || o, 'opt_s_' || c.algorithm)) $$;

-- every option of every algorithm, with its example, is accepted by all three
SELECT o.algorithm, o.option,
       opt_train(c, jsonb_build_object(o.option, o.example)) AS ai_train,
       opt_async(c, jsonb_build_object(o.option, o.example)) AS ai_train_async,
       opt_schedule(c, jsonb_build_object(o.option, o.example)) AS ai_schedule
  FROM ai_algorithm_options() o JOIN opt_case c USING (algorithm)
 ORDER BY 1, 2;

-- and misspelt, refused by all three with the same error
SELECT o.algorithm, o.option, count(DISTINCT e) AS messages, min(e) AS error
  FROM ai_algorithm_options() o JOIN opt_case c USING (algorithm),
       LATERAL (VALUES (opt_train(c, jsonb_build_object(o.option || 'x', o.example))),
                       (opt_async(c, jsonb_build_object(o.option || 'x', o.example))),
                       (opt_schedule(c, jsonb_build_object(o.option || 'x', o.example)))) v(e)
 GROUP BY 1, 2 HAVING count(DISTINCT e) <> 1 OR min(e) <> format('unknown option "%sx"', o.option);
SELECT count(*) AS misspelt_refused FROM ai_algorithm_options();

-- a bad value: the same message from all three, with the algorithm's keys as hint
SELECT opt_train(c, '{"epochs": 0}') AS ai_train, opt_async(c, '{"epochs": 0}') AS ai_train_async,
       opt_schedule(c, '{"epochs": 0}') AS ai_schedule
  FROM opt_case c WHERE algorithm = 'neural_net';
SELECT * FROM ai_train('opt_x', 'neural_net', 'opt_nn', 'y', '{"layers": [{"dense": 1}], "epoch": 2}');

-- a neural_net trains in the background, and on a schedule
CREATE FUNCTION opt_poll(cond text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
  FOR i IN 1..600 LOOP
    EXECUTE 'SELECT (' || cond || ')' INTO ok;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT ai_train_async('opt_nnjob', 'neural_net', 'opt_nn', 'y',
                      '{"layers": [{"dense": {"units": 4, "activation": "relu"}}, {"dense": 1}],
                        "epochs": 3, "exclude": ["id"]}') AS j \gset
SELECT ai_wait(:j, '120 s');
SELECT state, version, deployed FROM ai_jobs WHERE id = :j;
SELECT ai_schedule('opt_nnsch', '1 second', 'neural_net', 'opt_nn', 'y',
                   '{"layers": [{"dense": 1}], "epochs": 2, "exclude": ["id"],
                     "deploy": "if_better"}') > now() AS scheduled;
SELECT opt_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'opt_nnsch'
                          AND last_state = 'succeeded')$$) AS fired;
SELECT ai_unschedule('opt_nnsch');
SELECT count(*) > 0 AS trained FROM ai_models WHERE name = 'opt_nnsch';

-- ---------- "deploy": "if_better" in ai_train ----------

SELECT version, deployed FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                                       '{"exclude": ["id"], "deploy": "if_better"}');
-- a worse version (noisy target) is kept, not deployed
SELECT version, deployed, metrics->'if_better'->>'metric' AS metric,
       (metrics->'if_better'->>'new')::float8 > (metrics->'if_better'->>'live')::float8 AS worse,
       metrics->'if_better'->>'live_version' AS live_version
  FROM ai_train('opt_d', 'linear_regression',
                'SELECT x1, x2, y + (id * 7919 % 100) AS y FROM opt_reg', 'y',
                '{"deploy": "if_better"}');
SELECT version FROM ai_models WHERE name = 'opt_d' AND deployed;
-- "metric" names the one compared; higher r2 is better
SELECT version, deployed, metrics->'if_better'->>'metric' AS metric
  FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                '{"exclude": ["id"], "deploy": "if_better", "metric": "r2"}');
-- true and false as before
SELECT version, deployed FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                                       '{"exclude": ["id"], "deploy": false}');
SELECT version, deployed FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                                       '{"exclude": ["id"]}');

-- each family's default metric
SELECT metrics->'if_better'->>'metric' AS logistic
  FROM ai_train('opt_dc', 'logistic_regression', 'opt_cls', 'y', '{"deploy": "if_better"}');
SELECT metrics->'if_better'->>'metric' AS kmeans
  FROM ai_train('opt_dk', 'kmeans', 'opt_km', options => '{"k": 2, "deploy": "if_better"}');
SELECT metrics->'if_better'->>'metric' AS als
  FROM ai_train('opt_da', 'als', 'opt_rat', options => '{"factors": 2, "iterations": 2, "deploy": "if_better"}');
SELECT metrics->'if_better'->>'metric' AS nn_regression
  FROM ai_train('opt_dn', 'neural_net', 'opt_nn', 'y',
                '{"layers": [{"dense": 1}], "epochs": 2, "exclude": ["id"], "deploy": "if_better"}');
-- a neural_net classifier records accuracy and log_loss, not rmse: accuracy is its default
SELECT metrics->'test' ? 'accuracy' AS has_accuracy, metrics->'test' ? 'rmse' AS has_rmse,
       metrics->'if_better'->>'metric' AS nn_classifier
  FROM ai_train('opt_dnc', 'neural_net', 'SELECT n.x, c.y FROM opt_cls c JOIN opt_nn n USING (id)', 'y',
                '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}], "epochs": 2,
                  "test_size": 0.3, "deploy": "if_better"}');

-- errors: a metric the family lacks, one a version lacks, a bad deploy
SELECT * FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                       '{"deploy": "if_better", "metric": "accuracy"}');
SELECT * FROM ai_train('opt_dnc', 'neural_net', 'SELECT n.x, c.y FROM opt_cls c JOIN opt_nn n USING (id)', 'y',
                       '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}], "epochs": 2,
                         "deploy": "if_better", "metric": "rmse"}');
SELECT * FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y', '{"deploy": "always"}');
SELECT * FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y', '{"metric": ""}');

-- ---------- "keep_versions" ----------

SELECT ai_deploy('opt_d', 1);
SELECT count(*) FROM (SELECT ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                                      '{"exclude": ["id"], "deploy": false, "keep_versions": 2}')
                      FROM generate_series(1, 3)) t;
-- the two newest are kept, and the deployed one (1) although older
SELECT version, deployed FROM ai_models WHERE name = 'opt_d' ORDER BY version;
SELECT version, deployed FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y',
                                       '{"exclude": ["id"], "keep_versions": 1}');
SELECT version, deployed FROM ai_models WHERE name = 'opt_d' ORDER BY version;
SELECT * FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y', '{"keep_versions": 0}');
SELECT * FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y', '{"keep_versions": -1}');
SELECT * FROM ai_train('opt_d', 'linear_regression', 'opt_reg', 'y', '{"keep_versions": 1.5}');

-- clean up
SELECT count(ai_drop_model(name)) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'opt%') m;
DELETE FROM ai_catalog_jobs WHERE name LIKE 'opt%';
