#!/usr/bin/env bash
# Shows kpg's timer at work on a GPU. Builds nothing: run it after a build (default build
# folder: build-gpu, as scripts/gpu_suite.sh builds it; KPG_BUILD_DIR to change).
#   1. The timer's GPU tests, verbose: the PTX kernels read, copy and hold correctly; each
#      repetition reads before and flushes after the launch; the write-back of what a launch
#      leaves dirty is charged; kpg's streaming copy of 1 GiB beside cuMemcpy's.
#   2. The softmax lesson at 4096x4096 f32, then the LayerNorm lesson at 4096x4096 f16: each
#      row beside a copy of its own bytes, timed the same way in the same run.
# Exits non-zero when a test fails or skips, or a lesson fails or prints a measurement
# defect (a row above 100 % of its same-bytes copy).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${KPG_BUILD_DIR:-build-gpu}"
kpg="$build_dir/cli/kpg"
[[ -x "$kpg" ]] || { echo "timer_check: $kpg not found: build first (scripts/gpu_suite.sh or scripts/build.sh)" >&2; exit 1; }

echo "== timer tests"
tests_ok=0
log=$(mktemp "${TMPDIR:-/tmp}/kpg-timer-check.XXXXXX.log")
ctest --test-dir "$build_dir" -R '^(StreamKernelsGpu|TimerGpu)\.' -V > "$log" 2>&1 || tests_ok=1
# Each test's verdict, and the figures the tests print.
grep -E '^[0-9]+: (\[ +(OK|FAILED) +\] [A-Za-z]|64 MiB|write of|1 GiB)|tests passed|tests failed' "$log" || true
if grep -q '\*\*\*Skipped' "$log"; then
  echo "timer_check: GPU tests were skipped: no usable GPU" >&2
  tests_ok=1
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/kpg-timer-check.XXXXXX")
lessons_ok=0
for lesson in "softmax --shape M=4096,N=4096,dtype=f32" "layernorm --shape M=4096,N=4096,dtype=f16"; do
  name=${lesson%% *}
  echo "== kpg tutorial $lesson"
  # shellcheck disable=SC2086
  "$kpg" tutorial $lesson --results "$out/$name" > "$out/$name.log" 2>&1 || lessons_ok=1
  sed -n '1,40p' "$out/$name.log"
  if grep -q "measurement defect" "$out/$name.log"; then lessons_ok=1; fi
done

echo "== summary"
echo "timer tests: $([[ $tests_ok == 0 ]] && echo passed || echo "FAILED (log: $log)")"
echo "lessons: $([[ $lessons_ok == 0 ]] && echo "ran; no row above its same-bytes copy" || echo "FAILED or printed a MEASUREMENT DEFECT")"
echo "lesson outputs: $out"
[[ $tests_ok == 0 && $lessons_ok == 0 ]]
