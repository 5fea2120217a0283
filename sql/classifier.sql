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

-- the decision threshold: stored by "threshold", overridden per call
SELECT version FROM ai_train('cls_t03', 'logistic_regression', 'cls_rows', 'churned',
                             '{"exclude": ["id", "band"], "threshold": 0.3}');
SELECT count(*) FILTER (WHERE ai_classify('cls_t03', r) <> ai_classify('cls_default', r, threshold => 0.3))
         AS differ_from_override,
       count(*) FILTER (WHERE ai_classify('cls_t03', r)::boolean)
         > count(*) FILTER (WHERE ai_classify('cls_default', r)::boolean) AS more_true,
       count(*) FILTER (WHERE ai_classify('cls_t03', r, threshold => 0.5) <> ai_classify('cls_default', r))
         AS override_back
  FROM cls_rows r;
SELECT bool_and(ai_classify('cls_default', r, 0.3)::boolean = ((ai_predict_proba('cls_default', r))[2] >= 0.3))
       AS label_follows_threshold
  FROM cls_rows r;
-- the hold-out metrics are those of the stored threshold (metrics keep 10 digits)
SELECT abs((metrics -> 'test' ->> 'accuracy')::float8
           - (SELECT avg((ai_classify('cls_t03', r)::boolean = r.churned)::int)
                FROM cls_rows r WHERE ai_holdout(r, 42, 0.2))) < 1e-9 AS test_accuracy_uses_threshold
  FROM ai_models WHERE name = 'cls_t03';
-- the array and bytea forms, and the version argument after the threshold
SELECT ai_classify('cls_default', ARRAY[0.5, 0.5]::float8[], threshold => 0.01) AS low,
       ai_classify('cls_default', ARRAY[0.5, 0.5]::float8[], threshold => 0.99) AS high,
       ai_classify('cls_default', ARRAY[0.5, 0.5]::float8[], version => 1) AS pinned;

-- ai_classify_proba: the label with its probability, one model evaluation
SELECT bool_and(p.label = ai_classify('cls_t03', r)
                AND p.probability = (ai_predict_proba('cls_t03', r))[array_position(ai_model_classes('cls_t03'), p.label)])
       AS agrees
  FROM cls_rows r, LATERAL ai_classify_proba('cls_t03', r) p;
SELECT p.label, round(p.probability::numeric, 6) = round((ai_predict_proba('cls_band', ARRAY[0.1, 0.2]))[array_position(ai_model_classes('cls_band'), p.label)]::numeric, 6) AS same
  FROM ai_classify_proba('cls_band', ARRAY[0.1, 0.2]) p;
SELECT label, probability >= 0.01 AS at_least_threshold
  FROM ai_classify_proba('cls_default', ARRAY[0.5, 0.5], threshold => 0.01);
SELECT label FROM ai_classify_proba('cls_nn', ARRAY[0.5, 0.5]::float8[], version => 1);
SELECT * FROM ai_classify_proba('cls_default', NULL::float8[]);
-- errors
SELECT ai_classify('cls_default', ARRAY[0.5, 0.5], threshold => 1.5);
SELECT ai_classify('cls_band', ARRAY[0.5, 0.5], threshold => 0.5);
SELECT * FROM ai_classify_proba('cls_default', ARRAY[0.5, 0.5], threshold => 0);
