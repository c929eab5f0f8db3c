#!/usr/bin/env bash
# Time to accuracy: the main job of this tree (`dtrain train`, its embedded default) against the main job of an older
# commit (a git worktree, built here), alternated pair after pair. Writes bench/results/accuracy.md: each side's test
# accuracy and wall time, and the median paired time ratio. Target: the new default reaches at least 0.92 test accuracy
# in no more time than the old one. The default base is 0a9b774, the last commit before issue #13's new recipe (2
# epochs of the CNN with batch norm, Adam 3e-3 on a cosine schedule) and before the tensor threads.
# Usage: bench/accuracy.sh [pairs] [base commit]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
pairs="${1:-3}"
base="${2:-0a9b774}"
old="$(mktemp -d)"
trap 'git worktree remove --force "$old" >/dev/null 2>&1 || rm -rf "$old"' EXIT
git worktree add --detach "$old" "$base" >/dev/null
# The worktree shares this tree's Azurite install rather than fetching its own.
ln -s "$repo_root/node_modules" "$old/node_modules"
build_local_stack
(cd "$old" && build_local_stack)
now() { date +%s.%N; }
json() { /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }
# run_job TREE: the main job of that tree; prints "whole-seconds submission-to-end-seconds test-accuracy".
run_job() {
  local began line
  began=$(now)
  line="$(cd "$1" && dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll train --json | tail -n 1)"
  echo "$(awk -v a="$began" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') $(json "$line" "round(d['wallSeconds'], 1)") $(json "$line" "d['test']['accuracy']")"
}
rows=()
ratios=()
for pair in $(seq 1 "$pairs"); do
  read -r old_whole old_run old_accuracy < <(run_job "$old")
  read -r new_whole new_run new_accuracy < <(run_job "$repo_root")
  ratio=$(awk -v a="$new_run" -v b="$old_run" 'BEGIN{printf "%.3f", a/b}')
  ratios+=("$ratio")
  rows+=("| $pair | $old_accuracy | $old_run | $old_whole | $new_accuracy | $new_run | $new_whole | $ratio |")
done
{
  echo "# Time to accuracy: the main job against the main job of $base"
  echo
  echo "\`dtrain train\` with each tree's embedded default, alternated: the old commit's job right before this tree's, $pairs"
  echo "times, on $(nproc) cores, measured $(date -u +%Y-%m-%d) by \`bench/accuracy.sh $pairs $base\`."
  echo
  echo "- old ($base): $(json "$(cat "$old/src/Cli/DefaultRun.json" | tr -d '\n')" "d['model'], d['optimizer'], d.get('schedule', 'constant'), d['training']")"
  echo "- new: $(json "$(cat src/Cli/DefaultRun.json | tr -d '\n')" "d['model'], d['optimizer'], d.get('schedule', 'constant'), d['training']")"
  echo
  echo "Target: the new job at least **0.92** test accuracy, its submission-to-end time at most the old one's (ratio at most 1)."
  echo
  echo "| pair | old: test accuracy | old: submission to end (s) | old: whole command (s) | new: test accuracy | new: submission to end (s) | new: whole command (s) | new / old, submission to end |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Median paired ratio **$(median "${ratios[@]}")**."
} > bench/results/accuracy.md
cat bench/results/accuracy.md
