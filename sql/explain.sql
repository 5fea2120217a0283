-- ai_explain: exact additive contributions, on the link scale, relative to a
-- reference row (numeric features at their training mean, categorical ones
-- at their most frequent category).
SET client_min_messages = notice;
CREATE TABLE ex AS SELECT i, (i % 10)::float8 AS x, (i % 7)::float8 AS z,
       (ARRAY['a', 'b', 'c'])[1 + i % 3] AS cat,
       1.0 + 2.0 * (i % 10) - 0.5 * (i % 7) + CASE i % 3 WHEN 0 THEN 3 ELSE 0 END AS y,
       (i % 10) + CASE i % 3 WHEN 0 THEN 4 ELSE 0 END > 7 AS hi,
       (ARRAY['low', 'mid', 'top'])[1 + least(2, (i % 10) / 4)] AS band
  FROM generate_series(1, 300) i;
SELECT version FROM ai_train('ex_lin', 'linear_regression', 'ex', 'y', '{"exclude": ["i", "hi", "band"], "l2": 0.001, "test_size": 0}');
SELECT version FROM ai_train('ex_log', 'logistic_regression', 'ex', 'hi', '{"exclude": ["i", "y", "band"], "test_size": 0}');
SELECT version FROM ai_train('ex_multi', 'logistic_regression', 'SELECT x, z, band FROM ex', 'band', '{"test_size": 0, "max_iter": 500}');

-- one row per feature and a (base) row; they add up to the prediction
SELECT feature, value, round(contribution::numeric, 4) AS contribution, class
  FROM ai_explain('ex_lin', (SELECT e FROM ex e WHERE i = 3));
SELECT bool_and(abs(s - p) < 1e-9) AS adds_up
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_lin', e)) AS s, ai_predict('ex_lin', e) AS p FROM ex e) q;
-- logistic: the log-odds of the second class
SELECT bool_and(abs(s - ln(p[2] / p[1])) < 1e-9) AS adds_up_to_log_odds, min(c) AS class
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_log', e)) AS s,
               (SELECT min(class) FROM ai_explain('ex_log', e)) AS c,
               ai_predict_proba('ex_log', e) AS p FROM ex e) q;
-- multiclass: the softmax input of the predicted class, which is the class reported
SELECT bool_and(c = ai_classify('ex_multi', e)) AS explains_the_predicted_class
  FROM (SELECT e, (SELECT min(class) FROM ai_explain('ex_multi', e)) AS c FROM ex e) q;
-- a feature at the reference (training mean / most frequent category) contributes 0;
-- NULL is imputed, an unseen category is shown as such
SELECT a.feature, a.value, round(a.contribution::numeric, 9) AS contribution
  FROM (SELECT (SELECT avg(x) FROM ex) AS x, NULL::float8 AS z, 'zzz'::text AS cat) r,
       LATERAL ai_explain('ex_lin', r) a
 WHERE a.feature <> '(base)';

-- neural_net over feature columns: baseline Shapley values by permutation
-- sampling against the same reference row.  Values depend on the CPU's SGEMM
-- kernels, so only properties are printed.
SET pg_learn.threads = 1;
SELECT version FROM ai_train('ex_nn', 'neural_net', 'SELECT x, z, cat, y FROM ex', 'y',
  '{"layers": [{"dense": {"units": 8, "activation": "tanh"}}, {"dense": {"units": 1}}],
    "epochs": 20, "seed": 1, "test_size": 0}');
SELECT version FROM ai_train('ex_nn_cls', 'neural_net', 'SELECT x, z, cat, band FROM ex', 'band',
  '{"layers": [{"dense": {"units": 8, "activation": "relu"}}, {"dense": {"units": 3, "activation": "softmax"}}],
    "epochs": 20, "seed": 1, "test_size": 0}');
SELECT version FROM ai_train('ex_nn_bin', 'neural_net', 'SELECT x, z, hi FROM ex', 'hi',
  '{"layers": [{"dense": {"units": 4, "activation": "tanh"}}, {"dense": {"units": 1, "activation": "sigmoid"}}],
    "epochs": 10, "seed": 1, "test_size": 0}');
SELECT feature, value, class, contribution IS NOT NULL AS has_contribution
  FROM ai_explain('ex_nn', (SELECT e FROM ex e WHERE i = 4));
-- regression: the contributions and the base add up to ai_predict; the base is
-- the prediction of the reference row
SELECT bool_and(abs(s - p) < 1e-9) AS adds_up,
       bool_and(abs(b - (SELECT ai_predict('ex_nn', r) FROM (SELECT (SELECT avg(x) FROM ex) AS x, (SELECT avg(z) FROM ex) AS z, 'a'::text AS cat) r)) < 1e-9) AS base_is_reference
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_nn', e)) AS s,
               (SELECT contribution FROM ai_explain('ex_nn', e) WHERE feature = '(base)') AS b,
               ai_predict('ex_nn', e) AS p FROM ex e WHERE i <= 60) q;
-- deterministic: the same rows twice
SELECT (SELECT array_agg(a ORDER BY a) FROM ai_explain('ex_nn', e) a) = (SELECT array_agg(a ORDER BY a) FROM ai_explain('ex_nn', e) a) AS same_twice
  FROM ex e WHERE i = 17;
-- classification: one set of rows per class, on the probability scale; each adds up to
-- that class's ai_predict_proba
SELECT class, count(*) AS rows FROM ai_explain('ex_nn_cls', (SELECT e FROM ex e WHERE i = 4)) GROUP BY class ORDER BY class;
SELECT bool_and(abs(s - p[k]) < 1e-9) AS adds_up_per_class
  FROM (SELECT k, (SELECT sum(contribution) FROM ai_explain('ex_nn_cls', e) a WHERE a.class = (ai_model_classes('ex_nn_cls'))[k]) AS s,
               ai_predict_proba('ex_nn_cls', e) AS p
          FROM ex e, generate_series(1, 3) k WHERE i <= 60) q;
SELECT bool_and(abs(s - p[k]) < 1e-9) AS binary_adds_up_per_class, count(DISTINCT k) AS classes
  FROM (SELECT k, (SELECT sum(contribution) FROM ai_explain('ex_nn_bin', e) a WHERE a.class = (ai_model_classes('ex_nn_bin'))[k]) AS s,
               ai_predict_proba('ex_nn_bin', e) AS p
          FROM ex e, generate_series(1, 2) k WHERE i <= 60) q;
-- with two features every permutation credits x either a1 = f(x, z0) - f(x0, z0)
-- or a2 = f(x, z) - f(x0, z); permutations come in antithetic pairs (one, then its
-- reverse), so x gets the exact Shapley value (a1 + a2) / 2; z's is the rest
SELECT version FROM ai_train('ex_nn2', 'neural_net', 'SELECT x, z, y FROM ex', 'y',
  '{"layers": [{"dense": {"units": 8, "activation": "tanh"}}, {"dense": {"units": 1}}],
    "epochs": 20, "seed": 2, "test_size": 0}');
SELECT bool_and(abs(cx - (a1 + a2) / 2) < 1e-6) AS exact_shapley_for_two_features,
       bool_and(abs(cx + cz - (fx - f0)) < 1e-9) AS telescopes,
       bool_or(abs(a1 - a2) > 1e-3) AS interaction_present
  FROM (SELECT (SELECT contribution FROM ai_explain('ex_nn2', e) WHERE feature = 'x') AS cx,
               (SELECT contribution FROM ai_explain('ex_nn2', e) WHERE feature = 'z') AS cz,
               ai_predict('ex_nn2', e) AS fx,
               ai_predict('ex_nn2', (SELECT r FROM (SELECT m.x, m.z) r)) AS f0,
               ai_predict('ex_nn2', (SELECT r FROM (SELECT e.x, m.z) r)) - ai_predict('ex_nn2', (SELECT r FROM (SELECT m.x, m.z) r)) AS a1,
               ai_predict('ex_nn2', e) - ai_predict('ex_nn2', (SELECT r FROM (SELECT m.x, e.z) r)) AS a2
          FROM ex e, (SELECT avg(x) AS x, avg(z) AS z FROM ex) m WHERE e.i <= 60) q;
-- the number of permutations: any count adds up
SET pg_learn.explain_permutations = 1;
SELECT bool_and(abs(s - p) < 1e-9) AS adds_up_with_one_permutation
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_nn', e)) AS s, ai_predict('ex_nn', e) AS p FROM ex e WHERE i <= 20) q;
RESET pg_learn.explain_permutations;

-- kmeans: the squared distance to the assigned centroid, by feature; base 0,
-- class the cluster number
SELECT version FROM ai_train('ex_km', 'kmeans', 'SELECT x, z, cat FROM ex', options => '{"k": 3, "seed": 1}');
SELECT ai_export_model('ex_km') AS km_blob \gset
SELECT feature, value, class = ai_cluster('ex_km', e)::text AS assigned_cluster
  FROM ex e, LATERAL ai_explain('ex_km', e) WHERE e.i = 4;
SELECT bool_and(abs(s - d2) < 1e-9) AS adds_up_to_squared_distance,
       bool_and(abs(sx - dx) < 1e-9) AS numeric_feature,
       bool_and(abs(sc - dc) < 1e-9) AS categorical_feature,
       bool_and(b = 0) AS base_zero
  FROM (SELECT (SELECT sum(contribution) FROM ai_explain('ex_km', e)) AS s,
               (SELECT contribution FROM ai_explain('ex_km', e) WHERE feature = '(base)') AS b,
               (SELECT contribution FROM ai_explain('ex_km', e) WHERE feature = 'x') AS sx,
               (SELECT contribution FROM ai_explain('ex_km', e) WHERE feature = 'cat') AS sc,
               (SELECT sum((f[j] - c.centroid[j]) ^ 2) FROM generate_subscripts(f, 1) j) AS d2,
               (f[1] - c.centroid[1]) ^ 2 AS dx,
               (SELECT sum((f[j] - c.centroid[j]) ^ 2) FROM generate_series(3, 5) j) AS dc
          FROM ex e, LATERAL ai_features(:'km_blob', e) f,
               LATERAL (SELECT centroid FROM ai_centroids('ex_km') WHERE cluster = ai_cluster('ex_km', e)) c) q;
-- the assigned centroid is the nearest one
SELECT bool_and(d2 <= (SELECT min(s) FROM (SELECT (SELECT sum((f[j] - c.centroid[j]) ^ 2) FROM generate_subscripts(f, 1) j) AS s FROM ai_centroids('ex_km') c) m) + 1e-9) AS nearest
  FROM (SELECT f, (SELECT sum(contribution) FROM ai_explain('ex_km', e)) AS d2
          FROM ex e, LATERAL ai_features(:'km_blob', e) f) q;

-- errors
SET pg_learn.explain_permutations = 0;
SELECT version FROM ai_train('ex_img', 'neural_net', 'SELECT ARRAY[i % 3, i % 5, i % 7]::real[] AS img, i % 2 AS k FROM generate_series(1, 60) i', 'k',
  '{"layers": [{"dense": {"units": 2, "activation": "softmax"}}], "epochs": 2, "seed": 1}');
SELECT * FROM ai_explain('ex_img', (SELECT r FROM (SELECT ARRAY[1, 2, 3]::real[] AS img) r));
CREATE TABLE ex_r AS SELECT u AS user_id, i AS item_id, ((u * i) % 5 + 1)::float8 AS rating
  FROM generate_series(1, 20) u, generate_series(1, 10) i;
SELECT version FROM ai_train('ex_als', 'als', 'ex_r', options => '{"factors": 2, "iterations": 2}');
SELECT * FROM ai_explain('ex_als', (SELECT r FROM ex_r r LIMIT 1));
SELECT * FROM ai_explain('ex_lin', (SELECT row(1.0) AS r));
SELECT * FROM ai_explain('nope', (SELECT e FROM ex e WHERE i = 1));

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE ex, ex_r;
