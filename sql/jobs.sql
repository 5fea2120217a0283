-- Background training (needs pg_learn_launcher in shared_preload_libraries
-- and contrib_regression in pg_learn.databases, as scripts/test sets up):
-- jobs, progress, cancel, wait, schedules, deploy "if_better", privileges.
-- Nothing sleeps a fixed time: ai_wait and polling loops with a timeout.
SET TimeZone = 'UTC';
CREATE TABLE jobs_s AS SELECT i::float8 AS x, 2.0 * i + 1 AS y FROM generate_series(1, 200) i;

-- waits (at most 60 s) until a condition holds
CREATE FUNCTION jobs_poll(cond text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
  FOR i IN 1..600 LOOP
    EXECUTE 'SELECT (' || cond || ')' INTO ok;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;

-- an async job that succeeds
SELECT ai_train_async('jm', 'linear_regression', 'jobs_s', 'y') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT name, algorithm, state, submitted_by, error, version, deployed, schedule,
       started_at >= submitted_at AND finished_at >= started_at AS times_ok
  FROM ai_jobs WHERE id = :j;
SELECT round(ai_predict('jm', ARRAY[10.0])::numeric, 6) AS predicted;

-- one that fails (bad data): the error is recorded, no version is left
CREATE TABLE jobs_bad AS SELECT i::float8 AS x, NULL::float8 AS y FROM generate_series(1, 10) i;
SELECT ai_train_async('jbad', 'linear_regression', 'jobs_bad', 'y') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT state, error, version FROM ai_jobs WHERE id = :j;
SELECT count(*) AS versions FROM ai_models WHERE name = 'jbad';

-- the job resolves names with the submitter's search_path
CREATE SCHEMA jobs_other;
CREATE TABLE jobs_other.t AS SELECT x, 3 * y AS y FROM jobs_s;
SET search_path = jobs_other, public;
SELECT ai_train_async('jpath', 'linear_regression', 't', 'y') AS j \gset
RESET search_path;
SELECT ai_wait(:j, '60 s');
SELECT round(ai_predict('jpath', ARRAY[10.0])::numeric, 6) AS predicted;

-- a long job: visible in ai_progress, then cancelled; no version is left
CREATE TABLE jobs_big AS SELECT a, b, c, a > b AS y
  FROM (SELECT random() AS a, random() AS b, random() AS c FROM generate_series(1, 100000)) s;
SELECT ai_train_async('jbig', 'logistic_regression', 'jobs_big', 'y',
                      '{"max_iter": 1000000, "tol": 1e-300, "l2": 0}') AS j \gset
SELECT jobs_poll($$EXISTS (SELECT FROM ai_progress WHERE name = 'jbig' AND phase = 'training'
                           AND iteration > 0)$$) AS training;
SELECT job_id = :j AS is_the_job, algorithm, role, phase, rows_read, max_iterations,
       loss IS NOT NULL AS has_loss, seconds > 0 AS elapsed
  FROM ai_progress WHERE name = 'jbig';
SELECT ai_wait(:j, '0.1 s') AS still;
SELECT ai_cancel(:j);
SELECT ai_wait(:j, '60 s');
SELECT state, error, version FROM ai_jobs WHERE id = :j;
SELECT count(*) AS versions FROM ai_models WHERE name = 'jbig';
SELECT ai_cancel(:j) AS cancel_again;
SELECT count(*) AS progress_rows FROM ai_progress;

-- at most pg_learn.max_workers (2) run; the others wait queued and can be cancelled
-- (two jobs that run long on any machine: their data query sleeps 1 ms a row)
CREATE FUNCTION jobs_slow(float8) RETURNS float8 LANGUAGE sql AS 'SELECT pg_sleep(0.001); SELECT $1';
SELECT ai_train_async('jbig', 'logistic_regression',
                      'SELECT jobs_slow(a) AS a, b, c, y FROM jobs_big', 'y') AS j1 \gset
SELECT ai_train_async('jbig', 'logistic_regression',
                      'SELECT jobs_slow(a) AS a, b, c, y FROM jobs_big', 'y') AS j2 \gset
SELECT ai_train_async('jm', 'linear_regression', 'jobs_s', 'y') AS j3 \gset
SELECT jobs_poll($$(SELECT count(*) FROM ai_jobs WHERE id IN ($$ || :j1 || ',' || :j2 ||
                 $$) AND state = 'running') = 2$$) AS two_running;
SELECT state FROM ai_jobs WHERE id = :j3;
SELECT ai_cancel(:j3);
SELECT state, error FROM ai_jobs WHERE id = :j3;
SELECT ai_cancel(:j1), ai_cancel(:j2);
SELECT ai_wait(:j1, '60 s'), ai_wait(:j2, '60 s');

-- deploy "if_better": a worse version is kept but not deployed
SELECT ai_train_async('jm', 'linear_regression',
                      'SELECT x, y + ((x * 7919)::int % 100) AS y FROM jobs_s', 'y',
                      '{"deploy": "if_better"}') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT version, deployed, error LIKE 'not deployed: new version 2 has rmse %' AS note
  FROM ai_jobs WHERE id = :j;
SELECT version, deployed FROM ai_models WHERE name = 'jm' ORDER BY version;
-- a version at least as good is deployed; "metric" names the one to compare
SELECT ai_train_async('jm', 'linear_regression', 'jobs_s', 'y',
                      '{"deploy": "if_better", "metric": "rmse"}') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT version, deployed FROM ai_jobs WHERE id = :j;
SELECT version FROM ai_models WHERE name = 'jm' AND deployed;

-- a schedule on a short interval fires, and can be removed
SELECT ai_schedule('jsch', '1 second', 'linear_regression', 'jobs_s', 'y') > now() AS next_run;
SELECT jobs_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'jsch'
                           AND last_state = 'succeeded')$$) AS fired;
SELECT name, schedule, algorithm, owner, last_version >= 1 AS trained, next_run > last_run AS later
  FROM ai_schedules WHERE name = 'jsch';
SELECT ai_unschedule('jsch');
SELECT count(*) FROM ai_schedules;

-- a failed scheduled run keeps the deployed version live and records the error
SELECT ai_schedule('jm', '1 second', 'linear_regression', 'jobs_bad', 'y') IS NOT NULL AS scheduled;
SELECT jobs_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'jm'
                           AND last_state = 'failed')$$) AS failed;
SELECT ai_unschedule('jm');
SELECT version FROM ai_models WHERE name = 'jm' AND deployed;
SELECT state, error FROM ai_jobs WHERE schedule = 'jm' ORDER BY id LIMIT 1;

-- a schedule that fails max_failures times in a row is paused, with the
-- error visible; it fires no more until ai_resume_schedule, which counts anew
SELECT ai_schedule('jpause', '1 second', 'linear_regression', 'jobs_bad', 'y',
                   '{"max_failures": 3}') IS NOT NULL AS scheduled;
SELECT jobs_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'jpause'
                           AND state = 'paused')$$) AS paused;
SELECT state, consecutive_failures, max_failures, last_state, last_error,
       paused_at IS NOT NULL AS paused_at, next_run
  FROM ai_schedules WHERE name = 'jpause';
SELECT count(*) AS runs, count(*) FILTER (WHERE state = 'failed') AS failed
  FROM ai_jobs WHERE schedule = 'jpause';
-- (any job makes the launcher look at the database: a due active schedule would fire)
SELECT ai_train_async('jm', 'linear_regression', 'jobs_s', 'y') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT count(*) AS runs_while_paused FROM ai_jobs WHERE schedule = 'jpause';
SELECT ai_resume_schedule('jpause') > now() AS resumed;
SELECT state, consecutive_failures, paused_at, next_run IS NOT NULL AS has_next_run
  FROM ai_schedules WHERE name = 'jpause';
SELECT ai_resume_schedule('jpause') IS NOT NULL AS resumed_again;
SELECT jobs_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'jpause'
                           AND state = 'paused')$$) AS paused_again;
SELECT consecutive_failures, count(*) AS runs
  FROM ai_schedules s JOIN ai_jobs j ON j.schedule = s.name
 WHERE s.name = 'jpause' GROUP BY 1;
SELECT ai_unschedule('jpause');

-- a success resets the count (and clears the error); max_failures 0 never pauses
CREATE TABLE jobs_flip AS SELECT * FROM jobs_bad;
SELECT ai_schedule('jflip', '1 second', 'linear_regression', 'jobs_flip', 'y',
                   '{"max_failures": 0}') IS NOT NULL AS scheduled;
SELECT jobs_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'jflip'
                           AND consecutive_failures >= 2)$$) AS failing;
SELECT state, max_failures FROM ai_schedules WHERE name = 'jflip';
UPDATE jobs_flip SET y = 2 * x;
SELECT jobs_poll($$EXISTS (SELECT FROM ai_schedules WHERE name = 'jflip' AND state = 'active'
                           AND consecutive_failures = 0 AND last_state = 'succeeded'
                           AND last_error IS NULL)$$) AS reset;
-- (the runs go on succeeding: the count stays 0 and the recorded error cleared)
SELECT consecutive_failures, last_error FROM ai_catalog_schedules WHERE name = 'jflip';
SELECT ai_unschedule('jflip');
DROP TABLE jobs_flip;
-- the default comes from pg_learn.schedule_max_failures when the schedule is made
SHOW pg_learn.schedule_max_failures;
SET pg_learn.schedule_max_failures = 2;
SELECT ai_schedule('jdef', '1 day', 'linear_regression', 'jobs_s', 'y') IS NOT NULL AS scheduled;
RESET pg_learn.schedule_max_failures;
SELECT max_failures, state, consecutive_failures FROM ai_schedules WHERE name = 'jdef';
SELECT ai_unschedule('jdef');

-- cron schedules (in the session's time zone)
SELECT ai_schedule('jcron', '30 2 * * 1-5', 'linear_regression', 'jobs_s', 'y') > now() AS scheduled;
SELECT name, schedule, time_zone FROM ai_schedules;
SELECT ai_unschedule('jcron');
SELECT ai_cron_next('30 2 * * 1-5', '2026-11-27 21:00+00');
SELECT ai_cron_next('*/15 * * * *', '2026-11-24 21:00+00');
SELECT ai_cron_next('0 0 29 2 *', '2026-11-24 21:00+00');
SELECT ai_cron_next('0 12 1 * 0', '2026-11-24 21:00+00');
SELECT ai_cron_next('30 2 * * *', '2026-11-24 21:00+00', 'America/New_York');
SELECT ai_cron_next('30 2 * * *', '2026-11-24 21:00+00', 'Mars/Olympus');

-- errors
SELECT ai_schedule('x', 'every tuesday', 'linear_regression', 'jobs_s', 'y');
SELECT ai_schedule('x', '0.5 seconds', 'linear_regression', 'jobs_s', 'y');
SELECT ai_schedule('x', '61 * * * *', 'linear_regression', 'jobs_s', 'y');
SELECT ai_schedule('x', '1 day', 'boosted_trees', 'jobs_s', 'y');
SELECT ai_unschedule('nope');
SELECT ai_train_async('x', 'boosted_trees', 'jobs_s', 'y');
SELECT ai_train_async('x', 'linear_regression', NULL, 'y');
SELECT ai_train_async('x', 'linear_regression', 'jobs_s', 'y', '{"deploy": "sometimes"}');
SELECT ai_train_async('x', 'linear_regression', 'jobs_s', 'y', '{"metric": 3}');
SELECT ai_train_async('x', 'linear_regression', 'jobs_s', 'y', '{"l3": 1}');
SELECT ai_schedule('x', '1 day', 'kmeans', 'jobs_s', NULL, '{"k": "many"}');
SELECT ai_schedule('x', '1 day', 'linear_regression', 'jobs_s', 'y', '{"max_failures": -1}');
SELECT ai_schedule('x', '1 day', 'linear_regression', 'jobs_s', 'y', '{"max_failures": 2.5}');
SELECT ai_schedule('x', '1 day', 'linear_regression', 'jobs_s', 'y', '{"max_failures": "3"}');
SELECT ai_train_async('x', 'linear_regression', 'jobs_s', 'y', '{"max_failures": 3}');
-- the family's own checks of the arguments, as ai_train makes them, before the job is queued
SELECT ai_train_async('x', 'neural_net', 'jobs_s', 'y', '{"contamination": 0.1, "layers": [{"dense": 1}]}');
SELECT ai_schedule('x', '1 day', 'neural_net', 'jobs_s', 'y', '{"task": "autoencoder", "layers": [{"dense": 2}, {"dense": 2}]}');
SELECT ai_train_async('x', 'neural_net', 'jobs_s', NULL, '{"layers": [{"dense": 1}]}');
SELECT ai_schedule('x', '1 day', 'neural_net', 'jobs_s', 'y', '{"temperature": 2, "layers": [{"dense": 1}]}');
SELECT count(*) AS nothing_queued FROM ai_catalog_jobs WHERE name = 'x';
SELECT ai_resume_schedule('nope');
SELECT ai_cancel(0);
SELECT ai_wait(0);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT ai_wait(1);
ROLLBACK;

-- two unprivileged roles: each sees and cancels only its own jobs and schedules
CREATE ROLE regress_pgl_j1 LOGIN;
CREATE ROLE regress_pgl_j2 LOGIN;
GRANT CREATE ON SCHEMA public TO regress_pgl_j1, regress_pgl_j2;
SET ROLE regress_pgl_j1;
CREATE TABLE jobs_j1 (x float8, y float8, who text);
INSERT INTO jobs_j1 SELECT i, 5 * i, CASE WHEN i <= 30 THEN 'mine' ELSE 'theirs' END
  FROM generate_series(1, 100) i;
ALTER TABLE jobs_j1 ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs_j1 FORCE ROW LEVEL SECURITY;
CREATE POLICY mine ON jobs_j1 USING (who = 'mine');
SELECT ai_train_async('j1m', 'linear_regression', 'jobs_j1', 'y', '{"exclude": ["who"]}') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT set_config('jobs.j', :'j', false) IS NOT NULL AS noted;
-- the job read the rows with the role's row level security
SELECT rows_used, trained_by FROM ai_models WHERE name = 'j1m';
SELECT ai_schedule('j1m', '1 day', 'linear_regression', 'jobs_j1', 'y', '{"exclude": ["who"]}') > now();
SELECT name, state, submitted_by FROM ai_jobs;
SET ROLE regress_pgl_j2;
SELECT count(*) AS jobs_seen FROM ai_jobs;
SELECT count(*) AS schedules_seen FROM ai_schedules;
-- (another role's job is reported as missing; its id varies, so only the error code shows)
DO $$ BEGIN PERFORM ai_cancel(current_setting('jobs.j')::bigint);
  EXCEPTION WHEN undefined_object THEN RAISE NOTICE 'ai_cancel: %', SQLERRM ~ '^job \d+ does not exist$'; END $$;
DO $$ BEGIN PERFORM ai_wait(current_setting('jobs.j')::bigint);
  EXCEPTION WHEN undefined_object THEN RAISE NOTICE 'ai_wait: %', SQLERRM ~ '^job \d+ does not exist$'; END $$;
SELECT ai_unschedule('j1m');
SELECT ai_resume_schedule('j1m');
SELECT ai_schedule('j1m', '1 day', 'linear_regression', 'jobs_j1', 'y');
SELECT count(*) FROM ai_catalog_jobs;
INSERT INTO ai_catalog_jobs (name, algorithm, data, options, owner, search_path)
  VALUES ('x', 'linear_regression', 'jobs_s', '{}', 10, 'public');
UPDATE ai_catalog_schedules SET next_run = now();
DELETE FROM ai_catalog_jobs;
-- the job runs as its role: reading another role's table fails
SELECT ai_train_async('j2m', 'linear_regression', 'jobs_j1', 'y') AS j2 \gset
SELECT ai_wait(:j2, '60 s');
SELECT name, state, error, submitted_by FROM ai_jobs;
RESET ROLE;
-- a member of the owning role sees its jobs; a superuser sees all
GRANT regress_pgl_j1 TO regress_pgl_j2;
SET ROLE regress_pgl_j2;
SELECT name, submitted_by FROM ai_jobs ORDER BY id;
SELECT name, owner FROM ai_schedules;
RESET ROLE;
SELECT count(*) AS superuser_sees FROM ai_jobs WHERE submitted_by::text LIKE 'regress_pgl_j_';
-- a renamed role keeps its jobs (owners are OIDs)
ALTER ROLE regress_pgl_j1 RENAME TO regress_pgl_j1b;
SELECT DISTINCT submitted_by FROM ai_jobs WHERE name = 'j1m';
ALTER ROLE regress_pgl_j1b RENAME TO regress_pgl_j1;
-- LOGIN is re-checked when the job runs
ALTER ROLE regress_pgl_j1 NOLOGIN;
SET ROLE regress_pgl_j1;
SELECT ai_train_async('j1m', 'linear_regression', 'jobs_j1', 'y', '{"exclude": ["who"]}') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT state, error FROM ai_jobs WHERE id = :j;
RESET ROLE;
ALTER ROLE regress_pgl_j1 LOGIN;

-- clean up
SELECT ai_unschedule('j1m');
SET ROLE regress_pgl_j1;
SELECT ai_drop_model('j1m');
DROP TABLE jobs_j1;
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM regress_pgl_j1, regress_pgl_j2;
DROP ROLE regress_pgl_j1;
DROP ROLE regress_pgl_j2;
-- a dropped role: DROP ROLE is not refused; its schedules are removed and
-- its queued jobs failed at the launcher's next look; its history stays
CREATE ROLE regress_pgl_j3 LOGIN;
GRANT SELECT ON jobs_s TO regress_pgl_j3;
SET ROLE regress_pgl_j3;
SELECT ai_train_async('j3m', 'linear_regression', 'public.jobs_s', 'y') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT ai_schedule('j3m', '1 day', 'linear_regression', 'public.jobs_s', 'y') > now() AS scheduled;
SELECT ai_drop_model('j3m');
RESET ROLE;
REVOKE SELECT ON jobs_s FROM regress_pgl_j3;
DROP ROLE regress_pgl_j3;
-- (any job makes the launcher look at the database)
-- (waiting for a job in the transaction that submitted it would never end)
DO $$ BEGIN PERFORM ai_wait(ai_train_async('jm', 'linear_regression', 'jobs_s', 'y'), '60 s');
  EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RAISE NOTICE '%', regexp_replace(SQLERRM, '\d+', 'N'); END $$;
SELECT ai_train_async('jm', 'linear_regression', 'jobs_s', 'y') AS j \gset
SELECT ai_wait(:j, '60 s');
-- (and a second one: the look that claims it starts after the first job
-- ended, so after DROP ROLE committed; a look that began before could claim
-- the first job and still have seen the role)
SELECT ai_train_async('jm', 'linear_regression', 'jobs_s', 'y') AS j \gset
SELECT ai_wait(:j, '60 s');
SELECT count(*) AS schedules_left FROM ai_catalog_schedules WHERE name = 'j3m';
SELECT state, submitted_by::text ~ '^\d+$' AS shown_as_oid FROM ai_jobs WHERE name = 'j3m';
DROP SCHEMA jobs_other CASCADE;
DROP TABLE jobs_s, jobs_bad, jobs_big;
DROP FUNCTION jobs_poll(text);
DROP FUNCTION jobs_slow(float8);
