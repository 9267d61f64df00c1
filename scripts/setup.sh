#!/usr/bin/env bash
# Checks for what building and running kpg needs, however it was installed, and installs
# with apt only what is missing:
#   cmake 3.25 or newer on PATH, ninja or make, a C++20 compiler, and the CMake packages
#   of spdlog, yaml-cpp, GTest, CLI11, nlohmann_json and OpenSSL plus the CUDA toolkit's
#   NVRTC, found the way the build finds them (a probe project, cmake/setup_probe).
# The CUDA toolkit is not an apt package: when it is missing, setup says so and stops.
# Without apt-get (or when it fails), setup names what is missing and exits 1. Safe to run
# again: a check and nothing more when everything is present. Test-only tools (clang for
# the fuzzer, chromium for the report test) are scripts/test.sh's business.
set -euo pipefail
cd "$(dirname "$0")/.."

kMinCmake=3.25

# The Debian/Ubuntu packages that provide each piece the probe can report missing.
declare -A apt_for=(
  [cmake]="cmake" [ninja-or-make]="ninja-build" [C++-compiler]="g++" [C++20]="g++"
  [spdlog]="libspdlog-dev" [yaml-cpp]="libyaml-cpp-dev" [GTest]="libgtest-dev libgmock-dev"
  [CLI11]="libcli11-dev" [nlohmann_json]="nlohmann-json3-dev" [OpenSSL]="libssl-dev")

version_at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

# The tools the probe itself needs: cmake, a build tool, a compiler.
missing_tools() {
  local cmake_version
  cmake_version=$(cmake --version 2>/dev/null | head -n 1 | awk '{print $3}') || true
  if [[ -z "$cmake_version" ]] || ! version_at_least "$cmake_version" "$kMinCmake"; then echo cmake; fi
  command -v ninja >/dev/null || command -v make >/dev/null || echo ninja-or-make
  local cxx
  for cxx in "${CXX:-}" c++ g++ clang++; do
    [[ -n "$cxx" ]] && command -v "$cxx" >/dev/null && return 0
  done
  echo C++-compiler
}

# What the probe project does not find (C++20, spdlog, ..., CUDAToolkit, NVRTC).
missing_packages() {
  local dir status=0 generator=()
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kpg-setup.XXXXXX")
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S cmake/setup_probe -B "$dir" "${generator[@]}" >"$dir/probe.log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    echo "setup: the probe project failed to configure (log below)" >&2
    tail -n 20 "$dir/probe.log" >&2
    rm -rf "$dir"
    return 1
  fi
  cat "$dir/missing.txt"
  rm -rf "$dir"
}

apt_packages() {  # the apt packages for the pieces named on stdin
  local piece
  while read -r piece; do
    [[ -n "$piece" && -n "${apt_for[$piece]:-}" ]] && echo "${apt_for[$piece]}"
  done | tr ' ' '\n' | sort -u | tr '\n' ' '
}

describe() { tr '\n' ' ' | sed 's/ *$//; s/ /, /g'; }

# 1. cmake, a build tool and a compiler, so that the probe can run.
tools=$(missing_tools)
if [[ -n "$tools" ]]; then
  echo "setup: missing: $(describe <<<"$tools") (cmake $kMinCmake or newer on PATH, ninja or make, a C++ compiler)"
  # shellcheck disable=SC2046
  scripts/apt_install.sh setup $(apt_packages <<<"$tools")
  tools=$(missing_tools)
  [[ -z "$tools" ]] || { echo "setup: still missing after apt-get: $(describe <<<"$tools")" >&2; exit 1; }
fi

# 2. The compiler's C++20, the libraries' CMake packages and NVRTC.
pieces=$(missing_packages)
cuda=$(grep -x -e CUDAToolkit -e NVRTC <<<"$pieces" || true)
from_apt=$(grep -vx -e CUDAToolkit -e NVRTC <<<"$pieces" || true)
[[ -z "$pieces" ]] || echo "setup: missing: $(describe <<<"$pieces")"
if [[ -n "$cuda" ]]; then
  echo "setup: the CUDA toolkit (12.0 or newer, with NVRTC and its headers) was not found; it is not an" \
       "apt package here: install it from NVIDIA, then put its bin/ on PATH or set CUDAToolkit_ROOT" >&2
fi
if [[ -n "$from_apt" ]]; then
  # shellcheck disable=SC2046
  scripts/apt_install.sh setup $(apt_packages <<<"$from_apt")
fi
[[ -z "$cuda" ]] || exit 1
if [[ -n "$from_apt" ]]; then
  pieces=$(missing_packages)
  [[ -z "$pieces" ]] || { echo "setup: still missing after apt-get: $(describe <<<"$pieces")" >&2; exit 1; }
fi
echo "setup: everything kpg needs is present (cmake $(cmake --version | head -n 1 | awk '{print $3}'))"
