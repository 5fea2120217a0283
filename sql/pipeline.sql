-- The one training pipeline: the rows of every family are read and checked
-- alike, so a neural_net over ordinary columns refuses bad data with the
-- messages (and details and hints) of the other algorithms.
SET client_min_messages = notice;
SET pg_learn.threads = 1;

CREATE TABLE pipe_rows AS
  SELECT i AS id, i * 0.5 AS x, NULL::float8 AS empty,
         CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 END AS gappy,
         (i % 2)::text AS label, i * 2.0 + 1 AS y
    FROM generate_series(1, 60) i;

-- a column NULL in every row: the same error for linear_regression and neural_net
SELECT version FROM ai_train('pipe_lin', 'linear_regression',
                             'SELECT x, empty, y FROM pipe_rows', 'y');
SELECT version FROM ai_train('pipe_nn', 'neural_net', 'SELECT x, empty, y FROM pipe_rows', 'y',
                             '{"layers": [{"dense": 1}], "epochs": 1}');

-- "nulls": "error"
SELECT version FROM ai_train('pipe_lin', 'linear_regression',
                             'SELECT x, gappy, y FROM pipe_rows', 'y', '{"nulls": "error"}');
SELECT version FROM ai_train('pipe_nn', 'neural_net', 'SELECT x, gappy, y FROM pipe_rows', 'y',
                             '{"layers": [{"dense": 1}], "epochs": 1, "nulls": "error"}');

-- no rows, with why
SELECT version FROM ai_train('pipe_lin', 'linear_regression',
                             'SELECT x, y FROM pipe_rows WHERE false', 'y');
SELECT version FROM ai_train('pipe_nn', 'neural_net', 'SELECT x, y FROM pipe_rows WHERE false',
                             'y', '{"layers": [{"dense": 1}], "epochs": 1}');
SELECT version FROM ai_train('pipe_nn', 'neural_net',
                             'SELECT x, NULL::float8 AS y FROM pipe_rows', 'y',
                             '{"layers": [{"dense": 1}], "epochs": 1}');

-- one class in the training rows
SELECT version FROM ai_train('pipe_nn', 'neural_net',
                             'SELECT x, ''a''::text AS label FROM pipe_rows', 'label',
                             '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}],
                               "epochs": 1}');

-- and what trains, trains the same way: rows used and the split
SELECT name, rows_used, metrics->'rows_train' AS rows_train, metrics->'rows_test' AS rows_test
  FROM ai_train('pipe_lin', 'linear_regression', 'SELECT x, gappy, y FROM pipe_rows', 'y');
SELECT name, rows_used, metrics->'rows_train' AS rows_train, metrics->'rows_test' AS rows_test
  FROM ai_train('pipe_nn', 'neural_net', 'SELECT x, gappy, y FROM pipe_rows', 'y',
                '{"layers": [{"dense": 1}], "epochs": 1}');
SELECT name, rows_used, metrics->'rows_train' AS rows_train, metrics->'rows_test' AS rows_test
  FROM ai_train('pipe_agg', 'linear_regression', 'SELECT x, gappy, y FROM pipe_rows', 'y',
                '{"method": "aggregate"}');

SELECT ai_drop_model('pipe_lin'), ai_drop_model('pipe_nn'), ai_drop_model('pipe_agg');
DROP TABLE pipe_rows;
