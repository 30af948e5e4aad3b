//go:build kubeassets

// Package kubeassets names the two programs this module builds; the build tag
// keeps it out of every ordinary build. build.sh builds them with go build.
package kubeassets

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
