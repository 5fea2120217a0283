#!/usr/bin/env bash
# Build the ONNX conformance runner (conformance.c, ASan + UBSan) and run it
# on the four suites of Debian's libonnx-testdata (ONNX 1.12 backend tests).
# Prints TAP: one line per suite (pass counts) and one for the verdict, which
# fails when a test whose ops pg_learn supports fails and allow.txt does not
# explain it.  Skipped (ok, with a message) when libonnx-testdata is absent.
#
#   PGL_ONNX_TESTDATA   the data directory (default /usr/share/libonnx-testdata/data)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${PGL_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
N=0
FAILED=0
ok() { N=$((N + 1)); if [ "$1" -eq 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILED=$((FAILED + 1)); fi; }

if [ ! -d "$DATA/node" ]; then
  echo "ok 1 # SKIP libonnx-testdata is not installed ($DATA/node is missing): scripts/deps installs it"
  echo "1..1"
  exit 0
fi
make -s -C "$HERE" conformance >"$HERE/build.log" 2>&1
rc=$?
[ $rc -ne 0 ] && sed 's/^/# /' "$HERE/build.log" | head -30
ok $rc "build the conformance runner (ASan + UBSan)"
rm -f "$HERE/build.log"
if [ $rc -ne 0 ]; then echo "1..$N"; exit 1; fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
out=$("$HERE/conformance" -a "$HERE/allow.txt" "$DATA/node" "$DATA/pytorch-converted" \
  "$DATA/pytorch-operator" "$DATA/simple" 2>&1)
rc=$?
echo "$out" | grep -E '^(FAIL|# explained)' | sed 's/^FAIL/# FAIL/'
echo "$out" | grep -E 'ERROR: AddressSanitizer|runtime error' | head -5 | sed 's/^/# /'
while read -r line; do
  ok 0 "$(echo "$line" | sed 's/^suite //')"
done < <(echo "$out" | grep '^suite ')
ok $rc "every supported-op test passes or is explained in test/onnx/allow.txt ($(echo "$out" | tail -1))"
echo "1..$N"
[ "$FAILED" -eq 0 ]
