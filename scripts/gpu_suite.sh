#!/usr/bin/env bash
# The whole suite on the GPU machine (everything preinstalled, no apt): builds into
# build-gpu, runs every test including the `gpu` label, shows `kpg doctor`, and ends
# with a short summary. Exits non-zero if a test failed or a GPU test was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-gpu
log="$build_dir/ctest.log"
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi

cmake -S . -B "$build_dir" "${generator[@]}" -DKPG_BUILD_TESTS=ON
cmake --build "$build_dir" -j 16

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
echo "gpu tests listed: $gpu_listed, gpu tests skipped: $gpu_skipped, kpg doctor exit: $doctor_status"
grep -E "tests passed|tests failed out of" "$log" | tail -1
if [[ $ctest_status -ne 0 || $gpu_skipped -ne 0 || $doctor_status -ne 0 ]]; then exit 1; fi
