#!/usr/bin/env bash
# A character-level GPT on English text, nanoGPT's shakespeare_char recipe (4 layers, 4 heads, width 128, context 64,
# no dropout, no biases, tied embeddings; batch 12, 2000 steps, AdamW 1e-3 with beta2 0.99 and weight decay 0.1 on
# matrices, 100 warm-up steps then cosine to 1e-4, clip 1.0), through `dtrain train` (Azurite, the worker, the durable
# engine) against the same model, data, recipe and evaluation as a plain PyTorch script
# (bench/language_model_pytorch.py), alternated as whole commands, A B then B A, at the machine's thread count.
# The text is bench/language_model_corpus.py's (the Python documentation's topics and the licence texts every Debian
# machine has). Then the same at context 256 for a few steps, for the step time. Writes bench/results/language-model.md
# with the paired ratios, both validation losses, tokens per second and each side's peak memory.
# Usage: bench/language_model.sh [pairs] [steps] [short steps at context 256]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
refuse_stray_stack
pairs="${1:-2}"
steps="${2:-2000}"
short_steps="${3:-200}"
ensure_system_pytorch
build_local_stack
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/language_model_corpus.py "$work/english.txt"
now() { date +%s.%N; }
memory_file="$work/memory"

# ours CONTEXT STEPS: one durable run; prints "whole S", "run S", "chunks S", "loss L", "memory ..." lines.
ours() {
  local context="$1" run_steps="$2" began output line
  began=$(now)
  output="$(/usr/bin/python3 bench/peak_memory.py "$memory_file" -- dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll train \
    --data-file "$work/english.txt" --task language-model --tokenizer char --context-length "$context" \
    --model gpt --model-param layers=4 --model-param heads=4 --model-param embedding=128 --model-param dropout=0 \
    --model-param bias=false --model-param tieWeights=true \
    --optimizer adamw --learning-rate 0.001 --beta2 0.99 --weight-decay 0.1 --weight-decay-on matrices \
    --schedule cosine-with-warmup --warmup-steps 100 --min-factor 0.1 \
    --max-steps "$run_steps" --batch-size 12 --gradient-clip-norm 1.0 --seed 42 \
    --evaluation-interval-steps "$run_steps" --steps-per-chunk 500 --json)"
  echo "whole $(awk -v a="$began" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')"
  line="$(tail -n 1 <<<"$output")"
  echo "run $(json_field "$line" "['wallSeconds']")"
  echo "loss $(json_field "$line" "['validation']['loss']" | awk '{printf "%.4f", $1}')"
  echo "chunks $(sed -nE 's/.* in ([0-9.]+) s of chunk time.*/\1/p' <<<"$output")"
  echo "pss $(awk '$1=="pss_mib"{print $2}' "$memory_file")"
  echo "rss $(awk '$1=="rss_mib"{print $2}' "$memory_file")"
}

# theirs CONTEXT STEPS: the PyTorch script; prints its lines, "whole S" and the peak memory.
theirs() {
  local context="$1" run_steps="$2" began
  began=$(now)
  /usr/bin/python3 bench/peak_memory.py "$memory_file" -- /usr/bin/python3 bench/language_model_pytorch.py "$work/english.txt" "$run_steps" "$context" "$(nproc)" 42
  echo "whole $(awk -v a="$began" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')"
  echo "pss $(awk '$1=="pss_mib"{print $2}' "$memory_file")"
  echo "rss $(awk '$1=="rss_mib"{print $2}' "$memory_file")"
}

field() { awk -v key="$1" '$1==key{print $2}' <<<"$2" | tail -n 1; }
rows=()
ratios=()
run_ratios=()
losses=()
for pair in $(seq 1 "$pairs"); do
  if [ $((pair % 2)) -eq 1 ]; then
    a="$(ours 64 "$steps")"; b="$(theirs 64 "$steps")"; order="ours, PyTorch"
  else
    b="$(theirs 64 "$steps")"; a="$(ours 64 "$steps")"; order="PyTorch, ours"
  fi
  ratio=$(awk -v a="$(field whole "$a")" -v b="$(field whole "$b")" 'BEGIN{printf "%.3f", b/a}')
  run_ratio=$(awk -v a="$(field run "$a")" -v b="$(field seconds "$b")" 'BEGIN{printf "%.3f", b/a}')
  tokens=$(awk -v c="$(field chunks "$a")" -v s="$steps" 'BEGIN{printf "%.0f", s*12*64/c}')
  ratios+=("$ratio"); run_ratios+=("$run_ratio")
  losses+=("$(field loss "$a") / $(field validation_loss "$b")")
  rows+=("| $pair | $order | $(field whole "$a") | $(field run "$a") | $(field chunks "$a") | $(field loss "$a") | $tokens | $(field pss "$a") | $(field whole "$b") | $(field seconds "$b") | $(field validation_loss "$b") | $(field tokens_per_second "$b") | $(field pss "$b") | $ratio | $run_ratio |")
done
short_a="$(ours 256 "$short_steps")"
short_b="$(theirs 256 "$short_steps")"
short_ours_ms=$(awk -v c="$(field chunks "$short_a")" -v s="$short_steps" 'BEGIN{printf "%.1f", 1000*c/s}')
{
  echo "# A character-level GPT against the same model in plain PyTorch"
  echo
  echo "nanoGPT's shakespeare_char recipe (4 layers, 4 heads, width 128, context 64, no dropout, no biases, tied embeddings;"
  echo "batch 12, $steps steps, AdamW 1e-3 with beta2 0.99 and weight decay 0.1 on matrices, 100 warm-up steps then cosine"
  echo "to 1e-4, clip 1.0; nanoGPT's initialisation) on $(wc -c <"$work/english.txt") characters of English text"
  echo "(\`bench/language_model_corpus.py\`: the Python documentation's topics and Debian's licence texts; the tail tenth"
  echo "tests, the tenth before it validates), through \`dtrain train\` (Azurite, the worker and the durable engine, started"
  echo "and stopped by the command, $(nproc) libtorch threads, chunks of 500 steps) against \`bench/language_model_pytorch.py\`"
  echo "(python3-torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $(nproc) threads), whole commands"
  echo "alternated A B, B A. Both evaluate every token of the validation text once. Measured $(date -u +%Y-%m-%d) by"
  echo "\`bench/language_model.sh $pairs $steps $short_steps\`. Targets: speed ratio (PyTorch's time / ours) at least 1.0;"
  echo "validation losses within 0.03 of each other."
  echo
  echo "| pair | order | ours: whole command (s) | ours: submission to end (s) | ours: in chunks (s) | ours: validation loss | ours: tokens/s in chunks | ours: peak PSS (MiB) | PyTorch: whole command (s) | PyTorch: training and evaluation (s) | PyTorch: validation loss | PyTorch: tokens/s | PyTorch: peak PSS (MiB) | speed, whole commands | speed, submission to end against the script's loop |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Median speed ratio, whole commands: **$(median "${ratios[@]}")**; submission to end against the script's own loop: **$(median "${run_ratios[@]}")**."
  echo "Validation losses, ours / PyTorch's, pair by pair: $(IFS=';'; echo "${losses[*]}")."
  echo
  echo "## Step time at context 64 and 256"
  echo
  echo "| context | ours: ms per step (in chunks) | PyTorch: ms per step |"
  echo "| --- | --- | --- |"
  echo "| 64 | $(awk -v c="$(field chunks "$a")" -v s="$steps" 'BEGIN{printf "%.1f", 1000*c/s}') | $(field step_ms "$b") |"
  echo "| 256 | $short_ours_ms | $(field step_ms "$short_b") |"
  echo
  echo "The context-256 rows are $short_steps-step runs of the same model (one of each, ours first); the step includes the"
  echo "forward and backward pass through every layer, not the attention alone."
} > bench/results/language-model.md
cat bench/results/language-model.md
