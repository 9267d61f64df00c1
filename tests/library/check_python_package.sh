#!/usr/bin/env bash
# The Python package builds and works without a GPU: installs the build into a temporary
# prefix, builds python/ against it with pip (--no-build-isolation --target, no index),
# then with the driver out of reach runs python/tests/cpu_check.py and
# examples/python/softmax_torch.py (which must stop at "kpg: no GPU: ...", before torch),
# and checks that neither wrote into the home folder, the kpg cache or the source tree.
#
# The Python used: $KPG_TEST_PYTHON, else the one given. It needs pip, nanobind and
# scikit-build-core (scripts/test.sh makes such a virtual environment); without them the
# test is skipped, or fails when $CI is set.
# Usage: check_python_package.sh BUILD_DIR SOURCE_DIR PYTHON CXX_COMPILER   (ctest PythonPackage)
set -euo pipefail

build_dir=$(cd "$1" && pwd -P)
source_dir=$(cd "$2" && pwd -P)
python=${KPG_TEST_PYTHON:-$3}
cxx=$4
kSkip=77

if ! missing=$("$python" - <<'EOF' 2>&1
import importlib.util, sys
absent = [m for m in ("pip", "nanobind", "scikit_build_core") if importlib.util.find_spec(m) is None]
print(", ".join(absent))
sys.exit(1 if absent else 0)
EOF
); then
  echo "check_python_package: $python lacks ${missing:-a working interpreter} (scripts/test.sh sets KPG_TEST_PYTHON to a virtual environment that has them)"
  if [[ -n "${CI:-}" ]]; then exit 1; fi
  exit $kSkip
fi

# shellcheck source=tests/library/scratch_install.sh
source "$(dirname "$0")/scratch_install.sh" python
marker="$scratch/started"
touch "$marker"
# A sanitized libkpg needs the sanitizer runtime loaded first into a Python that has none,
# and libstdc++ loaded with it (ASan finds the real __cxa_throw it intercepts at start-up).
run_env=()
if [[ $sanitized -eq 1 ]]; then
  run_env=(LD_PRELOAD="$("$cxx" -print-file-name=libasan.so) $("$cxx" -print-file-name=libstdc++.so)"
           ASAN_OPTIONS="detect_leaks=0:protect_shadow_gap=0")
fi

echo "== pip install python/ against the installed libkpg"
if ! PIP_NO_INDEX=1 "$python" -m pip install --no-build-isolation --no-deps --target "$scratch/site" \
    --config-settings="cmake.define.CMAKE_PREFIX_PATH=$prefix" --config-settings="cmake.define.CMAKE_CXX_COMPILER=$cxx" \
    --config-settings="build-dir=$scratch/build" "$source_dir/python" >"$scratch/pip.log" 2>&1; then
  fail "pip install failed:"
  tail -n 40 "$scratch/pip.log" | sed 's/^/  | /'
  exit 1
fi
[[ ! -e "$scratch/site/kpg/lib" ]] || fail "the package built a libkpg of its own instead of linking the installed one"

run_python() {  # run_python NAME SCRIPT: no driver, home and cache inside the scratch folder
  local name=$1 script=$2
  mkdir -p "$scratch/$name/home" "$scratch/$name/work"
  local status=0
  (cd "$scratch/$name/work" && env "${run_env[@]}" PYTHONPATH="$scratch/site" PYTHONDONTWRITEBYTECODE=1 \
    HOME="$scratch/$name/home" XDG_CACHE_HOME="$scratch/$name/home/xdg" KPG_CACHE_DIR="$scratch/$name/cache" \
    KPG_DRIVER_LIBRARY="$scratch/no-libcuda.so.1" "$python" "$script" >"$scratch/$name.out" 2>&1) || status=$?
  sed 's/^/  | /' "$scratch/$name.out"
  for folder in home work; do
    [[ -z "$(find "$scratch/$name/$folder" -mindepth 1 -print -quit)" ]] || fail "$name wrote into its $folder folder"
  done
  [[ ! -e "$scratch/$name/cache" ]] || fail "$name created the kpg cache without a GPU"
  return $status
}

echo "== python/tests/cpu_check.py"
run_python cpu_check "$source_dir/python/tests/cpu_check.py" || fail "cpu_check.py failed"

echo "== examples/python/softmax_torch.py"
status=0
run_python example "$source_dir/examples/python/softmax_torch.py" || status=$?
[[ $status -eq 1 ]] || fail "the example exited $status without a driver (expected 1)"
grep -q '^kpg: no GPU: no CUDA driver: ' "$scratch/example.out" || fail "the example does not say 'kpg: no GPU: ...'"

# Nothing new in the source tree (its build folders aside).
created=$(find "$source_dir" -newer "$marker" -type f -not -path "$build_dir/*" -not -path "$source_dir/build*" \
          -not -path "$source_dir/.git/*" | head -n 5)
[[ -z "$created" ]] || fail "files appeared in the source tree: $created"
exit $failed
