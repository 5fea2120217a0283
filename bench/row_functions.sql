-- bench/row_functions.sql: per-row cost of ai_features and ai_label against a plain
-- scan (300,000 rows x 22 columns, one backend).  Run: psql -X -d <db> -f bench/row_functions.sql
-- on a database where pg_learn may be (re)created; compare the Time lines.
\set QUIET on
DROP EXTENSION IF EXISTS pg_learn CASCADE; CREATE EXTENSION pg_learn;
DROP TABLE IF EXISTS b;
CREATE TABLE b AS SELECT random() c1, random() c2, random() c3, random() c4, random() c5, random() c6, random() c7, random() c8, random() c9, random() c10, random() c11, random() c12, random() c13, random() c14, random() c15, random() c16, random() c17, random() c18, random() c19, random() c20, (ARRAY['a','b','c','d','e'])[1 + (random()*4)::int] AS cat, random() y FROM generate_series(1,300000);
SELECT version FROM ai_train('bl', 'linear_regression', 'b', 'y', '{"method":"memory"}') \gset
SELECT ai_export_model('bl') AS blob \gset
SET max_parallel_workers_per_gather = 0;
SELECT octet_length(:'blob'::bytea) AS blob_bytes;
\timing on
SELECT count(*) FROM b q;
SELECT count(*) FROM b q;
SELECT count(ai_features(:'blob', q)) FROM b q;
SELECT count(ai_features(:'blob', q)) FROM b q;
SELECT count(ai_features(:'blob', q)) FROM b q;
SELECT count(ai_label(:'blob', q)) FROM b q;
SELECT count(ai_label(:'blob', q)) FROM b q;
