-- ai_export_model / ai_import_model: a model moves as a validated bytea.
SET client_min_messages = notice;
CREATE TABLE tr AS SELECT i, (i % 10)::float8 AS x, (ARRAY['a', 'b', 'c'])[1 + i % 3] AS cat,
       2.0 * (i % 10) + CASE i % 3 WHEN 0 THEN 1 ELSE 0 END AS y, i % 2 = 0 AS even
  FROM generate_series(1, 120) i;
SELECT version FROM ai_train('tr_lin', 'linear_regression', 'tr', 'y', '{"exclude": ["i", "even"], "l2": 0.01}');
SELECT version FROM ai_train('tr_log', 'logistic_regression', 'tr', 'even', '{"exclude": ["i", "y"]}');

-- export, import under another name: the same predictions
SELECT ai_import_model('tr_lin_copy', ai_export_model('tr_lin')) AS version;
SELECT ai_import_model('tr_log_copy', ai_export_model('tr_log', 1)) AS version;
SELECT bool_and(ai_predict('tr_lin', t) = ai_predict('tr_lin_copy', t)) AS same_predictions,
       bool_and(ai_predict_proba('tr_log', t) = ai_predict_proba('tr_log_copy', t)) AS same_probabilities
  FROM tr t;
SELECT name, version, algorithm, deployed, data_source, rows_used, metrics, target_name, feature_names
  FROM ai_models WHERE name LIKE 'tr\_%\_copy' ORDER BY name;
SELECT ai_export_model('tr_lin') = ai_export_model('tr_lin_copy') AS identical_bytes;
-- importing into an existing model adds a version, deployed unless asked not to
SELECT ai_import_model('tr_lin_copy', ai_export_model('tr_lin'), deploy => false) AS version;
SELECT version, deployed FROM ai_models WHERE name = 'tr_lin_copy' ORDER BY version;

-- a damaged or foreign value is refused before anything is stored (the
-- checksums depend on the coefficients' last bits, so they are masked)
CREATE FUNCTION tr_try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '0x[0-9a-f]+', '0x...', 'g');
END $$;
SELECT tr_try($$SELECT ai_import_model('bad', overlay(ai_export_model('tr_lin') PLACING '\xff'::bytea FROM 30 FOR 1))$$);
DROP FUNCTION tr_try(text);
SELECT ai_import_model('bad', substr(ai_export_model('tr_lin'), 1, 40));
SELECT ai_import_model('bad', '\x00010203'::bytea);
SELECT ai_import_model('bad', ''::bytea);
SELECT count(*) AS nothing_stored FROM ai_models WHERE name = 'bad';
SELECT ai_export_model('tr_lin', 99);
SELECT ai_export_model('no_such_model');
SELECT ai_export_model(NULL) IS NULL AS null_name;

SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE tr;
