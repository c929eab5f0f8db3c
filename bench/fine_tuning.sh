#!/usr/bin/env bash
# Fine-tuning from plain PyTorch weights, through the durable engine on Azurite. Debian's PyTorch trains the `mlp`
# built-in's twin on Fashion-MNIST and saves its state dict (bench/fine_tuning_pytorch.py); then, on one standing
# worker:
#   1. a run starts from that file: its validation before any step, and its test accuracy after one step at a
#      learning rate of 1e-9 (the weights unchanged to 1e-9), against the script's own test accuracy;
#   2. it fine-tunes for an epoch; then the same run is continued to a second epoch (`--init-from RUN --epochs 2`)
#      and compared byte for byte with one 2-epoch run from the file;
#   3. the backbone (fc1) frozen and a new head (fc2) on a second dataset, the test images under four coarse labels,
#      against the same model trained from scratch for as long.
# Writes bench/results/fine-tuning.md. Usage: bench/fine_tuning.sh [hidden units] [PyTorch epochs]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
refuse_stray_stack
hidden="${1:-128}"
pytorch_epochs="${2:-1}"
ensure_system_pytorch
build_local_stack
start_azurite 20400
start_worker 20410 finetune
server="http://127.0.0.1:20410"
work="$stack_dir/work"
mkdir -p "$work"
script="$(/usr/bin/python3 bench/fine_tuning_pytorch.py "$work" "$hidden" "$pytorch_epochs")"
script_accuracy="$(awk '$1=="accuracy"{print $2}' <<<"$script")"

# run ID [options...]: dtrain train against the standing worker; prints its --json line.
run() {
  local id="$1"
  shift
  dtrain train --server "$server" --run-id "$id" --json "$@" | tail -n 1
}
model=(--model mlp --model-param "hiddenUnits=$hidden")
fashion=(--dataset fashion-mnist "${model[@]}" --schedule constant --batch-size 64)
first_validation() { curl -sf "$server/api/training/$1/metrics?kind=evaluation" | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin)['records'][0]; print(r['step'], r['accuracy'])"; }
test_accuracy() { json_field "$1" "['test']['accuracy']"; }
test_loss() { json_field "$1" "['test']['loss']"; }
exported_sha() {
  dtrain export "$1" --server "$server" --format safetensors -o "$work/$1" >/dev/null
  sha256sum "$work/$1/$1.safetensors" | cut -c1-16
}

probe="$(run ft-probe "${fashion[@]}" --init-from-file "$work/weights.pt" --max-steps 1 --learning-rate 1e-9)"
read -r probe_step probe_validation <<<"$(first_validation ft-probe)"
tuned="$(run ft-tuned "${fashion[@]}" --init-from-file "$work/weights.pt" --epochs 1 --learning-rate 0.0003)"
continued="$(run ft-continued --init-from ft-tuned --epochs 2)"
straight="$(run ft-straight "${fashion[@]}" --init-from-file "$work/weights.pt" --epochs 2 --learning-rate 0.0003)"
continues="$(curl -sf "$server/runtime/webhooks/durabletask/instances/ft-continued" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['input']['specification']['model']['initFrom'].get('continues', False))")"
continued_sha="$(exported_sha ft-continued)"
straight_sha="$(exported_sha ft-straight)"
coarse=(--data-file "$work/coarse.npz" "${model[@]}" --epochs 3 --schedule constant)
frozen="$(run ft-coarse-frozen "${coarse[@]}" --init-from-file "$work/weights.pt" --freeze fc1 --reinitialize fc2)"
scratch="$(run ft-coarse-scratch "${coarse[@]}")"

{
  echo "# Fine-tuning: from a PyTorch state dict, continued, and a frozen backbone with a new head"
  echo
  echo "Debian's PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') trains the \`mlp\` built-in's twin (flatten, fc1 784-$hidden, ReLU, fc2 $hidden-10; the"
  echo "same state-dict keys) for $pytorch_epochs epoch(s) of Fashion-MNIST, Adam 1e-3, batch 64, with the main job's normalisation, and saves"
  echo "\`torch.save(model.state_dict())\` (\`bench/fine_tuning_pytorch.py\`). Runs then go through the durable engine on one"
  echo "worker and Azurite (\`dtrain train --server\`). Measured $(date -u +%Y-%m-%d) by \`bench/fine_tuning.sh $hidden $pytorch_epochs\`."
  echo
  echo "| | test accuracy | notes |"
  echo "| --- | --- | --- |"
  echo "| the PyTorch script, its own test | **$script_accuracy** | $(awk '$1=="seconds"{print $2}' <<<"$script") s |"
  echo "| ours, started from its weights: validation before any step | $probe_validation (validation) | step $probe_step, on our 6,000 held-out training images |"
  echo "| ours, started from its weights, one step at lr 1e-9 | **$(test_accuracy "$probe")** | the weights as loaded (our standardization: the training split's own statistics) |"
  echo "| ours, fine-tuned 1 epoch at lr 3e-4 (constant) | **$(test_accuracy "$tuned")** | $(json_field "$tuned" "['steps']") steps; test loss $(test_loss "$tuned") |"
  echo "| ours, that run continued to 2 epochs (\`--init-from ft-tuned --epochs 2\`) | $(test_accuracy "$continued") | $(json_field "$continued" "['steps']") steps in all; test loss $(test_loss "$continued"); continues: $continues; safetensors SHA-256 $continued_sha... |"
  echo "| ours, one 2-epoch run from the file | $(test_accuracy "$straight") | $(json_field "$straight" "['steps']") steps; test loss $(test_loss "$straight"); safetensors SHA-256 $straight_sha... |"
  echo
  echo "A second dataset: the 10,000 Fashion-MNIST test images under four coarse labels (tops; trousers and dresses;"
  echo "footwear; bags), split by our defaults, 3 epochs, constant Adam 1e-3:"
  echo
  echo "| | test accuracy | trainable parameters |"
  echo "| --- | --- | --- |"
  echo "| fc1 frozen from the PyTorch weights, fc2 new (4 outputs) | **$(test_accuracy "$frozen")** | $((hidden * 4 + 4)) (fc2) |"
  echo "| the same model from scratch, all layers training | $(test_accuracy "$scratch") | $((784 * hidden + hidden + hidden * 4 + 4)) |"
} > bench/results/fine-tuning.md
cat bench/results/fine-tuning.md
