#!/usr/bin/env bash
# Every shipped kernel under compute-sanitizer (memcheck, racecheck, initcheck, synccheck),
# on a GPU: the default configuration of every space of every variant
# (`kpg run --all-spaces --check-only --in-process`: one process, no watchdog, as the
# sanitizer slows kernels down), plus the points whose code paths no default takes
# (attention's cp.async copies, ping-pong turns, one tile a block, longest-first sections),
# at small edge shapes (tails: 1, 781, 65537 columns, 97-token sequences) where
# out-of-bounds accesses, races and uninitialised reads show. Run it after changing a
# kernel. Prints one line per (tool, op) and a summary; exits 1 on any sanitizer error, and
# on a missing kpg or compute-sanitizer.
# Environment: KPG (default ${KPG_BUILD_DIR:-build-gpu}/cli/kpg, as scripts/gpu_suite.sh
# builds it), TOOLS (default: all four), OPS (default: softmax layernorm rmsnorm attention),
# OUT (logs: $OUT/<tool>-<op>.log and errors.txt; default results/sanitizer).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
kpg="${KPG:-${KPG_BUILD_DIR:-build-gpu}/cli/kpg}"
out="${OUT:-results/sanitizer}"
declare -A shapes=(
  [softmax]="--shape M=3,N=1 --shape M=5,N=781 --shape M=2,N=65537"
  [layernorm]="--shape M=3,N=781,dtype=f16 --shape M=2,N=12289,dtype=f32"
  [rmsnorm]="--shape M=3,N=781,dtype=bf16 --shape M=2,N=12289,dtype=f32"
  [attention]="--shape B=1,H=2,N=97,D=64,CAUSAL=1,dtype=f16 --shape B=1,H=1,N=130,D=128,CAUSAL=0,dtype=bf16"
)
# Points beyond the defaults, as `kpg run` arguments: every param not named keeps its default.
declare -A points=(
  [attention]="--space wgmma_ws --params KV_TMA=0,QO_TMA=0,EPI_OVERLAP=0,BLOCK_N=64
               --params NUM_WG=2,PINGPONG=1 --params PERSIST=0,EPI_OVERLAP=0,BLOCK_N=64
               --params LPT_MB=8 --params NUM_WG=2,BLOCK_N=64,PINGPONG=1,PV_LAG=1 --params CLUSTER=2"
)
ops=${OPS:-softmax layernorm rmsnorm attention}
for op in $ops; do
  [[ -n ${shapes[$op]:-} ]] || { echo "sanitize_kernels: OPS: no edge shapes for '$op' (known: ${!shapes[*]})" >&2; exit 1; }
done
[[ -x $kpg ]] || { echo "sanitize_kernels: $kpg not found: build first (scripts/gpu_suite.sh) or set KPG" >&2; exit 1; }
command -v compute-sanitizer > /dev/null ||
  { echo "sanitize_kernels: compute-sanitizer not on PATH (it ships with the CUDA toolkit, in its bin/)" >&2; exit 1; }
mkdir -p "$out"
export KPG_CACHE_DIR="$out/cache"
status=0
summary=()
# sanitize TOOL NAME ARGS...: one `kpg run ARGS --check-only --in-process` under the tool,
# logged to $out/TOOL-NAME.log, summarised in one line.
sanitize() {
  local tool=$1 name=$2
  shift 2
  local log="$out/$tool-$name.log"
  compute-sanitizer --tool "$tool" --error-exitcode 99 --print-limit 20 --report-api-errors no \
    "$kpg" run "$@" --check-only --in-process > "$log" 2>&1
  local rc=$?
  local kernels line
  kernels=$(grep -c " ok " "$log" || true)
  line=$(grep -E "ERROR SUMMARY" "$log" | tail -1)
  summary+=("$(printf '%-10s %-16s exit %-3s %3s checks ok  %s' "$tool" "$name" "$rc" "$kernels" "$line")")
  [[ $rc -ne 0 ]] && status=1
}
for tool in ${TOOLS:-memcheck racecheck initcheck synccheck}; do
  for op in $ops; do
    # shellcheck disable=SC2086
    sanitize "$tool" "$op" "$op" ${shapes[$op]} --all-spaces
    # shellcheck disable=SC2086
    [[ -n ${points[$op]:-} ]] && sanitize "$tool" "$op-points" "$op" ${shapes[$op]} ${points[$op]}
  done
done
# The first reports of every failing log, in one file.
for log in "$out"/*.log; do
  if grep -q -E "^========= (Invalid|Error|Race|Uninitialized|Barrier|Program hit)" "$log"; then
    echo "--- $log"
    grep -E "^=========" "$log" | head -30
  fi
done > "$out/errors.txt"
echo "== compute-sanitizer summary ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)) =="
printf '%s\n' "${summary[@]}"
exit $status
