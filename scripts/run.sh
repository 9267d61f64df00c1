#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs kpg (doctor for now).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh
"${KPG_BUILD_DIR:-build}/cli/kpg" doctor
