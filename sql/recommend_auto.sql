--
-- als: "l2": "auto", "bias_l2" and early stopping (issue 15)
--
-- (pg_regress runs in the source directory)
\i bench/gen_ratings.sql
-- the generator is deterministic: the same ratings on every platform
CREATE TABLE gr_clean AS SELECT * FROM pg_temp.gen_ratings(300, 400, 0.3, noise_sd => 0.15, taste_sd => 1.2, rank => 4, median_per_user => 40);
CREATE TABLE gr_noisy AS SELECT * FROM pg_temp.gen_ratings(300, 400, 0.4, noise_sd => 1.5, taste_sd => 0.2, median_per_user => 25);
SELECT 'clean' AS set, count(*), count(DISTINCT user_id) AS users, min(n) AS min_per_user, round(avg(rating), 3) AS mean,
       sum(rating) AS checksum
  FROM gr_clean JOIN (SELECT user_id, count(*) AS n FROM gr_clean GROUP BY 1) c USING (user_id)
UNION ALL
SELECT 'noisy', count(*), count(DISTINCT user_id), min(n), round(avg(rating), 3), sum(rating)
  FROM gr_noisy JOIN (SELECT user_id, count(*) AS n FROM gr_noisy GROUP BY 1) c USING (user_id);
-- Zipf: the most popular item is rated far more than the median one
SELECT (SELECT max(n) FROM (SELECT count(*) AS n FROM gr_clean GROUP BY item_id) x) >
       10 * (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM (SELECT count(*) AS n FROM gr_clean GROUP BY item_id) x) AS long_tail;

-- the defaults: l2 and bias_l2 "auto", chosen on a validation split, recorded in the metrics
SELECT version FROM ai_train('gr_clean', 'als', 'gr_clean', options => '{"factors": 8}');
SELECT metrics -> 'l2' AS l2, metrics -> 'bias_l2' AS bias_l2, metrics -> 'validation' ->> 'metric' AS metric,
       (metrics -> 'validation' ->> 'rows')::int > 0 AS has_rows,
       jsonb_array_length(metrics -> 'validation' -> 'trials') AS trials,
       metrics -> 'validation' -> 'trials' -> (metrics -> 'validation' ->> 'chosen')::int -> 'l2' AS chosen_l2,
       (SELECT array_agg(t -> 'l2' ORDER BY o) FROM jsonb_array_elements(metrics -> 'validation' -> 'trials') WITH ORDINALITY AS x(t, o)) AS l2_tried,
       (SELECT array_agg(t -> 'bias_l2' ORDER BY o) FROM jsonb_array_elements(metrics -> 'validation' -> 'trials') WITH ORDINALITY AS x(t, o)) AS bias_l2_tried,
       (SELECT bool_and((t ->> 'score')::float8 > 0 AND (t ->> 'iterations')::int BETWEEN 1 AND 15)
          FROM jsonb_array_elements(metrics -> 'validation' -> 'trials') t) AS trials_scored,
       (metrics ->> 'iterations')::int = (metrics -> 'validation' -> 'trials' -> (metrics -> 'validation' ->> 'chosen')::int ->> 'iterations')::int AS kept_iterations
  FROM ai_models WHERE name = 'gr_clean';
-- known answer: the planted best l2 of each set (low noise: little penalty; mostly noise: much)
-- is the one "auto" picks, and the one a hand sweep of the test RMSE finds
CREATE TABLE gr_sweep AS
SELECT s.name AS set, l2, (SELECT (metrics -> 'test' ->> 'rmse')::float8
                     FROM ai_train('gr_sweep', 'als', s.name, options => jsonb_build_object('factors', 8, 'l2', l2, 'bias_l2', 5, 'keep_versions', 1))) AS rmse
  FROM (VALUES ('gr_clean'), ('gr_noisy')) s(name), unnest('{0.03, 0.1, 0.3}'::float8[]) l2;
SELECT version FROM ai_train('gr_noisy', 'als', 'gr_noisy', options => '{"factors": 8}');
SELECT s.set, (SELECT l2 FROM gr_sweep w WHERE w.set = s.set ORDER BY rmse LIMIT 1) AS hand_best,
       (SELECT (metrics ->> 'l2')::float8 FROM ai_models m WHERE m.name = s.set) AS auto_l2
  FROM (VALUES ('gr_clean'), ('gr_noisy')) s(set) ORDER BY 1;
-- the default's test RMSE is within 2% of the hand sweep's best
SELECT s.set, (SELECT (metrics -> 'test' ->> 'rmse')::float8 FROM ai_models m WHERE m.name = s.set)
              <= 1.02 * (SELECT min(rmse) FROM gr_sweep w WHERE w.set = s.set) AS within_2pct
  FROM (VALUES ('gr_clean'), ('gr_noisy')) s(set) ORDER BY 1;

-- a number still works: only bias_l2 is searched; both numbers: no search, early stopping only
SELECT metrics -> 'l2' AS l2, jsonb_array_length(metrics -> 'validation' -> 'trials') AS trials
  FROM ai_train('gr_n', 'als', 'gr_noisy', options => '{"factors": 4, "l2": 0.2}');
SELECT metrics -> 'l2' AS l2, metrics -> 'bias_l2' AS bias_l2, jsonb_array_length(metrics -> 'validation' -> 'trials') AS trials,
       (metrics ->> 'iterations')::int < 15 AS stopped_early
  FROM ai_train('gr_n', 'als', 'gr_noisy', options => '{"factors": 4, "l2": 0.03, "bias_l2": 2}');
-- early_stopping_rounds 0: every iteration runs, and no split without a search
SELECT metrics -> 'iterations' AS iterations, metrics ? 'validation' AS split
  FROM ai_train('gr_n', 'als', 'gr_noisy', options => '{"factors": 4, "l2": 0.03, "bias_l2": 2, "early_stopping_rounds": 0}');
SELECT metrics -> 'iterations' AS iterations, jsonb_array_length(metrics -> 'validation' -> 'trials') AS trials
  FROM ai_train('gr_n', 'als', 'gr_noisy', options => '{"factors": 4, "iterations": 4, "early_stopping_rounds": 0}');
-- the chosen penalties are kept for fold-in (tensor "bias_l2"): a new user folds in
SELECT count(*) AS recommended, bool_and(score BETWEEN -20 AND 20) AS finite
  FROM ai_recommend_for_ratings('gr_clean', ARRAY[1, 2, 3]::bigint[], ARRAY[5, 4, 1]::float8[], 3);
-- implicit: l2 stays 30 unless "auto"; early stopping by NDCG
SELECT metrics -> 'l2' AS l2, metrics -> 'validation' ->> 'metric' AS metric, metrics ? 'bias_l2' AS has_bias_l2
  FROM ai_train('gr_i', 'als', 'SELECT user_id, item_id, 1 FROM gr_clean', options => '{"feedback": "implicit", "factors": 4}');
SELECT (SELECT array_agg(t -> 'l2' ORDER BY o) FROM jsonb_array_elements(metrics -> 'validation' -> 'trials') WITH ORDINALITY AS x(t, o)) AS l2_tried
  FROM ai_train('gr_i', 'als', 'SELECT user_id, item_id, 1 FROM gr_clean', options => '{"feedback": "implicit", "factors": 4, "l2": "auto"}');
-- too few ratings for a split: the grids' first values, and the metrics say so
SELECT metrics -> 'l2' AS l2, metrics -> 'bias_l2' AS bias_l2, metrics -> 'validation' -> 'chosen' AS chosen,
       metrics -> 'validation' ->> 'note' AS note
  FROM ai_train('gr_tiny', 'als', 'SELECT * FROM gr_clean WHERE user_id <= 3', options => '{"factors": 2}');

-- errors
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"l2": "automatic"}');
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"bias_l2": -1}');
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"bias_l2": [1, 2]}');
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"early_stopping_rounds": -1}');
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"early_stopping_rounds": 1.5}');
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"feedback": "implicit", "bias_l2": 5}');
SELECT * FROM ai_train('gr_e', 'als', 'gr_clean', options => '{"l2": 0}');
SELECT algorithm, option, type, default_value FROM ai_algorithm_options('als')
 WHERE option IN ('l2', 'bias_l2', 'early_stopping_rounds', 'iterations') ORDER BY option;

-- clean up (later tests count the models of the database)
SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'gr\_%') m;
DROP TABLE gr_clean, gr_noisy, gr_sweep;
