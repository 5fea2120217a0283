# shellcheck shell=bash
# Tiny TAP helpers for the shell tests (run by scripts/test with PGHOST,
# PGPORT and PGUSER pointing at the throwaway cluster).
T_N=0
T_FAILED=0
ok() {   # ok <condition-exit-status> <description>
  T_N=$((T_N + 1))
  if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAILED=$((T_FAILED + 1)); fi
}
is() {   # is <got> <expected> <description>
  T_N=$((T_N + 1))
  if [ "$1" == "$2" ]; then echo "ok $T_N - $3"; else
    echo "not ok $T_N - $3"; echo "#   got:      '$1'"; echo "#   expected: '$2'"; T_FAILED=$((T_FAILED + 1)); fi
}
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }
q() { local db=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$@"; }
