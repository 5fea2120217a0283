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

-- ========== ai_logreg_grad_agg ==========
SET max_parallel_workers_per_gather = 0;
CREATE TABLE agg_lr AS
  SELECT i, sin(i) * 2 AS x1, cos(i * 0.3) AS x2,
         (0.5 + 1.5 * sin(i) * 2 - cos(i * 0.3) + 1.2 * sin(i * 7.3) > 0)::int::float8 AS label
    FROM generate_series(1, 20000) i;
ANALYZE agg_lr;
CREATE AGGREGATE agg_fold_logreg(float8[]) (SFUNC = ai_logreg_grad_agg_combine, STYPE = float8[], INITCOND = '{}');
CREATE AGGREGATE agg_logreg_state(float8[], float8[], float8) (SFUNC = ai_logreg_grad_agg_sfunc, STYPE = float8[], INITCOND = '{}');
SELECT p.proname, p.prokind, p.proparallel, p.proisstrict, format_type(p.prorettype, NULL) AS returns
  FROM pg_proc p WHERE p.proname ~ '^ai_(logreg_grad|kmeans)' ORDER BY 1;
SELECT a.aggfnoid::regproc, format_type(a.aggtranstype, NULL) AS stype, a.agginitval,
       a.aggtransfn, a.aggcombinefn, a.aggfinalfn
  FROM pg_aggregate a WHERE a.aggfnoid::regproc::text IN ('ai_logreg_grad_agg', 'ai_kmeans_step_agg', 'ai_kmeans_inertia') ORDER BY 1;

-- the mean log-loss and gradient against the same sums written in SQL
WITH g AS (SELECT ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label) AS g FROM agg_lr),
     h AS (SELECT count(*) AS n, avg(ln(1 + exp(z)) - label * z) AS loss,
                  avg((1 / (1 + exp(-z)) - label) * x1) AS g1, avg((1 / (1 + exp(-z)) - label) * x2) AS g2,
                  avg(1 / (1 + exp(-z)) - label) AS g3
             FROM (SELECT *, 0.3 * x1 - 0.2 * x2 + 0.1 AS z FROM agg_lr) q)
SELECT array_length(g, 1) AS length, g[1] AS n, g[1] = n AS n_ok,
       agg_maxrel(g[2:5], ARRAY[loss, g1, g2, g3]) < 1e-12 AS same_as_sql
  FROM g, h;
-- the gradient is the derivative of the loss: central finite differences
CREATE FUNCTION agg_axpy(a float8, x float8[], y float8[]) RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(a * u + v ORDER BY k) FROM unnest(x, y) WITH ORDINALITY AS q(u, v, k) $$;
CREATE FUNCTION agg_lr_loss(w float8[]) RETURNS float8 LANGUAGE sql STABLE AS $$
  SELECT (ai_logreg_grad_agg(w, ARRAY[x1, x2], label))[2] FROM agg_lr $$;
SELECT j, abs((agg_lr_loss(agg_axpy(1e-5, e, w)) - agg_lr_loss(agg_axpy(-1e-5, e, w))) / 2e-5 - g[2 + j]) < 1e-8
       AS finite_difference_ok
  FROM (SELECT '{0.3, -0.2, 0.1}'::float8[] AS w) c,
       LATERAL (SELECT ai_logreg_grad_agg(c.w, ARRAY[x1, x2], label) AS g FROM agg_lr) q,
       generate_series(1, 3) j,
       LATERAL (SELECT array_agg(CASE WHEN m = j THEN 1 ELSE 0 END ORDER BY m)::float8[] AS e
                  FROM generate_series(1, 3) m) d
 ORDER BY j;
-- gradient descent through the aggregate: every step lowers the loss
CREATE TABLE agg_lr_steps (step int, loss float8);
DO $$
DECLARE
  w float8[] := '{0, 0, 0}';
  g float8[];
BEGIN
  FOR step IN 0 .. 15 LOOP
    SELECT ai_logreg_grad_agg(w, ARRAY[x1, x2], label) INTO g FROM agg_lr;
    INSERT INTO agg_lr_steps VALUES (step, g[2]);
    w := agg_axpy(-1.0, g[3:5], w);
  END LOOP;
END $$;
SELECT abs((SELECT loss FROM agg_lr_steps WHERE step = 0) - ln(2)) < 1e-12 AS starts_at_ln2,
       bool_and(decreasing) AS every_step_lowers, min(loss) < 0.2 AS learned
  FROM (SELECT loss, step = 0 OR loss < lag(loss) OVER (ORDER BY step) AS decreasing FROM agg_lr_steps) q;

-- ========== ai_kmeans_step_agg, ai_kmeans_inertia ==========
-- three blobs, and centroids to start from (the fourth gets no point)
CREATE TABLE agg_km AS
  SELECT i, (ARRAY[0, 5, 2])[i % 3 + 1] + sin(i) * 1.5 AS x,
         (ARRAY[0, 1, 6])[i % 3 + 1] + cos(i * 1.3) * 1.5 AS y
    FROM generate_series(1, 30000) i;
ANALYZE agg_km;
CREATE TABLE agg_km_c AS SELECT '{{1, 1}, {4, 0}, {3, 5}, {100, 100}}'::float8[] AS c;
CREATE AGGREGATE agg_fold_kmeans(float8[]) (SFUNC = ai_kmeans_step_agg_combine, STYPE = float8[], INITCOND = '{}');
CREATE AGGREGATE agg_kmeans_state(float8[], float8[]) (SFUNC = ai_kmeans_step_agg_sfunc, STYPE = float8[], INITCOND = '{}');
-- one Lloyd step, in SQL: nearest centroid (lowest index on ties), then the means
CREATE TABLE agg_km_ref AS
  WITH cents AS (SELECT k, c[k][1] AS cx, c[k][2] AS cy FROM agg_km_c, generate_series(1, 4) k),
       a AS (SELECT p.x, p.y, n.k, n.d
               FROM agg_km p,
                    LATERAL (SELECT k, (p.x - cx) ^ 2 + (p.y - cy) ^ 2 AS d FROM cents
                              ORDER BY 2, 1 LIMIT 1) n)
  SELECT k, count(a.k) AS n, coalesce(avg(a.x), min(cx)) AS cx, coalesce(avg(a.y), min(cy)) AS cy, sum(a.d) AS inertia
    FROM cents LEFT JOIN a USING (k) GROUP BY k;
SELECT k, n, round(cx::numeric, 6) AS cx, round(cy::numeric, 6) AS cy FROM agg_km_ref ORDER BY k;
SELECT array_dims(s) AS dims,
       agg_maxrel(ARRAY[s[1][1], s[1][2], s[2][1], s[2][2], s[3][1], s[3][2], s[4][1], s[4][2]],
                  (SELECT array_agg(v ORDER BY k, m) FROM agg_km_ref, LATERAL (VALUES (1, cx), (2, cy)) u(m, v))) < 1e-9
         AS same_as_sql,
       s[4:4] AS empty_keeps_its_place,
       abs(inertia - (SELECT sum(inertia) FROM agg_km_ref)) < 1e-9 * inertia AS same_inertia
  FROM (SELECT ai_kmeans_step_agg(c, ARRAY[x, y]) AS s, ai_kmeans_inertia(c, ARRAY[x, y]) AS inertia
          FROM agg_km, agg_km_c) q;
-- centroids given flat (k * d values) or as a k x d array: the same step
SELECT ai_kmeans_step_agg('{0, 0, 10, 10}', ARRAY[x, y]) = ai_kmeans_step_agg('{{0, 0}, {10, 10}}', ARRAY[x, y]) AS flat_same
  FROM agg_km;
-- Lloyd steps through the aggregates: the inertia never grows
CREATE TABLE agg_km_steps (step int, inertia float8, c float8[]);
DO $$
DECLARE
  c float8[] := '{{1, 1}, {4, 0}, {3, 5}}';
  inertia float8;
BEGIN
  FOR step IN 0 .. 5 LOOP
    SELECT ai_kmeans_inertia(c, ARRAY[x, y]) INTO inertia FROM agg_km;
    INSERT INTO agg_km_steps VALUES (step, inertia, c);
    SELECT ai_kmeans_step_agg(c, ARRAY[x, y]) INTO c FROM agg_km;
  END LOOP;
END $$;
SELECT bool_and(ok) AS never_grows FROM (SELECT step = 0 OR inertia <= lag(inertia) OVER (ORDER BY step) AS ok FROM agg_km_steps) q;
SELECT c::numeric(6,2)[] AS centroids_after_5_steps FROM agg_km_steps WHERE step = 5;

-- ---------- parallel and groupings: the same results to 1e-9 ----------
CREATE TABLE agg_results2 AS
  SELECT 'serial'::text AS mode,
         (SELECT ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label) FROM agg_lr) AS logreg,
         (SELECT ai_kmeans_step_agg(c, ARRAY[x, y]) FROM agg_km, agg_km_c) AS kmeans,
         (SELECT ai_kmeans_inertia(c, ARRAY[x, y]) FROM agg_km, agg_km_c) AS inertia;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT agg_plan_has($$SELECT ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label) FROM agg_lr$$, 'Partial Aggregate') AS partial_logreg,
       agg_plan_has($$SELECT ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label) FROM agg_lr$$, 'Finalize Aggregate') AS finalize_logreg,
       agg_plan_has($$SELECT ai_kmeans_step_agg('{{1, 1}, {4, 0}}', ARRAY[x, y]) FROM agg_km$$, 'Partial Aggregate') AS partial_kmeans,
       agg_plan_has($$SELECT ai_kmeans_inertia('{{1, 1}, {4, 0}}', ARRAY[x, y]) FROM agg_km$$, 'Gather') AS gather_inertia;
INSERT INTO agg_results2
  SELECT 'parallel',
         (SELECT ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label) FROM agg_lr),
         (SELECT ai_kmeans_step_agg('{{1, 1}, {4, 0}, {3, 5}, {100, 100}}', ARRAY[x, y]) FROM agg_km),
         (SELECT ai_kmeans_inertia('{{1, 1}, {4, 0}, {3, 5}, {100, 100}}', ARRAY[x, y]) FROM agg_km);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;
INSERT INTO agg_results2
  SELECT 'mod ' || m || CASE WHEN d THEN ' desc' ELSE '' END,
         (SELECT ai_logreg_grad_agg_final(CASE WHEN d THEN agg_fold_logreg(s ORDER BY g DESC) ELSE agg_fold_logreg(s ORDER BY g) END)
            FROM (SELECT i % m AS g, agg_logreg_state('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label) AS s FROM agg_lr GROUP BY 1) q),
         (SELECT ai_kmeans_step_agg_final(CASE WHEN d THEN agg_fold_kmeans(s ORDER BY g DESC) ELSE agg_fold_kmeans(s ORDER BY g) END)
            FROM (SELECT i % m AS g, agg_kmeans_state(c, ARRAY[x, y]) AS s FROM agg_km, agg_km_c GROUP BY 1) q),
         (SELECT ai_kmeans_inertia_final(CASE WHEN d THEN agg_fold_kmeans(s ORDER BY g DESC) ELSE agg_fold_kmeans(s ORDER BY g) END)
            FROM (SELECT i % m AS g, agg_kmeans_state(c, ARRAY[x, y]) AS s FROM agg_km, agg_km_c GROUP BY 1) q)
    FROM (VALUES (2), (3), (7), (1000)) ms(m), (VALUES (false), (true)) ds(d);
INSERT INTO agg_results2
  SELECT 'reversed',
         (SELECT ai_logreg_grad_agg('{0.3, -0.2, 0.1}', ARRAY[x1, x2], label ORDER BY i DESC) FROM agg_lr),
         (SELECT ai_kmeans_step_agg(c, ARRAY[x, y] ORDER BY y) FROM agg_km, agg_km_c),
         (SELECT ai_kmeans_inertia(c, ARRAY[x, y] ORDER BY x DESC) FROM agg_km, agg_km_c);
SELECT r.mode, r.logreg[1] AS n,
       agg_maxrel(r.logreg, s.logreg) < 1e-9 AS same_loss_and_gradient,
       agg_maxrel(ARRAY(SELECT unnest(r.kmeans)), ARRAY(SELECT unnest(s.kmeans))) < 1e-9 AS same_centroids,
       abs(r.inertia - s.inertia) < 1e-9 * s.inertia AS same_inertia
  FROM agg_results2 r, agg_results2 s WHERE s.mode = 'serial' ORDER BY r.mode;

-- ---------- NULLs, empty input, direct calls ----------
-- rows with a NULL label, features array or feature element are skipped
SELECT ai_logreg_grad_agg('{1, 2, 3}', CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN ARRAY[x1, NULL] ELSE ARRAY[x1, x2] END,
                          CASE WHEN i % 7 = 2 THEN NULL ELSE label END)
       = ai_logreg_grad_agg('{1, 2, 3}', ARRAY[x1, x2], label) FILTER (WHERE i % 7 > 2) AS logreg_nulls_skipped,
       ai_kmeans_step_agg('{{0, 0}, {1, 1}}', CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN ARRAY[x1, NULL] ELSE ARRAY[x1, x2] END)
       = ai_kmeans_step_agg('{{0, 0}, {1, 1}}', ARRAY[x1, x2]) FILTER (WHERE i % 5 > 1) AS kmeans_nulls_skipped
  FROM agg_lr WHERE i <= 1000;
SELECT ai_logreg_grad_agg('{1, 2}', ARRAY[x], 1) IS NULL AS logreg_null, ai_kmeans_step_agg('{1}', ARRAY[x]) IS NULL AS kmeans_null,
       ai_kmeans_inertia('{1}', ARRAY[x]) IS NULL AS inertia_null
  FROM agg_km WHERE false;
-- a small example, printed in full: no overflow at |z| = 1600 (the loss of that row is 1599)
SELECT ai_logreg_grad_agg('{2, -1}', ARRAY[x], y)
  FROM (VALUES (1.0::float8, 1.0::float8), (0, 0), (40, 1), (-800, 0), (800, 0)) v(x, y);
SELECT ai_kmeans_step_agg('{{0, 0}, {5, 5}, {100, 100}}', ARRAY[x, y]) AS step, ai_kmeans_inertia('{0, 0, 5, 5, 100, 100}', ARRAY[x, y]) AS inertia
  FROM (VALUES (1.0::float8, 1.0::float8), (2, 0), (6, 6), (4, 5)) v(x, y);
-- a tie goes to the lower index
SELECT ai_kmeans_step_agg('{{0}, {2}}', ARRAY[x]) FROM (VALUES (1.0::float8), (1.0)) v(x);
-- the transition and combine functions may be called directly; their arguments are not changed
SELECT s, ai_kmeans_step_agg_sfunc(s, '{0, 4}', '{3}') AS added, ai_kmeans_step_agg_combine(s, s) AS doubled,
       ai_kmeans_step_agg_sfunc(s, '{0, 4}', '{NULL}') AS skipped, s AS unchanged
  FROM (SELECT agg_kmeans_state('{0, 4}', ARRAY[x]) AS s FROM (VALUES (1.0::float8), (5)) v(x)) q;
SELECT s, ai_logreg_grad_agg_sfunc(s, '{0, 0}', '{3}', 1) AS added, ai_logreg_grad_agg_combine(s, s) AS doubled, s AS unchanged
  FROM (SELECT agg_logreg_state('{0, 0}', ARRAY[x], 0) AS s FROM (VALUES (1.0::float8), (5)) v(x)) q;

-- ---------- errors ----------
SELECT ai_logreg_grad_agg('{0, 0}', ARRAY[x], y) FROM (VALUES (1.0::float8, 1.0::float8), (2, 2)) v(x, y);
SELECT ai_logreg_grad_agg('{0, 0}', ARRAY[1], 'NaN');
SELECT ai_logreg_grad_agg('{0, 0}', ARRAY[1], -1);
SELECT ai_logreg_grad_agg('{0, 0, 0}', ARRAY[1], 1);
SELECT ai_logreg_grad_agg('{0, NULL}', ARRAY[1], 1);
SELECT ai_logreg_grad_agg('{0, Infinity}', ARRAY[1], 1);
SELECT ai_logreg_grad_agg('{{0, 0}}', ARRAY[1], 1);
SELECT ai_logreg_grad_agg(w, x, 1) FROM (VALUES ('{0, 0}'::float8[], '{1}'::float8[]), ('{0, 0, 0}', '{1, 2}')) v(w, x);
SELECT ai_logreg_grad_agg('{0, 0}', ARRAY['NaN'::float8], 1);
SELECT ai_logreg_grad_agg('{1e300, 0}', ARRAY[1e300], 0);
SELECT ai_logreg_grad_agg_final('{1, 2, 3}');
SELECT ai_logreg_grad_agg_final('{1.5, 1, 0, 0, 0}');
SELECT ai_logreg_grad_agg_final('{1, 1, -1, 0, 0}');
SELECT ai_logreg_grad_agg_final('{1, 1, 0.5, 0, 2}');
SELECT ai_logreg_grad_agg_final('{1, 0, 0.5, 0, 0}');
SELECT ai_logreg_grad_agg_final('{1, 0.5, 0.5, 0, 0}');
SELECT ai_logreg_grad_agg_combine('{1, 1, 0.5, 0, 0.5}', '{2, 1, 0.5, 0, 0, 0.5}');
SELECT ai_logreg_grad_agg_sfunc('{1, 1, NaN, 0, 0.5}', '{0, 0}', '{1}', 1);
SELECT ai_kmeans_step_agg('{0, 0, 1}', ARRAY[x, y]) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg('{{0, 0, 1}, {1, 1, 1}}', ARRAY[x, y]) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg('{{{0, 0}}}', ARRAY[x, y]) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg('{}', ARRAY[x, y]) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg('{0, NULL}', ARRAY[x, y]) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg('{0, NaN}', ARRAY[x, y]) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg('{0, 0}', ARRAY[x, 'Infinity']) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg(ARRAY[i, 0], ARRAY[x, y]) FROM agg_km WHERE i <= 2;
SELECT ai_kmeans_step_agg('{0, 0, 0, 0}', x) FROM (VALUES ('{1, 2}'::float8[]), ('{1, 2, 3, 4}')) v(x);
SELECT ai_kmeans_step_agg('{0}', ARRAY[x]) FROM (VALUES (1e200::float8), (-1e200)) v(x);
SELECT ai_kmeans_step_agg_combine(agg_kmeans_state('{0, 1}', ARRAY[x]), agg_kmeans_state('{0, 2}', ARRAY[x])) FROM agg_km WHERE i = 1;
SELECT ai_kmeans_step_agg_final('{2, 1, 0, 0, 1, 0, 0, 0}');
SELECT ai_kmeans_step_agg_final('{2, 1, 0, 0, 1, 1.5, 0, 0, 0}');
SELECT ai_kmeans_step_agg_final('{2, 1, 0, 0, 1, 0, 0, 0.5, 0}');
SELECT ai_kmeans_step_agg_final('{2, 1, -1, 0, 1, 0, 0, 0, 0}');
SELECT ai_kmeans_inertia_final('{0.5, 1, 0}');
SELECT ai_kmeans_inertia_final('{2, 1, 0, 0, 1, 0, 0, NaN, 0}');
-- a state of the other aggregate is refused
SELECT ai_kmeans_step_agg_final(ai_logreg_grad_agg_sfunc('{}', '{0, 0}', '{1}', 1));
