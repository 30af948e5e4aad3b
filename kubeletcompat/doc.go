// Package kubeletcompat holds tests, in a module of their own, that run
// docr-credential-provider as the kubelet does and check it against the
// kubelet's own code and types:
//
//   - through the kubelet's credential-provider code
//     (k8s.io/kubernetes/pkg/credentialprovider/plugin, v1.37.2): the
//     kubelet validates the CredentialProviderConfig of the docs, execs the
//     built program against the docrtest fake, decodes and caches its
//     answer, and gives each image exactly the credentials its auth keys
//     match (keyring_test.go);
//   - against the published API types (k8s.io/kubelet): what the kubelet
//     encodes, the provider decodes; what the provider writes, the kubelet
//     decodes with nothing lost; the docs' config and response decode
//     strictly (kubelet_test.go).
//
// k8s.io/kubernetes is required with a replace for each of its staging
// modules, as its own go.mod has them (the block of
// internal/testsupport/kubeassets). The module keeps all of this out of the
// main module's build graph. Run the tests with
// "cd kubeletcompat && go test ./..." or "make kubeletcompat".
package kubeletcompat
