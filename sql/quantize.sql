-- Quantized storage: "storage": "float32" | "float16" | "int8" for weights and factors.
CREATE TABLE qz AS
SELECT i AS id, ((i * 37) % 101)::float8 / 10 AS a, ((i * 53) % 97)::float8 / 10 AS b,
       (ARRAY['x', 'y', 'z'])[1 + (i * 7) % 3] AS c,
       3.0 * (((i * 37) % 101)::float8 / 10) - 0.5 * (((i * 53) % 97)::float8 / 10)
         + CASE (i * 7) % 3 WHEN 0 THEN 5 ELSE 0 END AS y
  FROM generate_series(1, 1000) i;
CREATE TABLE qz_r AS
SELECT u AS user_id, it AS item_id, ((u * 7 + it * 3) % 5 + 1)::float8 AS rating
  FROM generate_series(1, 200) u, generate_series(1, 100) it WHERE (u * 13 + it * 7) % 4 = 0;
CREATE TABLE qz_storage (storage text, ord int);
INSERT INTO qz_storage VALUES ('float64', 1), ('float32', 2), ('float16', 3), ('int8', 4);

-- one model per algorithm and storage
SELECT s.storage, l.version AS lin, g.version AS log, k.version AS km, r.version AS als
  FROM qz_storage s,
       LATERAL ai_train('qz_lin_' || s.storage, 'linear_regression', 'SELECT a, b, c, y FROM qz ORDER BY id', 'y',
                        jsonb_build_object('l2', 0.01, 'storage', s.storage)) l,
       LATERAL ai_train('qz_log_' || s.storage, 'logistic_regression', 'SELECT a, b, c, y > 15 AS big FROM qz ORDER BY id', 'big',
                        jsonb_build_object('storage', s.storage)) g,
       LATERAL ai_train('qz_km_' || s.storage, 'kmeans', 'SELECT a, b FROM qz', options =>
                        jsonb_build_object('k', 8, 'seed', 1, 'storage', s.storage)) k,
       LATERAL ai_train('qz_als_' || s.storage, 'als', 'qz_r', options =>
                        jsonb_build_object('factors', 16, 'iterations', 5, 'storage', s.storage)) r
 ORDER BY s.ord;

-- ai_models shows the blob sizes: smaller with each step (float32 = float64 for ALS,
-- whose factors are float32 already)
SELECT split_part(name, '_', 2) AS algorithm, options ->> 'storage' AS storage, blob_size
  FROM ai_models m JOIN qz_storage s ON m.options ->> 'storage' = s.storage
 WHERE name LIKE 'qz\_%' ORDER BY 1, s.ord;

-- predictions stay close to float64's: linear, the largest difference relative to the
-- spread of the predictions; logistic, the largest probability difference and the
-- labels that agree; kmeans, the clusters that agree
SELECT s.storage,
       round((max(abs(ai_predict('qz_lin_' || s.storage, q) - ai_predict('qz_lin_float64', q)))
              / (max(ai_predict('qz_lin_float64', q)) - min(ai_predict('qz_lin_float64', q))))::numeric, 4) AS lin_rel,
       round(max(abs((ai_predict_proba('qz_log_' || s.storage, q))[2]
              - (ai_predict_proba('qz_log_float64', q))[2]))::numeric, 2) AS log_max_diff,
       sum((ai_classify('qz_log_' || s.storage, q) = ai_classify('qz_log_float64', q))::int) AS log_same_of_1000,
       sum((ai_cluster('qz_km_' || s.storage, ARRAY[q.a, q.b]) = ai_cluster('qz_km_float64', ARRAY[q.a, q.b]))::int) AS km_same_of_1000
  FROM qz_storage s, qz q GROUP BY s.storage, s.ord ORDER BY s.ord;
SELECT s.storage,
       round(max(abs(ai_predict('qz_als_' || s.storage, r.user_id, r.item_id)
                     - ai_predict('qz_als_float64', r.user_id, r.item_id)))::numeric, 2) AS als_max_diff
  FROM qz_storage s, qz_r r GROUP BY s.storage, s.ord ORDER BY s.ord;

-- int8 centroids come back dequantized: on a grid of 127 steps of each row's largest value
SELECT cluster, bool_and(abs(v * 127 / mx - round(v * 127 / mx)) < 1e-6) AS on_grid
  FROM (SELECT cluster, unnest(centroid) AS v, (SELECT max(abs(x)) FROM unnest(centroid) x) AS mx
          FROM ai_centroids('qz_km_int8')) c
 GROUP BY cluster ORDER BY cluster LIMIT 3;

-- export / import keeps the stored bytes (and so the storage)
SELECT ai_import_model('qz_lin_copy', ai_export_model('qz_lin_int8'));
SELECT ai_export_model('qz_lin_copy') = ai_export_model('qz_lin_int8') AS same_bytes,
       (SELECT bool_and(ai_predict('qz_lin_copy', q) = ai_predict('qz_lin_int8', q)) FROM qz q) AS same_predictions;

-- the header flag (byte 7) of an encoded blob; a blob corrupted in place is caught at load
SELECT get_byte(ai_export_model('qz_lin_float16'), 6) AS flags_f16, get_byte(ai_export_model('qz_lin_float64'), 6) AS flags_f64;
UPDATE ai_catalog_blobs SET blob = overlay(blob PLACING '\x00'::bytea FROM 7 FOR 1)
 WHERE version_id = (SELECT id FROM ai_catalog_versions WHERE name = 'qz_lin_float16');
\c
SELECT ai_predict('qz_lin_float16', q) FROM qz q LIMIT 1;

-- errors
SELECT * FROM ai_train('qz_bad', 'linear_regression', 'SELECT a, y FROM qz', 'y', '{"storage": "int4"}');
SELECT * FROM ai_train('qz_bad', 'linear_regression', 'SELECT a, 1e9 * y AS y FROM qz', 'y', '{"storage": "float16"}');
SELECT * FROM ai_train('qz_bad', 'linear_regression', 'SELECT a, y FROM qz', 'y', '{"storage": 8}');
