#!/usr/bin/env bash
# Loading training data: the trainer's loader on a CSV and a Parquet file of
# ROWS x COLS (default 1,000,000 x 20 plus a label), generated here, against
# the floor of Go's encoding/csv parsed into a []float64 (pandas is not
# installed on the project's machines), side by side in one run; then the
# training peak RSS per row (trainer train on the Parquet file). Each load
# runs in its own process, which reports its wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${ROWS:-1000000}
cols=${COLS:-20}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/loadbench" ./bench/dataset/loadbench
go build -o "$work/trainer" ./trainer
"$work/loadbench" gen -rows "$rows" -cols "$cols" -dir "$work"
f64=$(awk -v r="$rows" -v c="$cols" 'BEGIN { printf "%.1f", r * c * 8 / 1048576 }')
echo "data: $rows rows x $cols features; CSV $(du -m "$work/data.csv" | cut -f1) MiB, Parquet $(du -m "$work/data.parquet" | cut -f1) MiB, features as float64 $f64 MiB"
best() { # best MODE FILE: the fastest of $runs runs, with its peak RSS
  for _ in $(seq "$runs"); do "$work/loadbench" "$@"; done | sort -k4 -n | head -1
}
none=$(best none)
floor=$(best floor "$work/data.csv")
csv=$(best load "$work/data.csv")
pq=$(best load "$work/data.parquet")
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i+1) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf "%-34s %8s %12s %10s\n" "" "seconds" "peak RSS MiB" "RSS/f64"
for row in "harness (no load)|$none" "encoding/csv -> []float64 (floor)|$floor" "dataset.Load CSV|$csv" "dataset.Load Parquet|$pq"; do
  name=${row%%|*}; m=${row#*|}
  printf "%-34s %8s %12s %10s\n" "$name" "$(field "$m" seconds)" "$(field "$m" peak-rss-mib)" "$(ratio "$(field "$m" peak-rss-mib)" "$f64")"
done
echo "CSV time vs floor: $(ratio "$(field "$csv" seconds)" "$(field "$floor" seconds)")x; Parquet time vs floor: $(ratio "$(field "$pq" seconds)" "$(field "$floor" seconds)")x"
trss=$( { /usr/bin/time -f "%M" "$work/trainer" train --data "$work/data.parquet" --n-estimators "${TREES:-10}" --max-depth "${DEPTH:-10}" \
  --output-dir "$work/out" >/dev/null; } 2>&1 | tail -1)
echo "training (random forest, ${TREES:-10} trees, depth ${DEPTH:-10}): peak RSS $((trss / 1024)) MiB, $(awk -v k="$trss" -v r="$rows" 'BEGIN { printf "%.0f", k * 1024 / r }') bytes per row ($(awk -v c="$cols" 'BEGIN { print c * 8 }') bytes of float64 features per row)"
