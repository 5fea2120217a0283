-- ai_stats_agg, ai_linreg_agg, ai_linreg_solve: parallel-safe aggregates over
-- float8[] states; same results serial, parallel and in any grouping.
SET client_min_messages = notice;
SET extra_float_digits = 0;
CREATE TABLE agg AS
  SELECT i, sin(i) AS x1, cos(i) * 10 + 5 AS x2, sin(i * 0.37) * 100 + 1000 AS x3,
         (i % 13)::float8 AS x4,
         3 + 2 * sin(i) - (cos(i) * 10 + 5) + 0.01 * (sin(i * 0.37) * 100 + 1000)
           + 0.5 * (i % 13) + 0.3 * sin(7.0 * i) AS y
    FROM generate_series(1, 100000) i;
ANALYZE agg;

-- relative difference of two coefficient vectors
CREATE FUNCTION agg_maxrel(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT max(abs(x - y) / greatest(abs(x), abs(y), 1e-300))
    FROM unnest(a, b) AS u(x, y) $$;
-- relative difference of two ai_stats_agg results, over every number in them
CREATE FUNCTION agg_json_maxrel(a jsonb, b jsonb) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT max(abs(ea.value::text::float8 - eb.value::text::float8)
             / greatest(abs(ea.value::text::float8), abs(eb.value::text::float8), 1e-300))
    FROM jsonb_array_elements(a) WITH ORDINALITY ca(o, k)
    JOIN jsonb_array_elements(b) WITH ORDINALITY cb(o, k) USING (k)
    CROSS JOIN LATERAL jsonb_each(ca.o) ea
    JOIN LATERAL jsonb_each(cb.o) eb ON ea.key = eb.key
   WHERE jsonb_typeof(ea.value) = 'number' $$;
-- does the plan of a query contain a node?
CREATE FUNCTION agg_plan_has(q text, node text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line LIKE '%' || node || '%' THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END $$;
-- folds partial states with a combine function, in the order given
CREATE AGGREGATE agg_fold_linreg(float8[]) (SFUNC = ai_linreg_agg_combine, STYPE = float8[], INITCOND = '{}');
CREATE AGGREGATE agg_fold_stats(float8[]) (SFUNC = ai_stats_agg_combine, STYPE = float8[], INITCOND = '{}');
-- ai_stats_agg without its final function: the partial state
CREATE AGGREGATE agg_stats_state(float8[]) (SFUNC = ai_stats_agg_sfunc, STYPE = float8[], INITCOND = '{}');

-- the functions and aggregates are parallel safe; states are float8[]
SELECT p.proname, p.prokind, p.proparallel, p.proisstrict, format_type(p.prorettype, NULL) AS returns
  FROM pg_proc p WHERE p.proname ~ '^ai_(stats_agg|linreg_agg|linreg_solve)' ORDER BY 1;
SELECT a.aggfnoid::regproc, format_type(a.aggtranstype, NULL) AS stype, a.agginitval,
       a.aggcombinefn, a.aggfinalfn
  FROM pg_aggregate a WHERE a.aggfnoid::regproc::text IN ('ai_stats_agg', 'ai_linreg_agg') ORDER BY 1;

-- ---------- serial ----------
SET max_parallel_workers_per_gather = 0;
SELECT agg_plan_has('SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) FROM agg', 'Partial Aggregate') AS partial;
CREATE TABLE agg_results AS
  SELECT 'serial'::text AS mode,
         (SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) FROM agg) AS linreg,
         (SELECT ai_stats_agg(ARRAY[x1, x2, x3, x4, CASE WHEN i % 5 = 0 THEN NULL ELSE y END]) FROM agg) AS stats;

-- the coefficients recover the generating ones
SELECT round(c::numeric, 3) AS coefficient
  FROM unnest((SELECT ai_linreg_solve(linreg) FROM agg_results)) AS c;

-- ai_linreg_solve(ai_linreg_agg(...)) = ai_train linear_regression on the same rows
SELECT version FROM ai_train('agg_lin', 'linear_regression', 'SELECT x1, x2, x3, x4, y FROM agg', 'y',
                             '{"test_size": 0}');
SELECT agg_maxrel(ai_linreg_solve(linreg),
                  (SELECT array_agg(coefficient ORDER BY n) FROM ai_model_coefficients('agg_lin')
                                                                  WITH ORDINALITY AS c(f, k, coefficient, n))) < 1e-9
       AS same_as_ai_train
  FROM agg_results;
SELECT version FROM ai_train('agg_lin', 'linear_regression', 'SELECT x1, x2, x3, x4, y FROM agg', 'y',
                             '{"test_size": 0, "l2": 25}');
SELECT agg_maxrel(ai_linreg_solve(linreg, 25),
                  (SELECT array_agg(coefficient ORDER BY n) FROM ai_model_coefficients('agg_lin')
                                                                  WITH ORDINALITY AS c(f, k, coefficient, n))) < 1e-9
       AS same_as_ai_train_l2
  FROM agg_results;
-- the ridge penalty shrinks the weights
SELECT (SELECT sum(w * w) FROM unnest((ai_linreg_solve(linreg, 1e6))[1:4]) w)
         < (SELECT sum(w * w) FROM unnest((ai_linreg_solve(linreg))[1:4]) w) AS shrunk
  FROM agg_results;

-- ai_stats_agg against SQL's own aggregates (the NULLs of y are skipped)
WITH s AS (SELECT stats FROM agg_results),
     cols AS (SELECT k, e FROM s, jsonb_array_elements(stats) WITH ORDINALITY AS j(e, k)),
     ref AS (
       SELECT 1 AS k, count(x1) AS n, avg(x1) AS mean, stddev_pop(x1) AS sd, var_samp(x1) AS vs, min(x1) AS lo, max(x1) AS hi FROM agg
       UNION ALL SELECT 2, count(x2), avg(x2), stddev_pop(x2), var_samp(x2), min(x2), max(x2) FROM agg
       UNION ALL SELECT 3, count(x3), avg(x3), stddev_pop(x3), var_samp(x3), min(x3), max(x3) FROM agg
       UNION ALL SELECT 4, count(x4), avg(x4), stddev_pop(x4), var_samp(x4), min(x4), max(x4) FROM agg
       UNION ALL SELECT 5, count(y), avg(y), stddev_pop(y), var_samp(y), min(y), max(y)
                   FROM (SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE y END AS y FROM agg) q)
SELECT r.k, (c.e ->> 'count')::bigint AS count,
       abs((c.e ->> 'mean')::float8 - r.mean) <= 1e-12 * greatest(abs(r.mean), r.sd) AS mean_ok,
       abs((c.e ->> 'stddev')::float8 - r.sd) <= 1e-12 * r.sd AS stddev_ok,
       abs((c.e ->> 'variance')::float8 - r.sd * r.sd) <= 1e-11 * r.sd * r.sd AS variance_ok,
       abs((c.e ->> 'variance_samp')::float8 - r.vs) <= 1e-11 * r.vs AS variance_samp_ok,
       (c.e ->> 'min')::float8 = r.lo AS min_ok, (c.e ->> 'max')::float8 = r.hi AS max_ok
  FROM cols c JOIN ref r USING (k) ORDER BY k;

-- a small example, printed in full
SELECT ai_stats_agg(x)
  FROM (VALUES ('{1, NULL, 5}'::float8[]), (NULL), ('{3, 4, 5}'), ('{2, NULL, 5}')) v(x);

-- ---------- parallel: Partial Aggregate -> Gather -> Finalize Aggregate ----------
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT agg_plan_has('SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) FROM agg', 'Partial Aggregate') AS partial,
       agg_plan_has('SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) FROM agg', 'Gather') AS gather,
       agg_plan_has('SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) FROM agg', 'Finalize Aggregate') AS finalize;
SELECT agg_plan_has('SELECT ai_stats_agg(ARRAY[x1, x2]) FROM agg', 'Partial Aggregate') AS partial_stats;
INSERT INTO agg_results
  SELECT 'parallel',
         (SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) FROM agg),
         (SELECT ai_stats_agg(ARRAY[x1, x2, x3, x4, CASE WHEN i % 5 = 0 THEN NULL ELSE y END]) FROM agg);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;

-- partial states folded by the combine functions in several groupings and orders
INSERT INTO agg_results
  SELECT 'mod ' || m || CASE WHEN d THEN ' desc' ELSE '' END,
         (SELECT CASE WHEN d THEN agg_fold_linreg(s ORDER BY g DESC) ELSE agg_fold_linreg(s ORDER BY g) END
            FROM (SELECT i % m AS g, ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) AS s FROM agg GROUP BY 1) q),
         (SELECT ai_stats_agg_final(CASE WHEN d THEN agg_fold_stats(s ORDER BY g DESC) ELSE agg_fold_stats(s ORDER BY g) END)
            FROM (SELECT i % m AS g, agg_stats_state(ARRAY[x1, x2, x3, x4, CASE WHEN i % 5 = 0 THEN NULL ELSE y END]) AS s
                    FROM agg GROUP BY 1) q)
    FROM (VALUES (2), (3), (7), (1000)) ms(m), (VALUES (false), (true)) ds(d);
INSERT INTO agg_results
  SELECT 'blocks of 9999',
         (SELECT agg_fold_linreg(s ORDER BY g) FROM (SELECT i / 9999 AS g, ai_linreg_agg(ARRAY[x1, x2, x3, x4], y) AS s FROM agg GROUP BY 1) q),
         (SELECT ai_stats_agg_final(agg_fold_stats(s ORDER BY g)) FROM (SELECT i / 9999 AS g, agg_stats_state(ARRAY[x1, x2, x3, x4, CASE WHEN i % 5 = 0 THEN NULL ELSE y END]) AS s FROM agg GROUP BY 1) q);
-- rows in another order
INSERT INTO agg_results
  SELECT 'reversed',
         (SELECT ai_linreg_agg(ARRAY[x1, x2, x3, x4], y ORDER BY i DESC) FROM agg),
         (SELECT ai_stats_agg(ARRAY[x1, x2, x3, x4, CASE WHEN i % 5 = 0 THEN NULL ELSE y END] ORDER BY x3) FROM agg);

-- every mode: the same coefficients and statistics as serial to 1e-9
SELECT r.mode, r.linreg[2] AS n,
       agg_maxrel(ai_linreg_solve(r.linreg), ai_linreg_solve(s.linreg)) < 1e-9 AS same_coefficients,
       agg_maxrel(ai_linreg_solve(r.linreg, 25), ai_linreg_solve(s.linreg, 25)) < 1e-9 AS same_ridge,
       agg_json_maxrel(r.stats, s.stats) < 1e-9 AS same_stats
  FROM agg_results r, agg_results s WHERE s.mode = 'serial' ORDER BY r.mode;

-- ---------- NULLs, empty input, windows ----------
-- rows with a NULL target, a NULL array or a NULL element are skipped
SELECT ai_linreg_agg(CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN ARRAY[x1, NULL] ELSE ARRAY[x1, x2] END,
                     CASE WHEN i % 7 = 2 THEN NULL ELSE y END)
       = ai_linreg_agg(ARRAY[x1, x2], y) FILTER (WHERE i % 7 > 2) AS nulls_skipped
  FROM agg WHERE i <= 1000;
SELECT ai_stats_agg(ARRAY[x1]) IS NULL AS stats_null, ai_linreg_agg(ARRAY[x1], y) IS NULL AS linreg_null,
       ai_linreg_solve(ai_linreg_agg(ARRAY[x1], y)) IS NULL AS solve_null
  FROM agg WHERE false;
-- as a window aggregate (the final function's result is not updated afterwards)
SELECT i, (ai_linreg_agg(ARRAY[i::float8], 2.0 * i + 1) OVER (ORDER BY i))[1:4] AS state
  FROM generate_series(1, 4) i;
SELECT i, round(((ai_linreg_solve(ai_linreg_agg(ARRAY[i::float8], 2.0 * i + 1) OVER (ORDER BY i)))[2])::numeric, 9) AS intercept
  FROM generate_series(2, 4) i;
-- a constant column gets weight 0 (with a NOTICE: the system is singular)
SELECT round(c::numeric, 9) AS coefficient
  FROM unnest((SELECT ai_linreg_solve(ai_linreg_agg(ARRAY[i, 7.25], 2.0 * i + 1)) FROM generate_series(1, 50) i)) c;
-- the transition and combine functions may be called directly; their arguments are not changed
SELECT s, ai_linreg_agg_sfunc(s, '{2}', 5) AS added, ai_linreg_agg_combine(s, s) AS doubled,
       ai_linreg_agg_sfunc(s, '{2}', NULL) AS skipped, s AS unchanged
  FROM (SELECT ai_linreg_agg(ARRAY[i::float8], 2.0 * i) AS s FROM generate_series(1, 3) i) q;
SELECT ai_stats_agg_combine('{1,2,1.5,0.5,1,2}', '{1,1,3,0,3,3}') AS merged,
       ai_stats_agg_combine('{}', '{1,1,3,0,3,3}') AS from_empty;

-- ---------- errors ----------
SELECT ai_stats_agg(x) FROM (VALUES ('{1, 2}'::float8[]), ('{1, 2, 3}')) v(x);
SELECT ai_linreg_agg(x, 1) FROM (VALUES ('{1, 2, 3}'::float8[]), ('{1, 2}')) v(x);
SELECT ai_stats_agg(x) FROM (VALUES ('{1, NaN}'::float8[])) v(x);
SELECT ai_linreg_agg(ARRAY[1, 'Infinity'::float8], 1) FROM agg WHERE i = 1;
SELECT ai_linreg_agg(ARRAY[1, 2], 'NaN') FROM agg WHERE i = 1;
SELECT ai_linreg_agg('{}', 1) FROM agg WHERE i = 1;
SELECT ai_stats_agg('{{1, 2}, {3, 4}}') FROM agg WHERE i = 1;
SELECT ai_linreg_solve('{1, 2, 3}');
SELECT ai_linreg_solve('{}');
SELECT ai_linreg_solve('{2.5, 1, 1, 1, 1, 1, 1, 1, 1}');
SELECT ai_linreg_solve('{1, 3, 1, 1, NaN, 0, 0}');
SELECT ai_linreg_solve('{1, -3, 1, 1, 1, 0, 0}');
SELECT ai_linreg_solve('{1, 3, 1, 1, -1, 0, 0}');
SELECT ai_linreg_solve('{1, 3, 1, 1, 1, 0, NULL}');
SELECT ai_linreg_solve('{{1, 3}, {1, 1}}');
SELECT ai_linreg_solve('{1e9, 1}');
SELECT ai_linreg_solve('{1, 0, 0, 0, 0, 0, 0}');
SELECT ai_linreg_solve(ai_linreg_agg(ARRAY[x1], y), -1) FROM agg;
SELECT ai_stats_agg_final('{2, 1, 1, 0}');
SELECT ai_stats_agg_final('{1, 1, 1, 0, 2, 1}');
SELECT ai_stats_agg_combine('{1, 1, 1, 0, 1, 1}', '{1, 1, 1, 0, 1}');
SELECT ai_stats_agg_combine('{1, 1, 1, 0, 1, 1}', '{2, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1}');
SELECT ai_linreg_agg_sfunc('{1, 2}', '{1}', 1);
-- a state of the other aggregate (same length for 3 columns) is caught by its values
SELECT ai_linreg_solve(ai_stats_agg_sfunc('{}', '{1, -2, 3}'));
