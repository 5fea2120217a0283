-- bench/onnx_export/models.sql: models of every exported family on the data of
-- sql/onnx_export.sql, and one row per model in ex_cases: its ONNX file, the
-- inputs (the encoded rows, or the image arrays, flattened row-major) and
-- pg_learn's own predictions on them (flattened [n, width]).
SET client_min_messages = warning;
SET pg_learn.threads = 1;
CREATE TABLE ex_rows AS
  SELECT i AS id, sin(i * 0.37) * 2 AS a, cos(i * 0.91) AS b, ((i * 37) % 101)::float8 / 101 AS c,
         (ARRAY['red', 'green', 'blue'])[i % 3 + 1] AS colour
    FROM generate_series(1, 300) i;
ALTER TABLE ex_rows ADD COLUMN y float8, ADD COLUMN label text, ADD COLUMN kind text;
UPDATE ex_rows SET
  y = 3 * a - 2 * b + c + CASE colour WHEN 'red' THEN 1 ELSE 0 END + 0.05 * sin(id * 13.1) + 10,
  label = CASE WHEN a + b + 0.3 * sin(id * 7.7) > 0.3 THEN 'yes' ELSE 'no' END,
  kind = CASE WHEN a < -0.5 THEN 'low' WHEN b < 0 THEN 'mid' ELSE 'high' END;
UPDATE ex_rows SET c = NULL WHERE id % 17 = 0;
-- the encoded row: NULL c is the training mean for linear models and networks
-- (filled in below per model), NaN for trees
CREATE TABLE ex_img AS
  SELECT i, (ARRAY['h', 'v', 'd'])[i % 3 + 1] AS kind,
         ARRAY(SELECT CASE WHEN (i % 3 = 0 AND r = 1 + i % 4) OR (i % 3 = 1 AND c = 1 + i % 4)
                            OR (i % 3 = 2 AND r = c) THEN 200 + i % 50 ELSE (i * 7 + r * 5 + c * 3) % 40 END
                 FROM generate_series(0, 5) r, generate_series(0, 5) c)::real[] AS img
    FROM generate_series(1, 120) i;

SELECT ai_train('lin', 'linear_regression', 'SELECT a, b, c, colour, y FROM ex_rows', 'y');
SELECT ai_train('logit_bin', 'logistic_regression', 'SELECT a, b, c, colour, label FROM ex_rows', 'label');
SELECT ai_train('logit_multi', 'logistic_regression', 'SELECT a, b, c, colour, kind FROM ex_rows', 'kind');
SELECT ai_train('nn_reg', 'neural_net', 'SELECT a, b, c, colour, y FROM ex_rows', 'y',
  '{"layers": [{"dense": {"units": 12, "activation": "tanh"}}, {"dropout": 0.1}, {"batchnorm": {}},
               {"dense": {"units": 6, "activation": "relu"}}, {"dense": {"units": 1}}],
    "epochs": 20, "batch_size": 16, "learning_rate": 0.01, "seed": 1}');
SELECT ai_train('nn_multi', 'neural_net', 'SELECT a, b, c, colour, kind FROM ex_rows', 'kind',
  '{"layers": [{"dense": {"units": 10, "activation": "leaky_relu", "alpha": 0.1}}, {"batchnorm": {}},
               {"dense": {"units": 3, "activation": "softmax"}}],
    "epochs": 20, "batch_size": 16, "learning_rate": 0.01, "seed": 2}');
SELECT ai_train('nn_bin', 'neural_net', 'SELECT a, b, c, colour, label FROM ex_rows', 'label',
  '{"layers": [{"dense": {"units": 8, "activation": "sigmoid"}}, {"dense": {"units": 1, "activation": "sigmoid"}}],
    "epochs": 20, "batch_size": 16, "learning_rate": 0.02, "seed": 3}');
SELECT ai_train('cnn', 'neural_net', 'SELECT img, kind FROM ex_img', 'kind',
  '{"layers": [{"conv2d": {"filters": 4, "kernel": 3, "padding": "same", "activation": "relu"}},
               {"batchnorm": {}}, {"maxpool2d": 2},
               {"conv2d": {"filters": 5, "kernel": 2, "stride": 1, "padding": "valid"}},
               {"activation": "tanh"}, {"avgpool2d": {"size": 2, "stride": 1}},
               {"flatten": {}}, {"dense": {"units": 3, "activation": "softmax"}}],
    "input_shape": [6, 6, 1], "scale": 0.00392156862745098,
    "epochs": 10, "batch_size": 16, "learning_rate": 0.01, "seed": 2}');
SELECT ai_train('cnn_stride2', 'neural_net', 'SELECT img, kind FROM ex_img', 'kind',
  '{"layers": [{"conv2d": {"filters": 3, "kernel": 3, "stride": 2, "padding": "same", "activation": "softmax"}},
               {"flatten": {}}, {"dense": {"units": 3, "activation": "softmax"}}],
    "input_shape": [6, 6, 1], "scale": 0.00392156862745098, "epochs": 5, "seed": 2}');
SELECT ai_train('xgb_reg', 'xgboost', 'SELECT a, b, c, colour, y FROM ex_rows', 'y', '{"n_estimators": 30, "max_depth": 4}');
SELECT ai_train('xgb_bin', 'xgboost', 'SELECT a, b, c, colour, label FROM ex_rows', 'label', '{"n_estimators": 20, "max_depth": 3}');
SELECT ai_train('xgb_multi', 'xgboost', 'SELECT a, b, c, colour, kind FROM ex_rows', 'kind', '{"n_estimators": 10, "max_depth": 3}');
SELECT ai_train('rf_reg', 'random_forest', 'SELECT a, b, c, colour, y FROM ex_rows', 'y', '{"n_estimators": 15, "max_depth": 5}');
SELECT ai_train('rf_bin', 'random_forest', 'SELECT a, b, c, colour, label FROM ex_rows', 'label', '{"n_estimators": 10, "max_depth": 4}');

-- the encoded rows: a NULL c is NaN for the trees; the other models impute
-- their training mean, which the rows compared leave out
CREATE TABLE ex_cases (name text, onnx bytea, x float8[], y float8[]);
INSERT INTO ex_cases
SELECT m.name, ai_export_model(m.name, format => 'onnx'), array_agg(l.x ORDER BY r.id), array_agg(l.p ORDER BY r.id)
  FROM (VALUES ('lin', false, false), ('logit_bin', true, false), ('logit_multi', true, false),
               ('nn_reg', false, false), ('nn_multi', true, false), ('nn_bin', true, false),
               ('xgb_reg', false, true), ('xgb_bin', true, true), ('xgb_multi', true, true),
               ('rf_reg', false, true), ('rf_bin', true, true)) m(name, cls, trees),
       ex_rows r,
       LATERAL (SELECT ARRAY[a, b, coalesce(c, 'NaN'), (colour = 'blue')::int, (colour = 'green')::int,
                             (colour = 'red')::int]::float8[] AS x,
                       CASE WHEN m.cls THEN ai_predict_proba(m.name, r) ELSE ARRAY[ai_predict(m.name, r)] END AS p) l
 WHERE r.c IS NOT NULL OR m.trees
 GROUP BY m.name;
INSERT INTO ex_cases
SELECT m.name, ai_export_model(m.name, format => 'onnx'), array_agg(img::float8[] ORDER BY i),
       array_agg(ai_predict_proba(m.name, img) ORDER BY i)
  FROM (VALUES ('cnn'), ('cnn_stride2')) m(name), ex_img
 GROUP BY m.name;
SELECT name, array_length(x, 1) AS rows, array_length(x, 2) AS width_in, array_length(y, 2) AS width_out,
       length(onnx) AS bytes
  FROM ex_cases ORDER BY name;
