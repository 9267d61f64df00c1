#!/usr/bin/env bash
# Tuning wall time on 1 GPU and on every GPU of the machine, same grid, and the winners of
# both (issue: tuning on every GPU of a host). Also a budgeted search on 1 GPU against the
# exhaustive best. Needs a built kpg (scripts/gpu_suite.sh builds build-gpu).
# Usage: scripts/multi_gpu_bench.sh OP [kpg tune args...]
#   e.g. scripts/multi_gpu_bench.sh attention --shape B=4,H=16,N=4096,D=128,CAUSAL=0,dtype=f16
# Each run starts from an empty cache (cold: compile + time); then both re-time with
# --force on a warm cubin cache (time only). Logs: ${OUT:-results/multi_gpu}/.
set -uo pipefail
cd "$(dirname "$0")/.."
kpg="${KPG:-build-gpu/cli/kpg}"
out="${OUT:-results/multi_gpu}"
op=$1
shift
mkdir -p "$out"
gpus=$(nvidia-smi --query-gpu=index --format=csv,noheader | wc -l)
all=$(seq -s, 0 $((gpus - 1)))

rows=()
tune() {  # label cache devices extra...
  local label=$1 cache=$2 devices=$3
  shift 3
  local start=$SECONDS
  KPG_CACHE_DIR="$out/$cache" "$kpg" -v tune "$op" "$@" --devices "$devices" --top 3 "${args[@]}" > "$out/$label.log" 2>&1
  local rc=$?
  local chosen
  chosen=$(grep -E "^  chosen:" "$out/$label.log" | sed 's/^  chosen: //' | tr '\n' ';')
  rows+=("$(printf '%-20s exit %s  %4d s  %s' "$label" "$rc" $((SECONDS - start)) "$chosen")")
}
args=("$@")
tune cold-1gpu one 0
tune "cold-${gpus}gpu" all "$all"
tune warm-cubins-1gpu one 0 --force
tune "warm-cubins-${gpus}gpu" all "$all" --force
tune budget8-1gpu budget 0 --budget 8 --seed 1
echo
for f in "$out"/*.log; do echo "--- $f"; grep -A5 -E "rank" "$f" | head -7; grep -E "chosen|timing took|restarted|tuning worker on" "$f"; done
rm -rf "$out/one" "$out/all" "$out/budget"  # caches: not needed back
echo
echo "== multi-GPU tuning ($gpus x $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)), kpg tune $op ${args[*]} =="
printf '%s\n' "${rows[@]}"
