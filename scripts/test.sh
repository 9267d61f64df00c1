#!/usr/bin/env bash
# The test command: installs what is missing, builds kpg and every test with AddressSanitizer
# + UndefinedBehaviorSanitizer into build-asan/ and runs the whole suite there (any report
# fails it), then fuzzes the config loader for 60 s (build-fuzz/). GPU tests (ctest label
# `gpu`) skip with a visible reason on a machine without a GPU.
# KPG_QUICK_TEST=1: a plain optimised build in build/ and the suite, nothing else.
# Each stage's time is printed at the end.
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

jobs="${KPG_JOBS:-$(nproc)}"
stage "setup" scripts/setup.sh
# Test-only: Open MPI, for the tests that run kpg under `mpirun -n 2` (MpiRanks.*; kpg
# builds without it). Those tests fail, rather than skip, when CI is set and MPI is missing.
install_test_mpi() {
  if command -v mpicxx >/dev/null && command -v mpirun >/dev/null; then return; fi
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends openmpi-bin libopenmpi-dev
}
stage "setup (test-only: Open MPI)" install_test_mpi
if [[ "${KPG_QUICK_TEST:-0}" == 1 ]]; then
  stage "build" scripts/build.sh
  stage "tests" ctest --test-dir "${KPG_BUILD_DIR:-build}" --output-on-failure -j "$jobs"
else
  # One build serves both: sanitized host code, all targets (the CLI too, for the doc
  # commands). -O0 -g1: with ASan+UBSan, -O2 -g compiles 3-4x slower; line tables suffice.
  asan_dir="${KPG_ASAN_BUILD_DIR:-build-asan}"
  stage "build (ASan+UBSan)" env KPG_BUILD_DIR="$asan_dir" scripts/build.sh -DKPG_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1"
  # protect_shadow_gap=0: the CUDA driver maps memory where ASan would otherwise reserve.
  stage "tests (ASan+UBSan)" env ASAN_OPTIONS="detect_leaks=1:protect_shadow_gap=0:abort_on_error=0" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --test-dir "$asan_dir" --output-on-failure -j "$jobs"
  stage "config fuzzer (60 s)" scripts/fuzz.sh 60
fi
printf 'test.sh stage times:\n'
printf '  %s\n' "${timings[@]}"
