-- pg_learn demo: a regression and a classifier on generated, realistic data,
-- recommendations, tuning, date features and training by aggregate passes.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pg_learn_demo;
CREATE DATABASE pg_learn_demo;
\c pg_learn_demo
SET client_min_messages = warning;
CREATE EXTENSION pg_learn;
SELECT setseed(0.42);

\echo
\echo '== 1. A table of 5,000 house sales (price depends on size, rooms, age, area) =='
CREATE TABLE houses AS
SELECT i AS id,
       sqft, bedrooms, bathrooms, age, neighborhood, has_garage,
       round((40000 + 120 * sqft + 8000 * bedrooms + 12000 * bathrooms - 900 * age
              + CASE neighborhood WHEN 'downtown' THEN 60000 WHEN 'suburb' THEN 20000 ELSE 0 END
              + CASE WHEN has_garage THEN 15000 ELSE 0 END
              + 20000 * (random() - 0.5) * 2)::numeric, 0) AS price
  FROM (SELECT i,
               (800 + random() * 2200)::int AS sqft,
               1 + (random() * 4)::int AS bedrooms,
               1 + (random() * 2)::int AS bathrooms,
               (random() * 60)::int AS age,
               (ARRAY['downtown', 'suburb', 'rural'])[1 + (random() * 2)::int] AS neighborhood,
               random() < 0.6 AS has_garage
          FROM generate_series(1, 5000) i) s;
SELECT * FROM houses ORDER BY id LIMIT 5;

\echo '== 2. Train a linear regression (20% held out) =='
SELECT name, version, algorithm, rows_used,
       metrics -> 'test' ->> 'r2' AS test_r2,
       metrics -> 'test' ->> 'rmse' AS test_rmse,
       round(seconds::numeric, 3) AS seconds
  FROM ai_train('house_price', 'linear_regression', 'houses', 'price',
                '{"exclude": ["id"]}');

\echo '== Coefficients on the original scale (true: 120/sqft, 8000/bedroom, -900/year) =='
SELECT feature, round(coefficient::numeric, 1) AS coefficient
  FROM ai_model_coefficients('house_price');

\echo '== 3. Score the table with one SELECT =='
SELECT id, sqft, neighborhood, price,
       round(ai_predict('house_price', h)::numeric) AS predicted
  FROM houses h ORDER BY id LIMIT 8;

\echo '== 4. 8,000 customers (and 2,000 who joined later, kept apart), a logistic regression classifier =='
CREATE TABLE all_customers AS
SELECT i AS customer_id, tenure_months, monthly_charges, contract, support_calls,
       random() < 1 / (1 + exp(-(-1.0 - 0.06 * tenure_months + 0.03 * monthly_charges
                                 + 0.5 * support_calls
                                 + CASE contract WHEN 'month-to-month' THEN 1.2
                                                 WHEN 'one-year' THEN 0 ELSE -1.0 END))) AS churned
  FROM (SELECT i,
               (random() * 72)::int AS tenure_months,
               round((20 + random() * 100)::numeric, 2) AS monthly_charges,
               (ARRAY['month-to-month', 'one-year', 'two-year'])[1 + (random() * 2)::int] AS contract,
               (random() * 5)::int AS support_calls
          FROM generate_series(1, 10000) i) s;
CREATE TABLE customers AS SELECT * FROM all_customers WHERE customer_id <= 8000;
CREATE TABLE customers_2026 AS SELECT * FROM all_customers WHERE customer_id > 8000;
DROP TABLE all_customers;

SELECT name, version, rows_used,
       metrics -> 'test' ->> 'accuracy' AS test_accuracy,
       metrics -> 'test' ->> 'roc_auc' AS test_auc,
       metrics -> 'test' ->> 'log_loss' AS test_log_loss
  FROM ai_train('churn', 'logistic_regression', 'customers', 'churned',
                '{"exclude": ["customer_id"]}');

\echo '== Classes, in the order ai_predict_proba uses =='
SELECT ai_model_classes('churn');

\echo '== 5. Predictions: label (cast back to boolean) and probability of churn =='
SELECT customer_id, tenure_months, contract, support_calls, churned,
       ai_classify('churn', c)::boolean AS predicted,
       round((ai_predict_proba('churn', c))[2]::numeric, 3) AS p_churn
  FROM customers c ORDER BY customer_id LIMIT 8;

\echo '== A lower decision threshold catches more churners: the label with its probability, in one call =='
SELECT c.customer_id, c.churned, p.label::boolean AS predicted_at_0_3, round(p.probability::numeric, 3) AS p_of_label
  FROM customers c, LATERAL ai_classify_proba('churn', c, threshold => 0.3) p
 ORDER BY c.customer_id LIMIT 5;

\echo '== 6. Evaluate on the 2,000 later customers, which the model never saw; confusion matrix =='
SELECT jsonb_pretty(ai_evaluate('churn', 'customers_2026') - 'per_class');

\echo '== Gradient-boosted trees (libxgboost) on the same customers, judged on the same later customers =='
SELECT name, algorithm, metrics -> 'test' ->> 'accuracy' AS test_accuracy,
       metrics -> 'test' ->> 'roc_auc' AS test_auc, metrics ->> 'iterations' AS rounds_kept
  FROM ai_train('churn_gbt', 'xgboost', 'customers', 'churned',
                '{"exclude": ["customer_id"], "n_estimators": 200, "learning_rate": 0.1,
                  "max_depth": 3, "early_stopping_rounds": 10}');
SELECT (ai_evaluate('churn', 'customers_2026') ->> 'roc_auc')::numeric(5, 4) AS logistic_auc,
       (ai_evaluate('churn_gbt', 'customers_2026') ->> 'roc_auc')::numeric(5, 4) AS xgboost_auc;

\echo '== Why customer 1 is scored so: exact TreeSHAP contributions to the log-odds of churn =='
SELECT e.feature, e.value, round(e.contribution::numeric, 3) AS contribution
  FROM customers c, LATERAL ai_explain('churn_gbt', c) e WHERE c.customer_id = 1;
SELECT feature, round(importance::numeric, 1) AS gain
  FROM ai_feature_importance('churn_gbt', kind => 'gain') ORDER BY importance DESC;

\echo '== A chart to look at: the ROC curve on the later customers, as SVG, written to /tmp/pg_learn_churn_roc.svg (open it in a browser) =='
SELECT ai_chart('churn', 'roc', 'customers_2026') \g (format=unaligned tuples_only=on) /tmp/pg_learn_churn_roc.svg

\echo '== 7. Versions: retrain with l2, roll back, list =='
SELECT version FROM ai_train('house_price', 'linear_regression', 'houses', 'price',
                             '{"exclude": ["id"], "l2": 1000}');
SELECT ai_deploy('house_price', 1);
SELECT name, version, algorithm, deployed, rows_used, blob_size,
       round((metrics -> 'test' ->> 'r2')::numeric, 4) AS test_r2
  FROM ai_models ORDER BY name, version;

\echo '== Shadow scoring: version 2 scores beside the deployed version 1, without being deployed =='
SELECT id, price, round(ai_predict('house_price', h)::numeric) AS live_v1,
       round(ai_predict('house_price', h, version => 2)::numeric) AS candidate_v2
  FROM houses h ORDER BY id LIMIT 3;

\echo '== Retrain, deploy only if the hold-out RMSE is not worse, keep at most 3 versions =='
SELECT version, deployed, metrics -> 'if_better' AS decision
  FROM ai_train('house_price', 'linear_regression', 'houses', 'price',
                '{"exclude": ["id"], "l2": 5000, "deploy": "if_better", "keep_versions": 3}');

\echo '== Every option of every algorithm, with its default (ai_algorithm_options) =='
SELECT option, type, default_value FROM ai_algorithm_options('logistic_regression') ORDER BY option;

\echo
\echo '== 8. Recommendations: about 36,000 star ratings of 300 films by 1,000 users, ALS =='
CREATE TABLE ratings AS
SELECT user_id, film_id,
       greatest(1, least(5, round(3.4 + 0.6 * sin(user_id * 0.37) * cos(film_id * 0.11)
                                   + 0.6 * cos(user_id * 0.13) * sin(film_id * 0.29)
                                   + 0.3 * (random() - 0.5))))::int AS stars
  FROM (SELECT 1 + (random() * 999)::int AS user_id,
               1 + floor(300 * random() ^ 1.8)::int AS film_id      -- a few films are popular
          FROM generate_series(1, 40000)) s
 GROUP BY 1, 2;
SELECT name, rows_used, metrics -> 'users' AS users, metrics -> 'items' AS films,
       round((metrics -> 'test' ->> 'rmse')::numeric, 3) AS test_rmse,
       round((metrics -> 'test' ->> 'recall@10')::numeric, 3) AS test_recall_at_10,
       round((metrics ->> 'seconds_per_iteration')::numeric, 4) AS s_per_iteration
  FROM ai_train('films', 'als', 'ratings', options => '{"factors": 16}');

\echo '== Five films for user 42 (ones they rated are left out) =='
SELECT item_id AS film_id, round(score::numeric, 2) AS predicted_stars FROM ai_recommend('films', 42, 5);

\echo '== Films like film 7, and a new user folded in from three ratings =='
SELECT item_id AS film_id, round(similarity::numeric, 3) AS similarity FROM ai_similar_items('films', 7, 3);
SELECT item_id AS film_id, round(score::numeric, 2) AS score
  FROM ai_recommend_for_ratings('films', ARRAY[1, 2, 3]::bigint[], ARRAY[5, 4, 1], 3);

\echo
\echo '== 9. Getting a good model: search l2 by 3-fold cross-validation inside ai_train =='
SELECT version, jsonb_path_query_first(metrics, '$.search.trials[*] ? (@.chosen == true).params.l2') AS chosen_l2,
       round((metrics -> 'test' ->> 'roc_auc')::numeric, 4) AS test_auc,
       jsonb_array_length(metrics -> 'search' -> 'trials') AS trials
  FROM ai_train('churn_tuned', 'logistic_regression', 'customers', 'churned',
                '{"exclude": ["customer_id"],
                  "search": {"params": {"l2": [0.001, 0.1, 10, 1000]}, "folds": 3, "metric": "roc_auc"}}');
\echo '== ... and ai_cross_validate: 5 folds of the house-price model, nothing stored =='
SELECT coalesce(fold::text, metrics ->> 'summary') AS fold,
       round(coalesce(metrics -> 'test' ->> 'rmse', metrics ->> 'rmse')::numeric) AS rmse,
       round(coalesce(metrics -> 'test' ->> 'r2', metrics ->> 'r2')::numeric, 4) AS r2
  FROM ai_cross_validate('house_cv', 'linear_regression', 'houses', 'price', '{"exclude": ["id"]}', 5);

\echo '== Dates as features: daily sales with a weekly cycle and a trend, the date column as it is =='
CREATE TABLE daily_sales AS
SELECT d::date AS day,
       round((200 + 0.1 * (d::date - date '2024-01-01')
              + CASE extract(isodow FROM d) WHEN 6 THEN 80 WHEN 7 THEN 60 ELSE 0 END
              + 10 * (random() - 0.5))::numeric, 1) AS sales
  FROM generate_series(date '2024-01-01', date '2025-12-31', interval '1 day') d;
SELECT version, round((metrics -> 'test' ->> 'r2')::numeric, 3) AS test_r2
  FROM ai_train('sales_by_day', 'xgboost', 'daily_sales', 'sales', '{"n_estimators": 60}');
SELECT feature, kind, encoding FROM ai_model_features('sales_by_day');
SELECT day, to_char(day, 'Dy') AS weekday, round(ai_predict('sales_by_day', t)::numeric) AS predicted
  FROM (SELECT g::date AS day FROM generate_series(date '2026-01-02', date '2026-01-05', interval '1 day') g) t;

\echo '== Training by aggregate passes (for data that does not fit, or for Citus): the same model =='
SELECT name, coalesce(metrics ->> 'method', 'memory') AS method, metrics ->> 'passes' AS passes,
       round((metrics -> 'test' ->> 'r2')::numeric, 6) AS test_r2
  FROM ai_train('house_price_agg', 'linear_regression', 'SELECT sqft, bedrooms, bathrooms, age, price FROM houses',
                'price', '{"method": "aggregate"}')
UNION ALL
SELECT name, 'memory', NULL, round((metrics -> 'test' ->> 'r2')::numeric, 6)
  FROM ai_train('house_price_mem', 'linear_regression', 'SELECT sqft, bedrooms, bathrooms, age, price FROM houses',
                'price', '{"method": "memory"}');

\echo '== Text as features: TF-IDF of a review column, then the words that decided one prediction =='
CREATE TABLE demo_reviews AS
SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'pos' ELSE 'neg' END AS label,
       (ARRAY['the film was', 'this movie felt', 'the story is', 'our evening was'])[1 + (i / 2) % 4] || ' '
       || CASE WHEN i % 2 = 0 THEN (ARRAY['great', 'wonderful', 'moving', 'a delight'])[1 + (i / 8) % 4]
               ELSE (ARRAY['dull', 'awful', 'too long', 'a mess'])[1 + (i / 8) % 4] END AS body
  FROM generate_series(1, 400) i;
SELECT round((metrics -> 'test' ->> 'accuracy')::numeric, 3) AS test_accuracy
  FROM ai_train('review_sentiment', 'logistic_regression', 'demo_reviews', 'label', '{"text": ["body"], "exclude": ["id"]}');
SELECT feature, round(contribution::numeric, 2) AS contribution
  FROM ai_explain('review_sentiment', (SELECT r FROM (SELECT 'The film was a delight' AS body) r)) ORDER BY 2 DESC;

\echo '== Text as token ids: "good and not bad" against "not good and bad", the same words; only order tells =='
SELECT setseed(0.42) \g /dev/null
CREATE TABLE demo_negations AS
SELECT format('the %s was %s %s %s and %s %s %s', (ARRAY['food', 'hotel', 'show', 'book'])[1 + floor(random() * 4)::int],
              CASE WHEN n THEN 'not' END, (ARRAY['really', 'quite', 'very'])[1 + floor(random() * 3)::int], CASE WHEN p THEN pa ELSE na END,
              CASE WHEN NOT n THEN 'not' END, (ARRAY['really', 'quite', 'very'])[1 + floor(random() * 3)::int], CASE WHEN p THEN na ELSE pa END) AS review,
       CASE WHEN n = p THEN 'negative' ELSE 'positive' END AS label
  FROM (SELECT random() < 0.5 AS n, random() < 0.5 AS p, (ARRAY['good', 'fine', 'nice'])[1 + floor(random() * 3)::int] AS pa,
               (ARRAY['bad', 'dull', 'poor'])[1 + floor(random() * 3)::int] AS na FROM generate_series(1, 2000)) x;
SELECT 'tf-idf + logistic' AS model, round((metrics -> 'test' ->> 'accuracy')::numeric, 2) AS test_accuracy
  FROM ai_train('negation_tfidf', 'logistic_regression', 'demo_negations', 'label', '{"text": ["review"]}')
UNION ALL
SELECT 'word ids + lstm', round((metrics -> 'test' ->> 'accuracy')::numeric, 2)
  FROM ai_train('negation_lstm', 'neural_net', 'demo_negations', 'label',
                '{"text": ["review"], "tokenizer": "word", "epochs": 15, "learning_rate": 0.01, "layers": [{"embedding": {"dim": 8}}, {"lstm": {"units": 8}}, {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_classify('negation_lstm', r) AS lstm_says FROM (SELECT 'the food was really good and not quite bad' AS review) r;

\echo '== Bring your own model: a linear model exported from PyTorch to ONNX (price = 150 sqft - 900 age + 50000), imported and scored =='
-- torch.onnx.export(nn.Linear(2, 1), ..., input_names=["x"], dynamic_axes={"x": {0: "batch"}}); the file embedded here
SELECT ai_import_model('price_onnx', decode('CAcSB3B5dG9yY2gaBjEuMTMuMDrQAQpbCgF4CghsLndlaWdodAoGbC5iaWFzEgVwcmljZRoHL2wvR2VtbSIER2VtbSoPCgVhbHBoYRUAAIA/oAEBKg4KBGJldGEVAACAP6ABASoNCgZ0cmFuc0IYAaABAhIJdG9yY2hfaml0KhoIAQgCEAFCCGwud2VpZ2h0SggAABZDAABhxCoSCAEQAUIGbC5iaWFzSgQAUENHWhgKAXgSEwoRCAESDQoHEgViYXRjaAoCCAJiHAoFcHJpY2USEwoRCAESDQoHEgViYXRjaAoCCAFCAhAN', 'base64'),
                       format => 'onnx', options => '{"columns": ["sqft", "age"]}') AS version;
SELECT feature, type, kind FROM ai_model_features('price_onnx');
SELECT id, sqft, age, price, round(ai_predict('price_onnx', h)::numeric) AS onnx_price
  FROM houses h ORDER BY id LIMIT 5;

\echo '== ...and back: a pg_learn model exported as an ONNX file (ai_export_model format onnx), imported again, the same predictions =='
SELECT length(ai_export_model('house_price_agg', format => 'onnx')) AS onnx_bytes,
       ai_import_model('house_price_onnx', ai_export_model('house_price_agg', format => 'onnx'), format => 'onnx',
                       options => '{"columns": ["sqft", "bedrooms", "bathrooms", "age"]}') AS version;
SELECT id, round(ai_predict('house_price_agg', h)::numeric) AS pg_learn, round(ai_predict('house_price_onnx', h)::numeric) AS via_onnx
  FROM houses h ORDER BY id LIMIT 3;

\echo '== Anomalies: an isolation forest flags the two sensor readings planted far from the others =='
CREATE TABLE demo_sensors AS
  SELECT i AS id, 20 + 2 * sin(i) AS temp, 50 + 5 * cos(i * 1.3) AS humidity FROM generate_series(1, 1000) i;
INSERT INTO demo_sensors VALUES (1001, 35, 10), (1002, 5, 90);
SELECT metrics -> 'train' -> 'anomalies' AS flagged
  FROM ai_train('sensor_anomalies', 'isolation_forest', 'SELECT temp, humidity FROM demo_sensors', options => '{"contamination": 0.001}');
SELECT s.id, s.temp, s.humidity, round(a.score::numeric, 3) AS score
  FROM demo_sensors s, LATERAL ai_detect_anomalies('sensor_anomalies', s) a WHERE a.is_anomaly ORDER BY a.score DESC;

\echo '== Autoencoder: a variational one learns the readings, scores them, and generates new ones =='
SELECT metrics -> 'train' -> 'anomalies' AS flagged, metrics -> 'latent' AS latent
  FROM ai_train('sensor_vae', 'neural_net', 'SELECT temp, humidity FROM demo_sensors',
                options => '{"task": "autoencoder", "variational": true, "contamination": 0.002, "epochs": 20, "learning_rate": 0.01, "layers": [{"dense": {"units": 8, "activation": "tanh"}}, {"dense": 1}, {"dense": {"units": 8, "activation": "tanh"}}, {"dense": 2}]}');
SELECT g FROM ai_generate('sensor_vae', 3, seed => 1) g;

\echo '== Drift: the houses model against this year''s listings (bigger, and a new neighbourhood) =='
SELECT feature, statistic, round(value::numeric, 3) AS value, threshold, drifted
  FROM ai_drift('house_price', 'SELECT sqft * 1.3 AS sqft, bedrooms, bathrooms, age, has_garage,
                                       CASE WHEN id % 5 = 0 THEN ''harbour'' ELSE neighborhood END AS neighborhood
                                  FROM houses')
 ORDER BY feature, statistic;

\echo '== Forecasting: 20 stores, a weekly pattern; ETS and ARIMA per store (their mean), the next week with a 80% band, and its chart =='
CREATE TABLE demo_daily AS
  SELECT date '2024-01-01' + i AS day, 'store' || s AS store,
         100 + 3 * s + 0.02 * i + 8 * sin(2 * pi() * i / 7) + random() AS sales
    FROM generate_series(1, 20) s, generate_series(0, 139) i;
SELECT metrics -> 'train' -> 'series' AS series, round((metrics -> 'test' ->> 'mase')::numeric, 2) AS test_mase
  FROM ai_train('demo_fc', 'forecast', 'SELECT day, store, sales FROM demo_daily', 'sales',
                '{"time": "day", "series": "store", "horizon": 7, "test_size": 7}');
SELECT ts::date AS day, round(forecast::numeric, 1) AS forecast, round(lower::numeric, 1) AS lower, round(upper::numeric, 1) AS upper
  FROM ai_forecast('demo_fc', 7, series => 'store3', level => 0.8);
SELECT ai_chart('demo_fc', 'forecast', options => '{"series": "store3"}') \g (format=unaligned tuples_only=on) /tmp/pg_learn_forecast.svg
