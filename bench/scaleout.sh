#!/usr/bin/env bash
# Scale-out: a 2-replica CNN run on 2 workers of 1 libtorch thread each, against the same run on 1 worker of 1 thread
# (its replicas' chunks then run one after another), alternated pair after pair on one standing Azurite, each side on
# fresh workers and a task hub of its own. Both sides must end on bitwise-identical weights (the SHA-256 of the exported
# safetensors). Writes bench/results/scaleout.md: the paired speed-ups, then the per-round figures of the runs'
# histories and what bench/scaleout_model.py predicts from them for more workers.
# Each run is profiled system-wide with perf (bench/cpu_profile.py): where the cores' time went while it trained.
# Target: the 2-worker run at least 1.8x as fast. Usage: bench/scaleout.sh [pairs] [total steps] [steps per chunk]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
refuse_stray_stack
pairs="${1:-3}"
steps="${2:-1200}"
chunk="${3:-150}"
replicas=2
build_local_stack
command -v perf >/dev/null || apt_install linux-perf
start_azurite 10170
out="$stack_dir/out"
mkdir -p "$out"

# run_on WORKERS LABEL: starts WORKERS workers of 1 thread in a new hub, submits the run to the first, reads its
# history, exports its weights, stops the workers. Leaves the breakdown in $out/LABEL, "seconds sha256" in
# $out/LABEL.result and the CPU profile's row in $out/LABEL.cpu.
# Every worker is told the run's data at start-up (Api:WarmUpRun), as a standing pool would be: without it the second
# worker's first chunk loads Fashion-MNIST (1-3 s) inside the 2-worker run, a one-off cost that does not scale with rounds.
run_on() {
  local workers="$1" label="$2" port=7171
  for index in $(seq 1 "$workers"); do
    start_worker $((7170 + index)) "Scale$label" Training__Threads=1 DurableTask__MaxConcurrentActivities=1 \
      Api__WarmUpRun="$(cat src/Cli/DefaultRun.json)"
  done
  wait_for_warm_up "${stack_worker_pids[@]}"
  local server="http://127.0.0.1:$port"
  local line id profiler
  perf record -q -a -e cpu-clock -c 5000000 -o "$out/$label.perf" 2>/dev/null &
  profiler=$!
  line="$(dtrain train --server "$server" --json --model cnn --replicas "$replicas" --max-steps "$steps" \
    --steps-per-chunk "$chunk" --evaluation-interval-steps 1000000 | tail -n 1)"
  kill -INT "$profiler"
  wait "$profiler" || true
  /usr/bin/python3 bench/cpu_profile.py "$label" "$out/$label.perf" "$stack_azurite_pid" "${stack_worker_pids[@]}" >"$out/$label.cpu"
  id="$(json_field "$line" "['runId']")"
  history_breakdown "$server" "$line" "$out/$label.status.json" >"$out/$label"
  dtrain export "$id" --server "$server" --format safetensors -o "$out/$label.export" >/dev/null
  stop_workers
  echo "$(awk '$1=="in_history"{print $2}' "$out/$label") $(sha256sum "$out/$label.export/$id.safetensors" | cut -c1-16)" >"$out/$label.result"
}

# Waits until every worker has logged the end of its warm-up, so that no run starts beside a worker still loading.
wait_for_warm_up() {
  for port in $(seq 7171 $((7170 + $#))); do
    for _ in $(seq 1 120); do grep -q "Warmed up\|nothing was warmed up\|Warming up for" "$stack_dir/worker-$port.log" && break; sleep 0.5; done
  done
}

# The machine's own ceiling: how much faster two independent 1-thread training loops run at once than one alone
# (the two's rates summed, over the rate of one alone), paired. Below 2 when the cores share more than a
# name: memory bandwidth, a cache, a physical core, the host's other tenants.
dotnet build bench/ExecutorBenchmark/ExecutorBenchmark.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
bare_rate() { dotnet bench/ExecutorBenchmark/bin/Release/net10.0/linux-x64/DurableTrainer.ExecutorBenchmark.dll cnn 300 150 1 1 0 | awk '$1=="bare"{print $2}'; }
ceilings=()
# One alone before and one after the two at once, so that a drift over the triple falls on both sides.
for _ in $(seq 1 "$pairs"); do
  before=$(bare_rate)
  bare_rate >"$out/first" &
  first=$!
  bare_rate >"$out/second"
  wait "$first"
  after=$(bare_rate)
  ceilings+=("$(awk -v b="$before" -v a="$after" -v x="$(cat "$out/first")" -v y="$(cat "$out/second")" 'BEGIN{printf "%.2f", 2*(x+y)/(a+b)}')")
done
rows=()
profiles=()
breakdowns=()
ratios=()
identical=yes
for pair in $(seq 1 "$pairs"); do
  run_on 1 "one$pair"
  run_on "$replicas" "two$pair"
  read -r one one_sha <"$out/one$pair.result"
  read -r two two_sha <"$out/two$pair.result"
  ratio=$(awk -v a="$one" -v b="$two" 'BEGIN{printf "%.3f", a/b}')
  ratios+=("$ratio")
  [ "$one_sha" = "$two_sha" ] || identical=no
  rows+=("| $pair | $one | $two | $ratio | $one_sha | $two_sha |")
  profiles+=("$(cat "$out/one$pair.cpu")" "$(cat "$out/two$pair.cpu")")
  for label in "one$pair" "two$pair"; do
    row="| $label"
    for key in in_history rounds chunks evaluation dispatch checkpoint_read checkpoint_write setup merge journal prune completion_pickup; do
      row+=" | $(awk -v k="$key" '$1==k{print $2}' "$out/$label")"
    done
    breakdowns+=("$row |")
  done
done
model="$(/usr/bin/python3 bench/scaleout_model.py "$replicas" "$chunk" "$out"/one*.status.json -- "$out"/two*.status.json)"
{
  echo "# Scale-out: $replicas replicas on $replicas workers against 1 worker"
  echo
  echo "A $replicas-replica run of the default CNN (Adam 1e-3, batch 64, $steps steps in all, $chunk steps per replica per round,"
  echo "averaged after every round, one validation and one test at the end) on Azurite, $(nproc) cores, measured $(date -u +%Y-%m-%d)"
  echo "by \`bench/scaleout.sh $pairs $steps $chunk\`. Each side starts fresh workers of 1 libtorch thread (\`Training__Threads=1\`,"
  echo "one activity at a time) in a task hub of its own; with 1 worker the replicas' chunks run one after another."
  echo "Seconds from the run's first to its last history event. Target: at least **1.8x**, with identical final weights."
  echo
  echo "| pair | 1 worker (s) | $replicas workers (s) | speed-up | weights SHA-256, 1 worker | weights SHA-256, $replicas workers |"
  echo "| --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Median speed-up **$(median "${ratios[@]}")**; final weights identical in every pair: **$identical**."
  echo
  echo "The machine's ceiling: two independent 1-thread CNN training loops (bench/ExecutorBenchmark's bare loop) at once"
  echo "train $(printf '%s, ' "${ceilings[@]}" | sed 's/, $//') times as many samples per second as one alone, run right before and after"
  echo "(median **$(median "${ceilings[@]}")**)."
  echo "No 2-worker run here can beat that."
  echo
  echo "Where the cores' time went while each run trained: perf sampled every 5 ms of CPU time on all cores"
  echo "(\`perf record -a -e cpu-clock\`, from submission to the run's end), grouped by bench/cpu_profile.py. Training is"
  echo "the workers' tensor threads (chunks, merges, evaluations); worker rest their other threads (queue polling,"
  echo "episodes, HTTP, JIT, GC); other the dtrain client, perf and the system. Shares of $(nproc) cores' time."
  echo
  echo "| run | training | worker rest | Azurite | idle | other |"
  echo "| --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${profiles[@]}"
  echo
  echo "Seconds summed over each run's history (bench/overhead_breakdown.py; \"rounds\" counts chunk activities):"
  echo
  echo "| run | in history | chunk activities | chunks' step loops | evaluations | dispatch | checkpoint reads | checkpoint writes | set-up | merges | journal | pruning | completion pickup |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${breakdowns[@]}"
  echo
  echo "$model"
} > bench/results/scaleout.md
cat bench/results/scaleout.md
