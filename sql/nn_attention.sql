-- neural_net with attention on a float8[][] column of [steps, features]:
-- "is the first vector repeated later in the sequence", which a transformer
-- learns and a bag of vectors (average pooling) cannot; the attention layers
-- on their own, prediction with padding, the stored model, and the errors of
-- the attention layers.  Accuracies are compared with thresholds: exact
-- values depend on the CPU's SGEMM kernels.
SET client_min_messages = notice;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- twelve codebook vectors of 8 values; sequences of 4 .. 8 of them, all-zero
-- steps after (padding); half the rows repeat the first vector at a random
-- later step, the others never do
SELECT setseed(0.17);
CREATE TABLE att_book AS
  SELECT k, ARRAY(SELECT round((random() * 2 - 1 + CASE WHEN random() > 0.5 THEN 0.5 ELSE -0.5 END)
                               ::numeric, 3)::float8
                    FROM generate_series(1, 8) j WHERE k = k) AS v
    FROM generate_series(0, 11) k;
CREATE TABLE att_seq AS
  WITH r AS (
    SELECT i, 4 + floor(random() * 5)::int AS len, floor(random() * 12)::int AS f, i % 2 AS rep
      FROM generate_series(1, 2500) i
  ), r2 AS (
    SELECT r.*, 1 + floor(random() * (len - 1))::int AS p FROM r
  ), s AS (
    SELECT i, rep, t, CASE WHEN t >= len THEN NULL
                           WHEN t = 0 OR (rep = 1 AND t = p) THEN f
                           ELSE (f + 1 + floor(random() * 11)::int) % 12 END AS k
      FROM r2, generate_series(0, 7) t
  )
  SELECT i, array_agg(COALESCE(b.v, array_fill(0::float8, ARRAY[8])) ORDER BY t) AS seq,
         CASE WHEN rep = 1 THEN 'repeated' ELSE 'unique' END AS label
    FROM s LEFT JOIN att_book b USING (k) GROUP BY i, rep;
SELECT label, count(*), array_dims(min(seq)) AS dims FROM att_seq GROUP BY 1 ORDER BY 1;

-- learned positions + one transformer block + masked max pooling
SELECT (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate, metrics->>'network' AS network,
       metrics->'parameters' AS parameters
  FROM ai_train('att_tf', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"positional_embedding": {"kind": "learned"}},
                             {"transformer_encoder": {"heads": 2, "ff_units": 16}},
                             {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 20, "batch_size": 32, "learning_rate": 0.01, "seed": 5}');
-- a bag of vectors cannot tell
SELECT (metrics->'test'->>'accuracy')::float8 < 0.75 AS chance_level
  FROM ai_train('att_bag', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"global_avg_pool1d": null},
                             {"dense": {"units": 32, "activation": "relu"}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 20, "batch_size": 32, "learning_rate": 0.01, "seed": 5}');
-- ai_evaluate over every row
SELECT (ai_evaluate('att_tf', 'SELECT seq, label FROM att_seq')->>'accuracy')::float8 >= 0.9
         AS evaluates;
-- codebook vectors 3, 5, 3 (repeated) and 3, 5, 7, 9 (unique), shorter than 8 steps: padded
SELECT ai_classify('att_tf', (SELECT array_agg(v ORDER BY o) FROM att_book
                               JOIN unnest(ARRAY[3, 5, 1, 3]) WITH ORDINALITY u(k, o) USING (k)))
         AS repeated,
       ai_classify('att_tf', (SELECT array_agg(v ORDER BY o) FROM att_book
                               JOIN unnest(ARRAY[3, 5, 7, 9]) WITH ORDINALITY u(k, o) USING (k)))
         AS "unique";
-- a shorter row predicts as with its all-zero steps
SELECT ai_predict_proba('att_tf', seq[1:5][1:8])
       = ai_predict_proba('att_tf', seq[1:5][1:8] || array_fill(0::float8, ARRAY[3, 8])) AS same
  FROM att_seq WHERE i = 10;

-- the layers on their own: sinusoidal positions, attention with key_dim,
-- layer_norm; and layer_norm in a network over ordinary columns
SELECT metrics->>'network' AS network, metrics->'parameters' AS parameters
  FROM ai_train('att_mha', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"positional_embedding": {"kind": "sinusoidal"}},
                             {"multi_head_attention": {"heads": 2, "key_dim": 8}},
                             {"layer_norm": {}},
                             {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 2, "seed": 5}');
SELECT metrics->>'network' AS network
  FROM ai_train('att_ln', 'neural_net',
                'SELECT i::float8 AS a, (i % 7)::float8 AS b, i % 2 AS y FROM att_seq', 'y',
                '{"layers": [{"dense": 8}, {"layer_norm": {}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 1, "seed": 5}');
-- the stored model loads and re-validates ("nn_arch" columns 8 .. 11)
DISCARD ALL;
SET pg_learn.threads = 1;
SELECT ai_classify('att_tf', (SELECT array_agg(v ORDER BY o) FROM att_book
                               JOIN unnest(ARRAY[2, 4, 2]) WITH ORDINALITY u(k, o) USING (k)))
         AS repeated;

-- errors: each names the layer and what is valid
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"transformer_encoder": {"ff_units": 16}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"transformer_encoder": {"heads": 2}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"multi_head_attention": {"heads": 3}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"multi_head_attention": {"heads": 0}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"layer_norm": {"heads": 2}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"positional_embedding": {"kind": "rotary"}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"positional_embedding": {"max_len": 4}}, {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"positional_embedding": {"kind": "sinusoidal", "max_len": 16}},
                             {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"flatten": null}, {"transformer_encoder": {"heads": 2, "ff_units": 8}},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"transformer_encoder": {"heads": 2, "ff_units": 8}},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT i::float8 AS a, i % 2 AS y FROM att_seq', 'y',
                '{"layers": [{"multi_head_attention": {"heads": 1}},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT seq, label FROM att_seq', 'label',
                '{"layers": [{"dense": {"units": 2, "heads": 2}}]}');

SELECT ai_drop_model(name) FROM (VALUES ('att_tf'), ('att_bag'), ('att_mha'), ('att_ln')) v(name);
DROP TABLE att_seq, att_book;
