#!/usr/bin/env bash
# Background training across the server's life and its faults (needs the
# cluster of scripts/test: pg_learn_launcher preloaded, pgl_jobs and
# pgl_jobs_drop in pg_learn.databases).  Every wait polls a condition with
# a timeout; the times a fault took to be recorded are printed, not asserted.
set -u
. "$(dirname "$0")/lib.sh"
db=pgl_jobs
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# wait_for <db> <sql that returns t> [seconds]: polls every 0.1 s
wait_for() {
  local n=$(( ${3:-60} * 10 ))
  for _ in $(seq 1 $n); do
    [ "$(psql -X -q -At -d "$1" -c "$2" 2>/dev/null)" = "t" ] && return 0
    sleep 0.1
  done
  return 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
restart() { as_owner pg_ctl -D "$PGL_DIR/data" -l "$PGL_DIR/server.log" -m fast -w -t 120 restart >/dev/null; }
pm_pid() { head -1 "$PGL_DIR/data/postmaster.pid"; }
# the launcher is connected to no database, so it is not in pg_stat_activity:
# find it among the postmaster's children by its process title
launcher_pids() {
  local pm c pid
  pm=$(pm_pid)
  for c in /proc/[0-9]*/cmdline; do
    pid=${c#/proc/}; pid=${pid%/cmdline}
    [ "$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null)" = "$pm" ] || continue
    tr '\0' ' ' <"$c" 2>/dev/null | grep -q '^postgres: pg_learn launcher' && echo "$pid"
  done
}
launcher_pid() { launcher_pids | head -1; }
launcher_up() {
  local n=$(( ${1:-60} * 10 ))
  for _ in $(seq 1 $n); do [ -n "$(launcher_pid)" ] && return 0; sleep 0.1; done
  return 1
}

q postgres "DROP DATABASE IF EXISTS $db" 2>/dev/null; q postgres "CREATE DATABASE $db"
q $db "CREATE EXTENSION pg_learn"
q $db "CREATE TABLE s AS SELECT i::float8 AS x, 2.0 * i AS y FROM generate_series(1, 1000) i"
q $db "CREATE TABLE big AS SELECT a, b, c, a > b AS y
       FROM (SELECT random() AS a, random() AS b, random() AS c FROM generate_series(1, 200000)) s"
q $db "GRANT SELECT ON s, big TO PUBLIC"
# a job that runs long on any machine, idle meanwhile: its data query sleeps
# 0.5 ms per row (200000 rows), and reading checks for interrupts
q $db "CREATE FUNCTION slow(float8) RETURNS float8 LANGUAGE sql AS 'SELECT pg_sleep(0.0005); SELECT \$1'"
LONGARGS="'big', 'logistic_regression', 'big', 'y', '{\"max_iter\": 1000000, \"tol\": 1e-300, \"l2\": 0}'"
long_job() { q $db "SELECT ai_train_async('${1:-big}', 'logistic_regression', 'SELECT slow(a) AS a, b, c, y FROM big', 'y')"; }
# the job's training has started (it shows in ai_progress)
training() { wait_for $db "SELECT EXISTS (SELECT FROM ai_progress WHERE job_id = $1)" 120; }
job_pid() { q $db "SELECT pid FROM ai_progress WHERE job_id = $1"; }

# --- the launcher and the postmaster ---
launcher_up 30
ok $? "the launcher runs with the server"
is "$(launcher_pids | wc -l)" "1" "... once"
j=$(q $db "SELECT ai_train_async('m', 'linear_regression', 's', 'y')")
is "$(q $db "SELECT ai_wait($j, '60 s')")" "succeeded" "a job in a database other than postgres succeeds"
is "$(ls /proc/"$(pm_pid)"/task | wc -l)" "1" "the postmaster has exactly one thread (after trainings ran)"
ok "$(grep -q openblas /proc/"$(pm_pid)"/maps; echo $((1 - $?)))" "the postmaster has not loaded OpenBLAS"

# --- progress and NOTICEs of a synchronous training ---
out=$(PGOPTIONS="-c pg_learn.verbose=on" psql -X -q -At -d $db -c "SELECT version FROM ai_train('m', 'linear_regression', 's', 'y')" 2>&1)
for p in "reading data" preprocessing training evaluating saving; do
  echo "$out" | grep -q "NOTICE:  pg_learn: training \"m\": $p"
  ok $? "pg_learn.verbose: a NOTICE for the phase \"$p\""
done
psql -X -q -At -d $db -c "SET application_name = 'pgl_sync'; SELECT version FROM ai_train($LONGARGS)" >/dev/null 2>&1 &
bg=$!
wait_for $db "SELECT EXISTS (SELECT FROM ai_progress p JOIN pg_stat_activity a USING (pid)
              WHERE a.application_name = 'pgl_sync' AND p.job_id IS NULL AND p.phase = 'training' AND p.iteration > 0)"
ok $? "ai_progress shows a synchronous training of another backend"
q $db "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgl_sync'" >/dev/null
wait $bg
wait_for $db "SELECT count(*) = 0 FROM ai_progress" 30
ok $? "a cancelled synchronous training leaves ai_progress"

# --- faults of a running job ---
j=$(long_job); training $j
t=$(now); q $db "SELECT pg_cancel_backend($(job_pid $j))" >/dev/null
is "$(q $db "SELECT ai_wait($j, '30 s')")" "cancelled" "pg_cancel_backend on a job's worker: the job is cancelled"
echo "# recorded $(since "$t") s after pg_cancel_backend"
is "$(q $db "SELECT count(*) FROM ai_models WHERE name = 'big'")" "0" "... and left no model version"

j=$(long_job); training $j
t=$(now); q $db "SELECT pg_terminate_backend($(job_pid $j))" >/dev/null
is "$(q $db "SELECT ai_wait($j, '30 s')" >/dev/null; q $db "SELECT state || ': ' || error FROM ai_jobs WHERE id = $j")" \
   "cancelled: terminated by SIGTERM (pg_terminate_backend() or server shutdown)" \
   "pg_terminate_backend on a job's worker: the job is cancelled with a message"
echo "# recorded $(since "$t") s after pg_terminate_backend"

j=$(long_job); training $j
t=$(now); q $db "SELECT ai_cancel($j)" >/dev/null
is "$(q $db "SELECT ai_wait($j, '30 s')")" "cancelled" "ai_cancel of a running job"
echo "# recorded $(since "$t") s after ai_cancel"

q postgres "DROP ROLE IF EXISTS pgl_timeout"
q postgres "CREATE ROLE pgl_timeout LOGIN"
q postgres "ALTER ROLE pgl_timeout SET statement_timeout = '1s'"
j=$(PGUSER=pgl_timeout q $db "SELECT ai_train_async('big_t', 'logistic_regression', 'SELECT slow(a) AS a, b, c, y FROM big', 'y')")
is "$(q $db "SELECT ai_wait($j, '60 s')" >/dev/null; q $db "SELECT state || ': ' || error FROM ai_jobs WHERE id = $j")" \
   "failed: canceling statement due to statement timeout (statement_timeout = 1000 ms)" \
   "the submitting role's statement_timeout fails a long job with a message"

# --- the launcher: SIGTERM, restart; a running job goes on ---
j=$(long_job); training $j
lp=$(launcher_pid); pm=$(pm_pid)
kill -TERM "$lp"
for _ in $(seq 1 300); do kill -0 "$lp" 2>/dev/null || break; sleep 0.1; done
ok "$(kill -0 "$lp" 2>/dev/null; echo $((1 - $?)))" "SIGTERM stops the launcher"
grep -q "pg_learn launcher shutting down" "$PGL_DIR/server.log"
ok $? "... cleanly (its log line)"
is "$(pm_pid)" "$pm" "... without a crash restart of the server"
launcher_up 60
ok $? "the postmaster starts the launcher again"
is "$(q $db "SELECT state FROM ai_jobs WHERE id = $j")" "running" "a job running meanwhile goes on"
q $db "SELECT ai_cancel($j)" >/dev/null
is "$(q $db "SELECT ai_wait($j, '30 s')")" "cancelled" "... and the new launcher's dispatcher sees it end"
j=$(q $db "SELECT ai_train_async('m', 'linear_regression', 's', 'y')")
is "$(q $db "SELECT ai_wait($j, '60 s')")" "succeeded" "jobs run after the launcher restarted"

# --- a SIGKILLed worker: crash restart; the job is failed at launcher start ---
j=$(long_job big_kill); training $j
wp=$(job_pid $j)
kill -KILL "$wp"
t=$(now)
sleep 0.5   # the postmaster notices the crash; then wait for it to accept connections again
wait_for postgres "SELECT true" 60
q $db "SELECT ai_wait($j, '60 s')" >/dev/null
is "$(q $db "SELECT state || ': ' || (error LIKE 'the job''s worker stopped without recording the end%')::text
             FROM ai_jobs WHERE id = $j")" "failed: true" "a SIGKILLed worker's job is failed after the crash restart"
echo "# recorded $(since "$t") s after SIGKILL"
is "$(q $db "SELECT count(*) FROM ai_models WHERE name = 'big_kill'")" "0" "... with no model version"
is "$(ls /proc/"$(pm_pid)"/task | wc -l)" "1" "the postmaster still has one thread after the crash restart"

# --- a worker that crashes (SIGSEGV) likewise ---
j=$(long_job big_segv); training $j
kill -SEGV "$(job_pid $j)"
sleep 0.5
wait_for postgres "SELECT true" 60
q $db "SELECT ai_wait($j, '60 s')" >/dev/null
is "$(q $db "SELECT state FROM ai_jobs WHERE id = $j")" "failed" "a job whose worker crashed with SIGSEGV is failed after the crash restart"

# --- a restart with queued jobs: they survive and run; nothing stays running ---
j1=$(long_job); j2=$(long_job)
wait_for $db "SELECT count(*) = 2 FROM ai_jobs WHERE id IN ($j1, $j2) AND state = 'running'"
j3=$(q $db "SELECT ai_train_async('m', 'linear_regression', 's', 'y')")
is "$(q $db "SELECT state FROM ai_jobs WHERE id = $j3")" "queued" "a third job waits (pg_learn.max_workers = 2)"
restart
ok $? "a fast restart with two running and one queued job"
is "$(ls /proc/"$(pm_pid)"/task | wc -l)" "1" "the postmaster has one thread after the restart"
is "$(q $db "SELECT ai_wait($j3, '60 s')")" "succeeded" "the queued job survives the restart and runs"
is "$(q $db "SELECT string_agg(state, ',' ORDER BY id) FROM ai_jobs WHERE id IN ($j1, $j2)")" "cancelled,cancelled" \
   "the jobs running at shutdown are recorded as cancelled"
is "$(q $db "SELECT count(*) FROM ai_jobs WHERE state = 'running'")" "0" "no job is left running"

# --- DROP DATABASE and DROP EXTENSION are not blocked by the launcher ---
q postgres "DROP DATABASE IF EXISTS pgl_jobs_drop"; q postgres "CREATE DATABASE pgl_jobs_drop"
q pgl_jobs_drop "CREATE EXTENSION pg_learn"
q pgl_jobs_drop "CREATE TABLE s AS SELECT i::float8 AS x, 2.0 * i AS y FROM generate_series(1, 100) i"
j=$(q pgl_jobs_drop "SELECT ai_train_async('m', 'linear_regression', 's', 'y')")
is "$(q pgl_jobs_drop "SELECT ai_wait($j, '60 s')")" "succeeded" "a job in a second served database"
q postgres "DROP DATABASE pgl_jobs_drop"
ok $? "DROP DATABASE of a served database is not blocked by the launcher"
q postgres "CREATE DATABASE pgl_jobs_drop"
q pgl_jobs_drop "CREATE EXTENSION pg_learn"
q pgl_jobs_drop "CREATE TABLE big AS SELECT a, b, c, a > b AS y FROM (SELECT random() AS a, random() AS b, random() AS c FROM generate_series(1, 200000)) s"
j=$(q pgl_jobs_drop "SELECT ai_train_async($LONGARGS)")
wait_for pgl_jobs_drop "SELECT EXISTS (SELECT FROM ai_progress WHERE job_id = $j AND iteration > 0)" 120
lp2=$(launcher_pid)
q postgres "DROP DATABASE pgl_jobs_drop WITH (FORCE)"
ok $? "DROP DATABASE WITH (FORCE) ends a running job's worker"
ok "$([ "$(launcher_pid)" = "$lp2" ]; echo $?)" "the launcher lives on after its database was dropped"

j=$(long_job); training $j; wp=$(job_pid $j)
PGOPTIONS="-c lock_timeout=60s" psql -X -q -At -d $db -c "DROP EXTENSION pg_learn" >"${TMPDIR:-/tmp}/pgl_dropext.out" 2>&1 &
bg=$!
wait_for $db "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE 'DROP EXTENSION%' AND wait_event_type = 'Lock')" 30
ok $? "DROP EXTENSION waits for the running job's transaction"
kill -INT "$wp" 2>/dev/null
wait $bg
ok $? "... and goes through once the job is cancelled (not blocked forever)"
wait_for postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'pg_learn job'" 30
ok $? "no job worker is left"
q $db "CREATE EXTENSION pg_learn"
j=$(q $db "SELECT ai_train_async('m', 'linear_regression', 's', 'y')")
is "$(q $db "SELECT ai_wait($j, '60 s')")" "succeeded" "jobs run again after DROP and CREATE EXTENSION"

# --- a schedule failing in a row is paused, says so in the log, stays paused across a restart ---
q $db "CREATE TABLE bad AS SELECT i::float8 AS x, NULL::float8 AS y FROM generate_series(1, 10) i"
q $db "SELECT ai_schedule('flaky', '1 second', 'linear_regression', 'bad', 'y', '{\"max_failures\": 2}')" >/dev/null
wait_for $db "SELECT state = 'paused' FROM ai_schedules WHERE name = 'flaky'" 60
ok $? "a 1-second schedule of a failing training is paused after max_failures (2) runs"
grep -q 'LOG:  pg_learn: the schedule of model "flaky" is paused after 2 failed runs in a row' "$PGL_DIR/server.log"
ok $? "... with a LOG line in the server log"
restart
launcher_up 30
j=$(q $db "SELECT ai_train_async('m_other', 'linear_regression', 's', 'y')")
q $db "SELECT ai_wait($j, '60 s')" >/dev/null
is "$(q $db "SELECT state || ' ' || consecutive_failures || ' ' || (SELECT count(*) FROM ai_jobs WHERE schedule = 'flaky')
             FROM ai_schedules WHERE name = 'flaky'")" "paused 2 2" "a paused schedule stays paused and fires no more after a restart"
q $db "UPDATE bad SET y = x"
q $db "SELECT ai_resume_schedule('flaky')" >/dev/null
wait_for $db "SELECT last_state = 'succeeded' AND state = 'active' FROM ai_schedules WHERE name = 'flaky'" 60
ok $? "resumed, it runs again (and succeeds on fixed data)"
q $db "SELECT ai_unschedule('flaky')" >/dev/null

# --- pg_dump keeps the schedules, their owners by name ---
q postgres "DROP ROLE IF EXISTS pgl_sched_owner"; q postgres "CREATE ROLE pgl_sched_owner LOGIN"
q $db "GRANT SELECT ON s TO pgl_sched_owner"
PGUSER=pgl_sched_owner q $db "SELECT ai_schedule('dumped', '30 2 * * *', 'linear_regression', 'public.s', 'y')" >/dev/null
q postgres "DROP DATABASE IF EXISTS pgl_jobs_restore"; q postgres "CREATE DATABASE pgl_jobs_restore"
pg_dump -d $db | psql -X -q -v ON_ERROR_STOP=1 -d pgl_jobs_restore >/dev/null 2>&1
ok $? "a database with schedules dumps and restores"
is "$(q pgl_jobs_restore "SELECT name || ' ' || schedule || ' ' || owner FROM ai_schedules")" \
   "dumped 30 2 * * * pgl_sched_owner" "the restored schedule keeps its cron expression and owner"
q $db "SELECT ai_unschedule('dumped')" >/dev/null
q postgres "DROP DATABASE pgl_jobs_restore"

# --- without the preload: background features ERROR with a hint; the rest works ---
conf="$PGL_DIR/data/postgresql.conf"
echo "shared_preload_libraries = ''  # pgl_jobs_nopreload" >>"$conf"
restart
ok "$([ -z "$(launcher_pid)" ]; echo $?)" "no launcher runs without the preload"
err=$(q $db "SELECT ai_train_async('m', 'linear_regression', 's', 'y')" 2>&1)
echo "$err" | grep -q "HINT:  Add pg_learn_launcher to shared_preload_libraries"
ok $? "without the preload, ai_train_async's ERROR names shared_preload_libraries"
err=$(q $db "SELECT ai_schedule('m', '1 day', 'linear_regression', 's', 'y')" 2>&1)
echo "$err" | grep -q "HINT:  Add pg_learn_launcher to shared_preload_libraries"
ok $? "... and so does ai_schedule's"
is "$(q $db "SELECT version FROM ai_train('m', 'linear_regression', 's', 'y')")" "2" "ai_train works without the preload"
is "$(q $db "SELECT count(*) FROM ai_progress")" "0" "ai_progress returns no rows without the preload"
is "$(q $db "SELECT count(*) > 0 FROM ai_jobs")" "t" "ai_jobs is readable without the preload"
sed -i '/# pgl_jobs_nopreload/d' "$conf"
restart
launcher_up 30
ok $? "the launcher is back with the preload"

# (a background worker's default SIGTERM handler would PANIC inside a commit)
ok "$(grep -q PANIC "$PGL_DIR/server.log"; echo $((1 - $?)))" "no PANIC in the server log"
rm -f "${TMPDIR:-/tmp}/pgl_dropext.out"
q postgres "DROP DATABASE $db WITH (FORCE)"
q postgres "DROP ROLE pgl_timeout"
q postgres "DROP ROLE pgl_sched_owner"
done_testing
