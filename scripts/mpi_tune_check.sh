#!/usr/bin/env bash
# GPU check of kpg under MPI: the same tune run by one process and by `mpirun -n RANKS`
# ranks (on a 1-GPU machine the ranks share the GPU), each from an empty cache. Passes when
#   - both runs exit 0 and the MPI job leaves no partial cache behind,
#   - both caches hold the same tuning-cache files (same keys), each listing every
#     candidate once, the same candidates in both,
#   - each key's winner is the same candidate, or the MPI winner's time in the
#     one-process ranking is within timing noise of the one-process winner's.
# Prints a line per key, both wall times and a last line "VERDICT: PASS" or "VERDICT: FAIL".
# Usage: scripts/mpi_tune_check.sh [OP [kpg tune args...]]   (default: softmax at one shape)
# Environment: KPG (default build/cli/kpg, built with MPI), MPIRUN (default: mpirun on PATH),
#   RANKS (default 2), DEVICES (--devices of the one-process run, default 0; `all` sets
#   local workers on every GPU beside the ranks), NOISE_PCT (default 3: the least noise
#   allowed between two medians), OUT (logs and caches; default: a temporary folder,
#   removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
kpg="${KPG:-build/cli/kpg}"
mpirun="${MPIRUN:-mpirun}"
ranks="${RANKS:-2}"
op="${1:-softmax}"
shift || true
args=("$@")
# shellcheck disable=SC2054  # one flag and its value, the commas are the shape's
if [[ $# -eq 0 && "$op" == softmax ]]; then args=(--shape M=4096,N=8192,dtype=f32); fi
out="${OUT:-}"
if [[ -z "$out" ]]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/kpg-mpi-check.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
[[ -x "$kpg" ]] || { echo "mpi_tune_check: $kpg not found (set KPG)" >&2; exit 1; }
command -v "$mpirun" >/dev/null || { echo "mpi_tune_check: $mpirun not found (set MPIRUN)" >&2; exit 1; }

# As root (containers, CI) Open MPI needs these; --bind-to none keeps each rank's compile
# threads on every core rather than on one.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() {  # label cache command...
  local label=$1 cache=$2
  shift 2
  local start end rc=0
  start=$(date +%s.%N)
  KPG_CACHE_DIR="$out/$cache" "$@" > "$out/$cache.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  printf '%-28s exit %d, %6.1f s wall\n' "$label" "$rc" "$(awk "BEGIN { print $end - $start }")"
  if [[ $rc -ne 0 ]]; then echo "--- last lines of $cache.log"; tail -n 20 "$out/$cache.log"; fi
  return $rc
}
status=0
echo "== kpg tune $op ${args[*]}: one process vs mpirun -n $ranks ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1))"
run "one process (--devices ${DEVICES:-0})" one "$kpg" tune "$op" "${args[@]}" --devices "${DEVICES:-0}" || status=1
run "mpirun -n $ranks" ranks "$mpirun" --bind-to none --oversubscribe -n "$ranks" "$kpg" tune "$op" "${args[@]}" || status=1
grep -E "^tuned on|^  [^ ].*: rank|^timing took|lost its shard" "$out/ranks.log" || true

python3 - "$out/one/tuning" "$out/ranks/tuning" "${NOISE_PCT:-3}" "$out/ranks/partial" <<'EOF' || status=1
import json, os, sys
one_dir, two_dir, noise_floor, partial = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]

def load(root):
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if name.endswith(".json"):
                with open(os.path.join(dirpath, name)) as f:
                    files[os.path.relpath(os.path.join(dirpath, name), root)] = json.load(f)
    return files

one, two = load(one_dir), load(two_dir)
ok = True
if os.path.exists(partial) and os.listdir(partial):
    print(f"FAIL: the MPI job left partial caches in {partial}")
    ok = False
if not one or set(one) != set(two):
    print(f"FAIL: tuning-cache files differ: one process {sorted(one)}, ranks {sorted(two)}")
    ok = False
for name in sorted(set(one) & set(two)):
    h = one[name]["header"]
    label = f"{h['op']}/{h['variant']} at {h['shape']}"
    ids = {k: [r["candidate"] for r in f["records"]] for k, f in (("one", one[name]), ("two", two[name]))}
    if len(ids["two"]) != len(set(ids["two"])) or len(ids["one"]) != len(set(ids["one"])):
        print(f"FAIL {label}: a candidate is recorded more than once")
        ok = False
        continue
    if set(ids["one"]) != set(ids["two"]):
        print(f"FAIL {label}: candidates differ ({len(ids['one'])} vs {len(ids['two'])})")
        ok = False
        continue
    best = {}
    for k, f in (("one", one[name]), ("two", two[name])):
        passed = [r for r in f["records"] if r["ok"]]
        best[k] = min(passed, key=lambda r: r["median_ms"]) if passed else None
    if not best["one"] or not best["two"]:
        same = not best["one"] and not best["two"]
        print(f"{'ok  ' if same else 'FAIL'} {label}: {len(ids['one'])} candidates, none passed"
              f"{'' if same else ' in one of the runs'}")
        ok = ok and same
        continue
    a, b = best["one"], best["two"]
    if a["candidate"] == b["candidate"]:
        print(f"ok   {label}: {len(ids['one'])} candidates, each once; same winner {a['candidate']} "
              f"({a['median_ms']:.4f} ms vs {b['median_ms']:.4f} ms)")
        continue
    # Different winners: the MPI winner as one process measured it, against the one-process winner.
    b_in_one = next(r for r in one[name]["records"] if r["candidate"] == b["candidate"])
    noise = max(noise_floor, a["spread_pct"], b_in_one["spread_pct"] if b_in_one["ok"] else 0)
    gap = (b_in_one["median_ms"] / a["median_ms"] - 1) * 100 if b_in_one["ok"] else float("inf")
    within = gap <= noise
    print(f"{'ok  ' if within else 'FAIL'} {label}: {len(ids['one'])} candidates, each once; winners "
          f"{a['candidate']} (one process) and {b['candidate']} (ranks), {gap:.1f} % apart in the one-process "
          f"ranking ({'within' if within else 'beyond'} the {noise:.1f} % noise)")
    ok = ok and within
sys.exit(0 if ok else 1)
EOF
if [[ $status -eq 0 ]]; then echo "VERDICT: PASS"; else echo "VERDICT: FAIL (logs: $out; set OUT to keep them)"; fi
exit $status
