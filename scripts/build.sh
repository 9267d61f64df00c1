#!/usr/bin/env bash
# Configures and builds kpg into ${KPG_BUILD_DIR:-build} (Release-with-debug-info, tests on).
# Extra arguments go to cmake's configure step (e.g. -DKPG_SANITIZE=ON).
# KPG_BUILD_TARGET=kpg builds that target alone (the main job: the program, not the tests).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${KPG_BUILD_DIR:-build}"
jobs="${KPG_JOBS:-$(nproc)}"
generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi

cmake -S . -B "$build_dir" "${generator[@]}" -DKPG_BUILD_TESTS=ON "$@"
targets=()
if [[ -n "${KPG_BUILD_TARGET:-}" ]]; then targets=(--target "$KPG_BUILD_TARGET"); fi
cmake --build "$build_dir" -j "$jobs" "${targets[@]}"
