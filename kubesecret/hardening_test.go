package kubesecret

// Issue 8, case 13: names and namespaces a clumsy user or a hostile input
// supplies get one clear line of error, never a Secret and never a partial
// manifest.

import (
	"strings"
	"testing"
)

func TestHardeningHostileNamesNeverMakeAManifest(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"",
		"pull-secret\nkind: Pod",           // YAML injection
		"pull-secret\n---\napiVersion: v1", // a second document
		"pull-secret: {}",
		"\x1b[2J\x1b]0;pwned\x07",
		"registry\u202etxt",
		"Registry",
		"registry_example",
		"-registry",
		"registry.",
		"a..b",
		"registry example",
		strings.Repeat("r", 254),
		"\xff\xfe",
		"../../etc/passwd",
		"{{.Values.name}}",
		"*",
	}
	for _, name := range hostile {
		for _, tc := range []struct {
			what string
			opts Options
			want string
		}{
			{"name", Options{Name: name}, "invalid secret name"},
			{"namespace", Options{Name: "pull-secret", Namespace: name}, "invalid namespace"},
			{"registry name", Options{RegistryName: name}, "set Name"},
		} {
			if tc.what == "namespace" && name == "" {
				continue // empty means kubectl's current namespace
			}
			if tc.what != "namespace" && name == "" {
				tc.want = "no secret name" // neither Name nor RegistryName
			}
			if tc.what == "registry name" && isDNS1123Subdomain(DefaultNamePrefix+name) {
				continue // "-registry" gives the valid "registry--registry"
			}
			s, err := New([]byte(doConfig), tc.opts)
			if err == nil || s != nil {
				t.Errorf("%s %q: New = %v, %v; want an error and no Secret", tc.what, name, s, err)
				continue
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "kubesecret: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("%s %q: error %q does not say %q", tc.what, name, msg, tc.want)
			}
			if strings.ContainsAny(msg, "\n\r\x1b\x07\u202e") {
				t.Errorf("%s %q: the error is not one clean line: %q", tc.what, name, msg)
			}
			if strings.Contains(msg, "c2VjcmV0") || strings.Contains(msg, doConfig) {
				t.Errorf("%s %q: the error quotes the credentials", tc.what, name)
			}
		}
	}
	// A nil Secret renders nothing at all.
	var s *Secret
	for _, render := range []func() ([]byte, error){s.YAML, s.JSON} {
		if out, err := render(); err == nil || out != nil {
			t.Errorf("nil Secret rendered %q, %v", out, err)
		}
	}
}
