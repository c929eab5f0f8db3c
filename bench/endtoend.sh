#!/usr/bin/env bash
# End to end: the main job (`dtrain train`: Azurite, the worker, the durable engine, the default run) against the
# same job written as a plain PyTorch script (bench/endtoend_pytorch.py, Debian's python3-torch, the machine's thread
# count), alternated as whole commands, pair after pair, so that the machine's drift falls on both alike. Writes
# bench/results/endtoend.md with the median paired ratios: whole commands, and the durable run's submission-to-end
# time against the script; and the peak memory of each side's whole process tree (bench/peak_memory.py).
# Usage: bench/endtoend.sh [pairs]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
refuse_stray_stack
pairs="${1:-3}"
ensure_system_pytorch
build_local_stack
now() { date +%s.%N; }
rows=()
whole_ratios=()
run_ratios=()
overheads=()
memory_rows=()
memory_file="$(mktemp)"
trap 'rm -f "$memory_file"' EXIT
for pair in $(seq 1 "$pairs"); do
  began=$(now)
  ours="$(/usr/bin/python3 bench/peak_memory.py "$memory_file" -- dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll train --json)"
  ours_memory="$(cat "$memory_file")"
  ours_whole=$(awk -v a="$began" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
  began=$(now)
  theirs="$(/usr/bin/python3 bench/peak_memory.py "$memory_file" -- /usr/bin/python3 bench/endtoend_pytorch.py)"
  theirs_memory="$(cat "$memory_file")"
  theirs_whole=$(awk -v a="$began" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')
  line="$(tail -n 1 <<<"$ours")"
  json() { /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($1)" "$line"; }
  run=$(json "round(d['wallSeconds'], 1)")
  accuracy=$(json "d['test']['accuracy']")
  chunks=$(sed -nE 's/.* in ([0-9.]+) s of chunk time.*/\1/p' <<<"$ours")
  their_accuracy=$(awk '$1=="accuracy"{print $2}' <<<"$theirs")
  their_seconds=$(awk '$1=="seconds"{print $2}' <<<"$theirs")
  whole_ratio=$(awk -v a="$ours_whole" -v b="$theirs_whole" 'BEGIN{printf "%.3f", a/b}')
  run_ratio=$(awk -v a="$run" -v b="$their_seconds" 'BEGIN{printf "%.3f", a/b}')
  outside=$(awk -v a="$run" -v c="$chunks" 'BEGIN{printf "%.1f", a-c}')
  whole_ratios+=("$whole_ratio"); run_ratios+=("$run_ratio"); overheads+=("$(awk -v a="$run" -v c="$chunks" 'BEGIN{printf "%.3f", a/c}')")
  mem() { awk -v key="$1" '$1==key{$1=""; print substr($0, 2)}' <<<"$2"; }
  memory_rows+=("| $pair | $(mem rss_mib "$ours_memory") | $(mem pss_mib "$ours_memory") | $(mem median_rss_mib "$ours_memory") | $(mem by_process "$ours_memory") | $(mem cpu_seconds "$ours_memory") | $(mem rss_mib "$theirs_memory") | $(mem pss_mib "$theirs_memory") | $(mem median_rss_mib "$theirs_memory") | $(mem cpu_seconds "$theirs_memory") | $(awk -v a="$(mem pss_mib "$ours_memory")" -v b="$(mem pss_mib "$theirs_memory")" 'BEGIN{printf "%.2f", a/b}') |")
  rows+=("| $pair | $ours_whole | $run | $chunks | $outside | $accuracy | $theirs_whole | $their_seconds | $their_accuracy | $whole_ratio | $run_ratio |")
done
{
  echo "# End to end: the main job against the same job in plain PyTorch"
  echo
  echo "The default run (Fashion-MNIST, CNN conv32-conv64-fc128 with batch norm, Adam 3e-3 on a cosine schedule, batch 64,"
  echo "2 epochs on 54,000 images, validation on 6,000 held-out training images every 844 steps and at the end, then one"
  echo "test on the 10,000 test images) through \`dtrain train\` (Azurite and the worker started and stopped by the"
  echo "command, the durable engine, $(nproc) libtorch threads), alternated with its plain-PyTorch twin"
  echo "(\`bench/endtoend_pytorch.py\`, python3-torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $(nproc) threads). Measured $(date -u +%Y-%m-%d) by \`bench/endtoend.sh $pairs\`."
  echo "Target: ratios at most 1.0 (the durable run at least as fast)."
  echo
  echo "| pair | ours: whole command (s) | ours: submission to end (s) | ours: in chunks (s) | ours: outside chunks (s) | ours: test accuracy | PyTorch: whole command (s) | PyTorch: script's own time (s) | PyTorch: test accuracy | whole commands, ours / PyTorch | submission to end / script's time |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Median paired ratios: whole commands **$(median "${whole_ratios[@]}")**; submission to end against the script's own time **$(median "${run_ratios[@]}")**."
  echo "Durable run's submission-to-end time over its time in chunks (the overhead target is 1.03, evaluations included): median $(median "${overheads[@]}")."
  echo
  echo "## Peak memory of the whole process tree (MiB)"
  echo
  echo "Sampled from /proc over each command's process tree (bench/peak_memory.py: RSS every 0.25 s, PSS every second): ours"
  echo "is the CLI, the Azurite it starts (node) and the worker; PyTorch's is the one script. RSS counts a page shared by"
  echo "two processes twice; PSS splits it between them. The median RSS is over the whole command; CPU seconds by process."
  echo
  echo "| pair | ours: peak RSS | ours: peak PSS | ours: median RSS | ours: RSS by process at the peak | ours: CPU s | PyTorch: peak RSS | PyTorch: peak PSS | PyTorch: median RSS | PyTorch: CPU s | peak PSS, ours / PyTorch |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${memory_rows[@]}"
} > bench/results/endtoend.md
cat bench/results/endtoend.md
