package kubeletprovider_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
)

// FuzzDecodeRequest: any input either decodes into a checked request whose
// image then parses or fails cleanly, or fails with ErrBadRequest; nothing
// panics, and an error never quotes more than a short piece of the input.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/example/web:1"}`,
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/a/b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`,
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"x","serviceAccountToken":"secret-sa"}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := kubeletprovider.DecodeRequest(data)
		if err != nil {
			if !errors.Is(err, kubeletprovider.ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			if strings.Contains(err.Error(), "secret-sa") {
				t.Fatalf("error quotes the service account token: %v", err)
			}
			return
		}
		if req.Image == "" || req.Kind != kubeletprovider.KindRequest {
			t.Fatalf("accepted %+v", *req)
		}
		img, err := kubeletprovider.ParseImage(req.Image, "registry.digitalocean.com")
		if err != nil {
			if !errors.Is(err, kubeletprovider.ErrBadRequest) {
				t.Fatalf("ParseImage error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		checkImage(t, req.Image, img)
	})
}

// FuzzParseImage: a parsed image is its host, registry and repository,
// then nothing, a tag or a digest; the host is the configured one but for
// ASCII case, the registry a DOCR registry name, and the auth key a prefix
// of the image that ends at the registry.
func FuzzParseImage(f *testing.F) {
	for _, s := range []string{
		"registry.digitalocean.com/example/web", "registry.digitalocean.com/example/team/api:v1",
		"registry.digitalocean.com/a-b/c.d_e__f-g:T_1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"REGISTRY.digitalocean.com/x/y", "registry.digitalocean.com/x", "ghcr.io/x/y",
		"regi\u017ftry.digitalocean.com/x/y", "registry.digitalocean.com/v2/y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, image string) {
		img, err := kubeletprovider.ParseImage(image, "registry.digitalocean.com")
		if err != nil {
			if !errors.Is(err, kubeletprovider.ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		checkImage(t, image, img)
	})
}

func checkImage(t *testing.T, image string, img kubeletprovider.Image) {
	t.Helper()
	name := img.Host + "/" + img.Registry + "/" + img.Repository
	rest, ok := strings.CutPrefix(image, name)
	if !ok || rest != "" && rest[0] != ':' && rest[0] != '@' {
		t.Fatalf("%q parsed into %+v", image, img)
	}
	if strings.ToLower(img.Host) != "registry.digitalocean.com" || !utf8.ValidString(img.Repository) || img.Repository == "" {
		t.Fatalf("%q parsed into %+v", image, img)
	}
	if err := facade.CheckRegistryName(img.Registry); err != nil {
		t.Fatalf("%q: registry %v", image, err)
	}
	key := img.AuthKey()
	if !strings.HasSuffix(key, "/"+img.Registry+"/") || !strings.HasPrefix(key, img.Host+"/") {
		t.Fatalf("%q: auth key %q", image, key)
	}
	if img.Registry != "v1" && img.Registry != "v2" && !strings.HasPrefix(image, key) {
		t.Fatalf("%q: auth key %q is not a prefix of the image", image, key)
	}
}
