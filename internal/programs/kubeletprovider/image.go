package kubeletprovider

import (
	"fmt"
	"strings"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/registryhost"
	"github.com/google/go-containerregistry/pkg/name"
)

// ErrOtherHost is an image on a host other than the DOCR registry host.
var ErrOtherHost = fmt.Errorf("%w: wrong host", ErrBadRequest)

// Image is a DOCR image reference:
// <host>/<registry>/<repository>[:<tag>][@<digest>].
type Image struct {
	// Host is the registry host as the image writes it: the configured
	// host, but for the case of ASCII letters.
	Host string
	// Registry is the DOCR registry name, the first path component.
	Registry string
	// Repository is the rest of the path (it may contain slashes).
	Repository string
}

// ParseImage parses image with go-containerregistry's
// name.ParseReference (tag and digest are optional: the kubelet asks for
// the repository it pulls, without either). The image's host must be host
// by the one host rule of docr (internal/registryhost: printable ASCII,
// then equal once A-Z are lowered; nothing else is folded, so a look-alike
// such as "regiſtry" with a long s is another host), and its path a DOCR
// registry name (facade.CheckRegistryName) and a repository. Errors wrap
// ErrBadRequest (ErrOtherHost for another host).
func ParseImage(image, host string) (Image, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return Image{}, fmt.Errorf("%w: image %s is not a valid image reference", ErrBadRequest, quoteShort(image))
	}
	domain := ref.Context().RegistryStr()
	if registryhost.Check(domain) != nil || registryhost.Lower(domain) != registryhost.Lower(host) {
		return Image{}, fmt.Errorf("%w: %s is not on %s (check the matchImages of the CredentialProviderConfig)", ErrOtherHost, quoteShort(image), host)
	}
	registry, repo, _ := strings.Cut(ref.Context().RepositoryStr(), "/")
	switch {
	case facade.CheckRegistryName(registry) != nil:
		return Image{}, fmt.Errorf("%w: image %s: invalid registry name (1 to 63 of a-z, 0-9 and '-')", ErrBadRequest, quoteShort(image))
	case repo == "":
		return Image{}, fmt.Errorf("%w: image %s: no repository after the registry name (want %s/<registry>/<repository>)", ErrBadRequest, quoteShort(image), host)
	}
	return Image{Host: domain, Registry: registry, Repository: repo}, nil
}

// AuthKey is the key of img's credentials in the response's auth map: the
// host and the registry, ending with a slash. The kubelet matches a key
// against an image by host, then by path as a string prefix (URLsMatch in
// k8s.io/kubernetes pkg/credentialprovider), so without the slash the key
// of registry "example" would also match "example-prod/app" and
// "examplecorp/app", which may be another account's: registry names are
// global. The kubelet also reads a key path that starts with /v1/ or /v2/
// as Docker's API version and drops that part, which would make
// "<host>/v2/" a key for the whole host; the registries named v1 and v2
// get one more /v2 in front, so that what is left is theirs.
func (img Image) AuthKey() string {
	if img.Registry == "v1" || img.Registry == "v2" {
		return img.Host + "/v2/" + img.Registry + "/"
	}
	return img.Host + "/" + img.Registry + "/"
}
