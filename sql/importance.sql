-- ai_feature_importance: permutation importance over the training hold-out.
-- y depends on a (strongly) and on the category c; b is noise.
CREATE TABLE fi AS
SELECT i AS id,
       ((i * 37) % 101)::float8 / 10 AS a,
       ((i * 53) % 97)::float8 / 10 AS b,
       (ARRAY['x', 'y', 'z'])[1 + (i * 7) % 3] AS c,
       3.0 * (((i * 37) % 101)::float8 / 10) + CASE (i * 7) % 3 WHEN 0 THEN 5 ELSE 0 END AS y
  FROM generate_series(1, 1000) i;
SELECT version, metrics -> 'test' ->> 'n' AS n_test
  FROM ai_train('fi_lin', 'linear_regression', 'SELECT a, b, c, y FROM fi ORDER BY id', 'y');
-- a: permuting it destroys the fit (R² 1 -> about -1: importance about 2);
-- c matters less; b not at all
SELECT feature, round(importance::numeric, 2) AS importance, round(std::numeric, 2) AS std
  FROM ai_feature_importance('fi_lin') ORDER BY importance DESC;
SELECT feature FROM ai_feature_importance('fi_lin') WHERE abs(importance) < 1e-9 AND std < 1e-9;
-- the hold-out is the training's: as many rows, and the same score as the test metrics
SELECT metrics -> 'test' ->> 'n' AS n_test, round((metrics -> 'test' ->> 'r2')::numeric, 6) AS test_r2
  FROM ai_models WHERE name = 'fi_lin';
SET client_min_messages = debug1;
SELECT count(*) FROM ai_feature_importance('fi_lin', 1);
RESET client_min_messages;
-- deterministic for a seed; another seed gives other shuffles
SELECT (SELECT array_agg(importance ORDER BY feature) FROM ai_feature_importance('fi_lin', 5, 7))
     = (SELECT array_agg(importance ORDER BY feature) FROM ai_feature_importance('fi_lin', 5, 7)) AS same_seed_same_result,
       (SELECT array_agg(importance ORDER BY feature) FROM ai_feature_importance('fi_lin', 5, 7))
     <> (SELECT array_agg(importance ORDER BY feature) FROM ai_feature_importance('fi_lin', 5, 8)) AS other_seed_differs;
-- one repeat: std 0
SELECT feature, std FROM ai_feature_importance('fi_lin', 1) ORDER BY feature;

-- classification: the label is a > 5, so a carries all of the accuracy
SELECT version FROM ai_train('fi_cls', 'logistic_regression',
       'SELECT a, b, a > 5 AS big FROM fi ORDER BY id', 'big', '{"test_size": 0.3, "seed": 3}');
SELECT feature, importance > 0.3 AS matters, abs(importance) < 0.05 AS negligible
  FROM ai_feature_importance('fi_cls', 10) ORDER BY feature;

-- the hold-out is the training's: a different test_size gives another hold-out
SELECT version FROM ai_train('fi_lin2', 'linear_regression', 'SELECT a, b, c, y FROM fi ORDER BY id', 'y',
       '{"test_size": 0.5}');
SELECT (SELECT importance FROM ai_feature_importance('fi_lin') WHERE feature = 'a')
    <> (SELECT importance FROM ai_feature_importance('fi_lin2') WHERE feature = 'a') AS other_holdout;

-- a neural network over the same columns: its own options are not in the way
SELECT version FROM ai_train('fi_nn', 'neural_net', 'SELECT a, b, c, y FROM fi ORDER BY id', 'y',
       '{"layers": [{"dense": {"units": 8, "activation": "relu"}}, {"dense": {"units": 1}}],
         "epochs": 60, "learning_rate": 0.01, "seed": 3}');
SELECT feature, importance > 0.5 AS matters, abs(importance) < 0.05 AS negligible
  FROM ai_feature_importance('fi_nn') ORDER BY feature;

-- errors
SELECT version FROM ai_train('fi_all', 'linear_regression', 'SELECT a, b, y FROM fi', 'y', '{"test_size": 0}');
SELECT * FROM ai_feature_importance('fi_all');
SELECT * FROM ai_feature_importance('fi_lin', 0);
SELECT * FROM ai_feature_importance('fi_lin', 5, -1);
SELECT version FROM ai_train('fi_km', 'kmeans', 'SELECT a, b FROM fi', options => '{"k": 2}');
SELECT * FROM ai_feature_importance('fi_km');
SELECT ai_import_model('fi_imp', ai_export_model('fi_lin'));
SELECT * FROM ai_feature_importance('fi_imp');
SELECT * FROM ai_feature_importance('fi_nope');
