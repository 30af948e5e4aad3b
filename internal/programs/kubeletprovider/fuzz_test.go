package kubeletprovider_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
)

// FuzzDecodeRequest: any input either decodes into a checked request whose
// image then parses or fails cleanly, or fails with ErrBadRequest; nothing
// panics, and an error never quotes more than a short piece of the input.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/example/web:1"}`,
		`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/a/b/c@sha256:0123456789abcdef0123456789abcdef"}`,
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

// FuzzParseImage: a parsed image puts back together into the input, and its
// parts are what the grammar allows.
func FuzzParseImage(f *testing.F) {
	for _, s := range []string{
		"registry.digitalocean.com/example/web", "registry.digitalocean.com/example/team/api:v1",
		"registry.digitalocean.com/a-b/c.d_e__f-g:T_1@sha256:0123456789abcdef0123456789abcdef",
		"REGISTRY.digitalocean.com/x/y", "registry.digitalocean.com/x", "ghcr.io/x/y",
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
	back := img.Host + "/" + img.Registry + "/" + img.Repository
	if img.Tag != "" {
		back += ":" + img.Tag
	}
	if img.Digest != "" {
		back += "@" + img.Digest
	}
	if !strings.EqualFold(back, image) {
		t.Fatalf("%q parsed into %+v, which is %q", image, img, back)
	}
	// Only the host may differ, in case.
	if back[len(img.Host):] != image[len(img.Host):] {
		t.Fatalf("%q: the part after the host changed: %q", image, back)
	}
	if !utf8.ValidString(img.Registry+img.Repository+img.Tag+img.Digest) || strings.ContainsAny(img.Registry+img.Repository, "@: \t\n\x00") || img.Registry == "" || img.Repository == "" {
		t.Fatalf("%q parsed into %+v", image, img)
	}
}
