-- Quantized storage of a neural_net: "storage" encodes the network's
-- weights ("nn_params"); float32 is what they are already.  Values that
-- depend on the CPU's SGEMM kernels are compared with thresholds.
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- three classes from two numbers and a category (no random())
CREATE TABLE qn AS
  SELECT i AS id,
         (ARRAY['a', 'b', 'c'])[i % 3 + 1] AS cls,
         (ARRAY[0, 2, 0])[i % 3 + 1] + sin(i * 1.7) AS x1,
         (ARRAY[0, 0, 2])[i % 3 + 1] + cos(i * 2.3) AS x2,
         (ARRAY['red', 'green'])[i % 2 + 1] AS colour,
         (ARRAY[0, 2, 0])[i % 3 + 1] + sin(i * 1.7) + 0.5 * cos(i * 2.3) AS y
    FROM generate_series(1, 600) i;
CREATE TABLE qn_storage (storage text, ord int);
INSERT INTO qn_storage VALUES ('float64', 1), ('float32', 2), ('float16', 3), ('int8', 4);

-- one classifier (with batchnorm, whose statistics stay float32) and one
-- regressor per storage, from the same seed
SELECT s.storage, c.version AS cls_version, r.version AS reg_version,
       (c.metrics->'test'->>'accuracy')::float8 >= 0.85 AS cls_accurate,
       (r.metrics->'test'->>'r2')::float8 >= 0.8 AS reg_accurate
  FROM qn_storage s,
       LATERAL ai_train('qn_cls_' || s.storage, 'neural_net', 'SELECT x1, x2, colour, cls FROM qn ORDER BY id', 'cls',
                        '{"layers": [{"dense": {"units": 32, "activation": "relu"}}, {"batchnorm": {}},
                                     {"dense": {"units": 3, "activation": "softmax"}}],
                          "epochs": 30, "batch_size": 32, "learning_rate": 0.01, "seed": 1}'::jsonb
                        || jsonb_build_object('storage', s.storage)) c,
       LATERAL ai_train('qn_reg_' || s.storage, 'neural_net', 'SELECT x1, x2, y FROM qn ORDER BY id', 'y',
                        '{"layers": [{"dense": {"units": 32, "activation": "tanh"}}, {"dense": {"units": 1}}],
                          "epochs": 40, "batch_size": 32, "learning_rate": 0.01, "seed": 1}'::jsonb
                        || jsonb_build_object('storage', s.storage)) r
 ORDER BY s.ord;

-- the blob gets smaller with float16 and int8; float32 is float64's size
SELECT s.storage, c.blob_size < f.blob_size AS cls_smaller, c.blob_size = f.blob_size AS cls_same,
       r.blob_size < g.blob_size AS reg_smaller
  FROM qn_storage s
  JOIN ai_models c ON c.name = 'qn_cls_' || s.storage
  JOIN ai_models r ON r.name = 'qn_reg_' || s.storage
  JOIN ai_models f ON f.name = 'qn_cls_float64'
  JOIN ai_models g ON g.name = 'qn_reg_float64'
 ORDER BY s.ord;
-- the weights ("parameters" of them) take 2 bytes each as float16; as int8,
-- 1 byte each in blocks of 64 (the last padded with zeros) plus a 4-byte
-- scale per block, instead of 4; plus a few bytes of encoding
SELECT s.storage, (f.blob_size - c.blob_size) BETWEEN saved - 16 AND saved AS saves_as_expected
  FROM (VALUES ('float16'), ('int8')) s(storage)
  JOIN ai_models c ON c.name = 'qn_cls_' || s.storage
  JOIN ai_models f ON f.name = 'qn_cls_float64',
       LATERAL (SELECT (c.metrics->>'parameters')::int AS n) p,
       LATERAL (SELECT CASE s.storage WHEN 'float16' THEN 2 * n
                       ELSE 4 * n - 68 * ceil(n / 64.0)::int END AS saved) v
 ORDER BY s.storage;

-- predictions stay close to the float32 network's: the labels that agree,
-- the largest probability difference, the regressor's largest difference
SELECT s.storage,
       sum((ai_classify('qn_cls_' || s.storage, q) = ai_classify('qn_cls_float64', q))::int) >= 585 AS same_labels_of_600,
       max(abs((ai_predict_proba('qn_cls_' || s.storage, q))[1]
               - (ai_predict_proba('qn_cls_float64', q))[1])) < CASE s.storage WHEN 'int8' THEN 0.1 ELSE 0.01 END AS proba_close,
       max(abs(ai_predict('qn_reg_' || s.storage, q) - ai_predict('qn_reg_float64', q)))
         < CASE s.storage WHEN 'int8' THEN 0.1 ELSE 0.01 END AS reg_close,
       bool_and(ai_predict('qn_reg_' || s.storage, q) = ai_predict('qn_reg_float64', q)) AS reg_identical
  FROM qn_storage s, qn q GROUP BY s.storage, s.ord ORDER BY s.ord;

-- the metrics are of the stored model: ai_evaluate over all rows gives the
-- RMSE that the "train" and "test" metrics combine to; the training itself
-- is the same (same loss), the int8 network's hold-out RMSE differs
SELECT s.storage,
       abs((ai_evaluate('qn_reg_' || s.storage, 'SELECT x1, x2, y FROM qn')->>'rmse')::float8
           - sqrt(((m.metrics->'train'->>'n')::float8 * (m.metrics->'train'->>'rmse')::float8 ^ 2
                   + (m.metrics->'test'->>'n')::float8 * (m.metrics->'test'->>'rmse')::float8 ^ 2) / 600)) < 1e-6
         AS metrics_of_stored,
       m.metrics->'loss' = f.metrics->'loss' AS same_training,
       m.metrics->'test'->'rmse' = f.metrics->'test'->'rmse' AS same_test_rmse
  FROM qn_storage s JOIN ai_models m ON m.name = 'qn_reg_' || s.storage
  JOIN ai_models f ON f.name = 'qn_reg_float64' ORDER BY s.ord;

-- export / import keeps the stored bytes, and the import predicts the same
SELECT ai_import_model('qn_copy', ai_export_model('qn_cls_int8'));
SELECT ai_export_model('qn_copy') = ai_export_model('qn_cls_int8') AS same_bytes,
       (SELECT bool_and(ai_predict_proba('qn_copy', q) = ai_predict_proba('qn_cls_int8', q)) FROM qn q) AS same_predictions;

-- errors
SELECT * FROM ai_train('qn_bad', 'neural_net', 'SELECT x1, x2, y FROM qn', 'y',
                       '{"layers": [{"dense": {"units": 1}}], "storage": "int4"}');
SELECT * FROM ai_train('qn_bad', 'neural_net', 'SELECT x1, x2, y FROM qn', 'y',
                       '{"layers": [{"dense": {"units": 1}}], "storage": 16}');
SELECT * FROM ai_train('qn_bad', 'neural_net', 'SELECT x1, x2, y FROM qn', 'y',
                       '{"layers": [{"dense": {"units": 1}}], "storage": "bfloat16"}');
