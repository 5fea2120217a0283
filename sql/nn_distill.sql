-- Distillation ("teacher", "temperature", "distill_weight") and
-- ai_predict_tensor (a layer's output, the model's output).
SET pg_learn.threads = 1;

-- three classes; "hint" tells the class (a teacher that reads it is
-- better than a student that may not)
CREATE TABLE dist3 AS
  SELECT i AS id, (ARRAY['a', 'b', 'c'])[i % 3 + 1] AS cls,
         (ARRAY['p', 'q', 'r'])[(i + (i % 7 = 0)::int) % 3 + 1] AS hint,
         (ARRAY[0, 2, 0])[i % 3 + 1] + sin(i * 1.7) * 1.5 AS x1,
         (ARRAY[0, 0, 2])[i % 3 + 1] + cos(i * 2.3) * 1.5 AS x2
    FROM generate_series(1, 600) i;

SELECT (metrics->'test'->>'accuracy')::float > 0.8 AS teacher_good
  FROM ai_train('dist_teacher', 'logistic_regression', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls');

-- the student reads x1 and x2 only; the teacher scores the same rows with its own columns
SELECT metrics->'teacher'->>'name' AS teacher, metrics->'teacher'->>'algorithm' AS algorithm,
       metrics->'teacher'->'version' AS version, metrics->'teacher'->'temperature' AS t,
       metrics->'teacher'->'distill_weight' AS w,
       (metrics->'teacher'->>'train_agreement')::float > 0.5 AS agrees
  FROM ai_train('dist_student', 'neural_net', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "relu"}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "exclude": ["hint"], "epochs": 10, "learning_rate": 0.01, "seed": 3,
                  "teacher": "dist_teacher", "temperature": 3, "distill_weight": 0.7}');
SELECT feature FROM ai_model_features('dist_student') ORDER BY position;
-- the defaults: temperature 2, weight 0.5; the teacher's version is pinned and recorded
SELECT ai_train('dist_teacher', 'logistic_regression', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls') IS NOT NULL AS v2;
SELECT metrics->'teacher'->'version' AS version, metrics->'teacher'->'temperature' AS t,
       metrics->'teacher'->'distill_weight' AS w
  FROM ai_train('dist_student', 'neural_net', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "relu"}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "exclude": ["hint"], "epochs": 2, "teacher": "dist_teacher"}');
-- weight 1 learns the teacher alone; weight 0 is the labels alone
SELECT (metrics->'test'->>'accuracy')::float > 0.5 AS learns
  FROM ai_train('dist_w1', 'neural_net', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "relu"}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "exclude": ["hint"], "epochs": 10, "learning_rate": 0.01,
                  "teacher": "dist_teacher", "distill_weight": 1}');

-- a binary student with one sigmoid unit, a tree teacher
CREATE TABLE dist2 AS SELECT * FROM dist3 WHERE cls <> 'c';
SELECT (metrics->'test'->>'accuracy')::float > 0.6 AS ok
  FROM ai_train('dist_trees', 'random_forest', 'SELECT cls, x1, x2 FROM dist2', 'cls',
                '{"n_estimators": 10, "seed": 1}');
SELECT metrics->'teacher'->>'algorithm' AS algorithm,
       (metrics->'test'->>'accuracy')::float > 0.6 AS ok
  FROM ai_train('dist_bin', 'neural_net', 'SELECT cls, x1, x2 FROM dist2', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "tanh"}},
                             {"dense": {"units": 1, "activation": "sigmoid"}}],
                  "epochs": 10, "learning_rate": 0.01, "teacher": "dist_trees"}');

-- a tensor student (one array column), the column teacher reading the same rows
CREATE TABLE dist_arr AS SELECT cls, hint, x1, x2, ARRAY[x1, x2, x1 * x2] AS v FROM dist3;
SELECT metrics->'teacher'->>'name' AS teacher, metrics->>'network' AS network
  FROM ai_train('dist_tensor', 'neural_net', 'SELECT cls, hint, x1, x2, v FROM dist_arr', 'cls',
                '{"layers": [{"dense": {"units": 8, "activation": "relu"}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "exclude": ["hint", "x1", "x2"], "epochs": 3, "teacher": "dist_teacher"}');
-- and a tensor teacher for a column student
SELECT metrics->'teacher'->>'name' AS teacher
  FROM ai_train('dist_col', 'neural_net', 'SELECT cls, x1, x2, v FROM dist_arr', 'cls',
                '{"layers": [{"dense": {"units": 4, "activation": "relu"}},
                             {"dense": {"units": 3, "activation": "softmax"}}],
                  "exclude": ["v"], "epochs": 2, "teacher": "dist_tensor"}');

-- errors
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": "no_such_model"}');
SELECT ai_train('dist_reg', 'linear_regression', 'SELECT x1, x2 FROM dist3', 'x1') IS NOT NULL;
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": "dist_reg"}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": "dist_trees"}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT x1, x2 FROM dist3', 'x1',
                '{"layers": [{"dense": {"units": 1}}], "teacher": "dist_teacher"}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": "dist_teacher"}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2, hint FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": "dist_teacher", "temperature": 0}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2, hint FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": "dist_teacher", "distill_weight": 1.5}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "temperature": 4}');
SELECT ai_train('dist_e', 'neural_net', 'SELECT cls, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "teacher": 7}');
-- the teacher needs the caller's predict privilege
CREATE ROLE regress_pgl_dist;
GRANT SELECT ON dist3 TO regress_pgl_dist;
SET ROLE regress_pgl_dist;
SELECT ai_train('dist_other', 'neural_net', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "exclude": ["hint"],
                  "teacher": "dist_teacher"}');
RESET ROLE;
SELECT ai_grant('dist_teacher', 'regress_pgl_dist', 'predict');
SET ROLE regress_pgl_dist;
SELECT metrics->'teacher'->>'name' AS teacher
  FROM ai_train('dist_other', 'neural_net', 'SELECT cls, hint, x1, x2 FROM dist3', 'cls',
                '{"layers": [{"dense": {"units": 3, "activation": "softmax"}}], "exclude": ["hint"],
                  "epochs": 1, "teacher": "dist_teacher"}');
SELECT ai_drop_model('dist_other');
RESET ROLE;
DROP OWNED BY regress_pgl_dist;
DROP ROLE regress_pgl_dist;

-- ai_predict_tensor: the final output equals ai_predict_proba / ai_predict
SELECT bool_and(abs(t[1] - p[1]) < 1e-6 AND abs(t[3] - p[3]) < 1e-6) AS same_nn
  FROM (SELECT ai_predict_tensor('dist_student', d) AS t, ai_predict_proba('dist_student', d) AS p
          FROM dist3 d) s;
SELECT bool_and(abs(t[1] - p[1]) < 1e-6) AS same_lr, bool_and(cardinality(t) = 3) AS three
  FROM (SELECT ai_predict_tensor('dist_teacher', d) AS t, ai_predict_proba('dist_teacher', d) AS p
          FROM dist3 d) s;
SELECT bool_and(abs(t[1] - p[1]) < 1e-6 AND cardinality(t) = 2) AS sigmoid_two
  FROM (SELECT ai_predict_tensor('dist_bin', d) AS t, ai_predict_proba('dist_bin', d) AS p
          FROM dist2 d) s;
SELECT bool_and(abs((ai_predict_tensor('dist_reg', d))[1] - ai_predict('dist_reg', d))
                < 1e-4 * abs(ai_predict('dist_reg', d)) + 1e-5) AS same_value
  FROM dist3 d;
-- '-1' is the last layer's raw output; the sigmoid unit: one value
SELECT cardinality(ai_predict_tensor('dist_bin', d, '-1')) AS raw,
       cardinality(ai_predict_tensor('dist_student', d, '1')) AS hidden,
       cardinality(ai_predict_tensor('dist_student', d, '-2')) AS from_end,
       bool_and(x >= 0) AS relu
  FROM dist3 d, unnest(ai_predict_tensor('dist_student', d, '1')) x WHERE d.id = 1 GROUP BY d.id, d;
SELECT ai_predict_tensor('dist_tensor', v, '1') = ai_predict_tensor('dist_tensor', d, '-2') AS forms
  FROM dist_arr d LIMIT 1;
SELECT cardinality(ai_predict_tensor('dist_student', ARRAY[0.5, 1.0], 'dense')) AS n;
SELECT ai_predict_tensor('dist_student', ARRAY[0.5, 1.0], '3');
SELECT ai_predict_tensor('dist_student', ARRAY[0.5, 1.0], '0');
SELECT ai_predict_tensor('dist_student', ARRAY[0.5, 1.0], 'lstm');
SELECT ai_predict_tensor('dist_teacher', d, '1') FROM dist3 d LIMIT 1;
SELECT ai_predict_tensor('dist_student', '\x0102'::bytea);
SELECT ai_predict_tensor('dist_student', NULL::float8[]) IS NULL AS null_in;

-- a pooled embedding of token ids, and the cosine similarity of two rows in SQL
CREATE TABLE dist_tok AS
  SELECT i AS id, ARRAY[1 + i % 5, 6 + i % 4, 3, (i % 2) * 4]::int[] AS ids, (i % 2)::text AS y
    FROM generate_series(1, 200) i;
SELECT metrics->>'network' AS network
  FROM ai_train('dist_emb', 'neural_net', 'SELECT ids, y FROM dist_tok', 'y',
                '{"layers": [{"embedding": {"vocab": 16, "dim": 4}}, {"global_avg_pool1d": null},
                             {"dense": {"units": 2, "activation": "softmax"}}],
                  "epochs": 3, "seed": 5}');
-- the cosine of two pooled embeddings against the same from the embedding
-- layer's steps averaged in SQL (each row's steps up to its last token)
WITH e AS (SELECT id, ai_predict_tensor('dist_emb', t, 'global_avg_pool1d') AS v,
                  ai_predict_tensor('dist_emb', t, '1') AS s,
                  (SELECT max(k) FROM generate_subscripts(ids, 1) k WHERE ids[k] <> 0) AS len
             FROM dist_tok t WHERE id IN (2, 4, 3)),
     p AS (SELECT id, v, ARRAY(SELECT avg(s[(k - 1) * 4 + j]) FROM generate_series(1, 4) j,
                                 generate_series(1, len) k GROUP BY j ORDER BY j)::float8[] AS w
             FROM e),
     c AS (SELECT a.id AS a, b.id AS b, cardinality(a.v) AS dim,
                  (SELECT sum(x * y) FROM unnest(a.v, b.v) u(x, y)) /
                    sqrt((SELECT sum(x * x) FROM unnest(a.v) x) * (SELECT sum(y * y) FROM unnest(b.v) y)) AS cos,
                  (SELECT sum(x * y) FROM unnest(a.w, b.w) u(x, y)) /
                    sqrt((SELECT sum(x * x) FROM unnest(a.w) x) * (SELECT sum(y * y) FROM unnest(b.w) y)) AS cos_sql
             FROM p a JOIN p b ON a.id < b.id)
SELECT a AS id, b AS id, abs(cos - cos_sql) < 1e-5 AS cosine_ok, dim FROM c ORDER BY 1, 2;
SELECT ai_predict_tensor('dist_emb', ARRAY[1, 8, 3, 0]::float8[], 'global_avg_pool1d') =
       ai_predict_tensor('dist_emb', t, '2') AS same
  FROM dist_tok t WHERE id = 10;
