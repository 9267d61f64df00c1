#!/usr/bin/env bash
# The main job: installs what is missing, builds, checks the machine (kpg doctor), then
# runs every lesson on the GPU; without a GPU, the memory lesson in theory mode (counted
# bytes against the H100's datasheet, labelled as not measured).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh
kpg="${KPG_BUILD_DIR:-build}/cli/kpg"
doctor=$("$kpg" doctor)
echo "$doctor"
if grep -q "^device 0:" <<<"$doctor"; then
  "$kpg" tutorial all
else
  "$kpg" tutorial memory-analysis --theory --card h100
fi
