#!/usr/bin/env bash
# model.onnx beside model.json on synth100k: file sizes, and batch prediction
# of the 20,000 test rows by onnxruntime-node (the runtime `make tools`
# installs) beside the trainer's own (bench/trainer/predictbench), measured
# in one run. Also prints the harness floor: node's process start, the
# session load and a run on zero rows.
#
#   bash bench/onnx/run.sh        (or: bash bench/run.sh onnx)
#
# DATA_DIR overrides the data directory (default ../shared/data next to the
# repository); REPEAT the batch repetitions (the fastest counts). Never run
# by tests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA_DIR=${DATA_DIR:-$ROOT/../shared/data}
REPEAT=${REPEAT:-5}
TOOLS="$ROOT/.tools"
SCORE="$ROOT/internal/onnx/ortnode/score.mjs"

cd "$ROOT"
make --no-print-directory tools >&2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -o "$TMP/trainer" ./trainer
go build -o "$TMP/predictbench" ./bench/trainer/predictbench
xz -dc "$DATA_DIR/synth100k.csv.xz" >"$TMP/synth100k.csv"
awk -F, 'NR == 1 || $NF == "test"' "$TMP/synth100k.csv" >"$TMP/test.csv"
features=$(head -1 "$TMP/synth100k.csv" | awk -F, '{ s = "["; for (i = 1; i <= NF; i++) if ($i != "label" && $i != "split") s = s (s == "[" ? "" : ",") "\"" $i "\""; print s "]" }')

field() { node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(d[process.argv[1]])' "$1"; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
us() { awk -v s="$1" 'BEGIN { printf "%.0f", s * 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1fx", a / b }'; }
kb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1e3 }'; }
row() { printf '| %-39s | %12s | %16s | %19s |\n' "$@"; }

# node's own start: the fastest of five `node -e ''`
node_start=$(for _ in 1 2 3 4 5; do
	s=$(date +%s%N); node -e '' ; e=$(date +%s%N); echo $(((e - s)))
done | sort -n | head -1 | awk '{ printf "%.4f", $1 / 1e9 }')

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), node $(node --version), onnxruntime-node $(node -p "require('$TOOLS/node_modules/onnxruntime-node/package.json').version")" >&2
for model in random_forest logistic_regression; do
	out="$TMP/$model"
	"$TMP/trainer" train --data "$TMP/synth100k.csv" --split-column split --model "$model" --output-dir "$out" >/dev/null
	go_json=$("$TMP/predictbench" --model "$out/model.json" --data "$TMP/synth100k.csv" --repeat "$REPEAT" --single-rows 1)
	ort_json=$(node "$SCORE" --tools "$TOOLS" --model "$out/model.onnx" --input "$TMP/test.csv" --features "$features" --repeat "$REPEAT" --no-rows)
	go_batch=$(echo "$go_json" | field batch_seconds)
	ort_batch=$(echo "$ort_json" | field batch_seconds)
	echo
	echo "== synth100k $model ($(echo "$ort_json" | field rows) test rows, best of $REPEAT)"
	row "figure" "trainer" "onnxruntime-node" "onnxruntime/trainer"
	row "---------------------------------------" "------------" "----------------" "-------------------"
	row "model file (kB): model.json, model.onnx" "$(kb "$out/model.json")" "$(kb "$out/model.onnx")" "$(ratio "$(stat -c %s "$out/model.onnx")" "$(stat -c %s "$out/model.json")")"
	row "batch predict 20,000 rows (ms)" "$(ms "$go_batch")" "$(ms "$ort_batch")" "$(ratio "$ort_batch" "$go_batch")"
	row "floor: session load (ms)" "-" "$(ms "$(echo "$ort_json" | field load_seconds)")" "-"
	row "floor: one run on zero rows (us)" "-" "$(us "$(echo "$ort_json" | field empty_run_seconds)")" "-"
	row "floor: node process start (ms)" "-" "$(ms "$node_start")" "-"
done
