-- Versions: score a version without deploying it (version => N, shadow or
-- A/B scoring) with every scoring function and every feature form, in
-- parallel queries too; ai_drop_version; ai_deploy returns the version it
-- replaced.
SET client_min_messages = notice;
CREATE TABLE vr AS
  SELECT i AS id, (i % 10)::float8 AS a, (i % 7)::int AS b,
         1.0 + 2.0 * (i % 10) + 3.0 * (i % 7) AS y, (i % 10 > 4) AS big,
         decode(lpad(to_hex((i % 10) * 20), 2, '0') || lpad(to_hex((i % 7) * 30), 2, '0'), 'hex') AS raw
    FROM generate_series(1, 200) i;

-- two versions of each kind of model; the second is deployed
SELECT version FROM ai_train('vr_reg', 'linear_regression', 'SELECT a, b, y FROM vr', 'y');
SELECT version FROM ai_train('vr_reg', 'linear_regression', 'SELECT a, b, y + 100 AS y FROM vr', 'y');
SELECT version FROM ai_train('vr_cls', 'logistic_regression', 'SELECT a, b, big FROM vr', 'big');
SELECT version FROM ai_train('vr_cls', 'logistic_regression', 'SELECT a, b, NOT big AS big FROM vr', 'big');
SELECT version FROM ai_train('vr_km', 'kmeans', 'SELECT a, b FROM vr', options => '{"k": 3, "seed": 1}');
SELECT version FROM ai_train('vr_km', 'kmeans', 'SELECT a, b FROM vr', options => '{"k": 2, "seed": 1}');
SELECT version FROM ai_train('vr_nn', 'neural_net', 'SELECT raw, y FROM vr', 'y',
  '{"layers": [{"flatten": {}}, {"dense": 8}, {"activation": "relu"}, {"dense": 1}],
    "scale": 0.00392156862745098, "epochs": 5, "seed": 1}');
SELECT version FROM ai_train('vr_nn', 'neural_net', 'SELECT raw, y + 100 AS y FROM vr', 'y',
  '{"layers": [{"flatten": {}}, {"dense": 8}, {"activation": "relu"}, {"dense": 1}],
    "scale": 0.00392156862745098, "epochs": 5, "seed": 2}');
SELECT version FROM ai_train('vr_nnc', 'neural_net', 'SELECT raw, big FROM vr', 'big',
  '{"layers": [{"flatten": {}}, {"dense": 8}, {"activation": "relu"}, {"dense": {"units": 2, "activation": "softmax"}}],
    "scale": 0.00392156862745098, "epochs": 5, "seed": 1}');
SELECT version FROM ai_train('vr_nnc', 'neural_net', 'SELECT raw, NOT big AS big FROM vr', 'big',
  '{"layers": [{"flatten": {}}, {"dense": 8}, {"activation": "relu"}, {"dense": {"units": 2, "activation": "softmax"}}],
    "scale": 0.00392156862745098, "epochs": 5, "seed": 2}');
SELECT name, version, deployed FROM ai_models WHERE name LIKE 'vr\_%' ORDER BY name, version;

-- version => N, positionally, and NULL (the deployed one)
SELECT round(ai_predict('vr_reg', v)::numeric, 4) AS deployed,
       round(ai_predict('vr_reg', v, version => 1)::numeric, 4) AS v1,
       round(ai_predict('vr_reg', v, 2)::numeric, 4) AS v2,
       round(ai_predict('vr_reg', v, version => NULL)::numeric, 4) AS null_is_deployed,
       round(ai_predict('vr_reg', ARRAY[a, b], version => 1)::numeric, 4) AS v1_array,
       round(ai_predict(name => 'vr_reg', features => v, version => 1)::numeric, 4) AS v1_named
  FROM vr v WHERE id = 3;
-- the version may change from row to row at one call site
SELECT n, round(ai_predict('vr_reg', ARRAY[3, 3], version => n)::numeric, 4) AS predicted
  FROM (VALUES (1), (2), (1), (NULL)) s(n);

-- every function and form pinned to version 1, while version 2 is deployed ...
CREATE TABLE vr_pinned AS
  SELECT id,
         ai_predict('vr_reg', v, version => 1) AS reg_row,
         ai_predict('vr_reg', ARRAY[a, b], version => 1) AS reg_array,
         ai_classify('vr_cls', v, version => 1) AS cls_row,
         ai_classify('vr_cls', ARRAY[a, b], version => 1) AS cls_array,
         ai_predict_proba('vr_cls', v, version => 1) AS proba_row,
         ai_predict_proba('vr_cls', ARRAY[a, b], version => 1) AS proba_array,
         ai_cluster('vr_km', v, version => 1) AS km_row,
         ai_cluster('vr_km', ARRAY[a, b], version => 1) AS km_array,
         ai_predict('vr_nn', raw, version => 1) AS nn_bytea,
         ai_predict('vr_nn', v, version => 1) AS nn_row,
         ai_classify('vr_nnc', raw, version => 1) AS nnc_bytea,
         ai_predict_proba('vr_nnc', raw, version => 1) AS nnc_proba_bytea,
         (SELECT array_agg(contribution ORDER BY feature) FROM ai_explain('vr_reg', v, version => 1)) AS explain_reg,
         (SELECT array_agg(contribution ORDER BY feature, class) FROM ai_explain('vr_cls', v, version => 1)) AS explain_cls,
         (SELECT array_agg(contribution ORDER BY feature) FROM ai_explain('vr_km', v, version => 1)) AS explain_km
    FROM vr v;
SELECT ai_evaluate('vr_reg', 'SELECT a, b, y FROM vr', version => 1) AS reg_eval,
       ai_evaluate('vr_cls', 'SELECT a, b, big FROM vr', version => 1) AS cls_eval,
       ai_evaluate('vr_nn', 'SELECT raw, y FROM vr', version => 1) AS nn_eval
  INTO TEMP vr_pinned_eval;
-- ... differ from the deployed version 2 ...
SELECT count(*) FILTER (WHERE reg_row <> ai_predict('vr_reg', v)) AS reg,
       count(*) FILTER (WHERE cls_row <> ai_classify('vr_cls', v)) AS cls,
       count(*) FILTER (WHERE km_array = 3) > 0 AS km_has_a_third_cluster,
       count(*) FILTER (WHERE nn_bytea <> ai_predict('vr_nn', raw)) AS nn,
       count(*) FILTER (WHERE proba_row <> ai_predict_proba('vr_cls', v)) AS proba
  FROM vr v JOIN vr_pinned p USING (id);
SELECT round((reg_eval->>'rmse')::numeric, 4) AS v1_rmse,
       round((ai_evaluate('vr_reg', 'SELECT a, b, y FROM vr')->>'rmse')::numeric, 4) AS v2_rmse
  FROM vr_pinned_eval;
-- ... and equal, exactly, what the same version gives once deployed
SELECT ai_deploy('vr_reg', 1) AS replaced_reg, ai_deploy('vr_cls', 1) AS replaced_cls,
       ai_deploy('vr_km', 1) AS replaced_km, ai_deploy('vr_nn', 1) AS replaced_nn,
       ai_deploy('vr_nnc', 1) AS replaced_nnc;
SELECT bool_and(reg_row = ai_predict('vr_reg', v) AND reg_array = ai_predict('vr_reg', ARRAY[a, b])) AS predict,
       bool_and(cls_row = ai_classify('vr_cls', v) AND cls_array = ai_classify('vr_cls', ARRAY[a, b])) AS classify,
       bool_and(proba_row = ai_predict_proba('vr_cls', v)
                AND proba_array = ai_predict_proba('vr_cls', ARRAY[a, b])) AS proba,
       bool_and(km_row = ai_cluster('vr_km', v) AND km_array = ai_cluster('vr_km', ARRAY[a, b])) AS cluster,
       bool_and(nn_bytea = ai_predict('vr_nn', raw) AND nn_row = ai_predict('vr_nn', v)) AS nn,
       bool_and(nnc_bytea = ai_classify('vr_nnc', raw)
                AND nnc_proba_bytea = ai_predict_proba('vr_nnc', raw)) AS nn_classify,
       bool_and(explain_reg = (SELECT array_agg(contribution ORDER BY feature) FROM ai_explain('vr_reg', v))
                AND explain_cls = (SELECT array_agg(contribution ORDER BY feature, class) FROM ai_explain('vr_cls', v))
                AND explain_km = (SELECT array_agg(contribution ORDER BY feature) FROM ai_explain('vr_km', v))) AS explain
  FROM vr v JOIN vr_pinned p USING (id);
SELECT reg_eval = ai_evaluate('vr_reg', 'SELECT a, b, y FROM vr') AS reg,
       cls_eval = ai_evaluate('vr_cls', 'SELECT a, b, big FROM vr') AS cls,
       nn_eval = ai_evaluate('vr_nn', 'SELECT raw, y FROM vr') AS nn
  FROM vr_pinned_eval;
-- the explanation of a pinned version adds up to its prediction
SELECT round(sum(contribution)::numeric, 6) = round(ai_predict('vr_reg', ARRAY[3, 3], version => 2)::numeric, 6) AS adds_up
  FROM ai_explain('vr_reg', (SELECT v FROM vr v WHERE a = 3 AND b = 3 LIMIT 1), version => 2);

-- deploying returns the version replaced (the same one when it was deployed; NULL when none was)
SELECT ai_deploy('vr_reg', 2) AS replaced, ai_deploy('vr_reg', 2) AS replaced_itself;
SELECT version FROM ai_train('vr_new', 'linear_regression', 'SELECT a, y FROM vr', 'y', '{"deploy": false}');
SELECT ai_deploy('vr_new', 1) IS NULL AS none_replaced;

-- one call site across statements (PL/pgSQL keeps it for the transaction):
-- a NULL version follows each deployment, a pinned one stays
DO $$
DECLARE
  v int;
BEGIN
  FOREACH v IN ARRAY ARRAY[1, 2, 1] LOOP
    PERFORM ai_deploy('vr_reg', v);
    RAISE NOTICE 'deployed %: deployed one predicts %, version 1 predicts %', v,
      round(ai_predict('vr_reg', ARRAY[3, 3]::float8[])::numeric, 4),
      round(ai_predict('vr_reg', ARRAY[3, 3]::float8[], version => 1)::numeric, 4);
  END LOOP;
END
$$;

-- a pinned version is a cache hit: one deserialized copy per version
SELECT count(*) FROM vr v WHERE ai_predict('vr_reg', v, version => 1) + ai_predict('vr_reg', v, version => 2) > 0;
SELECT count(*) FROM vr v WHERE ai_predict('vr_reg', v, version => 2) > ai_predict('vr_reg', v, version => 1);
SELECT count(*) AS cached_copies FROM pg_backend_memory_contexts WHERE name = 'pg_learn model' AND ident = 'vr_reg';

-- parallel query: workers score the pinned version too
CREATE TABLE vr_big AS SELECT i AS id, (i % 10)::float8 AS a, (i % 7)::int AS b FROM generate_series(1, 20000) i;
ANALYZE vr_big;
CREATE TEMP TABLE vr_serial AS
  SELECT sum(round(ai_predict('vr_reg', t, version => 2)::numeric, 9)) AS reg,
         count(*) FILTER (WHERE ai_classify('vr_cls', t, version => 2)::boolean) AS cls,
         sum(ai_cluster('vr_km', ARRAY[a, b], version => 2)) AS km
    FROM vr_big t;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
  SELECT sum(round(ai_predict('vr_reg', t, version => 2)::numeric, 9)) FROM vr_big t;
SELECT s.reg = p.reg AS predict, s.cls = p.cls AND s.cls > 0 AS classify, s.km = p.km AS cluster
  FROM vr_serial s,
       (SELECT sum(round(ai_predict('vr_reg', t, version => 2)::numeric, 9)) AS reg,
               count(*) FILTER (WHERE ai_classify('vr_cls', t, version => 2)::boolean) AS cls,
               sum(ai_cluster('vr_km', ARRAY[a, b], version => 2)) AS km
          FROM vr_big t) p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- NULL name or features: NULL (no rows for ai_explain), whatever the version
SELECT ai_predict(NULL, ARRAY[1.0, 2.0], version => 1) IS NULL AS null_name,
       ai_predict('vr_reg', NULL::float8[], version => 1) IS NULL AS null_array,
       ai_classify('vr_cls', NULL::vr, 1) IS NULL AS null_row,
       ai_predict('vr_nn', NULL::bytea, 1) IS NULL AS null_bytea,
       ai_evaluate('vr_reg', NULL, 1) IS NULL AS null_data,
       (SELECT count(*) FROM ai_explain('vr_reg', NULL::vr, 1)) AS explain_rows;

-- errors: a version that does not exist, with each function and form
SELECT ai_predict('vr_reg', ARRAY[1.0, 2.0], version => 7);
SELECT ai_predict('vr_reg', v, version => 7) FROM vr v LIMIT 1;
SELECT ai_classify('vr_cls', ARRAY[1.0, 2.0], version => 7);
SELECT ai_predict_proba('vr_cls', v, version => 7) FROM vr v LIMIT 1;
SELECT ai_cluster('vr_km', ARRAY[1.0, 2.0], version => 7);
SELECT ai_predict('vr_nn', '\x0102'::bytea, version => 7);
SELECT ai_classify('vr_nnc', '\x0102'::bytea, version => 7);
SELECT ai_predict_proba('vr_nnc', '\x0102'::bytea, version => 7);
SELECT ai_evaluate('vr_reg', 'SELECT a, b, y FROM vr', version => 7);
SELECT * FROM ai_explain('vr_reg', (SELECT v FROM vr v LIMIT 1), version => 7);
-- not a version number
SELECT ai_predict('vr_reg', ARRAY[1.0, 2.0], version => -1);
SELECT ai_predict('vr_reg', ARRAY[1.0, 2.0], version => 0);
SELECT ai_evaluate('vr_reg', 'SELECT a, b, y FROM vr', version => -1);
-- a model that does not exist
SELECT ai_predict('vr_nope', ARRAY[1.0, 2.0], version => 1);
-- a pinned version of the wrong kind of model
SELECT ai_classify('vr_reg', ARRAY[1.0, 2.0], version => 1);

-- another role's model: pinned or not, the same permission error, and no
-- word of which versions exist; a grant opens the pinned versions too
CREATE ROLE regress_pgl_vr;
GRANT SELECT ON vr TO regress_pgl_vr;
SET ROLE regress_pgl_vr;
SELECT ai_predict('vr_reg', ARRAY[1.0, 2.0]);
SELECT ai_predict('vr_reg', ARRAY[1.0, 2.0], version => 1);
SELECT ai_predict('vr_reg', ARRAY[1.0, 2.0], version => 7);
SELECT ai_evaluate('vr_reg', 'SELECT a, b, y FROM vr', version => 1);
SELECT * FROM ai_explain('vr_reg', (SELECT v FROM vr v LIMIT 1), version => 1);
SELECT ai_drop_version('vr_reg', 1);
RESET ROLE;
SELECT ai_grant('vr_reg', 'regress_pgl_vr', 'predict');
SET ROLE regress_pgl_vr;
SELECT round(ai_predict('vr_reg', ARRAY[3, 3], version => 2)::numeric, 4) AS granted;
SELECT ai_predict('vr_reg', ARRAY[3, 3], version => 7);
-- predict is not enough to drop a version, nor to deploy one
SELECT ai_drop_version('vr_reg', 2);
SELECT ai_deploy('vr_reg', 2);
RESET ROLE;

-- ai_drop_version
SELECT ai_deploy('vr_reg', 1) AS replaced;
SELECT ai_drop_version('vr_reg', 1);
SELECT ai_drop_version('vr_reg', 5);
SELECT ai_drop_version('vr_nope', 1);
SELECT ai_drop_version('vr_reg', 2);
SELECT version, deployed FROM ai_models WHERE name = 'vr_reg' ORDER BY version;
SELECT ai_predict('vr_reg', ARRAY[3, 3], version => 2);
-- its blob went with it
SELECT count(*) AS orphan_blobs FROM ai_catalog_blobs b
 WHERE NOT EXISTS (SELECT 1 FROM ai_catalog_versions v WHERE v.id = b.version_id);
-- the train privilege lets another role drop a version, as it lets it add
-- one (the number of a dropped latest version comes back with the next training)
SELECT version FROM ai_train('vr_reg', 'linear_regression', 'SELECT a, b, y + 300 AS y FROM vr', 'y', '{"deploy": false}');
SELECT ai_grant('vr_reg', 'regress_pgl_vr', 'train');
SET ROLE regress_pgl_vr;
SELECT version FROM ai_train('vr_reg', 'linear_regression', 'SELECT a, b, y + 300 AS y FROM vr', 'y', '{"deploy": false}');
SELECT ai_drop_version('vr_reg', 2);
SELECT ai_drop_version('vr_reg', 1);
RESET ROLE;
SELECT version, deployed FROM ai_models WHERE name = 'vr_reg' ORDER BY version;
-- a pinned call names the version its number names in that statement: at
-- one call site (PL/pgSQL keeps it), the latest version dropped and its
-- number given again by a training
SELECT version FROM ai_train('vr_reg', 'linear_regression', 'SELECT a, b, y + 400 AS y FROM vr', 'y', '{"deploy": false}');
DO $$
BEGIN
  FOR i IN 1..2 LOOP
    IF i = 2 THEN
      PERFORM ai_drop_version('vr_reg', 4);
      PERFORM ai_train('vr_reg', 'linear_regression', 'SELECT a, b, y + 500 AS y FROM vr', 'y', '{"deploy": false}');
    END IF;
    RAISE NOTICE 'version 4 predicts %', round(ai_predict('vr_reg', ARRAY[3, 3]::float8[], version => 4)::numeric, 4);
  END LOOP;
END
$$;
SELECT version, deployed FROM ai_models WHERE name = 'vr_reg' ORDER BY version;

DROP OWNED BY regress_pgl_vr;
DROP ROLE regress_pgl_vr;
DROP TABLE vr, vr_pinned, vr_big;
SELECT ai_drop_model(name) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'vr\_%') m;
