#!/usr/bin/env bash
# Executor benchmark: the same model, data, batch size (64) and thread count as (a) a bare TorchSharp loop, (b) our
# executor in chunks with a checkpoint saved and loaded per chunk, (c) plain PyTorch (Debian's python3-torch).
# Writes bench/results/executor.md. Usage: bench/executor.sh [steps] [chunk] [threads]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
cd "$repo_root"
steps="${1:-1000}"
chunk="${2:-250}"
threads="${3:-1}"
if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  # Debian's PyTorch (for /usr/bin/python3, not a pyenv one) and the OpenMP OpenBLAS it runs best on.
  apt_install python3-torch libopenblas0-openmp || echo "python3-torch is not available; the PyTorch column will be empty." >&2
fi
dotnet build bench/ExecutorBenchmark/ExecutorBenchmark.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
bench=(dotnet bench/ExecutorBenchmark/bin/Release/net10.0/linux-x64/DurableTrainer.ExecutorBenchmark.dll)
rows=()
for model in mlp cnn; do
  model_steps="$steps"
  if [ "$model" = cnn ]; then model_steps=$((steps / 4)); fi
  out="$("${bench[@]}" "$model" "$model_steps" "$chunk" "$threads")"
  bare=$(awk '$1=="bare"{print $2}' <<<"$out")
  executor=$(awk '$1=="executor"{print $2}' <<<"$out")
  pytorch=$(/usr/bin/python3 bench/pytorch_baseline.py "$model" "$model_steps" "$threads" 2>/dev/null | awk '$1=="pytorch"{print $2}' || true)
  vs_bare=$(awk -v a="$executor" -v b="$bare" 'BEGIN{printf "%.3f", a/b}')
  vs_torch=$( [ -n "$pytorch" ] && awk -v a="$executor" -v b="$pytorch" 'BEGIN{printf "%.3f", a/b}' || echo "n/a")
  rows+=("| $model | $model_steps | $bare | $executor | ${pytorch:-n/a} | $vs_bare | $vs_torch |")
done
{
  echo "# Executor benchmark"
  echo
  echo "Fashion-MNIST, batch 64, Adam 1e-3, $threads thread(s), chunks of $chunk steps (a checkpoint serialized and loaded"
  echo "per chunk, in memory), measured $(date -u +%Y-%m-%d) on $(nproc) cores by \`bench/executor.sh $steps $chunk $threads\`."
  echo "Median samples per second of three alternating runs each, after a warm-up of both. Targets: executor >= 0.97 x bare loop; executor >= 1.0 x PyTorch."
  echo
  echo "| model | steps | bare TorchSharp loop | our executor | PyTorch (python3-torch) | executor / bare | executor / PyTorch |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} > bench/results/executor.md
cat bench/results/executor.md
