-- Catalog: versions, deployment, rollback, drop; blobs kept apart.
SET client_min_messages = notice;
SELECT setseed(0.1);
CREATE TABLE cat_data AS
  SELECT i AS id, i % 7 AS a, (i * 13) % 11 AS b, 2.0 * (i % 7) - 3.0 * ((i * 13) % 11) + 5 AS y
    FROM generate_series(1, 200) i;

-- every ai_train makes a new version and deploys it
SELECT name, version, algorithm, rows_used FROM ai_train('cat_m', 'linear_regression', 'cat_data', 'y', '{"exclude": ["id"]}');
SELECT name, version, algorithm, rows_used FROM ai_train('cat_m', 'linear_regression', 'cat_data', 'y', '{"exclude": ["id"], "l2": 10}');
-- unless "deploy": false
SELECT name, version FROM ai_train('cat_m', 'linear_regression', 'cat_data', 'y', '{"exclude": ["id"], "l2": 100, "deploy": false}');

SELECT name, version, algorithm, deployed, target_name, feature_names, rows_used,
       blob_size > 0 AS has_blob, options, data_source, trained_by, seconds >= 0 AS timed
  FROM ai_models WHERE name = 'cat_m' ORDER BY version;

-- metadata of a version
SELECT version, feature_types, target_type, metrics ? 'train' AS has_train, metrics ? 'test' AS has_test,
       (metrics -> 'test' ->> 'n')::int AS n_test, (metrics ->> 'rows_train')::int AS n_train
  FROM ai_catalog_versions WHERE name = 'cat_m' ORDER BY version;

-- predictions come from the deployed version; rollback by deploying an older one
SELECT round(ai_predict('cat_m', ARRAY[3, 4])::numeric, 4) AS v2;
SELECT ai_deploy('cat_m', 1);
SELECT round(ai_predict('cat_m', ARRAY[3, 4])::numeric, 4) AS v1;
SELECT version, deployed FROM ai_models WHERE name = 'cat_m' ORDER BY version;
SELECT ai_deploy('cat_m', 3);
SELECT round(ai_predict('cat_m', ARRAY[3, 4])::numeric, 4) AS v3;

-- blobs live in their own table, one per version
SELECT count(*) AS blobs FROM ai_catalog_blobs b JOIN ai_catalog_versions v ON v.id = b.version_id
 WHERE v.name = 'cat_m';
SELECT octet_length(b.blob) = v.blob_size AS size_matches, substr(b.blob, 1, 4) AS magic
  FROM ai_catalog_blobs b JOIN ai_catalog_versions v ON v.id = b.version_id
 WHERE v.name = 'cat_m' ORDER BY v.version;

-- the catalog tables are registered for pg_dump
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'pg_learn' ORDER BY 1;

-- ordinary roles may read the catalog (only the models they may use) but not write it
CREATE ROLE cat_reader;
SET ROLE cat_reader;
SELECT count(*) FROM ai_models WHERE name = 'cat_m';
DELETE FROM ai_catalog_models;
SELECT count(*) FROM ai_catalog_blobs;
RESET ROLE;
DROP ROLE cat_reader;

-- a blob corrupted in place is caught when a backend loads it: an ERROR, not a crash
SELECT version FROM ai_train('cat_bad', 'linear_regression', 'cat_data', 'y', '{"exclude": ["id"]}');
UPDATE ai_catalog_blobs SET blob = overlay(blob PLACING '\xff'::bytea FROM 40 FOR 1)
 WHERE version_id = (SELECT id FROM ai_catalog_versions WHERE name = 'cat_bad');
\c
-- (checksums depend on the coefficients' last bits, so they are masked here)
CREATE FUNCTION cat_try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '0x[0-9a-f]+', '0x...', 'g');
END $$;
SELECT cat_try($$SELECT ai_predict('cat_bad', ARRAY[1, 2])$$);
UPDATE ai_catalog_blobs SET blob = substr(blob, 1, 20)
 WHERE version_id = (SELECT id FROM ai_catalog_versions WHERE name = 'cat_bad');
SELECT cat_try($$SELECT ai_predict('cat_bad', ARRAY[1, 2])$$);
DROP FUNCTION cat_try(text);
SELECT ai_drop_model('cat_bad');

-- drop removes the model, its versions and blobs
SELECT ai_drop_model('cat_m');
SELECT count(*) FROM ai_models WHERE name = 'cat_m';
SELECT count(*) FROM ai_catalog_versions WHERE name = 'cat_m';
SELECT count(*) FROM ai_catalog_blobs;
-- and the name can be used again, starting at version 1
SELECT name, version FROM ai_train('cat_m', 'linear_regression', 'cat_data', 'y', '{"exclude": ["id"]}');
SELECT ai_drop_model('cat_m');
DROP TABLE cat_data;

-- version ids start again when the extension is created again: the
-- per-backend model cache must not serve the old model for the new id
DROP EXTENSION pg_learn;
CREATE EXTENSION pg_learn;
SELECT version FROM ai_train('c1', 'linear_regression', 'SELECT x::float8 AS x, 2 * x + 1 AS y FROM generate_series(1, 10) x', 'y');
SELECT round(ai_predict('c1', ARRAY[10.0])::numeric, 6) AS c1;
DROP EXTENSION pg_learn;
CREATE EXTENSION pg_learn;
SELECT version FROM ai_train('c2', 'linear_regression', 'SELECT x::float8 AS x, -5 * x AS y FROM generate_series(1, 10) x', 'y');
SELECT round(ai_predict('c2', ARRAY[10.0])::numeric, 6) AS c2;
SELECT ai_drop_model('c2');
