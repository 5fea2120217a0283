-- Recommenders (als): ids of both families, duplicates, the SQL functions,
-- cold start, errors.
SET client_min_messages = notice;
SELECT setseed(0.11);
CREATE TABLE rt AS
  SELECT u AS user_id, i AS item_id,
         round((3 + sin(u * 1.1) * cos(i * 0.7) + cos(u * 0.5) * sin(i * 1.3))::numeric, 1) AS stars
    FROM generate_series(1, 60) u, generate_series(1, 40) i
   WHERE (u * 7 + i * 13) % 5 <> 0;

SELECT name, version, algorithm, rows_used, metrics ? 'test' AS has_test,
       (metrics ->> 'users')::int AS users, (metrics ->> 'items')::int AS items,
       (metrics -> 'test' ->> 'rmse')::float8 < 0.5 AS good_rmse,
       metrics -> 'test' ? 'precision@10' AS ranked
  FROM ai_train('rt', 'als', 'rt', options => '{"factors": 4, "iterations": 10}');

-- predict, recommend (seen items left out unless asked), similar
SELECT abs(ai_predict('rt', 1::bigint, 1::bigint) - (3 + sin(1.1) * cos(0.7) + cos(0.5) * sin(1.3))) < 0.5 AS plausible;
SELECT count(*) AS n, bool_and(score IS NOT NULL) AS scored FROM ai_recommend('rt', 3::bigint, k => 5);
-- (a model trained on every rating, so that all of them are "seen")
SELECT version FROM ai_train('rt_all', 'als', 'rt', options => '{"factors": 4, "iterations": 5, "test_size": 0}');
SELECT count(*) AS seen_recommended
  FROM ai_recommend('rt_all', 3::bigint, k => 40) r JOIN rt ON rt.user_id = 3 AND rt.item_id = r.item_id;
SELECT (SELECT count(*) FROM ai_recommend('rt_all', 3::bigint, k => 40)) =
       40 - (SELECT count(*) FROM rt WHERE user_id = 3) AS every_unseen_item;
SELECT count(*) > 0 AS seen_allowed
  FROM ai_recommend('rt_all', 3::bigint, k => 40, exclude_seen => false) r JOIN rt ON rt.user_id = 3 AND rt.item_id = r.item_id;
SELECT array_agg(score ORDER BY score DESC) = array_agg(score) AS best_first FROM ai_recommend('rt', 7::bigint);
SELECT count(*) AS n, bool_and(item_id <> 5) AS not_itself, bool_and(similarity BETWEEN -1.0001 AND 1.0001) AS cosine
  FROM ai_similar_items('rt', 5::bigint, 3);
SELECT count(*) AS n FROM ai_similar_users('rt', 5::bigint, 4);

-- the ids are user_id / item_id, by name too ("user" is a reserved word: it
-- would be current_user)
SELECT ai_predict('rt', user_id => 1::bigint, item_id => 2::bigint) = ai_predict('rt', 1::bigint, 2::bigint) AS named;
SELECT count(*) AS n, bool_and(item_id <> 5) AS not_itself FROM ai_similar_items('rt', item_id => 5::bigint, k => 3);
SELECT count(*) AS n, bool_and(user_id <> 5) AS not_itself FROM ai_similar_users('rt', user_id => 5::bigint, k => 4);
SELECT count(*) AS n FROM ai_recommend('rt', user_id => 3::bigint, k => 2);
SELECT min(user_id) AS first_user, max(user_id) AS last_user, count(DISTINCT item_id) > 1 AS items
  FROM ai_recommend_all('rt', 2);

-- every user: k rows each, ranks 1..k, the same as ai_recommend
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, min(rank), max(rank) FROM ai_recommend_all('rt', 3);
SELECT bool_and(a.item_id = r.item_id) AS same
  FROM ai_recommend_all('rt', 3) a
  JOIN LATERAL (SELECT item_id, row_number() OVER () AS rank FROM ai_recommend('rt', a.user_id, 3)) r
    ON r.rank = a.rank
 WHERE a.user_id IN (2, 30);

-- a user the model has not seen: the most popular items (documented), or fold-in from ratings
SELECT count(*) AS popular FROM ai_recommend('rt', 999::bigint, 5);
SELECT count(*) AS n, bool_and(item_id NOT IN (1, 2, 3)) AS rated_left_out
  FROM ai_recommend_for_ratings('rt', ARRAY[1, 2, 3]::bigint[], ARRAY[5, 4, 1], 5);

-- text ids
CREATE TABLE rt_text AS SELECT 'u' || user_id AS who, 'item-' || item_id AS what, stars FROM rt;
SELECT rows_used, (metrics ->> 'users')::int AS users
  FROM ai_train('rt_text', 'als', 'rt_text', options => '{"factors": 4, "iterations": 5, "test_size": 0}');
SELECT count(*) AS n, bool_and(item_id LIKE 'item-%') AS text_items FROM ai_recommend('rt_text', 'u3', 4);
SELECT count(*) AS n, bool_and(user_id LIKE 'u%' AND item_id LIKE 'item-%') AS text_ids FROM ai_recommend_all_text('rt_text', 2);
SELECT count(*) AS n FROM ai_recommend_for_ratings('rt_text', item_ids => ARRAY['item-1', 'item-2'], ratings => ARRAY[5, 1], k => 3);
SELECT count(*) AS n FROM ai_similar_items('rt_text', 'item-7', 3);
SELECT ai_predict('rt_text', 'u1', 'item-1') = ai_predict('rt_text', 'u1'::text, 'item-1'::text) AS same;

-- named columns, duplicates: the last one wins, or they are summed
CREATE TABLE dup (rating float8, item int, who bigint);
INSERT INTO dup VALUES (1, 10, 1), (5, 10, 1), (2, 11, 1), (3, 10, 2), (4, 11, 2), (1, 12, 2), (2, 12, 3), (3, 10, 3);
SELECT rows_used, metrics ->> 'duplicates' AS duplicates FROM ai_train('dup', 'als', 'dup',
  options => '{"user_col": "who", "item_col": "item", "rating_col": "rating", "factors": 2, "test_size": 0}');
SELECT metrics ->> 'duplicates' AS duplicates FROM ai_train('dup', 'als', 'SELECT * FROM dup ORDER BY rating',
  options => '{"user_col": "who", "item_col": "item", "rating_col": "rating", "factors": 2, "test_size": 0, "duplicates": "sum"}');

-- errors
SELECT * FROM ai_similar_items('rt', 999::bigint, 3);
SELECT * FROM ai_recommend('rt', 'u1', 3);
SELECT * FROM ai_recommend_all_text('rt', 3);
SELECT * FROM ai_recommend_for_ratings('rt', ARRAY[1, 999]::bigint[], ARRAY[5, 4], 5);
SELECT * FROM ai_recommend_for_ratings('rt', ARRAY[1]::bigint[], ARRAY[5, 4], 5);
SELECT * FROM ai_recommend_for_ratings('rt', ARRAY[1, NULL]::bigint[], ARRAY[5, 4], 5);
SELECT * FROM ai_recommend('rt', 1::bigint, -1);
SELECT ai_predict('rt', ARRAY[1.0]);
SELECT * FROM ai_recommend('pr_none', 1::bigint);
SELECT * FROM ai_train('m', 'als', 'SELECT 1 AS u, 2 AS i');
SELECT * FROM ai_train('m', 'als', 'SELECT 1.5 AS u, 2 AS i, 3 AS r');
SELECT * FROM ai_train('m', 'als', 'SELECT 1 AS u, ''x''::text AS i, 3 AS r');
SELECT * FROM ai_train('m', 'als', 'SELECT 1 AS u, 2 AS i, ''five''::text AS r');
SELECT * FROM ai_train('m', 'als', 'rt', options => '{"user_col": "nobody"}');
SELECT * FROM ai_train('m', 'als', 'rt', options => '{"factors": 0}');
SELECT * FROM ai_train('m', 'als', 'rt', options => '{"feedback": "loud"}');
SELECT * FROM ai_train('m', 'als', 'rt', options => '{"max_iter": 3}');
SELECT * FROM ai_train('m', 'als', 'SELECT user_id, item_id, stars FROM rt WHERE false');
SELECT * FROM ai_train('m', 'als', 'SELECT user_id, item_id, ''NaN''::float8 FROM rt');
SELECT * FROM ai_train('m', 'als', 'rt', options => '{"l2": 0}');
SELECT * FROM ai_train('m', 'als', 'SELECT user_id, item_id, 1e30 FROM rt');
SELECT * FROM ai_recommend_for_ratings('rt', ARRAY[1]::bigint[], ARRAY[1e300], 5);
SELECT * FROM ai_recommend_for_ratings('rt', ARRAY[1, 1]::bigint[], ARRAY[5, 4], 5);
-- ai_evaluate uses the model's k
SELECT version FROM ai_train('rt_k5', 'als', 'rt', options => '{"factors": 2, "iterations": 2, "k": 5}');
SELECT jsonb_object_keys(ai_evaluate('rt_k5', 'rt')) AS key ORDER BY 1;
-- cold start as an error
SELECT version FROM ai_train('rt_strict', 'als', 'rt', options => '{"factors": 2, "iterations": 2, "cold_start": "error"}');
SELECT * FROM ai_recommend('rt_strict', 999::bigint, 5);
-- a recommender is not a row model, and a row model is not a recommender
SELECT version FROM ai_train('rowmodel', 'linear_regression', 'SELECT user_id::float8 AS x, stars FROM rt', 'stars');
SELECT * FROM ai_recommend('rowmodel', 1::bigint);
SELECT ai_predict('rt', r) FROM (SELECT 1 AS x) r;

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE rt, rt_text, dup;
