#!/usr/bin/env bash
# A model written in PyTorch, trained two ways on Fashion-MNIST: through DurableTrainer (`dtrain train --model-file`,
# the main job's recipe: Adam 1e-3, batch 64, 3 epochs, through the durable engine on Azurite) and by a plain PyTorch
# script from the same TorchScript file (so the same initial weights), the same recipe and the same step count, at
# two shuffling seeds. Writes bench/results/torchscript.md. Usage: bench/torchscript.sh [epochs]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
epochs="${1:-3}"
ensure_system_pytorch
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 interop/pytorch/example_torchscript_model.py "$work/net.pt" 0 >/dev/null
build_local_stack
ours="$(dtrain train --model-file "$work/net.pt" --epochs "$epochs" --json | tail -n 1)"
field() { /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$ours"; }
steps="$(field ours "d['steps']")"
accuracy="$(field ours "d['test']['accuracy']")"
loss="$(field ours "round(d['test']['loss'], 4)")"
wall="$(field ours "d['wallSeconds']")"
threads="$(nproc)"
rows=()
for seed in 42 43; do
  out="$(/usr/bin/python3 bench/torchscript_baseline.py "$work/net.pt" "$steps" "$threads" "$seed")"
  value() { awk -v key="$1" '$1==key{print $2}' <<<"$out"; }
  pytorch="$(value pytorch_accuracy)"
  rows+=("| plain PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), shuffling seed $seed | $steps | $pytorch | $(value pytorch_loss) | $(value pytorch_seconds) s (training and test) | $(awk -v a="$accuracy" -v b="$pytorch" 'BEGIN{printf "%+.2f", 100*(a-b)}') |")
done
{
  echo "# A TorchScript model trained here and by plain PyTorch"
  echo
  echo "The example model of \`interop/pytorch/example_torchscript_model.py\` (two conv + batch norm blocks, dropout 0.25,"
  echo "20,586 parameters), scripted with seed 0. Fashion-MNIST, Adam 1e-3, batch 64, $epochs epochs ($steps steps), test accuracy on"
  echo "the 10,000 test images after the last step. Measured $(date -u +%Y-%m-%d) on $(nproc) cores by \`bench/torchscript.sh $epochs\`."
  echo "The orders of the examples and the dropout masks differ between the two (each draws its own), so the figures"
  echo "differ by what another seed would give; the target is within 1 point."
  echo
  echo "| trained by | steps | test accuracy | test loss | time | ours minus this (points) |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| DurableTrainer (\`dtrain train --model-file\`, durable engine on Azurite) | $steps | $accuracy | $loss | $wall s (submission to end) | |"
  printf '%s\n' "${rows[@]}"
} > bench/results/torchscript.md
cat bench/results/torchscript.md
