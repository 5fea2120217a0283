-- ai_export_model(name, format => 'onnx') (docs/onnx.md, "Exporting pg_learn models"):
-- a model of each family exported, imported back with format 'onnx', and
-- predicting the same on the same rows.  Tolerance: |onnx - ours| <=
-- 1e-5 * max(1, |ours|) (the graph computes in float32, our linear models
-- and trees in double).
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

CREATE FUNCTION ex_close(p float8, q float8) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS $$ SELECT abs(p - q) <= 1e-5 * greatest(1, abs(q)) $$;
CREATE FUNCTION ex_close(p float8[], q float8[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(p) = cardinality(q) AND bool_and(ex_close(a, b)) FROM unnest(p, q) u(a, b) $$;

-- deterministic rows: three numbers, a category, a value, two and three classes
CREATE TABLE ex_rows AS
  SELECT i AS id, sin(i * 0.37) * 2 AS a, cos(i * 0.91) AS b, ((i * 37) % 101)::float8 / 101 AS c,
         (ARRAY['red', 'green', 'blue'])[i % 3 + 1] AS colour
    FROM generate_series(1, 300) i;
ALTER TABLE ex_rows ADD COLUMN y float8, ADD COLUMN label text, ADD COLUMN kind text;
UPDATE ex_rows SET
  y = 3 * a - 2 * b + c + CASE colour WHEN 'red' THEN 1 ELSE 0 END + 0.05 * sin(id * 13.1) + 10,
  label = CASE WHEN a + b + 0.3 * sin(id * 7.7) > 0.3 THEN 'yes' ELSE 'no' END,
  kind = CASE WHEN a < -0.5 THEN 'low' WHEN b < 0 THEN 'mid' ELSE 'high' END;
-- the encoded row of a model over (a, b, c, colour): colour one-hot in sorted order
-- (a NULL c is NaN: what a tree model's encoding gives)
CREATE VIEW ex_enc AS
  SELECT r.*, ARRAY[a, b, coalesce(c, 'NaN'), (colour = 'blue')::int, (colour = 'green')::int, (colour = 'red')::int]::float8[] AS x
    FROM ex_rows r;

-- 1. linear_regression: Gemm; numeric columns, imported back with "columns"
SELECT version FROM ai_train('ex_lin', 'linear_regression', 'SELECT a, b, c, y FROM ex_rows', 'y');
SELECT ai_import_model('ex_lin_onnx', ai_export_model('ex_lin', format => 'onnx'), format => 'onnx',
                       options => '{"columns": ["a", "b", "c"]}');
SELECT count(*) AS rows, count(*) FILTER (WHERE ex_close(ai_predict('ex_lin_onnx', r), ai_predict('ex_lin', r))) AS same
  FROM (SELECT a, b, c FROM ex_rows) r;
SELECT feature FROM ai_model_features('ex_lin_onnx') ORDER BY "position";
-- with a category: the ONNX model takes the encoded row (one-hot inside it)
SELECT version FROM ai_train('ex_lin_cat', 'linear_regression', 'SELECT a, b, c, colour, y FROM ex_rows', 'y');
SELECT ai_import_model('ex_lin_cat_onnx', ai_export_model('ex_lin_cat', format => 'onnx'), format => 'onnx');
SELECT count(*) FILTER (WHERE ex_close(ai_predict('ex_lin_cat_onnx', x), ai_predict('ex_lin_cat', e))) AS same
  FROM ex_enc e;

-- 2. logistic_regression: binary (Sigmoid) and multinomial (Softmax)
SELECT version FROM ai_train('ex_bin', 'logistic_regression', 'SELECT a, b, c, colour, label FROM ex_rows', 'label');
SELECT ai_import_model('ex_bin_onnx', ai_export_model('ex_bin', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_bin'))));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_bin_onnx', x), ai_predict_proba('ex_bin', e))) AS same_proba,
       count(*) FILTER (WHERE ai_classify('ex_bin_onnx', x) = ai_classify('ex_bin', e)) AS same_class
  FROM ex_enc e;
-- "positive_class": the classes in the model's order ("yes", "no"), a decision threshold
SELECT version FROM ai_train('ex_pos', 'logistic_regression', 'SELECT a, b, c, colour, label FROM ex_rows', 'label',
                             '{"positive_class": "no", "threshold": 0.3}');
SELECT ai_model_classes('ex_pos');
SELECT ai_import_model('ex_pos_onnx', ai_export_model('ex_pos', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_pos'))));
-- the graph's columns are [P(yes), P(no)]; the imported model keeps its classes sorted
-- (no, yes); the threshold is not in the graph: P(no) >= 0.3 gives "no"
SELECT count(*) FILTER (WHERE ex_close(p_onnx, ARRAY[p[2], p[1]])) AS same_proba,
       count(*) FILTER (WHERE CASE WHEN p_onnx[1] >= 0.3 THEN 'no' ELSE 'yes' END = cls) AS same_class
  FROM (SELECT ai_predict_proba('ex_pos_onnx', x) AS p_onnx, ai_predict_proba('ex_pos', e) AS p,
               ai_classify('ex_pos', e) AS cls FROM ex_enc e) s;
SELECT version FROM ai_train('ex_multi', 'logistic_regression', 'SELECT a, b, c, colour, kind FROM ex_rows', 'kind');
SELECT ai_import_model('ex_multi_onnx', ai_export_model('ex_multi', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_multi'))));
SELECT ai_model_classes('ex_multi_onnx');
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_multi_onnx', x), ai_predict_proba('ex_multi', e))) AS same_proba,
       count(*) FILTER (WHERE ai_classify('ex_multi_onnx', x) = ai_classify('ex_multi', e)) AS same_class
  FROM ex_enc e;

-- 3. neural_net over columns: the standardization in the graph; dense, dropout,
-- batchnorm, tanh / relu / leaky_relu / sigmoid / softmax
SELECT version FROM ai_train('ex_nn_reg', 'neural_net', 'SELECT a, b, c, colour, y FROM ex_rows', 'y',
  '{"layers": [{"dense": {"units": 12, "activation": "tanh"}}, {"dropout": 0.1}, {"batchnorm": {}},
               {"dense": {"units": 6, "activation": "relu"}}, {"dense": {"units": 1}}],
    "epochs": 20, "batch_size": 16, "learning_rate": 0.01, "seed": 1}');
SELECT ai_import_model('ex_nn_reg_onnx', ai_export_model('ex_nn_reg', format => 'onnx'), format => 'onnx');
SELECT count(*) FILTER (WHERE ex_close(ai_predict('ex_nn_reg_onnx', x), ai_predict('ex_nn_reg', e))) AS same
  FROM ex_enc e;
SELECT version FROM ai_train('ex_nn_multi', 'neural_net', 'SELECT a, b, c, colour, kind FROM ex_rows', 'kind',
  '{"layers": [{"dense": {"units": 10, "activation": "leaky_relu", "alpha": 0.1}}, {"batchnorm": {}},
               {"dense": {"units": 3, "activation": "softmax"}}],
    "epochs": 20, "batch_size": 16, "learning_rate": 0.01, "seed": 2}');
SELECT ai_import_model('ex_nn_multi_onnx', ai_export_model('ex_nn_multi', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_nn_multi'))));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_nn_multi_onnx', x), ai_predict_proba('ex_nn_multi', e))) AS same_proba
  FROM ex_enc e;
SELECT version FROM ai_train('ex_nn_bin', 'neural_net', 'SELECT a, b, c, label FROM ex_rows', 'label',
  '{"layers": [{"dense": {"units": 8, "activation": "sigmoid"}}, {"dense": {"units": 1, "activation": "sigmoid"}}],
    "epochs": 20, "batch_size": 16, "learning_rate": 0.02, "seed": 3}');
SELECT ai_import_model('ex_nn_bin_onnx', ai_export_model('ex_nn_bin', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_nn_bin')),
                                                     'columns', '["a", "b", "c"]'::jsonb));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_nn_bin_onnx', r), ai_predict_proba('ex_nn_bin', r))) AS same_proba
  FROM (SELECT a, b, c FROM ex_rows) r;

-- a network stored as int8: the decoded weights are exported
SELECT version FROM ai_train('ex_nn_int8', 'neural_net', 'SELECT a, b, c, colour, y FROM ex_rows', 'y',
  '{"layers": [{"dense": {"units": 12, "activation": "relu"}}, {"dense": {"units": 1}}],
    "epochs": 10, "seed": 4, "storage": "int8"}');
SELECT ai_import_model('ex_nn_int8_onnx', ai_export_model('ex_nn_int8', format => 'onnx'), format => 'onnx');
SELECT count(*) FILTER (WHERE ex_close(ai_predict('ex_nn_int8_onnx', x), ai_predict('ex_nn_int8', e))) AS same
  FROM ex_enc e;

-- 4. a CNN over an image array: the scale and the NHWC -> NCHW layout in the graph;
-- conv2d same and valid, maxpool2d, avgpool2d, batchnorm on channels, activation, flatten
CREATE TABLE ex_img AS
  SELECT i, (ARRAY['h', 'v', 'd'])[i % 3 + 1] AS kind,
         ARRAY(SELECT CASE WHEN (i % 3 = 0 AND r = 1 + i % 4) OR (i % 3 = 1 AND c = 1 + i % 4)
                            OR (i % 3 = 2 AND r = c) THEN 200 + i % 50 ELSE (i * 7 + r * 5 + c * 3) % 40 END
                 FROM generate_series(0, 5) r, generate_series(0, 5) c)::real[] AS img
    FROM generate_series(1, 120) i;
SELECT version FROM ai_train('ex_cnn', 'neural_net', 'SELECT img, kind FROM ex_img', 'kind',
  '{"layers": [{"conv2d": {"filters": 4, "kernel": 3, "padding": "same", "activation": "relu"}},
               {"batchnorm": {}},
               {"maxpool2d": 2},
               {"conv2d": {"filters": 5, "kernel": 2, "stride": 1, "padding": "valid"}},
               {"activation": "tanh"},
               {"avgpool2d": {"size": 2, "stride": 1}},
               {"flatten": {}},
               {"dense": {"units": 3, "activation": "softmax"}}],
    "input_shape": [6, 6, 1], "scale": 0.00392156862745098,
    "epochs": 10, "batch_size": 16, "learning_rate": 0.01, "seed": 2}');
SELECT ai_import_model('ex_cnn_onnx', ai_export_model('ex_cnn', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_cnn'))));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_cnn_onnx', img::float8[]), ai_predict_proba('ex_cnn', img))) AS same_proba
  FROM ex_img;
-- conv2d stride 2 (padding same: the extra row at the end), softmax over the channels
SELECT version FROM ai_train('ex_cnn2', 'neural_net', 'SELECT img, kind FROM ex_img', 'kind',
  '{"layers": [{"conv2d": {"filters": 3, "kernel": 3, "stride": 2, "padding": "same", "activation": "softmax"}},
               {"flatten": {}}, {"dense": {"units": 3, "activation": "softmax"}}],
    "input_shape": [6, 6, 1], "scale": 0.00392156862745098, "epochs": 5, "seed": 2}');
SELECT ai_import_model('ex_cnn2_onnx', ai_export_model('ex_cnn2', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_cnn2'))));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_cnn2_onnx', img::float8[]), ai_predict_proba('ex_cnn2', img))) AS same_proba
  FROM ex_img;

-- 5. trees through ai.onnx.ml TreeEnsembleRegressor, then the link.  Trained
-- with NULLs (missing: NaN in the encoded row, with a learned default
-- direction per split); an imported model refuses NaN at predict, so the rows
-- compared are the others (test_onnx_export.c runs NaN through the graph)
UPDATE ex_rows SET c = NULL WHERE id % 17 = 0;
SELECT version FROM ai_train('ex_xgb', 'xgboost', 'SELECT a, b, c, colour, y FROM ex_rows', 'y',
                             '{"n_estimators": 30, "max_depth": 4}');
SELECT ai_import_model('ex_xgb_onnx', ai_export_model('ex_xgb', format => 'onnx'), format => 'onnx');
SELECT count(*) FILTER (WHERE ex_close(ai_predict('ex_xgb_onnx', x), ai_predict('ex_xgb', e))) AS same
  FROM ex_enc e WHERE c IS NOT NULL;
SELECT version FROM ai_train('ex_xgb_bin', 'xgboost', 'SELECT a, b, c, colour, label FROM ex_rows', 'label',
                             '{"n_estimators": 20, "max_depth": 3}');
SELECT ai_import_model('ex_xgb_bin_onnx', ai_export_model('ex_xgb_bin', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_xgb_bin'))));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_xgb_bin_onnx', x), ai_predict_proba('ex_xgb_bin', e))) AS same_proba
  FROM ex_enc e WHERE c IS NOT NULL;
SELECT version FROM ai_train('ex_xgb_multi', 'xgboost', 'SELECT a, b, c, colour, kind FROM ex_rows', 'kind',
                             '{"n_estimators": 10, "max_depth": 3}');
SELECT ai_import_model('ex_xgb_multi_onnx', ai_export_model('ex_xgb_multi', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_xgb_multi'))));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_xgb_multi_onnx', x), ai_predict_proba('ex_xgb_multi', e))) AS same_proba
  FROM ex_enc e WHERE c IS NOT NULL;
SELECT version FROM ai_train('ex_rf', 'random_forest', 'SELECT a, b, c, y FROM ex_rows', 'y',
                             '{"n_estimators": 15, "max_depth": 5}');
SELECT ai_import_model('ex_rf_onnx', ai_export_model('ex_rf', format => 'onnx'), format => 'onnx',
                       options => '{"columns": ["a", "b", "c"]}');
SELECT count(*) FILTER (WHERE ex_close(ai_predict('ex_rf_onnx', r), ai_predict('ex_rf', r))) AS same
  FROM (SELECT a, b, c FROM ex_rows WHERE c IS NOT NULL) r;
SELECT version FROM ai_train('ex_rf_bin', 'random_forest', 'SELECT a, b, c, label FROM ex_rows', 'label',
                             '{"n_estimators": 10, "max_depth": 4}');
SELECT ai_import_model('ex_rf_bin_onnx', ai_export_model('ex_rf_bin', format => 'onnx'), format => 'onnx',
                       options => jsonb_build_object('classes', to_jsonb(ai_model_classes('ex_rf_bin')),
                                                     'columns', '["a", "b", "c"]'::jsonb));
SELECT count(*) FILTER (WHERE ex_close(ai_predict_proba('ex_rf_bin_onnx', r), ai_predict_proba('ex_rf_bin', r))) AS same_proba
  FROM (SELECT a, b, c FROM ex_rows WHERE c IS NOT NULL) r;

-- 6. what has no ONNX form is refused, naming it
\set VERBOSITY default
SELECT version FROM ai_train('ex_km', 'kmeans', 'SELECT a, b FROM ex_rows', NULL, '{"k": 2}');
SELECT ai_export_model('ex_km', format => 'onnx');
CREATE TABLE ex_seq AS
  SELECT i, ARRAY[i % 5 + 1, (i * 3) % 7 + 1, 0, 0] AS ids, (i % 2)::text AS label FROM generate_series(1, 40) i;
SELECT version FROM ai_train('ex_lstm', 'neural_net', 'SELECT ids, label FROM ex_seq', 'label',
  '{"layers": [{"embedding": {"vocab": 9, "dim": 4}}, {"lstm": {"units": 4}},
               {"dense": {"units": 2, "activation": "softmax"}}], "epochs": 1, "seed": 1}');
SELECT ai_export_model('ex_lstm', format => 'onnx');
SELECT ai_export_model('ex_nope', format => 'onnx');
SELECT ai_export_model('ex_lin', format => 'tflite');
-- the SQLSTATE of a refused export
DO $$ BEGIN PERFORM ai_export_model('ex_lstm', format => 'onnx');
EXCEPTION WHEN feature_not_supported THEN RAISE WARNING 'feature_not_supported: %', SQLERRM; END $$;
