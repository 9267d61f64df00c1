#!/usr/bin/env bash
# The installed kpg works on its own: installs the build into a temporary prefix, then runs
# `kpg doctor`, `kpg compile` (one kernel, and --all over the installed example config) and
# the memory lesson in theory mode from a scratch folder, with the source and build trees
# out of reach.
#
# Out of reach: the commands run in a private mount namespace (unshare) where an empty
# tmpfs covers the source tree and the build tree, so every file below them is gone for the
# installed kpg, while the paths compiled into it stay what they were. Empty kernels_src/
# and configs/ folders are left at their old places as decoys: a kpg that still preferred
# the source tree would pick them, print them in `kpg doctor` and fail to compile. Without
# mount namespaces (no root, no user namespaces) the test is skipped with the reason.
#
# Usage: check_install.sh BUILD_DIR SOURCE_DIR   (run by ctest as InstallTree)
set -euo pipefail

build_dir=$(cd "$1" && pwd -P)
source_dir=$(cd "$2" && pwd -P)
kSkip=77

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpg-install.XXXXXX")
scratch=$(cd "$scratch" && pwd -P)
trap 'rm -rf "$scratch"' EXIT
for tree in "$source_dir" "$build_dir"; do
  if [[ "$scratch/" == "$tree/"* ]]; then
    echo "check_install: the scratch folder $scratch lies inside $tree, which the test hides; set TMPDIR elsewhere" >&2
    exit 1
  fi
done

prefix="$scratch/prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$scratch/install.log"
echo "installed into $prefix: $(find "$prefix" -type f | wc -l) files"
for f in bin/kpg share/kpg/kernels_src/kpg_common.cuh share/kpg/configs/softmax.yaml share/doc/kpg/README.md \
         share/doc/kpg/docs/INSTALLATION.md; do
  [[ -e "$prefix/$f" ]] || { echo "check_install: $f was not installed" >&2; exit 1; }
done

namespace=()
if unshare --mount --propagation private true 2>/dev/null; then
  namespace=(unshare --mount --propagation private)
elif unshare --user --map-root-user --mount true 2>/dev/null; then
  namespace=(unshare --user --map-root-user --mount)
else
  echo "check_install: skipped: no mount namespace (unshare needs root or user namespaces), so the source tree cannot be hidden"
  exit $kSkip
fi

# Runs in the namespace: hide the trees, then use the installed kpg from the scratch folder.
cat >"$scratch/hidden.sh" <<'EOF'
set -euo pipefail
source_dir=$1 build_dir=$2 prefix=$3 work=$4
mkdir -p "$work"
cd "$work"
for tree in "$source_dir" "$build_dir"; do
  if [[ -d "$tree" ]] && ! mountpoint -q "$tree"; then mount -t tmpfs kpg-hidden "$tree"; fi
done
mkdir -p "$source_dir/kernels_src" "$source_dir/configs"   # decoys: empty
if [[ -e "$source_dir/CMakeLists.txt" || -e "$build_dir/CMakeCache.txt" ]]; then
  echo "check_install: the trees are still visible" >&2
  exit 1
fi

kpg="$prefix/bin/kpg"
export KPG_CACHE_DIR="$work/cache"
unset KPG_KERNELS_DIR KPG_CONFIGS_DIR
failed=0
run() {  # run NAME COMMAND...: the command must exit 0
  local name=$1
  shift
  echo "== $name: $*"
  local status=0
  "$@" >"$work/$name.log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    echo "FAILED (exit $status):"
    tail -n 20 "$work/$name.log" | sed 's/^/  | /'
    failed=1
    return 0
  fi
  tail -n 3 "$work/$name.log" | sed 's/^/  | /'
}
expect() {  # expect NAME TEXT: the command's output contains TEXT
  if ! grep -qF -- "$2" "$work/$1.log"; then
    echo "FAILED: $1 does not print '$2':"
    sed 's/^/  | /' "$work/$1.log" | head -n 40
    failed=1
  fi
}

run doctor "$kpg" doctor
expect doctor "$prefix/share/kpg/kernels_src"
expect doctor "$prefix/share/kpg/configs"
run compile "$kpg" compile examples/vector_add.cu --arch sm_90
expect compile "$prefix/share/kpg/kernels_src/examples/vector_add.cu"
run compile_all "$kpg" --configs-dir "$prefix/share/kpg/configs/examples" compile --all --arch sm_90
expect compile_all "0 failure(s)"
run theory "$kpg" tutorial memory-analysis --theory --card h100 --results "$work/theory"
[[ -s "$work/theory/softmax_traffic.csv" ]] || { echo "FAILED: the theory lesson wrote no softmax_traffic.csv"; failed=1; }

# Nothing the installed kpg printed may point into the source or build tree.
if grep -nF -e "$source_dir/" -e "$build_dir/" "$work"/*.log; then
  echo "FAILED: output names the source or build tree (above)"
  failed=1
fi
exit $failed
EOF

"${namespace[@]}" bash "$scratch/hidden.sh" "$source_dir" "$build_dir" "$prefix" "$scratch/work"
echo "check_install: the installed kpg ran doctor, compile, compile --all and the theory lesson with the trees hidden"
