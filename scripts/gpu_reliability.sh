#!/usr/bin/env bash
# One GPU-machine call for the reliability and multi-GPU work: builds kpg and the CLI and
# tuner tests into build-gpu, runs the broken-kernel and supervisor tests, the multi-GPU
# tuning benchmark and compute-sanitizer over the shipped kernels; a summary comes last.
# Logs go to ${OUT:-results}/.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-results}"
mkdir -p "$out"
cmake -S . -B build-gpu -G Ninja -DKPG_BUILD_TESTS=ON > "$out/cmake.log" 2>&1
ninja -C build-gpu -k 0 kpg tests/kpg_cli_tests tests/kpg_tuner_tests > "$out/build.log" 2>&1
echo "build exit $?"; grep -E "error|FAILED" "$out/build.log" | head -5
build-gpu/tests/kpg_cli_tests --gtest_filter='BrokenKernelsGpu.*' > "$out/broken.log" 2>&1
broken=$?
build-gpu/tests/kpg_tuner_tests --gtest_filter='Worker*' > "$out/supervisor.log" 2>&1
supervisor=$?
OUT="$out/multi_gpu" scripts/multi_gpu_bench.sh "$@" 2>&1 | tail -40
OUT="$out/sanitizer" timeout "${SANITIZER_S:-180}" scripts/sanitize_kernels.sh 2>&1 | tail -20
echo "== reliability summary =="
echo "BrokenKernelsGpu exit $broken: $(grep -E '^\[  (PASSED|FAILED) ' "$out/broken.log" | tr '\n' ' ')"
echo "WorkerSupervisor exit $supervisor: $(grep -E '^\[  (PASSED|FAILED) ' "$out/supervisor.log" | tr '\n' ' ')"
