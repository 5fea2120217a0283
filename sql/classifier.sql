--
-- Classifier ergonomics: which class is positive, class weights, the
-- decision threshold, and the label with its probability in one call.
--
SET client_min_messages = warning;
SET extra_float_digits = 0;

-- an imbalanced binary problem (about 1 row in 6 positive) and a 3-class one
CREATE TABLE cls_rows AS
  SELECT i AS id, (i % 11)::float8 / 10 AS x1, ((i * 7) % 13)::float8 / 13 AS x2,
         (i % 11) + ((i * 7) % 13) / 2.0 + (i % 3) > 11 AS churned,
         CASE WHEN i % 11 < 4 THEN 'low' WHEN i % 11 < 8 THEN 'mid' ELSE 'high' END AS band
    FROM generate_series(1, 600) i;
SELECT churned, count(*) FROM cls_rows GROUP BY 1 ORDER BY 1;

-- the default positive class of a boolean target is true (the second in order)
SELECT version FROM ai_train('cls_default', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"]}');
SELECT ai_model_classes('cls_default');
-- positive_class false: the classes swap, the coefficients change sign, and
-- the probability is that of false
SELECT version FROM ai_train('cls_false', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"], "positive_class": false}');
SELECT ai_model_classes('cls_false');
SELECT d.feature, sign(d.coefficient) AS default_sign, sign(f.coefficient) AS false_sign,
       abs(d.coefficient + f.coefficient) < 1e-6 * abs(d.coefficient) AS opposite
  FROM ai_model_coefficients('cls_default') d JOIN ai_model_coefficients('cls_false') f USING (feature)
 ORDER BY 1;
SELECT max(abs((ai_predict_proba('cls_default', r))[2] + (ai_predict_proba('cls_false', r))[2] - 1)) < 1e-9
       AS complementary
  FROM cls_rows r;
SELECT count(*) FILTER (WHERE ai_classify('cls_default', r) <> ai_classify('cls_false', r)) AS disagree
  FROM cls_rows r;
-- "positive_class" given as the text of the label works too
SELECT version FROM ai_train('cls_text', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"], "positive_class": "false"}');
SELECT ai_model_classes('cls_text');

-- class_weight "balanced" raises the recall of the rare class on the hold-out
SELECT version FROM ai_train('cls_balanced', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"], "class_weight": "balanced"}');
SELECT (b.metrics -> 'test' ->> 'recall_macro')::float8 > (d.metrics -> 'test' ->> 'recall_macro')::float8
       AS balanced_recall_higher
  FROM ai_models b, ai_models d WHERE b.name = 'cls_balanced' AND d.name = 'cls_default';
SELECT (SELECT count(*) FROM cls_rows r WHERE ai_classify('cls_balanced', r)::boolean)
     > (SELECT count(*) FROM cls_rows r WHERE ai_classify('cls_default', r)::boolean) AS more_positives;
-- a map of weights: the weight of true 5 says true more often than 1
SELECT version FROM ai_train('cls_map', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"], "class_weight": {"true": 5}}');
SELECT (SELECT count(*) FROM cls_rows r WHERE ai_classify('cls_map', r)::boolean)
     > (SELECT count(*) FROM cls_rows r WHERE ai_classify('cls_default', r)::boolean) AS more_positives;
-- multiclass class weights
SELECT version FROM ai_train('cls_band', 'logistic_regression', 'cls_rows', 'band',
                             '{"exclude": ["id", "churned"], "class_weight": {"high": 2, "low": 0.5}}');

-- neural_net: the same options
SELECT version FROM ai_train('cls_nn', 'neural_net', 'cls_rows', 'churned',
  '{"exclude": ["id", "band"], "layers": [{"dense": {"units": 8, "activation": "relu"}}, {"dense": {"units": 2, "activation": "softmax"}}],
    "epochs": 5, "positive_class": false, "class_weight": "balanced", "threshold": 0.6}');
SELECT ai_model_classes('cls_nn');

-- errors
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "positive_class": "maybe"}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'band',
                '{"exclude": ["id", "churned"], "positive_class": "high"}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'band',
                '{"exclude": ["id", "churned"], "threshold": 0.3}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "threshold": 1}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "positive_class": [1]}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "class_weight": "even"}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "class_weight": {"true": 0}}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "class_weight": {"maybe": 2}}');
SELECT ai_train('cls_e', 'logistic_regression', 'cls_rows', 'churned',
                '{"exclude": ["id", "band"], "class_weight": "balanced", "method": "aggregate"}');
SELECT ai_train('cls_e', 'neural_net', 'cls_rows', 'x1',
  '{"exclude": ["id", "band", "churned"], "layers": [{"dense": 1}], "class_weight": "balanced"}');
SELECT ai_train('cls_e', 'linear_regression', 'cls_rows', 'x1', '{"exclude": ["id", "band"], "threshold": 0.5}');
-- the aggregate method takes positive_class and threshold
SELECT version FROM ai_train('cls_agg', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"], "positive_class": false, "method": "aggregate"}');
SELECT ai_model_classes('cls_agg');
SELECT max(abs((ai_predict_proba('cls_agg', r))[2] - (ai_predict_proba('cls_false', r))[2])) < 1e-4 AS same_as_memory
  FROM cls_rows r;
