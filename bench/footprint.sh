#!/usr/bin/env bash
# footprint.sh compares the smallest useful docr program (footprint/docr)
# with the same program written with godo (footprint/godo):
#
#   pkgs       non-standard-library packages linked (go list -deps), the
#              program's own package excluded
#   modules    modules those packages come from, the bench module excluded
#   req        require lines of a fresh user module's go.mod after go mod tidy
#   sum        lines of that module's go.sum (what a user downloads/verifies)
#   bin-B      binary size built with -trimpath -ldflags='-s -w'
#   build-ns   wall time of go build with an empty GOCACHE (standard library
#              included); BUILD_RUNS rounds (default 3)
#
# Output is in Go benchmark format (one line per program and build) so that run.sh's
# report can read it; it is also readable as is.
set -euo pipefail
cd "$(dirname "$0")"
bench_mod=$(go list -m)
docr_dir=$(cd .. && pwd)
godo_version=$(go list -m -f '{{.Version}}' github.com/digitalocean/godo)
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }

declare -A stats
for prog in docr godo; do
	pkg=./footprint/$prog
	pkgs=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$pkg" | grep -vx "$bench_mod/footprint/$prog" | wc -l)
	modules=$(go list -deps -f '{{if not .Standard}}{{with .Module}}{{.Path}}{{end}}{{end}}' "$pkg" | sort -u | grep -vx "$bench_mod" | wc -l)

	# A user's module holding only this program: what go mod tidy records
	# in its go.mod (require lines) and go.sum. docr is taken from this
	# checkout (replace), godo at the version the bench module uses.
	user=$tmp/user-$prog
	mkdir -p "$user"
	cp "$pkg/main.go" "$user/main.go"
	(
		cd "$user"
		go mod init example.com/user >/dev/null 2>&1
		if [ "$prog" = docr ]; then
			go mod edit -replace "github.com/docr-dev/docr=$docr_dir" \
				-require github.com/docr-dev/docr@v0.0.0-00010101000000-000000000000
		else
			go mod edit -require "github.com/digitalocean/godo@$godo_version"
		fi
		go mod tidy >/dev/null
	)
	req=$(awk '/^require \(/{r=1;next} r&&/^\)/{r=0;next} r&&NF{n++} /^require [^(]/{n++} END{print n+0}' "$user/go.mod")
	sum=$(wc -l <"$user/go.sum")

	go build -trimpath -ldflags='-s -w' -o "$tmp/$prog" "$pkg"
	size=$(stat -c %s "$tmp/$prog")

	stats[$prog]="$pkgs pkgs\t$modules modules\t$req req\t$sum sum\t$size bin-B"
done

# Cold builds: BUILD_RUNS rounds, alternating the order (docr godo, then
# godo docr, ...) so that neither always comes first after the other's page
# cache warm-up. Each round prints one line per program.
runs=${BUILD_RUNS:-3}
for ((i = 0; i < runs; i++)); do
	order="docr godo"
	if ((i % 2 == 1)); then order="godo docr"; fi
	for prog in $order; do
		cache=$(mktemp -d "$tmp/gocache.XXXX")
		start=$(now_ns)
		GOCACHE=$cache go build -o "$tmp/$prog.cold" "./footprint/$prog"
		build=$(($(now_ns) - start))
		rm -rf "$cache"
		printf "BenchmarkFootprint/prog=%s \t1\t${stats[$prog]}\t%d build-ns\n" "$prog" "$build"
	done
done
