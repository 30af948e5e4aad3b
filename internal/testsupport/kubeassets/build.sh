#!/usr/bin/env bash
# Builds kube-apiserver and etcd from their Go modules into a version-keyed
# cache folder outside the repository, once per machine, and prints that
# folder (what KUBEBUILDER_ASSETS names). A second run finds the binaries and
# returns at once. Concurrent runs wait for the first (flock).
#
#   DOCR_KUBEASSETS_CACHE  the parent folder (default: $XDG_CACHE_HOME/docr-testtools/kubeassets,
#                          else ~/.cache/docr-testtools/kubeassets)
#
# Cost on a fresh 2-core machine: about 10-20 minutes of CPU and 2.7 GB of Go
# build cache, once; see README.md in this folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export GOFLAGS="-mod=readonly"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
k8s=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
sum=$(cat go.mod go.sum build.sh | sha256sum | cut -c1-12)
gover=$(go env GOVERSION)
parent="${DOCR_KUBEASSETS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docr-testtools/kubeassets}"
dir="$parent/k8s-$k8s-etcd-$etcd-$gover-$sum"
if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$parent"
exec 9>"$parent/.lock"
echo "kubeassets: building kube-apiserver $k8s and etcd $etcd into $dir (once per machine; about 10-20 minutes of CPU)" >&2
flock 9
if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/etcd" ]; then
	echo "$dir"
	exit 0
fi
tmp=$(mktemp -d "$parent/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
minor=${k8s#v1.}; minor=${minor%%.*}
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
start=$(date +%s)
go build -trimpath -ldflags "$ldflags" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
mid=$(date +%s)
go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
end=$(date +%s)
"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version | head -1 >&2
echo "kubeassets: kube-apiserver took $((mid - start)) s, etcd $((end - mid)) s" >&2
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"
