#!/usr/bin/env bash
# Text classification: the default encoder and text recipe (`dtrain train --text`, no model or recipe named) against a
# character n-gram logistic regression (scikit-learn's TF-IDF of character 1-4-grams, bench/text_classification_baseline.py)
# on the same train / validation / test files: which of five kinds of file a snippet comes from (Python, C, Perl,
# English prose, Debian changelogs; bench/text_classification_prepare.py, from files every Debian machine has).
# Writes bench/results/text-classification.md with both test accuracies. Target: within 0.03 of the baseline.
# Usage: bench/text_classification.sh [snippets per kind] [context length]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
refuse_stray_stack
per_kind="${1:-800}"
context="${2:-256}"
ensure_system_pytorch
/usr/bin/python3 -c "import sklearn" >/dev/null 2>&1 || apt_install python3-sklearn
build_local_stack
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepared="$(/usr/bin/python3 bench/text_classification_prepare.py "$work" "$per_kind" | sed -E 's/ in [^ ]+: /: /')"
began=$(date +%s.%N)
output="$(dtrain train --data-file "$work/train.csv" --validation-file "$work/validation.csv" --test-file "$work/test.csv" \
  --text text --label kind --id-column id --context-length "$context" --json)"
ours_seconds=$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
line="$(tail -n 1 <<<"$output")"
ours_accuracy="$(json_field "$line" "['test']['accuracy']")"
ours_validation="$(json_field "$line" "['validation']['accuracy']")"
steps="$(json_field "$line" "['steps']")"
baseline="$(/usr/bin/python3 bench/text_classification_baseline.py "$work")"
field() { awk -v key="$1" '$1==key{print $2}' <<<"$baseline"; }
difference=$(awk -v a="$ours_accuracy" -v b="$(field accuracy)" 'BEGIN{printf "%+.4f", a-b}')
{
  echo "# Text classification: the default encoder against a character n-gram baseline"
  echo
  echo "Which kind of file a snippet of 120-280 characters comes from, among Python modules, C headers, Perl modules,"
  echo "English prose and Debian changelogs ($prepared; \`bench/text_classification_prepare.py\`). Ours: \`dtrain train"
  echo "--data-file train.csv --validation-file validation.csv --test-file test.csv --text text --label kind --context-length"
  echo "$context\`, naming no model and no recipe, so the \`encoder\` built-in and the text recipe (AdamW 3e-3, 10 epochs of 32,"
  echo "cosine after 20 warm-up steps, clip 1.0; char tokenizer). Baseline: scikit-learn $(/usr/bin/python3 -c 'import sklearn; print(sklearn.__version__)')'s"
  echo "TF-IDF of character 1-4-grams and a logistic regression, C chosen on validation among 1, 10, 100"
  echo "(\`bench/text_classification_baseline.py\`). Measured $(date -u +%Y-%m-%d) by \`bench/text_classification.sh $per_kind $context\`."
  echo "Target: ours within 0.03 of the baseline's test accuracy."
  echo
  echo "| | test accuracy | validation accuracy | time (s) |"
  echo "| --- | --- | --- | --- |"
  echo "| ours: encoder, $steps steps | **$ours_accuracy** | $ours_validation | $ours_seconds (whole command, stack included) |"
  echo "| baseline: char 1-4-gram TF-IDF + logistic regression (C $(field c)) | **$(field accuracy)** | $(field validation_accuracy) | $(field seconds) |"
  echo
  echo "Ours minus the baseline: **$difference**."
} > bench/results/text-classification.md
cat bench/results/text-classification.md
