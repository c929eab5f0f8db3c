#!/usr/bin/env bash
# Sharded data against the same data held in memory, as it grows from 1x to 8x Fashion-MNIST's 60,000 training
# images (bench/shards_prepare.py writes them as .npz shards of 7,500). For each size, the same folder is trained by
# `dtrain train --data-dir` twice, side by side: once read whole into the worker's memory, once with --sharded
# (streamed through the worker's bounded shard cache). Both runs take the same steps of the default CNN, test on the
# same 5,000 images and validate on another 5,000. Records the worker's peak resident memory (VmHWM, sampled from
# /proc while it runs) and the training throughput inside chunks; writes bench/results/shards.md.
# Usage: bench/shards.sh [steps per run, default 750] [pairs per size, default 1]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
steps="${1:-750}"
pairs="${2:-1}"
sizes=(1 2 4 8)
ensure_system_pytorch
work="$(mktemp -d)"
sampler=""
trap '[ -n "$sampler" ] && kill "$sampler" 2>/dev/null; rm -rf "$work"' EXIT
/usr/bin/python3 bench/shards_prepare.py "$work" "${sizes[@]}"
build_local_stack

# The highest peak resident set (kB) of any worker process seen while it runs; VmHWM only grows, so sampling
# every 0.3 s misses nothing but a peak in a process's last moments.
sample_worker_peak() {
  local out="$1" seen=0 pid hwm
  echo 0 > "$out"
  while true; do
    for pid in $(pgrep -f 'DurableTrainer.Worker.dll' || true); do
      hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
      if [ -n "$hwm" ] && [ "$hwm" -gt "$seen" ]; then seen=$hwm; echo "$seen" > "$out"; fi
    done
    sleep 0.3
  done
}

# One run; prints "peak_mib samples_per_second wall_seconds accuracy".
train() {
  local folder="$1" mode="$2" peak="$work/peak" output="$work/output" began ended
  sample_worker_peak "$peak" & sampler=$!
  began=$(date +%s.%N)
  dtrain train --data-dir "$folder" --test-file "$work/test.npz" --validation-file "$work/validation.npz" \
    $([ "$mode" = sharded ] && echo --sharded) --max-steps "$steps" --evaluation-interval-steps 1000000 --json > "$output"
  ended=$(date +%s.%N)
  kill "$sampler"; wait "$sampler" 2>/dev/null || true; sampler=""
  local rate accuracy
  rate=$(sed -nE 's/^Training throughput: ([0-9.]+) samples\/s.*/\1/p' "$output")
  accuracy=$(tail -n 1 "$output" | /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['test']['accuracy'])")
  echo "$(( $(cat "$peak") / 1024 )) $rate $(awk -v a="$began" -v b="$ended" 'BEGIN{printf "%.1f", b-a}') $accuracy"
}

rows=()
ratios=()
sharded_peaks=()
memory_peaks=()
for size in "${sizes[@]}"; do
  for pair in $(seq 1 "$pairs"); do
    # Alternate which goes first, so that the machine's drift falls on both alike.
    if (( (size + pair) % 2 == 0 )); then
      memory=($(train "$work/$size" memory)); sharded=($(train "$work/$size" sharded))
    else
      sharded=($(train "$work/$size" sharded)); memory=($(train "$work/$size" memory))
    fi
    ratio=$(awk -v s="${sharded[1]}" -v m="${memory[1]}" 'BEGIN{printf "%.3f", s/m}')
    ratios+=("$ratio"); sharded_peaks+=("${sharded[0]}"); memory_peaks+=("${memory[0]}")
    rows+=("| ${size}x | $((size * 60000)) | $((size * 8)) | $pair | ${memory[0]} | ${memory[1]} | ${memory[2]} | ${memory[3]} | ${sharded[0]} | ${sharded[1]} | ${sharded[2]} | ${sharded[3]} | $ratio |")
  done
done

min() { printf '%s\n' "$@" | sort -g | head -n 1; }
max() { printf '%s\n' "$@" | sort -g | tail -n 1; }
mkdir -p bench/results
{
  echo "# Sharded data: worker memory and throughput from 1x to 8x"
  echo
  echo "Fashion-MNIST's 60,000 training images (Debian's package), k copies (each shifted by its copy number of pixels),"
  echo "in .npz shards of 7,500 uint8 images, written by \`bench/shards_prepare.py\`. For each size the same folder is"
  echo "trained twice by \`dtrain train --data-dir ... --test-file ... --validation-file ... --max-steps $steps\` through the"
  echo "durable engine on Azurite: read whole into the worker's memory, and with \`--sharded\` (the worker holds at most"
  echo "Training:ShardsInMemory = 4 decoded shards plus what running chunks lease, fetching the next shard while it trains"
  echo "on the current one). Default CNN, batch 64, $(nproc) cores, a new worker per run; measured $(date -u +%Y-%m-%d) by \`bench/shards.sh $steps $pairs\`."
  echo "Peak memory is the worker process's VmHWM; throughput is samples per second inside chunks (what the run reports),"
  echo "so the survey at submission (reading every shard once to check it, pin it and compute the statistics) and the"
  echo "in-memory load are outside it; wall is the whole command, uploads included. Both test on the same 5,000 images."
  echo
  echo "| size | images | shards | pair | in memory: peak MiB | samples/s | wall s | test acc | sharded: peak MiB | samples/s | wall s | test acc | sharded / in memory throughput |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "- Sharded worker peak: $(min "${sharded_peaks[@]}")-$(max "${sharded_peaks[@]}") MiB across 1x-8x (in memory: $(min "${memory_peaks[@]}")-$(max "${memory_peaks[@]}") MiB)."
  echo "- Sharded throughput / in-memory throughput, per pair: median $(median "${ratios[@]}") (range $(min "${ratios[@]}")-$(max "${ratios[@]}"))."
} > bench/results/shards.md
cat bench/results/shards.md
