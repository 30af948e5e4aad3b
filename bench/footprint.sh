#!/usr/bin/env bash
# footprint.sh compares the smallest useful docr program (footprint/docr)
# with the same program written with godo (footprint/godo), and both with
# the floor (footprint/floor: a program that links only net/http, crypto/tls
# and encoding/json, reads a small file and prints a line; the cold build
# target is measured above it):
#
#   pkgs       non-standard-library packages linked (go list -deps), the
#              program's own package excluded
#   modules    modules those packages come from, the bench module excluded
#   req        require lines of a fresh user module's go.mod after go mod tidy
#   sum        lines of that module's go.sum (what a user downloads/verifies)
#   bin-B      binary size built with -trimpath -ldflags='-s -w'
#   build-ns   wall time of go build with an empty GOCACHE (standard library
#              included); BUILD_RUNS rounds (default 3)
#   build-cpu-ns  user+sys CPU time of that go build and its children
#
# and, per program, the cold build above the floor: a GOCACHE that holds
# only a cold build of footprint/floor is copied, and docr's and godo's
# program are built with the copy (BUILD_RUNS rounds):
#
#   above-ns, above-cpu-ns  wall and CPU time of that build: compiling
#                           what the program needs beyond the floor
#                           (its modules and any further standard
#                           packages) and linking it; with AG_DIR set,
#                           the last round's action graphs are kept there
#                           (ag-docr.json, ag-godo.json)
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
TIMEFORMAT='%R %U %S' # for time: real, user and sys seconds

declare -A stats
progs="floor docr godo"
for prog in $progs; do
	pkg=./footprint/$prog
	pkgs=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$pkg" | { grep -vx "$bench_mod/footprint/$prog" || true; } | wc -l)
	modules=$(go list -deps -f '{{if not .Standard}}{{with .Module}}{{.Path}}{{end}}{{end}}' "$pkg" | sort -u | { grep -vx "$bench_mod" || true; } | wc -l)

	# A user's module holding only this program: what go mod tidy records
	# in its go.mod (require lines) and go.sum. docr is taken from this
	# checkout (replace), godo at the version the bench module uses.
	user=$tmp/user-$prog
	mkdir -p "$user"
	cp "$pkg/main.go" "$user/main.go"
	(
		cd "$user"
		go mod init example.com/user >/dev/null 2>&1
		case $prog in
		docr)
			go mod edit -replace "github.com/docr-dev/docr=$docr_dir" \
				-require github.com/docr-dev/docr@v0.0.0-00010101000000-000000000000
			;;
		godo) go mod edit -require "github.com/digitalocean/godo@$godo_version" ;;
		esac
		go mod tidy >/dev/null
	)
	req=$(awk '/^require \(/{r=1;next} r&&/^\)/{r=0;next} r&&NF{n++} /^require [^(]/{n++} END{print n+0}' "$user/go.mod")
	sum=0
	if [ -f "$user/go.sum" ]; then sum=$(wc -l <"$user/go.sum"); fi

	go build -trimpath -ldflags='-s -w' -o "$tmp/$prog" "$pkg"
	size=$(stat -c %s "$tmp/$prog")

	stats[$prog]="$pkgs pkgs\t$modules modules\t$req req\t$sum sum\t$size bin-B"
done

# Cold builds: BUILD_RUNS rounds, rotating the order (floor docr godo, then
# docr godo floor, ...) so that none always comes first after another's page
# cache warm-up. Each round prints one line per program.
runs=${BUILD_RUNS:-3}
read -r -a all <<<"$progs"
for ((i = 0; i < runs; i++)); do
	order=()
	for ((j = 0; j < ${#all[@]}; j++)); do order+=("${all[(i + j) % ${#all[@]}]}"); done
	for prog in "${order[@]}"; do
		cache=$(mktemp -d "$tmp/gocache.XXXX")
		start=$(now_ns)
		# bash's time gives the CPU of go build and the compilers it runs
		# (user+sys of waited-for children), less sensitive than the wall
		# time to other work on a shared machine.
		{ time GOCACHE=$cache go build -o "$tmp/$prog.cold" "./footprint/$prog"; } 2>"$tmp/time.txt"
		build=$(($(now_ns) - start))
		cpu=$(awk 'END{printf "%.0f", ($2 + $3) * 1e9}' "$tmp/time.txt")
		rm -rf "$cache"
		printf "BenchmarkFootprint/prog=%s \t1\t${stats[$prog]}\t%d build-ns\t%d build-cpu-ns\n" "$prog" "$build" "$cpu"
	done
done

# Above the floor: one cold build of the floor fills a GOCACHE; each
# program is then built with a copy of it. Measured apart from the full
# cold builds because their difference is a few seconds in half a minute
# that varies by more than that on a shared machine.
for ((i = 0; i < runs; i++)); do
	base=$(mktemp -d "$tmp/gocache.XXXX")
	GOCACHE=$base go build -o "$tmp/floor.cold" ./footprint/floor
	order="docr godo"
	if ((i % 2 == 1)); then order="godo docr"; fi
	for prog in $order; do
		cache=$(mktemp -d "$tmp/gocache.XXXX")
		cp -a "$base/." "$cache/"
		start=$(now_ns)
		# The last round keeps go build's action graph (per-package compile
		# and link times) in $AG_DIR, if set, for the report's profile.
		ag=()
		if [ -n "${AG_DIR:-}" ] && ((i == runs - 1)); then ag=("-debug-actiongraph=$AG_DIR/ag-$prog.json"); fi
		{ time GOCACHE=$cache go build "${ag[@]}" -o "$tmp/$prog.above" "./footprint/$prog"; } 2>"$tmp/time.txt"
		build=$(($(now_ns) - start))
		cpu=$(awk 'END{printf "%.0f", ($2 + $3) * 1e9}' "$tmp/time.txt")
		rm -rf "$cache"
		printf "BenchmarkFootprintAboveFloor/prog=%s \t1\t%d above-ns\t%d above-cpu-ns\n" "$prog" "$build" "$cpu"
	done
	rm -rf "$base"
done
