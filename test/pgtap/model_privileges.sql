-- Model privileges with three roles: the owner, a grantee and an outsider.
-- Every use path refuses the outsider with a permission error, ai_models and
-- the catalog tables hide the model from it, and the tests try to get around
-- that: direct SELECTs on the tables and blobs, leaky functions, pg_stats,
-- export, writing a grant directly, the model cache across SET ROLE in one
-- session, SECURITY DEFINER functions, and a grant revoked with a warm cache.
BEGIN;
SELECT plan(84);

CREATE ROLE pgl_owner;
CREATE ROLE pgl_grantee;
CREATE ROLE pgl_outsider;
CREATE ROLE pgl_readers;			-- a group role
CREATE ROLE pgl_reader_member;		-- a member of the group
GRANT pgl_readers TO pgl_reader_member;
GRANT USAGE, CREATE ON SCHEMA public TO pgl_owner, pgl_grantee, pgl_outsider, pgl_readers, pgl_reader_member;

CREATE TABLE mp_data AS
SELECT i AS id, (i % 10)::float8 AS x, (i % 7)::float8 AS z, 2.0 * (i % 10) + (i % 7) AS y,
       (i % 10) > 4 AS big
  FROM generate_series(1, 200) i;
CREATE TABLE mp_ratings AS
SELECT u AS user_id, it AS item_id, ((u * 7 + it * 3) % 5 + 1)::float8 AS rating
  FROM generate_series(1, 30) u, generate_series(1, 20) it WHERE (u + it) % 3 = 0;
GRANT SELECT ON mp_data, mp_ratings TO PUBLIC;

-- an error's code, message, detail and hint, as one text
CREATE FUNCTION mp_err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hin text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
                          hin = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || ' | ' || det || ' | ' || hin;
END $$;
GRANT EXECUTE ON FUNCTION mp_err(text) TO PUBLIC;

-- 1. the owner trains one model of each algorithm
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_train('mp_reg', 'linear_regression', 'SELECT x, z, y FROM mp_data', 'y')$$, 'owner trains a linear model');
SELECT lives_ok($$SELECT ai_train('mp_cls', 'logistic_regression', 'SELECT x, z, big FROM mp_data', 'big')$$, 'owner trains a classifier');
SELECT lives_ok($$SELECT ai_train('mp_km', 'kmeans', 'SELECT x, z FROM mp_data', options => '{"k": 2, "seed": 1}')$$, 'owner trains kmeans');
SELECT lives_ok($$SELECT ai_train('mp_rec', 'als', 'mp_ratings', options => '{"factors": 2, "iterations": 3}')$$, 'owner trains ALS');
SELECT is((SELECT count(DISTINCT name)::int FROM ai_models), 4, 'the owner sees its four models');
-- warm this backend's model cache as the owner
SELECT ok(ai_predict('mp_reg', ARRAY[1.0, 2.0]) IS NOT NULL, 'owner predicts (cache warm)');
RESET ROLE;

-- 2. the outsider: every use path is a permission error naming model and role, with a hint
SET ROLE pgl_outsider;
SELECT is(mp_err($$SELECT ai_predict('mp_reg', ARRAY[1.0, 2.0])$$),
          '42501: permission denied for model "mp_reg" | Role "pgl_outsider" has no predict privilege on model "mp_reg", which belongs to role "pgl_owner". | The owner may grant it: SELECT ai_grant(''mp_reg'', ''pgl_outsider'', ''predict'');',
          'ai_predict: permission error with the model, the role and an ai_grant hint (warm cache of another role)');
SELECT throws_ok($$SELECT ai_predict('mp_reg', d) FROM mp_data d LIMIT 1$$, '42501', 'permission denied for model "mp_reg"', 'ai_predict(record)');
SELECT throws_ok($$SELECT ai_classify('mp_cls', d) FROM mp_data d LIMIT 1$$, '42501', 'permission denied for model "mp_cls"', 'ai_classify');
SELECT throws_ok($$SELECT ai_classify('mp_cls', ARRAY[1.0, 2.0])$$, '42501', 'permission denied for model "mp_cls"', 'ai_classify(array)');
SELECT throws_ok($$SELECT ai_predict_proba('mp_cls', ARRAY[1.0, 2.0])$$, '42501', 'permission denied for model "mp_cls"', 'ai_predict_proba');
SELECT throws_ok($$SELECT ai_model_classes('mp_cls')$$, '42501', 'permission denied for model "mp_cls"', 'ai_model_classes');
SELECT throws_ok($$SELECT * FROM ai_model_features('mp_reg')$$, '42501', 'permission denied for model "mp_reg"', 'ai_model_features');
SELECT throws_ok($$SELECT * FROM ai_model_coefficients('mp_reg')$$, '42501', 'permission denied for model "mp_reg"', 'ai_model_coefficients');
SELECT throws_ok($$SELECT * FROM ai_explain('mp_reg', (SELECT d FROM mp_data d LIMIT 1))$$, '42501', 'permission denied for model "mp_reg"', 'ai_explain');
SELECT throws_ok($$SELECT * FROM ai_feature_importance('mp_reg')$$, '42501', 'permission denied for model "mp_reg"', 'ai_feature_importance');
SELECT throws_ok($$SELECT ai_evaluate('mp_reg', 'SELECT x, z, y FROM mp_data')$$, '42501', 'permission denied for model "mp_reg"', 'ai_evaluate');
SELECT throws_ok($$SELECT ai_cluster('mp_km', ARRAY[1.0, 2.0])$$, '42501', 'permission denied for model "mp_km"', 'ai_cluster');
SELECT throws_ok($$SELECT * FROM ai_centroids('mp_km')$$, '42501', 'permission denied for model "mp_km"', 'ai_centroids');
SELECT throws_ok($$SELECT ai_predict('mp_rec', 1::bigint, 2::bigint)$$, '42501', 'permission denied for model "mp_rec"', 'ai_predict(user, item)');
SELECT throws_ok($$SELECT * FROM ai_recommend('mp_rec', 1::bigint)$$, '42501', 'permission denied for model "mp_rec"', 'ai_recommend');
SELECT throws_ok($$SELECT * FROM ai_recommend_all('mp_rec', 2)$$, '42501', 'permission denied for model "mp_rec"', 'ai_recommend_all');
SELECT throws_ok($$SELECT * FROM ai_similar_items('mp_rec', 3::bigint)$$, '42501', 'permission denied for model "mp_rec"', 'ai_similar_items');
SELECT throws_ok($$SELECT * FROM ai_similar_users('mp_rec', 3::bigint)$$, '42501', 'permission denied for model "mp_rec"', 'ai_similar_users');
SELECT throws_ok($$SELECT * FROM ai_recommend_for_ratings('mp_rec', ARRAY[1, 2]::bigint[], ARRAY[5, 1]::float8[])$$, '42501', 'permission denied for model "mp_rec"', 'ai_recommend_for_ratings');
SELECT throws_ok($$SELECT ai_evaluate('mp_rec', 'mp_ratings')$$, '42501', 'permission denied for model "mp_rec"', 'ai_evaluate of a recommender');
SELECT throws_ok($$SELECT ai_export_model('mp_reg')$$, '42501', 'permission denied to export model "mp_reg"', 'ai_export_model');
SELECT throws_ok($$SELECT ai_train('mp_reg', 'linear_regression', 'SELECT x, z, y FROM mp_data', 'y')$$, '42501', 'permission denied to retrain model "mp_reg"', 'retraining');
SELECT throws_ok($$SELECT ai_deploy('mp_reg', 1)$$, '42501', 'permission denied to deploy model "mp_reg"', 'deploying');
SELECT throws_ok($$SELECT ai_drop_model('mp_reg')$$, '42501', 'permission denied to drop model "mp_reg"', 'dropping');
SELECT throws_ok($$SELECT ai_grant('mp_reg', 'pgl_outsider', 'predict')$$, '42501', 'permission denied to grant privileges on model "mp_reg"', 'granting itself');
-- in parallel workers too (each worker looks the model up and checks again)
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT throws_ok($$SELECT sum(ai_predict('mp_reg', d)) FROM mp_data d$$, '42501', 'permission denied for model "mp_reg"', 'ai_predict in a parallel query');
RESET force_parallel_mode;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
-- getting around it: the view, the tables, the blobs, statistics, a leaky function
SELECT is((SELECT count(*)::int FROM ai_models), 0, 'ai_models shows the outsider no model');
SELECT is((SELECT count(*)::int FROM ai_catalog_models), 0, 'a direct SELECT on ai_catalog_models returns no row');
SELECT is((SELECT count(*)::int FROM ai_catalog_versions), 0, 'a direct SELECT on ai_catalog_versions returns no row');
SELECT throws_ok($$SELECT blob FROM ai_catalog_blobs$$, '42501', 'permission denied for table ai_catalog_blobs', 'the blobs are not readable');
SELECT is((SELECT count(*)::int FROM pg_stats WHERE tablename LIKE 'ai_catalog%'), 0, 'pg_stats shows nothing of the catalog');
CREATE FUNCTION pg_temp.mp_leak(t text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN RAISE NOTICE 'leaked %', t; RETURN true; END $$;
SELECT is((SELECT count(*)::int FROM ai_catalog_versions WHERE pg_temp.mp_leak(name || ' ' || metrics::text)), 0,
          'a cheap leaky function in WHERE sees no row (policies run first)');
SELECT throws_ok($$INSERT INTO ai_catalog_grants VALUES ('mp_reg', 'pgl_owner', 'pgl_outsider', 'predict', 'pgl_owner')$$,
                 '42501', 'permission denied for table ai_catalog_grants', 'writing a grant directly fails');
SELECT throws_ok($$UPDATE ai_catalog_models SET owner = 'pgl_outsider' WHERE name = 'mp_reg'$$,
                 '42501', 'permission denied for table ai_catalog_models', 'taking the model over directly fails');
SELECT throws_ok($$SELECT ai_import_model('mp_reg', '\x00'::bytea)$$, '42501', 'permission denied to retrain model "mp_reg"', 'importing a version into it');
RESET ROLE;

-- 3. the owner grants predict on one model to the grantee
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_grant('mp_reg', 'pgl_grantee', 'predict')$$, 'the owner grants predict');
SELECT throws_ok($$SELECT ai_grant('mp_reg', 'pgl_grantee', 'write')$$, '22023', 'unknown model privilege "write"', 'an unknown privilege is refused');
SELECT throws_ok($$SELECT ai_grant('mp_reg', 'no_such_role', 'predict')$$, '42704', 'role "no_such_role" does not exist', 'an unknown role is refused');
SELECT throws_ok($$SELECT ai_grant('no_model', 'pgl_grantee', 'predict')$$, '42704', 'model "no_model" does not exist', 'an unknown model is refused');
SELECT results_eq($$SELECT name, grantee, privilege FROM ai_model_grants$$, $$VALUES ('mp_reg'::text, 'pgl_grantee'::text, 'predict'::text)$$, 'ai_model_grants lists the grant');
RESET ROLE;

SET ROLE pgl_outsider;
SELECT is((SELECT count(*)::int FROM ai_catalog_grants), 0, 'the outsider does not see grants made to others');
SELECT is((SELECT count(*)::int FROM ai_model_grants), 0, 'nor through ai_model_grants');
RESET ROLE;

SET ROLE pgl_grantee;
SELECT ok(ai_predict('mp_reg', ARRAY[1.0, 2.0]) IS NOT NULL, 'the grantee predicts');
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT ok((SELECT sum(ai_predict('mp_reg', d)) FROM mp_data d) IS NOT NULL, 'also in a parallel query');
RESET force_parallel_mode;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT ok((SELECT count(*) FROM ai_explain('mp_reg', (SELECT d FROM mp_data d LIMIT 1))) = 3, 'and explains');
SELECT is((SELECT count(*)::int FROM ai_feature_importance('mp_reg')), 2, 'and computes feature importance (reading the data as itself)');
SELECT is((SELECT array_agg(DISTINCT name) FROM ai_models), ARRAY['mp_reg'], 'ai_models shows the grantee the granted model only');
SELECT is((SELECT count(*)::int FROM ai_catalog_versions WHERE name <> 'mp_reg'), 0, 'and so do the tables');
SELECT throws_ok($$SELECT ai_predict_proba('mp_cls', ARRAY[1.0, 2.0])$$, '42501', 'permission denied for model "mp_cls"', 'not the other models');
SELECT throws_ok($$SELECT ai_export_model('mp_reg')$$, '42501', 'permission denied to export model "mp_reg"', 'predict does not export');
SELECT throws_ok($$SELECT ai_train('mp_reg', 'linear_regression', 'SELECT x, z, y FROM mp_data', 'y')$$, '42501', 'permission denied to retrain model "mp_reg"', 'predict does not retrain');
SELECT throws_ok($$SELECT ai_grant('mp_reg', 'pgl_outsider', 'predict')$$, '42501', 'permission denied to grant privileges on model "mp_reg"', 'a grantee cannot pass the privilege on');
RESET ROLE;

-- 4. train: the grantee adds versions, still no deploy, drop or export
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_grant('mp_reg', 'pgl_grantee', 'train')$$, 'the owner grants train');
RESET ROLE;
SET ROLE pgl_grantee;
SELECT is((SELECT version FROM ai_train('mp_reg', 'linear_regression', 'SELECT x, z, y FROM mp_data', 'y')), 2, 'the grantee retrains');
SELECT is((SELECT trained_by::text FROM ai_models WHERE name = 'mp_reg' AND version = 2), 'pgl_grantee', 'the version records who trained it');
SELECT is((SELECT owner::text FROM ai_models WHERE name = 'mp_reg' AND version = 2), 'pgl_owner', 'the model still belongs to its owner');
SELECT throws_ok($$SELECT ai_deploy('mp_reg', 1)$$, '42501', 'permission denied to deploy model "mp_reg"', 'train does not deploy an old version');
SELECT throws_ok($$SELECT ai_drop_model('mp_reg')$$, '42501', 'permission denied to drop model "mp_reg"', 'train does not drop');
RESET ROLE;

-- 5. revoked with a warm cache, in the same session: the next statement is refused
SET ROLE pgl_grantee;
SELECT ok(ai_predict('mp_reg', ARRAY[1.0, 2.0]) IS NOT NULL, 'the grantee predicts (cache warm)');
RESET ROLE;
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_revoke('mp_reg', 'pgl_grantee', 'predict')$$, 'the owner revokes predict (which takes train too)');
SELECT is((SELECT count(*)::int FROM ai_model_grants), 0, 'no grant is left');
RESET ROLE;
SET ROLE pgl_grantee;
SELECT throws_ok($$SELECT ai_predict('mp_reg', ARRAY[1.0, 2.0])$$, '42501', 'permission denied for model "mp_reg"', 'revoked: refused despite the warm cache');
SELECT is((SELECT count(*)::int FROM ai_models), 0, 'and gone from ai_models');
RESET ROLE;

-- the same inside one PL/pgSQL function: one call site, same snapshot, role switched between calls
CREATE FUNCTION mp_roles_loop() RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; res text := '';
BEGIN
  FOREACH r IN ARRAY ARRAY['pgl_owner', 'pgl_outsider', 'pgl_owner'] LOOP
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
      res := res || r || ':' || round(ai_predict('mp_reg', ARRAY[1.0, 2.0])::numeric, 6)::text || ' ';
    EXCEPTION WHEN insufficient_privilege THEN
      res := res || r || ':denied ';
    END;
  END LOOP;
  RESET ROLE;
  RETURN res;
END $$;
SELECT matches(mp_roles_loop(), '^pgl_owner:[-0-9.]+ pgl_outsider:denied pgl_owner:[-0-9.]+ $',
               'one call site: the cached model is not handed to the next role');

-- granted and revoked between two calls of one call site
CREATE FUNCTION mp_revoke_loop() RETURNS text LANGUAGE plpgsql AS $$
DECLARE res text := '';
BEGIN
  FOR i IN 1..3 LOOP
    IF i = 1 THEN PERFORM ai_grant('mp_reg', 'pgl_grantee', 'predict'); END IF;
    IF i = 2 THEN PERFORM ai_revoke('mp_reg', 'pgl_grantee', 'predict'); END IF;
    IF i = 3 THEN PERFORM ai_grant('mp_reg', 'pgl_grantee', 'predict'); END IF;
    SET LOCAL ROLE pgl_grantee;
    BEGIN
      res := res || CASE WHEN ai_predict('mp_reg', ARRAY[1.0, 2.0]) IS NOT NULL THEN 'ok ' END;
    EXCEPTION WHEN insufficient_privilege THEN
      res := res || 'denied ';
    END;
    RESET ROLE;
  END LOOP;
  PERFORM ai_revoke('mp_reg', 'pgl_grantee', 'predict');
  RETURN res;
END $$;
SELECT is(mp_revoke_loop(), 'ok denied ok ', 'grant, revoke, grant: each call sees the current grants');

-- 6. SECURITY DEFINER: a function runs with its owner's privileges, both ways
SET ROLE pgl_outsider;
CREATE FUNCTION mp_outsider_wrapper() RETURNS float8 LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_catalog AS $$ SELECT ai_predict('mp_reg', ARRAY[1.0, 2.0]) $$;
GRANT EXECUTE ON FUNCTION mp_outsider_wrapper() TO PUBLIC;
RESET ROLE;
SET ROLE pgl_owner;
SELECT throws_ok($$SELECT mp_outsider_wrapper()$$, '42501', 'permission denied for model "mp_reg"',
                 'an outsider''s SECURITY DEFINER function called by the owner runs as the outsider: refused');
CREATE FUNCTION mp_owner_wrapper() RETURNS float8 LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_catalog AS $$ SELECT ai_predict('mp_reg', ARRAY[1.0, 2.0]) $$;
REVOKE ALL ON FUNCTION mp_owner_wrapper() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mp_owner_wrapper() TO pgl_outsider;
RESET ROLE;
SET ROLE pgl_outsider;
SELECT ok(mp_owner_wrapper() IS NOT NULL, 'the owner''s SECURITY DEFINER wrapper is a deliberate delegation: it works');
SELECT throws_ok($$SELECT mp_owner_wrapper(), ai_predict('mp_reg', ARRAY[1.0, 2.0])$$, '42501',
                 'permission denied for model "mp_reg"', 'but the same statement''s own call is still refused');
SELECT is((SELECT count(*)::int FROM ai_models), 0, 'and the wrapper shows it no catalog rows');
RESET ROLE;

-- 7. grants to a group role and to PUBLIC; a member of the owning role
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_grant('mp_cls', 'pgl_readers', 'predict')$$, 'grant to a group role');
RESET ROLE;
SET ROLE pgl_reader_member;
SELECT ok(ai_classify('mp_cls', ARRAY[1.0, 2.0]) IS NOT NULL, 'a member of the group uses the model');
SELECT is((SELECT array_agg(DISTINCT name) FROM ai_models), ARRAY['mp_cls'], 'and sees it in ai_models');
RESET ROLE;
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_grant('mp_km', 'public', 'predict')$$, 'grant to PUBLIC');
RESET ROLE;
SET ROLE pgl_outsider;
SELECT ok(ai_cluster('mp_km', ARRAY[1.0, 2.0]) BETWEEN 1 AND 2, 'anyone uses a model granted to PUBLIC');
SELECT is((SELECT array_agg(DISTINCT name) FROM ai_models), ARRAY['mp_km'], 'and sees only that one');
RESET ROLE;
SET ROLE pgl_owner;
SELECT lives_ok($$SELECT ai_revoke('mp_km', 'PUBLIC', 'predict')$$, 'revoke from PUBLIC');
RESET ROLE;
SET ROLE pgl_outsider;
SELECT throws_ok($$SELECT ai_cluster('mp_km', ARRAY[1.0, 2.0])$$, '42501', 'permission denied for model "mp_km"', 'refused again');
RESET ROLE;

SELECT is((SELECT count(DISTINCT name)::int FROM ai_models), 4, 'a superuser sees every model');

SELECT * FROM finish();
ROLLBACK;
