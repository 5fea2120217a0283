-- Distributed scoring (docs/scale-out.md): ai_catalog_apply, which the
-- coordinator of a Citus cluster runs on every worker with a model's state,
-- tried here on the local database under another model name; and that
-- without the citus extension nothing is sent anywhere.
SET client_min_messages = notice;
SELECT count(*) AS citus_installed FROM pg_extension WHERE extname = 'citus';

CREATE TABLE dist AS
  SELECT i AS id, (i % 10)::float8 AS a, (i % 7)::float8 AS b,
         1.0 + 2.0 * (i % 10) + 3.0 * (i % 7) AS y
    FROM generate_series(1, 200) i;

-- without citus every change commits as before (the hook does nothing)
BEGIN;
SELECT version FROM ai_train('dist_m', 'linear_regression', 'SELECT a, b, y FROM dist', 'y');
SELECT version FROM ai_train('dist_m', 'linear_regression', 'SELECT a, b, 2 * y AS y FROM dist', 'y');
SELECT ai_deploy('dist_m', 1);
SELECT ai_grant('dist_m', 'public', 'predict');
COMMIT;

-- the state the coordinator sends (the same query as src/distribute.c)
CREATE FUNCTION dist_state(n text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('owner', m.owner, 'created_at', m.created_at,
           'deployed_version', m.deployed_version,
           'versions', COALESCE((SELECT jsonb_agg(to_jsonb(v) - 'id' ORDER BY v.version)
                                   FROM ai_catalog_versions v WHERE v.name = m.name), '[]'),
           'grants', COALESCE((SELECT jsonb_agg(to_jsonb(g))
                                 FROM ai_catalog_grants g WHERE g.name = m.name), '[]'))
    FROM ai_catalog_models m WHERE m.name = n $$;
-- the state of dist_m, renamed dist_copy
CREATE FUNCTION copy_state() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_set(jsonb_set(s, '{versions}',
           (SELECT jsonb_agg(jsonb_set(e, '{name}', '"dist_copy"')) FROM jsonb_array_elements(s->'versions') e)),
           '{grants}', COALESCE((SELECT jsonb_agg(jsonb_set(e, '{name}', '"dist_copy"'))
                                   FROM jsonb_array_elements(s->'grants') e), '[]'))
    FROM dist_state('dist_m') s $$;
CREATE FUNCTION m_blobs() RETURNS bytea[] LANGUAGE sql AS $$
  SELECT array_agg(b.blob ORDER BY v.version) FROM ai_catalog_versions v
    JOIN ai_catalog_blobs b ON b.version_id = v.id WHERE v.name = 'dist_m' $$;

-- install it: every version with its blob, the deployed one, the grants
SELECT ai_catalog_apply('dist_copy', copy_state(), '{1,2}', m_blobs()) AS missing_blobs;
SELECT name, version, deployed, algorithm, feature_names, rows_used
  FROM ai_models WHERE name IN ('dist_m', 'dist_copy') ORDER BY name, version;
SELECT grantee, privilege FROM ai_model_grants WHERE name = 'dist_copy';
-- the copy scores exactly as the original, deployed and pinned versions
SELECT count(*) AS rows,
       bool_and(ai_predict('dist_copy', d) = ai_predict('dist_m', d)) AS deployed_equal,
       bool_and(ai_predict('dist_copy', d, version => 2) = ai_predict('dist_m', d, version => 2)) AS v2_equal
  FROM dist d;

-- idempotent: applying the same state again changes nothing (the version
-- ids stay, so no backend reloads the model)
CREATE TABLE ids AS SELECT id, version FROM ai_catalog_versions WHERE name = 'dist_copy';
SELECT ai_catalog_apply('dist_copy', copy_state(), '{1,2}', m_blobs()) AS missing_blobs;
SELECT ai_catalog_apply('dist_copy', copy_state()) AS missing_blobs;
SELECT count(*) AS unchanged_ids FROM ai_catalog_versions v JOIN ids USING (id, version);

-- a redeploy on the coordinator is a new state: only deployed_version moves
SELECT ai_deploy('dist_m', 2);
SELECT ai_catalog_apply('dist_copy', copy_state()) AS missing_blobs;
SELECT version, deployed FROM ai_models WHERE name = 'dist_copy' ORDER BY version;
SELECT bool_and(ai_predict('dist_copy', d) = ai_predict('dist_m', d)) AS equal_after_redeploy FROM dist d;

-- a version gone from the state goes here too, with its blob
SELECT ai_drop_version('dist_m', 1);
SELECT ai_catalog_apply('dist_copy', copy_state()) AS missing_blobs;
SELECT version FROM ai_models WHERE name = 'dist_copy' ORDER BY version;
SELECT count(*) AS orphan_blobs FROM ai_catalog_blobs b
  WHERE NOT EXISTS (SELECT 1 FROM ai_catalog_versions v WHERE v.id = b.version_id);

-- a new version whose blob did not come: counted, so the coordinator sends them all
SELECT version FROM ai_train('dist_m', 'linear_regression', 'SELECT a, b, 3 * y AS y FROM dist', 'y');
SELECT ai_catalog_apply('dist_copy', copy_state()) AS missing_blobs;
SELECT ai_catalog_apply('dist_copy', copy_state(), '{2,3}', m_blobs()) AS missing_blobs;
-- the same version number with another blob (dropped and retrained): replaced
SELECT ai_catalog_apply('dist_copy', copy_state(), '{3}', ARRAY[(SELECT b.blob FROM ai_catalog_blobs b
  JOIN ai_catalog_versions v ON v.id = b.version_id WHERE v.name = 'dist_m' AND v.version = 2)]) AS missing_blobs;
SELECT count(*) AS ids_kept FROM ai_catalog_versions v JOIN ids USING (id, version);
SELECT bool_and(ai_predict('dist_copy', d, version => 3) = ai_predict('dist_m', d, version => 2)) AS v3_replaced
  FROM dist d;
SELECT ai_catalog_apply('dist_copy', copy_state(), '{2,3}', m_blobs()) AS missing_blobs;
SELECT bool_and(ai_predict('dist_copy', d, version => 3) = ai_predict('dist_m', d, version => 3)) AS v3_back
  FROM dist d;

-- the same privilege checks: a role sees the copy through PUBLIC's grant ...
CREATE ROLE regress_pgl_dist;
GRANT SELECT ON dist TO regress_pgl_dist;
SET ROLE regress_pgl_dist;
SELECT round(ai_predict('dist_copy', d)::numeric, 3) AS granted FROM dist d WHERE id = 7;
RESET ROLE;
-- ... and not once it is revoked on the coordinator
SELECT ai_revoke('dist_m', 'public', 'predict');
SELECT ai_catalog_apply('dist_copy', copy_state()) AS missing_blobs;
SET ROLE regress_pgl_dist;
SELECT ai_predict('dist_copy', d) FROM dist d WHERE id = 7;
-- only the extension's owner may apply a change: not an ordinary role ...
SELECT ai_catalog_apply('dist_copy', NULL);
RESET ROLE;
GRANT EXECUTE ON FUNCTION ai_catalog_apply(text, jsonb, integer[], bytea[]) TO regress_pgl_dist;
SET ROLE regress_pgl_dist;
-- ... not even with EXECUTE granted
SELECT ai_catalog_apply('dist_copy', NULL);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ai_catalog_apply(text, jsonb, integer[], bytea[]) FROM regress_pgl_dist;

-- bad arguments
SELECT ai_catalog_apply(NULL, copy_state());
SELECT ai_catalog_apply('dist_copy', '[1]');
SELECT ai_catalog_apply('dist_copy', '{"owner": "postgres", "versions": []}');
SELECT ai_catalog_apply('dist_copy', copy_state(), '{1,2}', ARRAY['\x00'::bytea]);
SELECT ai_catalog_apply('dist_copy', copy_state(), '{1,NULL}', ARRAY['\x00'::bytea, '\x00']);
SELECT ai_catalog_apply('dist_copy', jsonb_set(copy_state(), '{owner}', '"regress_pgl_no_such_role"'));
-- a failed apply left the copy as it was
SELECT version, deployed FROM ai_models WHERE name = 'dist_copy' ORDER BY version;

-- NULL state: the model is dropped here (twice is fine)
SELECT ai_catalog_apply('dist_copy', NULL) AS missing_blobs;
SELECT ai_catalog_apply('dist_copy', NULL) AS missing_blobs;
SELECT count(*) AS copies_left FROM ai_catalog_versions WHERE name = 'dist_copy';
SELECT ai_predict('dist_copy', ARRAY[1, 2]);

DROP TABLE dist, ids;
DROP FUNCTION dist_state(text), copy_state(), m_blobs();
SELECT ai_drop_model('dist_m');
DROP ROLE regress_pgl_dist;
