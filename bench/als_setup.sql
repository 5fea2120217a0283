-- bench/als_setup.sql: the recommender benchmark's data and timing helper
-- (run by bench/run_als with -v ratings=N).  Deterministic: setseed() once,
-- then single-process statements (max_parallel_workers_per_gather = 0).
--
-- 6,000 users x 4,000 items.  Users and items are drawn with skew:
--   user = 1 + floor(6000 * u^1.6)   (user 1 most active, ~1:60 range)
--   item = 1 + floor(4000 * u^2.5)   (long tail: item 1 most popular)
-- 1.4 N draws, deduplicated on (user, item), then N of the distinct pairs
-- kept at random.  Ratings come from planted rank-8 factors and biases:
--   score  = 3.4 + b_u + c_i + P_u . Q_i          (noise-free)
--   rating = clamp(round(score + e), 1, 5),  e ~ N(0, noise_sd^2)
-- with b_u ~ N(0, 0.3^2), c_i ~ N(0, 0.4^2), P, Q entries ~ N(0, 0.53^2)
-- (P_u . Q_i has sd ~0.8).  The implicit-feedback view has rating 1 for
-- every observed (user, item) pair.

CREATE EXTENSION IF NOT EXISTS pg_learn;

-- bench_time() and bench_times, as every bench script times (timing.sql); the
-- ALS scripts (als_numpy.py, report_als.py) read and write the times as als_times
DROP VIEW IF EXISTS als_times;
\ir timing.sql
CREATE VIEW als_times AS SELECT * FROM bench_times;
DROP TABLE IF EXISTS als_values;
CREATE TABLE als_values (key text PRIMARY KEY, value text);

-- N(0, 1) by Box-Muller (PostgreSQL 15 has no random_normal())
CREATE OR REPLACE FUNCTION als_normal() RETURNS float8 LANGUAGE sql VOLATILE AS
$$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;

\set noise_sd 0.5
INSERT INTO als_values VALUES ('noise_sd', :'noise_sd');

SELECT setseed(0.42);

DROP TABLE IF EXISTS als_users, als_items, als_draws, ratings CASCADE;
CREATE TABLE als_users AS
SELECT g AS user_id, 0.3 * als_normal() AS b,
	   0.53 * als_normal() AS p1, 0.53 * als_normal() AS p2, 0.53 * als_normal() AS p3,
	   0.53 * als_normal() AS p4, 0.53 * als_normal() AS p5, 0.53 * als_normal() AS p6,
	   0.53 * als_normal() AS p7, 0.53 * als_normal() AS p8
  FROM generate_series(1, 6000) g;
CREATE TABLE als_items AS
SELECT g AS item_id, 0.4 * als_normal() AS c,
	   0.53 * als_normal() AS q1, 0.53 * als_normal() AS q2, 0.53 * als_normal() AS q3,
	   0.53 * als_normal() AS q4, 0.53 * als_normal() AS q5, 0.53 * als_normal() AS q6,
	   0.53 * als_normal() AS q7, 0.53 * als_normal() AS q8
  FROM generate_series(1, 4000) g;

-- skewed draws; duplicates removed (first draw kept), N kept in random order
CREATE TABLE als_draws AS
SELECT s AS seq,
	   1 + floor(6000 * power(random(), 1.6))::int AS user_id,
	   1 + floor(4000 * power(random(), 2.5))::int AS item_id,
	   random() AS pick
  FROM generate_series(1, ceil(1.4 * :ratings)::int) s;

CREATE TABLE ratings (user_id int, item_id int, rating real, score float8);
INSERT INTO ratings
SELECT d.user_id, d.item_id,
	   least(5, greatest(1, round(sc.score + :noise_sd * als_normal())))::real,
	   sc.score
  FROM (SELECT * FROM (SELECT DISTINCT ON (user_id, item_id) *
						 FROM als_draws ORDER BY user_id, item_id, seq) x
		 ORDER BY pick, seq
		 LIMIT :ratings) d
  JOIN als_users u USING (user_id)
  JOIN als_items i USING (item_id)
 CROSS JOIN LATERAL (SELECT 3.4 + u.b + i.c + u.p1 * i.q1 + u.p2 * i.q2 + u.p3 * i.q3
							+ u.p4 * i.q4 + u.p5 * i.q5 + u.p6 * i.q6 + u.p7 * i.q7
							+ u.p8 * i.q8 AS score) sc
 ORDER BY d.pick, d.seq;
DROP TABLE als_draws;

-- the data ai_train reads: (user, item, rating); score (noise-free) is only for reference
CREATE VIEW ratings_explicit AS SELECT user_id, item_id, rating FROM ratings;
CREATE VIEW ratings_implicit AS SELECT user_id, item_id, 1::real AS rating FROM ratings;
VACUUM ANALYZE ratings;

INSERT INTO als_values
SELECT 'ratings', count(*)::text FROM ratings UNION ALL
SELECT 'users', count(DISTINCT user_id)::text FROM ratings UNION ALL
SELECT 'items', count(DISTINCT item_id)::text FROM ratings UNION ALL
SELECT 'rating_mean', round(avg(rating)::numeric, 4)::text FROM ratings UNION ALL
SELECT 'rating_sd', round(stddev_pop(rating)::numeric, 4)::text FROM ratings UNION ALL
-- the planted noise as seen in the stored ratings: RMSE of the rating against
-- the noise-free score (gaussian noise + rounding + clipping to 1..5)
SELECT 'planted_rmse', round(sqrt(avg((rating - score) ^ 2))::numeric, 4)::text FROM ratings UNION ALL
SELECT 'stars', string_agg(format('%s: %s%%', r, pct), ', ' ORDER BY r)
  FROM (SELECT rating AS r, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
		  FROM ratings GROUP BY rating) s UNION ALL
SELECT 'top_item_share', round(100.0 * max(n) / sum(n), 2)::text
  FROM (SELECT count(*) AS n FROM ratings GROUP BY item_id) s UNION ALL
SELECT 'top10pct_items_share', round(100.0 * sum(n) FILTER (WHERE rk <= 400) / sum(n), 1)::text
  FROM (SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS rk
		  FROM ratings GROUP BY item_id) s UNION ALL
SELECT 'user_activity', format('min %s, median %s, max %s', min(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), max(n))
  FROM (SELECT count(*) AS n FROM ratings GROUP BY user_id) s UNION ALL
SELECT 'item_ratings', format('min %s, median %s, max %s', min(n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), max(n))
  FROM (SELECT count(*) AS n FROM ratings GROUP BY item_id) s UNION ALL
SELECT 'table_mb', round(pg_total_relation_size('ratings') / 1048576.0, 1)::text;
