#!/usr/bin/env bash
# run.sh runs docr's whole benchmark set and writes ../BENCHMARKS.md
# (make bench). About 20 to 30 minutes on a quiet 2-core machine, an
# estimate: everything but the three newest groups took about 10 (9m27s in
# the last full run); start-up and the provider's process pairs add about
# 2; the registry group pushes and pulls 100 MB 72 to 96 times, some 5 to
# 15 minutes at 20 to 100 MB/s, longer when the machine is loaded.
#
#   COUNT         runs of each benchmark (default 6; the credentials
#                 benchmark runs twice as often for half as long, so that
#                 noise from other work on the machine spreads evenly)
#   PAGING_COUNT  runs of the paging benchmark (default 3: one run of all
#                 sizes takes about two minutes, nearly all of it the fake
#                 sorting its N repositories for every page; the heap
#                 figures vary little between runs)
#   BUILD_RUNS    cold builds per program in footprint.sh (default 3)
#   STARTS        process starts per program in each run of the start-up
#                 benchmark (default 60; it runs COUNT times)
#   PROVIDER_RUNS floor/provider process pairs in each run of the kubelet
#                 provider benchmark (default 60; it runs COUNT times)
#   GEN_RUNS      timed runs of make generate (default 5)
#   OUT           report file (default ../BENCHMARKS.md)
#   KEEP          directory to keep the raw outputs in (default: removed)
#
# Needs only Go and the Go module proxy (benchstat is run with go run).
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
PAGING_COUNT=${PAGING_COUNT:-3}
GEN_RUNS=${GEN_RUNS:-5}
OUT=${OUT:-../BENCHMARKS.md}
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
benchstat() { go run "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" "$@"; }

start=$(date +%s)
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
: >"$work/load.txt"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
log() { printf '== %s (%ds)\n' "$*" $(($(date +%s) - start)) >&2; }

log "building the benchmark binary"
go vet ./...
go test -c -o "$work/bench.test" .
# Compile benchstat now so that its build is not inside a measurement.
benchstat -h >/dev/null 2>&1 || true

# bench GROUP REGEXP BENCHTIME COUNT: run benchmarks into $work/GROUP.txt.
bench() {
	log "benchmarks: $1 ($2, -benchtime=$3, -count=$4)"
	local load0
	load0=$(cut -d' ' -f1 /proc/loadavg)
	"$work/bench.test" -test.run='^$' -test.bench="$2" -test.benchtime="$3" -test.count="$4" \
		-test.timeout=60m | tee "$work/$1.txt" | grep -E '^(Benchmark|FAIL|panic|---)' >&2 || true
	# The machine may be shared: record the 1-minute load average before
	# and after each group, for the report.
	echo "$1 $load0 $(cut -d' ' -f1 /proc/loadavg)" >>"$work/load.txt"
	if grep -qE '^(FAIL|panic:|--- FAIL)' "$work/$1.txt"; then
		echo "run.sh: benchmark group $1 failed; output in $work/$1.txt" >&2
		exit 1
	fi
}

bench credentials '^BenchmarkCredentials$' 500ms $((2 * COUNT))
bench conns '^BenchmarkConnReuse$' 3x "$COUNT"
bench mergefile '^BenchmarkMergeFile$' 1s "$COUNT"
bench mergemem '^BenchmarkMergeMemory$' 1s "$COUNT"
bench fsync '^BenchmarkFsync$' 500ms "$COUNT"
bench paging '^BenchmarkPaging$' 1x "$PAGING_COUNT"
bench registry '^(BenchmarkRegistryPushPull|BenchmarkFakeMemoryUnderCap)$' 3x "$COUNT"
bench startup '^BenchmarkStartup$' "${STARTS:-60}x" "$COUNT"
bench provider '^BenchmarkProviderProcess$' "${PROVIDER_RUNS:-60}x" "$COUNT"

log "TestConnReuse"
set +e
"$work/bench.test" -test.run='^TestConnReuse$' -test.v -test.count=1 >"$work/conntest.txt" 2>&1
echo "exit status $?" >>"$work/conntest.txt"
set -e

log "benchstat"
benchstat -col /impl credentials="$work/credentials.txt" >"$work/credentials.stat"
benchstat -col /impl "$work/conns.txt" >"$work/conns.stat"
benchstat -col /impl -row /n "$work/mergefile.txt" >"$work/mergefile.stat"
benchstat -col /impl -row /n "$work/mergemem.txt" >"$work/mergemem.stat"
benchstat -col /sync -row /n "$work/fsync.txt" >"$work/fsync.stat"
benchstat -col /mode -row /n "$work/paging.txt" >"$work/paging.stat"
# Two tables, so that no geomean mixes push-and-pull times with the cap runs.
{
	benchstat -filter '.name:RegistryPushPull' "$work/registry.txt"
	echo
	benchstat -filter '.name:FakeMemoryUnderCap' "$work/registry.txt"
} >"$work/registry.stat"
benchstat "$work/startup.txt" >"$work/startup.stat"
benchstat "$work/provider.txt" >"$work/provider.stat"

log "profiles of docr's side"
# Allocations per credentials call (exact: memprofilerate=1; 5000 timed
# calls plus the warm-up call; a b.Loop benchmark body runs once).
"$work/bench.test" -test.run='^$' -test.bench='^BenchmarkCredentials$/^impl=docr$' -test.benchtime=5000x \
	-test.memprofile="$work/cred.mem" -test.memprofilerate=1 >/dev/null
{
	echo "Allocations per docr credentials call, by function (cumulative; go tool pprof -sample_index=alloc_objects -top -cum):"
	echo
	go tool pprof -sample_index=alloc_objects -top -cum -focus='docrClient..call' -nodecount=200 "$work/bench.test" "$work/cred.mem" 2>/dev/null |
		awk -v n=5001 'NR>8 && $6 ~ /docr|oapi-codegen|setRequestCancel|json.Unmarshal$|Request..Clone|canonicalMIMEHeaderKey|Transport..roundTrip/ {printf "%7.1f  %s\n", $4/n, $6}' | head -25
} >"$work/cred.prof.txt"
# CPU of the in-memory merge at 10k entries.
"$work/bench.test" -test.run='^$' -test.bench='^BenchmarkMergeMemory$/^impl=docr$/^n=10000$' -test.benchtime=20x \
	-test.cpuprofile="$work/merge.cpu" >/dev/null
{
	echo "CPU of dockerconfig.Merge at 10,000 entries (go tool pprof -top -cum, share of the benchmark's samples):"
	echo
	go tool pprof -top -cum -nodecount=200 "$work/bench.test" "$work/merge.cpu" 2>/dev/null |
		awk 'NR>6 && $6 ~ /dockerconfig|json.Unmarshal$|Encoder..Encode$|appendIndent$|appendCompact$/ {printf "%7s  %s\n", $5, $6}' | head -20
} >"$work/merge.prof.txt"
# Bytes allocated per page by the iterator (10k repositories = 100 pages).
"$work/bench.test" -test.run='^$' -test.bench='^BenchmarkPaging$/^mode=iter$/^n=10000$' -test.benchtime=1x \
	-test.memprofile="$work/paging.mem" -test.memprofilerate=512 >/dev/null
{
	echo "Bytes allocated per page by Client.Repositories (cumulative; go tool pprof -sample_index=alloc_space -top -cum, over 100 pages):"
	echo
	go tool pprof -sample_index=alloc_space -unit=B -top -cum -focus='Repositories' -nodecount=200 "$work/bench.test" "$work/paging.mem" 2>/dev/null |
		awk 'NR>8 && $6 ~ /docr|io.ReadAll$|json.Unmarshal$|RawMessage/ {v=$4; sub(/B$/,"",v); printf "%9.0f B  %s\n", v/100, $6}' | head -20
} >"$work/paging.prof.txt"

log "footprint"
BUILD_RUNS=${BUILD_RUNS:-3} AG_DIR=$work ./footprint.sh | tee "$work/footprint.txt" >&2

log "make generate"
(cd .. && make generate >/dev/null) # warm-up: the build cache holds oapi-codegen afterwards
before=$(git -C .. status --porcelain -- gen docrtest/internal/server docrtest/internal/embeddedspec spec)
: >"$work/generate.txt"
for ((i = 0; i < GEN_RUNS; i++)); do
	t0=$(date +%s%N)
	(cd .. && make generate >/dev/null)
	echo "BenchmarkGenerate 1 $(($(date +%s%N) - t0)) ns/op" >>"$work/generate.txt"
done
after=$(git -C .. status --porcelain -- gen docrtest/internal/server docrtest/internal/embeddedspec spec)
if [ "$before" = "$after" ]; then
	echo "The generated files were identical before and after the runs (deterministic generation)." >"$work/generate.note"
else
	echo "Warning: git status of the generated code and spec/ changed during the runs: $after" >"$work/generate.note"
fi
cat "$work/generate.txt" >&2

duration=$(($(date +%s) - start))
{
	echo "date=$(date -u +'%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "go=$(go version | awk '{print $3, $4}')"
	echo "fs=$(df -PT "${TMPDIR:-/tmp}" | awk 'NR==2{print $2}') (${TMPDIR:-/tmp})"
	echo "run=-count=$COUNT (credentials $((2 * COUNT)), paging $PAGING_COUNT); -benchtime 500ms credentials, 3x connection runs of 1,000 calls, 1s merge, 500ms fsync, 1x paging, 3x registry push+pull and memory under a cap, ${STARTS:-60}x start-up, ${PROVIDER_RUNS:-60}x provider process pairs"
	echo "duration=$((duration / 60))m$((duration % 60))s (report excluded)"
} >"$work/params.txt"

log "report"
go run ./report -dir "$work" -o "$OUT"
log "wrote $OUT"
