#!/usr/bin/env bash
# bump.sh UPSTREAM: move docr to a new upstream checkout of
# github.com/digitalocean/openapi, all or nothing (make bump UPSTREAM=DIR).
#
# In a temporary copy of the module it
#   1. extracts spec/registry.yaml from UPSTREAM, after checking the overlay's
#      guards against it (internal/buildtools/specextract -overlay),
#   2. appends the classified changes to spec/CHANGES.md,
#   3. writes the new pin to spec/upstream.txt,
#   4. regenerates gen/ (go generate ./...: oapi-codegen with the overlay,
#      strict) and builds and vets the generated packages.
# Only when every step passed are the changed files of spec/ and every
# *.gen.go moved into the module. A failure leaves the module untouched.
# Afterwards it builds the whole module: a breaking upstream change shows up
# there as the packages to update (exit status 3; the new spec and gen/ stay,
# consistent with each other and with the pin).
#
# BUMP_DATE (default: today, UTC) dates the changelog entry.
set -euo pipefail

usage() { echo "usage: $0 /path/to/digitalocean/openapi" >&2; exit 2; }
[ $# -eq 1 ] || usage
up=$1
root=$(cd "$(dirname "$0")/../../.." && pwd -P)
go=${GO:-go}

if [ ! -f "$up/specification/DigitalOcean-public.v2.yaml" ]; then
	echo "bump: $up is not a checkout of github.com/digitalocean/openapi (no specification/DigitalOcean-public.v2.yaml)" >&2
	exit 2
fi
abs_up=$(cd "$up" && pwd -P)
new_pin=$(realpath --relative-to="$root" "$abs_up")
old_pin=$(sed -n '/^[^#]/{p;q;}' "$root/spec/upstream.txt")
date=${BUMP_DATE:-$(date -u +%F)}
heading="$(basename "$abs_up") (from $(basename "$old_pin")), $date"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
work=$tmp/module
mkdir "$work"
tar -C "$root" --exclude=./.git -cf - . | tar -C "$work" -xf -

step() { echo "bump: $*"; }
fail() { echo "bump: FAILED at: $1; nothing in $root was changed" >&2; exit 1; }

cd "$work"
step "extract from $abs_up and check the overlay"
$go run ./internal/buildtools/specextract -upstream "$abs_up" -out spec/registry.yaml -overlay spec/overlay.yaml \
	-changelog spec/CHANGES.md -heading "$heading" || fail "extraction and overlay guards"
step "pin $new_pin in spec/upstream.txt"
awk -v pin="$new_pin" '/^#/ { print; next } !done { print pin; done = 1 }' spec/upstream.txt >spec/upstream.txt.new
mv spec/upstream.txt.new spec/upstream.txt
step "regenerate"
$go generate ./... || fail "go generate (oapi-codegen with spec/overlay.yaml)"
genpkgs=$(find . -name '*.gen.go' -not -path './.git/*' -exec dirname {} \; | sort -u)
# shellcheck disable=SC2086
$go build $genpkgs || fail "building the generated packages"
# shellcheck disable=SC2086
$go vet $genpkgs || fail "vetting the generated packages"

changed=()
while IFS= read -r f; do
	f=${f#./}
	if ! cmp -s "$work/$f" "$root/$f"; then changed+=("$f"); fi
done < <(find ./spec -type f; find . -name '*.gen.go' -not -path './.git/*')
cd "$root"
for f in "${changed[@]}"; do
	mkdir -p "$(dirname "$f")"
	cp "$work/$f" "$f.bump-new"
done
for f in "${changed[@]}"; do
	mv "$f.bump-new" "$f"
	step "updated $f"
done

if ! $go build ./... || ! $go vet ./...; then
	echo "bump: spec/, gen/ and the pin now follow $new_pin, but the code above does not build against them;" >&2
	echo "bump: update it for the breaking changes listed in spec/CHANGES.md" >&2
	exit 3
fi
step "done: $old_pin -> $new_pin; see the new entry at the end of spec/CHANGES.md"
