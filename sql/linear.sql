-- linear_regression: exact recovery, ridge, categorical one-hot, NULL
-- imputation, rank-deficient systems, hold-out split.
SET client_min_messages = notice;
SELECT setseed(0.2);
CREATE TABLE lin AS
  SELECT i AS id, x1, x2, x3, 3.0 + 2.0 * x1 - 1.5 * x2 + 0.25 * x3 AS y
    FROM (SELECT i, random() * 10 AS x1, random() * 5 - 2 AS x2, (random() * 100)::int AS x3
            FROM generate_series(1, 400) i) s;

-- noiseless data: coefficients recovered exactly, r2 = 1
SELECT version, rows_used, (metrics -> 'train' ->> 'r2')::float8 > 0.999999 AS exact,
       (metrics -> 'test' ->> 'rmse')::float8 < 1e-8 AS tiny_rmse, metrics ->> 'rank' AS rank
  FROM ai_train('lin', 'linear_regression', 'lin', 'y', '{"exclude": ["id"]}');
SELECT feature, class, round(coefficient::numeric, 6) AS coefficient FROM ai_model_coefficients('lin');
SELECT "position", feature, type, kind, inputs FROM ai_model_features('lin');

-- ridge shrinks the coefficients
SELECT version FROM ai_train('lin', 'linear_regression', 'lin', 'y', '{"exclude": ["id"], "l2": 10000}');
SELECT feature, abs(coefficient) < abs(CASE feature WHEN 'x1' THEN 2.0 WHEN 'x2' THEN 1.5 WHEN 'x3' THEN 0.25 ELSE 1e9 END) AS shrunk
  FROM ai_model_coefficients('lin') WHERE feature <> '(intercept)';

-- a SELECT as data, default hold-out only from 50 rows on
SELECT rows_used, metrics ? 'test' AS has_test, metrics ->> 'rows_test' AS rows_test
  FROM ai_train('lin_small', 'linear_regression', 'SELECT x1, x2, y FROM lin WHERE id <= 49', 'y');
SELECT rows_used, metrics ->> 'rows_test' AS rows_test
  FROM ai_train('lin_small', 'linear_regression', 'SELECT x1, x2, y FROM lin WHERE id <= 50', 'y');
SELECT rows_used, metrics ->> 'rows_test' AS rows_test
  FROM ai_train('lin_small', 'linear_regression', 'SELECT x1, x2, y FROM lin', 'y', '{"test_size": 0.5}');

-- the split is seeded: same seed, same metrics; another seed, other rows
SELECT a.metrics = b.metrics AS same_seed_same_metrics
  FROM ai_train('lin_s1', 'linear_regression', 'SELECT x1, y + sin(id) AS y FROM lin', 'y', '{"seed": 7}') a,
       ai_train('lin_s2', 'linear_regression', 'SELECT x1, y + sin(id) AS y FROM lin', 'y', '{"seed": 7}') b;
SELECT a.metrics -> 'test' = b.metrics -> 'test' AS other_seed_same_metrics
  FROM ai_train('lin_s1', 'linear_regression', 'SELECT x1, y + sin(id) AS y FROM lin', 'y', '{"seed": 7}') a,
       ai_train('lin_s2', 'linear_regression', 'SELECT x1, y + sin(id) AS y FROM lin', 'y', '{"seed": 8}') b;

-- categorical features: one-hot with the training vocabulary
CREATE TABLE lin_cat AS
  SELECT i, x, color, 1.0 + 0.5 * x + CASE color WHEN 'red' THEN 10 WHEN 'green' THEN 20 ELSE 30 END AS y
    FROM (SELECT i, (i % 17)::float8 AS x, (ARRAY['red', 'green', 'blue'])[1 + i % 3] AS color
            FROM generate_series(1, 300) i) s;
-- with l2 = 0 the one-hot columns plus intercept are collinear: NOTICE, minimum-norm solve
SELECT metrics ->> 'rank' AS rank, (metrics -> 'train' ->> 'rmse')::float8 < 1e-8 AS exact
  FROM ai_train('lin_cat', 'linear_regression', 'lin_cat', 'y', '{"exclude": ["i"]}');
SELECT c.color, round(ai_predict('lin_cat', c)::numeric, 6) AS predicted
  FROM (VALUES (2.0::float8, 'red'), (2.0, 'green'), (2.0, 'blue')) AS c(x, color);
-- an unseen category encodes as all zeros; NULL is imputed with the most frequent
SELECT c.color, round(ai_predict('lin_cat', c)::numeric, 6) AS predicted
  FROM (VALUES (2.0::float8, 'purple'), (2.0, NULL)) AS c(x, color);
-- with l2 > 0 no NOTICE
SELECT metrics ->> 'rank' AS rank FROM ai_train('lin_cat', 'linear_regression', 'lin_cat', 'y', '{"exclude": ["i"], "l2": 0.001}');

-- a duplicated and a constant column: rank-revealing fallback, finite result
CREATE TABLE lin_sing AS SELECT i::float8 AS a, i::float8 AS a_copy, 1.0::float8 AS one, 2.0 * i + 1 AS y
  FROM generate_series(1, 100) i;
SELECT metrics ->> 'rank' AS rank, (metrics -> 'train' ->> 'r2')::float8 > 0.999999 AS fits
  FROM ai_train('lin_sing', 'linear_regression', 'lin_sing', 'y');
SELECT feature, round(coefficient::numeric, 6) AS coefficient FROM ai_model_coefficients('lin_sing');
SELECT round(ai_predict('lin_sing', ARRAY[10, 10, 1])::numeric, 6) AS predicted;

-- NULL features are imputed with the training mean (or refused)
CREATE TABLE lin_null AS SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 9)::float8 END AS x, (i % 9) * 2.0 AS y
  FROM generate_series(1, 100) i;
SELECT rows_used FROM ai_train('lin_null', 'linear_regression', 'lin_null', 'y', '{"exclude": ["i"], "test_size": 0}');
SELECT round(ai_predict('lin_null', ARRAY[NULL]::float8[])::numeric, 6) =
       round(ai_predict('lin_null', ARRAY[(SELECT avg(x) FROM lin_null)])::numeric, 6) AS null_is_mean;
-- rows whose target is NULL are skipped
SELECT rows_used, metrics ->> 'rows_skipped_null_target' AS skipped
  FROM ai_train('lin_null', 'linear_regression', 'SELECT x, CASE WHEN i <= 5 THEN NULL ELSE y END AS y FROM lin_null', 'y');

-- integer, numeric and real features and targets
SELECT rows_used, (metrics -> 'train' ->> 'r2')::float8 > 0.999999 AS exact
  FROM ai_train('lin_types', 'linear_regression',
                'SELECT i::smallint AS s, (i * i)::bigint AS b, (i / 3.0)::numeric(10,4) AS n, (i % 5)::real AS r, (3 * (i % 5) + 7)::int AS y FROM generate_series(1, 60) i', 'y');

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE lin, lin_cat, lin_sing, lin_null;
