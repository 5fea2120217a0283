-- Accuracy on noisy data with known answers, and cancellation.
BEGIN;
SELECT plan(12);
SELECT setseed(0.5);

-- y = 4 + 1.5 a - 2 b + 0.5 c + N(0, 1) (Box-Muller)
CREATE TABLE acc AS
  SELECT a, b, c, 4 + 1.5 * a - 2 * b + 0.5 * c
         + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS y
    FROM (SELECT random() * 10 AS a, random() * 10 AS b, random() * 10 AS c
            FROM generate_series(1, 20000)) s;
SELECT is((SELECT version FROM ai_train('acc', 'linear_regression', 'acc', 'y')), 1, 'trains a linear model on 20,000 noisy rows');

SELECT cmp_ok(abs((SELECT coefficient FROM ai_model_coefficients('acc') WHERE feature = 'a') - 1.5), '<', 0.02::float8,
              'coefficient of a within 0.02 of 1.5');
SELECT cmp_ok(abs((SELECT coefficient FROM ai_model_coefficients('acc') WHERE feature = 'b') + 2), '<', 0.02::float8,
              'coefficient of b within 0.02 of -2');
SELECT cmp_ok(abs((SELECT coefficient FROM ai_model_coefficients('acc') WHERE feature = '(intercept)') - 4), '<', 0.1::float8,
              'intercept within 0.1 of 4');
SELECT cmp_ok(abs((SELECT (metrics -> 'test' ->> 'rmse')::float8 FROM ai_models WHERE name = 'acc') - 1), '<', 0.05::float8,
              'hold-out rmse close to the noise level 1');
SELECT cmp_ok((SELECT (metrics -> 'test' ->> 'r2')::float8 FROM ai_models WHERE name = 'acc'), '>', 0.95::float8,
              'hold-out r2 above 0.95');
-- evaluate on the training table agrees with the hold-out figures
SELECT cmp_ok(abs((ai_evaluate('acc', 'acc') ->> 'rmse')::float8 - 1), '<', 0.05::float8,
              'ai_evaluate rmse close to the noise level');

-- logistic: P(y) = sigmoid(2a - 2b); Bayes accuracy is known from the data
CREATE TABLE acc_log AS
  SELECT a, b, random() < 1 / (1 + exp(-(2 * a - 2 * b))) AS y,
         1 / (1 + exp(-(2 * a - 2 * b))) AS p_true
    FROM (SELECT random() * 2 - 1 AS a, random() * 2 - 1 AS b FROM generate_series(1, 20000)) s;
SELECT is((SELECT version FROM ai_train('acc_log', 'logistic_regression', 'SELECT a, b, y FROM acc_log', 'y')), 1, 'trains a logistic model on 20,000 rows');
SELECT cmp_ok(abs((SELECT coefficient FROM ai_model_coefficients('acc_log') WHERE feature = 'a') - 2), '<', 0.2::float8,
              'logistic coefficient of a within 0.2 of 2');
SELECT cmp_ok(
  (SELECT avg(abs((ai_predict_proba('acc_log', t))[2] - p_true)) FROM acc_log t), '<', 0.03::float8,
  'predicted probabilities within 0.03 of the true ones on average');
SELECT cmp_ok(
  (SELECT (metrics -> 'test' ->> 'accuracy')::float8 FROM ai_models WHERE name = 'acc_log'),
  '>', (SELECT avg(((p_true > 0.5) = y)::int)::float8 - 0.02 FROM acc_log),
  'hold-out accuracy within 2 points of the Bayes classifier');
SELECT cmp_ok((SELECT (metrics -> 'test' ->> 'roc_auc')::float8 FROM ai_models WHERE name = 'acc_log'), '>', 0.7::float8,
              'hold-out ROC AUC above 0.7');

SELECT * FROM finish();
ROLLBACK;
