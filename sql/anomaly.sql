-- isolation_forest and ai_detect_anomalies: planted anomalies in generated
-- data (no random(): a hash of the row number), precision and recall at
-- the contamination rate, and every user error.
SET client_min_messages = notice;
SET extra_float_digits = 0;

-- uniform in (0, 1) and standard normal, from a hash of (row, stream)
CREATE FUNCTION an_u(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  $$ SELECT ((hashint8(i::int8 * 131 + k) & 2147483647)::float8 + 0.5) / 2147483648.0 $$;
CREATE FUNCTION an_n(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  $$ SELECT sqrt(-2 * ln(an_u(i, 2 * k))) * cos(2 * pi() * an_u(i, 2 * k + 1)) $$;

-- 3000 rows, 1% planted anomalies (rows 1..30): normal rows have x1..x4
-- (x1 and x2 correlated) N(0, 1) and N(0, 4), and a store among four; an
-- anomaly is 4 to 6 standard deviations out in x1 and x3 at once
CREATE TABLE an_data AS
  SELECT i AS id, i <= 30 AS planted,
         an_n(i, 1) + CASE WHEN i <= 30 THEN (4 + 2 * an_u(i, 20)) * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) ELSE 0 END AS x1,
         0.6 * an_n(i, 1) + 0.8 * an_n(i, 2) AS x2,
         an_n(i, 3) + CASE WHEN i <= 30 THEN (4 + 2 * an_u(i, 21)) * (CASE WHEN i % 4 < 2 THEN 1 ELSE -1 END) ELSE 0 END AS x3,
         2 * an_n(i, 4) AS x4,
         (ARRAY['north', 'south', 'east', 'west'])[1 + (i % 4)] AS store
    FROM generate_series(1, 3000) i;

SELECT name, algorithm, rows_used,
       metrics->'train'->'n' AS n,
       metrics->'train'->'anomalies' AS anomalies,
       metrics->'train'->'anomaly_rate' AS rate,
       metrics->'n_estimators' AS trees, metrics->'max_samples' AS samples,
       metrics->'max_features' AS features, metrics->'contamination' AS contamination
  FROM ai_train('an_if', 'isolation_forest', 'SELECT x1, x2, x3, x4, store FROM an_data',
                options => '{"contamination": 0.01, "seed": 7}');

-- precision and recall at the contamination rate (floors: 0.7 each; sklearn's IsolationForest finds 25 to 28 of the 30 here, bench/anomaly)
CREATE TABLE an_flags AS
  SELECT d.id, d.planted, a.is_anomaly, a.score
    FROM an_data d, LATERAL ai_detect_anomalies('an_if', d) a;
SELECT count(*) FILTER (WHERE is_anomaly) BETWEEN 25 AND 35 AS flagged_about_1pct,
       (count(*) FILTER (WHERE is_anomaly AND planted))::float8
         / greatest(count(*) FILTER (WHERE is_anomaly), 1) >= 0.7 AS precision_ge_07,
       (count(*) FILTER (WHERE is_anomaly AND planted))::float8 / 30 >= 0.7 AS recall_ge_07,
       min(score) FILTER (WHERE planted) > avg(score) FILTER (WHERE NOT planted) AS planted_score_higher,
       bool_and(score > 0 AND score <= 1) AS scores_in_0_1
  FROM an_flags;

-- the score is ai_predict's, and the flag says score > the stored threshold
SELECT bool_and(abs(ai_predict('an_if', d) - f.score) < 1e-12) AS predict_is_score,
       bool_and(f.is_anomaly = (f.score > (SELECT (metrics->'train'->>'threshold')::float8
                                             FROM ai_models WHERE name = 'an_if'))) AS flag_by_threshold
  FROM an_data d JOIN an_flags f USING (id);

-- "auto": the paper's threshold 0.5; a given threshold overrides the stored one
SELECT metrics->'train'->'threshold' AS threshold, metrics->'contamination' AS contamination
  FROM ai_train('an_auto', 'isolation_forest', 'SELECT x1, x2, x3, x4 FROM an_data',
                options => '{"n_estimators": 50, "max_samples": 0.1, "max_features": 0.5}');
SELECT count(*) FILTER (WHERE (ai_detect_anomalies('an_auto', d)).is_anomaly AND planted) >= 24 AS auto_recall,
       count(*) FILTER (WHERE (ai_detect_anomalies('an_auto', d, threshold => 0.99)).is_anomaly) AS above_099,
       count(*) FILTER (WHERE (ai_detect_anomalies('an_auto', d, threshold => 0.01)).is_anomaly) AS above_001
  FROM an_data d;

-- the composite result: .* and a column of it
SELECT (ai_detect_anomalies('an_if', d)).is_anomaly, (ai_detect_anomalies('an_if', d)).score > 0.6 AS high
  FROM an_data d WHERE id = 2;
SELECT a.* IS NOT NULL AS has_row FROM an_data d, LATERAL ai_detect_anomalies('an_if', d) a WHERE id = 2;

-- a NULL input is imputed; a NULL name or row gives NULL
SELECT (ai_detect_anomalies('an_if', r)).score > 0 AS imputed
  FROM (SELECT NULL::float8 AS x1, 0.0::float8 AS x2, 0.0::float8 AS x3, 0.0::float8 AS x4, 'east' AS store) r;
SELECT ai_detect_anomalies(NULL, d) IS NULL AS null_name FROM an_data d WHERE id = 1;
SELECT ai_detect_anomalies('an_if', NULL::an_data) IS NULL AS null_row;

-- same seed, same model; versions
SELECT (SELECT metrics FROM ai_train('an_s1', 'isolation_forest', 'SELECT x1, x2 FROM an_data', options => '{"seed": 3, "n_estimators": 20}'))
     = (SELECT metrics FROM ai_train('an_s2', 'isolation_forest', 'SELECT x1, x2 FROM an_data', options => '{"seed": 3, "n_estimators": 20}'))
       AS same_metrics;
SELECT version FROM ai_train('an_s1', 'isolation_forest', 'SELECT x1, x2 FROM an_data', options => '{"seed": 4, "n_estimators": 20, "deploy": false}');
SELECT (ai_detect_anomalies('an_s1', d, version => 1)).score = (ai_detect_anomalies('an_s2', d)).score AS version_1,
       (ai_detect_anomalies('an_s1', d, version => 2)).score <> (ai_detect_anomalies('an_s2', d)).score AS version_2
  FROM an_data d WHERE id = 5;

-- ---------- errors ----------
-- training: a target, bad option values, unknown options, "if_better"
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1, x2 FROM an_data', 'x1');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"contamination": 0.7}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"contamination": 0}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"contamination": "high"}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"max_samples": 0}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"max_samples": 2.5}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"max_features": 1.5}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"max_features": 0}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"n_estimators": 0}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"n_estimators": 10001}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"k": 3}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"test_size": 0.2}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data', options => '{"deploy": "if_better"}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT NULL::float8 AS x1', options => '{"nulls": "error"}');
SELECT ai_train('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data WHERE false');
SELECT ai_cross_validate('an_bad', 'isolation_forest', 'SELECT x1 FROM an_data');
-- scoring: a threshold out of range, a missing column, the wrong family
SELECT ai_detect_anomalies('an_if', d, threshold => 1) FROM an_data d WHERE id = 1;
SELECT ai_detect_anomalies('an_if', d, threshold => 0) FROM an_data d WHERE id = 1;
SELECT ai_detect_anomalies('an_if', d, threshold => -0.5) FROM an_data d WHERE id = 1;
SELECT ai_detect_anomalies('an_if', d, threshold => 'NaN') FROM an_data d WHERE id = 1;
SELECT ai_detect_anomalies('an_if', r) FROM (SELECT 1.0::float8 AS x1) r;
SELECT ai_detect_anomalies('an_if', d, version => 0) FROM an_data d WHERE id = 1;
SELECT ai_detect_anomalies('an_nope', d) FROM an_data d WHERE id = 1;
SELECT name FROM ai_train('an_lr', 'linear_regression', 'SELECT x1, x2 FROM an_data', 'x1');
SELECT ai_detect_anomalies('an_lr', d) FROM an_data d WHERE id = 1;
SELECT name FROM ai_train('an_km', 'kmeans', 'SELECT x1, x2 FROM an_data', options => '{"k": 2}');
SELECT ai_detect_anomalies('an_km', d) FROM an_data d WHERE id = 1;
SELECT name FROM ai_train('an_nn', 'neural_net', 'SELECT x1, x2 FROM an_data', 'x1',
                          '{"layers": [{"dense": {"units": 1}}], "epochs": 1}');
SELECT ai_detect_anomalies('an_nn', d) FROM an_data d WHERE id = 1;
-- other functions on an anomaly model
SELECT ai_classify('an_if', d) FROM an_data d WHERE id = 1;
SELECT ai_predict_proba('an_if', d) FROM an_data d WHERE id = 1;
SELECT ai_cluster('an_if', d) FROM an_data d WHERE id = 1;
SELECT ai_explain('an_if', d) FROM an_data d WHERE id = 1;
SELECT ai_evaluate('an_if', 'SELECT * FROM an_data');
SELECT * FROM ai_feature_importance('an_if');

-- clean up
SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'an\_%') m;
DROP TABLE an_data, an_flags;
DROP FUNCTION an_n(int, int), an_u(int, int);
