-- ai_evaluate: metrics computed in C on any table or query holding the target.
SET client_min_messages = notice;
CREATE TABLE ev AS SELECT i, (i % 10)::float8 AS x, 2.0 * (i % 10) + CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END AS y
  FROM generate_series(1, 200) i;
SELECT version FROM ai_train('ev', 'linear_regression', 'ev', 'y', '{"exclude": ["i"], "test_size": 0}');
-- regression metrics: n, r2, rmse, mae
SELECT jsonb_object_keys(ai_evaluate('ev', 'ev')) AS key ORDER BY 1;
SELECT (m ->> 'n')::int AS n, round((m ->> 'rmse')::numeric, 6) AS rmse, round((m ->> 'mae')::numeric, 6) AS mae,
       round((m ->> 'r2')::numeric, 6) AS r2
  FROM ai_evaluate('ev', 'SELECT * FROM ev') m;
-- r2 by hand agrees
SELECT round((1 - sum((y - ai_predict('ev', e)) ^ 2) / sum((y - (SELECT avg(y) FROM ev)) ^ 2))::numeric, 6) AS r2_sql
  FROM ev e;
-- other columns and column order do not matter; rows with a NULL target are skipped
SELECT (ai_evaluate('ev', 'SELECT y, ''z'' AS junk, x FROM ev UNION ALL SELECT NULL, ''z'', 1') ->> 'n')::int AS n;

-- classification: accuracy, macro and per-class precision/recall/F1, log-loss, AUC, confusion
CREATE TABLE evc AS SELECT i, (i % 10)::float8 AS x, CASE WHEN i % 10 >= 5 THEN 'hi' ELSE 'lo' END AS c
  FROM generate_series(1, 200) i;
SELECT version FROM ai_train('evc', 'logistic_regression', 'evc', 'c', '{"exclude": ["i"]}');
SELECT jsonb_object_keys(ai_evaluate('evc', 'evc')) AS key ORDER BY 1;
SELECT m ->> 'n' AS n, m ->> 'accuracy' AS accuracy, m ->> 'roc_auc' AS auc,
       (m ->> 'log_loss')::float8 < 0.1 AS low_loss, m -> 'confusion' AS confusion,
       m -> 'per_class' -> 'hi' AS hi
  FROM ai_evaluate('evc', 'evc') m;
-- flip the labels of 50 rows: 150 right, 50 wrong
SELECT m ->> 'accuracy' AS accuracy, m -> 'confusion' -> 'matrix' AS matrix,
       round((m ->> 'f1_macro')::numeric, 6) AS f1_macro,
       round((m -> 'per_class' -> 'lo' ->> 'precision')::numeric, 6) AS lo_precision
  FROM ai_evaluate('evc', 'SELECT x, CASE WHEN i <= 50 THEN CASE c WHEN ''hi'' THEN ''lo'' ELSE ''hi'' END ELSE c END AS c FROM evc') m;
-- three classes: no AUC
SELECT version FROM ai_train('evc3', 'logistic_regression',
  'SELECT x, CASE WHEN x < 3 THEN ''a'' WHEN x < 7 THEN ''b'' ELSE ''c'' END AS c FROM evc', 'c', '{"max_iter": 1000}');
SELECT m ? 'roc_auc' AS has_auc, jsonb_array_length(m -> 'confusion' -> 'labels') AS labels
  FROM ai_evaluate('evc3', 'SELECT x, CASE WHEN x < 3 THEN ''a'' WHEN x < 7 THEN ''b'' ELSE ''c'' END AS c FROM evc') m;

-- errors
SELECT ai_evaluate('ev', 'SELECT x FROM ev');
SELECT ai_evaluate('ev', 'SELECT y FROM ev');
SELECT ai_evaluate('ev', 'SELECT x, y FROM ev WHERE false');
SELECT ai_evaluate('evc', 'SELECT x, ''maybe'' AS c FROM evc');
SELECT ai_evaluate('ev', 'SELECT ''x''::text AS x, y FROM ev');
SELECT ai_evaluate('nope', 'ev');

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE ev, evc;
