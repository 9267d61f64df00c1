#!/usr/bin/env bash
# One GPU-machine call that checks and measures this session's work, most important
# first, each stage's result line printed as soon as it exists and again in the summary:
#   1. build kpg and the test binaries (build-gpu)
#   2. GPU tests of what changed: every fused-op candidate on odd shapes, DRAM counter,
#      broken kernels, kpg watch
#   3. tuning on 1 GPU and on every GPU (scripts/multi_gpu_bench.sh, attention)
#   4. LayerNorm f16 and softmax at the shapes where we lost to Triton, peers side by side
#   5. compute-sanitizer memcheck, kpg watch latency, doc commands marked # GPU
# Logs: ${OUT:-results/session}/. Stages can be skipped: SKIP="multi sanitizer".
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-results/session}"
mkdir -p "$out"
kpg=build-gpu/cli/kpg
export KPG_CACHE_DIR="$out/cache"
summary=()
note() { summary+=("$*"); echo ">> $*"; }
skip() { [[ " ${SKIP:-} " == *" $1 "* ]]; }
t0=$SECONDS

cmake -S . -B build-gpu -G Ninja -DKPG_BUILD_TESTS=ON > "$out/cmake.log" 2>&1
ninja -C build-gpu -k 0 > "$out/build.log" 2>&1
note "build exit $? at $((SECONDS - t0)) s $(grep -m3 -E 'error|FAILED' "$out/build.log" | tr '\n' ' ')"

if ! skip tests; then
  for t in "kpg_tutorial_tests FusedOpsGpu.*:DramCounterGpu.*:FlashAttentionDefaultGpu.*" \
           "kpg_cli_tests BrokenKernelsGpu.*:*Watch*Gpu*"; do
    set -- $t
    build-gpu/tests/$1 --gtest_filter="$2" > "$out/$1.log" 2>&1
    note "$1 ($2) exit $?: $(grep -E '^\[  (PASSED|FAILED) ' "$out/$1.log" | tr '\n' ' ') $(grep -c '^\[  FAILED  \] [A-Z]' "$out/$1.log") failed"
  done
  grep -A3 "^\[  FAILED  \]" "$out"/kpg_*tests.log | head -20
fi

if ! skip multi; then
  OUT="$out/multi_gpu" scripts/multi_gpu_bench.sh attention --shape B=4,H=16,N=4096,D=128,CAUSAL=0,dtype=f16 \
    > "$out/multi_gpu.log" 2>&1
  tail -7 "$out/multi_gpu.log"
  note "$(tail -6 "$out/multi_gpu.log" | tr '\n' '|')"
fi

if ! skip perf; then
  ln_shapes=(M=16384,N=768,dtype=f16 M=4096,N=4096,dtype=f16 M=4096,N=8192,dtype=f16 M=2048,N=12288,dtype=f16)
  sm_shapes=(M=4096,N=2048 M=512,N=65536 M=256,N=131072 M=128,N=262144)
  args=(); for s in "${ln_shapes[@]}"; do args+=(--shape "$s"); done
  $kpg tune layernorm --variant fused "${args[@]}" --top 3 > "$out/tune-layernorm.log" 2>&1
  args=(); for s in "${sm_shapes[@]}"; do args+=(--shape "$s"); done
  $kpg tune softmax --variant fused "${args[@]}" --top 3 > "$out/tune-softmax.log" 2>&1
  for f in "$out"/tune-layernorm.log "$out"/tune-softmax.log; do
    grep -E "^(softmax|layernorm)/fused at|chosen:|^\|    1 " "$f"
  done
  python3 scripts/peers/peers.py layernorm --json "$out/peers-layernorm.json" \
    --shapes 16384,768,f16 4096,4096,f16 4096,8192,f16 2048,12288,f16 > "$out/peers-layernorm.log" 2>&1
  python3 scripts/peers/peers.py softmax --json "$out/peers-softmax.json" \
    --shapes 4096,2048,f32 512,65536,f32 256,131072,f32 128,262144,f32 > "$out/peers-softmax.log" 2>&1
  tail -8 "$out/peers-layernorm.log" "$out/peers-softmax.log"
  note "perf stage done at $((SECONDS - t0)) s"
fi

if ! skip sanitizer; then
  OUT="$out/sanitizer" TOOLS=memcheck timeout 120 scripts/sanitize_kernels.sh > "$out/sanitizer.log" 2>&1
  note "memcheck: $(grep -E '^memcheck' "$out/sanitizer.log" | awk '{print $2": "$NF" "$(NF-1)}' | tr '\n' ' ')"
  head -20 "$out/sanitizer/errors.txt" 2>/dev/null
fi

if ! skip docs; then
  KPG_BUILD_DIR=build-gpu timeout 150 scripts/check_docs.sh --gpu > "$out/docs.log" 2>&1
  note "docs --gpu exit $?: $(tail -1 "$out/docs.log")"
  grep -A4 "^FAILED" "$out/docs.log" | head -20
fi

rm -rf "$out/cache" "$out/sanitizer/cache"
echo
echo "== session summary ($(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | tr '\n' ' '), $((SECONDS - t0)) s) =="
printf '%s\n' "${summary[@]}"
