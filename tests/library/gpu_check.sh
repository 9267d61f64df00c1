#!/usr/bin/env bash
# The library's checks on the GPU machine, in one go:
#   1. builds kpg into build/ (scripts/build.sh) and runs the library's ctests: LibraryGpu
#      (launches against the float64 reference, no timer, cache untouched, tune on first
#      use), LibraryInstall (examples/cpp against an installed kpg, run on the GPU) and
#      PythonPackage (the package built against that install, its CPU checks), with the
#      CPU suites beside them;
#   2. builds the Python package from the source tree with pip into build/python-site (the
#      Python environment itself is left as it is);
#   3. runs python/tests/test_gpu.py (PyTorch, float64 references, odd shapes, f32/f16/bf16,
#      in place on the current stream, tuning cache unchanged), examples/python and
#      python/tests/overhead.py (per-call overhead over a bare launch, import to first launch).
# Usage: tests/library/gpu_check.sh [PYTHON]   (default: /opt/torch/.venv/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:-/opt/torch/.venv/bin/python3}

KPG_BUILD_DIR=build scripts/build.sh
KPG_TEST_PYTHON="$python" ctest --test-dir build --output-on-failure \
  -R '^(LibraryGpu|LibraryApi|LibraryProblem|ConfigChoice|NvidiaDriverVersion)\.|^(LibraryInstall|PythonPackage)$'

site="$PWD/build/python-site"
rm -rf "$site"
"$python" -m pip install --no-build-isolation --no-deps --target "$site" --config-settings=build-dir=build/python-build ./python
export PYTHONPATH="$site"
echo "== python/tests/test_gpu.py"
"$python" python/tests/test_gpu.py
echo "== examples/python/softmax_torch.py"
"$python" examples/python/softmax_torch.py
echo "== python/tests/overhead.py"
"$python" python/tests/overhead.py
