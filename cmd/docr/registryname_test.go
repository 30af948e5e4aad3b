//go:build unix

package main_test

import (
	"strings"
	"testing"
)

// Issue 12, case 3: --registry follows the API's own name rule before any
// request: ".." no longer becomes GET /v2/docker-credentials. A usage
// error (exit 2), one line, naming the first bad character.
func TestRegistryFlagFollowsTheAPIRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tt := range []struct{ name, want string }{
		{"..", "docr: --registry: registry name has '.' at byte 0: use 1 to 63 lower-case letters, digits and hyphens\n"},
		{"a/b", "docr: --registry: registry name has '/' at byte 1: use 1 to 63 lower-case letters, digits and hyphens\n"},
		{"Example", "docr: --registry: registry name has 'E' at byte 0: use 1 to 63 lower-case letters, digits and hyphens\n"},
	} {
		for _, cmd := range []string{"login", "logout", "docker-config", "kubernetes-manifest"} {
			r := h.docr(cmd, "--registry", tt.name)
			if r.code != 2 || r.stderr != tt.want || r.stdout != "" {
				t.Errorf("docr %s --registry %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", cmd, tt.name, r.code, r.stdout, r.stderr, tt.want)
			}
		}
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests reached the API", n)
	}
	if r := ok(t, h.docr("docker-config", "--registry", "example")); !strings.Contains(r.stdout, `"auths"`) {
		t.Errorf("a valid name: stdout %q", r.stdout)
	}
}

// A token typed where a command or argument goes is never echoed in the
// usage error; a word that looks like a command name is.
func TestStrayArgumentNotEchoed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const token = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, args := range [][]string{{token}, {"login", token}, {"help", token}, {"docker-config", "Bearer " + token}} {
		r := h.docr(args...)
		if r.code != 2 || strings.Contains(r.stderr+r.stdout, "0123456789abcdef") || !strings.Contains(r.stderr, "(not shown: it does not look like a command name)") {
			t.Errorf("docr %.20q...: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	fails(t, h.docr("login", "extra"), 2, `unexpected argument "extra"`)
}

// $DOCR_REGISTRY_HOST follows the one host rule: a look-alike is a usage
// error before anything is read or sent.
func TestRegistryHostEnvChecked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.set("DOCR_REGISTRY_HOST", "registry.digitalocean.com\u200b")
	fails(t, h.docr("login"), 2, `$DOCR_REGISTRY_HOST: invalid registry host: "registry.digitalocean.com\u200b" has spaces`)
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d requests reached the API", n)
	}
}
