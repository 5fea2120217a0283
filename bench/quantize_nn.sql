-- bench/quantize_nn.sql: the neural_net part of bench/quantize, run after
-- bench/quantize.sql (it fills qb_results) on fashion_train / fashion_test as
-- bench/fashion_mnist/load.py --limit N creates them (bench/quantize runs it
-- when the data set is installed).  An MLP 784-128-10
-- (relu, softmax), Adam 0.001, batch 128, 5 epochs, one thread, trained once
-- per storage from the same seed on all of fashion_train (test_size 0) and
-- measured on fashion_test with ai_evaluate, plus the share of test images
-- whose label is float64's.
SET pg_learn.threads = 1;
SELECT ai_drop_model(name) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'qb\_nn\_%') m;
SELECT count(*) FROM qb_storage s,
  LATERAL ai_train('qb_nn_' || s.storage, 'neural_net', 'SELECT img, label FROM fashion_train ORDER BY id', 'label',
                   '{"layers": [{"dense": {"units": 128, "activation": "relu"}},
                                {"dense": {"units": 10, "activation": "softmax"}}],
                     "input_shape": [784], "scale": 0.00392156862745098, "learning_rate": 0.001,
                     "batch_size": 128, "epochs": 5, "test_size": 0, "seed": 7}'::jsonb
                   || jsonb_build_object('storage', s.storage)) a;
DELETE FROM qb_results WHERE algorithm = 'nn';
INSERT INTO qb_results
SELECT 'nn', s.storage, s.ord, m.blob_size, 'blob_size', m.blob_size
  FROM qb_storage s JOIN ai_models m ON m.name = 'qb_nn_' || s.storage;
INSERT INTO qb_results
SELECT 'nn', s.storage, s.ord, NULL, k, (e ->> k)::float8
  FROM qb_storage s, LATERAL ai_evaluate('qb_nn_' || s.storage, 'SELECT img, label FROM fashion_test') e,
       unnest(ARRAY['accuracy', 'log_loss']) k;
INSERT INTO qb_results
SELECT 'nn', s.storage, s.ord, NULL, 'same_label_pct',
       100.0 * avg((ai_classify('qb_nn_' || s.storage, t.img) = ai_classify('qb_nn_float64', t.img))::int)
  FROM qb_storage s, fashion_test t GROUP BY s.storage, s.ord;
