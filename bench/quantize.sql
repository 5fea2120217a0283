-- bench/quantize.sql: size and accuracy of each "storage" per algorithm (run by
-- bench/quantize with -v rows=N -v ratings=N).  Deterministic: setseed() once,
-- single-process statements.  Every model is trained on the same training
-- table and measured on a separate test table with ai_evaluate (or, for
-- kmeans, the inertia of the test points and the agreement of assignments).
-- Training metrics are of the full-precision model, so they are not used.
CREATE EXTENSION IF NOT EXISTS pg_learn;
SELECT setseed(0.17);
CREATE OR REPLACE FUNCTION qb_normal() RETURNS float8 LANGUAGE sql VOLATILE AS
$$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;

DROP TABLE IF EXISTS qb_results, qb_storage, qb_reg, qb_km, qb_w;
CREATE TABLE qb_results (algorithm text, storage text, ord int, blob_size int, metric text, value float8);
CREATE TABLE qb_storage (storage text, ord int);
INSERT INTO qb_storage VALUES ('float64', 1), ('float32', 2), ('float16', 3), ('int8', 4);

-- Supervised data: 20 features on three scales (sd 0.1, 1, 10), as unstandardized
-- columns are; the weights are the inverse scale, so each feature matters alike.
-- y = x . w + N(0, 1); the class is the argmax of three such scores (labels a, b, c).
CREATE TABLE qb_w AS SELECT j, s, power(10, (j % 3) - 1) AS scale,
       qb_normal() / power(10, (j % 3) - 1) AS w
  FROM generate_series(1, 20) j, generate_series(0, 2) s;
DO $$
DECLARE cols text; y text; sc text;
BEGIN
  SELECT string_agg(format('qb_normal() * %s AS f%s', scale, j), ', ' ORDER BY j) INTO cols FROM qb_w WHERE s = 0;
  EXECUTE format('CREATE TABLE qb_reg AS SELECT i, %s FROM generate_series(1, %s) i', cols, current_setting('qb.rows'));
  SELECT string_agg(format('f%s * %s', j, w), ' + ' ORDER BY j) INTO y FROM qb_w WHERE s = 0;
  EXECUTE format('ALTER TABLE qb_reg ADD y float8, ADD label text');
  SELECT string_agg(format('(%s)', (SELECT string_agg(format('f%s * %s', j, w), ' + ') FROM qb_w w2 WHERE w2.s = w1.s)), ', ' ORDER BY s)
    INTO sc FROM (SELECT DISTINCT s FROM qb_w) w1;
  EXECUTE format('UPDATE qb_reg SET y = %s + qb_normal(), label = (ARRAY[''a'', ''b'', ''c''])[
                    (SELECT k FROM unnest(ARRAY[%s]) WITH ORDINALITY u(v, k) ORDER BY v + 2 * qb_normal() DESC LIMIT 1)]', y, sc);
END $$;
CREATE VIEW qb_reg_train AS SELECT * FROM qb_reg WHERE i % 5 <> 0;
CREATE VIEW qb_reg_test AS SELECT * FROM qb_reg WHERE i % 5 = 0;

-- kmeans: 32 planted centres in 16 dimensions, points with sd 1 around them
CREATE TABLE qb_km AS
SELECT i, c,
       10 * sin(c * 1.1) + qb_normal() AS d1, 10 * cos(c * 1.3) + qb_normal() AS d2, 10 * sin(c * 1.7) + qb_normal() AS d3,
       10 * cos(c * 1.9) + qb_normal() AS d4, 10 * sin(c * 2.3) + qb_normal() AS d5, 10 * cos(c * 2.9) + qb_normal() AS d6,
       10 * sin(c * 3.1) + qb_normal() AS d7, 10 * cos(c * 3.7) + qb_normal() AS d8, 10 * sin(c * 4.1) + qb_normal() AS d9,
       10 * cos(c * 4.3) + qb_normal() AS d10, 10 * sin(c * 4.7) + qb_normal() AS d11, 10 * cos(c * 5.3) + qb_normal() AS d12,
       10 * sin(c * 5.9) + qb_normal() AS d13, 10 * cos(c * 6.1) + qb_normal() AS d14, 10 * sin(c * 6.7) + qb_normal() AS d15,
       10 * cos(c * 7.1) + qb_normal() AS d16
  FROM (SELECT i, i % 32 AS c FROM generate_series(1, current_setting('qb.rows')::int) i) s;
CREATE VIEW qb_km_train AS SELECT d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15, d16 FROM qb_km WHERE i % 5 <> 0;
CREATE VIEW qb_km_test AS SELECT * FROM qb_km WHERE i % 5 = 0;

-- ALS: the planted ratings of bench/als_setup.sql (created by bench/quantize first), 1 in 10 held out
CREATE OR REPLACE VIEW qb_r_train AS SELECT user_id, item_id, rating FROM ratings WHERE (user_id * 7919 + item_id) % 10 <> 0;
CREATE OR REPLACE VIEW qb_r_test AS SELECT user_id, item_id, rating FROM ratings
 WHERE (user_id * 7919 + item_id) % 10 = 0;

-- train every algorithm with every storage
SELECT ai_drop_model(name) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'qb\_%') m;
SELECT count(*) FROM qb_storage s,
  LATERAL ai_train('qb_lin_' || s.storage, 'linear_regression', 'SELECT * FROM qb_reg_train ORDER BY i', 'y',
                   jsonb_build_object('exclude', jsonb_build_array('i', 'label'), 'test_size', 0, 'storage', s.storage)) a,
  LATERAL ai_train('qb_log_' || s.storage, 'logistic_regression', 'SELECT * FROM qb_reg_train ORDER BY i', 'label',
                   jsonb_build_object('exclude', jsonb_build_array('i', 'y'), 'test_size', 0, 'storage', s.storage)) b,
  LATERAL ai_train('qb_km_' || s.storage, 'kmeans', 'qb_km_train', options =>
                   jsonb_build_object('k', 32, 'seed', 3, 'storage', s.storage)) c,
  LATERAL ai_train('qb_als_' || s.storage, 'als', 'qb_r_train', options =>
                   jsonb_build_object('factors', 32, 'iterations', 10, 'test_size', 0, 'storage', s.storage)) d;

-- sizes
INSERT INTO qb_results
SELECT split_part(m.name, '_', 2), s.storage, s.ord, m.blob_size, 'blob_size', m.blob_size
  FROM ai_models m JOIN qb_storage s ON m.name = 'qb_' || split_part(m.name, '_', 2) || '_' || s.storage
 WHERE m.name LIKE 'qb\_%';

-- accuracy on the test tables
INSERT INTO qb_results
SELECT 'lin', s.storage, s.ord, NULL, k, (e ->> k)::float8
  FROM qb_storage s, LATERAL ai_evaluate('qb_lin_' || s.storage, 'qb_reg_test') e, unnest(ARRAY['rmse', 'r2']) k;
INSERT INTO qb_results
SELECT 'log', s.storage, s.ord, NULL, k, (e ->> k)::float8
  FROM qb_storage s, LATERAL ai_evaluate('qb_log_' || s.storage, 'qb_reg_test') e, unnest(ARRAY['accuracy', 'log_loss']) k;
INSERT INTO qb_results
SELECT 'als', s.storage, s.ord, NULL, k, (e ->> k)::float8
  FROM qb_storage s, LATERAL ai_evaluate('qb_als_' || s.storage, 'qb_r_test') e, unnest(ARRAY['rmse', 'ndcg@10']) k;
-- kmeans: test inertia with each model's centroids, and assignments equal to float64's
INSERT INTO qb_results
SELECT 'km', s.storage, s.ord, NULL, 'test_inertia',
       (SELECT ai_kmeans_inertia((SELECT array_agg(v ORDER BY cluster, o)
                                    FROM ai_centroids('qb_km_' || s.storage), unnest(centroid) WITH ORDINALITY u(v, o)),
                                 ARRAY[d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15, d16])
          FROM qb_km_test)
  FROM qb_storage s;
INSERT INTO qb_results
SELECT 'km', s.storage, s.ord, NULL, 'same_cluster_pct',
       100.0 * avg((ai_cluster('qb_km_' || s.storage, t) = ai_cluster('qb_km_float64', t))::int)
  FROM qb_storage s, (SELECT d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15, d16 FROM qb_km_test) t
 GROUP BY s.storage, s.ord;
-- ALS: top-10 recommendations shared with float64's, over 300 users
INSERT INTO qb_results
SELECT 'als', s.storage, s.ord, NULL, 'top10_overlap_pct',
       100.0 * (SELECT count(*) FROM generate_series(1, 300) u,
                 LATERAL (SELECT item_id FROM ai_recommend('qb_als_' || s.storage, u::bigint, 10)
                          INTERSECT SELECT item_id FROM ai_recommend('qb_als_float64', u::bigint, 10)) x) / 3000
  FROM qb_storage s;
