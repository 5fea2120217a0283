-- ai_drift: the training rows' summaries stored in the model, compared with new data
SET client_min_messages = warning;
SELECT setseed(0.18);
-- x ~ N(0, 1), k small integers with 10% NULLs, color of 5 values (blue the most frequent), day a date
CREATE TABLE dr AS
  SELECT i, sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS x,
         CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 6)::int END AS k,
         (ARRAY['blue', 'blue', 'green', 'red', 'teal', 'gray'])[1 + (random() * 5.999)::int] AS color,
         DATE '2024-01-01' + (random() * 365)::int AS day
  FROM generate_series(1, 4000) i;
ALTER TABLE dr ADD COLUMN y float8;
UPDATE dr SET y = 2 * x + coalesce(k, 0) + CASE color WHEN 'red' THEN 1 ELSE 0 END;
-- new data from the same distributions (another seed)
SELECT setseed(0.81);
CREATE TABLE dr_same AS
  SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS x,
         CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 6)::int END AS k,
         (ARRAY['blue', 'blue', 'green', 'red', 'teal', 'gray'])[1 + (random() * 5.999)::int] AS color,
         DATE '2024-01-01' + (random() * 365)::int AS day
  FROM generate_series(1, 2000) i;
SELECT version FROM ai_train('drift_lin', 'linear_regression', 'SELECT x, k, color, day, y FROM dr', 'y');

-- the summaries are in the model: one row per statistic of every feature
SELECT feature, kind, statistic, threshold, value >= 0 AS has_value
  FROM ai_drift('drift_lin', 'dr_same') ORDER BY feature, statistic;
-- no drift: nothing flagged, shares as generated
SELECT feature, statistic, drifted, round(unseen_share::numeric, 2) AS unseen,
       round(null_share::numeric, 1) AS nulls
  FROM ai_drift('drift_lin', 'dr_same') ORDER BY feature, statistic;
-- the training data itself: tiny values
SELECT bool_and(value < 0.05) AS tiny FROM ai_drift('drift_lin', 'SELECT x, k, color, day FROM dr');

-- a shifted mean: x flagged by PSI and KS (KS near 2 Phi(0.5) - 1 = 0.38), the rest not
SELECT feature, statistic, drifted, round(value::numeric, 1) AS value
  FROM ai_drift('drift_lin', 'SELECT x + 1 AS x, k, color, day FROM dr_same') ORDER BY feature, statistic;
-- a new category in a third of the rows: color flagged, with its unseen share
SELECT feature, drifted, round(unseen_share::numeric, 2) AS unseen
  FROM ai_drift('drift_lin', 'SELECT x, k, CASE WHEN random() < 1.0 / 3 THEN ''purple'' ELSE color END AS color, day FROM dr_same')
  WHERE statistic = 'js';
-- NULLs where there were none: PSI counts a NULL bin, KS (the values) does not move
SELECT statistic, drifted, round(null_share::numeric, 1) AS nulls
  FROM ai_drift('drift_lin', 'SELECT CASE WHEN random() < 0.5 THEN NULL ELSE x END AS x, k, color, day FROM dr_same')
  WHERE feature = 'x' ORDER BY statistic;
-- values beyond the training range: unseen_share, and dates compare as dates
SELECT feature, statistic, drifted, round(unseen_share::numeric, 2) AS unseen
  FROM ai_drift('drift_lin', 'SELECT x, k, color, day + 400 AS day FROM dr_same')
  WHERE feature = 'day' ORDER BY statistic;
-- other columns, and column order, do not matter
SELECT count(*) AS stats FROM ai_drift('drift_lin', 'SELECT day, 1 AS junk, color, k, x FROM dr_same');

-- a version: the one asked for (version 2 trained on shifted x, so the same data drifts from it)
SELECT version FROM ai_train('drift_lin', 'linear_regression', 'SELECT x + 3 AS x, k, color, day, y FROM dr', 'y');
SELECT version, bool_or(drifted) AS any_drifted
  FROM (SELECT 1 AS version, * FROM ai_drift('drift_lin', 'dr_same', version => 1)
        UNION ALL SELECT 2, * FROM ai_drift('drift_lin', 'dr_same', version => 2)
        UNION ALL SELECT 0, * FROM ai_drift('drift_lin', 'dr_same')) d
  GROUP BY version ORDER BY version;

-- every family that reads rows stores summaries: classifier, trees, k-means, network
SELECT version FROM ai_train('drift_log', 'logistic_regression', 'SELECT x, k, color, y > 1 AS big FROM dr', 'big');
SELECT count(*) AS stats, bool_or(drifted) AS any_drifted FROM ai_drift('drift_log', 'dr_same');
SELECT version FROM ai_train('drift_xgb', 'xgboost', 'SELECT x, k, color, y FROM dr', 'y', '{"n_estimators": 5}');
SELECT count(*) AS stats, bool_or(drifted) AS any_drifted FROM ai_drift('drift_xgb', 'dr_same');
SELECT version FROM ai_train('drift_km', 'kmeans', 'SELECT x, k FROM dr', options => '{"k": 2, "nulls": "impute"}');
SELECT count(*) AS stats, bool_or(drifted) AS any_drifted FROM ai_drift('drift_km', 'dr_same');
SELECT version FROM ai_train('drift_nn', 'neural_net', 'SELECT x, color, y FROM dr', 'y', '{"epochs": 2, "layers": [{"dense": {"units": 4, "activation": "relu"}}, {"dense": {"units": 1}}]}');
SELECT count(*) AS stats, bool_or(drifted) AS any_drifted FROM ai_drift('drift_nn', 'dr_same');
-- a streamed training (sufficient statistics, rows not kept) summarizes too
SELECT version FROM ai_train('drift_stream', 'linear_regression', 'SELECT x, y FROM dr', 'y');
SELECT count(*) AS stats FROM ai_drift('drift_stream', 'dr_same');
-- the model blob grows by the summaries only: a few KB
SELECT blob_size < 8000 AS small FROM ai_models WHERE name = 'drift_stream';

-- errors
SELECT * FROM ai_drift(NULL, 'dr_same');
SELECT * FROM ai_drift('drift_lin', NULL);
SELECT * FROM ai_drift('no_such_model', 'dr_same');
SELECT * FROM ai_drift('drift_lin', 'dr_same', version => 9);
SELECT * FROM ai_drift('drift_lin', 'SELECT x, k, color FROM dr_same');
SELECT * FROM ai_drift('drift_lin', 'SELECT x::text AS x, k, color, day FROM dr_same');
SELECT * FROM ai_drift('drift_lin', 'SELECT x, k, color, day FROM dr_same WHERE false');
SELECT * FROM ai_drift('drift_lin', 'no_such_table');
SELECT * FROM ai_drift('drift_lin', 'DELETE FROM dr_same');
-- a model trained by aggregate passes keeps no rows, so it has no summaries
SELECT version FROM ai_train('drift_agg', 'linear_regression', 'SELECT x, y FROM dr', 'y', '{"method": "aggregate"}');
SELECT * FROM ai_drift('drift_agg', 'dr_same');
-- a recommender has no features
CREATE TABLE dr_ratings AS SELECT u AS user_id, (u * 7 + j) % 20 AS item_id, 1 + (u + j) % 5 AS rating
  FROM generate_series(1, 30) u, generate_series(1, 5) j;
SELECT version FROM ai_train('drift_als', 'als', 'dr_ratings', options => '{"factors": 2, "iterations": 2}');
SELECT * FROM ai_drift('drift_als', 'dr_ratings');

-- unseen categories at prediction: counted per model version, shown by ai_drift_counters
SELECT count(ai_predict('drift_xgb', t)) AS rows_scored
  FROM (SELECT x, k, CASE WHEN i = 2 THEN 'purple' ELSE color END AS color
          FROM dr_same, generate_series(1, 2) i) t;
SELECT name, version, unseen FROM ai_drift_counters WHERE name = 'drift_xgb';
-- NULLs and known values are not counted; ai_classify counts too
SELECT count(ai_predict('drift_xgb', t)) AS rows_scored FROM (SELECT x, k, NULL::text AS color FROM dr_same) t;
SELECT count(ai_classify('drift_log', t)) AS rows_scored FROM (SELECT x, k, 'mauve' AS color FROM dr_same) t;
SELECT name, unseen FROM ai_drift_counters WHERE name IN ('drift_xgb', 'drift_log') ORDER BY name;

-- on a schedule: a "drift_check" run appends ai_drift's rows to the table named by "into"
-- (needs pg_learn_launcher, as sql/jobs.sql), created on the first run
CREATE FUNCTION drift_poll(cond text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
  FOR i IN 1..600 LOOP
    BEGIN
      EXECUTE 'SELECT (' || cond || ')' INTO ok;
    EXCEPTION WHEN undefined_table THEN ok := false;
    END;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT ai_schedule('drift_lin_check', '1 second', 'drift_check', 'SELECT x + 1 AS x, k, color, day FROM dr_same',
                   options => '{"model": "drift_lin", "into": "public.drift_log"}') > now() - interval '1 minute' AS scheduled;
SELECT drift_poll('(SELECT count(*) FROM public.drift_log) >= 7') AS written;
SELECT ai_unschedule('drift_lin_check');
-- the first run's rows: the deployed version (2, trained on x + 3), x drifted
SELECT model, version, feature, statistic, drifted, checked_at <= now() AS timed
  FROM drift_log WHERE checked_at = (SELECT min(checked_at) FROM drift_log) ORDER BY feature, statistic;
SELECT DISTINCT state, error FROM ai_jobs WHERE name = 'drift_lin_check' AND state = 'succeeded';
-- its errors, at ai_schedule
SELECT ai_schedule('s', '1 day', 'drift_check', 'dr_same', options => '{"model": "drift_lin"}');
SELECT ai_schedule('s', '1 day', 'drift_check', 'dr_same', 'y', '{"model": "drift_lin", "into": "t"}');
SELECT ai_schedule('s', '1 day', 'drift_check', 'dr_same', options => '{"model": "drift_lin", "into": "t", "bins": 3}');
SELECT ai_schedule('s', '1 day', 'drift_check', 'dr_same', options => '{"model": "no_such_model", "into": "t"}');
SELECT ai_schedule('s', '1 day', 'drift_check', 'dr_same', options => '{"model": "drift_lin", "into": "a.b.c.d"}');
SELECT ai_schedule('s', '1 day', 'drift_check', 'dr_same', options => '{"model": 3, "into": "t"}');
SELECT ai_schedule('s', '1 day', 'drift_chek', 'dr_same');
DROP TABLE drift_log;
DROP FUNCTION drift_poll(text);

SELECT ai_drop_model(m) FROM unnest(ARRAY['drift_lin', 'drift_log', 'drift_xgb', 'drift_km', 'drift_nn',
  'drift_stream', 'drift_agg', 'drift_als']) m;
DROP TABLE dr, dr_same, dr_ratings;
