#!/usr/bin/env bash
# The CPU tests of the runtime and tuner layers built with AddressSanitizer + UBSan
# (-DKPG_SANITIZE=ON) into ${KPG_ASAN_BUILD_DIR:-build-asan}. Any report fails the run.
# Tutorials are left out to keep CI within its time budget (their host code is thin).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${KPG_ASAN_BUILD_DIR:-build-asan}"
jobs="${KPG_JOBS:-$(nproc)}"
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi

# -O0 -g1: with ASan+UBSan, -O2 -g compiles 3-4x slower; line tables suffice for reports.
cmake -S . -B "$build_dir" "${generator[@]}" -DKPG_BUILD_TESTS=ON -DKPG_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1"
cmake --build "$build_dir" -j "$jobs" --target kpg_runtime_tests kpg_tuner_tests

# protect_shadow_gap=0: the CUDA driver maps memory where ASan would otherwise reserve.
export ASAN_OPTIONS="detect_leaks=1:protect_shadow_gap=0:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# -L cpu: GPU suites are not run (and the unbuilt tutorial binary has no labelled tests);
# DocsCommands needs the kpg CLI, which this stage does not build.
ctest --test-dir "$build_dir" -L cpu -E '^DocsCommands$' --output-on-failure -j "$jobs"
