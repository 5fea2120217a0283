-- bench/trees_setup.sql: data A of the tree benchmark (run by bench/run_trees
-- with -v rows=N).  Deterministic: setseed() before the single INSERT.
--
-- tt: c1..c20 float8, ca text (5 levels 'a'..'e'), cb text (12 levels
-- 'k01'..'k12'), y float8.  c1..c20 are uniform on (-2, 2); the levels are
-- drawn with unequal frequencies.  The target is nonlinear: a smooth curve,
-- thresholds, interactions, a categorical main effect and a categorical
-- interaction, plus gaussian noise of sd 1 (Box-Muller); c13..c20 are noise
-- features the trees should ignore:
--
--   y = 2 sin(1.5 c1) + 3 c3 [c2 > 0.5] + c4 c5 + |c6| + 2 [c7 > 0 and c8 < 0]
--       + 0.5 c10^2 + e(ca) + c9 g(cb) + 0.4 c11 - 0.3 c12 + noise
--   e(a..e) = 0, 1, -1, 2, 0.5        g(k01..k12) = -1.5 + 0.25 (k - 1)
--
-- tt_arr: the same rows as the float8[] a model imported from Python reads
-- (c1..c20, then ca one-hot in sorted order a..e, then cb one-hot k01..k12:
-- the encoding bench/trees_peer.py builds with numpy), and y.
-- tt_one: the first row of tt, for the single-row latency.

CREATE EXTENSION IF NOT EXISTS pg_learn;

-- bench_times, bench_values and bench_time() (bench/timing.sql)
\ir timing.sql
ALTER TABLE bench_values ADD PRIMARY KEY (key);

DROP TABLE IF EXISTS tt CASCADE;
CREATE TABLE tt (
	c1 float8, c2 float8, c3 float8, c4 float8, c5 float8,
	c6 float8, c7 float8, c8 float8, c9 float8, c10 float8,
	c11 float8, c12 float8, c13 float8, c14 float8, c15 float8,
	c16 float8, c17 float8, c18 float8, c19 float8, c20 float8,
	ca text, cb text, y float8);

SELECT setseed(0.13);

INSERT INTO tt
SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10,
	   c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, ca, cb,
	   2 * sin(1.5 * c1) + CASE WHEN c2 > 0.5 THEN 3 * c3 ELSE 0 END + c4 * c5 + abs(c6)
		 + CASE WHEN c7 > 0 AND c8 < 0 THEN 2 ELSE 0 END + 0.5 * c10 * c10
		 + (ARRAY[0, 1, -1, 2, 0.5])[ascii(ca) - 96]
		 + c9 * (-1.5 + 0.25 * (substr(cb, 2)::int - 1))
		 + 0.4 * c11 - 0.3 * c12
		 + sqrt(-2 * ln(u1)) * cos(2 * pi() * u2)
  FROM (SELECT 4 * random() - 2 AS c1, 4 * random() - 2 AS c2, 4 * random() - 2 AS c3,
			   4 * random() - 2 AS c4, 4 * random() - 2 AS c5, 4 * random() - 2 AS c6,
			   4 * random() - 2 AS c7, 4 * random() - 2 AS c8, 4 * random() - 2 AS c9,
			   4 * random() - 2 AS c10, 4 * random() - 2 AS c11, 4 * random() - 2 AS c12,
			   4 * random() - 2 AS c13, 4 * random() - 2 AS c14, 4 * random() - 2 AS c15,
			   4 * random() - 2 AS c16, 4 * random() - 2 AS c17, 4 * random() - 2 AS c18,
			   4 * random() - 2 AS c19, 4 * random() - 2 AS c20,
			   -- levels with unequal frequencies: a..e with 30/25/20/15/10 %
			   (ARRAY['a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b', 'c', 'c', 'c', 'c',
					  'd', 'd', 'd', 'e', 'e'])[1 + floor(20 * random())::int] AS ca,
			   -- k01..k12, k01 most frequent (u^1.5)
			   'k' || lpad((1 + floor(12 * power(random(), 1.5))::int)::text, 2, '0') AS cb,
			   1e-12 + (1 - 2e-12) * random() AS u1, random() AS u2
		  FROM generate_series(1, :rows)
		OFFSET 0) s;

VACUUM ANALYZE tt;

CREATE TABLE tt_arr AS
SELECT ARRAY[c1, c2, c3, c4, c5, c6, c7, c8, c9, c10,
			 c11, c12, c13, c14, c15, c16, c17, c18, c19, c20,
			 (ca = 'a')::int, (ca = 'b')::int, (ca = 'c')::int, (ca = 'd')::int,
			 (ca = 'e')::int,
			 (cb = 'k01')::int, (cb = 'k02')::int, (cb = 'k03')::int, (cb = 'k04')::int,
			 (cb = 'k05')::int, (cb = 'k06')::int, (cb = 'k07')::int, (cb = 'k08')::int,
			 (cb = 'k09')::int, (cb = 'k10')::int, (cb = 'k11')::int,
			 (cb = 'k12')::int]::float8[] AS x,
	   y
  FROM tt;
VACUUM ANALYZE tt_arr;

CREATE TABLE tt_one AS SELECT * FROM tt LIMIT 1;
