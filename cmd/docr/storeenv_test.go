//go:build unix

package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRevokeURLPlainHTTPWarns (issue 22, item 15): a revocation URL that is
// plain http to a host that is not loopback ($DOCR_REVOKE_URL or
// --revoke-url) gets the same one-line warning as such an API URL, once,
// before a credential is sent there. https, and http to loopback (the
// fake's), get none. The .onion host is never looked up (RFC 7686), so the
// revocation then fails without a packet leaving the machine.
func TestRevokeURLPlainHTTPWarns(t *testing.T) {
	t.Parallel()
	const plain = "http://docr-revoke-test.onion/v1/oauth/revoke"
	const warning = "Warning: the revocation URL is plain http to docr-revoke-test.onion, not a loopback address: the credential being revoked crosses the network unencrypted\n"
	tests := []struct {
		name    string
		env     string // $DOCR_REVOKE_URL for the second command
		args    []string
		warns   bool
		revoked bool
	}{
		{"logout, $DOCR_REVOKE_URL", plain, []string{"logout"}, true, false},
		{"logout, --revoke-url", "", []string{"logout", "--revoke-url", plain}, true, false},
		{"second login, $DOCR_REVOKE_URL", plain, []string{"login"}, true, false},
		{"logout, https", "https://docr-revoke-test.onion/v1/oauth/revoke", []string{"logout"}, false, false},
		{"logout, http to loopback", "", []string{"logout"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if r := ok(t, h.docr("login")); strings.Contains(r.stderr, "Warning") {
				t.Errorf("login with the fake's URLs warns: %q", r.stderr)
			}
			if tt.env != "" {
				h.set("DOCR_REVOKE_URL", tt.env)
			}
			r := h.docr(tt.args...)
			if got := strings.Count(r.stderr, warning); got != map[bool]int{true: 1, false: 0}[tt.warns] {
				t.Errorf("the warning appears %d times, want it %v:\n%v", got, tt.warns, r)
			}
			if w, e := strings.Index(r.stderr, warning), strings.Index(r.stderr, "docr: "); tt.warns && e >= 0 && w > e {
				t.Errorf("the warning does not come before the revocation's outcome:\n%v", r)
			}
			if strings.Contains(r.stderr, "Warning") && !tt.warns {
				t.Errorf("unexpected warning:\n%v", r)
			}
			if c := h.srv.Credentials()[0]; c.Revoked != tt.revoked {
				t.Errorf("revoked %v, want %v:\n%v", c.Revoked, tt.revoked, r)
			}
		})
	}
}

// envStoreScript is docker-credential-envstore: it writes its environment
// (export -p) to $ENV_DIR/env-<action>, answers get with "not found" and
// accepts store. Shell built-ins only.
const envStoreScript = `#!/bin/sh
export -p > "$ENV_DIR/env-$1"
case "$1" in
get) echo "credentials not found in native keychain"; exit 1 ;;
store) while read -r line; do :; done; exit 0 ;;
*) exit 1 ;;
esac
`

// TestCredentialStoreRunsWithoutAPIToken (issue 22, item 15): docr login
// with the API token in $DIGITALOCEAN_TOKEN, $DIGITALOCEAN_ACCESS_TOKEN and
// a $DOCR_TOKEN_FILE runs the credential store (get, then store) with none
// of the three in its environment, and the rest of it passed on.
func TestCredentialStoreRunsWithoutAPIToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	storeBin := filepath.Join(dir, "bin")
	writeFile(t, filepath.Join(storeBin, "docker-credential-envstore"), envStoreScript)
	if err := os.Chmod(filepath.Join(storeBin, "docker-credential-envstore"), 0o700); err != nil {
		t.Fatal(err)
	}
	h.path = append(h.path, storeBin)
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, h.srv.Token+"\n")
	h.set("ENV_DIR", dir, "DIGITALOCEAN_ACCESS_TOKEN", h.srv.Token, "DOCR_TOKEN_FILE", tokenFile)
	writeFile(t, filepath.Join(h.docker, "config.json"), `{"credsStore":"envstore"}`)
	ok(t, h.docr("login"))
	for _, action := range []string{"get", "store"} {
		env := readFileString(t, filepath.Join(dir, "env-"+action))
		for _, name := range []string{"DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DOCR_TOKEN_FILE"} {
			if strings.Contains(env, "export "+name+"=") || strings.Contains(env, "export "+name+"\n") {
				t.Errorf("%s ran with $%s", action, name)
			}
		}
		for _, secret := range []string{h.srv.Token, tokenFile} {
			if strings.Contains(env, secret) {
				t.Errorf("%s's environment holds the API token or its file", action)
			}
		}
		for _, kept := range []string{"export HOME=", "export ENV_DIR=", "export DOCKER_CONFIG=", "export PATH="} {
			if !strings.Contains(env, kept) {
				t.Errorf("%s ran without %s...:\n%s", action, kept, env)
			}
		}
	}
}
