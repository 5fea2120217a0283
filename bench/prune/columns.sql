-- A pruned network over ordinary columns, one row a call (bench/prune/columns).
-- 12,000 rows of 256 float8 columns, 3 classes from a fixed linear rule;
-- an MLP 256-512-256-3 (about the size of bench/prune/run's 784-300-100-10)
-- trained on 10,000 rows, dense, pruned to 90% (sparse kernels) and to 50%
-- (stored sparse, run dense: density above 0.3), 6 epochs.  Prints rows/s
-- of ai_classify(name, t) over the other 2,000 rows, best of three.
\set ON_ERROR_STOP 1
SET pg_learn.threads = 1;
SELECT setseed(0.5);
DROP TABLE IF EXISTS pc_data;
SELECT format('CREATE TABLE pc_data AS SELECT i AS id, %s, '
              '(CASE WHEN %s > 0.3 THEN ''a'' WHEN %s > -0.3 THEN ''b'' ELSE ''c'' END) AS label '
              'FROM (SELECT i, %s FROM generate_series(1, 12000) i) s',
              string_agg(format('x%s', j), ', '),
              string_agg(format('x%s * %s', j, ((j % 7) - 3) / 10.0), ' + '),
              string_agg(format('x%s * %s', j, ((j % 7) - 3) / 10.0), ' + '),
              string_agg(format('random() * 2 - 1 AS x%s', j), ', '))
  FROM generate_series(1, 256) j \gexec
CREATE OR REPLACE FUNCTION pc_time(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0); END $$;
CREATE TEMP TABLE pc_results (name text, row_s float8);
\set layers '[{"dense": {"units": 512, "activation": "relu"}}, {"dense": {"units": 256, "activation": "relu"}}, {"dense": {"units": 3, "activation": "softmax"}}]'
SELECT (ai_train('pc_dense', 'neural_net', 'SELECT * FROM pc_data WHERE id > 2000', 'label',
                jsonb_build_object('layers', :'layers'::jsonb, 'epochs', 6, 'seed', 7, 'test_size', 0,
                                   'exclude', jsonb_build_array('id')))).seconds AS dense_train_s;
SELECT (ai_train('pc_pruned', 'neural_net', 'SELECT * FROM pc_data WHERE id > 2000', 'label',
                jsonb_build_object('layers', :'layers'::jsonb, 'epochs', 6, 'seed', 7, 'test_size', 0,
                                   'exclude', jsonb_build_array('id'),
                                   'prune', '{"sparsity": 0.9, "epochs": 3}'::jsonb))).seconds AS pruned_train_s;
SELECT (ai_train('pc_pruned50', 'neural_net', 'SELECT * FROM pc_data WHERE id > 2000', 'label',
                jsonb_build_object('layers', :'layers'::jsonb, 'epochs', 6, 'seed', 7, 'test_size', 0,
                                   'exclude', jsonb_build_array('id'),
                                   'prune', '{"sparsity": 0.5, "epochs": 3}'::jsonb))).seconds AS pruned_train_s;
INSERT INTO pc_results
SELECT n, pc_time(format('SELECT count(ai_classify(%L, t)) FROM pc_data t WHERE id <= 2000', n))
  FROM (VALUES ('pc_dense'), ('pc_pruned'), ('pc_pruned50')) v(n), generate_series(1, 3);
SELECT name, round(2000 / min(row_s)) AS "ai_classify rows/s",
       round((1000 * min(row_s) / 2000)::numeric, 3) AS "ms/row"
  FROM pc_results GROUP BY name ORDER BY name;
