#!/usr/bin/env bash
# Durable overhead: runs the main job (the default run, `dtrain train --server`) on a local stack started as
# `dtrain train` starts its own (Azurite and the worker side by side, the worker told to check the default run at
# start-up), reads each run's orchestration history through the status query's showHistory, and splits the time from
# submission to completion into the work (chunks' step loops, evaluations) and everything around it
# (bench/overhead_breakdown.py). The main job is a cold run: the first on a freshly started stack. Each of the
# [cold runs] gets a stack of its own; the last stack then takes [warm runs] more, as a standing worker would.
# Writes bench/results/overhead.md. Target: submission to completion at most 1.03 x the work.
# Usage: bench/overhead.sh [warm runs] [cold runs]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
refuse_stray_stack
warm_runs="${1:-2}"
cold_runs="${2:-3}"
build_local_stack
worker_port=7160

keys=(submission_to_end chunks evaluation submission seeing_the_end checkpoint_read checkpoint_write setup dispatch completion_pickup replay_and_decision initialize journal prune unaccounted overhead_ratio history_overhead_ratio)
declare -A warm_values
rows=()
declare -A cold_values
# measure LABEL: one run of the main job on the standing stack, its row added to the table.
measure() {
  local label="$1" breakdown row value
  breakdown="$(history_breakdown "$server" "$(dtrain train --server "$server" --json | tail -n 1)" "$stack_dir/status.json")"
  row="| $label"
  for key in "${keys[@]}"; do
    value=$(awk -v k="$key" '$1==k{print $2}' <<<"$breakdown")
    if [[ "$label" == cold* ]]; then cold_values[$key]+="$value "; else warm_values[$key]+="$value "; fi
    row+=" | $value"
  done
  rows+=("$row |")
  rounds=$(awk '$1=="rounds"{print $2}' <<<"$breakdown")
}

server="http://127.0.0.1:$worker_port"
for cold in $(seq 1 "$cold_runs"); do
  start_azurite 10160 side-by-side
  start_worker "$worker_port" Overhead Api__WarmUpRun="$(cat src/Cli/DefaultRun.json)"
  measure "cold $cold"
  if [ "$cold" -eq "$cold_runs" ]; then
    for warm in $(seq 1 "$warm_runs"); do measure "warm $warm"; done
  fi
  stop_stack
  trap - EXIT
done
{
  echo "# Durable overhead: where the main job's time goes"
  echo
  echo "The default run (Fashion-MNIST CNN, src/Cli/DefaultRun.json: $rounds rounds, validation every 844 steps and at the end,"
  echo "one test) submitted by \`dtrain train --server\` to one worker on Azurite, $(nproc) cores, measured $(date -u +%Y-%m-%d)"
  echo "by \`bench/overhead.sh $warm_runs $cold_runs\`: $cold_runs cold runs, each the first on a stack started for it as \`dtrain train\`"
  echo "starts its own (the main job), then $warm_runs warm runs on the last stack. Seconds per run, summed over its rounds,"
  echo "from each run's orchestration history (\`showHistory=true\`) and the timings the chunk and evaluation activities"
  echo "return. Target: submission to completion at most **1.03** x the work (chunks' step loops plus evaluations)."
  echo
  echo "| run | submission to end | chunks' step loops | evaluations | submission request | rest outside the history (first pickup, seeing the end) | checkpoint reads | checkpoint writes | executor set-up | activity dispatch | completion pickup | history replay and decisions | initialise | journal writes | pruning | unaccounted | submission to end / work | history / work |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  row="| median, cold"
  for key in "${keys[@]}"; do row+=" | $(median "${cold_values[$key]}")"; done
  echo "$row |"
  row="| median, warm"
  for key in "${keys[@]}"; do row+=" | $(median "${warm_values[$key]}")"; done
  echo "$row |"
  echo
  echo "Per round (median of the warm runs / $rounds rounds): dispatch $(awk -v v="$(median "${warm_values[dispatch]}")" -v r="$rounds" 'BEGIN{printf "%.0f", 1000*v/r}') ms,"
  echo "completion pickup $(awk -v v="$(median "${warm_values[completion_pickup]}")" -v r="$rounds" 'BEGIN{printf "%.0f", 1000*v/r}') ms,"
  echo "checkpoint read and write $(awk -v a="$(median "${warm_values[checkpoint_read]}")" -v b="$(median "${warm_values[checkpoint_write]}")" -v r="$rounds" 'BEGIN{printf "%.0f", 1000*(a+b)/r}') ms,"
  echo "journal $(awk -v v="$(median "${warm_values[journal]}")" -v r="$rounds" 'BEGIN{printf "%.0f", 1000*v/r}') ms, pruning $(awk -v v="$(median "${warm_values[prune]}")" -v r="$rounds" 'BEGIN{printf "%.0f", 1000*v/r}') ms,"
  echo "replay and decisions $(awk -v v="$(median "${warm_values[replay_and_decision]}")" -v r="$rounds" 'BEGIN{printf "%.0f", 1000*v/r}') ms."
  echo
  echo "Dispatch runs from an activity's TaskScheduled event to its code starting (queue pickup included); completion"
  echo "pickup from an activity's completion to the orchestrator's next episode. The small activities (initialise,"
  echo "journal, pruning) are counted whole, their dispatch included. Outside the history is the client's share: the"
  echo "submission request (until the instance exists; the first run's includes loading the dataset to validate the run"
  echo "against it) and the rest: from the submission's return to the history's first event, and from its last event"
  echo "until the client's status poll sees the run end (logged poll by poll, the latter took 0.08-0.16 s). The history's stamps come from different clocks and moments (the episode that schedules a task, the activity that ends it), so the parts can overlap: a negative "unaccounted" is by how much. Not yet explained."
} > bench/results/overhead.md
cat bench/results/overhead.md
