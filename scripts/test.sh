#!/usr/bin/env bash
# The test command: installs what is missing (scripts/setup.sh, then the test-only tools
# below), builds kpg and every test with AddressSanitizer
# + UndefinedBehaviorSanitizer into build-asan/ and runs the whole suite there (any report
# fails it), then fuzzes the config loader for 60 s (build-fuzz/). GPU tests (ctest label
# `gpu`) skip with a visible reason on a machine without a GPU.
# KPG_QUICK_TEST=1: a plain optimised build in build/ and the suite, nothing else.
# Each stage's time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
stage() {
  local name=$1 start=$SECONDS
  shift
  echo "=== test.sh: $name"
  "$@"
  timings+=("$(printf '%-28s %4d s' "$name" $((SECONDS - start)))")
}

jobs="${KPG_JOBS:-$(nproc)}"
stage "setup" scripts/setup.sh

# Test-only tools, which the main job does not need: chromium for the report rendering test
# (it skips without one), Open MPI for the tests that run kpg under `mpirun -n 2` (MpiRanks.*,
# which fail rather than skip when CI is set and MPI is missing; kpg builds without it), and
# for the full run clang with libFuzzer and the sanitizer runtimes (the config fuzzer).
fuzzer_toolchain_works() {
  local dir status=0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kpg-fuzzer-probe.XXXXXX")
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$dir/probe.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$dir/probe.cpp" -o "$dir/probe" >/dev/null 2>&1 || status=1
  rm -rf "$dir"
  return $status
}
test_tools() {
  local packages=()
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || packages+=(chromium)
  { command -v mpicxx && command -v mpirun; } >/dev/null || packages+=(openmpi-bin libopenmpi-dev)
  command -v python3 >/dev/null || packages+=(python3)  # the results-tables tests
  # The Python package's test builds it: venv and pip, and Python's headers.
  python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
  python3 -c 'import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' \
    2>/dev/null || packages+=(python3-dev)
  if [[ "${KPG_QUICK_TEST:-0}" != 1 ]] && ! fuzzer_toolchain_works; then packages+=(clang libclang-rt-dev); fi
  ((${#packages[@]} == 0)) || scripts/apt_install.sh test.sh "${packages[@]}"
}
stage "test tools" test_tools

# ctest PythonPackage builds python/ with pip against nanobind and scikit-build-core: a
# virtual environment that has them (made once, in a build-* folder), named by KPG_TEST_PYTHON.
python_env() {
  local venv="${KPG_TEST_VENV:-build-pyenv}"
  if ! "$venv/bin/python" -c 'import nanobind, scikit_build_core' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet nanobind scikit-build-core
  fi
  KPG_TEST_PYTHON="$(cd "$venv" && pwd)/bin/python"
  export KPG_TEST_PYTHON
}
stage "python test env" python_env
if [[ "${KPG_QUICK_TEST:-0}" == 1 ]]; then
  stage "build" scripts/build.sh
  stage "tests" ctest --test-dir "${KPG_BUILD_DIR:-build}" --output-on-failure -j "$jobs"
else
  # One build serves both: sanitized host code, all targets (the CLI too, for the doc
  # commands). -O0 -g1: with ASan+UBSan, -O2 -g compiles 3-4x slower; line tables suffice.
  asan_dir="${KPG_ASAN_BUILD_DIR:-build-asan}"
  stage "build (ASan+UBSan)" env KPG_BUILD_DIR="$asan_dir" scripts/build.sh -DKPG_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1"
  # protect_shadow_gap=0: the CUDA driver maps memory where ASan would otherwise reserve.
  stage "tests (ASan+UBSan)" env ASAN_OPTIONS="detect_leaks=1:protect_shadow_gap=0:abort_on_error=0" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --test-dir "$asan_dir" --output-on-failure -j "$jobs"
  stage "config fuzzer (60 s)" scripts/fuzz.sh 60
fi
printf 'test.sh stage times:\n'
printf '  %s\n' "${timings[@]}"
