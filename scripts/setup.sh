#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages kpg builds with, only those missing, and checks the
# CUDA toolkit (NVRTC + headers; not an apt package here). Safe to run again: a no-op when
# everything is present.
set -euo pipefail

# clang + libclang-rt-dev (the distribution's default compiler-rt: libFuzzer and the
# sanitizer runtimes) build the config fuzzer that scripts/test.sh runs.
packages=(cmake g++ ninja-build libspdlog-dev libyaml-cpp-dev libgtest-dev libgmock-dev
          libcli11-dev nlohmann-json3-dev libssl-dev clang libclang-rt-dev)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

cuda_root="${CUDA_HOME:-${CUDA_PATH:-/usr/local/cuda}}"
if [[ ! -f "$cuda_root/include/nvrtc.h" ]]; then
  echo "setup: CUDA toolkit not found at $cuda_root (need NVRTC and headers; set CUDA_HOME)" >&2
  exit 1
fi
