-- Every error a user can cause: a clear message, an errcode, a hint.
SET client_min_messages = notice;
\set VERBOSITY default
CREATE TABLE er AS SELECT i AS id, (i % 10)::float8 AS x, (i % 3)::float8 AS z, i % 2 = 0 AS flag,
       'cat' || (i % 4) AS label, 2.0 * (i % 10) AS y, NULL::float8 AS empty
  FROM generate_series(1, 100) i;
SELECT version FROM ai_train('er_reg', 'linear_regression', 'er', 'y', '{"exclude": ["id", "empty", "flag", "label"]}');
SELECT version FROM ai_train('er_cls', 'logistic_regression', 'er', 'flag', '{"exclude": ["id", "empty", "label", "y"]}');

-- unknown model
SELECT ai_predict('no_such_model', ARRAY[1.0]);
SELECT ai_deploy('no_such_model', 1);
SELECT ai_drop_model('no_such_model');
-- unknown algorithm: the hint lists the valid ones
SELECT * FROM ai_train('m', 'boosted_trees', 'er', 'y');
-- missing relation
SELECT * FROM ai_train('m', 'linear_regression', 'no_such_table', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'public.no_such_table', 'y');
-- a query that fails
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT nonexistent FROM er', 'y');
-- not a single query
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT 1 AS y; DROP TABLE er', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'with x as (select 1) delete from er', 'y');
CREATE TABLE er_victim AS SELECT 1.0 AS x, 2.0 AS y;
SELECT * FROM ai_train('m', 'linear_regression', 'WITH d AS (DELETE FROM er_victim RETURNING *) SELECT * FROM d', 'y');
SELECT count(*) AS still_there FROM er_victim;
DROP TABLE er_victim;
-- a query may start with comments; other statements are refused clearly; a
-- syntax error points into the data
SELECT rows_used FROM ai_train('er_comment', 'linear_regression', '/* c */ -- d
  SELECT x, y FROM er', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'EXPLAIN SELECT x, y FROM er', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT x, y FROM er WHERE', 'y');
SELECT * FROM ai_train(repeat('m', 201), 'linear_regression', 'er', 'y');
-- missing target (no target given, or not in the data)
SELECT * FROM ai_train('m', 'linear_regression', 'er');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'price');
-- target of the wrong type for the algorithm
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'label', '{"exclude": ["empty"]}');
SELECT * FROM ai_train('m', 'logistic_regression', 'er', 'y', '{"exclude": ["empty"]}');
-- no usable feature
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT y FROM er', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"exclude": ["id", "x", "z", "flag", "label", "empty"]}');
-- a feature type pg_learn cannot use
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT localtime AS t, y FROM er', 'y');
-- no rows
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT x, y FROM er WHERE false', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT x, NULL::float8 AS y FROM er', 'y');
-- a column that is NULL in every row
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y');
-- NULLs refused on request
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT NULLIF(x, 1) AS x, y FROM er', 'y', '{"nulls": "error"}');
-- NaN or Infinity in a feature or the target
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT CASE WHEN id = 7 THEN ''NaN'' ELSE x END AS x, y FROM er', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT CASE WHEN id = 9 THEN ''-Infinity'' ELSE x END AS x, y FROM er', 'y');
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT x, CASE WHEN id = 3 THEN ''Infinity''::float8 ELSE y END AS y FROM er', 'y');
SELECT ai_predict('er_reg', ARRAY[1, 'NaN']::float8[]);
SELECT ai_predict('er_reg', r) FROM (SELECT 'Infinity'::float8 AS x, 1.0 AS z) r;
-- a single class
SELECT * FROM ai_train('m', 'logistic_regression', 'SELECT x, true AS flag FROM er', 'flag');
-- a feature array of the wrong length or shape
SELECT ai_predict('er_reg', ARRAY[1.0]);
SELECT ai_predict('er_reg', ARRAY[1.0, 2.0, 3.0]);
SELECT ai_predict('er_reg', ARRAY[[1.0, 2.0]]);
-- a row lacking a feature column, or with one of an unusable type
SELECT ai_predict('er_reg', r) FROM (SELECT 1.0 AS x) r;
SELECT ai_predict('er_reg', r) FROM (SELECT 1.0 AS x, 'two'::text AS z) r;
SELECT version FROM ai_train('er_cat', 'linear_regression', 'er', 'y', '{"exclude": ["id", "empty", "flag", "z", "x"]}');
SELECT ai_predict('er_cat', r) FROM (SELECT 5 AS label) r;
-- the wrong function for the model's task
SELECT ai_predict('er_cls', ARRAY[1.0, 2.0]);
SELECT ai_classify('er_reg', ARRAY[1.0, 2.0]);
SELECT ai_predict_proba('er_reg', ARRAY[1.0, 2.0]);
SELECT ai_model_classes('er_reg');
-- options: unknown key, wrong type, out of range
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"lambda": 1}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"l2": "big"}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"l2": -1}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"test_size": 1.5}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"max_iter": 0}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"tol": 0}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"seed": -3}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"deploy": "yes"}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"nulls": "drop"}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"exclude": [1, 2]}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '{"exclude": ["no_such_column"]}');
SELECT * FROM ai_train('m', 'linear_regression', 'er', 'y', '[1, 2]');
-- NULL or empty arguments
SELECT * FROM ai_train(NULL, 'linear_regression', 'er', 'y');
SELECT * FROM ai_train('', 'linear_regression', 'er', 'y');
-- deploying a version that does not exist
SELECT ai_deploy('er_reg', 42);
-- the data does not fit pg_learn.max_train_memory
SET pg_learn.max_train_memory = '1MB';
SELECT * FROM ai_train('m', 'logistic_regression', 'SELECT i::float8 AS x, i % 2 AS y FROM generate_series(1, 100000) i', 'y', '{"method": "memory"}');
-- (by default, "method": "auto" would train it by aggregate passes: see aggregate_training)
-- linear_regression streams its training rows into XᵀX: only the hold-out is kept
SELECT rows_used FROM ai_train('m_stream', 'linear_regression', 'SELECT i::float8 AS x, i::float8 AS y FROM generate_series(1, 100000) i', 'y', '{"test_size": 0, "method": "memory"}');
RESET pg_learn.max_train_memory;
-- duplicate column names
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT x, x, y FROM er', 'y');
-- a categorical column with too many distinct values (an id as text)
SELECT * FROM ai_train('m', 'linear_regression', 'SELECT i::text AS code, i::float8 AS y FROM generate_series(1, 20000) i', 'y');

-- none of these left a model behind
SELECT DISTINCT name FROM ai_models ORDER BY 1;
SELECT count(ai_drop_model(name)) AS dropped FROM (SELECT DISTINCT name FROM ai_models) m;
DROP TABLE er;
