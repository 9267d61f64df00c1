#!/usr/bin/env bash
# Every shipped kernel under compute-sanitizer (memcheck, racecheck, initcheck, synccheck),
# on a GPU: the default configuration of every space of every variant
# (`kpg run --all-spaces --check-only --in-process`: one process, no watchdog, as the
# sanitizer slows kernels down), at small edge shapes (tails: 1, 781, 65537 columns,
# 97-token sequences) where out-of-bounds accesses, races and uninitialised reads show. Run
# it after changing a kernel. Prints one line per (tool, op) and a summary; exits 1 on any
# sanitizer error, and on a missing kpg or compute-sanitizer.
# Environment: KPG (default ${KPG_BUILD_DIR:-build-gpu}/cli/kpg, as scripts/gpu_suite.sh
# builds it), TOOLS (default: all four), OUT (logs: $OUT/<tool>-<op>.log and errors.txt;
# default results/sanitizer).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
kpg="${KPG:-${KPG_BUILD_DIR:-build-gpu}/cli/kpg}"
out="${OUT:-results/sanitizer}"
[[ -x $kpg ]] || { echo "sanitize_kernels: $kpg not found: build first (scripts/gpu_suite.sh) or set KPG" >&2; exit 1; }
command -v compute-sanitizer > /dev/null ||
  { echo "sanitize_kernels: compute-sanitizer not on PATH (it ships with the CUDA toolkit, in its bin/)" >&2; exit 1; }
mkdir -p "$out"
export KPG_CACHE_DIR="$out/cache"

declare -A shapes=(
  [softmax]="--shape M=3,N=1 --shape M=5,N=781 --shape M=2,N=65537"
  [layernorm]="--shape M=3,N=781,dtype=f16 --shape M=2,N=12289,dtype=f32"
  [rmsnorm]="--shape M=3,N=781,dtype=bf16 --shape M=2,N=12289,dtype=f32"
  [attention]="--shape B=1,H=2,N=97,D=64,CAUSAL=1,dtype=f16 --shape B=1,H=1,N=130,D=128,CAUSAL=0,dtype=bf16"
)
status=0
summary=()
for tool in ${TOOLS:-memcheck racecheck initcheck synccheck}; do
  for op in softmax layernorm rmsnorm attention; do
    log="$out/$tool-$op.log"
    # shellcheck disable=SC2086
    compute-sanitizer --tool "$tool" --error-exitcode 99 --print-limit 20 --report-api-errors no \
      "$kpg" run "$op" ${shapes[$op]} --all-spaces --check-only --in-process > "$log" 2>&1
    rc=$?
    kernels=$(grep -c " ok " "$log" || true)
    line=$(grep -E "ERROR SUMMARY" "$log" | tail -1)
    summary+=("$(printf '%-10s %-10s exit %-3s %3s checks ok  %s' "$tool" "$op" "$rc" "$kernels" "$line")")
    [[ $rc -ne 0 ]] && status=1
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
