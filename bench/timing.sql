-- What every bench/run* script times with: bench_times (each repetition's
-- wall time), bench_values (the figures of the report) and bench_time().
-- Included by bench/setup.sql, bench/trees_setup.sql and bench/als_setup.sql (\ir timing.sql).

DROP TABLE IF EXISTS bench_times;
CREATE TABLE bench_times (step text, rep int, ms float8);
DROP TABLE IF EXISTS bench_values;
CREATE TABLE bench_values (key text, value text);

-- run sql reps times, record each wall time (ms, measured in the server with
-- clock_timestamp(), so no client transfer is included) and return the median
CREATE OR REPLACE FUNCTION bench_time(step text, sql text, reps int DEFAULT 3)
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	ms float8;
BEGIN
	FOR r IN 1..reps LOOP
		t0 := clock_timestamp();
		EXECUTE sql;
		ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
		INSERT INTO bench_times VALUES (step, r, ms);
	END LOOP;
	RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY b.ms)
			  FROM bench_times b WHERE b.step = bench_time.step);
END $$;
