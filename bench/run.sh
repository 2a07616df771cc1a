#!/usr/bin/env bash
# Side-by-side benchmarks. Each section names the reference it measures
# against and prints the figures and the ratio. Run on a quiet machine:
#   make bench            # everything
#   bench/run.sh handler  # one section: handler, rotation, trainer, mlrepo, onnx
set -euo pipefail
cd "$(dirname "$0")/.."
export FROGBRIDGE_BIN_DIR="$PWD/bin"
sections=("${@:-handler rotation trainer mlrepo onnx}")
sections=(${sections[@]})

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

metric() { # metric NAME < go test -bench output
  awk -v m="$1" '{ for (i = 2; i <= NF; i++) if ($i == m) print $(i-1) }' | tail -1
}

for s in "${sections[@]}"; do
  case "$s" in
  handler)
    echo "== handler cold start (exec to first answered GET /) and idle RSS; goals: <= 15 ms median, <= 20 MiB"
    echo "   references (bench/coldstart, started interleaved with the handler): hello, a bare net/http"
    echo "   server; sdkfloor, the same server linked with the SDK packages the handler needs"
    out=$(go test -run '^$' -bench ColdStart -benchtime 150x ./handler)
    conf=$(echo "$out" | metric configured-median-ms); unconf=$(echo "$out" | metric unconfigured-median-ms)
    hello=$(echo "$out" | metric hello-median-ms); floor=$(echo "$out" | metric sdkfloor-median-ms)
    rss=$(echo "$out" | metric idle-RSS-MiB)
    echo "handler, configured:   ${conf} ms (goal 15 ms, ratio $(ratio "$conf" 15); $(ratio "$conf" "$floor")x sdkfloor, $(ratio "$conf" "$hello")x hello)"
    echo "handler, unconfigured: ${unconf} ms"
    echo "sdkfloor:              ${floor} ms"
    echo "hello:                 ${hello} ms"
    echo "idle RSS:              ${rss} MiB (goal 20 MiB, ratio $(ratio "$rss" 20))"
    ;;
  rotation)
    echo "== one rotation end to end on the local stack, 200 runs"
    out=$(go test -run '^$' -bench Rotation -benchtime 200x ./internal/e2e)
    echo "p50: $(echo "$out" | metric p50-ms) ms   p99: $(echo "$out" | metric p99-ms) ms"
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
  *)
    echo "unknown section $s (handler, rotation, trainer, mlrepo, onnx)"; exit 2 ;;
  esac
done
