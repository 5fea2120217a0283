-- Training reads data with the caller's privileges; models belong to their owner.
BEGIN;
SELECT plan(14);

CREATE ROLE pgl_alice;
CREATE ROLE pgl_bob;
CREATE ROLE pgl_alice_team;
GRANT pgl_alice TO pgl_alice_team;
GRANT USAGE, CREATE ON SCHEMA public TO pgl_alice, pgl_bob, pgl_alice_team;

CREATE TABLE priv_data AS SELECT i AS id, (i % 10)::float8 AS x, (i % 3)::float8 AS secret,
       2.0 * (i % 10) AS y, CASE WHEN i <= 30 THEN 'pgl_alice' ELSE 'pgl_bob' END AS tenant
  FROM generate_series(1, 100) i;
ALTER TABLE priv_data OWNER TO pgl_alice;

SET ROLE pgl_alice;
SELECT lives_ok($$SELECT ai_train('alice_m', 'linear_regression', 'SELECT x, y FROM priv_data', 'y')$$,
                'the owner of the data trains a model');
SELECT is((SELECT owner::text FROM ai_models WHERE name = 'alice_m'), 'pgl_alice', 'the model belongs to its creator');
RESET ROLE;

SET ROLE pgl_bob;
SELECT throws_ok($$SELECT ai_train('bob_m', 'linear_regression', 'priv_data', 'y')$$,
                 '42501', 'permission denied for table priv_data', 'no SELECT on the table: no training');
SELECT throws_ok($$SELECT ai_train('alice_m', 'linear_regression', 'SELECT 1.0 AS x, 2.0 AS y', 'y')$$,
                 '42501', 'permission denied to retrain model "alice_m"', 'another role cannot retrain the model');
SELECT throws_ok($$SELECT ai_deploy('alice_m', 1)$$, '42501', 'permission denied to deploy model "alice_m"',
                 'another role cannot deploy the model');
SELECT throws_ok($$SELECT ai_drop_model('alice_m')$$, '42501', 'permission denied to drop model "alice_m"',
                 'another role cannot drop the model');
SELECT throws_ok($$DELETE FROM ai_catalog_models$$, '42501', NULL, 'the catalog tables are not writable directly');
SELECT throws_ok($$UPDATE ai_catalog_versions SET version = 9$$, '42501', NULL, 'versions are not writable directly');
SELECT throws_ok($$SELECT ai_predict('alice_m', ARRAY[1.0])$$, '42501', 'permission denied for model "alice_m"',
                 'another role may not predict with it without a grant (test/pgtap/model_privileges.sql)');
RESET ROLE;

-- column privileges apply
GRANT SELECT (x, y) ON priv_data TO pgl_bob;
SET ROLE pgl_bob;
SELECT lives_ok($$SELECT ai_train('bob_m', 'linear_regression', 'SELECT x, y FROM priv_data', 'y')$$,
                'granted columns can be used');
SELECT throws_ok($$SELECT ai_train('bob_m2', 'linear_regression', 'SELECT x, secret, y FROM priv_data', 'y')$$,
                 '42501', 'permission denied for table priv_data', 'a column without privilege cannot');
RESET ROLE;

-- row-level security applies: bob's model sees only bob's rows
GRANT SELECT ON priv_data TO pgl_bob;
ALTER TABLE priv_data ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON priv_data FOR SELECT USING (tenant = current_user);
SET ROLE pgl_bob;
SELECT is((SELECT rows_used FROM ai_train('bob_rls', 'linear_regression', 'SELECT x, y FROM priv_data', 'y')),
          70::bigint, 'row-level security limits the rows a training reads');
RESET ROLE;

-- a member of the owning role may manage the model
SET ROLE pgl_alice_team;
SELECT lives_ok($$SELECT ai_train('alice_m', 'linear_regression', 'SELECT 1.0 * i AS x, 2.0 * i AS y FROM generate_series(1, 10) i', 'y')$$,
                'a member of the owning role retrains');
SELECT lives_ok($$SELECT ai_deploy('alice_m', 1)$$, 'and deploys');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
