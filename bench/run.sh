#!/usr/bin/env bash
# Side-by-side benchmarks. Each section names the reference it measures
# against and prints the figures and the ratio. Run on a quiet machine:
#   make bench            # everything
#   bench/run.sh handler  # one section: handler, rotation, trainer, distributed, floor, mlrepo, onnx, dataset
set -euo pipefail
cd "$(dirname "$0")/.."
export FROGBRIDGE_BIN_DIR="$PWD/bin"
sections=("${@:-handler rotation trainer distributed floor mlrepo onnx dataset}")
sections=(${sections[@]})

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

metric() { # metric NAME < go test -bench output
  awk -v m="$1" '{ for (i = 2; i <= NF; i++) if ($i == m) print $(i-1) }' | tail -1
}

for s in "${sections[@]}"; do
  case "$s" in
  handler)
    echo "== handler cold start (exec to first answered GET /) and idle RSS, one interleaved run of 150 starts each"
    echo "   goals: handler (every function configured) <= 1.25x sdkfloor, idle RSS <= 20 MiB"
    echo "   references (bench/coldstart): hello, a bare net/http server; sdkfloor, hello linked with the SDK"
    echo "   packages the handler needs; sdkblob, sdkfloor plus azblob (container, lease)"
    out=$(go test -run '^$' -bench ColdStart -benchtime "${COLDSTART_RUNS:-150}x" ./handler)
    floor=$(echo "$out" | metric sdkfloor-median-ms)
    printf '%-36s %10s %12s %10s\n' binary median-ms vs-sdkfloor RSS-MiB
    for t in configured unconfigured sdkblob sdkfloor hello; do
      ms=$(echo "$out" | metric "$t-median-ms")
      label=$t
      case $t in configured) label="handler, every function configured" ;; unconfigured) label="handler, no settings" ;; esac
      printf '%-36s %10s %11sx %10s\n' "$label" "$ms" "$(ratio "$ms" "$floor")" "$(echo "$out" | metric "$t-RSS-MiB")"
    done
    conf=$(echo "$out" | metric configured-median-ms); rss=$(echo "$out" | metric configured-RSS-MiB)
    echo "goal: handler <= 1.25x sdkfloor: $(ratio "$conf" "$floor")x $(awk -v r="$(ratio "$conf" "$floor")" 'BEGIN { print (r <= 1.25 ? "met" : "NOT met") }')"
    echo "goal: idle RSS <= 20 MiB: ${rss} MiB $(awk -v r="$rss" 'BEGIN { print (r <= 20 ? "met" : "NOT met") }')"
    echo "azblob's package initialization (sdkblob - sdkfloor): $(awk -v a="$(echo "$out" | metric sdkblob-median-ms)" -v b="$floor" 'BEGIN { printf "%.2f", a - b }') ms"
    echo "harness floor (a 198-byte static server timed the same way): $(echo "$out" | metric harness-median-ms) ms," \
      "of which exec $(echo "$out" | metric harness-exec-ms) ms; mean probe interval $(echo "$out" | metric probe-interval-ms) ms"
    ;;
  rotation)
    echo "== one rotation end to end on the local stack, 200 runs"
    out=$(go test -run '^$' -bench Rotation -benchtime 200x ./internal/e2e)
    echo "p50: $(echo "$out" | metric p50-ms) ms   p99: $(echo "$out" | metric p99-ms) ms"
    ;;
  distributed)
    echo "== forests: 1 process x 2 workers vs 2 processes x 1 worker (the PyTorch launcher's variables), ${DIST_RUNS:-3} alternating runs, medians"
    echo "   floor: 200 rows, 2 trees (harness: starting the processes, the key, the rendezvous); synth100k: 100 trees;"
    echo "   synth1m: 1,000,000 x 20, 3 classes from bench/synthgen, 10 trees (fewer, to keep the run short)"
    out=$(go test -run '^$' -bench DistributedForest -benchtime "${DIST_RUNS:-3}x" -timeout 60m ./internal/e2e)
    printf '%-10s %9s %9s %8s %9s %9s %9s %9s %9s\n' data 1x2-s 2x1-s speed-up 1x2-MiB rank0-MiB rank1-MiB ms/tree KiB/tree
    for d in floor synth100k synth1m; do
      line=$(echo "$out" | grep "^BenchmarkDistributedForest/$d-")
      one=$(echo "$line" | metric wall-s-1proc-2workers); two=$(echo "$line" | metric wall-s-2proc-1worker)
      printf '%-10s %9s %9s %8s %9s %9s %9s %9s %9s\n' "$d" "$one" "$two" "$(ratio "$one" "$two")" \
        "$(echo "$line" | metric rss-MiB-1proc)" "$(echo "$line" | metric rss-MiB-rank0)" "$(echo "$line" | metric rss-MiB-rank1)" \
        "$(echo "$line" | metric send-ms/tree)" "$(echo "$line" | metric KiB/tree)"
    done
    echo "(every run checks that both sides wrote the same model.json sha256, or the benchmark fails)"
    ;;
  floor)
    echo "== synth100k forest (100 trees, every core) against the machine's limit for its histogram updates"
    echo "   floor = updates the forest needs (derived from its leaves) / (best single-core update rate x cores)"
    csv=$(mktemp); trap 'rm -f "$csv"' EXIT
    xz -dc ../shared/data/synth100k.csv.xz >"$csv"
    go test -run '^$' -bench HistogramUpdate -benchtime 300x ./internal/ml | grep '^Benchmark'
    out=$(go test -run '^$' -bench ForestFloor -benchtime 1x ./internal/ml -args -floor.data="$csv")
    echo "updates: $(echo "$out" | metric Mupdates) M at $(echo "$out" | metric Mupdates/s/core) M/s per core on $(nproc) cores"
    echo "floor $(echo "$out" | metric floor-s) s, measured fit $(echo "$out" | metric fit-s) s: $(echo "$out" | metric x-floor)x the floor"
    ;;
  trainer)
    echo "== trainer vs scikit-learn (bench/trainer/run.sh)"
    bash bench/trainer/run.sh
    ;;
  onnx)
    echo "== model.onnx vs model.json: size and batch predict, onnxruntime-node vs the trainer (bench/onnx/run.sh)"
    bash bench/onnx/run.sh
    ;;
  mlrepo)
    echo "== ML repository transfers of ${MLREPO_SIZE:-1GiB} vs plain io.Copy over the same TLS connection; goal >= 80 %"
    out=$(go test -run '^$' -bench BenchmarkModel -benchtime 3x ./internal/jfrog -args -mlrepo.size="${MLREPO_SIZE:-1GiB}")
    echo "$out" | grep '^BenchmarkModel'
    echo "upload:   $(echo "$out" | grep Upload | metric %-of-io.Copy) % of io.Copy"
    echo "download: $(echo "$out" | grep Download | metric %-of-io.Copy) % of io.Copy"
    ;;
  dataset)
    echo "== loading training data: CSV and Parquet vs encoding/csv into []float64 (bench/dataset/run.sh)"
    bash bench/dataset/run.sh
    ;;
  *)
    echo "unknown section $s (handler, rotation, trainer, distributed, floor, mlrepo, onnx, dataset)"; exit 2 ;;
  esac
done
