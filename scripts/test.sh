#!/usr/bin/env bash
# The whole test suite. Tests start and stop what they need themselves (Azurite, worker processes).
# Extra arguments go to `dotnet test` (for example: scripts/test.sh --filter FullyQualifiedName~Domain).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"

# Debian packages some tests need, installed here. Where one cannot be installed, the tests that need it skip or fail
# saying how to get it; under CI=true the run stops here instead, naming the package: CI never passes by skipping.
install_for_tests() {
  local purpose="$1"
  shift
  echo "Installing $* for $purpose..."
  apt_install "$@" && return 0
  if [ "${CI:-}" = true ]; then
    echo "CI=true: $* could not be installed, and $purpose needs it. Stopping rather than skipping those tests." >&2
    exit 1
  fi
  echo "$* could not be installed; $purpose will skip or fail saying so." >&2
}

# The dashboard's browser test drives Debian's chromium through Playwright (whose own browser download cannot work
# offline).
[ -x /usr/bin/chromium ] || install_for_tests "the dashboard's browser test" chromium
# The PyTorch interop tests load our exports in Debian's PyTorch (with the OpenMP OpenBLAS it runs best on); the ASHA
# reference tests run Ray Tune's rung rule in numpy.
/usr/bin/python3 -c "import torch, numpy" >/dev/null 2>&1 || install_for_tests "the PyTorch interop tests" python3-torch python3-numpy libopenblas0-openmp
# The ONNX export test checks the files with Debian's ONNX checker (python3-onnx 1.12).
/usr/bin/python3 -c "import onnx" >/dev/null 2>&1 || install_for_tests "the ONNX export test" python3-onnx

cd "$repo_root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Functions.sln -c Release -nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line over all test assemblies.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "${CI:-}" = true ] && [ "$skipped" -gt 0 ]; then
  echo "CI=true, and ${skipped} tests skipped: a CI run does not pass by skipping." >&2
  status=1
fi
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
