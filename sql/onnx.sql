-- ONNX models imported with ai_import_model(format => 'onnx') (docs/onnx.md):
-- fixtures from test/onnx/gen_sql_fixtures.py (torch 1.13), predictions
-- compared with torch's to 1e-5.
SET client_min_messages = warning;
\set VERBOSITY default
\i sql/onnx_data.sql

-- 1. a regressor over one [N, 4] input, fed from an array column "x" ...
SELECT ai_import_model('ox_reg', bytes, format => 'onnx') FROM onnx_files WHERE name = 'mlp_reg';
SELECT algorithm, target_name, feature_names[1:2], data_source FROM ai_models WHERE name = 'ox_reg';
SELECT "position", feature, type, kind FROM ai_model_features('ox_reg') LIMIT 2;
SELECT id, abs(ai_predict('ox_reg', r) - expected) < 1e-5 AS record_ok,
       abs(ai_predict('ox_reg', x) - expected) < 1e-5 AS array_ok
FROM onnx_reg_rows r ORDER BY id;
-- ... or from four numeric columns (option "columns")
SELECT ai_import_model('ox_reg_cols', bytes, format => 'onnx',
                       options => '{"columns": ["f1", "f2", "f3", "f4"]}') FROM onnx_files WHERE name = 'mlp_reg';
SELECT id, abs(ai_predict('ox_reg_cols', r) - expected) < 1e-5 AS ok FROM onnx_reg_rows r ORDER BY id;
SELECT bool_and(abs(ai_predict('ox_reg_cols', ARRAY[f1, f2, f3, f4]) - expected) < 1e-5) FROM onnx_reg_rows;
-- many rows in one statement: the model's graph is loaded once (at its first row) and
-- its plan and buffers serve every row
SELECT count(*) FROM generate_series(1, 200) g, onnx_reg_rows r WHERE ai_predict('ox_reg', r) IS NOT NULL;

-- 2. a softmax classifier: classes in the output's column order, stored sorted
SELECT ai_import_model('ox_cls', bytes, format => 'onnx',
                       options => '{"classes": ["cat", "ant", "bee"]}') FROM onnx_files WHERE name = 'mlp_cls';
SELECT id, ai_classify('ox_cls', x) =
           (ARRAY['cat', 'ant', 'bee'])[CASE greatest(p_cat, p_ant, p_bee) WHEN p_cat THEN 1 WHEN p_ant THEN 2 ELSE 3 END] AS class_ok
FROM onnx_cls_rows ORDER BY id;
-- ai_predict_proba gives the classes in sorted order: ant, bee, cat
SELECT id, abs(p[1] - p_ant) < 1e-5 AND abs(p[2] - p_bee) < 1e-5 AND abs(p[3] - p_cat) < 1e-5 AS proba_ok
FROM (SELECT r.*, ai_predict_proba('ox_cls', r) AS p FROM onnx_cls_rows r) s ORDER BY id;
-- the same network's logits: softmax applied
SELECT ai_import_model('ox_logits', bytes, format => 'onnx',
                       options => '{"classes": ["cat", "ant", "bee"], "output_kind": "logits"}') FROM onnx_files WHERE name = 'mlp_logits';
SELECT bool_and(abs(p[1] - p_ant) < 1e-5 AND abs(p[2] - p_bee) < 1e-5 AND abs(p[3] - p_cat) < 1e-5)
FROM (SELECT r.*, ai_predict_proba('ox_logits', x) AS p FROM onnx_cls_rows r) s;
-- logits read as probabilities are refused at predict
SELECT ai_import_model('ox_bad_kind', bytes, format => 'onnx',
                       options => '{"classes": ["cat", "ant", "bee"]}') FROM onnx_files WHERE name = 'mlp_logits';

-- 3. two inputs of one value each: two numeric columns named after them
SELECT ai_import_model('ox_two', bytes, format => 'onnx') FROM onnx_files WHERE name = 'two_inputs';
SELECT bool_and(abs(ai_predict('ox_two', r) - expected) < 1e-5) FROM onnx_two_rows r;
SELECT bool_and(abs(ai_predict('ox_two', ARRAY[a, b]) - expected) < 1e-5) FROM onnx_two_rows r;

-- 4. a CNN on 8x8 images: the image a 64-element array column, logits
SELECT ai_import_model('ox_cnn', bytes, format => 'onnx',
                       options => '{"classes": [0, 1, 2], "output_kind": "logits"}') FROM onnx_files WHERE name = 'cnn';
SELECT id, abs(p[1] - p0) < 1e-5 AND abs(p[2] - p1) < 1e-5 AND abs(p[3] - p2) < 1e-5 AS proba_ok,
       ai_classify('ox_cnn', img) AS class
FROM (SELECT r.*, ai_predict_proba('ox_cnn', r) AS p FROM onnx_img_rows r) s ORDER BY id;

-- ai_predict_tensor: output NULL is the model's output (probabilities in sorted order), or
-- any graph output by name, as computed
SELECT bool_and(abs(t[1] - p_ant) < 1e-5 AND abs(t[3] - p_cat) < 1e-5)
FROM (SELECT r.*, ai_predict_tensor('ox_cls', x) AS t FROM onnx_cls_rows r) s;
SELECT bool_and(abs(t[1] - p_cat) < 1e-5 AND abs(t[2] - p_ant) < 1e-5 AND abs(t[3] - p_bee) < 1e-5)
FROM (SELECT r.*, ai_predict_tensor('ox_cls', r, 'probs') AS t FROM onnx_cls_rows r) s;
SELECT cardinality(ai_predict_tensor('ox_cnn', img, 'logits')) FROM onnx_img_rows WHERE id = 0;
SELECT ai_predict_tensor('ox_cnn', img, 'nope') FROM onnx_img_rows WHERE id = 0;

-- 4b. an LSTM over a sequence of 5 steps of 3 values: a 15-element array column
SELECT ai_import_model('ox_lstm', bytes, format => 'onnx') FROM onnx_files WHERE name = 'lstm';
SELECT id, abs(ai_predict('ox_lstm', r) - expected) < 1e-5 AS record_ok,
       abs(ai_predict('ox_lstm', seq) - expected) < 1e-5 AS array_ok
FROM onnx_seq_rows r ORDER BY id;
-- an int64 input: integers fed as they are, a fraction refused
SELECT ai_import_model('ox_int', bytes, format => 'onnx') FROM onnx_files WHERE name = 'int_input';
SELECT type FROM ai_model_features('ox_int') LIMIT 1;
SELECT bool_and(abs(ai_predict('ox_int', r) - expected) < 1e-5) FROM onnx_int_rows r;
SELECT ai_predict('ox_int', ARRAY[1.5, 2]::float8[]);

-- 5. export (format pg_learn) and import again: the same bytes, the same predictions
SELECT ai_import_model('ox_copy', ai_export_model('ox_cls'));
SELECT ai_export_model('ox_copy') = ai_export_model('ox_cls') AS same_bytes;
SELECT position(f.bytes IN ai_export_model('ox_cls')) > 0 AS file_inside FROM onnx_files f WHERE name = 'mlp_cls';
SELECT bool_and(ai_classify('ox_copy', x) = ai_classify('ox_cls', x)) FROM onnx_cls_rows;

-- 6. errors
SELECT ai_predict('ox_reg', ARRAY[1, 2, NULL, 4]::float8[]);
SELECT ai_predict('ox_reg', ARRAY[1, 2, 3]::float8[]);
-- a regression output that is not finite (inputs beyond float: inf - inf in the first layer)
SELECT ai_predict('ox_reg', ARRAY[1e300, -1e300, 1e300, -1e300]::float8[]);
SELECT ai_predict('ox_cls', ARRAY[1, 2, 3]::float8[]);
SELECT ai_predict_proba('ox_bad_kind', x) FROM onnx_cls_rows LIMIT 1;
SELECT ai_import_model('ox_e', bytes, format => 'onnx') FROM onnx_files WHERE name = 'fixed_batch';
SELECT ai_import_model('ox_e', bytes, format => 'onnx') FROM onnx_files WHERE name = 'topk';
SELECT ai_import_model('ox_e', '\x0102'::bytea, format => 'onnx');
SELECT ai_import_model('ox_e', bytes, format => 'onnx') FROM onnx_files WHERE name = 'mlp_cls';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"classes": ["a", "b"]}') FROM onnx_files WHERE name = 'mlp_cls';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"classes": ["a", "b", "a"]}') FROM onnx_files WHERE name = 'mlp_cls';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"task": "classification"}') FROM onnx_files WHERE name = 'mlp_cls';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"output": "nope"}') FROM onnx_files WHERE name = 'mlp_reg';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"columns": ["a", "b"]}') FROM onnx_files WHERE name = 'mlp_reg';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"colour": 1}') FROM onnx_files WHERE name = 'mlp_reg';
SELECT ai_import_model('ox_e', bytes, format => 'onnx', options => '{"output_kind": "logits"}') FROM onnx_files WHERE name = 'mlp_reg';
SELECT ai_import_model('ox_e', bytes, options => '{}') FROM onnx_files WHERE name = 'mlp_reg';
-- an imported model exports as ONNX as the file it was imported from
SELECT ai_export_model('ox_reg', format => 'onnx') = f.bytes AS same_file FROM onnx_files f WHERE name = 'mlp_reg';
SELECT * FROM ai_feature_importance('ox_reg');
SELECT * FROM ai_train('ox_e', 'onnx', 'onnx_reg_rows', 'expected');
-- a file over pg_learn.max_train_memory: the regressor with a doc_string of 1.2 MB appended
-- (protobuf merges a repeated message: field 6 of ModelProto, length 1200000)
CREATE TEMP VIEW onnx_big AS SELECT bytes || '\x32809f49'::bytea || convert_to(repeat('x', 1200000), 'UTF8') AS bytes
FROM onnx_files WHERE name = 'mlp_reg';
SELECT ai_import_model('ox_e', bytes, format => 'onnx') FROM onnx_big;
SET pg_learn.max_train_memory = '1MB';
SELECT ai_import_model('ox_e', bytes, format => 'onnx') FROM onnx_big;
RESET pg_learn.max_train_memory;
-- the graph is loaded at its first use, under the setting of that moment: refused over it
-- (not as a corrupt model), then run once it is raised
SET pg_learn.max_train_memory = '1MB';
SELECT ai_predict('ox_e', x) FROM onnx_reg_rows WHERE id = 0;
RESET pg_learn.max_train_memory;
SELECT abs(ai_predict('ox_e', x) - expected) < 1e-5 AS ok FROM onnx_reg_rows WHERE id = 0;
SELECT ai_import_model(NULL, '\x00'::bytea);
SELECT count(*) FROM ai_models WHERE name = 'ox_e'; -- the big one, imported before the limit
SELECT ai_drop_model(name) FROM ai_models WHERE name LIKE 'ox\_%' ORDER BY name;
DROP VIEW onnx_big;
DROP TABLE onnx_files, onnx_reg_rows, onnx_cls_rows, onnx_two_rows, onnx_img_rows, onnx_seq_rows,
  onnx_int_rows;
