// Package controller holds docr-controller's benchmarks, against a real
// kube-apiserver and etcd (internal/testsupport/kubeenv; make kubeassets
// builds them) and the docrtest fake API. It is a module of its own so that
// the bench module does not require the Kubernetes libraries.
//
//   - BenchmarkConvergence: from PullSecret creation to 1,000 namespaces
//     holding the Secret (and their default service accounts the entry);
//     reports mints/op, which must stay at 1.
//   - BenchmarkRSS: the controller program's resident memory once it has
//     converged on 1,000 namespaces, with no other Secrets in the cluster
//     and with 10,000 unrelated ones; its cache holds only the Secrets it
//     manages, so the two should be flat.
//   - BenchmarkRotation: API calls per rotation (1 mint + 1 revocation),
//     on a step clock.
//
// run.sh runs them and writes the docr-controller section of
// ../../BENCHMARKS.md (make bench-controller).
package controller
