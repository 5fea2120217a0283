-- neural_net on sequences: embedding + lstm / gru on token ids with padding
-- (an order task that a bag of words cannot learn), conv1d + masked pooling
-- on a float8[][] column of [steps, features], prediction, the stored model,
-- and the errors of the sequence layers.  Accuracies are compared with
-- thresholds: exact values depend on the CPU's SGEMM kernels.
SET client_min_messages = notice;
SET extra_float_digits = 0;
SET pg_learn.threads = 1;

-- token ids 1 .. 15 with padding 0 at the end (4 .. 10 real steps); every
-- row holds token 1 once and token 2 once, the rest filler 3 .. 15: the
-- class is whether 1 comes before 2, which the counts of tokens cannot tell
SELECT setseed(0.16);
CREATE TABLE seq_ids AS
  WITH r AS (
    SELECT i, 4 + floor(random() * 7)::int AS len FROM generate_series(1, 1200) i
  ), p AS (
    SELECT i, len, a, b FROM (
      SELECT i, len, floor(random() * len)::int AS a, floor(random() * (len - 1))::int AS b0
        FROM r) s, LATERAL (SELECT CASE WHEN b0 >= a THEN b0 + 1 ELSE b0 END AS b) bb
  )
  SELECT i, ARRAY(SELECT CASE WHEN t >= len THEN 0
                              WHEN t = a THEN 1
                              WHEN t = b THEN 2
                              ELSE 3 + floor(random() * 13)::int END
                    FROM generate_series(0, 9) t) AS ids,
         CASE WHEN a < b THEN 'first' ELSE 'second' END AS label
    FROM p;
SELECT label, count(*) > 500 AS balanced FROM seq_ids GROUP BY 1 ORDER BY 1;

-- embedding + lstm (last state) + softmax
SELECT (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate, metrics->>'network' AS network,
       metrics->'parameters' AS parameters
  FROM ai_train('seq_lstm', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 8}},
                             {"lstm": {"units": 16}},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 25, "batch_size": 32, "learning_rate": 0.01, "seed": 2}');
SELECT ai_classify('seq_lstm', ARRAY[5, 1, 7, 2, 9, 0, 0, 0, 0, 0]) AS first,
       ai_classify('seq_lstm', ARRAY[5, 2, 7, 9, 1, 4, 0, 0, 0, 0]) AS second;
-- a shorter row is padded: the same prediction as with its trailing zeros, in any array type
SELECT ai_predict_proba('seq_lstm', ARRAY[5, 1, 7, 2, 9]::float8[])
       = ai_predict_proba('seq_lstm', ARRAY[5, 1, 7, 2, 9, 0, 0, 0, 0, 0]::int[]) AS same;
-- longer than the training's rows, or ragged: refused
SELECT ai_classify('seq_lstm', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
-- ai_evaluate reads the column in batches: the training's accuracy on all rows
SELECT (ai_evaluate('seq_lstm', 'SELECT ids, label FROM seq_ids')->>'accuracy')::float8 >= 0.9
         AS evaluates;

-- a bidirectional gru over every step, masked max pooling
SELECT (metrics->'test'->>'accuracy')::float8 >= 0.9 AS accurate, metrics->>'network' AS network
  FROM ai_train('seq_gru', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 8}},
                             {"gru": {"units": 12, "return_sequences": true,
                                      "bidirectional": true}},
                             {"global_max_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 25, "batch_size": 32, "learning_rate": 0.01, "seed": 3}');

-- a [steps, features] column: y is the largest x0[t] + x1[t + 1] over the
-- real steps (3 .. 12; the rest all-zero padding), which conv1d (kernel 2)
-- and a masked max pool represent exactly
CREATE TABLE seq_vals AS
  WITH r AS (
    SELECT i, 3 + floor(random() * 10)::int AS len FROM generate_series(1, 800) i
  ), v AS (
    SELECT i, len, t, CASE WHEN t < len THEN 0.1 + random() ELSE 0 END AS x0,
           CASE WHEN t < len THEN 0.1 + random() ELSE 0 END AS x1
      FROM r, generate_series(0, 11) t
  )
  SELECT i, array_agg(ARRAY[x0, x1] ORDER BY t) AS steps,
         (SELECT max(a.x0 + b.x1) FROM v a JOIN v b ON b.i = a.i AND b.t = a.t + 1
           WHERE a.i = v.i AND b.t < v.len) AS y
    FROM v GROUP BY i, len;
SELECT (metrics->'test'->>'r2')::float8 > 0.9 AS good_r2, metrics->>'network' AS network
  FROM ai_train('seq_conv', 'neural_net', 'SELECT steps, y FROM seq_vals', 'y',
                '{"layers": [{"conv1d": {"filters": 4, "kernel": 2, "padding": "valid"}},
                             {"global_max_pool1d": {}},
                             {"dense": 1}],
                  "epochs": 40, "batch_size": 16, "learning_rate": 0.02, "seed": 4}');
-- three steps, padded to twelve: max(0.5 + 0.9, 0.3 + 0.1) = 1.4
SELECT abs(ai_predict('seq_conv', ARRAY[[0.5, 0.2], [0.3, 0.9], [0.1, 0.1]]::float8[]) - 1.4) < 0.25
         AS close;
SELECT ai_predict('seq_conv', ARRAY[0.5, 0.2, 0.3]::float8[]);
-- the same network with "input_shape" given, and conv1d "same" + average pooling
SELECT metrics->>'network' AS network
  FROM ai_train('seq_conv2', 'neural_net', 'SELECT steps, y FROM seq_vals', 'y',
                '{"layers": [{"conv1d": {"filters": 3, "kernel": 3, "padding": "same",
                                         "activation": "relu"}},
                             {"global_avg_pool1d": null}, {"dense": 1}],
                  "input_shape": [12, 2], "epochs": 2, "seed": 4}');
-- the stored model loads and re-validates (the layer spec in "nn_arch")
SELECT ai_classify('seq_gru', ARRAY[3, 3, 2, 4, 1]) AS second;

-- errors: each names the layer and what is valid
SELECT ai_train('e', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"dim": 8}}, {"lstm": 4},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 10, "dim": 8}}, {"lstm": 4},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 8}},
                             {"lstm": {"units": 4, "bidirectional": "yes"}},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 8}},
                             {"gru": {"units": 4, "kernel": 3}},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 8}},
                             {"lstm": {"units": 4, "return_sequences": true}},
                             {"dense": {"units": 2, "activation": "softmax"}}]}');
SELECT ai_train('e', 'neural_net', 'SELECT steps, y FROM seq_vals', 'y',
                '{"layers": [{"conv1d": {"filters": 4, "kernel": 20}}, {"global_avg_pool1d": null},
                             {"dense": 1}]}');
SELECT ai_train('e', 'neural_net', 'SELECT steps, y FROM seq_vals', 'y',
                '{"layers": [{"lstm": 4}, {"embedding": {"vocab": 16, "dim": 8}}, {"dense": 1}]}');
SELECT ai_train('e', 'neural_net', 'SELECT steps, y FROM seq_vals', 'y',
                '{"layers": [{"global_max_pool1d": 3}, {"dense": 1}]}');
SELECT ai_train('e', 'neural_net', 'SELECT i::float8 AS a, y FROM seq_vals', 'y',
                '{"layers": [{"lstm": 4}, {"dense": 1}]}');
SELECT ai_train('e', 'neural_net', 'SELECT steps, y FROM seq_vals', 'y',
                '{"layers": [{"lstm": 4}, {"dense": 1}], "input_shape": [6, 2, 2]}');
SELECT ai_train('e', 'neural_net', 'SELECT ids, label FROM seq_ids', 'label',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 8}}, {"lstm": 4},
                             {"dense": {"units": 2, "activation": "softmax"}}], "scale": 0.5}');
SELECT count(*) FROM ai_models WHERE name = 'e';
