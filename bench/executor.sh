#!/usr/bin/env bash
# Executor benchmark: the same model, data, batch size (64) and thread count as (a) a bare TorchSharp loop, (b) our
# executor in chunks with a checkpoint written and read per chunk, (c) plain PyTorch (Debian's python3-torch on
# OpenMP OpenBLAS). Also the CNN's model FLOP utilisation against a measured single-thread matmul peak.
# Writes bench/results/executor.md. Usage: bench/executor.sh [steps] [chunk] [threads] [repeats]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
cd "$repo_root"
steps="${1:-1000}"
chunk="${2:-250}"
threads="${3:-1}"
repeats="${4:-5}"
if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1 || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  # Debian's PyTorch (for /usr/bin/python3, not a pyenv one) and the OpenMP OpenBLAS it runs best on.
  apt_install python3-torch libopenblas0-openmp || echo "python3-torch is not available; the PyTorch column will be empty." >&2
fi
dotnet build bench/ExecutorBenchmark/ExecutorBenchmark.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
bench=(dotnet bench/ExecutorBenchmark/bin/Release/net10.0/linux-x64/DurableTrainer.ExecutorBenchmark.dll)
value() { awk -v key="$1" '$1==key{$1=""; print substr($0, 2)}' <<<"$2"; }
# "median (lower quartile-upper quartile)" and "min-max" of a list of numbers.
quartiles() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{printf "**%.3f** (%.3f-%.3f)", v[int((NR+1)/2)], v[int(NR/4)+1], v[int(3*NR/4)+(NR%4?1:0)]}'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END{printf "%.0f-%.0f", lo, hi}'; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}' || echo "n/a"; }
rows=()
details=()
for model in mlp cnn; do
  model_steps="$steps"
  if [ "$model" = cnn ]; then model_steps=$((steps / 4)); fi
  pairs=20
  if [ "$model" = cnn ]; then pairs=6; fi
  out="$("${bench[@]}" "$model" "$model_steps" "$chunk" "$threads" "$repeats" "$pairs")"
  torch_out="$(/usr/bin/python3 bench/pytorch_baseline.py "$model" "$model_steps" "$threads" "$repeats" 2>/dev/null || true)"
  bare=$(value bare "$out"); executor=$(value executor "$out")
  bare_cpu=$(value bare_cpu "$out"); executor_cpu=$(value executor_cpu "$out")
  pytorch=$(value pytorch "$torch_out")
  peak=$(value matmul_gflops "$out"); mflop=$(value train_mflop_per_sample "$out")
  mfu=$(awk -v s="$executor" -v f="$mflop" -v p="$peak" 'BEGIN{printf "%.1f%% (%.1f of %.1f GFLOP/s)", 100*s*f/1000/p, s*f/1000, p}')
  rows+=("| $model | $model_steps | $bare | $executor | ${pytorch:-n/a} | $(value paired_ratio "$out") ($(value paired_quartiles "$out")) | $(ratio "$executor" "$bare") | $(ratio "$executor_cpu" "$bare_cpu") | $(ratio "$executor" "$pytorch") | $(value overhead_ms_per_chunk "$out") | $mfu |")
  evaluation=$(grep -E '^evaluate_batch_' <<<"$out" | sed -E 's/^evaluate_batch_([0-9]+) ([0-9.]+)/\2 examples\/s in batches of \1/')
  details+=("- $model: evaluation on the validation split (checkpoint in, no gradients) $evaluation; $pairs paired chunks; bare loop $(value bare_range "$out") samples/s over the runs, executor $(value executor_range "$out"); $mflop MFLOP per training sample; PyTorch $(value pytorch_version "$torch_out") with BLAS $(value pytorch_blas "$torch_out")")
done
# Against PyTorch, paired: short whole runs of our executor (checkpoint in and out every chunk) and of the PyTorch
# loop, one right after the other, many times, at 1 thread and at the machine's default (all cores); the median of
# the per-pair ratios. The rates are measured inside each process, after its warm-up.
versus_pairs=7
versus_rows=()
for versus_threads in 1 "$(nproc)"; do
  for model in mlp cnn; do
    versus_steps=1000
    if [ "$model" = cnn ]; then versus_steps=200; fi
    executor_ratios=(); bare_ratios=(); executor_rates=(); torch_rates=()
    for _ in $(seq 1 "$versus_pairs"); do
      out="$("${bench[@]}" "$model" "$versus_steps" "$chunk" "$versus_threads" 1 0)"
      torch_rate=$(value pytorch "$(/usr/bin/python3 bench/pytorch_baseline.py "$model" "$versus_steps" "$versus_threads" 1 2>/dev/null || true)")
      [ -n "$torch_rate" ] || continue
      executor_ratios+=("$(ratio "$(value executor "$out")" "$torch_rate")")
      bare_ratios+=("$(ratio "$(value bare "$out")" "$torch_rate")")
      executor_rates+=("$(value executor "$out")"); torch_rates+=("$torch_rate")
    done
    if [ "${#executor_ratios[@]}" -gt 0 ]; then
      versus_rows+=("| $model | $versus_threads | $versus_steps | ${#executor_ratios[@]} | $(quartiles "${executor_ratios[@]}") | $(quartiles "${bare_ratios[@]}") | $(range "${executor_rates[@]}") | $(range "${torch_rates[@]}") |")
    fi
  done
done
{
  echo "# Executor benchmark"
  echo
  echo "Fashion-MNIST, batch 64, Adam 1e-3, $threads thread(s), chunks of $chunk steps (each chunk reads its start checkpoint"
  echo "and writes its end checkpoint, in memory, as an activity would), measured $(date -u +%Y-%m-%d) on $(nproc) cores by"
  echo "\`bench/executor.sh $steps $chunk $threads $repeats\`: medians of $repeats alternating runs of each after a warm-up of both."
  echo "Targets: executor >= 0.97 x bare loop; executor >= 1.0 x PyTorch."
  echo
  echo "| model | steps | bare TorchSharp loop (samples/s) | our executor | PyTorch (python3-torch) | executor / bare, paired chunks: median (quartiles) | executor / bare, whole runs (wall) | executor / bare, whole runs (CPU time) | executor / PyTorch | executor overhead per chunk (ms) | model FLOP utilisation |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  printf '%s\n' "${details[@]}"
  echo
  echo "Wall-clock rates are the ones the targets speak of; on this shared 2-core machine whole runs move by 10-20 % from one"
  echo "to the next, so the headline ratio is paired: a chunk of the bare loop (its model living on, as in a user's script)"
  echo "timed right before a chunk through the executor (checkpoint in, checkpoint out), many times, and the median of the"
  echo "per-pair ratios. Whole-run ratios by wall clock and by process CPU time are given beside it."
  echo "The overhead is wall time outside the chunks' step loops (checkpoint read, model build, checkpoint write, one"
  echo "initialisation per run) divided by the number of chunks. FLOP utilisation counts 3 x the forward multiply-adds x 2"
  echo "per sample at the executor's rate, over the best single-thread 1024x1024 float32 matmul rate libtorch reaches here."
  echo
  echo "## Against PyTorch, paired processes"
  echo
  echo "Target: executor / PyTorch >= 1.0 at 1 thread and at the default thread count ($(nproc) here), for both models."
  echo "Each pair is a short run of our executor (a process: warm-up, then the steps in chunks of $chunk, each chunk"
  echo "reading and writing its checkpoint) right before the same steps in plain PyTorch (a process: warm-up, then"
  echo "the steps), rates taken inside each process after its warm-up; the figure is the median of the per-pair ratios."
  echo
  echo "| model | threads | steps per run | pairs | executor / PyTorch: median (quartiles) | bare TorchSharp loop / PyTorch | executor (samples/s, over the pairs) | PyTorch (samples/s) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${versus_rows[@]}"
} > bench/results/executor.md
cat bench/results/executor.md
