// Package kubeletprovider is a kubelet image credential provider for the
// DigitalOcean Container Registry (DOCR): the logic of the
// docr-credential-provider program.
//
// The kubelet runs the program for an image that matches the matchImages of
// its CredentialProviderConfig, writes a CredentialProviderRequest
// (credentialprovider.kubelet.k8s.io/v1 or v1beta1) to its stdin and reads a
// CredentialProviderResponse from its stdout. The provider takes the registry
// name from the image (<host>/<registry>/<repository>[:tag][@digest]), asks
// the DigitalOcean API for read-only Docker credentials of that registry with
// a limited lifetime (default one hour), and answers with them for
// <host>/<registry>/ (see Image.AuthKey), cacheKeyType Registry and a
// cacheDuration that ends a renewal window before they expire.
//
// Configuration comes from the environment, which the kubelet sets from the
// provider's env entries; see the Env* constants. The package keeps its own
// small protocol types: it does not link k8s.io/apimachinery.
package kubeletprovider
