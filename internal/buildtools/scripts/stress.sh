#!/usr/bin/env bash
# Runs the whole suite, `go test -race -count=1 ./...`, STRESS_N times in a
# row (default 5) while one CPU hog per core keeps every core busy, the way a
# loaded two-core CI machine is. Fails if any run fails, and prints the
# failing tests (and packages) with how many runs each failed in.
#
#   make test-stress                 # 5 runs
#   STRESS_N=20 make test-stress     # more
#   STRESS_HOGS=0 make test-stress   # no CPU hogs
#
# The hogs are child processes of this script: each spins for at most
# STRESS_HOG_MAX seconds (default 4 hours) and all are killed when the
# script exits, however it exits. Not run in CI: it takes the suite's time
# STRESS_N times over.
set -euo pipefail

STRESS_N="${STRESS_N:-5}"
STRESS_HOGS="${STRESS_HOGS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)}"
STRESS_HOG_MAX="${STRESS_HOG_MAX:-14400}"
GO="${GO:-go}"
# Extra arguments for go test, e.g. STRESS_ARGS='-run TestHelper'.
STRESS_ARGS="${STRESS_ARGS:-}"
# go test's per-package limit: the hogs slow everything down, so the default
# 10m, meant for an idle machine, would turn a slow package into a failure.
STRESS_TIMEOUT="${STRESS_TIMEOUT:-30m}"

case "$STRESS_N$STRESS_HOGS$STRESS_HOG_MAX" in
*[!0-9]*) echo "stress: STRESS_N, STRESS_HOGS and STRESS_HOG_MAX must be whole numbers" >&2; exit 2 ;;
esac

logs=$(mktemp -d "${TMPDIR:-/tmp}/docr-stress.XXXXXX")
hogs=()
gotest=""
cleanup() {
	if [ -n "$gotest" ]; then
		kill "$gotest" 2>/dev/null || true
	fi
	for pid in "${hogs[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${hogs[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One busy loop per core. `timeout` bounds each even if this script is
# killed with SIGKILL and its trap never runs.
for _ in $(seq 1 "$STRESS_HOGS"); do
	timeout "$STRESS_HOG_MAX" sh -c 'while :; do :; done' &
	hogs+=("$!")
done
echo "stress: $STRESS_N runs of go test -race -count=1 -timeout $STRESS_TIMEOUT $STRESS_ARGS ./... with $STRESS_HOGS CPU hogs (logs in $logs)"

failed_runs=0
start_all=$(date +%s)
for i in $(seq 1 "$STRESS_N"); do
	log="$logs/run-$i.log"
	start=$(date +%s)
	# In the background so that a signal reaches the trap at once (bash
	# runs traps only between commands, and wait is interruptible).
	# shellcheck disable=SC2086 # STRESS_ARGS is a list of words
	"$GO" test -race -count=1 -timeout "$STRESS_TIMEOUT" $STRESS_ARGS ./... >"$log" 2>&1 &
	gotest=$!
	rc=0
	wait "$gotest" || rc=$?
	gotest=""
	if [ "$rc" -eq 0 ]; then
		echo "stress: run $i/$STRESS_N: ok ($(($(date +%s) - start)) s)"
	else
		failed_runs=$((failed_runs + 1))
		echo "stress: run $i/$STRESS_N: FAIL ($(($(date +%s) - start)) s, log $log)"
		grep -E -e '^[[:space:]]*--- FAIL: ' -e '^FAIL[[:space:]]' -e '^panic: ' "$log" | sed 's/^/stress:   /' || true
	fi
done

echo "stress: $((STRESS_N - failed_runs))/$STRESS_N runs passed in $(($(date +%s) - start_all)) s"
if [ "$failed_runs" -eq 0 ]; then
	rm -rf "$logs"
	exit 0
fi
# Failing tests and packages, each with the number of runs it failed in.
echo "stress: failures (runs failed in, name):"
for log in "$logs"/run-*.log; do
	{
		sed -nE 's/^[[:space:]]*--- FAIL: ([^[:space:]]+).*/test    \1/p' "$log"
		sed -nE 's/^FAIL[[:space:]]+([^[:space:]]+).*/package \1/p' "$log"
	} | sort -u
done | sort | uniq -c | sort -rn | sed 's/^/stress: /'
echo "stress: logs kept in $logs"
exit 1
