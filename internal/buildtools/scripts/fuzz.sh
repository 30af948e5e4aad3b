#!/usr/bin/env bash
# Runs every Fuzz* target of the module for FUZZTIME each (default 5s).
# New crashers land in the package's testdata/fuzz/ and become regression seeds.
set -euo pipefail
FUZZTIME="${FUZZTIME:-5s}"
n=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($FUZZTIME)"
		log=$(mktemp)
		ok=0
		for try in 1 2; do
			if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
				ok=1
				break
			fi
			# Go's fuzzer can report "context deadline exceeded" when -fuzztime
			# ends while it is still handling a new input; that is no finding
			# (no input was written). Run such a target once more; a real
			# crasher always writes "Failing input written to ...".
			if [ "$try" = 1 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written to' "$log"; then
				echo "fuzz: $target: the fuzzer timed out handling an input (no crasher); running it again"
				continue
			fi
			break
		done
		if [ "$ok" != 1 ]; then
			cat "$log"
			rm -f "$log"
			echo "fuzz: $target failed; a new crasher, if any, is in the package's testdata/fuzz/$target/ (commit it as a regression seed)"
			exit 1
		fi
		tail -n 1 "$log"
		rm -f "$log"
		n=$((n + 1))
	done
done
echo "fuzz: $n targets ran for $FUZZTIME each"
