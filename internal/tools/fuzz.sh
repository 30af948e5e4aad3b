#!/usr/bin/env bash
# Runs every Fuzz* target of the module for FUZZTIME each (default 5s).
# New crashers land in the package's testdata/fuzz/ and become regression seeds.
set -euo pipefail
FUZZTIME="${FUZZTIME:-5s}"
n=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($FUZZTIME)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" | tail -n 1
		n=$((n + 1))
	done
done
echo "fuzz: $n targets ran for $FUZZTIME each"
