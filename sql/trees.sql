--
-- Tree ensembles: xgboost (gradient boosting) and random_forest, trained by
-- libxgboost, predicted and explained by our own C (src/algo/trees.c).
--
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- deterministic data: a step of x, a nonlinear surface, labels, NULLs
CREATE TABLE xt_rows AS
  SELECT i AS id,
         ((i * 37) % 101)::float8 / 101 AS x,
         ((i * 53) % 97)::float8 / 97 AS z,
         ((i * 11) % 7)::float8 AS w,
         CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END AS colour
    FROM generate_series(1, 1200) i;
ALTER TABLE xt_rows
  ADD COLUMN step float8, ADD COLUMN surface float8, ADD COLUMN label text, ADD COLUMN kind text;
UPDATE xt_rows SET
  step = CASE WHEN x < 0.5 THEN 1 ELSE 3 END,
  surface = sin(6 * x) + z * z + CASE colour WHEN 'red' THEN 1 ELSE 0 END,
  label = CASE WHEN x + z > 1 THEN 'yes' ELSE 'no' END,
  kind = CASE WHEN x < 0.33 THEN 'a' WHEN z < 0.5 THEN 'b' ELSE 'c' END;

-- known answer: a step of one feature is learned exactly by one stump
-- (no shrinkage, no penalty: the leaves are the two means, 1 and 3)
SELECT algorithm, version FROM ai_train('xt_step', 'xgboost',
  'SELECT x, z, w, step FROM xt_rows', 'step',
  '{"max_depth": 1, "n_estimators": 1, "learning_rate": 1, "l2": 0, "test_size": 0}');
SELECT count(*) AS rows, count(*) FILTER (WHERE ai_predict('xt_step', r) = r.step) AS exact
  FROM (SELECT x, z, w, step FROM xt_rows) r;
SELECT feature, importance FROM ai_feature_importance('xt_step', kind => 'weight') ORDER BY 1;

-- regression on a nonlinear surface with a categorical column (one-hot)
SELECT version FROM ai_train('xt_reg', 'xgboost', 'xt_rows', 'surface',
  '{"exclude": ["id", "step", "label", "kind"], "n_estimators": 60, "max_depth": 4}');
SELECT (metrics->'test'->>'r2')::float8 > 0.95 AS test_r2_high,
       (metrics->>'iterations')::int AS rounds, metrics ? 'rows_train' AS has_rows
  FROM ai_models WHERE name = 'xt_reg';
SELECT (ai_evaluate('xt_reg', 'xt_rows')->>'r2')::float8 > 0.95 AS evaluate_r2_high;
-- the same model in the same process predicts the same, row by row or in a batch
SELECT count(DISTINCT ai_predict('xt_reg', r)) > 50 AS varied FROM xt_rows r;

-- binary labels (text): probabilities of both classes, classify, threshold
SELECT version FROM ai_train('xt_bin', 'xgboost', 'xt_rows', 'label',
  '{"exclude": ["id", "step", "surface", "kind"], "n_estimators": 30}');
SELECT ai_model_classes('xt_bin');
SELECT (metrics->'test'->>'accuracy')::float8 > 0.9 AS accurate FROM ai_models WHERE name = 'xt_bin';
SELECT max(abs((ai_predict_proba('xt_bin', r))[1] + (ai_predict_proba('xt_bin', r))[2] - 1)) < 1e-12
       AS sums_to_one,
       count(*) FILTER (WHERE ai_classify('xt_bin', r) <>
                              CASE WHEN (ai_predict_proba('xt_bin', r))[2] >= 0.5 THEN 'yes' ELSE 'no' END)
       AS classify_differs
  FROM xt_rows r;
SELECT count(*) FILTER (WHERE ai_classify('xt_bin', r, threshold => 0.99) = 'yes')
       <= count(*) FILTER (WHERE ai_classify('xt_bin', r) = 'yes') AS stricter
  FROM xt_rows r;
-- objective binary:logistic on three classes is refused
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'kind', '{"objective": "binary:logistic"}');

-- three classes: multi:softprob, one softmax group per class
SELECT version FROM ai_train('xt_multi', 'xgboost', 'xt_rows', 'kind',
  '{"exclude": ["id", "step", "surface", "label"], "n_estimators": 20, "max_depth": 3}');
SELECT ai_model_classes('xt_multi');
SELECT (metrics->'test'->>'accuracy')::float8 > 0.95 AS accurate FROM ai_models WHERE name = 'xt_multi';
SELECT ai_classify('xt_multi', r) AS class, count(*)
  FROM (SELECT x, z, w, colour FROM xt_rows) r GROUP BY 1 ORDER BY 1;
SELECT ai_predict('xt_multi', r) FROM (SELECT x, z, w, colour FROM xt_rows LIMIT 1) r;

-- NULLs: missing in training, each split learns where they go; a NULL at
-- prediction takes that direction (here: the rows whose x is missing have
-- target 10)
CREATE TABLE xt_nulls AS
  SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE ((i * 37) % 101)::float8 / 101 END AS x,
         ((i * 53) % 97)::float8 / 97 AS z,
         CASE WHEN i % 5 = 0 THEN 10 WHEN ((i * 37) % 101) < 50 THEN 1 ELSE 3 END::float8 AS y
    FROM generate_series(1, 1000) i;
SELECT version FROM ai_train('xt_null', 'xgboost', 'xt_nulls', 'y',
  '{"max_depth": 2, "n_estimators": 1, "learning_rate": 1, "l2": 0, "test_size": 0}');
SELECT round(ai_predict('xt_null', ARRAY[NULL, 0.5]::float8[])::numeric, 6) AS null_x,
       round(ai_predict('xt_null', ARRAY[0.2, 0.5]::float8[])::numeric, 6) AS low_x,
       round(ai_predict('xt_null', ARRAY[0.8, NULL]::float8[])::numeric, 6) AS high_x_null_z;
SELECT round(ai_predict('xt_null', r)::numeric, 6) AS null_x_row
  FROM (SELECT NULL::float8 AS x, 0.5::float8 AS z) r;
-- "nulls": "error" refuses them instead
SELECT ai_train('xt_null_err', 'xgboost', 'xt_nulls', 'y', '{"nulls": "error"}');

-- early stopping on the hold-out keeps the best round (pure noise target)
SELECT version FROM ai_train('xt_early', 'xgboost',
  'SELECT x, z, ((id * 7919) % 1009)::float8 / 1009 AS noise FROM xt_rows', 'noise',
  '{"n_estimators": 200, "early_stopping_rounds": 3, "max_depth": 6}');
SELECT (metrics->>'iterations')::int < 200 AS stopped_early FROM ai_models WHERE name = 'xt_early';
-- early stopping needs a hold-out
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface',
  '{"exclude": ["id", "step", "label", "kind"], "early_stopping_rounds": 3, "test_size": 0}');

-- other objectives
SELECT version FROM ai_train('xt_mae', 'xgboost', 'SELECT x, z, surface FROM xt_rows', 'surface',
  '{"objective": "reg:absoluteerror", "n_estimators": 30}');
SELECT version FROM ai_train('xt_pois', 'xgboost', 'SELECT x, z, w FROM xt_rows', 'w',
  '{"objective": "count:poisson", "n_estimators": 30}');
SELECT min(ai_predict('xt_pois', r)) > 0 AS positive FROM (SELECT x, z FROM xt_rows) r;
SELECT version FROM ai_train('xt_tw', 'xgboost', 'SELECT x, z, w FROM xt_rows', 'w',
  '{"objective": "reg:tweedie", "n_estimators": 10}');
-- a count objective refuses a negative target, a label objective a number
SELECT ai_train('xt_bad', 'xgboost', 'SELECT x, z - 0.5 AS t FROM xt_rows', 't',
  '{"objective": "count:poisson"}');
SELECT ai_train('xt_bad', 'xgboost', 'SELECT x, z FROM xt_rows', 'z',
  '{"objective": "multi:softprob"}');
SELECT ai_train('xt_bad', 'xgboost', 'SELECT x, label FROM xt_rows', 'label',
  '{"objective": "reg:squarederror"}');

-- random forest: one round of parallel trees, row and column subsampling
SELECT version FROM ai_train('xt_rf', 'random_forest', 'xt_rows', 'surface',
  '{"exclude": ["id", "step", "label", "kind"], "n_estimators": 40, "max_depth": 8}');
SELECT (metrics->'test'->>'r2')::float8 > 0.9 AS test_r2_high, (metrics->>'iterations')::int AS rounds
  FROM ai_models WHERE name = 'xt_rf';
SELECT version FROM ai_train('xt_rf_bin', 'random_forest', 'xt_rows', 'label',
  '{"exclude": ["id", "step", "surface", "kind"], "n_estimators": 20}');
SELECT (metrics->'test'->>'accuracy')::float8 > 0.9 AS accurate FROM ai_models WHERE name = 'xt_rf_bin';

-- option errors: unknown keys list the valid ones; values are range-checked
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"n_estimator": 10}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"n_estimators": 0}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"max_depth": 65}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"learning_rate": 0}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"subsample": 1.5}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"objective": "rank:pairwise"}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"nulls": "impute"}');
SELECT ai_train('xt_bad', 'random_forest', 'xt_rows', 'surface', '{"learning_rate": 0.1}');
SELECT ai_train('xt_bad', 'random_forest', 'xt_rows', 'surface', '{"early_stopping_rounds": 2}');
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', NULL, '{}');

-- ai_explain: exact TreeSHAP; contributions and (base) add up to the margin
SELECT abs(sum(contribution) - ai_predict('xt_reg', r)) < 1e-9 AS sums_to_prediction
  FROM xt_rows r, ai_explain('xt_reg', r) e WHERE r.id = 17 GROUP BY r.id, r.*;
SELECT abs(sum(e.contribution) - ln(p[2] / (1 - p[2]))) < 1e-9 AS sums_to_log_odds, min(e.class) AS class
  FROM (SELECT r, ai_predict_proba('xt_bin', r) AS p FROM xt_rows r WHERE id = 5) s,
       ai_explain('xt_bin', s.r) e GROUP BY p;
SELECT feature FROM (SELECT x, z, w FROM xt_rows WHERE id = 3) r, ai_explain('xt_step', r)
 WHERE contribution <> 0 ORDER BY 1;

-- split importance: gain, cover, weight (permutation still works)
SELECT feature, importance > 0 AS used FROM ai_feature_importance('xt_reg', kind => 'gain') ORDER BY 1;
SELECT count(*) AS features, bool_and(std IS NULL) AS no_std
  FROM ai_feature_importance('xt_reg', kind => 'cover');
SELECT count(*) AS features FROM ai_feature_importance('xt_reg', repeats => 1);
SELECT * FROM ai_feature_importance('xt_reg', kind => 'split');
SELECT version FROM ai_train('xt_lin', 'linear_regression', 'SELECT x, z, surface FROM xt_rows', 'surface');
SELECT * FROM ai_feature_importance('xt_lin', kind => 'gain');

-- storage: leaves are binary32 in XGBoost, so float32 storage changes no
-- prediction; split thresholds always stay binary32 (float16 would move rows)
SELECT version FROM ai_train('xt_f32', 'xgboost', 'xt_rows', 'surface',
  '{"exclude": ["id", "step", "label", "kind"], "n_estimators": 60, "max_depth": 4, "storage": "float32"}');
SELECT count(*) FILTER (WHERE ai_predict('xt_f32', r) <> ai_predict('xt_reg', r)) AS differ FROM xt_rows r;
SELECT version FROM ai_train('xt_f16', 'xgboost', 'xt_rows', 'surface',
  '{"exclude": ["id", "step", "label", "kind"], "n_estimators": 60, "max_depth": 4, "storage": "float16"}');
SELECT max(abs(ai_predict('xt_f16', r) - ai_predict('xt_reg', r))) < 0.01 AS close FROM xt_rows r;

-- export as XGBoost JSON and import it back: the same predictions, exactly
SELECT convert_from(ai_export_model('xt_multi', format => 'xgboost_json'), 'UTF8')::jsonb
         #>> '{learner,objective,name}' AS objective;
SELECT ai_import_model('xt_multi_json', ai_export_model('xt_multi', format => 'xgboost_json'),
                       format => 'xgboost_json') AS version;
SELECT ai_model_classes('xt_multi_json');
SELECT count(*) FILTER (WHERE ai_predict_proba('xt_multi_json', ARRAY[x, z, w, (colour = 'blue')::int,
         (colour = 'green')::int, (colour = 'red')::int]::float8[]) <> ai_predict_proba('xt_multi', r)) AS differ
  FROM xt_rows r;
SELECT ai_import_model('xt_reg_json', ai_export_model('xt_reg', format => 'xgboost_json'),
                       format => 'xgboost_json') AS version;
SELECT count(*) FILTER (WHERE ai_predict('xt_reg_json', ARRAY[x, z, w, (colour = 'blue')::int,
         (colour = 'green')::int, (colour = 'red')::int]::float8[]) <> ai_predict('xt_reg', r)) AS differ
  FROM xt_rows r;
SELECT algorithm, data_source FROM ai_models WHERE name = 'xt_reg_json';
-- bad formats and inputs
SELECT ai_export_model('xt_lin', format => 'xgboost_json');
SELECT ai_export_model('xt_reg', format => 'pmml');
SELECT ai_import_model('xt_bad', convert_to('{"learner": 1}', 'UTF8'), format => 'xgboost_json');
SELECT ai_import_model('xt_bad', convert_to('not json', 'UTF8'), format => 'xgboost_json');
SELECT ai_import_model('xt_bad', ai_export_model('xt_reg'), format => 'xgboost_json');

-- versions: the previous version answers with version => N
SELECT version FROM ai_train('xt_reg', 'xgboost', 'SELECT x, z, surface FROM xt_rows', 'surface',
  '{"n_estimators": 5}');
SELECT ai_predict('xt_reg', r) <> ai_predict('xt_reg', r, version => 1) AS versions_differ
  FROM xt_rows r WHERE id = 3;

-- XGBoost's copies of the rows count against pg_learn.max_train_memory
SET pg_learn.max_train_memory = '1MB';
SELECT ai_train('xt_bad', 'xgboost',
  'SELECT i::float8 AS a1, (i % 7)::float8 AS a2, (i % 11)::float8 AS a3, (i % 13)::float8 AS a4,
          (i % 17)::float8 AS a5, (i % 19)::float8 AS a6, (i % 23)::float8 AS a7, (i % 29)::float8 AS a8,
          (i % 31)::float8 AS y FROM generate_series(1, 8000) i', 'y', '{"test_size": 0}');
RESET pg_learn.max_train_memory;
-- a cancel between rounds (statement_timeout) frees the booster, and the next training works
SET statement_timeout = '300ms';
SELECT ai_train('xt_bad', 'xgboost', 'xt_rows', 'surface', '{"n_estimators": 100000}');
RESET statement_timeout;
SELECT version FROM ai_train('xt_after', 'xgboost', 'SELECT x, z, surface FROM xt_rows', 'surface',
  '{"n_estimators": 3}');

-- the options as ai_algorithm_options lists them
SELECT option, default_value FROM ai_algorithm_options('xgboost') ORDER BY 1;
SELECT option, default_value FROM ai_algorithm_options('random_forest') ORDER BY 1;

-- clean up
SELECT count(ai_drop_model(name)) > 0 AS dropped
  FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'xt%') m;
DROP TABLE xt_rows, xt_nulls;
