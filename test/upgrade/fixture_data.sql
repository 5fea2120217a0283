-- The data of the upgrade test (test/tap/upgrade.sh): deterministic tables
-- on which the 0.1.0 code trained the models in fixtures_0.1.0.sql.
CREATE TABLE up_houses AS
  SELECT i AS id, (i % 13)::float8 AS a,
         CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 5)::float8 END AS b,
         (ARRAY['x', 'y', 'z'])[1 + i % 3] AS c,
         1.5 * (i % 13) - (i % 5) + CASE i % 3 WHEN 0 THEN 4 ELSE 0 END + sin(i) AS y,
         (ARRAY['low', 'mid', 'high'])[1 + ((i % 13) + (i % 5)) % 3] AS band
    FROM generate_series(1, 400) i;
CREATE TABLE up_ratings AS
  SELECT u AS user_id, it AS item_id, ((u * it) % 5 + 1)::float8 AS rating
    FROM generate_series(1, 40) u, generate_series(1, 25) it WHERE (u + it) % 3 = 0;
