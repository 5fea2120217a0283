-- Recommender accuracy on ratings generated from known low-rank factors.
BEGIN;
SELECT plan(10);
SELECT setseed(0.7);

-- explicit: r = 3 + <U_u, V_i> + noise(sd 0.3), 400 users x 300 items, ~25% observed
CREATE TABLE planted AS
  SELECT u, i, 3 + (uf[1] * vf[1] + uf[2] * vf[2] + uf[3] * vf[3])
           + 0.3 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS rating
    FROM (SELECT u, ARRAY[sin(u * 1.3), cos(u * 0.7), sin(u * 0.31 + 1)] AS uf FROM generate_series(1, 400) u) us,
         (SELECT i, ARRAY[cos(i * 0.9), sin(i * 1.7), cos(i * 0.23 + 2)] AS vf FROM generate_series(1, 300) i) it
   WHERE random() < 0.25;

SELECT is((SELECT version FROM ai_train('planted', 'als', 'planted',
           options => '{"factors": 3, "l2": 0.02, "iterations": 15}')), 1, 'trains an explicit ALS model');
SELECT cmp_ok((SELECT (metrics -> 'test' ->> 'rmse')::float8 FROM ai_models WHERE name = 'planted'), '<', 0.33::float8,
              'hold-out RMSE within 10% of the noise level 0.3');
SELECT cmp_ok((SELECT (metrics -> 'train' ->> 'rmse')::float8 FROM ai_models WHERE name = 'planted'), '<', 0.33::float8,
              'training RMSE near the noise level');
SELECT cmp_ok(abs((SELECT ai_evaluate('planted', 'planted') ->> 'rmse')::float8 - 0.3), '<', 0.05::float8,
              'ai_evaluate on the ratings agrees');
-- predictions follow the planted structure
SELECT cmp_ok((SELECT corr(ai_predict('planted', u::bigint, i::bigint), 3 + sin(u * 1.3) * cos(i * 0.9)
                                                         + cos(u * 0.7) * sin(i * 1.7) + sin(u * 0.31 + 1) * cos(i * 0.23 + 2))
                 FROM generate_series(1, 400, 7) u, generate_series(1, 300, 11) i), '>', 0.95::float8,
              'predictions of unseen pairs correlate with the planted ratings');

-- implicit: 8 taste groups of users, each interacting with its group's 20 items (and a little noise)
CREATE TABLE clicks AS
  SELECT u, i, 1 AS rating
    FROM generate_series(1, 800) u, generate_series(1, 400) i
   WHERE (i % 8 = u % 8 AND i <= 160 AND random() < 0.5) OR random() < 0.01;
SELECT is((SELECT version FROM ai_train('clicks', 'als', 'clicks',
           options => '{"feedback": "implicit", "factors": 16, "iterations": 10}')), 1, 'trains an implicit ALS model');
-- recall@10 of the hold-out, against recommending the most popular items to
-- everyone (the baseline's recall is measured over each user's items)
SELECT cmp_ok((SELECT (metrics -> 'test' ->> 'recall@10')::float8 FROM ai_models WHERE name = 'clicks'), '>',
              0.3::float8, 'implicit hold-out recall@10 is high');
SELECT cmp_ok(
  (SELECT (metrics -> 'test' ->> 'recall@10')::float8 FROM ai_models WHERE name = 'clicks'), '>',
  3 * (SELECT avg(hit) FROM (
         SELECT u, count(*) FILTER (WHERE i IN (SELECT i FROM clicks GROUP BY i ORDER BY count(*) DESC LIMIT 10))::float8
                / least(count(*), 10) AS hit
           FROM clicks GROUP BY u) s),
  'recall@10 is well above a most-popular baseline');
-- the recommendations of a user come from the user's group
SELECT cmp_ok((SELECT avg((item_id % 8 = 5 AND item_id <= 160)::int)::float8 FROM ai_recommend('clicks', 5::bigint, 10)), '>=',
              0.8::float8, 'a user''s top 10 are mostly items of the user''s group');
SELECT cmp_ok((SELECT avg((item_id % 8 = 3)::int)::float8 FROM ai_similar_items('clicks', 3::bigint, 5)), '>=',
              0.8::float8, 'similar items come from the item''s group');

SELECT * FROM finish();
ROLLBACK;
