-- Rows as Citus ships them: a whole-row reference q becomes ROW(c1, ..., cN),
-- an anonymous record whose fields are named f1..fN.  The passes write
-- ROW(q.c1, ..., q.cN) and give the column names, and the row functions and
-- fused aggregates read such a record positionally.
SET extra_float_digits = 0;
CREATE TABLE anr AS
  SELECT i,
         (i % 13)::float8 AS a,
         CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 5) END AS b,
         CASE WHEN i % 11 = 0 THEN NULL ELSE (ARRAY['x', 'y', 'z'])[1 + i % 3] END AS c,
         2 + 0.5 * (i % 13) - (i % 5) + CASE i % 3 WHEN 0 THEN 3 ELSE 0 END + sin(i) AS y,
         ((i % 13) + sin(i * 7) * 4 > 6) AS lab
    FROM generate_series(1, 3000) i;
ANALYZE anr;
SELECT version FROM ai_train('anr_lin', 'linear_regression', 'SELECT a, b, c, y FROM anr', 'y', '{"method": "aggregate", "l2": 0.5}');
SELECT version FROM ai_train('anr_log', 'logistic_regression', 'SELECT a, b, c, lab FROM anr', 'lab', '{"method": "aggregate"}');
SELECT version FROM ai_train('anr_mn', 'logistic_regression', 'SELECT a, b, y, c FROM anr WHERE c IS NOT NULL', 'c', '{"method": "aggregate"}');
SELECT version FROM ai_train('anr_km', 'kmeans', 'SELECT a, b, c FROM anr', options => '{"k": 3, "method": "aggregate"}');
SELECT ai_export_model('anr_lin') AS lin, ai_export_model('anr_log') AS log,
       ai_export_model('anr_mn') AS mn, ai_export_model('anr_km') AS km \gset

-- the exact shape Citus sends: ROW(a, b, c, y), fields f1..f4
SELECT pg_typeof(ROW(a, b, c, y)) AS shape, ROW(a, b, c, y) AS anonymous FROM anr WHERE i = 1;
-- positionally, with the column names: the same as by name
SELECT bool_and(ai_features(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y']) = ai_features(:'lin', t)) AS same_features,
       bool_and(ai_label(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y']) = ai_label(:'lin', t)) AS same_label,
       bool_and(ai_label(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'])
                IS NOT DISTINCT FROM ai_label(:'log', t)) AS same_class,
       bool_and(ai_holdout(ROW(a, b, c, y, lab)) = ai_holdout(t)) AS same_split
  FROM (SELECT a, b, c, y, lab FROM anr) t;
-- the names say where each column is: the record's order does not matter to them
SELECT ai_features(:'lin', ROW(y, c, b, a), ARRAY['y', 'c', 'b', 'a']) = ai_features(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y']) AS any_order
  FROM anr WHERE i = 5;
-- a named record with the names given is read positionally too
SELECT ai_features(:'lin', t, ARRAY['a', 'b', 'c', 'y']) = ai_features(:'lin', t) AS named_positional
  FROM (SELECT a, b, c, y FROM anr WHERE i = 5) t;
-- the passes of "method": "aggregate" are of that shape (ai_holdout, the fused aggregates)
SELECT ai_train('anr_lin_mem', 'linear_regression', 'SELECT a, b, c, y FROM anr', 'y', '{"method": "memory", "l2": 0.5}') IS NOT NULL AS trained;
SELECT max(abs(ai_predict('anr_lin', t) - ai_predict('anr_lin_mem', t)) / greatest(abs(ai_predict('anr_lin_mem', t)), 1)) < 1e-9 AS same_as_memory
  FROM anr t;

-- the fused aggregates: one call per row, the same states as the unfused passes
-- linear regression: the training rows' state, the hold-out's, then the rows
-- with a NULL target and the NULLs per feature (a, b, c) on each side
SELECT max(abs(f - u) / greatest(abs(u), 1)) < 1e-9 AS linreg_same_state
  FROM (SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS s FROM anr) f,
       (SELECT ai_linreg_agg(ai_features(:'lin', t), ai_label(:'lin', t)) FILTER (WHERE NOT ai_holdout(t, 42, 0.2))
               || ai_linreg_agg(ai_features(:'lin', t), ai_label(:'lin', t)) FILTER (WHERE ai_holdout(t, 42, 0.2)) AS s
          FROM (SELECT a, b, c, y FROM anr) t WHERE y IS NOT NULL) u,
       LATERAL unnest(f.s[1:array_length(u.s, 1)], u.s) AS x(f, u);
SELECT s[array_length(s, 1) - 6:] AS counts,
       (SELECT count(*) FROM anr WHERE y IS NULL) AS null_targets,
       (SELECT count(*) FILTER (WHERE b IS NULL) FROM anr t WHERE y IS NOT NULL) AS null_b,
       (SELECT count(*) FILTER (WHERE c IS NULL) FROM anr t WHERE y IS NOT NULL) AS null_c
  FROM (SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS s FROM anr) f;
-- the fields form: the same states, without a record per row
SELECT ai_linreg_fit_agg(:'lin', ARRAY['a', 'b', 'c', 'y'], 42, 0.2, a, b, c, y)
       = ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS linreg_fields,
       ai_logreg_fit_agg(:'log', ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, ARRAY[0.1, -0.2, 0.3, 0, 0.05, -1], a, b, c, lab)
       = ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, ARRAY[0.1, -0.2, 0.3, 0, 0.05, -1]) AS logreg_fields,
       ai_kmeans_fit_agg(:'km', ARRAY['a', 'b', 'c'], '{{0,0,0,0,0},{5,2,1,0,0},{10,4,0,0,1}}', a, b, c)
       = ai_kmeans_fit_agg(:'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], '{{0,0,0,0,0},{5,2,1,0,0},{10,4,0,0,1}}') AS kmeans_fields
  FROM anr;
-- in any order of the fields, by the names given (the hold-out hashes the
-- fields in their order, as the data's columns: here there is none)
SELECT ai_linreg_fit_agg(:'lin', ARRAY['y', 'c', 'b', 'a'], 42, 0, y, c, b, a)
       = ai_linreg_fit_agg(:'lin', ARRAY['a', 'b', 'c', 'y'], 42, 0, a, b, c, y) AS any_order
  FROM anr;
SELECT array_length(ai_linreg_solve(ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2), 0.5), 1) AS coefficients
  FROM anr;
SELECT (ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0))[2] AS rows_no_holdout FROM anr;
SELECT max(abs(f - u)) < 1e-12 AS logreg_same_gradient
  FROM (SELECT ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, ARRAY[0.1, -0.2, 0.3, 0, 0.05, -1]) AS s FROM anr) f,
       (SELECT ai_logreg_grad_agg(ARRAY[0.1, -0.2, 0.3, 0, 0.05, -1], ai_features(:'log', t), ai_label(:'log', t)) AS s
          FROM (SELECT a, b, c, lab FROM anr) t WHERE NOT ai_holdout(t, 42, 0.2)) u,
       LATERAL unnest(f.s, u.s) AS x(f, u);
SELECT max(abs(f - u)) < 1e-12 AS softmax_same_gradient
  FROM (SELECT ai_logreg_fit_agg(:'mn', ROW(a, b, y, c), ARRAY['a', 'b', 'y', 'c'], 7, 0.3, w) AS s
          FROM anr, (SELECT array_agg(sin(g)) AS w FROM generate_series(1, 12) g) w WHERE c IS NOT NULL) f,
       (SELECT ai_softmax_grad_agg(w, ai_features(:'mn', t), ai_label(:'mn', t)) AS s
          FROM (SELECT a, b, y, c FROM anr WHERE c IS NOT NULL) t, (SELECT array_agg(sin(g)) AS w FROM generate_series(1, 12) g) w
         WHERE NOT ai_holdout(t, 7, 0.3)) u,
       LATERAL unnest(f.s, u.s) AS x(f, u);
SELECT max(abs(f - u)) < 1e-9 AS kmeans_same_state
  FROM (SELECT ai_kmeans_fit_agg(:'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], '{{0,0,0,0,0},{5,2,1,0,0},{10,4,0,0,1}}') AS s FROM anr) f,
       (SELECT ai_kmeans_step_state('{{0,0,0,0,0},{5,2,1,0,0},{10,4,0,0,1}}', ai_features(:'km', t)) AS s
          FROM (SELECT a, b, c FROM anr) t) u,
       LATERAL unnest(f.s, u.s) AS x(f, u);
-- by name when no column names are given (a NULL columns argument)
SELECT ai_linreg_fit_agg(:'lin', t, NULL, 42, 0.2) = ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS by_name
  FROM (SELECT a, b, c, y FROM anr) t;
-- one state per group; NULL rows are skipped, rows without a label counted; no rows: NULL
SELECT i % 2 AS g, (ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0))[2] AS n
  FROM anr GROUP BY 1 ORDER BY 1;
SELECT (ai_linreg_fit_agg(:'lin', CASE WHEN i % 2 = 0 THEN ROW(a, b, c, y) END, ARRAY['a', 'b', 'c', 'y'], 42, 0))[2] AS even_rows,
       (ai_linreg_fit_agg(:'lin', ROW(a, b, c, NULL::float8), ARRAY['a', 'b', 'c', 'y'], 42, 0)) AS no_labels
  FROM anr;

-- parallel query: partial states, combined
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) FROM anr;
SELECT max(abs(f - u) / greatest(abs(u), 1)) < 1e-9 AS parallel_same_state
  FROM (SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS s FROM anr) f,
       (SELECT ai_linreg_agg(ai_features(:'lin', t), ai_label(:'lin', t)) AS s
          FROM (SELECT a, b, c, y FROM anr) t WHERE NOT ai_holdout(t, 42, 0.2)) u,
       LATERAL unnest(f.s[1:array_length(u.s, 1)], u.s) AS x(f, u);
EXPLAIN (COSTS OFF)
SELECT ai_logreg_fit_agg(:'log', ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, ARRAY[0.1, -0.2, 0.3, 0, 0.05, -1], a, b, c, lab) FROM anr;
SELECT max(abs(f - u) / greatest(abs(u), 1)) < 1e-9 AS parallel_fields_same_state
  FROM (SELECT ai_linreg_fit_agg(:'lin', ARRAY['a', 'b', 'c', 'y'], 42, 0.2, a, b, c, y) AS s FROM anr) f,
       (SELECT ai_linreg_agg(ai_features(:'lin', t), ai_label(:'lin', t)) AS s
          FROM (SELECT a, b, c, y FROM anr) t WHERE NOT ai_holdout(t, 42, 0.2)) u,
       LATERAL unnest(f.s[1:array_length(u.s, 1)], u.s) AS x(f, u);
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- errors
-- Citus's shape without the names: the fields f1..f4 are not the model's columns
SELECT ai_features(:'lin', ROW(a, b, c, y)) FROM anr WHERE i = 1;
-- wrong arity
SELECT ai_features(:'lin', ROW(a, b, c), ARRAY['a', 'b', 'c', 'y']) FROM anr WHERE i = 1;
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y, i), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) FROM anr;
-- wrong types: a text field where the model reads a number
SELECT ai_features(:'lin', ROW(c, b, c, y), ARRAY['a', 'b', 'c', 'y']) FROM anr WHERE i = 1;
SELECT ai_label(:'lin', ROW(a, b, c, c), ARRAY['a', 'b', 'c', 'y']) FROM anr WHERE i = 1;
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, c), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) FROM anr;
-- names that miss a column of the model, a NULL name, no names
SELECT ai_features(:'lin', ROW(a, b, c, y), ARRAY['a', 'bb', 'c', 'y']) FROM anr WHERE i = 1;
SELECT ai_features(:'lin', ROW(a, b, c, y), ARRAY['a', NULL, 'c', 'y']) FROM anr WHERE i = 1;
SELECT ai_features(:'lin', ROW(a, b, c, y), '{}') FROM anr WHERE i = 1;
SELECT ai_features(:'lin', ROW(a, b, c, y), '{{a,b},{c,y}}') FROM anr WHERE i = 1;
-- NaN in a field
SELECT ai_linreg_fit_agg(:'lin', ROW('NaN'::float8, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0) FROM anr;
-- the fused aggregates' arguments
SELECT ai_linreg_fit_agg(NULL, ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) FROM anr;
SELECT ai_linreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2) FROM anr;
SELECT ai_logreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2, '{1,2}') FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], -1, 0.2) FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 1) FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, NULL) FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], i % 2, 0.2) FROM anr;
SELECT ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, '{1,2}') FROM anr;
SELECT ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, '{1,2,3,4,5,NaN}') FROM anr;
SELECT ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, ARRAY[i, 0, 0, 0, 0, 0]::float8[]) FROM anr;
SELECT ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, NULL) FROM anr;
SELECT ai_kmeans_fit_agg(:'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], '{1,2,3,4}') FROM anr;
-- a NULL or non-finite centroid value, and a NULL weight, are refused by the one check of both
SELECT ai_kmeans_fit_agg(:'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], '{1,2,NULL,4,5}') FROM anr;
SELECT ai_kmeans_fit_agg(:'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], '{1,2,Infinity,4,5}') FROM anr;
SELECT ai_logreg_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, '{1,2,3,4,5,NULL}') FROM anr;
SELECT ai_kmeans_fit_agg(:'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], ARRAY[i, 0, 0, 0, 0]::float8[]) FROM anr;
SELECT ai_linreg_fit_agg('\x00'::bytea, ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) FROM anr;
-- the fields form: names for every field, and of the model's columns
SELECT ai_linreg_fit_agg(:'lin', NULL, 42, 0.2, a, b, c, y) FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ARRAY['a', 'b', 'c'], 42, 0.2, a, b, c, y) FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ARRAY['a', 'b', 'c', 'z'], 42, 0.2, a, b, c, y) FROM anr;
SELECT ai_linreg_fit_agg(:'lin', ARRAY['a', 'b', 'c', 'y'], 42, 0.2, a::text, b, c, y) FROM anr;
SELECT ai_kmeans_fit_agg(:'km', ARRAY['a', 'b', 'c'], '{1,2,3,4}', a, b, c) FROM anr;
SELECT ai_kmeans_fit_agg(:'km', ARRAY['a', 'b', 'c'], '{1,2,3,4,5}', VARIADIC ARRAY[a, b, 0]) FROM anr;
-- ai_linreg_solve reads the training part of ai_linreg_fit_agg's result, checking the rest
SELECT ai_linreg_solve(s[1:array_length(s, 1) - 1], 0.5) FROM (SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS s FROM anr) f;
SELECT ai_linreg_solve(s[1:array_length(s, 1) - 1] || -1::float8, 0.5) FROM (SELECT ai_linreg_fit_agg(:'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0.2) AS s FROM anr) f;
-- states from outside
SELECT ai_fit_agg_final('{1,2,3,4,5,6}');
SELECT ai_fit_agg_final('{-1,0,128,3,1,0,0}');
SELECT ai_fit_agg_combine('{}', '{-9,0,0,0,0,0}');
SELECT ai_fit_agg_combine(
  (SELECT ai_linreg_fit_agg_sfunc('{}', :'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0) FROM anr WHERE i = 1),
  (SELECT ai_kmeans_fit_agg_sfunc('{}', :'km', ROW(a, b, c), ARRAY['a', 'b', 'c'], '{1,2,3,4,5}') FROM anr WHERE i = 1));
-- outside an aggregate the transition and final functions work on copies
SELECT (ai_fit_agg_final(ai_fit_agg_combine(s, s)))[2] AS two_rows
  FROM (SELECT ai_linreg_fit_agg_sfunc('{}', :'lin', ROW(a, b, c, y), ARRAY['a', 'b', 'c', 'y'], 42, 0) AS s FROM anr WHERE i = 1) x;

DROP TABLE anr;
SELECT count(*) FROM (SELECT ai_drop_model(name) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'anr%') m) d;
