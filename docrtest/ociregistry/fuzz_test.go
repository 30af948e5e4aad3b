package ociregistry

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseRoute: any path parses or not without a panic, and a parsed
// repository route names a valid repository.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/v2/", "/v2", "/v2/_catalog", "/v2/a/b/blobs/uploads/", "/v2/a/b/blobs/uploads/x",
		"/v2/a/b/c/manifests/v1", "/v2/a/b/tags/list", "/v2/a/b/referrers/sha256:00", "/v2/a/blobs/blobs/uploads", "/v2//b/manifests/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		rt, ok := parseRoute(path)
		if !ok || rt.kind == kindPing || rt.kind == kindCatalog {
			return
		}
		if !ValidName(rt.name()) {
			t.Fatalf("%q parsed to the invalid name %q", path, rt.name())
		}
		if strings.Contains(rt.target, "/") {
			t.Fatalf("%q parsed to a target with a slash: %q", path, rt.target)
		}
	})
}

// FuzzParseScopes: scopes parse or not without a panic, never more than
// maxScopes, and what a grant allows of them stays within its namespace.
func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"repository:acme/app:pull,push", "registry:catalog:*", "repository(plugin):acme/x:pull",
		"repository:other/x:* repository:acme/y:delete", "a:b", ":::", "repository:acme/app:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		asked, ok := parseScopes([]string{s})
		if !ok {
			return
		}
		if len(asked) > maxScopes {
			t.Fatalf("%d scopes", len(asked))
		}
		for _, a := range permitted(Grant{Credential: "1", Namespace: "acme"}, asked) {
			if a.Type == "repository" && !strings.HasPrefix(a.Name, "acme/") {
				t.Fatalf("a read-only grant of acme got %v", a)
			}
			for _, act := range a.Actions {
				if a.Type == "repository" && act != actionPull {
					t.Fatalf("a read-only grant got %v", a)
				}
			}
		}
	})
}

// FuzzParseManifest: any bytes parse or are refused without a panic, and
// a parsed manifest's references are valid digests.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:`+strings.Repeat("a", 64)+`","size":1},"layers":[]}`), "")
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha512:`+strings.Repeat("b", 128)+`","size":2}]}`), mtOCIIndex)
	f.Add([]byte(`{`), "application/json")
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		m, code, _ := parseManifest(b, ct, digestOf("sha256", b))
		if code != "" {
			return
		}
		for _, bl := range m.blobs {
			if _, _, ok := parseDigest(bl.Digest); !ok {
				t.Fatalf("blob %q", bl.Digest)
			}
		}
		for _, c := range m.children {
			if _, _, ok := parseDigest(c); !ok {
				t.Fatalf("child %q", c)
			}
		}
	})
}

// FuzzVerifyToken: no string but a token the registry minted verifies,
// and a minted token changed in one byte does not.
func FuzzVerifyToken(f *testing.F) {
	g, err := New(Options{TokenKey: []byte(strings.Repeat("k", 32))})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tok, err := g.mint(claims{Issuer: tokenIssuer, Subject: "1", Audience: "svc", IssuedAt: now.Unix(), NotBefore: now.Unix(),
		ExpiresAt: now.Add(time.Minute).Unix(), Access: []access{{Type: "repository", Name: "acme/app", Actions: []string{"pull"}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok, 0, byte('x'))
	f.Add("x.y.z", 1, byte('A'))
	f.Fuzz(func(t *testing.T, s string, i int, c byte) {
		if _, ok := g.verify(s, now); ok && s != tok {
			t.Fatalf("%q verifies", s)
		}
		if i < 0 || i >= len(tok) || tok[i] == c {
			return
		}
		changed := tok[:i] + string([]byte{c}) + tok[i+1:]
		if _, ok := g.verify(changed, now); ok {
			// Base64 of the signature's last character can carry unused
			// bits; a change there may decode to the same bytes.
			if i != len(tok)-1 {
				t.Fatalf("a token changed at byte %d verifies", i)
			}
		}
	})
}
