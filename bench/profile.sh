#!/usr/bin/env bash
# bench/profile.sh: where leakgate's time goes, on the benchmark corpus.
#
#   bench/profile.sh [TREE]    (default TREE: half, i.e. /tmp/leakgate-bench/corpus/half)
#
# 1. BenchmarkScanCorpus (detect/bench_test.go) with a CPU profile: the
#    pipeline `leakgate scan --no-git` runs (walk, parallel reads, detector
#    on every CPU), so I/O, scheduling and GC show up.
# 2. BenchmarkDetectCorpus with a CPU profile: the detector alone, one
#    goroutine, files already in memory.
# 3. BenchmarkRuleCost: per-rule CPU cost, and the cost of decoding.
# pprof -top of each goes to stdout; profiles and test binaries stay in
# $LEAKGATE_BENCH_DIR/prof/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${LEAKGATE_BENCH_DIR:-/tmp/leakgate-bench}
TREE=${1:-half}
export GOTOOLCHAIN=local
"$ROOT/bench/corpus.sh" "$BENCH/corpus" >&2
export LEAKGATE_BENCH_CORPUS=$BENCH/corpus/$TREE
P=$BENCH/prof
mkdir -p "$P"
cd "$ROOT"

echo "rules: $(go run ./cmd/leakgate rules list | tail -1); tree: $LEAKGATE_BENCH_CORPUS"
for b in ScanCorpus DetectCorpus; do
	echo
	echo "## Benchmark$b"
	go test ./detect -run '^$' -bench "^Benchmark$b\$" -benchtime 2x -timeout 30m \
		-cpuprofile "$P/$b.cpu" -o "$P/detect.test" | grep -E '^Benchmark|^(ok|FAIL)'
	echo
	echo '```'
	go tool pprof -top -nodecount=30 "$P/detect.test" "$P/$b.cpu" 2>/dev/null | sed -n '/^Duration/,$p'
	echo '```'
	echo
	echo "cumulative, selected:"
	echo '```'
	go tool pprof -top -cum -nodecount=200 "$P/detect.test" "$P/$b.cpu" 2>/dev/null |
		grep -E 'detect\.\(\*Detector\)\.(Detect|detect|runWindows|detectDecoded)$|detect\.(toLowerASCII|findEncoded|decode[A-Za-z]*|mergeWindows|isText)$|FindAllOverlapping$|regexp\.\(\*Regexp\)\.(doExecute|FindAllSubmatchIndex|FindSubmatchIndex|MatchString|Match)$|runtime\.gcBgMarkWorker$|runtime\.mallocgc$|source\.\(\*Dir\)\.file$|os\.ReadFile$|readFileContents$|syscall\.Syscall6?$|Syscall6$' || true
	echo '```'
done
echo
echo "## BenchmarkRuleCost"
echo
echo '```'
go test ./detect -run '^$' -bench '^BenchmarkRuleCost$' -benchtime 1x -timeout 30m | grep -vE '^(goos|goarch|pkg|cpu|PASS)'
echo '```'
