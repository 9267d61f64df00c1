#!/usr/bin/env bash
# scripts/setup.sh checks before it installs: where the build's tools and libraries are
# present (as on any machine that configured this build) it passes without calling apt-get;
# where one is missing it names it and the package, and says so when apt-get cannot
# install it. apt-get is replaced by a fake that records its calls and fails, as on a
# machine without a package registry. The missing library is made missing by covering the
# folders CMake finds its package in with an empty tmpfs, in a private mount namespace
# (skipped, with the reason, where unshare is not allowed).
#
# Usage: check_setup.sh SOURCE_DIR   (run by ctest as SetupChecksBeforeApt)
set -euo pipefail

source_dir=$(cd "$1" && pwd -P)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpg-setup-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/bin"
cat >"$scratch/bin/apt-get" <<FAKE
#!/bin/sh
echo "apt-get \$*" >>"$scratch/apt-calls"
exit 100
FAKE
chmod +x "$scratch/bin/apt-get"
failed=0
fail() {
  echo "FAILED: $1"
  sed 's/^/  | /' "$scratch/out"
  failed=1
}

# 1. Everything present: a check, no apt-get.
status=0
PATH="$scratch/bin:$PATH" "$source_dir/scripts/setup.sh" >"$scratch/out" 2>&1 || status=$?
[[ $status -eq 0 ]] || fail "setup exited $status with everything present"
grep -q "everything kpg needs is present" "$scratch/out" || fail "setup did not say everything is present"
[[ ! -e "$scratch/apt-calls" ]] || fail "setup called apt-get with everything present: $(cat "$scratch/apt-calls")"

# 2. No apt-get at all: the packages are named.
status=0
PATH=/nonexistent /bin/bash "$source_dir/scripts/apt_install.sh" setup libspdlog-dev >"$scratch/out" 2>&1 || status=$?
[[ $status -eq 1 ]] || fail "apt_install.sh exited $status without apt-get"
grep -q "cannot install libspdlog-dev: there is no apt-get here" "$scratch/out" || fail "no clear message without apt-get"

# 3. spdlog missing, apt-get failing. Every folder where CMake finds spdlog's package is
# covered in turn (a machine may hold more than one), then setup runs.
mkdir "$scratch/find"
cat >"$scratch/find/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(find_spdlog LANGUAGES CXX)
find_package(spdlog QUIET)
if(spdlog_FOUND)
  file(WRITE "${CMAKE_BINARY_DIR}/dir.txt" "${spdlog_DIR}")
endif()
CMAKE
cat >"$scratch/hide_spdlog.sh" <<'HIDE'
set -euo pipefail
scratch=$1 setup=$2
for attempt in 1 2 3 4 5; do
  rm -rf "$scratch/find-build"
  cmake -S "$scratch/find" -B "$scratch/find-build" >/dev/null 2>&1
  [[ -f "$scratch/find-build/dir.txt" ]] || break
  mount -t tmpfs kpg-hidden "$(cat "$scratch/find-build/dir.txt")"
done
[[ ! -f "$scratch/find-build/dir.txt" ]] || { echo "spdlog is still found after hiding 5 folders"; exit 3; }
exec "$setup"
HIDE
if ! unshare --mount --propagation private true 2>/dev/null; then
  echo "check_setup: part 3 skipped: no mount namespace (unshare needs root)"
else
  status=0
  PATH="$scratch/bin:$PATH" unshare --mount --propagation private bash "$scratch/hide_spdlog.sh" "$scratch" \
    "$source_dir/scripts/setup.sh" >"$scratch/out" 2>&1 || status=$?
  [[ $status -eq 1 ]] || fail "setup exited $status with spdlog missing and apt-get failing"
  grep -q "setup: missing: spdlog" "$scratch/out" || fail "setup did not name spdlog"
  grep -q "cannot install libspdlog-dev: apt-get update failed" "$scratch/out" || fail "setup did not say apt-get failed"
  grep -q "apt-get update" "$scratch/apt-calls" 2>/dev/null || fail "setup did not try apt-get"
fi
[[ $failed -eq 0 ]] && echo "check_setup: passed"
exit $failed
