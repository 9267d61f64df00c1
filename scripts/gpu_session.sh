#!/usr/bin/env bash
# Stages of a GPU-machine call, run in the order given, each stage's result line printed as
# soon as it exists and again in the summary at the end:
#   suite    scripts/gpu_suite.sh: build build-gpu, every test (gpu label too), kpg doctor
#   launch   a cached op's time from process start to first launch (kpg run, 3 times)
#   watch    kpg watch save-to-result latency (scripts/watch_latency.sh)
#   limits   shapes too large for 32-bit indices: one message, exit 2, nothing allocated
#   memtests the memory-bound ops' GPU tests only (every candidate vs the reference;
#            $MEMTESTS narrows the ctest regex, e.g. "FusedOpsGpu.*softmax")
#   softmax  fused softmax tuned at mid and long rows, Triton/torch beside it
#   softmax_long  the same at 4096x8192 and the three long-row shapes only
#   softmax_lesson_long  kpg tutorial softmax at 128x262144 and 256x131072 (copy measured)
#   smem_checks  softmax split_smem at four points under the watchdog
#   fa_ws    flash attention stage 3 (wgmma_ws): watchdog checks, then tuned beside stage 2
#   fa_persist flash attention stage 3 with PERSIST=1: watchdog checks, then the stage-3 GPU tests
#   fa_rows  every tutorial attention row at head dim $FA_D (default 128), one tune each;
#            FA_PEERS=1 runs PyTorch SDPA (flash, cuDNN) on the same rows
#   layernorm fused layer norm tuned ($LN_DTYPE, default f16), Triton/torch beside it
#   budget   budgeted vs exhaustive search on attention (scripts/budget_gap.sh)
#   multi    tuning on 1 GPU and on every GPU (scripts/multi_gpu_bench.sh, attention)
#   sanitizer compute-sanitizer memcheck over every space's default (scripts/sanitize_kernels.sh)
#   docs     every kpg command of the docs, GPU ones included (scripts/check_docs.sh --gpu)
#   flush    how much of a 64 MB kernel's time is the L2 flush's write-backs
#            (scripts/peers/flush_study.py: copies and Triton LayerNorm, three flushes)
#   clusters what a cluster of 1..16 blocks costs a 64 KB-a-block copy, beside the clusters
#            the device holds at once (scripts/studies/cluster_packing.cu, built with nvcc)
#   profile  ncu on the configs that miss their bars (softmax long rows, LayerNorm f16)
#   all      kpg tutorial all --no-tune (default configs; the tuned tutorials take > 20 min):
#            the four tutorials end to end and their one report
# Usage: scripts/gpu_session.sh STAGE...   (default: suite launch watch limits docs)
# Logs: ${OUT:-results/session}/; keep them few: the device returns a handful of files.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-results/session}"
mkdir -p "$out"
kpg=build-gpu/cli/kpg
export KPG_CACHE_DIR="$out/cache"
summary=()
note() { summary+=("$*"); echo ">> $*"; }
t0=$SECONDS

ensure_built() {
  [[ -x $kpg ]] && return
  cmake -S . -B build-gpu -G Ninja -DKPG_BUILD_TESTS=ON > "$out/cmake.log" 2>&1
  ninja -C build-gpu -k 0 > "$out/build.log" 2>&1
  note "build exit $? at $((SECONDS - t0)) s"
}

stage_suite() {
  scripts/gpu_suite.sh > "$out/suite.log" 2>&1
  note "suite exit $?: $(grep -E 'tests passed|tests failed out of' "$out/suite.log" | tail -1); $(grep -E '^build exit' "$out/suite.log")"
  grep -E "^\s+[0-9]+ - .*(Failed|Not Run|Timeout)" "$out/suite.log" | head -20
}

stage_launch() {
  "$kpg" tune softmax --shape M=4096,N=781 > /dev/null 2>&1
  for i in 1 2 3; do
    note "cached softmax, run $i: $("$kpg" run softmax --shape M=4096,N=781 2>&1 | grep -E 'first launch')"
  done
}

stage_watch() {
  timeout 300 scripts/watch_latency.sh > "$out/watch.log" 2>&1
  note "watch latency exit $?:"
  grep -E "^(kernel edited|saved, no change|header edited)" "$out/watch.log" | sed 's/^/   /'
  grep -E "^(kernel edited|saved, no change|header edited)" "$out/watch.log" | sed 's/^/   /' > "$out/watch.summary"
  summary+=("$(cat "$out/watch.summary")")
}

stage_limits() {
  for args in "softmax --shape M=65536,N=65536" "layernorm --shape M=1048576,N=2048,dtype=f32"; do
    local text status
    text=$("$kpg" run $args 2>&1); status=$?
    note "kpg run $args: exit $status: $(tail -1 <<<"$text")"
  done
}

# Tunes the fused variant of OP at the shapes ("M,N,dtype" each) and runs the peers on them.
tune_fused_with_peers() {  # op shape...
  local op=$1
  shift
  local args=() s m n t
  for s in "$@"; do
    IFS=, read -r m n t <<<"$s"
    args+=(--shape "M=$m,N=$n,dtype=$t")
  done
  "$kpg" tune "$op" --variant fused "${args[@]}" --top 3 > "$out/tune-$op.log" 2>&1
  note "$op tune exit $?"
  grep -E "^\|    1 |chosen:|^$op/fused at M=.*candidates" "$out/tune-$op.log"
  python3 scripts/peers/peers.py "$op" --json "$out/peers-$op.json" --shapes "$@" > "$out/peers-$op.log" 2>&1
  tail -$# "$out/peers-$op.log"
}

# Only the memory-bound ops' GPU tests (every candidate against the reference): after a
# kernel change, before timing it.
stage_memtests() {
  ctest --test-dir build-gpu -R "${MEMTESTS:-FusedOpsGpu}" --output-on-failure -j 4 > "$out/memtests.log" 2>&1
  note "memory-bound GPU tests exit $?: $(grep -E 'tests passed|tests failed out of' "$out/memtests.log")"
  grep -E "Failure|Expected|which is|Failed" "$out/memtests.log" | head -20
}

stage_softmax() {
  tune_fused_with_peers softmax 4096,4096,f32 16384,4096,f32 4096,8192,f32 512,65536,f32 256,131072,f32 \
    128,262144,f32
}

stage_softmax_long() {
  tune_fused_with_peers softmax 4096,8192,f32 512,65536,f32 256,131072,f32 128,262144,f32
}

# The softmax lesson at the two longest rows: the copy bandwidth measured in the same
# run, fused against unfused, % of copy (after softmax_long, the fused choice is cached).
stage_softmax_lesson_long() {
  "$kpg" tutorial softmax --shape M=128,N=262144 --shape M=256,N=131072 \
    --results /tmp/kpg-softmax-lesson > "$out/lesson.log" 2>&1
  note "softmax lesson exit $?"
  grep -E "^\| [0-9]|Copy ceiling" "$out/lesson.log"  # the table's rows and the copy
}

# One point ("PARAMS SHAPE") of a space checked against the reference under the watchdog
# (a barrier or exchange mistake hangs); prints its line and returns kpg run's exit status.
watchdog_check() {  # label op variant space "params shape"
  local params s status
  read -r params s <<<"$5"
  timeout 120 "$kpg" run "$2" --variant "$3" --space "$4" --params "$params" --shape "$s" \
    --check-only --watchdog 20 > "$out/watchdog_check.log" 2>&1
  status=$?
  note "$1 $params $s: exit $status: $(grep -E 'unit\(s\)' "$out/watchdog_check.log")"
  return $status
}
ws_watchdog_check() { watchdog_check "$1" attention flash wgmma_ws "$2"; }

# Softmax split_smem (bulk copies and a grid-wide exchange) under the watchdog: the tuned
# shape, a ticket-heavy one, 16-bit types, and one row (SPLIT blocks only).
stage_smem_checks() {
  local p
  for p in "THREADS=512,SPLIT=16,BPS=3 M=128,N=262144" \
           "THREADS=256,SPLIT=16,BPS=6 M=61,N=65540" \
           "THREADS=1024,SPLIT=8,BPS=2 M=3,N=65544,dtype=f16" \
           "THREADS=512,SPLIT=32,BPS=4 M=1,N=262144,dtype=bf16"; do
    watchdog_check smem softmax fused split_smem "$p"
  done
}

# Flash attention stage 3 (space wgmma_ws): a few checks under the watchdog first (a
# barrier mistake hangs), then a tune at three shapes beside stages 1 and 2.
stage_fa_ws() {
  local p
  for p in "NUM_WG=2,BLOCK_N=128,STAGES=2,PINGPONG=0,PERSIST=0 B=1,H=2,N=1000,D=128,CAUSAL=1,dtype=f16" \
           "NUM_WG=2,BLOCK_N=64,STAGES=2,PINGPONG=1,PERSIST=0 B=1,H=2,N=127,D=64,CAUSAL=1,dtype=bf16" \
           "NUM_WG=3,BLOCK_N=64,STAGES=3,PINGPONG=0,PERSIST=0 B=1,H=2,N=4097,D=128,CAUSAL=1,dtype=f16" \
           "NUM_WG=2,BLOCK_N=128,STAGES=2,PINGPONG=1,PERSIST=0 B=2,H=4,N=4096,D=128,CAUSAL=0,dtype=f16"; do
    ws_watchdog_check fa_ws "$p"
  done
  timeout 240 "$kpg" tune attention --variant flash --top 5 --shape B=4,H=16,N=4096,D=128,CAUSAL=0,dtype=f16 \
    --shape B=4,H=32,N=4096,D=64,CAUSAL=0,dtype=f16 --shape B=4,H=16,N=4096,D=128,CAUSAL=1,dtype=f16 \
    > "$out/tune-fa.log" 2>&1
  note "fa tune exit $?"
  grep -E "^\|    [1-5] |chosen:|^attention/flash at B=.*candidates" "$out/tune-fa.log"
}

# Persistent stage 3 (PERSIST=1): a missed barrier phase hangs, so a few points run under
# the watchdog first; the stage-3 GPU tests (reference checks, persistent ones included) run
# only if none hung.
stage_fa_persist() {
  local p hung=0
  for p in "PERSIST=1,NUM_WG=2,BLOCK_N=128 B=2,H=17,N=1000,D=64,CAUSAL=0,dtype=f16" \
           "PERSIST=1,NUM_WG=2,BLOCK_N=128,PINGPONG=1 B=2,H=17,N=1000,D=128,CAUSAL=1,dtype=f16" \
           "PERSIST=1,NUM_WG=3,BLOCK_N=64,STAGES=3 B=4,H=64,N=127,D=64,CAUSAL=1,dtype=f16" \
           "PERSIST=1,NUM_WG=2,BLOCK_N=128 B=4,H=16,N=4096,D=128,CAUSAL=1,dtype=f16"; do
    ws_watchdog_check fa_persist "$p" || hung=1
  done
  if [[ $hung == 1 ]]; then note "fa_persist: a check failed, GPU tests not run"; return; fi
  ctest --test-dir build-gpu -R "WgmmaWs" --timeout 300 --output-on-failure -j 2 > "$out/fa_persist_tests.log" 2>&1
  note "stage-3 GPU tests exit $?: $(grep -E 'tests passed|tests failed out of' "$out/fa_persist_tests.log")"
  grep -E "Failure|Expected|which is|Failed" "$out/fa_persist_tests.log" | head -20
}

# The tutorial's attention rows at one head dim ($FA_D: 64 or 128) and causal setting
# ($FA_CAUSAL: "0", "1" or "0 1") and sequence lengths ($FA_N), one `kpg tune` per row so
# that a time limit loses at most the row it stops in. A row takes 20-100 s up to N=8192,
# more at 16384.
stage_fa_rows() {
  local d=${FA_D:-128} h n c rows=()
  h=$([[ $d == 64 ]] && echo 32 || echo 16)
  for c in ${FA_CAUSAL:-0 1}; do
    for n in ${FA_N:-512 1024 2048 4096 8192 16384}; do
      timeout $((n >= 16384 ? 330 : 150)) "$kpg" tune attention --variant flash --top 3 \
        --shape "B=4,H=$h,N=$n,D=$d,CAUSAL=$c,dtype=f16" > "$out/tune-fa-row.log" 2>&1
      note "fa D=$d N=$n causal=$c exit $?: $(grep -E '^\|    1 ' "$out/tune-fa-row.log")"
      grep -E '^\|    [23] ' "$out/tune-fa-row.log"
      rows+=("4,$h,$n,$d,$c,f16")
    done
  done
  if [[ -n ${FA_PEERS:-} ]]; then
    python3 scripts/peers/peers.py attention --json "$out/peers-attention.json" --shapes "${rows[@]}" \
      > "$out/peers-attention.log" 2>&1
    tail -${#rows[@]} "$out/peers-attention.log"
  fi
}

stage_layernorm() {  # $LN_DTYPE: f16 (default) or f32
  local t=${LN_DTYPE:-f16}
  tune_fused_with_peers layernorm 16384,768,$t 16384,1024,$t 16384,1600,$t 4096,4096,$t 4096,8192,$t \
    2048,12288,$t
}

stage_budget() {
  OUT="$out/budget" KPG="$kpg" timeout 300 scripts/budget_gap.sh attention --variant flash \
    --shape B=4,H=16,N=4096,D=128,CAUSAL=0,dtype=f16 > "$out/budget.log" 2>&1
  note "budget gap exit $?"
  tail -13 "$out/budget.log"
}

stage_multi() {
  OUT="$out/multi_gpu" KPG="$kpg" scripts/multi_gpu_bench.sh attention --variant flash \
    --shape B=4,H=16,N=4096,D=128,CAUSAL=0,dtype=f16 > "$out/multi_gpu.log" 2>&1
  note "$(tail -6 "$out/multi_gpu.log" | tr '\n' '|')"
}

stage_sanitizer() {
  OUT="$out/sanitizer" TOOLS=memcheck timeout 180 scripts/sanitize_kernels.sh > "$out/sanitizer.log" 2>&1
  note "memcheck: $(grep -E '^memcheck' "$out/sanitizer.log" | awk '{print $2": "$NF" "$(NF-1)}' | tr '\n' ' ')"
}

# One kernel launch of a kpg run configuration under Nsight Compute: the sections that say
# where a memory-bound kernel loses time (throughput, occupancy, warp stalls).
profile_one() {  # name kernel-regex kpg-run-args...
  local name=$1 kernel=$2
  shift 2
  timeout 120 ncu --kernel-name "regex:$kernel" --launch-count 1 \
    --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats \
    --section WarpStateStats --section SchedulerStats \
    "$kpg" run "$@" --in-process > "$out/profile-$name.log" 2>&1
  note "profile $name exit $?"
  grep -E "DRAM Throughput|Memory Throughput|Duration|Achieved Occupancy|Theoretical Occupancy|Registers Per|Block Limit|Stall|Warp Cycles Per Issued|Eligible Warps|No Eligible|Waves Per SM|L2 Hit" \
    "$out/profile-$name.log" | head -30
}

stage_profile() {
  profile_one softmax-128x262144 softmax_block softmax --variant fused --shape M=128,N=262144,dtype=f32 \
    --space block_per_row --params CLUSTER=16,THREADS=256
  profile_one softmax-512x65536 softmax_block softmax --variant fused --shape M=512,N=65536,dtype=f32 \
    --space block_per_row --params CLUSTER=4,THREADS=256
  profile_one layernorm-f16-4096 layernorm_block_lean layernorm --variant fused \
    --shape M=4096,N=4096,dtype=f16 --space block_lean --params THREADS=256,XF=0
}

stage_all() {
  local start=$SECONDS status
  timeout 500 "$kpg" tutorial all --no-tune --results "$out/all" > "$out/all.log" 2>&1
  status=$?
  note "tutorial all --no-tune exit $status in $((SECONDS - start)) s; $(ls "$out/all" | tr '\n' ' ')"
  grep -E "^(kpg tutorial|combined report)|wrong|refuse|error" "$out/all.log" | head -20
}

stage_flush() {
  (cd scripts/peers && timeout 300 python3 flush_study.py) > "$out/flush.log" 2>&1
  note "flush study exit $?"
  tail -12 "$out/flush.log"
}

stage_clusters() {
  "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" -std=c++17 -arch=sm_90 -O2 -o build-gpu/cluster_packing scripts/studies/cluster_packing.cu &&
    build-gpu/cluster_packing > "$out/clusters.log" 2>&1
  note "cluster packing study exit $?"
  cat "$out/clusters.log"
}

stage_docs() {
  KPG_BUILD_DIR=build-gpu timeout 500 scripts/check_docs.sh --gpu > "$out/docs.log" 2>&1
  note "docs --gpu exit $?: $(tail -1 "$out/docs.log")"
  grep -A6 "^FAILED" "$out/docs.log" | head -30
}

stages=("$@")
[[ ${#stages[@]} -eq 0 ]] && stages=(suite launch watch limits docs)
[[ ${stages[0]} == suite ]] || ensure_built  # suite builds build-gpu itself
for stage in "${stages[@]}"; do
  "stage_$stage"
  note "-- $stage done at $((SECONDS - t0)) s"
done

rm -rf "$out/cache" "$out/sanitizer/cache"
echo
echo "== session summary ($(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | tr '\n' ' '), $((SECONDS - t0)) s) =="
printf '%s\n' "${summary[@]}"
