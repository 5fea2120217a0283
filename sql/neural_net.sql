-- neural_net: every layer, activation, loss and optimizer on small data,
-- prediction on both row shapes, the training history, and the error paths.
-- Accuracies are compared with thresholds: exact values depend on the CPU's
-- SGEMM kernels.
SET client_min_messages = notice;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- three classes from two numbers and a category (no random())
CREATE TABLE nn_points AS
  SELECT i AS id,
         (ARRAY['a', 'b', 'c'])[i % 3 + 1] AS cls,
         (ARRAY[0, 4, 0])[i % 3 + 1] + sin(i * 1.7) AS x1,
         (ARRAY[0, 0, 4])[i % 3 + 1] + cos(i * 2.3) AS x2,
         (ARRAY['red', 'green'])[i % 2 + 1] AS colour,
         CASE WHEN i % 3 = 0 THEN 'yes' ELSE 'no' END AS is_a
    FROM generate_series(1, 300) i;

-- dense + relu + dropout + batchnorm + softmax, Adam, ordinary columns
SELECT name, algorithm, rows_used,
       (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate,
       metrics->'epochs' AS epochs, metrics->'parameters' AS parameters,
       metrics->>'network' AS network
  FROM ai_train('nn_cls', 'neural_net', 'SELECT x1, x2, colour, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 16, "activation": "relu"}},
                             {"dropout": 0.1},
                             {"batchnorm": {}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "epochs": 30, "batch_size": 16, "learning_rate": 0.01, "seed": 1}');
SELECT cls, ai_classify('nn_cls', p) AS predicted, count(*)
  FROM nn_points p GROUP BY 1, 2 HAVING count(*) > 10 ORDER BY 1, 2;
-- a categorical column cannot come in a float8[]
SELECT ai_classify('nn_cls', ARRAY[4, 0, 1, 0]::float8[]);
SELECT array_length(ai_predict_proba('nn_cls', p), 1) AS n_proba,
       abs((SELECT sum(v) FROM unnest(ai_predict_proba('nn_cls', p)) v) - 1) < 1e-6 AS sums_to_1
  FROM nn_points p WHERE id = 3;
SELECT ai_model_classes('nn_cls');

-- binary: one sigmoid unit (sigmoid cross-entropy), tanh and leaky_relu, sgd with momentum
SELECT (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate, metrics->>'network' AS network
  FROM ai_train('nn_bin', 'neural_net', 'SELECT x1, x2, is_a FROM nn_points', 'is_a',
                '{"layers": [{"dense": {"units": 8, "activation": "tanh"}},
                             {"dense": {"units": 8, "activation": "leaky_relu", "alpha": 0.1}},
                             {"dense": {"units": 1, "activation": "sigmoid"}}],
                  "optimizer": "sgd", "momentum": 0.9, "learning_rate": 0.05,
                  "epochs": 40, "batch_size": 8, "init": "xavier", "seed": 3}');
SELECT ai_classify('nn_bin', p), array_length(ai_predict_proba('nn_bin', p), 1)
  FROM nn_points p WHERE id IN (3, 4) ORDER BY id;

-- regression (mean squared error): linear output, l2, He init, early stopping
CREATE TABLE nn_reg AS
  SELECT i, sin(i * 0.37) * 2 AS a, cos(i * 0.91) AS b,
         3 * sin(i * 0.37) * 2 - 2 * cos(i * 0.91) + 0.05 * sin(i * 13.1) + 10 AS y
    FROM generate_series(1, 400) i;
SELECT (metrics->'test'->>'r2')::float8 > 0.95 AS good_r2,
       (metrics->>'epochs')::int <= 200 AS stopped,
       (metrics->>'best_epoch')::int <= (metrics->>'epochs')::int AS best_kept
  FROM ai_train('nn_reg', 'neural_net', 'SELECT a, b, y FROM nn_reg', 'y',
                '{"layers": [{"dense": {"units": 16, "activation": "tanh"}},
                             {"dense": {"units": 8, "activation": "relu"}},
                             {"dense": {"units": 1, "activation": "linear"}}],
                  "l2": 0.0001, "init": "he", "epochs": 200, "patience": 5,
                  "learning_rate": 0.01, "test_size": 0.25, "seed": 5}');
SELECT abs(ai_predict('nn_reg', r) - y) < 1 AS close FROM nn_reg r WHERE i = 10;
SELECT abs(ai_predict('nn_reg', ARRAY[a, b]) - y) < 1 AS close_by_array FROM nn_reg WHERE i = 10;
-- one row per epoch; exactly the best one is kept, and has the lowest validation loss
SELECT count(*) > 0 AS has_epochs, count(*) FILTER (WHERE kept) AS kept,
       bool_and(validation_loss IS NOT NULL AND train_accuracy IS NULL) AS regression_columns
  FROM ai_training_history('nn_reg');
SELECT validation_loss = (SELECT min(validation_loss) FROM ai_training_history('nn_reg')) AS kept_is_best
  FROM ai_training_history('nn_reg') WHERE kept;

-- images: 6x6 with a horizontal, a vertical or a diagonal bar, as real[], smallint[] and bytea
CREATE TABLE nn_img AS
  SELECT i, i % 3 AS kind,
         ARRAY(SELECT CASE WHEN (i % 3 = 0 AND r = 1 + i % 4) OR (i % 3 = 1 AND c = 1 + i % 4)
                            OR (i % 3 = 2 AND r = c) THEN 200 + i % 50 ELSE (i * 7 + r * 5 + c * 3) % 40 END
                 FROM generate_series(0, 5) r, generate_series(0, 5) c)::smallint[] AS pix
    FROM generate_series(1, 360) i;
ALTER TABLE nn_img ADD COLUMN img real[], ADD COLUMN raw bytea;
UPDATE nn_img SET img = pix::real[];
UPDATE nn_img SET raw = decode((SELECT string_agg(lpad(to_hex(v::int), 2, '0'), '') FROM unnest(pix) v), 'hex');

-- conv2d (same, stride 1) + maxpool2d + conv2d (valid, stride 2) + avgpool2d + activation layer
SELECT (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate, metrics->>'network' AS network
  FROM ai_train('nn_cnn', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"conv2d": {"filters": 8, "kernel": 3, "padding": "same", "activation": "relu"}},
                             {"maxpool2d": 2},
                             {"conv2d": {"filters": 8, "kernel": [2, 2], "stride": 1, "padding": "valid"}},
                             {"activation": "tanh"},
                             {"avgpool2d": {"size": 2, "stride": 1}},
                             {"flatten": {}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "input_shape": [6, 6, 1], "scale": 0.00392156862745098,
                  "epochs": 40, "batch_size": 16, "learning_rate": 0.01, "seed": 2}');
SELECT bool_and(ai_classify('nn_cnn', t) = ai_classify('nn_cnn', img)) AS row_equals_array,
       avg((ai_classify('nn_cnn', img) = kind::text)::int) >= 0.9 AS accurate
  FROM nn_img t;
SELECT feature, type FROM ai_model_features('nn_cnn');
-- ai_evaluate reads the tensor column in batches: the same accuracy as row by row
SELECT (ai_evaluate('nn_cnn', 'SELECT img, kind FROM nn_img')->>'accuracy')::float8
       = (SELECT avg((ai_classify('nn_cnn', img) = kind::text)::int) FROM nn_img) AS same_accuracy,
       (ai_evaluate('nn_cnn', 'SELECT img, kind FROM nn_img')->>'n')::int AS n;
SELECT (ai_evaluate('nn_reg', 'SELECT a, b, y FROM nn_reg')->>'r2')::float8 > 0.95 AS evaluates_columns;

-- smallint[] input with conv2d stride 2 and sigmoid, the same data as bytea
SELECT (metrics->'test'->>'accuracy')::float8 >= 0.8 AS accurate, metrics->>'network' AS network
  FROM ai_train('nn_small', 'neural_net', 'SELECT pix, kind FROM nn_img', 'kind',
                '{"layers": [{"conv2d": {"filters": 6, "kernel": 3, "stride": 2, "padding": "same", "activation": "sigmoid"}},
                             {"flatten": {}}, {"dense": {"units": 3, "activation": "softmax"}}],
                  "input_shape": [6, 6], "scale": 0.00392156862745098,
                  "epochs": 40, "batch_size": 16, "learning_rate": 0.02, "seed": 2}');
SELECT metrics->>'network' AS network,
       (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate
  FROM ai_train('nn_bytes', 'neural_net', 'SELECT raw, kind FROM nn_img', 'kind',
                '{"layers": [{"flatten": {}}, {"dense": 32}, {"activation": "relu"},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "scale": 0.00392156862745098, "epochs": 40, "batch_size": 16, "seed": 2}');
SELECT avg((ai_classify('nn_bytes', raw) = kind::text)::int) >= 0.9 AS accurate_bytea,
       bool_and(ai_classify('nn_bytes', raw) = ai_classify('nn_bytes', t)) AS row_equals_bytea,
       bool_and(array_length(ai_predict_proba('nn_bytes', raw), 1) = 3) AS proba
  FROM nn_img t;
-- ai_classify_proba over bytea: ai_classify's label and that label's probability
SELECT bool_and(p.label = ai_classify('nn_bytes', t.raw)
                AND p.probability = (ai_predict_proba('nn_bytes', t.raw))[array_position(ai_model_classes('nn_bytes'), p.label)])
       AS bytea_label_with_probability
  FROM nn_img t, LATERAL ai_classify_proba('nn_bytes', t.raw) p;
SELECT ai_classify('nn_bytes', raw, threshold => 0.5) FROM nn_img LIMIT 1;

-- deterministic for a seed with pg_learn.threads = 1
SELECT a.metrics->'loss' = b.metrics->'loss' AS same_loss
  FROM ai_train('nn_det1', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "relu"}}, {"dense": {"units": 3, "activation": "softmax"}}], "epochs": 3, "seed": 9}') a,
       ai_train('nn_det2', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "relu"}}, {"dense": {"units": 3, "activation": "softmax"}}], "epochs": 3, "seed": 9}') b;

-- ---------- errors ----------
\set VERBOSITY default
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"epochs": 3}');
SELECT ai_train('e', 'neural_net', 'nn_points', options => '{"layers": [{"dense": 3}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": 3}], "max_iter": 3}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"rnn": {"units": 3}}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": {"units": -3}}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": {"activation": "relu"}}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": {"units": 3, "activation": "swish"}}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": {"units": 3, "kernel": 3}}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": 3, "dropout": 0.1}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dropout": 1.5}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"conv2d": {"filters": 2, "padding": "full"}}]}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": [{"dense": 3}], "optimizer": "rmsprop"}');
SELECT ai_train('e', 'neural_net', 'nn_points', 'cls', '{"layers": "dense"}');
-- shape errors name the layer and the shapes
SELECT ai_train('e', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 4, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "relu"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"conv2d": {"filters": 2}}, {"dense": {"units": 3, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"conv2d": {"filters": 2, "kernel": 3}}, {"dense": {"units": 3, "activation": "softmax"}}], "input_shape": [6, 6, 1]}');
SELECT ai_train('e', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"conv2d": {"filters": 2, "kernel": 7}}, {"flatten": {}}, {"dense": {"units": 3, "activation": "softmax"}}], "input_shape": [6, 6, 1]}');
SELECT ai_train('e', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"maxpool2d": 8}, {"flatten": {}}, {"dense": {"units": 3, "activation": "softmax"}}], "input_shape": [6, 6, 1]}');
SELECT ai_train('e', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "input_shape": [5, 5, 1]}');
SELECT ai_train('e', 'neural_net', 'SELECT img, kind, i FROM nn_img', 'kind',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "scale": 0.5}');
SELECT ai_train('e', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "input_shape": [3]}');
SELECT ai_train('e', 'neural_net', 'SELECT x1, x2, cls FROM nn_points', 'cls',
                '{"layers": [{"dense": {"units": 1}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT CASE WHEN i = 7 THEN ARRAY[1, NULL]::real[] ELSE ARRAY[1, 2]::real[] END AS v, i % 2 AS k FROM generate_series(1, 10) i', 'k',
                '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT CASE WHEN i = 7 THEN ARRAY[1, 2, 3]::real[] ELSE ARRAY[1, 2]::real[] END AS v, i % 2 AS k FROM generate_series(1, 10) i', 'k',
                '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT ARRAY[1, ''NaN'']::float8[] AS v, i % 2 AS k FROM generate_series(1, 10) i', 'k',
                '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT ARRAY[i, 1]::real[] AS v, i AS y FROM generate_series(1, 60) i', 'y',
                '{"layers": [{"dense": {"units": 1}}], "learning_rate": 10, "epochs": 5, "optimizer": "sgd", "scale": 1e15}');
SET pg_learn.max_train_memory = '1MB';
SELECT ai_train('e', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"conv2d": {"filters": 64, "kernel": 3, "padding": "same"}}, {"flatten": {}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "input_shape": [6, 6, 1], "batch_size": 1024}');
RESET pg_learn.max_train_memory;
-- interrupts are checked every batch: a timeout stops a long training
SET statement_timeout = '300ms';
SELECT ai_train('e', 'neural_net', 'SELECT img, kind FROM nn_img', 'kind',
                '{"layers": [{"conv2d": {"filters": 8, "kernel": 3}}, {"flatten": {}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "input_shape": [6, 6, 1], "epochs": 100000}');
RESET statement_timeout;
-- prediction errors
SELECT ai_predict('nn_cls', p) FROM nn_points p LIMIT 1;
SELECT ai_classify('nn_reg', r) FROM nn_reg r LIMIT 1;
SELECT ai_classify('nn_cnn', ARRAY[1, 2, 3]::float8[]);
SELECT ai_classify('nn_cnn', t) FROM (SELECT pix AS other FROM nn_img LIMIT 1) t;
SELECT ai_classify('nn_cnn', t) FROM (SELECT i AS img FROM nn_img LIMIT 1) t;
SELECT ai_classify('nn_cls', '\x0102'::bytea);
SELECT ai_predict('nn_bytes', '\x0102'::bytea);
SELECT ai_classify('nn_bytes', '\x0102'::bytea);
SELECT ai_evaluate('nn_cnn', 'SELECT pix AS other, kind FROM nn_img');
SELECT ai_evaluate('nn_cnn', 'SELECT i AS img, kind FROM nn_img');
SELECT ai_evaluate('nn_cnn', 'SELECT img, kind + 5 AS kind FROM nn_img');
SELECT * FROM ai_training_history('no_such_model');
SELECT ai_train('lin', 'linear_regression', 'SELECT a, y FROM nn_reg', 'y') IS NOT NULL AS trained;
SELECT * FROM ai_training_history('lin');

-- the models round-trip through export and import
SELECT ai_import_model('nn_cnn_copy', ai_export_model('nn_cnn')) AS version;
SELECT bool_and(ai_classify('nn_cnn_copy', img) = ai_classify('nn_cnn', img)) AS same FROM nn_img;
