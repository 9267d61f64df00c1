#!/usr/bin/env bash
# The test command: installs what is missing, builds into build/, runs every test.
# GPU tests (ctest label `gpu`) skip with a visible reason on a machine without a GPU.
# Then, unless KPG_QUICK_TEST=1: the CPU tests under ASan + UBSan (build-asan/) and the
# config fuzzer for 60 s (build-fuzz/). Each stage's time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "=== test.sh: $name"
  "$@"
  timings+=("$(printf '%-28s %4d s' "$name" $((SECONDS - start)))")
}

stage "setup" scripts/setup.sh
stage "build" scripts/build.sh
stage "tests" ctest --test-dir "${KPG_BUILD_DIR:-build}" --output-on-failure -j "${KPG_JOBS:-$(nproc)}"
if [[ "${KPG_QUICK_TEST:-0}" != 1 ]]; then
  stage "cpu tests under ASan+UBSan" scripts/sanitize_test.sh
  stage "config fuzzer (60 s)" scripts/fuzz.sh 60
else
  echo "=== test.sh: KPG_QUICK_TEST=1, sanitizer and fuzz stages skipped"
fi
printf 'test.sh stage times:\n'
printf '  %s\n' "${timings[@]}"
