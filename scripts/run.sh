#!/usr/bin/env bash
# The main job: checks for what kpg needs (installing only what is missing), builds the kpg
# program, checks the machine (kpg doctor), then runs the four lessons on the GPU and writes
# one combined report; without a GPU, the memory lesson in theory mode. By default each
# lesson runs a few representative shapes with a budgeted tune: a first complete report in
# minutes. Prints the time of each step and the total.
#   --exhaustive   tune every candidate of each grid instead of a budget of $budget
#   --all-shapes   every default shape of each lesson instead of the quick few
# Both together: the full study (more than 20 minutes on an H100).
set -euo pipefail
cd "$(dirname "$0")/.."

budget=4
tune=(--budget "$budget")
shapes=(--quick)
for arg in "$@"; do
  case "$arg" in
    --exhaustive) tune=() ;;
    --all-shapes) shapes=() ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed "s/^# \{0,1\}//; s/\$budget/$budget/"
      exit 0
      ;;
    *)
      echo "run.sh: unknown argument '$arg' (expected --exhaustive, --all-shapes)" >&2
      exit 2
      ;;
  esac
done

start=$SECONDS
times=()
clock() { printf '%d:%02d' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)); }
step() {  # step NAME COMMAND...: runs it, noting its time; the job stops if it fails
  local name=$1 step_start=$SECONDS
  shift
  echo "=== run.sh: $name ($(clock) elapsed)"
  "$@"
  times+=("$(printf '%-10s %4d s' "$name" $((SECONDS - step_start)))")
}

step setup scripts/setup.sh
step build env KPG_BUILD_TARGET=kpg scripts/build.sh
kpg="${KPG_BUILD_DIR:-build}/cli/kpg"
doctor=$("$kpg" doctor)
echo "$doctor"

status=0
lessons_start=$SECONDS
echo "=== run.sh: lessons ($(clock) elapsed)"
if grep -q "^device 0:" <<<"$doctor"; then
  "$kpg" tutorial all "${shapes[@]}" "${tune[@]}" || status=$?
else
  "$kpg" tutorial memory-analysis --theory --card h100 || status=$?
fi
times+=("$(printf '%-10s %4d s' lessons $((SECONDS - lessons_start)))")

echo "=== run.sh: done in $(clock) (min:s), exit $status"
printf '  %s\n' "${times[@]}"
exit $status
