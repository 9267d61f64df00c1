#!/usr/bin/env bash
# Tries kpg with bad input and faults, the way a new user meets it, on any machine: the
# GPU driver is hidden (KPG_DRIVER_LIBRARY points nowhere), so no GPU is needed. Each case
# runs the built kpg in a scratch folder and checks the exit code, the message and what is
# left on disk; no message may show a library's exception text or a sanitizer report.
# Prints one line per failed case and a table of the classes (how many cases, what kpg
# does), which docs/RELIABILITY.md holds between its reliability-table markers.
#
#   scripts/reliability.sh                      run every case, print the table
#   scripts/reliability.sh --update-doc FILE    ... and write the table into FILE
#   scripts/reliability.sh --check-doc FILE     ... and fail if FILE holds another table
#   options: --kpg PATH (default: ${KPG_BUILD_DIR:-build}/cli/kpg), -v (every case's output)
#
# A case that needs what the machine does not allow (mounting a small tmpfs for a full
# disk, a second user for an unreadable folder) is reported as not run; it still counts
# in the table, which lists the cases that exist. Exit 1 when a case failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kpg="${KPG_BUILD_DIR:-build}/cli/kpg"
mode=print doc="" verbose=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --kpg) kpg=$2; shift 2 ;;
    --update-doc) mode=update; doc=$2; shift 2 ;;
    --check-doc) mode=check; doc=$2; shift 2 ;;
    -v) verbose=1; shift ;;
    *) echo "reliability.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ "$kpg" = /* ]] || kpg="$repo/$kpg"
if [[ ! -x "$kpg" ]]; then
  echo "reliability.sh: $kpg not found; build first (scripts/build.sh) or pass --kpg" >&2
  exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpg-reliability.XXXXXX")
trap 'chmod -R u+rwx "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
chmod 755 "$scratch"
work="$scratch/work"  # the current folder of every case
mkdir "$work"

# --- the classes, in table order: name | what kpg does ---------------------------------
classes=(
  "commands|Unknown commands and flags, flags that do not go together|exit 2, naming the command or flag and what is expected"
  "values|Malformed flag values (--shape, --params, --devices, --watchdog, counts, -D, --arch, --dtype)|exit 2 before any GPU is touched, naming the flag and the piece that is wrong"
  "names|Names the op does not have (op, variant, space, param, dim)|exit 2, listing the ones it has"
  "configs|Broken op configs (YAML syntax, unknown keys, types, expressions, missing kernel file)|exit 2 with file:line:column and the key"
  "kernels|Launches of a kernel the source does not define|exit 2 without a GPU, at the YAML's file:line:column of \`kernel:\`"
  "pruned|Grids pruned to nothing (constraints, launch limits, division by zero, overflow)|exit 2, counting the candidates each reason pruned"
  "compile|Kernel sources that do not compile|exit 2 with NVRTC's log and the offending source lines"
  "inputs|Input files that cannot be read (missing, a folder, a FIFO, no permission)|exit 2, naming the path and the reason; a FIFO is not waited on"
  "outputs|Output paths that are no regular file (device, FIFO, folder, symlinks, missing folder, full disk)|refused with exit 2 and left as they were; a symlink to a file is followed; nothing half-written, no temp file"
  "clear|\`kpg cache clear\` given paths, \`..\`, symlinks or ops the cache does not hold|exit 2 and nothing removed; only files kpg wrote are ever removed"
  "damaged|Damaged cache entries (corrupt, truncated, compiled from another source, a folder, an older kpg's)|reported in plain words (an older kpg's entry is replaced quietly), treated as a miss and rebuilt; exit 0"
  "cachedir|Cache folders: no HOME, a folder other users can write or planted as a symlink, a file|a private per-user folder (0700); an unsafe one is refused with exit 2 (\`kpg doctor\` shows why)"
  "driver|No GPU driver, or the CUDA stub library in its place|GPU commands exit 1 with one line saying what to do; compile, watch, cache and doctor work"
  "killed|\`kill -9\` during a compile|the next run finds the cache intact (a hit or a clean rebuild)"
)
declare -A count=() failed=() skipped=()
for c in "${classes[@]}"; do count[${c%%|*}]=0; failed[${c%%|*}]=0; skipped[${c%%|*}]=0; done
failures=()

# Texts that give away a library's exception, an internal code or a sanitizer report.
forbidden='json\.exception|basic_filebuf|filesystem error:|failed with [0-9]|std::|what\(\):|179769313486231570|AddressSanitizer|runtime error:|LeakSanitizer'

out="" status=0
# Runs kpg in $work with the scratch cache, no driver and no CUPTI (these cases are about
# input and faults; and LeakSanitizer, in CI's sanitized build, crashes scanning a loaded
# CUPTI's thread-local storage at exit); env assignments may come first (as `env` takes
# them). Leaves the output in $out and the exit code in $status.
run_kpg() {
  local envs=()
  while [[ $# -gt 0 && "$1" == *=* && "$1" != -* ]]; do envs+=("$1"); shift; done
  set +e
  out=$(cd "$work" && env KPG_CACHE_DIR="$scratch/cache" KPG_DRIVER_LIBRARY=/nonexistent/libcuda.so.1 \
          KPG_CUPTI_LIBRARY=/nonexistent/libcupti.so KPG_LOG=warn \
          ${envs[@]+"${envs[@]}"} timeout 120 "$kpg" "$@" 2>&1)
  status=$?
  set -e
}

# case_ CLASS EXIT TEXT [VAR=VALUE...] ARGS...: kpg ARGS must exit EXIT, its output must
# hold TEXT (unless empty) and no forbidden text. Further checks of the same case: holds.
current="" current_ok=1 current_what=""
case_() {
  finish_case
  current=$1 current_what="kpg ${*:4}"
  local want=$2 text=$3
  shift 3
  run_kpg "$@"
  current_ok=1
  local why=""
  [[ $status -eq $want ]] || why="exit $status, expected $want"
  [[ -z "$text" || "$out" == *"$text"* ]] || why="${why:+$why; }no '$text' in the output"
  if grep -Eq "$forbidden" <<<"$out"; then why="${why:+$why; }a library's text: $(grep -Eo "$forbidden" <<<"$out" | head -1)"; fi
  [[ -z "$why" ]] || fail "$why"
  if [[ $verbose -eq 1 ]]; then printf -- '--- %s (exit %d)\n%s\n' "$current_what" "$status" "$out"; fi
}
# holds DESCRIPTION TEST...: a further check of the current case (TEST runs as a command).
holds() {
  local what=$1
  shift
  "$@" || fail "$what"
}
fail() {
  current_ok=0
  failures+=("[$current] $current_what: $1"$'\n'"$(tail -n 8 <<<"$out" | sed 's/^/    | /')")
}
# begin_case CLASS WHAT: a case that runs kpg its own way; fail and holds judge it.
begin_case() {
  finish_case
  current=$1 current_what=$2 current_ok=1
}
# not_run CLASS WHAT WHY: a case this machine cannot run.
not_run() {
  finish_case
  count[$1]=$((count[$1] + 1))
  skipped[$1]=$((skipped[$1] + 1))
  echo "not run here [$1] $2: $3"
}
finish_case() {
  if [[ -n "$current" ]]; then
    count[$current]=$((count[$current] + 1))
    [[ $current_ok -eq 1 ]] || failed[$current]=$((failed[$current] + 1))
  fi
  current=""
}
no_temp_files() { ! find "$1" -name '*tmp*' -newer "$scratch/started" | grep -q .; }
touch "$scratch/started"

# A small op, shared with the CLI tests: tests/data/copy.yaml (variants plain, the reference,
# and tuned over THREADS), its copy.cu and the two headers that copy.cu includes.
write_op() {  # write_op FOLDER [SED-EXPRESSION applied to the YAML]
  mkdir -p "$1"
  cp "$repo"/tests/data/{copy.yaml,copy.cu,copy_common.cuh,copy_math.cuh} "$1/"
  if [[ $# -gt 1 ]]; then sed -i "$2" "$1/copy.yaml"; fi
}
op_with() {  # op_with NAME SED-EXPRESSION: a copy op in $work/NAME, its YAML edited; prints the YAML's path
  write_op "$work/$1" "$2"
  echo "$work/$1/copy.yaml"
}
constrained() { op_with "$1" "s/^    default: {THREADS: 128}\$/    default: {THREADS: 128}\n    constraints:\n      - $2/"; }

# --- commands -------------------------------------------------------------------------
case_ commands 2 "unknown command 'frobnicate'" frobnicate
case_ commands 2 "unknown command 'frob' of kpg cache" cache frob
case_ commands 2 "--frob" tune softmax --frob
case_ commands 2 "a kernel FILE (or --all) is required" compile
case_ commands 2 "nope" tutorial nope
case_ commands 2 "give a kernel FILE or --all, not both" compile --all examples/vector_add.cu
case_ commands 2 "apply to one kernel FILE, not to --all" compile --all -o x.cubin
case_ commands 2 "--all-spaces runs each space's default" run softmax --all-spaces --space warp
case_ commands 2 "--theory applies to the memory-analysis lesson only" tutorial softmax --theory

# --- malformed values -------------------------------------------------------------------
for shape in "M=0,N=5|M: must be >= 1" "|--shape: empty" "=,,==|'=' has no dim name before '='" \
             "M=1,M=2,N=3|given twice" "M=abc,N=1|expected an integer, got 'abc'" "M=1|missing dim N" \
             "M=99999999999,N=1|does not fit the kernels' int32 arguments" "M=4,N=4,dtype=f64|expected f32, f16 or bf16"; do
  case_ values 2 "${shape#*|}" run softmax --shape "${shape%%|*}"
done
case_ values 2 "M: must be >= 1" tune softmax --shape M=0,N=5
for params in "THREADS=128abc|'128abc' is not an integer" "THREADS=1=2|'1=2' is not an integer" \
              "=5|the name before '=' is missing" "THREADS=1,THREADS=2|THREADS is given twice" \
              "|--params '': empty" "THREADS=1,,VEC=2|an empty entry" "THREADS|expected NAME=INTEGER"; do
  case_ values 2 "${params#*|}" run softmax --params "${params%%|*}"
done
for devices in foo 0,-1 "" 0,,1; do
  case_ values 2 "is not a GPU ordinal" tune softmax --devices "$devices"
done
for seconds in 0 -1 inf nan 1e400 abc; do
  case_ values 2 "expected seconds above 0 and at most 86400" tune softmax --watchdog "$seconds"
done
case_ values 2 "expected seconds above 0 and at most 86400" run softmax --watchdog nan
case_ values 2 "--top: expected a whole number" tune softmax --top -1
case_ values 2 "--budget: expected a whole number" tune softmax --budget -3
case_ values 2 "--seed: expected a whole number" run softmax --seed 1e3
case_ values 2 "--seed: expected a whole number" tune softmax --seed 99999999999999999999999
case_ values 2 "--jobs: expected a whole number" compile --all -j -1
case_ values 2 "--debounce-ms" watch softmax --once --debounce-ms -5
case_ values 2 "-D '1BAD=2': expected NAME or NAME=VALUE" compile examples/vector_add.cu -D 1BAD=2
case_ values 2 "is not supported by NVRTC" compile examples/vector_add.cu --arch sm_99
case_ values 2 "invalid GPU architecture 'foo'" compile examples/vector_add.cu --arch foo
case_ values 2 "-I $work/nowhere: no such folder" compile examples/vector_add.cu -I "$work/nowhere"
case_ values 2 "'f64' is not a dtype of softmax" watch softmax --once --dtype f64
case_ values 2 "--dtype" tutorial softmax --dtype f64
case_ values 2 "unknown card 'foo'" tutorial memory-analysis --theory --card foo

# --- names the op does not have -----------------------------------------------------------
case_ names 2 "unknown op" tune nope
case_ names 2 "no variant 'nope'" tune softmax --variant nope
case_ names 2 "no variant 'nope'" run softmax --variant nope
case_ names 2 "no variant 'nope'" watch softmax --once --variant nope
case_ names 2 "--space 'nope'" run softmax --variant fused --space nope
case_ names 2 "--params FOO: no space" run softmax --params FOO=1
case_ names 2 "K: unknown dim; softmax has dims M, N" run softmax --shape K=1,M=1,N=1
case_ names 2 "not an op name" cache list ../x

# --- broken configs -----------------------------------------------------------------------
yaml=$(op_with cfg-syntax 's/^dims: \[N\]$/dims: [N/')
case_ configs 2 "copy.yaml:" watch "$yaml" --once
yaml=$(op_with cfg-key 's/^dtypes: \[f32\]$/dtypes: [f32]\ncolour: blue/')
case_ configs 2 "colour" watch "$yaml" --once
yaml=$(op_with cfg-type 's/THREADS: \[64, 128, 256\]/THREADS: many/')
case_ configs 2 "variants.tuned.params.THREADS" watch "$yaml" --once
yaml=$(op_with cfg-name 's/ceil_div: \[N, THREADS\]/ceil_div: [N, THREDS]/')
case_ configs 2 "THREDS" watch "$yaml" --once
yaml=$(op_with cfg-source 's/^source: copy.cu$/source: nowhere.cu/')
case_ configs 2 "kernel file 'nowhere.cu' not found" watch "$yaml" --once
yaml=$(op_with cfg-source-folder 's/^source: copy.cu$/source: folder.cu/')
mkdir -p "$(dirname "$yaml")/folder.cu"
case_ configs 2 "source: cannot read kernel file $(dirname "$yaml")/folder.cu: it is a folder, not a file" watch "$yaml" --once

# --- kernels the source lacks -------------------------------------------------------------
yaml=$(op_with kernel-typo 's/kernel: copy_tuned/kernel: copy_tunned/')
case_ kernels 2 "copy.yaml:$(grep -n copy_tunned "$yaml" | cut -d: -f1):" watch "$yaml" --once
holds "the message names the missing kernel" grep -q "no kernel named 'copy_tunned'" <<<"$out"
case_ kernels 2 "no kernel named 'copy_tunned'" --configs-dir "$(dirname "$yaml")" compile --all

# --- grids pruned to nothing ----------------------------------------------------------------
yaml=$(constrained prune-le '{le: [N, 64]}')
case_ pruned 2 "all 3 candidates were pruned: 3 by constraint {le: [N, 64]}" watch "$yaml" --once --variant tuned
yaml=$(constrained prune-div '{eq: [{mod: [N, {sub: [THREADS, THREADS]}]}, 0]}')
case_ pruned 2 "division by zero in mod" watch "$yaml" --once --variant tuned
yaml=$(constrained prune-overflow '{lt: [{mul: [N, N, N, N, N, N]}, 1]}')
case_ pruned 2 "overflow in mul" watch "$yaml" --once --variant tuned
yaml=$(op_with prune-block 's/block: \[THREADS\]/block: [{mul: [THREADS, 64]}]/')
case_ pruned 2 "3 by launch copy_tuned: block dimension x above 1024" watch "$yaml" --once --variant tuned
yaml=$(constrained prune-all '{le: [N, 64]}')
case_ pruned 2 "no configuration passes the constraints" --configs-dir "$(dirname "$yaml")" compile --all

# --- kernel sources that do not compile -----------------------------------------------------
printf 'extern "C" __global__ void broken(float* x) {\n  x[0] = undeclared;\n}\n' >"$work/broken.cu"
case_ compile 2 "offending source lines" compile broken.cu
yaml=$(op_with compile-error 's/^description: .*/description: broken/')
sed -i 's/y\[i\] = x\[i\];/y[i] = x[i] +;/' "$(dirname "$yaml")/copy.cu"
case_ compile 2 "COMPILE ERROR" watch "$yaml" --once

# --- input files ------------------------------------------------------------------------------
mkdir -p "$work/folder.cu" "$work/folder.yaml"
mkfifo "$work/fifo.cu"
case_ inputs 2 "kernel file 'missing.cu' not found (looked in the current folder and" compile missing.cu
case_ inputs 2 "cannot read kernel file folder.cu: it is a folder, not a file" compile folder.cu
case_ inputs 2 "cannot read kernel file fifo.cu: it is a FIFO (named pipe), not a file" compile fifo.cu
case_ inputs 2 "folder.yaml: cannot read the config file: it is a folder, not a file" tune folder.yaml
case_ inputs 2 "missing.yaml: cannot read the config file: No such file or directory" tune missing.yaml
case_ inputs 2 "cannot list the configs folder $work/nowhere" --configs-dir "$work/nowhere" tune softmax
case_ inputs 2 "kernel file 'softmax/warp_per_row.cu' not found" --kernels-dir "$work/nowhere" tune softmax
# No permission: as a second user when this one is root (root may read anything).
mkdir -p "$work/locked" && cp "$work/broken.cu" "$work/locked/k.cu" && chmod 700 "$work/locked"
as_other=()
if [[ $(id -u) -eq 0 ]]; then
  if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups "$kpg" --version >/dev/null 2>&1; then
    as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  fi
else
  chmod 000 "$work/locked"
fi
if [[ $(id -u) -ne 0 || ${#as_other[@]} -gt 0 ]]; then
  mkdir -p "$scratch/cache" && chmod 777 "$scratch/cache"
  set +e
  out=$(cd "$work" && env KPG_CACHE_DIR="$scratch/cache" KPG_DRIVER_LIBRARY=/nonexistent ${as_other[@]+"${as_other[@]}"} \
          "$kpg" compile locked/k.cu 2>&1)
  status=$?
  set -e
  begin_case inputs "kpg compile locked/k.cu (no permission)"
  [[ $status -eq 2 && "$out" == *"cannot read kernel file locked/k.cu: Permission denied"* ]] || fail "exit $status"
else
  not_run inputs "a folder without permission" "root, and no second user can run $kpg"
fi
chmod 700 "$work/locked"

# --- output paths -----------------------------------------------------------------------------
compile_to() { case_ outputs "$1" "$2" compile examples/vector_add.cu -o "$3"; }
mkfifo "$work/out.fifo"
compile_to 2 "it is a FIFO (named pipe); kpg writes regular files only" out.fifo
holds "the FIFO is left as it was" test -p "$work/out.fifo"
mkdir "$work/out.d"
compile_to 2 "it is a folder" out.d
holds "the folder is left as it was" test -d "$work/out.d"
if [[ $(id -u) -eq 0 ]]; then
  mknod "$work/full" c 1 7  # /dev/full's numbers, in the scratch folder
  compile_to 2 "it is a character device" full
  holds "the device node is left as it was" test -c "$work/full"
else
  compile_to 2 "it is a character device" /dev/null  # not this user's to replace anyway
fi
echo old >"$work/target.cubin" && ln -s "$work/target.cubin" "$work/link.cubin"
compile_to 0 "wrote link.cubin" link.cubin
holds "the symlink stays, its target holds the cubin" test -L "$work/link.cubin" -a "$(head -c 4 "$work/target.cubin" | tail -c 3)" = ELF
ln -s "$work/nowhere/x.cubin" "$work/dangling.cubin"
compile_to 2 "which does not exist; kpg does not replace a symlink" dangling.cubin
holds "the dangling symlink stays" test -L "$work/dangling.cubin"
compile_to 2 "folder $work/nowhere does not exist" "$work/nowhere/x.cubin"
cp "$work/broken.cu" "$work/own.cu"
case_ outputs 2 "is the kernel source itself" compile own.cu -o own.cu
holds "the source is left as it was" cmp -s "$work/broken.cu" "$work/own.cu"
set +e
(cd "$work" && KPG_CACHE_DIR="$scratch/cache" KPG_DRIVER_LIBRARY=/nonexistent "$kpg" compile examples/vector_add.cu -o - >"$scratch/stdout.bin" 2>"$scratch/stderr.txt")
status=$?
set -e
begin_case outputs "kpg compile examples/vector_add.cu -o -"
out=$(cat "$scratch/stderr.txt")
[[ $status -eq 0 && "$(head -c 4 "$scratch/stdout.bin" | tail -c 3)" == ELF && ! -e "$work/-" ]] || fail "exit $status, or no image on standard output"
echo x >"$work/a-file"
case_ outputs 2 "$work/a-file is a file, not a folder" tutorial memory-analysis --theory --results "$work/a-file/sub"
case_ outputs 2 "$work/a-file is a file, not a folder" run softmax --save-io "$work/a-file/io"
mkfifo "$work/report.html"
case_ outputs 2 "FIFO" tune softmax --html "$work/report.html"
case_ outputs 0 "" tutorial memory-analysis --theory --results "$work/results"
holds "the results are written" test -n "$(ls -A "$work/results")"
# A full disk: a 4 KiB tmpfs (smaller than the cubin) in a mount namespace of our own.
mkdir "$work/small"
unshare_cmd=(unshare -m)
[[ $(id -u) -eq 0 ]] || unshare_cmd=(unshare -r -m)
if command -v unshare >/dev/null && "${unshare_cmd[@]}" sh -c "mount -t tmpfs -o size=4k tmpfs '$work/small'" 2>/dev/null; then
  set +e
  out=$(cd "$work" && KPG_CACHE_DIR="$scratch/cache" KPG_DRIVER_LIBRARY=/nonexistent "${unshare_cmd[@]}" sh -c \
          'mount -t tmpfs -o size=4k tmpfs "$1" && "$2" compile examples/vector_add.cu -o "$1/x.cubin"; s=$?; echo "left:[$(ls -A "$1")]"; exit $s' \
          sh "$work/small" "$kpg" 2>&1)
  status=$?
  set -e
  begin_case outputs "kpg compile ... -o FULL-DISK/x.cubin"
  [[ $status -eq 2 && "$out" == *"cannot write $work/small/x.cubin: No space left on device"* && "$out" == *"left:[]"* ]] ||
    fail "exit $status"
else
  not_run outputs "a full disk" "no tmpfs can be mounted here (unshare -m)"
fi
begin_case outputs "no temp file left in the scratch folder"
out=""
holds "no *tmp* file left behind" no_temp_files "$work"

# --- kpg cache clear ---------------------------------------------------------------------------
mkdir -p "$scratch/victim" "$scratch/victim2" "$scratch/cache/tuning"
echo "the user's work" >"$scratch/victim/precious.txt"
echo "more of it" >"$scratch/victim2/precious.txt"
victims_intact() { test -f "$scratch/victim/precious.txt" -a -f "$scratch/victim2/precious.txt"; }
case_ clear 2 "is not an op name" cache clear "$scratch/victim"
holds "the folder named is intact" victims_intact
case_ clear 2 "is not an op name" cache clear ../../victim2
holds "the folder named is intact" victims_intact
case_ clear 2 "is not an op name" cache clear ..
case_ clear 2 "holds no records of op 'softmax'" cache clear softmax
ln -s "$scratch/victim" "$scratch/cache/tuning/evil"
case_ clear 0 "removed 0 tuning-cache files" cache clear
holds "a symlink in the cache is not followed" victims_intact
case_ clear 2 "holds no records of op 'evil'" cache clear evil --cubins
mkdir -p "$scratch/cache/tuning/copy" "$scratch/cache/cubin"
echo '{}' >"$scratch/cache/tuning/copy/tuned-0123456789abcdef.json"
echo "notes" >"$scratch/cache/tuning/copy/notes.txt"
echo "notes" >"$scratch/cache/cubin/notes.txt"
run_kpg cache list >/dev/null  # moves the damaged file aside
echo "notes" >"$scratch/cache/tuning/copy/more-notes.txt"
case_ clear 0 "removed" cache clear --cubins
holds "files kpg did not write stay" test -f "$scratch/cache/tuning/copy/notes.txt" -a -f "$scratch/cache/cubin/notes.txt"
rm -rf "$scratch/cache"

# --- damaged cache entries -------------------------------------------------------------------------
run_kpg compile examples/vector_add.cu
first=$(find "$scratch/cache/cubin" -name '*.bin' 2>/dev/null | head -1)  # the one entry
[[ -n "$first" ]] || first="$scratch/cache/cubin/missing.bin"
printf '\x5a' | dd of="$first" bs=1 seek=200 conv=notrunc status=none 2>/dev/null || true
case_ damaged 0 "is corrupt (checksum mismatch); deleted, recompiling" compile examples/vector_add.cu
truncate -s 100 "$first" 2>/dev/null || true
case_ damaged 0 "is corrupt" compile examples/vector_add.cu
run_kpg compile examples/vector_add.cu -D SCALE=2.0f
other=$(find "$scratch/cache/cubin" -name '*.bin' ! -path "$first" 2>/dev/null | head -1)
[[ -n "$other" ]] || other="$scratch/cache/cubin/missing-other.bin"
cp "$other" "$first" 2>/dev/null || true  # another source's entry under this source's key
case_ damaged 0 "was compiled from something else" compile examples/vector_add.cu
differ() { ! cmp -s "$1" "$2"; }
holds "the entry was rebuilt" differ "$other" "$first"
rm -f "$first" && mkdir -p "$first" 2>/dev/null || true
case_ damaged 0 "cache miss" compile examples/vector_add.cu
rm -rf "$first" && run_kpg compile examples/vector_add.cu
printf 'KPGCUB01' | dd of="$first" bs=1 conv=notrunc status=none 2>/dev/null || true  # an older kpg's entry
case_ damaged 0 "cache miss" compile examples/vector_add.cu
holds "an older kpg's entry is replaced without a warning" test -z "$(grep -E 'corrupt|warning' <<<"$out")"
mkdir -p "$scratch/cache/tuning/copy"
echo '{not json' >"$scratch/cache/tuning/copy/tuned-0123456789abcdef.json"
case_ damaged 0 "is damaged (parse error" cache list
echo '{"format": "kpg-tuning-cache", "version": 1}' >"$scratch/cache/tuning/copy/tuned-0123456789abcdee.json"
case_ damaged 0 "is damaged" cache show
rm -rf "$scratch/cache"

# --- cache folders -----------------------------------------------------------------------------------
private="$scratch/kpg-cache-$(id -u)"
nohome() { case_ cachedir "$1" "$2" TMPDIR="$scratch" HOME= XDG_CACHE_HOME= KPG_CACHE_DIR= compile examples/vector_add.cu; }
nohome 0 ""
holds "the cache is a private folder (0700)" test "$(stat -c %a "$private" 2>/dev/null)" = 700
mkdir -p "$private" && chmod 777 "$private"
nohome 2 "can be written by other users; set KPG_CACHE_DIR"
case_ cachedir 0 "cache dir                unusable: the cache folder" TMPDIR="$scratch" HOME= XDG_CACHE_HOME= KPG_CACHE_DIR= doctor
rm -rf "$private" && ln -s "$work" "$private"
nohome 2 "is not a folder (a symlink or a file is there)"
case_ cachedir 2 "set KPG_CACHE_DIR" KPG_CACHE_DIR="$work/a-file" cache list

# --- drivers ---------------------------------------------------------------------------------------------
case_ driver 1 "no CUDA driver" tune softmax
holds "one line" test "$(wc -l <<<"$out")" -eq 1
case_ driver 1 "no CUDA driver" run softmax
case_ driver 1 "no CUDA driver" tutorial softmax
case_ driver 0 "compile-only rounds" watch softmax --once --variant fused
case_ driver 0 "no GPU: compile, cache, watch (compile only) and tutorial memory-analysis --theory work" doctor
case_ driver 0 "no GPU: module not loaded" compile examples/vector_add.cu
stub=""
for s in /usr/local/cuda/lib64/stubs/libcuda.so /usr/local/cuda/targets/*/lib/stubs/libcuda.so; do [[ -e $s ]] && stub=$s; done
if [[ -n "$stub" ]]; then
  case_ driver 1 "is the CUDA toolkit's stub library, not the NVIDIA driver" KPG_DRIVER_LIBRARY="$stub" tune softmax
  case_ driver 0 "stub library" KPG_DRIVER_LIBRARY="$stub" doctor
else
  not_run driver "the CUDA stub library" "no stubs/libcuda.so in the toolkit"
  not_run driver "doctor with the stub library" "no stubs/libcuda.so in the toolkit"
fi

# --- kill -9 during a compile ---------------------------------------------------------------------------
for delay in 0.02 0.05 0.1 0.2 0.4; do
  define="KILLED=${delay/./_}"
  (cd "$work" && KPG_CACHE_DIR="$scratch/cache" KPG_DRIVER_LIBRARY=/nonexistent exec "$kpg" compile examples/vector_add.cu -D "$define" >/dev/null 2>&1) &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  case_ killed 0 "" compile examples/vector_add.cu -D "$define"
  holds "no damaged entry" test -z "$(grep -E 'corrupt|something else' <<<"$out")"
  case_ killed 0 "cache hit" compile examples/vector_add.cu -D "$define"
done
finish_case

# --- the table -----------------------------------------------------------------------------------------------
total=0 total_failed=0
table="| class of input or fault | cases | what kpg does |"$'\n'"|---|---|---|"
for c in "${classes[@]}"; do
  key=${c%%|*} rest=${c#*|}
  table+=$'\n'"| ${rest%%|*} | ${count[$key]} | ${rest#*|} |"
  total=$((total + count[$key]))
  total_failed=$((total_failed + failed[$key]))
done
table+=$'\n'"| **all** | **$total** | |"

for f in ${failures[@]+"${failures[@]}"}; do printf 'FAILED %s\n' "$f"; done
echo "$table"
echo "reliability.sh: $total cases, $total_failed failed ($kpg)"

begin='<!-- reliability-table: generated by scripts/reliability.sh --update-doc; checked by ctest ReliabilityDoc -->'
end='<!-- reliability-table end -->'
if [[ $mode != print ]]; then
  if ! grep -qF "$begin" "$doc" || ! grep -qF "$end" "$doc"; then
    echo "reliability.sh: $doc has no reliability-table markers" >&2
    exit 1
  fi
  current_table=$(awk -v b="$begin" -v e="$end" '$0 == e {inside = 0} inside {print} $0 == b {inside = 1}' "$doc")
  if [[ $mode == update ]]; then
    awk -v b="$begin" -v e="$end" -v t="$table" '$0 == b {print; print t; skip = 1; next} $0 == e {skip = 0} !skip {print}' \
      "$doc" >"$doc.new" && mv "$doc.new" "$doc"
    echo "reliability.sh: wrote the table into $doc"
  elif [[ "$current_table" != "$table" ]]; then
    echo "reliability.sh: the table in $doc differs from the cases this script runs; rerun with --update-doc $doc" >&2
    diff <(echo "$current_table") <(echo "$table") >&2 || true
    exit 1
  fi
fi
[[ $total_failed -eq 0 ]]
