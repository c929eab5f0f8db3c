#!/usr/bin/env bash
# Users' own data, one run per format, on real public data that is available offline: the datasets scikit-learn
# bundles (Debian's python3-sklearn), written as CSV, TSV, .npy, .npz and an image folder by
# bench/userdata_prepare.py, each uploaded and trained by `dtrain train --data-file/--data-dir ... --json` through
# the durable engine on Azurite. Writes bench/results/userdata.md with each run's test metrics (its held-out 20 %)
# and its last validation figure. Usage: bench/userdata.sh
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo_root/scripts/prerequisites.sh"
source "$repo_root/bench/common.sh"
cd "$repo_root"
if ! /usr/bin/python3 -c "import PIL" >/dev/null 2>&1 || [ ! -f /usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv ]; then
  apt_install python3-sklearn python3-pil
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/userdata_prepare.py "$work" >/dev/null
build_local_stack

rows=()
run() {
  local name="$1" format="$2" task="$3"; shift 3
  local line
  line="$(dtrain train "$@" --json | tail -n 1)"
  rows+=("$(/usr/bin/python3 - "$name" "$format" "$task" "$line" "$*" <<'PY'
import json, sys
name, fmt, task, line, args = sys.argv[1:6]
d = json.loads(line)
def scores(e):
    return ", ".join(f"{k} {v:.4f}" for k, v in e.items() if k not in ("step", "loss")) + f", loss {e['loss']:.4f}" if e else "-"
args = args.replace(sys.argv[0], "")
best = d.get('bestTest')
best_text = f"step {best['step']}: {scores(best)}" if best else "the final one"
print(f"| {name} | {fmt} | {task} | {d['steps']} ({d['stopReason']}) | {scores(d.get('test'))} | {best_text} | {scores(d.get('validation'))} | {d['wallSeconds']:.1f} |")
PY
)")
}

run "Iris (150 flowers, 4 features, 3 species)" "CSV" "classification" \
  --data-file "$work/iris.csv" --label species --epochs 60 --batch-size 16 --learning-rate 0.01
run "Breast cancer Wisconsin (569, 30 features)" "TSV" "binary" \
  --data-file "$work/breast-cancer.tsv" --label diagnosis --task binary --epochs 30 --batch-size 32
run "Diabetes progression (442, 10 features)" "CSV" "regression" \
  --data-file "$work/diabetes.csv" --label progression --task regression --model mlp --model-param hiddenUnits=32 --model-param dropout=0.2 \
  --epochs 100 --batch-size 32 --learning-rate 0.003 --evaluation-interval-steps 20 --early-stopping-patience 8 --steps-per-chunk 20
run "Wine (178, 13 features, 3 cultivars)" ".npy, label column -1" "classification" \
  --data-file "$work/wine.npy" --label=-1 --epochs 60 --batch-size 16 --learning-rate 0.01
run "Digits (1,797 8x8 images, 10 classes)" ".npz [N, 1, 8, 8]" "classification" \
  --data-file "$work/digits.npz" --epochs 15 --batch-size 32
run "Digits as PNG files" "image folder" "classification" \
  --data-dir "$work/digits" --epochs 15 --batch-size 32

mkdir -p bench/results
{
  echo "# Users' own data: one run per format on real public data"
  echo
  echo "The datasets scikit-learn bundles (Debian's python3-sklearn $(dpkg-query -W -f='${Version}' python3-sklearn 2>/dev/null || echo '?')), written in each format by"
  echo "\`bench/userdata_prepare.py\` and trained by \`dtrain train --data-file/--data-dir ... --json\` through the durable"
  echo "engine on Azurite, with the default model for the data's shape (the MLP for tables, the CNN for images). Each"
  echo "run holds out a seeded 20 % for test and 10 % of the rest for validation (every decision is made on"
  echo "validation); the test figures measure the final checkpoint on the held-out 20 % after training. Measured"
  echo "$(date -u +%Y-%m-%d) on $(nproc) cores by \`bench/userdata.sh\`; wall time is from submission to the end."
  echo "The diabetes run evaluates every 20 steps and stops early after 8 evaluations without a lower validation RMSE."
  echo "Parquet is not in this table: nothing offline here writes Parquet but our tests (Parquet.Net), which cover it."
  echo
  echo "| dataset | format | task | steps | test (final checkpoint) | test (best checkpoint by validation) | last validation | wall (s) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} > bench/results/userdata.md
cat bench/results/userdata.md
