# Sourced by the check_*.sh scripts here: a scratch folder removed on exit ($scratch), the
# build installed into $scratch/prefix ($prefix), `fail MESSAGE` (prints it, sets $failed)
# and $sanitized (1 when the build is an ASan+UBSan one, whose libkpg needs the sanitizer
# runtime in whatever loads it). Expects $build_dir; $1 names the scratch folder.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpg-$1.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
prefix="$scratch/prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$scratch/install.log"
failed=0
fail() {
  echo "FAILED: $*"
  failed=1
}
sanitized=0
if grep -q '^KPG_SANITIZE:BOOL=ON' "$build_dir/CMakeCache.txt"; then sanitized=1; fi
