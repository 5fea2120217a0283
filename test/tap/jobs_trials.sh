#!/usr/bin/env bash
# The trials of a background job's "search" fan out over the job slots
# (src/jobs/trials.c; needs the cluster of scripts/test: pg_learn_launcher
# preloaded, pgl_jobs in pg_learn.databases, pg_learn.max_workers = 2):
# the same choice and scores as the serial search, trials in two processes,
# progress, a failing trial, ai_cancel, a helper cancelled alone, als, and
# pg_learn.max_workers = 1 (the serial search in the job's worker).
set -u
. "$(dirname "$0")/lib.sh"
db=pgl_jobs
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
wait_for() {
  local n=$(( ${3:-60} * 10 ))
  for _ in $(seq 1 $n); do
    [ "$(psql -X -q -At -d "$1" -c "$2" 2>/dev/null)" = "t" ] && return 0
    sleep 0.1
  done
  return 1
}
restart() {
  as_owner pg_ctl -D "$PGL_DIR/data" -l "$PGL_DIR/server.log" -m fast -w -t 120 restart >/dev/null &&
    wait_for postgres "SELECT true" 60
}

q postgres "DROP DATABASE IF EXISTS $db" 2>/dev/null; q postgres "CREATE DATABASE $db"
q $db "CREATE EXTENSION pg_learn"
# every 97th row has no c: "nulls": "error" fails on it
q $db "CREATE TABLE t AS SELECT i, a, b, CASE WHEN i % 97 = 0 THEN NULL ELSE c END AS c,
       a + 0.5 * b - c + 0.3 * r > 0.4 AS y
       FROM (SELECT i, random() AS a, random() AS b, random() AS c, random() AS r
             FROM generate_series(1, 2000) i) s"
# reading sleeps 0.2 ms a row: each trial takes about a second on any machine
q $db "CREATE FUNCTION slow(float8) RETURNS float8 LANGUAGE sql AS 'SELECT pg_sleep(0.0002); SELECT \$1'"
DATA="SELECT i, slow(a) AS a, b, c, y FROM t"
S='{"exclude": ["i"], "search": {"params": {"nulls": ["error", "impute"], "l2": [0.01, 0.1, 1, 10]}}}'
submit() { q $db "SELECT ai_train_async('$1', 'logistic_regression', '$DATA', 'y', '$S')"; }
trials() { q $db "SELECT jsonb_array_elements(metrics->'search'->'trials') FROM ai_models WHERE name = '$1'"; }
# trial, params, score (6 digits) or error, chosen: what must equal the serial search's
summary() {
  q $db "SELECT string_agg(format('%s %s %s %s', t->>'trial', t->'params',
           coalesce(round((t->>'score')::numeric, 6)::text, t->>'error'), t->>'chosen'), E'\n' ORDER BY (t->>'trial')::int)
         FROM ai_models m, jsonb_array_elements(m.metrics->'search'->'trials') t WHERE m.name = '$1'"
}

# --- the serial search (synchronous ai_train) ---
q $db "SELECT version FROM ai_train('serial', 'logistic_regression', '$DATA', 'y', '$S')" >/dev/null
ok $? "the serial search runs"
serial=$(summary serial)
is "$(trials serial | grep -c '"pid"')" "0" "the serial search records no pid"

# --- a job's search on two workers ---
j=$(submit par)
wait_for $db "SELECT count(DISTINCT pid) = 2 FROM ai_progress WHERE job_id = $j" 60
ok $? "ai_progress shows the job's worker and a helper running its trials"
wait_for $db "SELECT EXISTS (SELECT FROM ai_progress WHERE job_id = $j AND phase ~ '^trial [1-8] of 8, best accuracy ')" 60
ok $? "ai_progress shows 'trial i of 8' and the best score so far"
is "$(q $db "SELECT ai_wait($j, '120 s')")" "succeeded" "the job's parallel search succeeds"
is "$(summary par)" "$serial" "the same trials, scores (6 digits), errors and choice as the serial search"
is "$(q $db "SELECT count(DISTINCT t->'pid') FROM ai_models m, jsonb_array_elements(m.metrics->'search'->'trials') t WHERE m.name = 'par'")" \
   "2" "the trials ran in two processes (distinct pids recorded)"
is "$(q $db "SELECT count(*) FROM ai_models m, jsonb_array_elements(m.metrics->'search'->'trials') t
             WHERE m.name = 'par' AND t->>'error' LIKE 'column \"c\" has % NULL values'")" \
   "4" "the failing trials (\"nulls\": \"error\") are recorded and skipped"
is "$(q $db "SELECT metrics->'search'->'trials'->((metrics->'search'->>'best')::int - 1)->'params'->>'nulls'
             FROM ai_models WHERE name = 'par'")" "impute" \
   "the best is an \"impute\" trial"
is "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pg_learn trials of job %'")" "0" \
   "no helper is left"
j2=$(q $db "SELECT ai_train_async('lin', 'logistic_regression', 'SELECT a, b, y FROM t', 'y')")
j3=$(q $db "SELECT ai_train_async('lin2', 'logistic_regression', 'SELECT a, b, y FROM t', 'y')")
is "$(q $db "SELECT ai_wait($j2, '60 s') || ai_wait($j3, '60 s')")" "succeededsucceeded" "the slots are free again"

# --- ai_cancel stops the job's worker and its helpers ---
j=$(submit cancelled)
wait_for $db "SELECT count(DISTINCT pid) = 2 FROM ai_progress WHERE job_id = $j" 60
ok $? "a second search runs on two workers"
is "$(q $db "SELECT ai_cancel($j)")" "t" "ai_cancel of the job"
is "$(q $db "SELECT ai_wait($j, '60 s')")" "cancelled" "the job is cancelled"
wait_for $db "SELECT NOT EXISTS (SELECT FROM ai_progress WHERE job_id = $j)
              AND NOT EXISTS (SELECT FROM pg_stat_activity WHERE application_name LIKE 'pg_learn trials of job %')" 30
ok $? "its helper stops too"
is "$(q $db "SELECT count(*) FROM ai_models WHERE name = 'cancelled'")" "0" "no model is stored"

# --- a helper cancelled alone: its trial fails, the search goes on ---
j=$(submit helper_cancelled)
wait_for $db "SELECT count(DISTINCT pid) = 2 FROM ai_progress WHERE job_id = $j" 60
ok $? "a third search runs on two workers"
q $db "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_learn trials of job $j'" >/dev/null
is "$(q $db "SELECT ai_wait($j, '120 s')")" "succeeded" "the job succeeds when its helper was cancelled"
is "$(q $db "SELECT count(*) FROM ai_models m, jsonb_array_elements(m.metrics->'search'->'trials') t
             WHERE m.name = 'helper_cancelled' AND t->>'error' = 'the trial''s worker was cancelled'")" \
   "1" "the helper's trial is recorded as failed"

# --- als: its trials split per user, in a helper as in the job's worker ---
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$(dirname "$0")/../../bench/gen_ratings.sql" \
  -c "CREATE TABLE r AS SELECT * FROM pg_temp.gen_ratings(300, 400, 0.3, noise_sd => 0.15, taste_sd => 1.2, rank => 4, median_per_user => 40)" >/dev/null
RS='{"factors": 8, "search": {"params": {"l2": [0.003, 0.1, 10]}, "folds": 3}}'
q $db "SELECT version FROM ai_train('als_serial', 'als', 'r', options => '$RS')" >/dev/null
j=$(q $db "SELECT ai_train_async('als_par', 'als', 'r', NULL, '$RS')")
is "$(q $db "SELECT ai_wait($j, '120 s')")" "succeeded" "an als search in a job succeeds"
is "$(summary als_par)" "$(summary als_serial)" "the same als trials, scores and choice as the serial search"

# --- pg_learn.max_workers = 1: the job's worker runs the search itself ---
q postgres "ALTER SYSTEM SET pg_learn.max_workers = 1"
restart
ok $? "restart with pg_learn.max_workers = 1"
j=$(submit one)
is "$(q $db "SELECT ai_wait($j, '120 s')")" "succeeded" "the search finishes on one worker"
is "$(summary one)" "$serial" "the same trials, scores, errors and choice"
is "$(trials one | grep -c '"pid"')" "0" "run serially in the job's worker (no pid recorded)"
q postgres "ALTER SYSTEM RESET pg_learn.max_workers"
restart
ok $? "restart with the default pg_learn.max_workers"

q postgres "DROP DATABASE $db WITH (FORCE)" 2>/dev/null
done_testing
