#!/usr/bin/env bash
# Cross-session behaviour: a deploy or retrain committed in one session is
# used by the next statement of another; a cancelled training (statement
# timeout, pg_cancel_backend) leaves no new version.
set -u
. "$(dirname "$0")/lib.sh"
db=pgl_sessions
q postgres "DROP DATABASE IF EXISTS $db"; q postgres "CREATE DATABASE $db"
q $db "CREATE EXTENSION pg_learn"
q $db "CREATE TABLE s AS SELECT i::float8 AS x, 2.0 * i AS y FROM generate_series(1, 100) i"
q $db "SELECT version FROM ai_train('m', 'linear_regression', 's', 'y')" >/dev/null

# session A keeps one connection open across statements (a coprocess)
coproc PSQL { psql -X -q -At -d $db 2>&1; }
ask() { echo "$1" >&"${PSQL[1]}"; echo "\\echo __end__" >&"${PSQL[1]}"; local line out=""
  while IFS= read -r -t 30 line <&"${PSQL[0]}"; do [ "$line" = "__end__" ] && break; out+="$line"; done; echo "$out"; }

is "$(ask "SELECT round(ai_predict('m', ARRAY[10.0])::numeric, 6);")" "20.000000" "session A predicts with version 1"
q $db "SELECT version FROM ai_train('m', 'linear_regression', 'SELECT x, y + 1 AS y FROM s', 'y')" >/dev/null
is "$(ask "SELECT round(ai_predict('m', ARRAY[10.0])::numeric, 6);")" "21.000000" \
   "a retrain committed in session B is used by session A's next statement"
q $db "SELECT ai_deploy('m', 1)" >/dev/null
is "$(ask "SELECT round(ai_predict('m', ARRAY[10.0])::numeric, 6);")" "20.000000" \
   "a rollback committed in session B is used by session A's next statement"
# an uncommitted deploy in B is not seen by A
is "$(ask "BEGIN; SELECT ai_deploy('m', 2) AS replaced; SELECT round(ai_predict('m', ARRAY[10.0])::numeric, 6);")" "121.000000" \
   "session A sees its own uncommitted deploy (ai_deploy returned 1, the version it replaced; then 21.000000)"
is "$(q $db "SELECT round(ai_predict('m', ARRAY[10.0])::numeric, 6)")" "20.000000" \
   "session B does not see A's uncommitted deploy"
ask "ROLLBACK;" >/dev/null

# cancellation: statement_timeout, then pg_cancel_backend from another session
# separable classes with l2 = 0: the optimizer runs for many seconds
q $db "CREATE TABLE big AS SELECT a, b, c, a > b AS y
       FROM (SELECT random() AS a, random() AS b, random() AS c FROM generate_series(1, 400000)) s"
LONG="SELECT version FROM ai_train('big', 'logistic_regression', 'big', 'y', '{\"max_iter\": 1000000, \"tol\": 1e-300, \"l2\": 0}')"
out=$(PGOPTIONS="-c statement_timeout=1000" psql -X -q -At -d $db -c "$LONG" 2>&1)
echo "$out" | grep -q "canceling statement due to statement timeout"
ok $? "statement_timeout cancels a long training"
is "$(q $db "SELECT count(*) FROM ai_models WHERE name = 'big'")" "0" "the timed-out training left no model"

cancel_out=$(mktemp "${TMPDIR:-/tmp}/pgl_cancel.XXXXXX")
psql -X -q -At -d $db -c "SET application_name = 'pgl_long'; $LONG" >"$cancel_out" 2>&1 &
bg=$!
for _ in $(seq 1 100); do
  [ "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgl_long' AND state = 'active'")" = "1" ] && break
  sleep 0.1
done
sleep 2
is "$(q $db "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgl_long' AND state = 'active'")" \
   "1" "the training is still running when the cancel is sent"
t0=$(date +%s.%N)
q $db "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgl_long'" >/dev/null
wait $bg
t1=$(date +%s.%N)
grep -q "canceling statement due to user request" "$cancel_out"
ok $? "pg_cancel_backend cancels a running training"
# how long the cancel took is printed, not asserted (speed belongs in bench/)
echo "# cancel took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
is "$(q $db "SELECT count(*) FROM ai_models WHERE name = 'big'")" "0" "the cancelled training left no model"
rm -f "$cancel_out"

echo "\\q" >&"${PSQL[1]}"; wait "$PSQL_PID" 2>/dev/null
q postgres "DROP DATABASE $db WITH (FORCE)"
done_testing
