-- Prediction: features by column name from any row, arrays in training
-- order, new versions seen by the next statement.
SET client_min_messages = notice;
CREATE TABLE pr AS SELECT i AS id, (i % 10)::float8 AS a, (i % 7)::int AS b, 1.0 + 2.0 * (i % 10) + 3.0 * (i % 7) AS y
  FROM generate_series(1, 100) i;
SELECT version FROM ai_train('pr', 'linear_regression', 'pr', 'y', '{"exclude": ["id"]}');

-- the whole row of a table; extra columns (id, y) are ignored
SELECT id, y, round(ai_predict('pr', p)::numeric, 6) AS predicted FROM pr p ORDER BY id LIMIT 3;
-- columns in another order, of other numeric types, from a subquery
SELECT round(ai_predict('pr', s)::numeric, 6) AS predicted
  FROM (SELECT 3::smallint AS b, 'x'::text AS other, 2.5::numeric AS a) s;
-- a row built on the fly
SELECT round(ai_predict('pr', r)::numeric, 6) AS predicted FROM (SELECT 1.0::float8 AS a, 1 AS b) r;
-- the array form takes the features in training order
SELECT round(ai_predict('pr', ARRAY[2.5, 3])::numeric, 6) AS predicted;
SELECT round(ai_predict('pr', ARRAY[2.5, 3]::real[])::numeric, 6) AS predicted;
-- NULL row or NULL model name: NULL result
SELECT ai_predict('pr', NULL::pr) IS NULL AS null_row, ai_predict(NULL, ARRAY[1.0, 2.0]) IS NULL AS null_name;
-- many rows in one statement, two models in one statement
SELECT version FROM ai_train('pr2', 'linear_regression', 'SELECT a, y FROM pr', 'y');
SELECT count(*), round(sum(ai_predict('pr', p))::numeric, 4) = round(sum(y)::numeric, 4) AS exact,
       round(sum(ai_predict('pr2', p) - ai_predict('pr', p))::numeric, 4) AS diff_sum
  FROM pr p;

-- a retrain is used by the next statement; rollback too
SELECT version FROM ai_train('pr', 'linear_regression', 'SELECT a, b, y + 100 AS y FROM pr', 'y');
SELECT round(ai_predict('pr', ARRAY[2.5, 3])::numeric, 6) AS after_retrain;
SELECT ai_deploy('pr', 1);
SELECT round(ai_predict('pr', ARRAY[2.5, 3])::numeric, 6) AS after_rollback;
-- inside one transaction, too
BEGIN;
SELECT ai_deploy('pr', 2);
SELECT round(ai_predict('pr', ARRAY[2.5, 3])::numeric, 6) AS in_transaction;
ROLLBACK;
SELECT round(ai_predict('pr', ARRAY[2.5, 3])::numeric, 6) AS after_transaction_rollback;
-- a training that fails leaves no version behind
SELECT version FROM ai_train('pr', 'linear_regression', 'SELECT a, b, y FROM pr WHERE false', 'y');
SELECT max(version) AS latest FROM ai_models WHERE name = 'pr';

-- prediction from PL/pgSQL, repeated calls reuse the cached model
DO $$
DECLARE s float8 := 0;
BEGIN
  FOR i IN 1..1000 LOOP
    s := s + ai_predict('pr', ARRAY[i % 10, i % 7]);
  END LOOP;
  RAISE NOTICE 'sum %', round(s::numeric, 4);
END $$;

-- PL/pgSQL keeps expression state for the transaction; a deploy between its
-- statements is still seen by the next one
DO $$
DECLARE v float8;
BEGIN
  v := ai_predict('pr', ARRAY[2.5, 3]);
  RAISE NOTICE 'before deploy: %', round(v::numeric, 4);
  PERFORM ai_deploy('pr', 2);
  v := ai_predict('pr', ARRAY[2.5, 3]);
  RAISE NOTICE 'after deploy: %', round(v::numeric, 4);
END $$;

-- an enum and a boolean as categories
CREATE TYPE pr_size AS ENUM ('small', 'large');
CREATE TABLE pr_cat AS SELECT i, (ARRAY['small', 'large']::pr_size[])[1 + i % 2] AS size, i % 3 = 0 AS flag,
       10.0 + CASE WHEN i % 2 = 1 THEN 5 ELSE 0 END + CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END AS y
  FROM generate_series(1, 120) i;
SELECT version FROM ai_train('pr_cat', 'linear_regression', 'pr_cat', 'y', '{"exclude": ["i"], "l2": 1e-9}');
SELECT "position", feature, type, kind, inputs FROM ai_model_features('pr_cat');
SELECT size, flag, round(ai_predict('pr_cat', c)::numeric, 4) AS predicted
  FROM (SELECT DISTINCT size, flag FROM pr_cat) c ORDER BY 1, 2;
-- the same categories given as text match too
SELECT round(ai_predict('pr_cat', c)::numeric, 4) AS predicted
  FROM (SELECT 'large'::text AS size, true AS flag) c;

-- more models in one statement than the per-backend cache holds (32): the
-- fixed call site keeps working while the other one evicts models
SELECT count(*) AS trained FROM generate_series(1, 40) g,
  LATERAL ai_train('pr_many_' || g, 'linear_regression',
                   format('SELECT x, %s * x + %s AS y FROM generate_series(1, 5) x', g, g), 'y') t;
SELECT round(sum(ai_predict('pr', ARRAY[2.5, 3]))::numeric, 4) AS fixed,
       round(sum(ai_predict('pr_many_' || (i % 40 + 1), ARRAY[1.0]))::numeric, 4) AS rotating
  FROM generate_series(0, 399) i;

-- parallel query: each worker loads the model itself
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT round(sum(ai_predict('pr', p))::numeric, 4) AS parallel_sum FROM pr p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE pr, pr_cat;
DROP TYPE pr_size;
