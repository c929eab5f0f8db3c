#!/usr/bin/env bash
# Upgrades while runs are in flight, long form (not part of the test suite): builds this commit's worker and two changed
# copies of it in git worktrees, then lets each changed build take over a run that this build's worker started and was
# stopped under. The changes:
#   incompatible  the training orchestration calls one more activity before its loop, and the orchestration version
#                 goes to 2 without continuing 1: the run in flight must fail at once, saying what to do;
#   compatible    the version goes to 2 and 1 is still continued: the run must complete, bitwise as undisturbed.
# Writes bench/results/upgrades.md. The worktrees are HEAD's committed tree, so commit what you want measured.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
cd "$repo_root"

work="$(mktemp -d /tmp/durabletrainer-upgrade.XXXXXX)"
cleanup() {
    for variant in incompatible compatible; do
        git -C "$repo_root" worktree remove --force "$work/$variant" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/Worker/Worker.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
dotnet build tests/FaultHarness/FaultHarness.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"

for variant in incompatible compatible; do
    git worktree add --detach --quiet "$work/$variant" HEAD
    python3 - "$work/$variant" "$variant" <<'PATCH'
import pathlib, sys
root, variant = pathlib.Path(sys.argv[1]), sys.argv[2]

def patch(relative, old, new):
    path = root / relative
    text = path.read_text()
    if old not in text:
        sys.exit(f"{relative}: the text to patch is not there any more; update scripts/upgrade.sh")
    path.write_text(text.replace(old, new, 1))

versions = "src/Durable/OrchestrationVersions.cs"
patch(versions, 'public const string Current = "1";', 'public const string Current = "2";')
if variant == "compatible":
    patch(versions, '{ string.Empty, "1" }', '{ string.Empty, "1", "2" }')
else:
    patch(versions, '{ string.Empty, "1" }', '{ "2" }')
    orchestration = "src/Durable/Orchestrations/TrainingOrchestration.cs"
    patch(orchestration, "public override Task<TrainingOutcome> RunAsync(", "public override async Task<TrainingOutcome> RunAsync(")
    patch(orchestration, "        return orchestrator.RunAsync(input);",
          "        await context.CallActivityAsync<int>(DurableTaskNames.Prune, new PruneCommand([]), activityOptions);\n"
          "        return await orchestrator.RunAsync(input);")
PATCH
    echo "Building the $variant worker in $work/$variant"
    dotnet build "$work/$variant/src/Worker/Worker.csproj" -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
done

dotnet tests/FaultHarness/bin/Release/net10.0/linux-x64/DurableTrainer.FaultHarness.dll \
    --upgrade-to "incompatible=$work/incompatible" --upgrade-to "compatible=$work/compatible"
