-- ai_chart: SVG charts of models.  The elements are counted by their class
-- (src/chart/chart.h); test/tap/charts.sh renders them in Chromium.
SET client_min_messages = notice;
SET pg_learn.threads = 1;

-- fixtures, no random(): a binary and a 3-class classifier, a regressor, a network
CREATE TABLE ch_rows AS
  SELECT i, (i % 10)::float8 AS x, ((i * 7) % 13)::float8 AS z,
         CASE WHEN (i % 10) + 0.3 * ((i * 7) % 13) > 6.5 THEN 'yes' ELSE 'no' END AS bin,
         (ARRAY['cat', 'dog', '<bird & co>'])[i % 3 + 1] AS animal,
         2.0 * (i % 10) - 0.5 * ((i * 7) % 13) + sin(i) AS y
    FROM generate_series(1, 120) i;
SELECT version FROM ai_train('ch_bin', 'logistic_regression', 'SELECT x, z, bin FROM ch_rows', 'bin');
SELECT version FROM ai_train('ch_multi', 'logistic_regression', 'SELECT x, z, animal FROM ch_rows', 'animal');
SELECT version FROM ai_train('ch_reg', 'linear_regression', 'SELECT x, z, y FROM ch_rows', 'y');
SELECT version FROM ai_train('ch_nn', 'neural_net', 'SELECT x, z, y FROM ch_rows', 'y',
  '{"layers": [{"dense": {"units": 8, "activation": "tanh"}}, {"dense": {"units": 1}}],
    "epochs": 12, "test_size": 0.25, "seed": 1}');

CREATE FUNCTION ch_count(svg text, cls text) RETURNS int LANGUAGE sql AS
  $$ SELECT count(*)::int FROM regexp_matches(svg, 'class="' || cls || '"', 'g') $$;

-- every chart is one <svg> element with a title and a desc
SELECT kind, left(svg, 40) AS head, right(svg, 7) = E'</svg>\n' AS closed,
       svg LIKE '%<title id="pgl-title">%' AS titled, svg LIKE '%<desc id="pgl-desc">%' AS described,
       svg NOT LIKE '%<script%' AS no_script
  FROM (VALUES ('roc', ai_chart('ch_bin', 'roc', 'ch_rows')),
               ('pr', ai_chart('ch_bin', 'pr', 'SELECT x, z, bin FROM ch_rows')),
               ('confusion', ai_chart('ch_multi', 'confusion', 'ch_rows')),
               ('residuals', ai_chart('ch_reg', 'residuals', 'ch_rows')),
               ('importance', ai_chart('ch_reg', 'importance')),
               ('learning_curve', ai_chart('ch_nn', 'learning_curve'))) AS t(kind, svg);

-- roc and pr: one curve, a chance line, axes from 0 to 1
SELECT ch_count(svg, 'pgl-line') AS lines, ch_count(svg, 'pgl-ref') AS refs,
       ch_count(svg, 'pgl-xtick') AS xticks, ch_count(svg, 'pgl-ytick') AS yticks,
       ch_count(svg, 'pgl-legend-item') AS legend, svg LIKE '%false positive rate%' AS labelled
  FROM ai_chart('ch_bin', 'roc', 'ch_rows') svg;
SELECT ch_count(svg, 'pgl-line') AS lines, svg LIKE '%>recall<%' AS labelled
  FROM ai_chart('ch_bin', 'pr', 'ch_rows') svg;
-- the AUC in the title is the one ai_evaluate reports
SELECT svg LIKE '%(AUC ' || round((ai_evaluate('ch_bin', 'ch_rows') ->> 'roc_auc')::numeric, 3) || ')%' AS same_auc
  FROM ai_chart('ch_bin', 'roc', 'ch_rows') svg;

-- confusion: k x k cells, numbered; labels escaped; the accuracy is ai_evaluate's
SELECT ch_count(svg, 'pgl-cell') AS cells, ch_count(svg, 'pgl-cell-value') AS numbers,
       svg LIKE '%&lt;bird &amp; co&gt;%' AS escaped, svg NOT LIKE '%<bird%' AS no_raw_label,
       svg LIKE '%(accuracy ' || round((ai_evaluate('ch_multi', 'ch_rows') ->> 'accuracy')::numeric, 3) || ')%' AS same_accuracy
  FROM ai_chart('ch_multi', 'confusion', 'ch_rows') svg;

-- residuals: one point per row, a zero line; max_points draws every k-th row
SELECT ch_count(svg, 'pgl-point') AS points, ch_count(svg, 'pgl-ref') AS zero_line
  FROM ai_chart('ch_reg', 'residuals', 'ch_rows') svg;
SELECT ch_count(svg, 'pgl-point') AS points, svg LIKE '%one row in 3 drawn%' AS says_sampled
  FROM ai_chart('ch_reg', 'residuals', 'ch_rows', options => '{"max_points": 40}') svg;
SELECT ch_count(svg, 'pgl-point') AS points
  FROM ai_chart('ch_reg', 'residuals', 'SELECT * FROM ch_rows WHERE i <= 10') svg;

-- importance: one bar per feature (permutation: whiskers); top limits them
SELECT ch_count(svg, 'pgl-bar') AS bars, ch_count(svg, 'pgl-ytick') AS labels
  FROM ai_chart('ch_reg', 'importance') svg;
SELECT ch_count(svg, 'pgl-bar') AS bars FROM ai_chart('ch_reg', 'importance', options => '{"top": 1}') svg;
-- a tree model's gain: no whiskers
SELECT version FROM ai_train('ch_xgb', 'xgboost', 'SELECT x, z, y FROM ch_rows', 'y', '{"n_estimators": 5, "seed": 1}');
SELECT ch_count(svg, 'pgl-bar') AS bars, ch_count(svg, 'pgl-err') AS whiskers, svg LIKE '%(gain)%' AS gain
  FROM ai_chart('ch_xgb', 'importance', options => '{"importance": "gain"}') svg;

-- learning_curve: one point per epoch for training and validation loss, the kept epoch marked
SELECT ch_count(svg, 'pgl-point') = 2 * (SELECT count(*) FROM ai_training_history('ch_nn')) AS point_per_epoch,
       ch_count(svg, 'pgl-line') AS lines, ch_count(svg, 'pgl-ref') AS kept_mark
  FROM ai_chart('ch_nn', 'learning_curve') svg;

-- options: title (escaped), size; the same call gives the same bytes
SELECT svg LIKE '%<title id="pgl-title">Churn &lt;Q3&gt;</title>%' AS custom_title,
       svg LIKE '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="300"%' AS sized
  FROM ai_chart('ch_bin', 'roc', 'ch_rows', options => '{"title": "Churn <Q3>", "width": 800, "height": 300}') svg;
SELECT md5(ai_chart('ch_multi', 'confusion', 'ch_rows')) = md5(ai_chart('ch_multi', 'confusion', 'ch_rows')) AS stable;
-- a version other than the deployed one
SELECT version FROM ai_train('ch_bin', 'logistic_regression', 'SELECT x, bin FROM ch_rows', 'bin', '{"deploy": false}');
SELECT ai_chart('ch_bin', 'roc', 'ch_rows', version => 2) LIKE '%version 2 on 120 rows%' AS version_2;

-- drift: one bar per feature and statistic (x, z: PSI and KS), the shifted x first
SELECT ch_count(svg, 'pgl-bar') AS bars, svg LIKE '%x (psi)%' AS x_psi,
       position('x (' IN svg) < position('z (' IN svg) AS shifted_first,
       svg LIKE '%of 4 are%' AS counted
  FROM ai_chart('ch_reg', 'drift', 'SELECT x + 5 AS x, z FROM ch_rows') AS svg;
SELECT ai_chart('ch_reg', 'drift');

-- errors
SELECT ai_chart('ch_bin', 'pie');
SELECT ai_chart('ch_bin', 'forecast');
SELECT ai_chart('ch_reg', 'drift', 'SELECT x FROM ch_rows');
SELECT ai_chart('ch_reg', 'roc', 'ch_rows');
SELECT ai_chart('ch_multi', 'roc', 'ch_rows');
SELECT ai_chart('ch_bin', 'residuals', 'ch_rows');
SELECT ai_chart('ch_reg', 'confusion', 'ch_rows');
SELECT ai_chart('ch_reg', 'learning_curve');
SELECT ai_chart('ch_bin', 'roc');
SELECT ai_chart('ch_nn', 'learning_curve', 'ch_rows');
SELECT ai_chart('ch_bin', 'roc', 'SELECT x, z FROM ch_rows');
SELECT ai_chart('ch_bin', 'roc', 'SELECT * FROM ch_rows WHERE false');
SELECT ai_chart('ch_bin', 'roc', 'SELECT * FROM ch_rows WHERE bin = ''yes''');
SELECT ai_chart('ch_bin', 'roc', 'ch_rows', options => '{"colour": "red"}');
SELECT ai_chart('ch_bin', 'roc', 'ch_rows', options => '{"width": 50}');
SELECT ai_chart('ch_bin', 'roc', 'ch_rows', options => '[1]');
SELECT ai_chart('ch_bin', 'roc', 'ch_rows', options => '{"top": 3}');
SELECT ai_chart('ch_reg', 'importance', options => '{"importance": "shap"}');
SELECT ai_chart('ch_bin', 'importance', version => 2);
SELECT ai_chart('ch_bin', 'importance', version => 1) IS NOT NULL AS deployed_version_ok;
SELECT ai_chart('no_such_model', 'roc', 'ch_rows');
SELECT ai_chart(NULL, 'roc') IS NULL AS null_name;
