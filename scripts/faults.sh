#!/usr/bin/env bash
# The fault harness, long form: eight worker kills and two Azurite outages during one deterministic run; writes
# bench/results/faults.md. Extra arguments go to the harness (--kills N --outages N --outage-seconds N); with
# --sweep N it runs an ASHA sweep of N trials under worker kills instead and writes bench/results/faults-sweep.md;
# with --storage-faults N, N pairs of runs, calm and through a storage proxy injecting 503s and lost answers, into
# bench/results/storage-faults.md; with --load N, N short runs submitted at once to two workers while the status and
# list routes are timed, into bench/results/load.md; with --storage-fault-jobs N, an ASHA sweep of N trials and a
# batch prediction job, each calm and through the proxy at 5 % of every fault, into
# bench/results/storage-faults-jobs.md; with --rounds N, one run of N one-step rounds whose memory, history and
# status route are sampled, into bench/results/rounds.md and rounds-memory.svg.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
cd "$repo_root"
dotnet build tests/FaultHarness/FaultHarness.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
dotnet build src/Worker/Worker.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
exec dotnet tests/FaultHarness/bin/Release/net10.0/linux-x64/DurableTrainer.FaultHarness.dll "$@"
