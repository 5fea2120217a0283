-- Pruning of a neural_net: "prune" thins the dense and convolution weights
-- to a sparsity over the last epochs; pruned layers are stored sparse (CSR)
-- and predicted with the sparse kernel.  Values that depend on the CPU's
-- SGEMM kernels are compared with thresholds.
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- three classes from two numbers and a category (no random())
CREATE TABLE pn AS
  SELECT i AS id,
         (ARRAY['a', 'b', 'c'])[i % 3 + 1] AS cls,
         (ARRAY[0, 2, 0])[i % 3 + 1] + sin(i * 1.7) AS x1,
         (ARRAY[0, 0, 2])[i % 3 + 1] + cos(i * 2.3) AS x2,
         (ARRAY['red', 'green'])[i % 2 + 1] AS colour
    FROM generate_series(1, 600) i;

-- dense, pruned 80% (float32 and int8), pruned 90%; the same seed
CREATE TABLE pn_runs (name text, options jsonb);
INSERT INTO pn_runs VALUES
  ('pn_dense', '{}'),
  ('pn_p80', '{"prune": {"sparsity": 0.8, "epochs": 10}}'),
  ('pn_p80_int8', '{"prune": {"sparsity": 0.8, "epochs": 10}, "storage": "int8"}'),
  ('pn_p90', '{"prune": {"sparsity": 0.9}}');
SELECT r.name, a.version,
       (a.metrics->'train'->>'accuracy')::float8 >= 0.85 AS accurate,
       a.metrics->'pruning'->>'sparsity' AS sparsity,
       a.metrics->'pruning'->>'weights' AS weights,
       a.metrics->'pruning'->>'nonzero' AS nonzero,
       a.metrics->'pruning'->>'sparse_layers' AS sparse_layers
  FROM pn_runs r,
       LATERAL ai_train(r.name, 'neural_net', 'SELECT x1, x2, colour, cls FROM pn ORDER BY id', 'cls',
                        '{"layers": [{"dense": {"units": 64, "activation": "relu"}},
                                     {"dense": {"units": 32, "activation": "relu"}},
                                     {"dense": {"units": 3, "activation": "softmax"}}],
                          "epochs": 20, "batch_size": 32, "learning_rate": 0.01, "seed": 1, "test_size": 0}'::jsonb
                        || r.options) a
 ORDER BY r.name;

-- the blob sizes against the dense float32 one (the layers stored sparse, biases and
-- history as they are)
SELECT m.name, m.blob_size, round(m.blob_size::numeric / d.blob_size, 2) AS of_dense
  FROM ai_models m JOIN ai_models d ON d.name = 'pn_dense'
 WHERE m.name LIKE 'pn\_%' ORDER BY m.name;

-- the stored model (sparse kernel) predicts as the training network (dense
-- math on the same weights, after int8): its training metrics again
SELECT r.name,
       abs((e->>'log_loss')::float8 - (m.metrics->'train'->>'log_loss')::float8) < 1e-5 AS same_log_loss,
       (e->>'accuracy')::float8 = (m.metrics->'train'->>'accuracy')::float8 AS same_accuracy
  FROM pn_runs r
  JOIN ai_models m ON m.name = r.name,
       LATERAL ai_evaluate(r.name, 'SELECT x1, x2, colour, cls FROM pn') e
 ORDER BY r.name;

-- row by row (ai_predict_proba, the one-row kernel) equals a batch
-- (ai_evaluate's batches of 256) on the same rows
SELECT r.name,
       max(abs(p.proba[1] - q.proba[1])) < 1e-6 AS rows_equal_batches
  FROM pn_runs r,
       LATERAL (SELECT id, ai_predict_proba(r.name, t) AS proba FROM pn t) p
       JOIN LATERAL (SELECT ai_predict_proba(r.name, t) AS proba FROM pn t WHERE t.id = p.id) q ON true
 WHERE p.id % 50 = 0
 GROUP BY r.name ORDER BY r.name;

-- export and import: the same bytes, the same predictions
SELECT ai_import_model('pn_copy', ai_export_model('pn_p80_int8')) AS version;
SELECT ai_export_model('pn_copy') = ai_export_model('pn_p80_int8') AS same_bytes,
       bool_and(ai_classify('pn_copy', t) = ai_classify('pn_p80_int8', t)) AS same_labels
  FROM pn t;

-- a convolution network over an array column: conv2d pruned and stored sparse
CREATE TABLE pn_img AS
  SELECT i AS id,
         ARRAY(SELECT ((j * 7 + i * 3) % 11)::float8 / 10 + CASE WHEN i % 2 = 0 AND j % 6 < 3 THEN 1 ELSE 0 END
                 FROM generate_series(0, 35) j) AS img,
         (i % 2)::text AS y
    FROM generate_series(1, 200) i;
SELECT a.metrics->'pruning'->>'sparse_layers' AS sparse_layers,
       (a.metrics->'pruning'->>'sparsity')::float8 BETWEEN 0.69 AND 0.71 AS sparsity_0_7,
       (a.metrics->'train'->>'accuracy')::float8 >= 0.9 AS learns
  FROM ai_train('pn_conv', 'neural_net', 'SELECT img, y FROM pn_img', 'y',
                '{"layers": [{"conv2d": {"filters": 16, "kernel": 3, "activation": "relu"}},
                             {"flatten": {}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "input_shape": [6, 6, 1], "epochs": 15, "learning_rate": 0.01, "seed": 2,
                  "test_size": 0, "prune": {"sparsity": 0.7, "epochs": 5}}') a;
SELECT sum((ai_classify('pn_conv', img) = y)::int) >= 180 AS predicts FROM pn_img;

-- errors
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "prune": {"sparsity": 1}}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "prune": {"sparsity": -0.1}}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "epochs": 4,
                  "prune": {"sparsity": 0.5, "epochs": 5}}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "prune": {"sparsity": 0.5, "epochs": 0}}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "prune": {"epochs": 2}}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "prune": {"sparsity": 0.5, "start": 2}}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "prune": 0.5}');
SELECT ai_train('pn_bad', 'neural_net', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"layers": [{"dense": 3}, {"activation": "softmax"}], "patience": 2,
                  "prune": {"sparsity": 0.5}}');
SELECT ai_train('pn_bad', 'logistic_regression', 'SELECT x1, x2, cls FROM pn', 'cls',
                '{"prune": {"sparsity": 0.5}}');
SELECT count(*) FROM ai_models WHERE name = 'pn_bad';
