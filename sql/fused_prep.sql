-- The passes of "method": "aggregate" before and around the fit, fused:
-- ai_count_fit_agg (the first pass: split, counts, sums; grouped by the
-- label, a classifier's vocabulary too), ai_stats_fit_agg (the
-- standardization of logistic regression) and ai_holdout's fields form
-- (the split of the vocabulary and hold-out passes).  Each equals the SQL
-- it replaces; the row forms take the anonymous record Citus ships.
SET extra_float_digits = 0;
CREATE TABLE fp AS
  SELECT i,
         (i % 13)::float8 AS a,
         CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 5) END AS b,
         CASE WHEN i % 11 = 0 THEN NULL ELSE (ARRAY['x', 'y', 'z'])[1 + i % 3] END AS c,
         CASE WHEN i % 17 = 0 THEN NULL ELSE ((i % 13) + sin(i * 7) * 4 > 6) END AS lab,
         (i % 9)::numeric / 4 AS n
    FROM generate_series(1, 3000) i;
ANALYZE fp;

-- ai_holdout of the fields = ai_holdout of the record, row by row
SELECT count(*) AS rows, bool_and(ai_holdout(42::int8, 0.2::float8, i, a, b, c, lab, n) = ai_holdout(t, 42, 0.2)) AS same_split,
       count(*) FILTER (WHERE ai_holdout(7::int8, 0.5::float8, i, a, b, c, lab, n))
         = count(*) FILTER (WHERE ai_holdout(t, 7, 0.5)) AS same_count,
       bool_and(NOT ai_holdout(42::int8, 0::float8, i, a, b, c, lab, n)) AS none_at_0
  FROM fp t;
SELECT ai_holdout(NULL::int8, 0.2::float8, 1, 2) AS null_seed;
-- the planner knows the share it keeps
CREATE FUNCTION fp_estimate(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN round((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric / 3000, 2);
END $$;
SELECT fp_estimate('SELECT * FROM fp WHERE ai_holdout(42::int8, 0.02::float8, i, a, b, c, lab, n)') AS fields_2pct,
       fp_estimate('SELECT * FROM fp WHERE NOT ai_holdout(42::int8, 0.2::float8, i, a, b, c, lab, n)') AS fields_not_20pct,
       fp_estimate('SELECT * FROM fp t WHERE ai_holdout(t, 42, 0.02)') AS record_2pct;

-- ai_count_fit_agg: [train, test, skipped, per column: non-NULL train, sum train, non-NULL test, sum test]
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n) AS fields,
       ai_count_fit_agg(ROW(i, a, b, c, lab, n), ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2)
         = ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n) AS row_form_same
  FROM fp;
-- the same numbers in SQL
SELECT ARRAY[count(*) FILTER (WHERE NOT h AND lab IS NOT NULL), count(*) FILTER (WHERE h AND lab IS NOT NULL),
             count(*) FILTER (WHERE lab IS NULL),
             count(i) FILTER (WHERE NOT h AND lab IS NOT NULL), sum(i) FILTER (WHERE NOT h AND lab IS NOT NULL),
             count(i) FILTER (WHERE h AND lab IS NOT NULL), sum(i) FILTER (WHERE h AND lab IS NOT NULL),
             count(a) FILTER (WHERE NOT h AND lab IS NOT NULL), sum(a) FILTER (WHERE NOT h AND lab IS NOT NULL),
             count(a) FILTER (WHERE h AND lab IS NOT NULL), sum(a) FILTER (WHERE h AND lab IS NOT NULL),
             count(b) FILTER (WHERE NOT h AND lab IS NOT NULL), sum(b) FILTER (WHERE NOT h AND lab IS NOT NULL),
             count(b) FILTER (WHERE h AND lab IS NOT NULL), sum(b) FILTER (WHERE h AND lab IS NOT NULL),
             count(c) FILTER (WHERE NOT h AND lab IS NOT NULL), 0,
             count(c) FILTER (WHERE h AND lab IS NOT NULL), 0,
             count(lab) FILTER (WHERE NOT h AND lab IS NOT NULL), 0,
             count(lab) FILTER (WHERE h AND lab IS NOT NULL), 0,
             count(n) FILTER (WHERE NOT h AND lab IS NOT NULL), sum(n) FILTER (WHERE NOT h AND lab IS NOT NULL),
             count(n) FILTER (WHERE h AND lab IS NOT NULL), sum(n) FILTER (WHERE h AND lab IS NOT NULL)]::float8[] AS in_sql
  FROM (SELECT t.*, ai_holdout(t, 42, 0.2) AS h FROM fp t) x;
-- two call sites with other names in one query (the shape of the names is kept per backend)
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n)
         = (SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n) FROM fp) AS first_same,
       ai_count_fit_agg(ROW(a, b), ARRAY['a', 'b'], 'b', 7, 0.5)
         = (SELECT ai_count_fit_agg(ROW(a, b), ARRAY['a', 'b'], 'b', 7, 0.5) FROM fp) AS second_same
  FROM fp;
-- two call sites with the same names but other types: the shared shape loads each row anew
SELECT ai_count_fit_agg(ARRAY['a', 'b'], NULL, 3, 0.5, a, b)
         = (SELECT ai_count_fit_agg(ARRAY['a', 'b'], NULL, 3, 0.5, a, b) FROM fp) AS float_same,
       ai_count_fit_agg(ARRAY['a', 'b'], NULL, 3, 0.5, a::numeric, b::float8)
         = (SELECT ai_count_fit_agg(ARRAY['a', 'b'], NULL, 3, 0.5, a::numeric, b::float8) FROM fp) AS numeric_same
  FROM fp;
-- no target: no row is skipped; grouped by the label, the classes' training rows
SELECT (ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], NULL, 42, 0.2, i, a, b, c, lab, n))[1:3] AS no_target
  FROM fp;
SELECT format('%s', lab) AS label, (ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n))[1:3]
  FROM fp GROUP BY lab ORDER BY 1;
SELECT format('%s', lab) AS label, count(*) FROM fp t WHERE lab IS NOT NULL AND NOT ai_holdout(t, 42, 0.2) GROUP BY lab ORDER BY 1;
-- in parallel: the partial states add up to the same
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n) AS parallel
  FROM fp;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- ai_stats_fit_agg = ai_stats_agg(ai_features(...)) over the training rows with a known class
SELECT version FROM ai_train('fp_log', 'logistic_regression', 'SELECT a, b, c, lab FROM fp', 'lab', '{"method": "aggregate"}');
SELECT ai_export_model('fp_log') AS log \gset
SELECT ai_stats_fit_agg(:'log', ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, a, b, c, lab)
       = ai_stats_fit_agg(:'log', ROW(a, b, c, lab), ARRAY['a', 'b', 'c', 'lab'], 42, 0.2) AS row_form_same
  FROM fp;
SELECT bool_and(abs((f.s[2 + 5 * (j - 1)]) - (e ->> 'count')::float8) = 0
                AND abs(f.s[3 + 5 * (j - 1)] - (e ->> 'mean')::float8) < 1e-12
                AND abs(sqrt(f.s[4 + 5 * (j - 1)] / f.s[2 + 5 * (j - 1)]) - (e ->> 'stddev')::float8) < 1e-12
                AND f.s[5 + 5 * (j - 1)] = (e ->> 'min')::float8
                AND f.s[6 + 5 * (j - 1)] = (e ->> 'max')::float8) AS same_as_stats_agg,
       count(*) AS inputs, f.s[1] AS p
  FROM (SELECT ai_stats_fit_agg(:'log', ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, a, b, c, lab) AS s FROM fp) f,
       (SELECT ai_stats_agg(ai_features(:'log', t)) AS u FROM (SELECT a, b, c, lab FROM fp) t
         WHERE ai_label(:'log', t) IS NOT NULL AND NOT ai_holdout(t, 42, 0.2)) u,
       LATERAL jsonb_array_elements(u.u) WITH ORDINALITY AS x(e, j)
 GROUP BY f.s[1];
-- the training that uses these passes: the same model as in memory
SELECT version FROM ai_train('fp_log_mem', 'logistic_regression', 'SELECT a, b, c, lab FROM fp', 'lab', '{"method": "memory"}');
SELECT max(abs((ai_predict_proba('fp_log', t))[1] - (ai_predict_proba('fp_log_mem', t))[1])) < 1e-9 AS same_as_memory,
       (SELECT metrics ->> 'passes' FROM ai_models WHERE name = 'fp_log') AS passes
  FROM (SELECT a, b, c, lab FROM fp) t;

-- errors
SELECT ai_holdout(42::int8, 0.2::float8, VARIADIC ARRAY[1, 2]);
SELECT ai_holdout(-1::int8, 0.2::float8, 1, 2);
SELECT ai_holdout(42::int8, 1::float8, 1, 2);
SELECT ai_count_fit_agg(NULL, 'lab', 42, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab'], 'lab', 42, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'y', 42, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', NULL, 'c', 'lab', 'n'], 'lab', 42, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', -1, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', 42, NULL, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a', 'b', 'c', 'lab', 'n'], 'lab', i % 2, 0.2, i, a, b, c, lab, n) FROM fp;
SELECT ai_count_fit_agg(ARRAY['i', 'a'], NULL, 42, 0.2, VARIADIC ARRAY[i, a]) FROM fp;
SELECT ai_count_fit_agg(ROW(i, a, b), ARRAY['i', 'a', 'b', 'c'], NULL, 42, 0.2) FROM fp;
SELECT ai_stats_fit_agg(:'log', ARRAY['a', 'b', 'c', 'lab'], 42, 1, a, b, c, lab) FROM fp;
SELECT ai_stats_fit_agg(:'log', ARRAY['a', 'b', 'c'], 42, 0.2, a, b, c, lab) FROM fp;
SELECT ai_stats_fit_agg(:'log', ARRAY['a', 'b', 'c', 'lab'], 42, 0.2, a * 1e200, b, c, lab) FROM fp;
SELECT ai_stats_fit_agg_sfunc('{-4,0,0,6,1,2,1,0.5,0,2}', :'log', ROW(1.0, 2, 'x', true), ARRAY['a', 'b', 'c', 'lab'], 42, 0);
SELECT ai_count_fit_agg(ARRAY[['i', 'a'], ['b', 'c']], NULL, 42, 0.2, i, a, b, c) FROM fp;
SELECT ai_count_fit_agg_sfunc('{-5,1,1,0,0,1,3.5,0,0}', ROW(1, 2), ARRAY['a', 'b'], NULL, 42, 0.2);
-- states from outside
SELECT ai_count_fit_agg_final('{1,2,3}');
SELECT ai_count_fit_agg_final('{-5,2,1,0,0,1,0,0,0,1,0,0,0}');
SELECT ai_count_fit_agg_final('{-5,1,1,0,0,1,3.5,0,0}') AS one_field;
SELECT ai_count_fit_agg_final('{-5,1,1.5,0,0,1,3.5,0,0}');
SELECT ai_count_fit_agg_combine('{-5,1,1,0,0,1,3.5,0,0}', '{-5,2,1,0,0,1,0,0,0,1,0,0,0}');
SELECT ai_count_fit_agg_final(ai_count_fit_agg_combine('{-5,1,1,0,0,1,3.5,0,0}', '{-5,1,0,2,1,0,0,2,NaN}')) AS combined;
SELECT ai_fit_agg_final('{-4,0,0,6,1,0,0,0,0,0}') AS empty_stats;
SELECT ai_fit_agg_final('{-4,0,0,6,1,2,1,0.5,0,2}') AS two_rows;
SELECT ai_fit_agg_final('{-4,0,0,6,1,2,1,-0.5,0,2}');
SELECT ai_fit_agg_combine('{-4,0,0,6,1,2,1,0.5,0,2}', '{-4,0,0,6,1,1,3,0,3,3}') AS merged;

DROP FUNCTION fp_estimate(text);
DROP TABLE fp;
SELECT count(*) FROM (SELECT ai_drop_model(name) FROM (SELECT DISTINCT name FROM ai_models WHERE name LIKE 'fp%') m) d;
