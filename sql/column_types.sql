--
-- Column types as features: date, timestamp and timestamptz become year,
-- month and day of the week (sin/cos), hour (timestamps, sin/cos) and days
-- since an origin learned at training; interval becomes seconds; json and
-- jsonb are refused with a hint (docs/user-guide.md, "Column types").
--
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- two years of days; y is a known linear function of the day of the week
-- (its sin and cos) and of the days since 2023-01-01 (the first training day)
CREATE TABLE ct_days AS
  SELECT d::date AS day,
         10 + 3 * sin(2 * pi() * extract(dow FROM d) / 7)
            - 2 * cos(2 * pi() * extract(dow FROM d) / 7)
            + 0.05 * (d::date - date '2023-01-01') AS y
    FROM generate_series(timestamp '2023-01-01', timestamp '2024-12-31', interval '1 day') d;

SELECT rows_used FROM ai_train('ct_lin', 'linear_regression', 'ct_days', 'y', '{"test_size": 0}');
SELECT * FROM ai_model_features('ct_lin');
-- the planted coefficients come back; year and month carry nothing
SELECT feature, round(coefficient::numeric, 6) AS coefficient
  FROM ai_model_coefficients('ct_lin');

-- predictions: rows of a table, a row built in a query, NULL (the training
-- mean day), a day after the training range (extrapolated by days)
SELECT count(*) AS days, max(abs(ai_predict('ct_lin', t) - y)) < 1e-9 AS exact FROM ct_days t;
SELECT round(ai_predict('ct_lin', t)::numeric, 6) AS pred,
       round((10 + 3 * sin(2 * pi() * 5 / 7) - 2 * cos(2 * pi() * 5 / 7)
              + 0.05 * (date '2025-03-07' - date '2023-01-01'))::numeric, 6) AS planted
  FROM (SELECT date '2025-03-07' AS day) t;
SELECT round(ai_predict('ct_lin', t)::numeric, 6) =
       round(ai_predict('ct_lin', (SELECT x FROM (SELECT date '2024-01-01' AS day) x))::numeric, 6)
       AS null_is_mean_day
  FROM (SELECT NULL::date AS day) t;
-- a timestamp or timestamptz column can feed a date feature (its day at 00:00
-- gives the same inputs but the days' fraction)
SELECT round(ai_predict('ct_lin', t)::numeric, 6) AS pred_midnight
  FROM (SELECT timestamp '2024-06-01 00:00' AS day) t;
-- float8[]: a date feature is its seconds since 1970 (extract(epoch from ...))
SELECT round(ai_predict('ct_lin', ARRAY[extract(epoch FROM date '2025-03-07')]::float8[])::numeric, 6)
       AS pred_from_array;

-- the model's other readers agree: ai_evaluate, ai_explain (the date as text)
SELECT (ai_evaluate('ct_lin', 'ct_days')->>'rmse')::float8 < 1e-9 AS evaluate_exact;
SELECT feature, value, round(contribution::numeric, 4) AS contribution
  FROM ai_explain('ct_lin', (SELECT t FROM ct_days t WHERE day = date '2024-03-05'));

-- the blob: format version 2 (a model without dates stays version 1); its
-- row encoder (ai_features, the aggregate passes' encoder) gives the inputs
-- of 2024-03-05, a Tuesday in March, 429 days after the origin; imported
-- elsewhere it predicts the same
SELECT ai_export_model('ct_lin') AS blob \gset
SELECT get_byte(:'blob'::bytea, 4) AS format_version;
SELECT round(x::numeric, 6) AS input
  FROM unnest(ai_features(:'blob', (SELECT t FROM (SELECT date '2024-03-05' AS day, 0.0 AS y) t))) x;
SELECT ai_import_model('ct_copy', :'blob');
SELECT round(ai_predict('ct_copy', t)::numeric, 6) = round(ai_predict('ct_lin', t)::numeric, 6)
       AS same_after_import
  FROM (SELECT date '2024-03-05' AS day) t;

-- errors: infinite dates (training and predict), a wrong type at predict,
-- an out-of-range array value
CREATE TABLE ct_inf AS SELECT * FROM ct_days;
INSERT INTO ct_inf VALUES ('infinity', 1);
SELECT ai_train('ct_bad', 'linear_regression', 'ct_inf', 'y');
SELECT ai_predict('ct_lin', t) FROM (SELECT date '-infinity' AS day) t;
SELECT ai_predict('ct_lin', t) FROM (SELECT 'monday'::text AS day) t;
SELECT ai_predict('ct_lin', t) FROM (SELECT 19000 AS day) t;
SELECT ai_predict('ct_lin', ARRAY[1e300]::float8[]);

-- timestamps: the hour of the day, in UTC for timestamptz whatever the
-- session's time zone
CREATE TABLE ct_hours AS
  SELECT ts, 5 + 2 * sin(2 * pi() * extract(hour FROM ts AT TIME ZONE 'UTC') / 24) AS y
    FROM generate_series(timestamptz '2024-01-01 00:00+00', timestamptz '2024-03-01 00:00+00',
                         interval '1 hour') ts;
SELECT rows_used FROM ai_train('ct_hour', 'linear_regression', 'ct_hours', 'y', '{"test_size": 0}');
SELECT feature, type, kind, inputs, encoding FROM ai_model_features('ct_hour');
SELECT feature, round(coefficient::numeric, 6) AS coefficient
  FROM ai_model_coefficients('ct_hour') WHERE feature LIKE 'ts_hour%';
SET TimeZone = 'America/New_York';
SELECT round(ai_predict('ct_hour', t)::numeric, 6) AS six_utc
  FROM (SELECT timestamptz '2024-02-10 01:00-05' AS ts) t;
RESET TimeZone;
SELECT round(ai_predict('ct_hour', t)::numeric, 6) AS six_utc
  FROM (SELECT timestamptz '2024-02-10 06:00+00' AS ts) t;

-- interval: its seconds, as extract(epoch from ...)
CREATE TABLE ct_waits AS
  SELECT make_interval(mins => i) AS wait, 2.0 * i AS y FROM generate_series(1, 200) i;
SELECT rows_used FROM ai_train('ct_wait', 'linear_regression', 'ct_waits', 'y', '{"test_size": 0}');
SELECT feature, type, kind, inputs, encoding FROM ai_model_features('ct_wait');
SELECT get_byte(ai_export_model('ct_wait'), 4) AS format_version;
SELECT round(ai_predict('ct_wait', t)::numeric, 6) AS pred_90_minutes
  FROM (SELECT interval '1 hour 30 minutes' AS wait) t;

-- a classifier and a tree ensemble on a date: the weekend is learned from
-- the day of the week
CREATE TABLE ct_weekend AS
  SELECT day, extract(dow FROM day) IN (0, 6) AS weekend, y FROM ct_days;
SELECT rows_used FROM ai_train('ct_logit', 'logistic_regression',
  'SELECT day, weekend FROM ct_weekend', 'weekend', '{"test_size": 0, "l2": 0.0001}');
SELECT count(*) FILTER (WHERE ai_classify('ct_logit', t)::boolean = weekend) AS correct, count(*)
  FROM ct_weekend t;
SELECT rows_used FROM ai_train('ct_xgb', 'xgboost',
  'SELECT day, weekend FROM ct_weekend', 'weekend', '{"test_size": 0, "n_estimators": 20}');
SELECT count(*) FILTER (WHERE ai_classify('ct_xgb', t)::boolean = weekend) AS correct, count(*)
  FROM ct_weekend t;
-- xgboost keeps a NULL date missing: the model stores no mean day
SELECT feature, kind, inputs FROM ai_model_features('ct_xgb');
SELECT ai_classify('ct_xgb', t) IS NOT NULL AS null_day_classified
  FROM (SELECT NULL::date AS day) t;

-- arrays of numbers: one feature per element, of the length the first
-- non-empty value has (multi-dimensional ones in storage order)
CREATE TABLE ct_arr AS
  SELECT i, ARRAY[i % 7, i % 5, i % 3]::float8[] AS v, i % 4 AS k,
         1 + 2 * (i % 7) - 3 * (i % 5) + 0.5 * (i % 3) + (i % 4) AS y
    FROM generate_series(1, 300) i;
SELECT rows_used FROM ai_train('ct_vec', 'linear_regression', 'SELECT v, k, y FROM ct_arr', 'y',
                               '{"test_size": 0}');
SELECT * FROM ai_model_features('ct_vec');
SELECT feature, round(coefficient::numeric, 6) AS coefficient FROM ai_model_coefficients('ct_vec');
-- a row with a float8[] or an int[], the flat float8[] form, a NULL element
-- (that element's training mean), a NULL array (every element's mean)
SELECT round(ai_predict('ct_vec', t)::numeric, 6) AS pred
  FROM (SELECT ARRAY[1, 2, 3]::float8[] AS v, 1 AS k) t;
SELECT round(ai_predict('ct_vec', t)::numeric, 6) AS pred
  FROM (SELECT ARRAY[1, 2, 3] AS v, 1 AS k) t;
SELECT round(ai_predict('ct_vec', ARRAY[1, 2, 3, 1]::float8[])::numeric, 6) AS pred;
SELECT round(ai_predict('ct_vec', t)::numeric, 6) =
       round((1 + 2 * 1 - 3 * 2 + 0.5 * (SELECT avg(i % 3) FROM ct_arr) + 1)::numeric, 6)
       AS null_element_is_its_mean
  FROM (SELECT ARRAY[1, 2, NULL]::float8[] AS v, 1 AS k) t;
SELECT round(ai_predict('ct_vec', t)::numeric, 6) AS pred_null_array
  FROM (SELECT NULL::float8[] AS v, 1 AS k) t;
SELECT feature, value FROM ai_explain('ct_vec', (SELECT t FROM ct_arr t WHERE i = 10));
SELECT (ai_evaluate('ct_vec', 'SELECT v, k, y FROM ct_arr')->>'rmse')::float8 < 1e-9 AS evaluate_exact;
-- errors: another length (predict, evaluate, training), a number for an
-- array, an array NULL in every row
SELECT ai_predict('ct_vec', t) FROM (SELECT ARRAY[1, 2]::float8[] AS v, 1 AS k) t;
SELECT ai_evaluate('ct_vec', 'SELECT v[1:2] AS v, k, y FROM ct_arr');
SELECT ai_predict('ct_vec', t) FROM (SELECT 1.0 AS v, 1 AS k) t;
SELECT ai_train('ct_bad', 'linear_regression',
  'SELECT CASE WHEN i = 50 THEN ARRAY[1.0] ELSE v END AS v, y FROM ct_arr', 'y');
SELECT ai_train('ct_bad', 'linear_regression', 'SELECT NULL::float8[] AS v, y FROM ct_arr', 'y');
SELECT rows_used FROM ai_train('ct_mat', 'linear_regression',
  'SELECT ARRAY[[i % 7, 1], [i % 5, i % 3]] AS m, y FROM ct_arr', 'y', '{"test_size": 0}');
SELECT feature, type, kind, inputs, encoding FROM ai_model_features('ct_mat');
-- a tree ensemble names the elements in its importance
SELECT rows_used FROM ai_train('ct_vxgb', 'xgboost', 'SELECT v, k, y FROM ct_arr', 'y',
                               '{"test_size": 0, "n_estimators": 10}');
SELECT feature FROM ai_feature_importance('ct_vxgb', kind => 'gain') ORDER BY feature;

-- "method": "aggregate" does not learn date features: a clear refusal
SELECT ai_train('ct_agg', 'linear_regression', 'ct_days', 'y', '{"method": "aggregate"}');
SELECT ai_train('ct_agg', 'linear_regression', 'SELECT v, y FROM ct_arr', 'y',
                '{"method": "aggregate"}');

-- refused types: jsonb and json with the extraction to use, arrays of
-- anything but numbers, others with the list
CREATE TABLE ct_docs AS
  SELECT i::float8 AS x, jsonb_build_object('price', i) AS doc, i::float8 AS y
    FROM generate_series(1, 20) i;
SELECT ai_train('ct_json', 'linear_regression', 'ct_docs', 'y');
SELECT ai_train('ct_json', 'linear_regression', 'SELECT x, doc::json AS doc, y FROM ct_docs', 'y');
SELECT ai_train('ct_json', 'linear_regression', 'SELECT x, point(x, x) AS p, y FROM ct_docs', 'y');
SELECT ai_train('ct_json', 'linear_regression', 'SELECT x, ARRAY[x::text] AS a, y FROM ct_docs', 'y');
-- the hinted extraction trains
SELECT rows_used FROM ai_train('ct_json', 'linear_regression',
  'SELECT x, (doc->>''price'')::float8 AS price, y FROM ct_docs', 'y', '{"test_size": 0}');

SELECT count(ai_drop_model(n)) AS dropped
  FROM unnest(ARRAY['ct_lin', 'ct_copy', 'ct_hour', 'ct_wait', 'ct_logit', 'ct_xgb',
                    'ct_vec', 'ct_mat', 'ct_vxgb', 'ct_json']) n;
DROP TABLE ct_days, ct_inf, ct_hours, ct_waits, ct_weekend, ct_arr, ct_docs;
