-- ai_explain: exact additive contributions, on the link scale, relative to a
-- reference row (numeric features at their training mean, categorical ones
-- at their most frequent category).
SET client_min_messages = notice;
CREATE TABLE ex AS SELECT i, (i % 10)::float8 AS x, (i % 7)::float8 AS z,
       (ARRAY['a', 'b', 'c'])[1 + i % 3] AS cat,
       1.0 + 2.0 * (i % 10) - 0.5 * (i % 7) + CASE i % 3 WHEN 0 THEN 3 ELSE 0 END AS y,
       (i % 10) + CASE i % 3 WHEN 0 THEN 4 ELSE 0 END > 7 AS hi,
       (ARRAY['low', 'mid', 'top'])[1 + least(2, (i % 10) / 4)] AS band
  FROM generate_series(1, 300) i;
SELECT version FROM ai_train('ex_lin', 'linear_regression', 'ex', 'y', '{"exclude": ["i", "hi", "band"], "l2": 0.001, "test_size": 0}');
SELECT version FROM ai_train('ex_log', 'logistic_regression', 'ex', 'hi', '{"exclude": ["i", "y", "band"], "test_size": 0}');
SELECT version FROM ai_train('ex_multi', 'logistic_regression', 'SELECT x, z, band FROM ex', 'band', '{"test_size": 0, "max_iter": 500}');

-- one row per feature and a (base) row; they add up to the prediction
SELECT feature, value, round(contribution::numeric, 4) AS contribution, class
  FROM ai_explain('ex_lin', (SELECT e FROM ex e WHERE i = 3));
SELECT bool_and(abs(s - p) < 1e-9) AS adds_up
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_lin', e)) AS s, ai_predict('ex_lin', e) AS p FROM ex e) q;
-- logistic: the log-odds of the second class
SELECT bool_and(abs(s - ln(p[2] / p[1])) < 1e-9) AS adds_up_to_log_odds, min(c) AS class
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_log', e)) AS s,
               (SELECT min(class) FROM ai_explain('ex_log', e)) AS c,
               ai_predict_proba('ex_log', e) AS p FROM ex e) q;
-- multiclass: the softmax input of the predicted class, which is the class reported
SELECT bool_and(c = ai_classify('ex_multi', e)) AS explains_the_predicted_class
  FROM (SELECT e, (SELECT min(class) FROM ai_explain('ex_multi', e)) AS c FROM ex e) q;
-- a feature at the reference (training mean / most frequent category) contributes 0;
-- NULL is imputed, an unseen category is shown as such
SELECT a.feature, a.value, round(a.contribution::numeric, 9) AS contribution
  FROM (SELECT (SELECT avg(x) FROM ex) AS x, NULL::float8 AS z, 'zzz'::text AS cat) r,
       LATERAL ai_explain('ex_lin', r) a
 WHERE a.feature <> '(base)';

-- errors
SELECT version FROM ai_train('ex_km', 'kmeans', 'SELECT x, z FROM ex', options => '{"k": 2}');
SELECT * FROM ai_explain('ex_km', (SELECT e FROM ex e WHERE i = 1));
SELECT * FROM ai_explain('ex_lin', (SELECT row(1.0) AS r));
SELECT * FROM ai_explain('nope', (SELECT e FROM ex e WHERE i = 1));

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE ex;
