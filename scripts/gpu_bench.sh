#!/usr/bin/env bash
# Benchmarks on the GPU machine, after scripts/gpu_suite.sh has built build-gpu:
# tunes each op named (cold, then warm to show the cached second run), runs its tutorial,
# and runs the peers (PyTorch, Triton) in the same call on the same card.
# Usage: scripts/gpu_bench.sh [softmax] [layernorm] [flash-attention]   (default: softmax)
# Logs and results go to ${OUT:-results/gpu}; the last lines are a short summary.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-results/gpu}"
mkdir -p "$out"
kpg=build-gpu/cli/kpg
export KPG_CACHE_DIR="${KPG_CACHE_DIR:-$PWD/build-gpu/kpg-cache}"
ops=("$@")
[[ ${#ops[@]} -eq 0 ]] && ops=(softmax)

summary=()
for op in "${ops[@]}"; do
  config=$op
  [[ $op == flash-attention ]] && config=attention
  start=$(date +%s.%N)
  $kpg tune "$config" 2>&1 | tee "$out/tune-$config.log"
  cold=$(echo "$(date +%s.%N) - $start" | bc)
  start=$(date +%s.%N)
  $kpg tune "$config" --top 3 > "$out/tune-$config-warm.log" 2>&1
  warm=$(echo "$(date +%s.%N) - $start" | bc)
  summary+=("$config: tune cold ${cold}s, second run ${warm}s")
  $kpg tutorial "$op" --results "$out/$op" 2>&1 | tee "$out/tutorial-$op.log"
  summary+=("$op tutorial exit ${PIPESTATUS[0]}")
  peer=$config
  [[ $peer == rmsnorm ]] && continue
  python3 scripts/peers/peers.py "$peer" --json "$out/peers-$peer.json" > "$out/peers-$peer.log" 2>&1 \
    || summary+=("peers $peer failed: $(tail -1 "$out/peers-$peer.log")")
  cat "$out/peers-$peer.log"
done
echo
echo "== bench summary ($(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)) =="
printf '%s\n' "${summary[@]}"
