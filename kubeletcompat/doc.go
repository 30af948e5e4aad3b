// Package kubeletcompat holds tests, in a module of their own, that check
// docr-credential-provider's own protocol types against the kubelet's
// published API types (k8s.io/kubelet): what the kubelet encodes, the
// provider decodes; what the provider writes, the kubelet decodes with
// nothing lost; and the CredentialProviderConfig in
// docs/kubelet-credential-provider.md decodes into k8s.io/kubelet's config
// types and passes the kubelet's checks. The module keeps k8s.io/apimachinery
// out of the main module's build graph. Run them with
// "cd kubeletcompat && go test ./..." or "make kubeletcompat".
package kubeletcompat
