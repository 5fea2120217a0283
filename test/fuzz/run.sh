#!/usr/bin/env bash
# Build the model-reader fuzzer (clang, libFuzzer + ASan + UBSan), check the
# seed corpus, fuzz for a bounded time, and compare the C reader with an
# independent Python reader (pyreader.py) on every input kept.  Then the
# XGBoost JSON fuzzer (fuzz_xgb_json.c, seeds in corpus_xgb_json/) and the
# ONNX importer fuzzer (fuzz_onnx.c, seeds in corpus_onnx/ plus a handful of
# libonnx-testdata models when installed) get a quarter of the budget each.
# Prints TAP;
# exits non-zero on a build failure, an unexpected corpus verdict, any
# crash, leak, timeout, over-budget allocation or out-of-memory the fuzzer
# finds, or a disagreement between the readers.
#
#   PGL_FUZZ_SECONDS   fuzzing time in all (default 60): 1/2 model, 1/4 json, 1/4 onnx
#   PGL_FUZZ_ARTIFACTS where a failing input is written (default: a temp dir,
#                      kept and printed on failure)
#   CC_FUZZ            the compiler (default clang)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ALGO="$ROOT/src/algo"
TOTAL_BUDGET=${PGL_FUZZ_SECONDS:-60}
JSON_BUDGET=$(( TOTAL_BUDGET / 4 > 0 ? TOTAL_BUDGET / 4 : 1 ))
ONNX_BUDGET=$JSON_BUDGET
SECONDS_BUDGET=$(( TOTAL_BUDGET - 2 * JSON_BUDGET > 0 ? TOTAL_BUDGET - 2 * JSON_BUDGET : 1 ))
ONNX="$ROOT/src/onnx"
ONNX_DATA=${PGL_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
CC_FUZZ=${CC_FUZZ:-clang}
BLAS_INC=${BLAS_INC:-/usr/include/x86_64-linux-gnu/openblas-pthread}
BUILD=$(mktemp -d /tmp/pg_learn-fuzz.XXXXXX)
ART=${PGL_FUZZ_ARTIFACTS:-$BUILD/artifacts}
mkdir -p "$BUILD/work" "$BUILD/work_json" "$BUILD/work_onnx" "$BUILD/seeds_onnx" "$ART"
N=0
FAILED=0
ok() { N=$((N + 1)); if [ "$1" -eq 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILED=$((FAILED + 1)); fi; }
cleanup() { [ "$FAILED" -eq 0 ] && rm -rf "$BUILD"; }
trap cleanup EXIT

CFLAGS=(-std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -fno-omit-frame-pointer
        -fsanitize=address,undefined -fno-sanitize-recover=undefined -I"$ALGO" -I"$ROOT/src/forecast" -I"$BLAS_INC")
# -lxgboost: src/algo holds the xgboost family (training through its C API)
LIBS=(-lopenblas -lxgboost -lm -lpthread)

# the model reader's fuzzer also encodes with a tokens feature's vocabulary (src/text)
"$CC_FUZZ" "${CFLAGS[@]}" -I"$ROOT/src/text" -fsanitize=fuzzer "$HERE/fuzz_model.c" "$ALGO"/*.c "$ROOT/src/forecast"/*.c \
  "$ROOT/src/text"/*.c "$ONNX"/*.c "${LIBS[@]}" \
  -o "$BUILD/fuzz_model" >"$BUILD/build.log" 2>&1 &&
"$CC_FUZZ" "${CFLAGS[@]}" "$HERE/corpus_tool.c" "$ALGO"/*.c "$ROOT/src/forecast"/*.c "$ONNX"/*.c "${LIBS[@]}" \
  -o "$BUILD/corpus_tool" >>"$BUILD/build.log" 2>&1 &&
"$CC_FUZZ" "${CFLAGS[@]}" -fsanitize=fuzzer "$HERE/fuzz_xgb_json.c" "$ALGO"/*.c "$ROOT/src/forecast"/*.c "$ONNX"/*.c "${LIBS[@]}" \
  -o "$BUILD/fuzz_xgb_json" >>"$BUILD/build.log" 2>&1 &&
"$CC_FUZZ" "${CFLAGS[@]}" -I"$ONNX" -fsanitize=fuzzer "$HERE/fuzz_onnx.c" "$ONNX"/*.c "$ALGO"/*.c "$ROOT/src/forecast"/*.c \
  "${LIBS[@]}" -o "$BUILD/fuzz_onnx" >>"$BUILD/build.log" 2>&1
rc=$?
[ $rc -ne 0 ] && sed 's/^/# /' "$BUILD/build.log" | head -40
ok $rc "build fuzz_model, corpus_tool, fuzz_xgb_json and fuzz_onnx with $CC_FUZZ -fsanitize=fuzzer,address,undefined"
if [ $rc -ne 0 ]; then echo "1..$N"; exit 1; fi

# every valid-* seed is accepted and writes back identically; every other seed is refused
out=$("$BUILD/corpus_tool" check "$HERE/corpus" 2>&1)
rc=$?
echo "$out" | grep -v '^# [0-9]* corpus files' | head -20
ok $rc "seed corpus: $(echo "$out" | sed -n 's/^# \([0-9]* corpus files, [0-9]* unexpected\)$/\1/p')"

export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=64:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# run_fuzzer BIN SECONDS WORKDIR CORPUS LOG WHAT [libFuzzer flags]: one TAP line
run_fuzzer() {
  local bin=$1 budget=$2 work=$3 corpus=$4 log=$5 what=$6 start rc elapsed execs cov
  shift 6
  start=$(date +%s)
  "$BUILD/$bin" -max_total_time="$budget" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 \
    -print_final_stats=1 -artifact_prefix="$ART/" "$@" "$work" "$corpus" >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    grep -E "check failed|$bin:|ERROR: |runtime error|SUMMARY|Test unit written|out-of-memory|malloc\\(" \
      "$log" | head -20 | sed 's/^/# /'
    echo "# full log: $log; failing input in $ART"
  fi
  ok $rc "$bin: ${execs:-?} executions in ${elapsed} s (${cov:-no stats}), $what"
}
run_fuzzer fuzz_model "$SECONDS_BUDGET" "$BUILD/work" "$HERE/corpus" "$BUILD/fuzz.log" \
  "no crash, leak, timeout or OOM"

# docs/model-format.md is enough to write a reader: an independent one in
# Python, written from the document, gives the C reader's verdict on every
# seed and every input the fuzzer kept, as they are and re-stamped
if command -v python3 >/dev/null; then
  out=$(python3 "$HERE/pyreader.py" --agree "$BUILD/corpus_tool" "$HERE/corpus" "$BUILD/work" 2>&1)
  rc=$?
  echo "$out" | grep -v 'inputs (' | head -10
  ok $rc "a Python reader written from docs/model-format.md agrees with the C reader: $(echo "$out" | sed -n 's/^# \([0-9]* inputs.*\)$/\1/p')"
fi
# the XGBoost JSON reader and writer: seeds are the fixtures and mutations
# (cycles, shared and out-of-range children, depth 70, non-finite numbers,
# wrong types); refusals must be clean, acceptances validate and round-trip
run_fuzzer fuzz_xgb_json "$JSON_BUDGET" "$BUILD/work_json" "$HERE/corpus_xgb_json" \
  "$BUILD/fuzz_json.log" "no crash, leak, timeout, OOM or round-trip difference" -max_len=65536
# the ONNX importer: reader, validator, planner, then a run on small inputs;
# seeds: our generated models and a handful of conformance models
cp "$HERE"/corpus_onnx/*.onnx "$BUILD/seeds_onnx/"
for t in node/test_slice node/test_gather_2d_indices node/test_reshape_negative_dim \
  node/test_transpose_all_permutations_3 node/test_concat_3d_axis_1 \
  node/test_split_variable_parts_2d node/test_unsqueeze_two_axes node/test_expand_dim_changed \
  node/test_where_example node/test_cast_FLOAT_to_DOUBLE node/test_basic_conv_with_padding \
  node/test_lstm_defaults pytorch-operator/test_operator_add_broadcast \
  pytorch-converted/test_Linear simple/test_expand_shape_model1; do
  [ -f "$ONNX_DATA/$t/model.onnx" ] && cp "$ONNX_DATA/$t/model.onnx" "$BUILD/seeds_onnx/${t//\//_}.onnx"
done
run_fuzzer fuzz_onnx "$ONNX_BUDGET" "$BUILD/work_onnx" "$BUILD/seeds_onnx" "$BUILD/fuzz_onnx.log" \
  "$(ls "$BUILD/seeds_onnx" | wc -l) seeds, no crash, leak, timeout, OOM or unclean refusal" \
  -max_len=65536
echo "1..$N"
[ "$FAILED" -eq 0 ]
