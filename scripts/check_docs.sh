#!/usr/bin/env bash
# Runs every kpg command shown in the docs, so that the docs cannot rot.
#
# Reads the fenced code blocks (``` with no language, bash, sh, shell or console, and nothing
# else on the fence line) of README.md and docs/*.md, keeps each line that starts with
# `kpg ` or `build/cli/kpg ` (after an optional `$ ` prompt) and runs it with
# ${KPG_BUILD_DIR:-build}/cli/kpg.
# Markers in a line's trailing comment:
#   # GPU       needs a GPU: skipped, unless run with --gpu (on the GPU machine)
#   # slow      takes minutes (e.g. a whole tutorial): skipped (scripts/run.sh runs those)
#   # Ctrl-C    runs until interrupted (kpg watch): with --gpu, sent SIGINT after 20 s and
#               must then exit 0
#   # exits N   the command must exit with code N (an error the docs show on purpose)
# Any other command must exit 0. Commands run in a scratch folder that links the source
# tree's top-level entries (so relative paths work and written files land there), with a
# fresh KPG_CACHE_DIR. Fails listing each offending file:line and the command's output.
set -euo pipefail

gpu=0
if [[ "${1:-}" == --gpu ]]; then gpu=1; fi

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir="${KPG_BUILD_DIR:-build}"
[[ "$build_dir" = /* ]] || build_dir="$repo/$build_dir"
kpg="$build_dir/cli/kpg"
if [[ ! -x "$kpg" ]]; then
  echo "check_docs: $kpg not found; build first (scripts/build.sh) or set KPG_BUILD_DIR" >&2
  exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpg-docs.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/tree" "$scratch/cache"
for entry in "$repo"/*; do
  case "$(basename "$entry")" in build* | results) continue ;; esac
  ln -s "$entry" "$scratch/tree/"
done

# file<TAB>line<TAB>command for every kpg line inside a shell-like fenced block. Skipped:
# exercise blocks (```bash exercise NAME: they edit the tree, scripts/check_exercises.py runs
# them on a copy) and sample outputs (between <!-- sample-output: NAME --> and
# <!-- end sample-output -->: a command's recorded output, scripts/sample_outputs.py).
extract() {
  awk -v file="$1" '
    !inside && /^<!-- sample-output: [A-Za-z0-9_-]+ -->[[:space:]]*$/ { sample = 1; next }
    sample { if ($0 ~ /^<!-- end sample-output -->[[:space:]]*$/) sample = 0; next }
    /^[[:space:]]*```/ {
      if (!inside) { info = $0; sub(/^[[:space:]]*```/, "", info)
                     n = split(info, words, /[[:space:]]+/); lang = ""; extra = ""
                     for (w = 1; w <= n; w++) if (words[w] != "") { if (lang == "") lang = words[w]; else extra = extra " " words[w] }
                     inside = 1; shell = (extra == "" && (lang == "" || lang ~ /^(bash|sh|shell|console)$/)) }
      else inside = 0
      next
    }
    inside && shell {
      cmd = $0; sub(/^[[:space:]]*(\$[[:space:]]+)?/, "", cmd)
      if (cmd ~ /^(build\/cli\/)?kpg[[:space:]]/) printf "%s\t%d\t%s\n", file, NR, cmd
    }' "$1"
}

docs=("$repo/README.md")
for f in "$repo"/docs/*.md; do [[ -e "$f" ]] && docs+=("$f"); done

ran=0 skipped=0 failed=0
while IFS=$'\t' read -r file line cmd; do
  where="${file#"$repo"/}:$line"
  if [[ "$cmd" =~ \#.*[^[:alnum:]_]slow([^[:alnum:]_]|$) ]] ||
     { [[ $gpu -eq 0 ]] && [[ "$cmd" =~ \#[[:space:]]*GPU([^[:alnum:]_]|$) ]]; }; then
    skipped=$((skipped + 1))
    continue
  fi
  limit=(timeout 60)
  [[ "$cmd" =~ \#[[:space:]]*GPU ]] && limit=(timeout 300)
  [[ "$cmd" =~ Ctrl-C ]] && limit=(timeout --preserve-status -s INT 20)
  expected=0
  if [[ "$cmd" =~ \#[[:space:]]*exits[[:space:]]+([0-9]+) ]]; then expected=${BASH_REMATCH[1]}; fi
  shell_cmd="${cmd#build/cli/}"  # both spellings run the kpg function defined below
  set +e
  output=$(cd "$scratch/tree" && env -u KPG_KERNELS_DIR -u KPG_CONFIGS_DIR KPG_CACHE_DIR="$scratch/cache" \
             KPG_BIN="$kpg" "${limit[@]}" bash -c 'set -o pipefail; kpg() { "$KPG_BIN" "$@"; }; '"$shell_cmd" 2>&1)
  status=$?
  set -e
  ran=$((ran + 1))
  if [[ $status -ne $expected ]]; then
    failed=$((failed + 1))
    echo "FAILED $where: exit $status, expected $expected"
    echo "  $cmd"
    tail -n 15 <<<"$output" | sed 's/^/    | /'
  fi
done < <(for f in "${docs[@]}"; do extract "$f"; done)

echo "check_docs: $ran commands run, $skipped skipped ($([[ $gpu -eq 1 ]] && echo "# slow" || echo "# GPU / # slow")), $failed failed"
[[ $failed -eq 0 && $ran -gt 0 ]]
