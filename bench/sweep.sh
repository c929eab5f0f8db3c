#!/usr/bin/env bash
# A hyperparameter sweep on Fashion-MNIST, run twice through the durable engine on Azurite with `dtrain sweep`: every
# trial to the end (a full grid), then the same grid under ASHA. Writes bench/results/sweep.md with the best trial of
# each (by validation accuracy, with its test accuracy), the total optimizer steps and wall time of each, and where
# ASHA stopped trials. Target (issue #14): ASHA's best within 0.5 points of the grid's best for at most a third of
# the steps. Usage: bench/sweep.sh [max-steps] [grace-steps] [eta]   (defaults 2400, 100 and 4, Ray Tune's default η)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
max_steps="${1:-2400}"
grace="${2:-100}"
eta="${3:-4}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
build_local_stack

# 4 learning rates x 2 widths x batch norm off/on = 16 MLPs; validation every 600 steps and at every rung.
grid=(--dataset fashion-mnist --model mlp --max-steps "$max_steps" --evaluation-interval-steps 600 --steps-per-chunk 150
  --param optimizer.learningRate=0.0003,0.001,0.003,0.01 --param model.parameters.hiddenUnits=64,256
  --param model.parameters.batchNorm=false,true --shuffle --seed 1 --max-concurrent 2 --json)
dtrain sweep "${grid[@]}" --sweep-id "bench-grid-$(date +%s)" | tail -n 1 > "$work/grid.json"
dtrain sweep "${grid[@]}" --sweep-id "bench-asha-$(date +%s)" --scheduler asha --grace-steps "$grace" --reduction-factor "$eta" | tail -n 1 > "$work/asha.json"

/usr/bin/python3 - "$work/grid.json" "$work/asha.json" "$max_steps" "$grace" "$eta" <<'PY' > bench/results/sweep.md
import collections, json, sys
grid, asha = (json.load(open(path)) for path in sys.argv[1:3])
max_steps, grace, eta = sys.argv[3:6]

def params(trial):
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in trial["parameters"].items())

def row(name, sweep):
    best = sweep["best"]
    stopped = [t for t in sweep["trials"] if t["status"] == "Stopped"]
    return (f"| {name} | {len(sweep['trials'])} | {sweep['steps']} | {sweep['wallSeconds']:.0f} | {best['metric']:.4f} | "
            f"{best['test']:.4f} | {params(best)} | {len(stopped)} |")

ratio = asha["steps"] / grid["steps"]
gap = (grid["best"]["metric"] - asha["best"]["metric"]) * 100
rungs = asha["rungs"]
stops = collections.Counter(t["lastRung"] for t in asha["trials"] if t["status"] == "Stopped")
print("# Sweep benchmark: full grid against ASHA\n")
print(f"Fashion-MNIST (54,000 training, 6,000 validation, 10,000 test images), the MLP, Adam, batch 64, {max_steps} steps per")
print("trial, validation every 600 steps; a grid of 16 trials: learning rate 0.0003, 0.001, 0.003, 0.01 x hidden units 64,")
print("256 x batch norm off, on, started in a seeded shuffled order (the same in both). Each sweep ran through `dtrain sweep`")
print(f"on the local stack (Azurite and one worker, 2 trials at a time). ASHA: grace {grace} steps, reduction factor {eta}, rungs at {', '.join(map(str, rungs))} steps. Produced by")
print("`bench/sweep.sh`.\n")
print("| sweep | trials | optimizer steps | wall s | best validation accuracy | its test accuracy | best trial | trials stopped |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
print(row("full grid", grid))
print(row("ASHA", asha))
print()
print(f"- ASHA's steps / the grid's: **{ratio:.3f}** (target at most 0.333).")
print(f"- ASHA's best validation accuracy is **{abs(gap):.2f} points** {'below' if gap >= 0 else 'above'} the grid's best (target within 0.5 below); test accuracy "
      f"{asha['best']['test']:.4f} against {grid['best']['test']:.4f}.")
print(f"- Stopped by ASHA, by rung: " + ", ".join(f"rung {r + 1} ({rungs[r]} steps): {stops[r]}" for r in sorted(stops)) + ".")
print(f"- Wall time, ASHA / grid: {asha['wallSeconds'] / grid['wallSeconds']:.2f}.\n")
print("| trial | parameters | grid: validation accuracy | ASHA: status, steps, validation accuracy |")
print("| --- | --- | --- | --- |")
for g, a in zip(grid["trials"], asha["trials"]):
    print(f"| {g['index']} | {params(g)} | {g['metric']:.4f} | {a['status']}, {a['steps']}, {a['metric']:.4f} |")
PY
cat bench/results/sweep.md
