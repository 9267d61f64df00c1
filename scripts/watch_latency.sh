#!/usr/bin/env bash
# Save-to-result latency of `kpg watch` on this machine: starts a watch on softmax in a
# scratch copy of the kernels and configs, then saves (1) the fused kernel of the default
# shape's space with a new comment (recompile + check + time), (2) that kernel unchanged
# (cubin-cache hits), (3) the shared header with a new comment (every variant recompiles), three times each, and prints the
# "save -> result" lines watch reports. Needs a built kpg.
# Usage: scripts/watch_latency.sh [kpg watch args...]   (default: --shape M=4096,N=781)
set -uo pipefail
cd "$(dirname "$0")/.."
kpg="$(pwd)/${KPG:-build-gpu/cli/kpg}"
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--shape M=4096,N=781)

scratch=$(mktemp -d)
trap 'kill "$watch_pid" 2>/dev/null; rm -rf "$scratch"' EXIT
cp -r kernels_src "$scratch/kernels" && cp -r configs "$scratch/configs"
log="$scratch/watch.log"
KPG_CACHE_DIR="$scratch/cache" "$kpg" --kernels-dir "$scratch/kernels" --configs-dir "$scratch/configs" \
  watch softmax "${args[@]}" > "$log" 2>&1 &
watch_pid=$!

wait_round() {  # until round $1 has printed its latency, 60 s at most
  for _ in $(seq 600); do
    [[ $(grep -c "save -> result" "$log") -ge $1 ]] && return 0
    kill -0 "$watch_pid" 2>/dev/null || { echo "watch exited:"; tail -20 "$log"; exit 1; }
    sleep 0.1
  done
  echo "no result within 60 s:"; tail -20 "$log"; exit 1
}
# The first round tunes from an empty cache; it ends with "start -> result".
for _ in $(seq 1200); do grep -q "start -> result" "$log" && break; sleep 0.1; done
grep "start -> result" "$log" || { echo "no first round within 120 s:"; tail -20 "$log"; exit 1; }
sleep 0.5

saves=0
save() {  # label file edit(0|1)
  local file="$scratch/kernels/$2"
  if [[ $3 -eq 1 ]]; then echo "// edit $saves" >> "$file"; else cat "$file" > "$file.tmp" && mv "$file.tmp" "$file"; fi
  saves=$((saves + 1))
  wait_round "$saves"
  echo "$1: $(grep "save -> result" "$log" | tail -1)"
}
for i in 1 2 3; do
  save "kernel edited     " softmax/warp_per_row.cu 1
  save "saved, no change  " softmax/warp_per_row.cu 0
  save "header edited     " kpg_common.cuh 1
done
echo "== kpg watch softmax ${args[*]} on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1) =="
grep -E "^== round|save -> result" "$log" | tail -4
