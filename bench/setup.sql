-- bench/setup.sql: the benchmark's data and timing helper (run by bench/run
-- with -v rows=N).  Deterministic: setseed() before the single INSERT.
--
-- Features c1..c20 are uniform with different centres and scales,
--   cj = (j % 5) + j * (random() - 0.5)
-- the regression target is a known linear combination plus gaussian-ish noise
-- (sum of four uniforms, sd 1.15), and the binary label yb follows a logistic
-- model of the centred score s = sum wj * (cj - (j % 5)):
--   y  = 3 + sum wj * cj + noise,       wj = (-1)^j * (0.5 + 0.1 j)
--   yb = (0.1 * s + logit(u) > 0),     u uniform in (0, 1)

CREATE EXTENSION IF NOT EXISTS pg_learn;

-- bench_times, bench_values and bench_time() (bench/timing.sql)
\ir timing.sql

DROP TABLE IF EXISTS t CASCADE;
CREATE TABLE t (
	c1 float8, c2 float8, c3 float8, c4 float8, c5 float8,
	c6 float8, c7 float8, c8 float8, c9 float8, c10 float8,
	c11 float8, c12 float8, c13 float8, c14 float8, c15 float8,
	c16 float8, c17 float8, c18 float8, c19 float8, c20 float8,
	y float8, yb int);

SELECT setseed(0.42);

INSERT INTO t
SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10,
	   c11, c12, c13, c14, c15, c16, c17, c18, c19, c20,
	   3 + (-0.6)*c1 + 0.7*c2 + (-0.8)*c3 + 0.9*c4 + (-1.0)*c5
		 + 1.1*c6 + (-1.2)*c7 + 1.3*c8 + (-1.4)*c9 + 1.5*c10
		 + (-1.6)*c11 + 1.7*c12 + (-1.8)*c13 + 1.9*c14 + (-2.0)*c15
		 + 2.1*c16 + (-2.2)*c17 + 2.3*c18 + (-2.4)*c19 + 2.5*c20
		 + 2 * (n1 + n2 + n3 + n4 - 2),
	   (0.1 * ((-0.6)*(c1 - 1) + 0.7*(c2 - 2) + (-0.8)*(c3 - 3) + 0.9*(c4 - 4) + (-1.0)*c5
			   + 1.1*(c6 - 1) + (-1.2)*(c7 - 2) + 1.3*(c8 - 3) + (-1.4)*(c9 - 4) + 1.5*c10
			   + (-1.6)*(c11 - 1) + 1.7*(c12 - 2) + (-1.8)*(c13 - 3) + 1.9*(c14 - 4) + (-2.0)*c15
			   + 2.1*(c16 - 1) + (-2.2)*(c17 - 2) + 2.3*(c18 - 3) + (-2.4)*(c19 - 4) + 2.5*c20)
		+ ln(u / (1 - u)) > 0)::int
  FROM (SELECT 1 + 1 * (random() - 0.5) AS c1,
			   2 + 2 * (random() - 0.5) AS c2,
			   3 + 3 * (random() - 0.5) AS c3,
			   4 + 4 * (random() - 0.5) AS c4,
			   0 + 5 * (random() - 0.5) AS c5,
			   1 + 6 * (random() - 0.5) AS c6,
			   2 + 7 * (random() - 0.5) AS c7,
			   3 + 8 * (random() - 0.5) AS c8,
			   4 + 9 * (random() - 0.5) AS c9,
			   0 + 10 * (random() - 0.5) AS c10,
			   1 + 11 * (random() - 0.5) AS c11,
			   2 + 12 * (random() - 0.5) AS c12,
			   3 + 13 * (random() - 0.5) AS c13,
			   4 + 14 * (random() - 0.5) AS c14,
			   0 + 15 * (random() - 0.5) AS c15,
			   1 + 16 * (random() - 0.5) AS c16,
			   2 + 17 * (random() - 0.5) AS c17,
			   3 + 18 * (random() - 0.5) AS c18,
			   4 + 19 * (random() - 0.5) AS c19,
			   0 + 20 * (random() - 0.5) AS c20,
			   random() AS n1, random() AS n2, random() AS n3, random() AS n4,
			   1e-9 + (1 - 2e-9) * random() AS u
		  FROM generate_series(1, :rows)
		OFFSET 0) s;

VACUUM ANALYZE t;

-- the logistic model's data: the features and the label, without y
CREATE VIEW t_log AS
SELECT c1, c2, c3, c4, c5, c6, c7, c8, c9, c10,
	   c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, yb
  FROM t;
