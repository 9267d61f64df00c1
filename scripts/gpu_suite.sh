#!/usr/bin/env bash
# The whole suite on a machine with a GPU whose build dependencies are installed (it runs no
# apt): builds into build-gpu, runs every test including the `gpu` label, shows
# `kpg doctor`, and ends with a short summary. Exits non-zero if the build or a test
# failed, or a GPU test was skipped (on a GPU machine a skip means the GPU was not usable).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-gpu
log="$build_dir/ctest.log"
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi

cmake -S . -B "$build_dir" "${generator[@]}" -DKPG_BUILD_TESTS=ON
# Keep going past a target that fails to build, so one broken test file does not hide the
# rest of the suite; the failure still fails the script.
build_status=0
keep_going=(-k)
grep -q "CMAKE_GENERATOR:INTERNAL=Ninja" "$build_dir/CMakeCache.txt" && keep_going=(-k 0)
cmake --build "$build_dir" -j 16 -- "${keep_going[@]}" || build_status=$?

set +e
ctest --test-dir "$build_dir" --output-on-failure -j 8 2>&1 | tee "$log"
ctest_status=${PIPESTATUS[0]}
set -e

doctor_status=0
"$build_dir/cli/kpg" doctor || doctor_status=$?

# A GPU test that skips here means the GPU was not usable: that is a failure on this machine.
gpu_listed=$(ctest --test-dir "$build_dir" -L gpu -N 2>/dev/null | grep -c "Test *#" || true)
gpu_skipped=$(grep -E "\(Skipped\)" "$log" | grep -c "Gpu\." || true)

echo
echo "== summary =="
echo "build exit: $build_status, gpu tests listed: $gpu_listed, gpu tests skipped: $gpu_skipped, kpg doctor exit: $doctor_status"
grep -E "tests passed|tests failed out of" "$log" | tail -1
if [[ $build_status -ne 0 || $ctest_status -ne 0 || $gpu_skipped -ne 0 || $doctor_status -ne 0 ]]; then exit 1; fi
