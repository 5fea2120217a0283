-- ai_softmax_grad_agg: loss and gradient of a multinomial logistic
-- regression, one optimizer step, as a parallel-safe aggregate
SET extra_float_digits = 0;
CREATE TABLE sg AS
  SELECT i, sin(i) * 2 AS x1, cos(i * 0.3) AS x2, (i % 3)::float8 AS label
    FROM generate_series(1, 9000) i;
ANALYZE sg;
CREATE FUNCTION sg_maxrel(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT max(abs(u - v) / greatest(abs(u), abs(v), 1e-300)) FROM unnest(a, b) AS q(u, v) $$;
CREATE AGGREGATE sg_fold(float8[]) (SFUNC = ai_softmax_grad_agg_combine, STYPE = float8[], INITCOND = '{}');
CREATE AGGREGATE sg_state(float8[], float8[], float8) (SFUNC = ai_softmax_grad_agg_sfunc, STYPE = float8[], INITCOND = '{}');
SELECT p.proname, p.proparallel, p.proisstrict FROM pg_proc p WHERE p.proname ~ '^ai_softmax_grad' ORDER BY 1;

-- weights: 2 features + intercept rows, 3 class columns
\set w '''{{0.3, -0.2, 0.1}, {0.5, 0.0, -0.4}, {0.1, 0.2, -0.3}}'''
-- against the same sums written in SQL
WITH g AS (SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], label) AS g FROM sg),
     z AS (SELECT i, x1, x2, label, c,
                  (ARRAY[0.3, -0.2, 0.1])[c + 1] * x1 + (ARRAY[0.5, 0.0, -0.4])[c + 1] * x2 + (ARRAY[0.1, 0.2, -0.3])[c + 1] AS z
             FROM sg, generate_series(0, 2) c),
     p AS (SELECT i, x1, x2, label, c, z, exp(z) / sum(exp(z)) OVER (PARTITION BY i) AS prob FROM z),
     h AS (SELECT c, avg((prob - (label = c)::int) * x1) AS g1, avg((prob - (label = c)::int) * x2) AS g2,
                  avg(prob - (label = c)::int) AS gb FROM p GROUP BY c),
     l AS (SELECT avg(-ln(prob)) AS loss FROM p WHERE label = c)
SELECT g[1] AS n, array_length(g, 1) AS length,
       sg_maxrel(g[2:11], ARRAY[(SELECT loss FROM l)] ||
                 ARRAY(SELECT v FROM (SELECT 0 AS r, c, g1 AS v FROM h UNION ALL SELECT 1, c, g2 FROM h
                                      UNION ALL SELECT 2, c, gb FROM h) q ORDER BY r, c)) < 1e-12 AS same_as_sql
  FROM g;
-- with two classes it is the binary model's gradient, once per class with opposite signs
SELECT sg_maxrel(ARRAY[s[2], s[4], s[6], s[8]], b[2:5]) < 1e-12 AS binary_agrees
  FROM (SELECT ai_softmax_grad_agg('{{0, 0.3}, {0, -0.2}, {0, 0.1}}', ARRAY[x1, x2], (label = 1)::int) AS s,
               ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], (label = 1)::int) AS b FROM sg) q;
-- serial, parallel, and partial states folded in several groupings and orders
CREATE TABLE sg_results AS SELECT 'serial'::text AS mode, (SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], label) FROM sg) AS g;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], label) FROM sg;
INSERT INTO sg_results SELECT 'parallel', (SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], label) FROM sg);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
INSERT INTO sg_results
  SELECT 'mod ' || m || CASE WHEN d THEN ' desc' ELSE '' END,
         (SELECT ai_softmax_grad_agg_final(CASE WHEN d THEN sg_fold(s ORDER BY g DESC) ELSE sg_fold(s ORDER BY g) END)
            FROM (SELECT i % m AS g, sg_state(:w, ARRAY[x1, x2], label) AS s FROM sg GROUP BY 1) q)
    FROM (VALUES (2), (7), (1000)) ms(m), (VALUES (false), (true)) ds(d);
SELECT r.mode, r.g[1] AS n, sg_maxrel(r.g, s.g) < 1e-9 AS same
  FROM sg_results r, sg_results s WHERE s.mode = 'serial' ORDER BY r.mode;
-- NULL features and NULL labels skip the row; no rows: NULL
SELECT ai_softmax_grad_agg(:w, CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY[x1, x2] END, label)
       = ai_softmax_grad_agg(:w, ARRAY[x1, x2], label) FILTER (WHERE i % 5 > 0) AS nulls_skipped
  FROM sg;
SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], label) IS NULL AS empty FROM sg WHERE false;

-- errors
SELECT ai_softmax_grad_agg('{1, 2, 3, 4}', ARRAY[x1, x2], label) FROM sg WHERE i = 1;
SELECT ai_softmax_grad_agg('{1, 2, 3}', ARRAY[x1, x2], 0) FROM sg WHERE i = 1;
SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], 3) FROM sg WHERE i = 1;
SELECT ai_softmax_grad_agg(:w, ARRAY[x1, x2], 0.5) FROM sg WHERE i = 1;
SELECT ai_softmax_grad_agg('{{1, 2, 3}, {1, 2, 3}, {1, 2, NaN}}', ARRAY[x1, x2], 0) FROM sg WHERE i = 1;
SELECT ai_softmax_grad_agg(:w, ARRAY[x1, 'Infinity'], 0) FROM sg WHERE i = 1;
SELECT ai_softmax_grad_agg(w, x, 0) FROM (VALUES ('{1, 2, 3, 4}'::float8[], '{1}'::float8[]), ('{1, 2, 3, 4, 5, 6}', '{1, 2}')) v(w, x);
SELECT ai_softmax_grad_agg_final('{2, 3, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}');
SELECT ai_softmax_grad_agg_final('{2, 3, 1, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0}');
SELECT ai_softmax_grad_agg_final('{1, 1, 0, 0}');
SELECT ai_softmax_grad_agg_combine('{1, 2, 1, 0.5, 0.1, -0.1, 0.2, -0.2}', '{2, 2, 1, 0.5, 0.1, -0.1, 0.2, -0.2, 0.1, -0.1}');
DROP TABLE sg, sg_results;
