-- neural_net autoencoders ("task": "autoencoder"): planted anomalies in
-- generated low-rank data (no random(): a hash of the row number) found by
-- the reconstruction error, with precision and recall at the contamination
-- rate; ai_predict gives the score; every user error.
SET client_min_messages = notice;
SET extra_float_digits = 0;

CREATE FUNCTION ae_u(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  $$ SELECT ((hashint8(i::int8 * 131 + k) & 2147483647)::float8 + 0.5) / 2147483648.0 $$;
CREATE FUNCTION ae_n(i int, k int) RETURNS float8 IMMUTABLE LANGUAGE sql AS
  $$ SELECT sqrt(-2 * ln(ae_u(i, 2 * k))) * cos(2 * pi() * ae_u(i, 2 * k + 1)) $$;

-- 2000 rows of 8 columns on 2 latent factors (plus noise 0.05); 2% planted
-- anomalies (rows 1..40): the same marginal scale, but off the plane (each
-- column its own draw), so only their combination is unusual
CREATE TABLE ae_data AS
  SELECT i AS id, i <= 40 AS planted, v[1] AS x1, v[2] AS x2, v[3] AS x3, v[4] AS x4,
         v[5] AS x5, v[6] AS x6, v[7] AS x7, v[8] AS x8
    FROM (SELECT i, ARRAY(SELECT CASE WHEN i <= 40 THEN 1.2 * ae_n(i, 10 + j)
                                      ELSE (j % 3 - 1) * ae_n(i, 1) + (1 - j % 2) * ae_n(i, 2)
                                           + 0.5 * ae_n(i, 1) * (j % 2) + 0.05 * ae_n(i, 20 + j) END
                            FROM generate_series(1, 8) j) AS v
            FROM generate_series(1, 2000) i) s;

SELECT name, algorithm, rows_used,
       metrics->'train'->'n' AS n, metrics->'train'->'anomalies' AS anomalies,
       (metrics->'train'->>'threshold')::float8 > 0 AS has_threshold
  FROM ai_train('ae', 'neural_net', 'SELECT x1, x2, x3, x4, x5, x6, x7, x8 FROM ae_data',
                options => '{"task": "autoencoder", "contamination": 0.02, "test_size": 0,
                             "layers": [{"dense": {"units": 16, "activation": "tanh"}},
                                        {"dense": {"units": 2}},
                                        {"dense": {"units": 16, "activation": "tanh"}},
                                        {"dense": {"units": 8}}],
                             "epochs": 40, "learning_rate": 0.01, "seed": 1}');

-- the training loss fell (the network learned the plane)
SELECT max(train_loss) FILTER (WHERE epoch = 1) > 3 * max(train_loss) FILTER (WHERE epoch = 40)
       AS loss_fell
  FROM ai_training_history('ae');

-- planted anomalies: precision and recall at the 2% rate, both >= 0.8
CREATE TABLE ae_flags AS
  SELECT d.id, d.planted, (a).is_anomaly, (a).score
    FROM (SELECT d, ai_detect_anomalies('ae', d) AS a FROM ae_data d) s, LATERAL (SELECT (s.d).*) d;
SELECT count(*) FILTER (WHERE is_anomaly) AS flagged,
       round(count(*) FILTER (WHERE is_anomaly AND planted)::numeric
             / nullif(count(*) FILTER (WHERE is_anomaly), 0), 2) >= 0.8 AS precision_ok,
       round(count(*) FILTER (WHERE is_anomaly AND planted)::numeric
             / count(*) FILTER (WHERE planted), 2) >= 0.8 AS recall_ok,
       avg(score) FILTER (WHERE planted) > 10 * avg(score) FILTER (WHERE NOT planted) AS separated
  FROM ae_flags;

-- ai_predict is the score; an explicit threshold; a row far off the plane
SELECT abs(ai_predict('ae', d) - (ai_detect_anomalies('ae', d)).score) < 1e-9 AS predict_is_score
  FROM ae_data d WHERE id = 100;
SELECT (ai_detect_anomalies('ae', d, threshold => 1e6)).is_anomaly AS never
  FROM ae_data d WHERE id = 1;
SELECT (ai_detect_anomalies('ae', r)).is_anomaly AS off_plane
  FROM (SELECT 3.0 AS x1, -3.0 AS x2, 3.0 AS x3, -3.0 AS x4, 3.0 AS x5, -3.0 AS x6,
               3.0 AS x7, -3.0 AS x8) r;

-- the default contamination (0.01) flags about 1% of the training rows
SELECT (metrics->'train'->>'anomaly_rate')::float8 BETWEEN 0.005 AND 0.015 AS rate_near_1pct
  FROM ai_train('ae_d', 'neural_net', 'SELECT x1, x2, x3, x4 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 2}, {"dense": 4}],
                             "epochs": 2}');

-- user errors
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data', 'x1',
                '{"task": "autoencoder", "layers": [{"dense": 2}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 3}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder",
                             "layers": [{"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 2}], "positive_class": "a"}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 2}], "input_shape": [2]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 2}], "deploy": "if_better"}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 2}], "contamination": 0.6}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "layers": [{"dense": 2}],
                             "search": {"params": {"l2": [0, 1]}}}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "decoder", "layers": [{"dense": 2}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data', 'x1',
                '{"layers": [{"dense": 1}], "contamination": 0.1}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"layers": [{"dense": 1}]}');
-- other functions on an autoencoder
SELECT ai_classify('ae', d) FROM ae_data d WHERE id = 1;
SELECT ai_predict_proba('ae', d) FROM ae_data d WHERE id = 1;
SELECT ai_evaluate('ae', 'SELECT * FROM ae_data');
SELECT ai_detect_anomalies('ae', r) FROM (SELECT 1.0::float8 AS x1) r;

-- a variational autoencoder ("variational": true): the latent layer is the
-- narrowest dense one, a sample layer follows it; it still scores rows
SELECT metrics->'latent' AS latent, metrics->'beta' AS beta, metrics->'network' AS network,
       (metrics->'train'->>'anomaly_rate')::float8 BETWEEN 0.005 AND 0.03 AS rate_ok
  FROM ai_train('ae_v', 'neural_net', 'SELECT x1, x2, x3, x4, x5, x6, x7, x8 FROM ae_data WHERE NOT planted',
                options => '{"task": "autoencoder", "variational": true, "beta": 0.5, "test_size": 0,
                             "layers": [{"dense": {"units": 16, "activation": "tanh"}},
                                        {"dense": {"units": 2}},
                                        {"dense": {"units": 16, "activation": "tanh"}},
                                        {"dense": {"units": 8}}],
                             "epochs": 40, "learning_rate": 0.01, "seed": 1}');
SELECT avg(score) FILTER (WHERE planted) > 5 * avg(score) FILTER (WHERE NOT planted) AS vae_separates
  FROM (SELECT planted, (ai_detect_anomalies('ae_v', d)).score FROM ae_data d) s;

-- ai_generate: rows with the training columns, their means and standard
-- deviations near the data's (|mean difference| < 0.2 sd, sd ratio 0.7 .. 1.2)
CREATE TABLE ae_gen AS SELECT g FROM ai_generate('ae_v', 4000, seed => 7) g;
SELECT count(*) AS rows, min((SELECT count(*) FROM jsonb_object_keys(g))) AS keys,
       bool_and(g ?& ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8']) AS training_columns
  FROM ae_gen;
SELECT c.col, abs(gm - dm) < 0.2 * ds AS mean_ok, gs / ds BETWEEN 0.7 AND 1.2 AS sd_ok
  FROM (SELECT k AS col, avg((g->>k)::float8) AS gm, stddev((g->>k)::float8) AS gs
          FROM ae_gen, jsonb_object_keys(g) k GROUP BY k) c
  JOIN (SELECT k AS col, avg(v) AS dm, stddev(v) AS ds
          FROM ae_data d, LATERAL jsonb_each_text(to_jsonb(d) - 'id' - 'planted') AS e(k, v0),
               LATERAL (SELECT v0::float8 AS v) x
         WHERE NOT planted GROUP BY k) d USING (col)
 ORDER BY 1;
-- the same seed gives the same rows; n = 0 gives none
SELECT (SELECT array_agg(g) FROM ai_generate('ae_v', 3, seed => 11) g)
     = (SELECT array_agg(g) FROM ai_generate('ae_v', 3, seed => 11) g) AS same_seed_same_rows,
       (SELECT count(*) FROM ai_generate('ae_v', 0)) AS none;

-- variational user errors
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "beta": 0.5, "layers": [{"dense": 1}, {"dense": 2}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data', 'x1',
                '{"variational": true, "layers": [{"dense": 1}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "variational": true, "layers": [{"dense": 2}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "variational": true,
                             "layers": [{"dense": {"units": 1, "activation": "tanh"}}, {"dense": 2}]}');
SELECT ai_train('ae_x', 'neural_net', 'SELECT x1, x2 FROM ae_data',
                options => '{"task": "autoencoder", "variational": true, "beta": -1,
                             "layers": [{"dense": 1}, {"dense": 2}]}');
SELECT ai_generate('ae', 3);
SELECT ai_export_model('ae', format => 'onnx');
SELECT ai_generate('ae_v', -1);
SELECT ai_generate('ae_v', NULL);
SELECT ai_generate('ae_nope', 3);
SELECT name FROM ai_train('ae_vc', 'neural_net',
                          'SELECT x1, x2, CASE WHEN id % 2 = 0 THEN ''a'' ELSE ''b'' END AS c FROM ae_data',
                          options => '{"task": "autoencoder", "variational": true, "epochs": 1,
                                       "layers": [{"dense": 1}, {"dense": 4}]}');
SELECT ai_generate('ae_vc', 3);

-- clean up
SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'ae%') m;
DROP TABLE ae_data, ae_flags, ae_gen;
DROP FUNCTION ae_n(int, int), ae_u(int, int);
