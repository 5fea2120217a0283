-- kmeans: k-means++ seeding, Lloyd steps, ai_cluster, ai_centroids.
SET client_min_messages = notice;
SET extra_float_digits = 0;
-- three well-separated blobs around (0, 0), (10, 0) and (0, 10), no random()
CREATE TABLE blobs AS
  SELECT i AS id, i % 3 AS blob,
         (ARRAY[0, 10, 0])[i % 3 + 1] + 0.8 * sin(i * 1.7) AS x,
         (ARRAY[0, 0, 10])[i % 3 + 1] + 0.8 * cos(i * 2.3) AS y
    FROM generate_series(1, 300) i;

SELECT name, algorithm, rows_used,
       metrics->'train'->'n' AS n,
       metrics->'train'->'cluster_sizes' AS sizes,
       (metrics->'train'->>'silhouette')::float8 > 0.8 AS good_silhouette,
       (metrics->'train'->>'inertia')::float8 > 0 AS has_inertia,
       (metrics->>'iterations')::int BETWEEN 1 AND 100 AS iterated
  FROM ai_train('km', 'kmeans', 'SELECT x, y FROM blobs', options => '{"k": 3, "seed": 7}');

-- each blob is exactly one cluster: a one-to-one contingency table
SELECT count(*) AS pairs, min(n) AS smallest, max(n) AS largest,
       count(DISTINCT blob) AS blobs, count(DISTINCT cluster) AS clusters
  FROM (SELECT blob, ai_cluster('km', b) AS cluster, count(*) AS n
          FROM blobs b GROUP BY 1, 2) c;

-- the blob centres, by row and by array, fall in the clusters of their blobs
SELECT blob, bool_and(ai_cluster('km', ARRAY[(ARRAY[0, 10, 0])[blob + 1], (ARRAY[0, 0, 10])[blob + 1]]::float8[])
                      = ai_cluster('km', b)) AS same
  FROM blobs b GROUP BY blob ORDER BY blob;
SELECT ai_cluster('km', ARRAY[NULL, 10]::float8[]) BETWEEN 1 AND 3 AS null_imputed;

-- centroids near the true centres
SELECT round(centroid[1])::int AS cx, round(centroid[2])::int AS cy
  FROM ai_centroids('km') ORDER BY 1, 2;
SELECT count(*) AS k, bool_and(cluster BETWEEN 1 AND 3) AS numbered_from_1 FROM ai_centroids('km');

-- same seed, same model
SELECT (SELECT metrics FROM ai_train('km2', 'kmeans', 'SELECT x, y FROM blobs', options => '{"k": 3, "seed": 7}'))
     = (SELECT metrics FROM ai_train('km3', 'kmeans', 'SELECT x, y FROM blobs', options => '{"k": 3, "seed": 7}'))
       AS same_metrics;
SELECT bool_and(a.centroid = b.centroid) AS same_centroids
  FROM ai_centroids('km2') a JOIN ai_centroids('km3') b USING (cluster);

-- exclude, a categorical feature, and k = 1
SELECT metrics->'train'->'cluster_sizes' AS sizes, metrics->'train'->'silhouette' AS silhouette
  FROM ai_train('km1', 'kmeans', 'SELECT id, x, y FROM blobs', options => '{"k": 1, "exclude": ["id"]}');
SELECT metrics->'train'->'cluster_sizes' AS sizes
  FROM ai_train('kmc', 'kmeans', 'SELECT x, y, CASE WHEN blob = 1 THEN ''a'' ELSE ''b'' END AS c FROM blobs',
                options => '{"k": 3}');
SELECT array_length(centroid, 1) AS inputs FROM ai_centroids('kmc') LIMIT 1;

-- errors
SELECT * FROM ai_train('bad', 'kmeans', 'SELECT x, y FROM blobs', options => '{"k": 0}');
SELECT * FROM ai_train('bad', 'kmeans', 'SELECT x, y FROM blobs', options => '{"k": 301}');
SELECT * FROM ai_train('bad', 'kmeans', 'SELECT x, y FROM blobs LIMIT 5');
SELECT * FROM ai_train('bad', 'kmeans', 'SELECT x, y FROM blobs', options => '{"l2": 1}');
SELECT * FROM ai_train('bad', 'kmeans', 'SELECT x, y FROM blobs', options => '{"test_size": 0.2}');
SELECT * FROM ai_train('bad', 'kmeans', 'SELECT x, y, blob FROM blobs', 'blob');
SELECT ai_predict('km', b) FROM blobs b LIMIT 1;
SELECT ai_classify('km', ARRAY[1, 2]::float8[]);
SELECT ai_cluster('km', ARRAY[1, 2, 3]::float8[]);
SELECT ai_evaluate('km', 'SELECT x, y FROM blobs');
SELECT * FROM ai_model_coefficients('km');
SELECT ai_cluster('nosuch_km', ARRAY[1, 2]::float8[]);

SELECT ai_drop_model(m) FROM unnest(ARRAY['km', 'km1', 'km2', 'km3', 'kmc']) m;
DROP TABLE blobs;
