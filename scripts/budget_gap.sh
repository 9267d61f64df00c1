#!/usr/bin/env bash
# Should you tune with `kpg tune --budget N`? On a GPU, this measures what a budget loses on
# your op and shape: one exhaustive tune (every candidate ranked), then budgets of 4, 8 and
# 16 with seeds 1-3, each on an empty tuning cache (sharing the exhaustive run's cubins, so
# they time only). Each budget's choice is looked up in the exhaustive ranking: its rank and
# its median there over the exhaustive best (same run, same conditions). The wall time of
# each run shows what the budget saves. docs/design/tuner.md describes the search.
# Usage: scripts/budget_gap.sh OP [kpg tune args...]
#   e.g. scripts/budget_gap.sh attention --shape B=4,H=16,N=4096,D=128,CAUSAL=0,dtype=f16
# Environment: KPG (the kpg to run; default ${KPG_BUILD_DIR:-build-gpu}/cli/kpg, as
# scripts/gpu_suite.sh builds it), OUT (a new or empty folder; default results/budget_gap).
# Output: $OUT/exhaustive.ranking (id, median ms, rank) and exhaustive-records.json (the
# tuning cache's records, to replay other search strategies on); the table is printed last.
# Exits 2 on a usage error, 1 when kpg is missing or the exhaustive tune fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if [[ $# -lt 1 || $1 == -* ]]; then
  echo "Usage: scripts/budget_gap.sh OP [kpg tune args...] (see the header of $0)" >&2
  exit 2
fi
kpg="${KPG:-${KPG_BUILD_DIR:-build-gpu}/cli/kpg}"
out="${OUT:-results/budget_gap}"
op=$1
shift
[[ -x $kpg ]] || { echo "budget_gap: $kpg not found: build first (scripts/gpu_suite.sh) or set KPG" >&2; exit 1; }
if [[ -e $out && -n $(ls -A "$out" 2>/dev/null) ]]; then
  echo "budget_gap: $out is not empty: set OUT to a new or empty folder" >&2
  exit 2
fi
mkdir -p "$out/exhaustive"

start=$SECONDS
KPG_CACHE_DIR="$out/exhaustive" "$kpg" tune "$op" "$@" --top 100000 > "$out/exhaustive.log" 2>&1 ||
  { echo "exhaustive tune failed:"; tail -20 "$out/exhaustive.log"; exit 1; }
exhaustive_s=$((SECONDS - start))
# Ranking rows: "|    1 | space:K=V,... |   0.1234 | ..." -> "id median rank"
ranking() { awk -F'|' '/^\| +[0-9]+ \|/ { gsub(/ /, "", $3); gsub(/ /, "", $4); print $3, $4, $2 + 0 }' "$1"; }
ranking "$out/exhaustive.log" > "$out/exhaustive.ranking"
ranked=$(wc -l < "$out/exhaustive.ranking")
best=$(head -1 "$out/exhaustive.ranking")

rows=()
for budget in 4 8 16; do
  for seed in 1 2 3; do
    dir="$out/budget$budget-seed$seed"
    mkdir -p "$dir" && ln -sfn "$(cd "$out/exhaustive" && pwd)/cubin" "$dir/cubin"
    start=$SECONDS
    KPG_CACHE_DIR="$dir" "$kpg" tune "$op" "$@" --budget "$budget" --seed "$seed" --top 1 > "$dir.log" 2>&1
    took=$((SECONDS - start))
    chosen=$(ranking "$dir.log" | head -1 | cut -d' ' -f1)
    read -r _ median rank < <(grep -F "$chosen " "$out/exhaustive.ranking" | head -1)
    ratio=$(awk -v m="${median:-nan}" -v b="$(cut -d' ' -f2 <<<"$best")" 'BEGIN { printf "%.3f", m / b }')
    rows+=("$(printf '| %6d | %4d | %5d s | %-50s | %4s of %d | %8s | %s |' "$budget" "$seed" "$took" "$chosen" \
      "${rank:-?}" "$ranked" "${median:-?}" "$ratio")")
    rm -rf "$dir" "$dir.log"
  done
done
# Every timed record (full params, median) stays, to replay other search strategies on it.
find "$out/exhaustive" -name '*.json' -not -path '*/cubin/*' -exec cat {} + > "$out/exhaustive-records.json"
rm -rf "$out/exhaustive" "$out/exhaustive.log"

echo "== budget vs exhaustive: kpg tune $op $* ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)) =="
echo "exhaustive: $ranked candidates ranked in $exhaustive_s s; best $(cut -d' ' -f1,2 <<<"$best") ms"
echo "| budget | seed | wall    | chosen                                             | rank in exhaustive | median ms | / best |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
