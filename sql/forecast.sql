-- forecast: ETS per series, the time grid, gaps, ai_forecast, ai_evaluate, errors.
SET client_min_messages = notice;
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
SET pg_learn.threads = 2;

-- 40 daily series of 126 days (18 weeks): level by store, a weekly pattern
-- of amplitude 5 to 11, a small trend, and deterministic noise in [-1, 1]
CREATE TABLE daily AS
  SELECT date '2024-01-01' + i AS day, 'store' || lpad(s::text, 2, '0') AS store,
         100 + 3 * s + 0.02 * i + (5 + s % 7) * sin(2 * pi() * i / 7)
         + sin(i * 12.9898 + s * 78.233) AS sales
    FROM generate_series(1, 40) s, generate_series(0, 125) i;

-- the last 14 days of each series held out: sMAPE small, coverage near 95%
SELECT name, algorithm, rows_used,
       metrics->'train'->'series' AS series, metrics->'train'->'points' AS points,
       metrics->'train'->'step' AS step, metrics->'train'->'seasonal' AS seasonal,
       metrics->'train'->'interpolated' AS interpolated,
       (metrics->'test'->>'smape')::float8 < 0.02 AS smape_small,
       (metrics->'test'->>'mase')::float8 < 1.5 AS mase_ok,
       (metrics->'test'->>'coverage')::float8 BETWEEN 0.85 AND 1 AS coverage_ok
  FROM ai_train('sales_fc', 'forecast', 'SELECT day, store, sales FROM daily', 'sales',
                '{"time": "day", "series": "store", "horizon": 28, "test_size": 14}');

-- 28 days per series by default, the days after the last one, in order
SELECT count(*) AS rows, count(DISTINCT series) AS series, min(ts) AS first, max(ts) AS last,
       bool_and(lower < forecast AND forecast < upper) AS banded
  FROM ai_forecast('sales_fc');

-- the known answer: the noise-free continuation close to the forecast
WITH f AS (SELECT * FROM ai_forecast('sales_fc', 7, series => 'store05')),
     truth AS (SELECT date '2024-01-01' + i AS day,
                      100 + 15 + 0.02 * i + (5 + 5 % 7) * sin(2 * pi() * i / 7) AS y
                 FROM generate_series(126, 132) i)
SELECT count(*) AS days, bool_and(abs(f.forecast - t.y) < 2.5) AS close
  FROM f JOIN truth t ON f.ts = t.day::timestamptz;

-- a narrower band at 80%
SELECT bool_and(a.upper - a.lower < b.upper - b.lower) AS narrower
  FROM ai_forecast('sales_fc', 5, 'store01', level => 0.8) a
  JOIN ai_forecast('sales_fc', 5, 'store01') b USING (ts);

-- ai_evaluate: the following days against the forecasts
CREATE TABLE later AS
  SELECT date '2024-01-01' + i AS day, 'store' || lpad(s::text, 2, '0') AS store,
         100 + 3 * s + 0.02 * i + (5 + s % 7) * sin(2 * pi() * i / 7)
         + sin(i * 12.9898 + s * 78.233) AS sales
    FROM generate_series(1, 40) s, generate_series(120, 139) i;
SELECT (e->>'n')::int AS n, (e->>'skipped')::int AS skipped,
       (e->>'mase')::float8 < 1.5 AS mase_ok, (e->>'smape')::float8 < 0.02 AS smape_ok,
       (e->>'coverage')::float8 > 0.85 AS coverage_ok
  FROM ai_evaluate('sales_fc', 'later') e;

-- monthly data (calendar months), one series: season 12 detected
CREATE TABLE monthly AS
  SELECT (date '2012-01-01' + make_interval(months => i))::date AS month,
         200 + i + 20 * cos(2 * pi() * i / 12) + 2 * sin(i * 7.1) AS v
    FROM generate_series(0, 119) i;
SELECT metrics->'train'->'step' AS step, metrics->'train'->'seasonal' AS seasonal
  FROM ai_train('monthly_fc', 'forecast', 'monthly', 'v', '{"time": "month", "method": "ets"}');
SELECT series, ts, abs(forecast - (200 + 120 + 20 * cos(0))) < 8 AS close
  FROM ai_forecast('monthly_fc', 2) LIMIT 1;
SELECT ts FROM ai_forecast('monthly_fc', 3);

-- a missing month is interpolated (and counted), or an error
CREATE TABLE gappy AS SELECT * FROM monthly WHERE month NOT IN ('2015-03-01', '2015-04-01');
SELECT metrics->'train'->'interpolated' AS interpolated
  FROM ai_train('gappy_fc', 'forecast', 'gappy', 'v', '{"time": "month"}');
SELECT ai_train('gappy_fc', 'forecast', 'gappy', 'v', '{"time": "month", "missing": "error"}');
-- a NULL value is a missing period too
SELECT metrics->'train'->'interpolated' AS interpolated
  FROM ai_train('gappy_fc', 'forecast',
                'SELECT month, CASE WHEN month = ''2013-05-01'' THEN NULL ELSE v END AS v FROM monthly',
                'v', '{"time": "month"}');

-- hourly timestamps: season 24; a given season wins over detection
CREATE TABLE hourly AS
  SELECT timestamptz '2024-03-01 00:00+00' + make_interval(hours => i) AS at,
         50 + 10 * sin(2 * pi() * i / 24) + sin(i * 3.7) AS load
    FROM generate_series(0, 24 * 10 - 1) i;
SELECT metrics->'train'->'step' AS step, metrics->'train'->'seasonal' AS seasonal
  FROM ai_train('hourly_fc', 'forecast', 'hourly', 'load', '{"time": "at"}');
SELECT metrics->'train'->'seasonal' AS seasonal
  FROM ai_train('hourly_fc', 'forecast', 'hourly', 'load', '{"time": "at", "season": 1}');
SELECT ts FROM ai_forecast('hourly_fc', 2);

-- the model reads back (validated) and is listed
SELECT name, algorithm FROM ai_models WHERE name = 'sales_fc';

-- user errors
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"series": "store"}');
SELECT ai_train('bad', 'forecast', 'daily', NULL, '{"time": "day", "series": "store"}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "when", "series": "store"}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "store"}');
SELECT ai_train('bad', 'forecast', 'daily', 'store', '{"time": "day"}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "series": "store", "level": 1}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "series": "store", "level": 0}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "method": "prophet"}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "missing": "drop"}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "horizon": 0}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "season": 0}');
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day", "season": "weekly"}');
-- two rows of one series at one time
SELECT ai_train('bad', 'forecast', 'daily', 'sales', '{"time": "day"}');
-- a time off the grid, named
SELECT ai_train('bad', 'forecast',
                'SELECT day::timestamp + CASE WHEN day = ''2024-02-10'' THEN interval ''6 hours'' ELSE interval ''0'' END AS day, sales FROM daily WHERE store = ''store01''',
                'sales', '{"time": "day"}');
-- too short a series
SELECT ai_train('bad', 'forecast',
                'SELECT day, store, sales FROM daily WHERE store <> ''store02'' OR day < ''2024-01-05''',
                'sales', '{"time": "day", "series": "store", "method": "ets"}');
SELECT ai_train('bad', 'forecast', 'SELECT day, sales FROM daily WHERE store = ''store01'' LIMIT 1',
                'sales', '{"time": "day"}');
SELECT ai_train('bad', 'forecast', 'SELECT day, sales FROM daily WHERE false', 'sales', '{"time": "day"}');
SELECT ai_train('bad', 'forecast', 'SELECT NULL::date AS day, 1 AS sales', 'sales', '{"time": "day"}');
SELECT ai_train('bad', 'forecast', 'SELECT day, NULL::text AS store, sales FROM daily', 'sales',
                '{"time": "day", "series": "store"}');
SELECT ai_train('bad', 'forecast', 'SELECT day, store, sales FROM daily', 'sales',
                '{"time": "day", "series": "store", "test_size": 125}');
-- ai_forecast
SELECT * FROM ai_forecast('sales_fc', 3, series => 'store99');
SELECT * FROM ai_forecast('monthly_fc', 3, series => 'x');
SELECT * FROM ai_forecast('sales_fc', 3, level => 1);
SELECT * FROM ai_forecast('sales_fc', 3, level => 0);
SELECT * FROM ai_forecast('sales_fc', 0);
SELECT * FROM ai_forecast('no_such_model', 3);
SELECT * FROM ai_forecast('gappy_fc', 2, series => NULL) LIMIT 0;
-- ai_evaluate with no later period
SELECT ai_evaluate('sales_fc', 'SELECT * FROM daily WHERE day < ''2024-02-01''');

-- ai_detect_anomalies on a forecast model: the next days as the series
-- continues, one day of each of two stores spiked by 30; the score is the
-- level of the band the value sits on the edge of (threshold: the model's
-- level, 0.95)
CREATE TABLE daily_next AS
  SELECT date '2024-01-01' + i AS day, 'store' || lpad(s::text, 2, '0') AS store,
         100 + 3 * s + 0.02 * i + (5 + s % 7) * sin(2 * pi() * i / 7)
         + sin(i * 12.9898 + s * 78.233) + CASE WHEN i = 130 AND s IN (3, 17) THEN 30 ELSE 0 END AS sales
    FROM generate_series(1, 40) s, generate_series(126, 132) i;
SELECT count(*) FILTER (WHERE a.is_anomaly) > 2 AS more_than_spikes,
       bool_and(a.is_anomaly) FILTER (WHERE d.day = date '2024-01-01' + 130 AND d.store IN ('store03', 'store17')) AS spikes_found,
       -- the fitted bands cover a little under their level (docs/forecasting.md)
       count(*) FILTER (WHERE a.is_anomaly AND NOT (d.day = date '2024-01-01' + 130 AND d.store IN ('store03', 'store17'))) < 0.15 * 278 AS others_under_15pct,
       bool_and(a.score >= 0 AND a.score <= 1) AS scores_in_0_1
  FROM daily_next d, LATERAL ai_detect_anomalies('sales_fc', d) a;
-- a stricter threshold flags fewer; a NULL value scores NULL; errors
SELECT array_agg(store ORDER BY store) FILTER (WHERE (ai_detect_anomalies('sales_fc', d, threshold => 0.999999)).is_anomaly) AS flagged_strict
  FROM daily_next d;
SELECT (ai_detect_anomalies('sales_fc', t)).* FROM (SELECT date '2024-05-06' AS day, 'store01' AS store, NULL::float8 AS sales) t;
SELECT (ai_detect_anomalies('sales_fc', t)).* FROM (SELECT date '2024-05-06' AS day, 'store01' AS store) t;
SELECT (ai_detect_anomalies('sales_fc', t)).* FROM (SELECT date '2024-01-05' AS day, 'store01' AS store, 1.0 AS sales) t;
SELECT (ai_detect_anomalies('sales_fc', t, threshold => 1)).* FROM (SELECT date '2024-05-06' AS day, 'store01' AS store, 1.0 AS sales) t;
SELECT (ai_detect_anomalies('sales_fc', t)).* FROM (SELECT '2024-05-06'::text AS day, 'store01' AS store, 1.0 AS sales) t;
SELECT (ai_detect_anomalies('sales_fc', t)).* FROM (SELECT date '2024-05-06' AS day, 'store01' AS store, 'high' AS sales) t;
SELECT (ai_detect_anomalies('sales_fc', t)).* FROM (SELECT date '2024-05-06' AS day, 'store99' AS store, 1.0 AS sales) t;
DROP TABLE daily_next;

-- ai_chart kind forecast: the kept history, the forecast and its band
SELECT (SELECT count(*) FROM regexp_matches(svg, 'class="pgl-band"', 'g')) AS bands,
       (SELECT count(*) FROM regexp_matches(svg, 'class="pgl-line"', 'g')) AS lines,
       svg LIKE '%Forecast of sales_fc, store05%' AS titled, svg LIKE '%next 10 periods%80% prediction band%' AS described
  FROM ai_chart('sales_fc', 'forecast', options => '{"series": "store05", "horizon": 10, "level": 0.8}') AS svg;
SELECT ai_chart('sales_fc', 'forecast');
SELECT ai_chart('sales_fc', 'forecast', options => '{"series": "store99"}');
SELECT ai_chart('sales_fc', 'forecast', options => '{"series": "store01", "level": 1.5}');

-- clean up
SELECT count(ai_drop_model(name)) AS dropped
  FROM (SELECT DISTINCT name FROM ai_models WHERE algorithm = 'forecast') m;
DROP TABLE daily, later, monthly, gappy, hourly;
