#!/usr/bin/env bash
# upstream-watch.sh UPSTREAM: the step the scheduled upstream-watch workflow
# runs after fetching github.com/digitalocean/openapi into UPSTREAM.
#
# It prints the classified spec diff against the committed spec. When the
# registry portion did not change it stops there (changed=false). Otherwise
# it runs bump.sh (all or nothing) and writes the new changelog entry to
# WATCH_OUT (default $RUNNER_TEMP/upstream-watch.md or /tmp/...), the body of
# the pull request the workflow opens. Outputs for the workflow go to
# $GITHUB_OUTPUT when set: changed, breaking (true/false) and builds (whether
# the whole module still builds after the bump).
#
# Exit status: 0 when nothing changed or the bump is in place (even if the
# module no longer builds: the pull request is where a maintainer fixes it);
# 1 when the extraction, the overlay guards or the regeneration failed, with
# nothing changed.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 /path/to/digitalocean/openapi" >&2; exit 2; }
up=$1
root=$(cd "$(dirname "$0")/../../.." && pwd -P)
go=${GO:-go}
out=${WATCH_OUT:-${RUNNER_TEMP:-/tmp}/upstream-watch.md}
ghout=${GITHUB_OUTPUT:-/dev/null}
cd "$root"

# Built, not "go run": go run turns the program's exit status 2 (breaking)
# into 1.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
$go build -o "$bin/specextract" ./internal/buildtools/specextract
set +e
report=$("$bin/specextract" -upstream "$up" -out spec/registry.yaml -diff -fail-on-breaking)
st=$?
set -e
printf '%s\n' "$report"
case $st in
0) breaking=false ;;
2) breaking=true ;;
*) echo "upstream-watch: the diff failed (status $st)" >&2; exit 1 ;;
esac
if grep -qx "no changes" <<<"$report"; then
	echo "changed=false" >>"$ghout"
	echo "upstream-watch: the registry API did not change; nothing to do"
	exit 0
fi

builds=true
set +e
bash internal/buildtools/scripts/bump.sh "$up"
st=$?
set -e
case $st in
0) ;;
3) builds=false ;;
*) echo "upstream-watch: the bump failed; see above" >&2; exit 1 ;;
esac
{
	# The entry bump.sh just appended: from the last "## " heading on.
	awk '/^## /{buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}' spec/CHANGES.md
	echo
	if [ "$builds" = false ]; then
		echo "The module does not build against the new generated code yet: update the packages named in the workflow log."
	else
		echo "The module builds against the new generated code."
	fi
} >"$out"
{
	echo "changed=true"
	echo "breaking=$breaking"
	echo "builds=$builds"
} >>"$ghout"
echo "upstream-watch: bumped; pull request body in $out"
