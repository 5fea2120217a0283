-- logistic_regression: binary and multiclass, labels of any type, probabilities.
SET client_min_messages = notice;
SELECT setseed(0.3);
CREATE TABLE logi AS
  SELECT i AS id, x1, x2, segment,
         (3.0 * x1 - 2.0 * x2 + CASE segment WHEN 'a' THEN 1 ELSE -1 END + (random() - 0.5)) > 0 AS label
    FROM (SELECT i, random() * 2 - 1 AS x1, random() * 2 - 1 AS x2,
                 (ARRAY['a', 'b'])[1 + i % 2] AS segment
            FROM generate_series(1, 1000) i) s;

-- boolean labels; classes are stored and listed in probability order
SELECT rows_used, (metrics -> 'test' ->> 'accuracy')::float8 > 0.9 AS accurate,
       (metrics -> 'test' ->> 'roc_auc')::float8 > 0.95 AS good_auc,
       (metrics ->> 'iterations')::int > 0 AS iterated
  FROM ai_train('logi', 'logistic_regression', 'logi', 'label', '{"exclude": ["id"]}');
SELECT ai_model_classes('logi');
-- signs of the coefficients on the original scale; the class is the positive one
SELECT feature, class, sign(coefficient) AS sign FROM ai_model_coefficients('logi')
 WHERE feature IN ('x1', 'x2');

-- labels come back as text and cast back to the original type
SELECT l.x1, l.x2, l.segment, ai_classify('logi', l)::boolean AS predicted
  FROM (VALUES (0.9::float8, -0.9::float8, 'a'), (-0.9, 0.9, 'b')) AS l(x1, x2, segment);
-- probabilities are in [0, 1], sum to 1, and agree with ai_classify
SELECT count(*) AS rows,
       bool_and(abs(p[1] + p[2] - 1) < 1e-12) AS sums_to_one,
       bool_and(p[1] BETWEEN 0 AND 1 AND p[2] BETWEEN 0 AND 1) AS in_range,
       bool_and((p[2] > p[1]) = (c::boolean)) AS argmax_matches
  FROM (SELECT ai_predict_proba('logi', l) AS p, ai_classify('logi', l) AS c FROM logi l) s;
-- training accuracy from SQL agrees with the stored metric
SELECT round(avg((ai_classify('logi', l)::boolean = label)::int), 2) >= 0.9 AS accurate FROM logi l;

-- multiclass softmax with text labels
CREATE TABLE blobs AS
  SELECT i, x, y, cls FROM (
    SELECT i, cls,
           c[1] + (random() - 0.5) * 1.5 AS x, c[2] + (random() - 0.5) * 1.5 AS y
      FROM (SELECT i, (ARRAY['north', 'south', 'east'])[1 + i % 3] AS cls,
                   (ARRAY[ARRAY[0, 3], ARRAY[0, -3], ARRAY[3, 0]])[1 + i % 3:1 + i % 3] AS cc
              FROM generate_series(1, 600) i) s0,
           LATERAL (SELECT ARRAY[cc[1][1], cc[1][2]]::float8[] AS c) l) s;
SELECT rows_used, (metrics -> 'test' ->> 'accuracy')::float8 > 0.95 AS accurate,
       metrics -> 'test' -> 'per_class' ? 'east' AS per_class,
       jsonb_array_length(metrics -> 'test' -> 'confusion' -> 'matrix') AS confusion_rows,
       metrics -> 'test' ? 'roc_auc' AS has_auc
  FROM ai_train('blobs', 'logistic_regression', 'blobs', 'cls', '{"exclude": ["i"]}');
SELECT ai_model_classes('blobs');
SELECT ai_classify('blobs', ARRAY[0, 3]) AS n, ai_classify('blobs', ARRAY[0, -3]) AS s,
       ai_classify('blobs', ARRAY[3, 0]) AS e;
SELECT array_length(ai_predict_proba('blobs', ARRAY[0.0, 0.0]), 1) AS n_proba,
       round((SELECT sum(p) FROM unnest(ai_predict_proba('blobs', ARRAY[1.0, 1.0])) p)::numeric, 12) AS total;

-- integer labels are ordered as numbers, not as text
SELECT version FROM ai_train('ints', 'logistic_regression',
  'SELECT x, CASE WHEN x < 3 THEN 2 WHEN x < 6 THEN 10 ELSE 100 END AS k FROM generate_series(0, 8) x', 'k',
  '{"max_iter": 500}');
SELECT ai_model_classes('ints');
SELECT ai_classify('ints', ARRAY[0])::int AS k0, ai_classify('ints', ARRAY[8])::int AS k8;

-- more regularization gives less extreme probabilities
SELECT version FROM ai_train('logi_l2', 'logistic_regression', 'logi', 'label', '{"exclude": ["id"], "l2": 1}');
SELECT (ai_predict_proba('logi_l2', l))[2] < (ai_predict_proba('logi', l))[2] AS less_confident
  FROM (VALUES (1.0::float8, -1.0::float8, 'a')) AS l(x1, x2, segment);

-- the units of a feature do not matter, even at extreme scales
SELECT s AS scale, metrics -> 'train' ->> 'accuracy' AS accuracy
  FROM unnest(ARRAY['1e-170', '1', '1e160']) s,
       LATERAL ai_train('logi_scale', 'logistic_regression',
                        format('SELECT i * %s::float8 AS x, i > 50 AS c FROM generate_series(1, 100) i', s),
                        'c', '{"test_size": 0}') t;

-- max_iter reached: a NOTICE, not an error
SELECT version FROM ai_train('logi_short', 'logistic_regression', 'logi', 'label', '{"exclude": ["id"], "max_iter": 2}');

-- a class seen only in the hold-out rows: those rows are left out of the test metrics
CREATE TABLE rare AS SELECT i, (i % 10)::float8 AS x,
       CASE WHEN i = 1 THEN 'rare' WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS c
  FROM generate_series(1, 100) i;
SELECT version FROM ai_train('rare_x', 'logistic_regression', 'rare', 'c', '{"exclude": ["i"], "seed": 3}');
SELECT ai_model_classes('rare_x');
SELECT metrics ->> 'rows_test' AS rows_test, metrics ->> 'rows_test_unknown_class' AS unknown
  FROM ai_models WHERE name = 'rare_x';
DROP TABLE rare;

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE logi, blobs;
