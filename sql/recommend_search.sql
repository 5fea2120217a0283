--
-- als: "search" in ai_train and ai_cross_validate (issue 15)
--
-- (pg_regress runs in the source directory)
\i bench/gen_ratings.sql
-- the generator is deterministic: the same ratings on every platform
CREATE TABLE rs_clean AS SELECT * FROM pg_temp.gen_ratings(300, 400, 0.3, noise_sd => 0.15, taste_sd => 1.2, rank => 4, median_per_user => 40);
SELECT count(*), sum(rating) AS checksum FROM rs_clean;

-- known answer: a tiny l2 overfits, a huge one underfits; 3 folds of the training ratings pick 0.1
SELECT metrics->'search'->>'method' AS method, metrics->'search'->>'metric' AS metric,
       metrics->'search'->'folds' AS folds, metrics->'search'->'best' AS best,
       jsonb_path_query_array(metrics->'search'->'trials', '$[*].params.l2') AS tried,
       jsonb_path_query_first(metrics->'search'->'trials', '$[*] ? (@.chosen == true).params') AS chosen,
       metrics->'l2' AS l2, metrics->'bias_l2' AS bias_l2
  FROM ai_train('rs', 'als', 'rs_clean',
                options => '{"factors": 8, "search": {"params": {"l2": [0.003, 0.1, 10]}, "folds": 3}}');
-- the validation RMSE is U-shaped in l2, every fold scored, the score their mean
SELECT t->'params'->'l2' AS l2, rank() OVER (ORDER BY (t->>'score')::float8) AS rmse_rank,
       jsonb_array_length(t->'scores') AS folds,
       abs((t->>'score')::float8 - (SELECT avg(x::float8) FROM jsonb_array_elements_text(t->'scores') x)) < 1e-6 AS mean_ok
  FROM ai_models m, jsonb_array_elements(m.metrics->'search'->'trials') t WHERE m.name = 'rs'
 ORDER BY 1;
-- the version stored is the best setting trained on the whole training split: its options are
-- the setting with the "auto" options not searched pinned (bias_l2), and it is the same model as
-- a plain training with those options (the same hold-out, the same test metrics)
SELECT options FROM ai_models WHERE name = 'rs';
SELECT abs((s.metrics->'test'->>'rmse')::float8 - (p.metrics->'test'->>'rmse')::float8) < 1e-6 AS same_test_rmse,
       s.metrics->'rows_train' = p.metrics->'rows_train' AS same_split
  FROM ai_models s, ai_train('rs_plain', 'als', 'rs_clean', options => '{"factors": 8, "l2": 0.1, "bias_l2": 5}') p
 WHERE s.name = 'rs';

-- one validation split (no "folds"); a searched bias_l2 leaves l2 pinned; "metric": "mae"
SELECT metrics->'search'->>'metric' AS metric, metrics->'search'->'folds' AS folds,
       jsonb_path_query_array(metrics->'search'->'trials', '$[*].params') AS tried,
       (SELECT bool_and(t ? 'score' AND NOT t ? 'scores') FROM jsonb_array_elements(metrics->'search'->'trials') t) AS scored,
       metrics->'l2' AS l2
  FROM ai_train('rs1', 'als', 'rs_clean',
                options => '{"factors": 4, "iterations": 5, "search": {"params": {"bias_l2": [1, 25]}, "metric": "mae"}}');
-- any option of als: factors and iterations, random; a searched "auto" runs its own split
SELECT jsonb_array_length(metrics->'search'->'trials') AS trials, metrics->'search'->>'method' AS method,
       (SELECT count(DISTINCT t->'params') FROM jsonb_array_elements(metrics->'search'->'trials') t) AS distinct_settings
  FROM ai_train('rs2', 'als', 'rs_clean',
                options => '{"search": {"method": "random", "trials": 3, "params": {"factors": [2, 4, 8], "iterations": [3, 6]}}}');
SELECT options->'l2' AS l2, options->'bias_l2' AS bias_l2 FROM ai_models WHERE name = 'rs2';
SELECT jsonb_path_query_array(metrics->'search'->'trials', '$[*].params.l2') AS tried,
       (SELECT bool_and(t ? 'score') FROM jsonb_array_elements(metrics->'search'->'trials') t) AS scored
  FROM ai_train('rs3', 'als', 'rs_clean',
                options => '{"factors": 4, "iterations": 5, "search": {"params": {"l2": ["auto", 10]}}}');
-- implicit: scored by ndcg@k (higher is better), at the cutoff "k"
SELECT metrics->'search'->>'metric' AS metric,
       (SELECT max((t->>'score')::float8) FROM jsonb_array_elements(metrics->'search'->'trials') t)
         = (jsonb_path_query_first(metrics->'search'->'trials', '$[*] ? (@.chosen == true).score'))::float8 AS best_is_max
  FROM ai_train('rs_i', 'als', 'SELECT user_id, item_id, 1 FROM rs_clean',
                options => '{"feedback": "implicit", "factors": 4, "iterations": 4, "search": {"params": {"alpha": [1, 10]}}}');
SELECT metrics->'search'->>'metric' AS metric
  FROM ai_train('rs_i', 'als', 'SELECT user_id, item_id, 1 FROM rs_clean',
                options => '{"feedback": "implicit", "factors": 4, "iterations": 4, "k": 5,
                              "search": {"params": {"alpha": [1, 10]}, "metric": "map@5"}}');

-- ai_cross_validate: a row per fold, then the mean and the std; the folds cut all the ratings
CREATE TABLE rs_cv AS
SELECT * FROM ai_cross_validate('rs_cv', 'als', 'rs_clean', NULL, '{"factors": 4, "l2": 0.1, "bias_l2": 5}', 3);
SELECT fold, metrics->>'summary' AS summary,
       coalesce(metrics->'test'->>'rmse', metrics->>'rmse') IS NOT NULL AS has_rmse,
       (metrics->>'rows_train')::int + (metrics->>'rows_test')::int = (SELECT count(*) FROM rs_clean) AS all_rows
  FROM rs_cv ORDER BY fold NULLS LAST, 2;
SELECT sum((metrics->>'rows_test')::int) BETWEEN 0.95 * (SELECT count(*) FROM rs_clean) AND (SELECT count(*) FROM rs_clean) AS folds_cover,
       abs(avg((metrics->'test'->>'rmse')::float8) FILTER (WHERE fold IS NOT NULL)
           - max((metrics->>'rmse')::float8) FILTER (WHERE metrics->>'summary' = 'mean')) < 1e-9 AS mean_ok,
       abs(stddev_samp((metrics->'test'->>'rmse')::float8) FILTER (WHERE fold IS NOT NULL)
           - max((metrics->>'rmse')::float8) FILTER (WHERE metrics->>'summary' = 'std')) < 1e-9 AS std_ok
  FROM rs_cv;
SELECT count(*) FROM ai_models WHERE name = 'rs_cv';
-- with "test_size": 0 (nothing held out) a search's folds are ai_cross_validate's: the same scores
SELECT (SELECT array_agg(round(x::numeric, 6)) FROM jsonb_array_elements_text(metrics->'search'->'trials'->0->'scores') x)
       = (SELECT array_agg(round((metrics->'test'->>'rmse')::numeric, 6) ORDER BY fold) FROM rs_cv WHERE fold IS NOT NULL) AS same_folds
  FROM ai_train('rs_t0', 'als', 'rs_clean',
                options => '{"factors": 4, "l2": 0.1, "test_size": 0, "search": {"params": {"bias_l2": [5]}, "folds": 3}}');

-- errors
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"search": {"params": {"l2": [1]}, "metric": "accuracy"}}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"search": {"params": {"l2": [1]}, "metric": "ndcg@5"}}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"feedback": "implicit", "search": {"params": {"alpha": [1]}, "metric": "rmse"}}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"feedback": "implicit", "search": {"params": {"alpha": [1]}}, "metric": "mae"}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"search": {"params": {"feedback": ["implicit", "explicit"]}}}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"search": {"params": {"k": [5, 10]}}}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"search": {"params": {"l2": [0, 1]}}}');
SELECT * FROM ai_train('rs_e', 'als', 'rs_clean', options => '{"search": {"params": {"bias_l2": [1]}}, "feedback": "implicit"}');
SELECT * FROM ai_cross_validate('rs_e', 'als', 'rs_clean', NULL, '{"l2": 0}', 3);
SELECT count(*) FROM ai_models WHERE name = 'rs_e';

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'rs%') m;
DROP TABLE rs_clean, rs_cv;
