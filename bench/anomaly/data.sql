-- The anomaly benchmark's data sets (bench/anomaly/run), generated without
-- random(): a hash of the row number, so every run and both sides see the
-- same rows.  psql variable rows: the size of the "mixture" set.
DROP TABLE IF EXISTS anb_planted, anb_mixture;
CREATE OR REPLACE FUNCTION anb_u(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  $$ SELECT ((hashint8(i::int8 * 131 + k) & 2147483647)::float8 + 0.5) / 2147483648.0 $$;
CREATE OR REPLACE FUNCTION anb_n(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  $$ SELECT sqrt(-2 * ln(anb_u(i, 2 * k))) * cos(2 * pi() * anb_u(i, 2 * k + 1)) $$;

-- "planted": sql/anomaly.sql's 3000 rows, 30 anomalies 4 to 6 standard
-- deviations out in two of four numbers, and a store among four (one-hot)
CREATE TABLE anb_planted AS
  SELECT i AS id, i <= 30 AS planted,
         anb_n(i, 1) + CASE WHEN i <= 30 THEN (4 + 2 * anb_u(i, 20)) * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) ELSE 0 END AS x1,
         0.6 * anb_n(i, 1) + 0.8 * anb_n(i, 2) AS x2,
         anb_n(i, 3) + CASE WHEN i <= 30 THEN (4 + 2 * anb_u(i, 21)) * (CASE WHEN i % 4 < 2 THEN 1 ELSE -1 END) ELSE 0 END AS x3,
         2 * anb_n(i, 4) AS x4,
         (ARRAY['north', 'south', 'east', 'west'])[1 + (i % 4)] AS store
    FROM generate_series(1, 3000) i;

-- "mixture": :rows rows of 8 numbers, three Gaussian clusters (centres
-- -3, 0, +3 in every input, sd 1) and 1% anomalies uniform in [-8, 8]^8
CREATE TABLE anb_mixture AS
  SELECT i AS id, i % 100 = 0 AS planted,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 40) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 1) END AS x1,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 41) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 2) END AS x2,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 42) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 3) END AS x3,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 43) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 4) END AS x4,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 44) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 5) END AS x5,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 45) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 6) END AS x6,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 46) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 7) END AS x7,
         CASE WHEN i % 100 = 0 THEN 16 * anb_u(i, 47) - 8 ELSE 3 * (i % 3 - 1) + anb_n(i, 8) END AS x8
    FROM generate_series(1, :rows) i;
ANALYZE anb_planted;
ANALYZE anb_mixture;
