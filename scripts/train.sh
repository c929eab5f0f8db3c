#!/usr/bin/env bash
# The main job: a real Fashion-MNIST training run through the durable engine on Azurite, with the embedded
# default configuration (batch-normalised CNN, 2 epochs). Starts Azurite and the worker, shows progress, prints the final test
# accuracy and the final checkpoint, and stops what it started. Extra arguments go to `dtrain train`
# (for example: scripts/train.sh --epochs 1 --model mlp).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"

cd "$repo_root"
echo "Building (Release)..."
dotnet build src/Cli/Cli.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
exec dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll train "$@"
