#!/usr/bin/env bash
# Side-by-side benchmark of `trainer` against the scikit-learn 1.2 reference
# (Debian's python3-sklearn, run with /usr/bin/python3) on the shared data sets.
# Prints each figure for both, the ratio and the goal from the trainer issue.
#
#   bash bench/trainer/run.sh            (or: make bench)
#
# DATA_DIR overrides the data directory (default ../shared/data next to the
# repository). Never run by tests.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/bench/trainer"
DATA_DIR=${DATA_DIR:-$ROOT/../shared/data}
PY=/usr/bin/python3
RUNS=${RUNS:-3}

if ! "$PY" -c 'import sklearn' 2>/dev/null; then
	echo "installing python3-sklearn (scikit-learn reference)..." >&2
	if [ "$(id -u)" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y python3-sklearn >&2
	else
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y python3-sklearn >&2
	fi
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cd "$ROOT"
go build -o "$TMP/trainer" ./trainer
go build -o "$TMP/predictbench" ./bench/trainer/predictbench
xz -dc "$DATA_DIR/synth100k.csv.xz" >"$TMP/synth100k.csv"
IRIS="$DATA_DIR/iris.csv"
SYNTH="$TMP/synth100k.csv"

# json FILE KEY: print one field of a JSON object.
json() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# best RUNS: fastest wall time over RUNS runs of a command, recorded in $TMP/best.json.
best() {
	local out=$1
	shift
	rm -f "$TMP/best.json"
	for _ in $(seq "$RUNS"); do
		"$PY" "$HERE/measure.py" "$TMP/m.json" "$@" >/dev/null
		if [ ! -f "$TMP/best.json" ] || "$PY" -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["wall_seconds"] < json.load(open(sys.argv[2]))["wall_seconds"] else 1)' "$TMP/m.json" "$TMP/best.json"; then
			cp "$TMP/m.json" "$TMP/best.json"
		fi
	done
	cp "$TMP/best.json" "$out"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), scikit-learn $("$PY" -c 'import sklearn; print(sklearn.__version__)')" >&2

echo "== iris (whole process, best of $RUNS)" >&2
best "$TMP/go_iris.json" "$TMP/trainer" train --data "$IRIS" --split-column split --output-dir "$TMP/go_iris"
best "$TMP/py_iris.json" "$PY" "$HERE/sklearn_ref.py" --data "$IRIS" --output-dir "$TMP/py_iris"
"$PY" "$HERE/sklearn_ref.py" --data "$IRIS" --output-dir "$TMP/py_iris" >"$TMP/py_iris_fig.json"

echo "== synth100k (100 trees)" >&2
"$PY" "$HERE/measure.py" "$TMP/go_synth.json" "$TMP/trainer" train --data "$SYNTH" --split-column split --output-dir "$TMP/go_synth" >/dev/null
"$TMP/predictbench" --model "$TMP/go_synth/model.json" --data "$SYNTH" >"$TMP/go_pred.json"
"$PY" "$HERE/measure.py" "$TMP/py_synth.json" "$PY" "$HERE/sklearn_ref.py" --data "$SYNTH" --output-dir "$TMP/py_synth" --n-jobs -1 --predict-bench >"$TMP/py_synth_fig.json"

row() { # name trainer sklearn ratio goal
	printf '| %-36s | %14s | %14s | %8s | %-22s |\n' "$@"
}
ratio() { "$PY" -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.1fx" % (b/a) if a > 0 else "-")' "$1" "$2"; }
fmt() { "$PY" -c 'import sys; print(sys.argv[2] % float(sys.argv[1]))' "$1" "$2"; }

go_iris_acc=$(json "$TMP/go_iris/metrics.json" accuracy)
py_iris_acc=$(json "$TMP/py_iris_fig.json" accuracy)
go_iris_s=$(json "$TMP/go_iris.json" wall_seconds)
py_iris_s=$(json "$TMP/py_iris.json" wall_seconds)
go_fit=$(json "$TMP/go_synth/metrics.json" fit_seconds)
py_fit=$(json "$TMP/py_synth_fig.json" fit_seconds)
go_acc=$(json "$TMP/go_synth/metrics.json" accuracy)
py_acc=$(json "$TMP/py_synth_fig.json" accuracy)
go_rss=$(json "$TMP/go_synth.json" max_rss_kb)
py_rss=$(json "$TMP/py_synth.json" max_rss_kb)
go_size=$(stat -c %s "$TMP/go_synth/model.json")
py_size=$(json "$TMP/py_synth_fig.json" model_bytes)
go_batch=$(json "$TMP/go_pred.json" batch_seconds)
py_batch=$(json "$TMP/py_synth_fig.json" batch_seconds)
go_single=$(json "$TMP/go_pred.json" single_row_us)
go_batch_cpu=$(json "$TMP/go_pred.json" batch_cpu_seconds)
py_batch_cpu=$(json "$TMP/py_synth_fig.json" batch_cpu_seconds)
py_single=$(json "$TMP/py_synth_fig.json" single_row_us)

echo
row "figure" "trainer" "scikit-learn" "ratio" "goal"
row "------------------------------------" "--------------" "--------------" "--------" "----------------------"
row "iris accuracy (shared split)" "$(fmt "$go_iris_acc" %.4f)" "$(fmt "$py_iris_acc" %.4f)" "-" "1.0"
row "iris whole train process (s)" "$(fmt "$go_iris_s" %.3f)" "$(fmt "$py_iris_s" %.3f)" "$(ratio "$go_iris_s" "$py_iris_s")" ">= 10x"
row "synth100k fit, 100 trees (s)" "$(fmt "$go_fit" %.2f)" "$(fmt "$py_fit" %.2f)" "$(ratio "$go_fit" "$py_fit")" ">= 9x (n_jobs=-1)"
row "synth100k accuracy" "$(fmt "$go_acc" %.4f)" "$(fmt "$py_acc" %.4f)" "$("$PY" -c "print('%+.2f pt' % (($go_acc - $py_acc) * 100))")" ">= -0.5 pt"
row "synth100k train peak RSS (MiB)" "$("$PY" -c "print(round($go_rss / 1024))")" "$("$PY" -c "print(round($py_rss / 1024))")" "$(ratio "$go_rss" "$py_rss")" "below scikit-learn"
row "model file (MB): model.json / pkl" "$("$PY" -c "print('%.1f' % ($go_size / 1e6))")" "$("$PY" -c "print('%.1f' % ($py_size / 1e6))")" "$(ratio "$go_size" "$py_size")" "no larger"
row "batch predict 20,000 rows (s)" "$(fmt "$go_batch" %.4f)" "$(fmt "$py_batch" %.4f)" "$(ratio "$go_batch" "$py_batch")" ">= 5x"
row "batch predict CPU time (s)" "$(fmt "$go_batch_cpu" %.4f)" "$(fmt "$py_batch_cpu" %.4f)" "$(ratio "$go_batch_cpu" "$py_batch_cpu")" "(less noisy on a shared host)"
row "single-row predict (µs)" "$(fmt "$go_single" %.1f)" "$(fmt "$py_single" %.1f)" "$(ratio "$go_single" "$py_single")" "< 25 µs"
