#!/usr/bin/env bash
# Runs govulncheck offline. vuln.go.dev is not reachable from CI, so the
# vulnerability database is built from the golang.org/x/vulndb module, which
# the Go module proxy serves. The built database is cached in VULNDB_DIR.
set -euo pipefail
VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
GOVULNCHECK="${GOVULNCHECK:-golang.org/x/vuln/cmd/govulncheck@v1.9.0}"
cache="${VULNDB_DIR:-$(go env GOCACHE)/docr-vulndb-$VULNDB_VERSION}"

if [ ! -f "$cache/index/db.json" ]; then
	src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$src" ] || { echo "vulncheck: could not download golang.org/x/vulndb@$VULNDB_VERSION" >&2; exit 1; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	cp -R "$src/." "$work/repo"
	chmod -R u+w "$work/repo"
	(
		cd "$work/repo"
		git init -q && git add -A && git -c user.name=docr -c user.email=docr@localhost commit -qm vulndb
		rm -rf "$cache.tmp"
		go run ./cmd/gendb -repo . -out "$cache.tmp" >/dev/null
	)
	rm -rf "$cache" && mv "$cache.tmp" "$cache"
	rm -rf "$work"
fi
echo "vulncheck: database $cache"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "$GOVULNCHECK"
out="$bin/report.txt"
set +e
"$bin/govulncheck" -db "file://$cache" "$@" >"$out" 2>&1
rc=$?
set -e
cat "$out"
if [ "$rc" -eq 3 ]; then
	# Findings fail, in docr's code, its modules and the standard library of
	# the toolchain that builds it (go.mod's toolchain line names a release
	# that fixes the known ones). VULNCHECK_STDLIB=warn only reports findings
	# that are in the standard library alone, for a build on an older Go.
	modules=$(grep -E '^[[:space:]]*Found in: ' "$out" | grep -v '@go1\.' || true)
	if [ -z "$modules" ] && [ "${VULNCHECK_STDLIB:-fail}" = warn ]; then
		echo "vulncheck: docr and its dependencies are clean; the findings above are in the standard library of $(go env GOVERSION) only (VULNCHECK_STDLIB=warn)."
		exit 0
	fi
	echo "vulncheck: findings above. Update the module named by Found in (go get MODULE@FIXED), or, for the standard library, build with the Go release that go.mod's toolchain line names ($(go env GOVERSION) here)." >&2
fi
exit "$rc"
