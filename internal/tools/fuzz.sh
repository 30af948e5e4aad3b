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
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
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
