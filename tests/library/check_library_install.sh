#!/usr/bin/env bash
# The installed library serves an application: installs the build into a temporary prefix,
# then
#   - compiles each public header alone with only the prefix and the CUDA headers on the
#     include path, and checks that none pulls in yaml-cpp, spdlog, CLI11, nlohmann_json,
#     fmt or a file of the source tree;
#   - builds examples/cpp against the prefix (find_package(kpg), kpg::kpg);
#   - runs it with the driver out of reach: it must say "no GPU" in one line, exit 1, and
#     leave the home folder, the cache folder and its working folder empty;
#   - runs it again as it is: on a machine with a GPU it must run the softmax, print its
#     check and write no tuning record.
# Usage: check_library_install.sh BUILD_DIR SOURCE_DIR CXX_COMPILER CUDA_INCLUDE_DIR
# (ctest LibraryInstall).
set -euo pipefail

build_dir=$(cd "$1" && pwd -P)
source_dir=$(cd "$2" && pwd -P)
cxx=$3
cuda_include=$4

# shellcheck source=tests/library/scratch_install.sh
source "$(dirname "$0")/scratch_install.sh" library
sanitize_flags=()
if [[ $sanitized -eq 1 ]]; then sanitize_flags=(-fsanitize=address,undefined); fi

echo "== public headers alone"
headers=("$prefix"/include/kpg/*.hpp)
[[ ${#headers[@]} -ge 5 ]] || fail "expected the public headers in $prefix/include/kpg, found: ${headers[*]}"
for header in "${headers[@]}"; do
  name=$(basename "$header")
  printf '#include <kpg/%s>\nint main() { return 0; }\n' "$name" >"$scratch/alone.cpp"
  if ! "$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$prefix/include" -I"$cuda_include" \
      "$scratch/alone.cpp" 2>"$scratch/alone.log"; then
    fail "kpg/$name does not compile alone:"
    sed 's/^/  | /' "$scratch/alone.log" | head -n 20
    continue
  fi
  "$cxx" -std=c++17 -M -I"$prefix/include" -I"$cuda_include" "$scratch/alone.cpp" | tr ' \\' '\n\n' | grep -v '^$' \
    >"$scratch/deps.txt"
  if grep -E -e '/(yaml-cpp|spdlog|CLI|nlohmann|fmt)/' -e "^$source_dir/" "$scratch/deps.txt"; then
    fail "kpg/$name includes the files above"
  fi
done
echo "${#headers[@]} headers checked"

echo "== examples/cpp against the installed kpg"
if ! cmake -S "$source_dir/examples/cpp" -B "$scratch/example" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="${sanitize_flags[*]}" >"$scratch/example.log" 2>&1 ||
   ! cmake --build "$scratch/example" >>"$scratch/example.log" 2>&1; then
  fail "examples/cpp does not build against $prefix:"
  tail -n 30 "$scratch/example.log" | sed 's/^/  | /'
  exit 1
fi
app="$scratch/example/softmax_app"

run_app() {  # run_app NAME [ENV...]: in an empty folder, home and cache inside the scratch folder
  local name=$1
  shift
  mkdir -p "$scratch/$name/home" "$scratch/$name/work"
  local status=0
  (cd "$scratch/$name/work" && env HOME="$scratch/$name/home" XDG_CACHE_HOME="$scratch/$name/home/xdg" \
    KPG_CACHE_DIR="$scratch/$name/cache" "$@" "$app" >"$scratch/$name.out" 2>&1) || status=$?
  sed 's/^/  | /' "$scratch/$name.out"
  return $status
}

echo "== without a driver"
status=0
run_app nodriver KPG_DRIVER_LIBRARY="$scratch/no-libcuda.so.1" || status=$?
[[ $status -eq 1 ]] || fail "the example exited $status without a driver (expected 1)"
grep -q '^kpg: no GPU: no CUDA driver: ' "$scratch/nodriver.out" || fail "the example does not say 'kpg: no GPU: ...'"
[[ $(grep -c . "$scratch/nodriver.out") -eq 1 ]] || fail "expected one line (no config without a GPU)"
for folder in home work; do
  [[ -z "$(find "$scratch/nodriver/$folder" -mindepth 1 -print -quit)" ]] || fail "the example wrote into its $folder folder"
done
[[ ! -e "$scratch/nodriver/cache" ]] || fail "the example created its cache folder without a GPU"

echo "== as it is"
status=0
run_app asis || status=$?
if grep -q '^kpg: no GPU: ' "$scratch/asis.out"; then
  echo "(no GPU here)"
else
  [[ $status -eq 0 ]] || fail "the example exited $status on this GPU"
  grep -q '^y\[0\] = ' "$scratch/asis.out" || fail "the example printed no result"
  records=$(find "$scratch/asis/cache" -path '*/tuning/*' -name '*.json' | wc -l)
  [[ $records -eq 0 ]] || fail "the example wrote $records tuning record file(s)"
  [[ -z "$(find "$scratch/asis/home" "$scratch/asis/work" -mindepth 1 -print -quit)" ]] ||
    fail "the example wrote outside its cache folder"
fi
exit $failed
