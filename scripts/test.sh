#!/usr/bin/env bash
# The whole test suite. Tests start and stop what they need themselves (Azurite, worker processes).
# Extra arguments go to `dotnet test` (for example: scripts/test.sh --filter FullyQualifiedName~Domain).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"

# The dashboard's browser test drives Debian's chromium through Playwright (whose own browser download cannot work
# offline). Without it that test fails saying how to get it.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium (Debian package) for the dashboard's browser test..."
  apt_install chromium || echo "Without chromium the dashboard's browser test fails." >&2
fi

# The PyTorch interop tests load exported models in Debian's PyTorch; without it they skip and say why.
if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  echo "Installing Debian's python3-torch (with OpenMP OpenBLAS) for the PyTorch interop tests..."
  apt_install python3-torch libopenblas0-openmp || echo "python3-torch could not be installed; the PyTorch interop tests will skip." >&2
fi

# The ONNX export test checks the files with Debian's ONNX checker (python3-onnx 1.12); without it that test fails
# saying how to get it.
if ! /usr/bin/python3 -c "import onnx" >/dev/null 2>&1; then
  echo "Installing Debian's python3-onnx for the ONNX export test..."
  apt_install python3-onnx || echo "Without python3-onnx the ONNX export test fails." >&2
fi

cd "$repo_root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Functions.sln -c Release -nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line over all test assemblies.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "Tests: ${passed} passed, ${failed} failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
