#!/usr/bin/env bash
# ctest ScriptsCheck: scripts/ holds only documented, working tools, and nothing refers to a
# script that is gone. Without a GPU it checks that
#   1. every file under scripts/ is listed in scripts/README.md (by its path there);
#   2. every shell script starts with a shebang and a header comment and parses (bash -n),
#      and passes shellcheck at warning level when shellcheck is installed;
#   3. every Python script parses and has a module docstring (parsed, not imported: the
#      peers need torch and Triton);
#   4. every `scripts/...` path named in the repository's text files exists;
#   5. the GPU tools refuse bad usage and a missing kpg with one line and a non-zero exit,
#      before touching a GPU or writing anything.
# Usage: check_scripts.sh REPO_ROOT. Prints each failure; exits 1 if there is one.
set -uo pipefail

repo=${1:?usage: check_scripts.sh REPO_ROOT}
cd "$repo" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# 1. Listed in scripts/README.md.
readme=scripts/README.md
[[ -f $readme ]] || fail "$readme is missing"
while IFS= read -r file; do
  rel=${file#scripts/}
  [[ $rel == README.md ]] && continue
  grep -qF "\`$rel\`" "$readme" 2>/dev/null || fail "$file is not listed in $readme (add a line: what it gives a user)"
done < <(find scripts -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | sort)

# 2. Shell scripts.
have_shellcheck=0
command -v shellcheck > /dev/null && have_shellcheck=1
while IFS= read -r file; do
  [[ $(head -c 2 "$file") == '#!' ]] || fail "$file: no shebang line"
  [[ $(sed -n 2p "$file") == '# '* ]] || fail "$file: line 2 is not a header comment saying what it does"
  bash -n "$file" 2> /tmp/kpg-check-scripts.$$ || fail "$file does not parse: $(head -3 /tmp/kpg-check-scripts.$$)"
  if [[ $have_shellcheck == 1 ]]; then
    out=$(shellcheck -S warning "$file" 2>&1) || fail "$file: shellcheck warnings:"$'\n'"$out"
  fi
done < <(find scripts tests/scripts -type f -name '*.sh' | sort)
rm -f /tmp/kpg-check-scripts.$$
[[ $have_shellcheck == 1 ]] || echo "note: shellcheck is not installed; shell scripts were only parsed"

# 3. Python scripts.
while IFS= read -r file; do
  python3 - "$file" <<'EOF' || fail "$file: does not parse, or has no module docstring"
import ast, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1])
sys.exit(0 if ast.get_docstring(tree) else 1)
EOF
done < <(find scripts -type f -name '*.py' | sort)

# The repository's files: git's list in a checkout, else every file outside build folders.
text_files() {
  git ls-files -z 2>/dev/null && return
  find . \( -name .git -o -name 'build*' -o -name results \) -prune -o -type f -print0
}

# 4. Every scripts/... file named in the repository's text exists, at the top of the tree or
# beside the file that names it (tests/CMakeLists.txt names tests/scripts/ as scripts/).
while IFS=: read -r where path; do
  [[ -e $path || -e $(dirname "$where")/$path ]] || fail "$where names $path, which does not exist"
done < <(text_files | xargs -0 grep -IoE '(tests/)?scripts/[A-Za-z0-9_./-]+\.(sh|py|cu|md)\b' 2>/dev/null | sort -u)

# 5. GPU tools without a GPU: usage and missing-kpg messages, nothing written.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpg-check-scripts.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
expect() {  # label expected-exit pattern command...
  local label=$1 code=$2 pattern=$3
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  [[ $rc == "$code" ]] || { fail "$label: exit $rc, expected $code; output:"$'\n'"$out"; return; }
  grep -qE "$pattern" <<<"$out" || fail "$label: output lacks /$pattern/:"$'\n'"$out"
  [[ $(wc -l <<<"$out") -le 2 ]] || fail "$label: more than one message:"$'\n'"$out"
}
missing="$scratch/no-such-build/cli/kpg"
expect "budget_gap.sh without an op" 2 "^Usage: scripts/budget_gap.sh OP" scripts/budget_gap.sh
expect "budget_gap.sh --help" 2 "^Usage: scripts/budget_gap.sh OP" scripts/budget_gap.sh --help
expect "budget_gap.sh without kpg" 1 "budget_gap: .*no-such-build/cli/kpg not found" \
  env KPG="$missing" OUT="$scratch/gap" scripts/budget_gap.sh softmax
[[ -e $scratch/gap ]] && fail "budget_gap.sh without kpg created its output folder"
mkdir -p "$scratch/full" && touch "$scratch/full/keep"
expect "budget_gap.sh into a non-empty OUT" 2 "is not empty" \
  env KPG="$(type -P true)" OUT="$scratch/full" scripts/budget_gap.sh softmax
[[ -f $scratch/full/keep ]] || fail "budget_gap.sh removed a file in the OUT it refused"
expect "sanitize_kernels.sh without kpg" 1 "sanitize_kernels: .*no-such-build/cli/kpg not found" \
  env KPG="$missing" OUT="$scratch/san" scripts/sanitize_kernels.sh
[[ -e $scratch/san ]] && fail "sanitize_kernels.sh without kpg created its output folder"
expect "sanitize_kernels.sh with an op it has no shapes for" 1 "OPS: no edge shapes for 'matmul'" \
  env OPS="attention matmul" OUT="$scratch/san" scripts/sanitize_kernels.sh
[[ -e $scratch/san ]] && fail "sanitize_kernels.sh with an unknown op created its output folder"
expect "timer_check.sh without kpg" 1 "timer_check: .*no-such-build/cli/kpg not found" \
  env KPG_BUILD_DIR="$scratch/no-such-build" scripts/timer_check.sh
expect "mpi_tune_check.sh without kpg" 1 "mpi_tune_check: .*no-such-build/cli/kpg not found" \
  env KPG="$missing" scripts/mpi_tune_check.sh

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "scripts: every file listed, parsed and checked; the GPU tools refuse cleanly without a GPU"
