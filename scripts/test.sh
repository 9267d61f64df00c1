#!/usr/bin/env bash
# The test command: installs what is missing, builds into build/, runs every test.
# GPU tests (ctest label `gpu`) skip with a visible reason on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh
ctest --test-dir "${KPG_BUILD_DIR:-build}" --output-on-failure -j "${KPG_JOBS:-$(nproc)}"
