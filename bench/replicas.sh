#!/usr/bin/env bash
# Replicas benchmark: trains Fashion-MNIST with K = 1 and K = 4 replicas (plain average, and a DiLoCo-style outer
# Nesterov step) at equal total samples, through the real durable engine on Azurite, and writes the test
# accuracies to bench/results/replicas.md. Usage: bench/replicas.sh [epochs] [model]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
cd "$repo_root"

epochs="${1:-5}"
model="${2:-mlp}"
chunk=50
results="bench/results/replicas.md"
dotnet build src/Cli/Cli.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"
dtrain=(dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll train)

declare -a rows
run() {
  local name="$1"; shift
  local log
  log="$(mktemp)"
  echo "== $name"
  "${dtrain[@]}" --model "$model" --epochs "$epochs" --steps-per-chunk "$chunk" --evaluation-interval-steps 100000 "$@" | tee "$log"
  local accuracy wall delta
  accuracy=$(grep -oE 'Test: accuracy [0-9.]+' "$log" | head -1 | awk '{print $3}')
  wall=$(grep -oE 'in [0-9.]+ s wall time' "$log" | awk '{print $2}')
  if [ -z "${baseline:-}" ]; then baseline="$accuracy"; fi
  delta=$(awk -v a="$accuracy" -v b="$baseline" 'BEGIN { printf "%+.2f", (a - b) * 100 }')
  rows+=("| $name | $accuracy | $delta | $wall |")
  rm -f "$log"
}

run "K=1" --replicas 1
run "K=4, average" --replicas 4 --merge average
run "K=4, outer Nesterov (lr 0.7, momentum 0.9)" --replicas 4 --merge outer-nesterov --outer-learning-rate 0.7 --outer-momentum 0.9

{
  echo "# Replicas benchmark"
  echo
  echo "Fashion-MNIST, model \`$model\`, $epochs epochs (equal total samples: $epochs x 60,000), batch 64, Adam 1e-3,"
  echo "H = $chunk inner steps per replica per round, seed 42, one worker, measured $(date -u +%Y-%m-%d) on $(nproc) cores."
  echo "Produced by \`bench/replicas.sh $epochs $model\`; every run goes through the durable engine on Azurite."
  echo
  echo "Replicas run one after another here (one worker, one activity at a time), so wall times compare the"
  echo "orchestration overhead, not parallel speed-up. Target: every K = 4 run within 1 point of K = 1."
  echo
  echo "| configuration | test accuracy | vs K=1 (points) | wall time incl. start-up (s) |"
  echo "| --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} > "$results"
cat "$results"
