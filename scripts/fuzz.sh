#!/usr/bin/env bash
# Builds the config-loader fuzzer with clang (libFuzzer + ASan/UBSan) into
# ${KPG_FUZZ_BUILD_DIR:-build-fuzz} and runs it for ${1:-60} seconds on a seed corpus of
# our configs. Inputs it finds are kept in build-fuzz/corpus for the next run; a crash,
# a sanitizer report, a non-ConfigError exception or a hang (> 25 s per input) fails it
# and leaves the input as build-fuzz/crash-* (reproduce: build-fuzz/tests/fuzz/kpg_config_fuzzer FILE).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
build_dir="${KPG_FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${KPG_JOBS:-$(nproc)}"
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi

# -O1 -g1: libFuzzer's recommendation, and far quicker to build than -O2 -g with ASan.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" "${generator[@]}" -DKPG_FUZZ=ON -DKPG_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1"
cmake --build "$build_dir" -j "$jobs" --target kpg_config_fuzzer

seeds="$build_dir/seeds"
rm -rf "$seeds"
mkdir -p "$seeds" "$build_dir/corpus"
cp configs/*.yaml "$seeds/"
for f in configs/examples/*.yaml docs/examples/*.yaml tests/data/*.yaml; do
  if [[ -f "$f" ]]; then cp "$f" "$seeds/$(echo "$f" | tr / _)"; fi
done

export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
"$build_dir/tests/fuzz/kpg_config_fuzzer" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
  -max_len=16384 -print_final_stats=1 -artifact_prefix="$build_dir/" \
  -dict=tests/fuzz/config.dict "$build_dir/corpus" "$seeds"
