//go:build unix

package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// notice is the expiry notice of docr login.
var notice = regexp.MustCompile(`^Notice: these credentials expire at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(in ([^)]+)\); change with --expiry-seconds N or --never-expire\.\n$`)

const neverNotice = "Notice: these credentials never expire; revoke them with 'docr logout' (or use --expiry-seconds N).\n"

func TestLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		path      string
		query     []string // key, value pairs
		readWrite bool
		expiry    int    // seconds, 0: never
		in        string // the "(in ...)" part of the notice
	}{
		{"defaults", nil, pathDefault, []string{"read_write", "true", "expiry_seconds", thirtyDays}, true, 2592000, "30 days"},
		{"read-only", []string{"--read-only"}, pathDefault, []string{"read_write", "false", "expiry_seconds", thirtyDays}, false, 2592000, "30 days"},
		{"expiry-seconds", []string{"--expiry-seconds", "3600"}, pathDefault, []string{"read_write", "true", "expiry_seconds", "3600"}, true, 3600, "1h0m0s"},
		{"expiry-seconds=", []string{"--expiry-seconds=90"}, pathDefault, []string{"read_write", "true", "expiry_seconds", "90"}, true, 90, "1m30s"},
		{"never-expire", []string{"--never-expire"}, pathDefault, []string{"read_write", "true"}, true, 0, ""},
		{"registry", []string{"--registry", "example"}, pathExample, []string{"read_write", "true", "expiry_seconds", thirtyDays}, true, 2592000, "30 days"},
		{"all", []string{"--registry=example", "--read-only", "--never-expire"}, pathExample, []string{"read_write", "false"}, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			before := time.Now()
			r := ok(t, h.docr(append([]string{"login"}, tt.args...)...))
			took := time.Since(before)

			wantCredentialCalls(t, h.srv, call{tt.path, query(tt.query...)})
			c := onlyCredential(t, h.srv)
			if c.ReadWrite != tt.readWrite || c.ExpirySeconds != tt.expiry || c.Registry != "example" {
				t.Errorf("issued %+v, want read-write %v, expiry %d", c, tt.readWrite, tt.expiry)
			}

			mode := "read-only"
			if tt.readWrite {
				mode = "read-write"
			}
			cfg := filepath.Join(h.docker, "config.json")
			if want := "Logged in to " + helperHost + " (" + mode + "); credential stored in " + cfg + "\n"; r.stdout != want {
				t.Errorf("stdout %q, want %q", r.stdout, want)
			}
			wantJSONFile(t, cfg, `{"auths": {"registry.digitalocean.com": {"auth": "`+b64(c.Username+":"+c.Password)+`"}}}`)
			wantMode(t, cfg, 0o600)
			wantMode(t, h.docker, 0o700)

			if tt.expiry == 0 {
				if r.stderr != neverNotice {
					t.Errorf("stderr %q, want %q", r.stderr, neverNotice)
				}
				return
			}
			m := notice.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("stderr is not the one-line expiry notice: %q", r.stderr)
			}
			at, err := time.Parse(time.RFC3339, m[1])
			if err != nil {
				t.Fatal(err)
			}
			// docr counts the lifetime from when it sent the request: after
			// the test started it, before the fake issued the credential.
			// The notice's time is whole seconds.
			lifetime := time.Duration(tt.expiry) * time.Second
			if at.Before(before.Add(lifetime).Truncate(time.Second)) || at.After(c.ExpiresAt) {
				t.Errorf("notice says the credential expires at %v, want between %v and the fake's %v", at, before.Add(lifetime), c.ExpiresAt)
			}
			// "(in ...)" is what is left of the lifetime when docr printed
			// it: the lifetime less at most the time the run took (and
			// rounding), shown as whole days when it is close to them.
			if in, err := time.ParseDuration(m[2]); err == nil && m[2] != tt.in {
				want, _ := time.ParseDuration(tt.in)
				if in > want || in < want-took-time.Second {
					t.Errorf("notice says (in %s), want (in %s) less at most the %v the run took", m[2], tt.in, took)
				}
			} else if m[2] != tt.in {
				t.Errorf("notice says (in %s), want (in %s)", m[2], tt.in)
			}
		})
	}
}

// A slow API must not make the notice say "(in 719h59m58s)" instead of "30 days".
func TestLoginNoticeAfterSlowAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if err := h.srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Latency: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r := ok(t, h.docr("login"))
	m := notice.FindStringSubmatch(r.stderr)
	if m == nil || m[2] != "30 days" {
		t.Errorf("stderr %q, want a notice saying (in 30 days)", r.stderr)
	}
}

func TestLoginUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--expiry-seconds", "60", "--never-expire"}, "--expiry-seconds and --never-expire cannot be used together"},
		{[]string{"--never-expire", "--expiry-seconds=60"}, "cannot be used together"},
		{[]string{"--expiry-seconds", "0"}, "--expiry-seconds must be at least 1"},
		{[]string{"--expiry-seconds", "-5"}, "--expiry-seconds must be at least 1"},
		{[]string{"--expiry-seconds", "soon"}, "invalid value for --expiry-seconds: want a whole number"},
		// 2^55+3600 seconds: multiplied into a time.Duration it wraps to 3600s.
		{[]string{"--expiry-seconds", "36028797018967568"}, "--expiry-seconds"},
		{[]string{"--helper", "--read-only"}, "--helper cannot be combined with --read-only"},
		{[]string{"--helper", "--never-expire"}, "--helper cannot be combined with --never-expire"},
		{[]string{"--helper", "--expiry-seconds", "60"}, "--helper cannot be combined with --expiry-seconds"},
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	h := newHarness(t)
	for _, tt := range tests {
		r := h.docr(append([]string{"login"}, tt.args...)...)
		fails(t, r, 2, tt.want)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
	if _, err := os.Stat(h.docker); !os.IsNotExist(err) {
		t.Errorf("usage errors touched DOCKER_CONFIG: %v", err)
	}
}

func TestLoginConfigLocation(t *testing.T) {
	t.Parallel()
	t.Run("--config", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		dir := filepath.Join(h.home, "elsewhere", "docker")
		r := ok(t, h.docr("login", "--config", dir))
		cfg := filepath.Join(dir, "config.json")
		if !strings.Contains(r.stdout, "credential stored in "+cfg+"\n") {
			t.Errorf("stdout %q does not name %s", r.stdout, cfg)
		}
		c := onlyCredential(t, h.srv)
		wantJSONFile(t, cfg, `{"auths": {"registry.digitalocean.com": {"auth": "`+b64(c.Username+":"+c.Password)+`"}}}`)
		wantMode(t, cfg, 0o600)
		wantMode(t, dir, 0o700)
		if _, err := os.Stat(h.docker); !os.IsNotExist(err) {
			t.Errorf("--config also wrote to $DOCKER_CONFIG: %v", err)
		}
	})
	t.Run("HOME", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.set("DOCKER_CONFIG", "")
		ok(t, h.docr("login"))
		c := onlyCredential(t, h.srv)
		cfg := filepath.Join(h.home, ".docker", "config.json")
		wantJSONFile(t, cfg, `{"auths": {"registry.digitalocean.com": {"auth": "`+b64(c.Username+":"+c.Password)+`"}}}`)
		wantMode(t, cfg, 0o600)
	})
}

// docr login changes its own entry only and keeps every other key.
func TestLoginMergesIntoExistingConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	writeFile(t, cfg, `{
	"auths": {
		"ghcr.io": {"auth": "b3RoZXI6c2VjcmV0"},
		"registry.digitalocean.com": {"auth": "b2xkOm9sZA==", "email": "me@example.com", "identitytoken": "stale"}
	},
	"currentContext": "desktop-linux",
	"proxies": {"default": {"httpProxy": "http://proxy:3128"}},
	"x-unknown": [1, 2, {"a": null}]
}`)
	ok(t, h.docr("login"))
	c := onlyCredential(t, h.srv)
	wantJSONFile(t, cfg, `{
	"auths": {
		"ghcr.io": {"auth": "b3RoZXI6c2VjcmV0"},
		"registry.digitalocean.com": {"auth": "`+b64(c.Username+":"+c.Password)+`", "email": "me@example.com"}
	},
	"currentContext": "desktop-linux",
	"proxies": {"default": {"httpProxy": "http://proxy:3128"}},
	"x-unknown": [1, 2, {"a": null}]
}`)
	wantMode(t, cfg, 0o600)

	// A second login replaces the secret, and only it.
	ok(t, h.docr("login", "--read-only"))
	c2 := h.srv.Credentials()[1]
	auths := readJSON(t, cfg).(map[string]any)["auths"].(map[string]any)
	if got := auths[helperHost].(map[string]any)["auth"]; got != b64(c2.Username+":"+c2.Password) {
		t.Errorf("after the second login auth is %v, want the second credential", got)
	}
}

// A config docr cannot parse is an error, and the file stays as it was.
func TestLoginRefusesBrokenConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	const broken = `{"auths": {` + "\n"
	writeFile(t, cfg, broken)
	r := h.docr("login")
	fails(t, r, 1, cfg, "fix or move it")
	if b, _ := os.ReadFile(cfg); string(b) != broken {
		t.Errorf("config changed to %q", b)
	}
	// The credential minted before the write failed is revoked, or none
	// was minted at all.
	for _, c := range h.srv.Credentials() {
		if !c.Revoked {
			t.Errorf("a credential is left valid after the failed login: %+v", c)
		}
	}
}

// credsStore and credHelpers send the secret to a docker-credential-<name>
// program; config.json gets an entry without secrets.
func TestLoginCredentialStores(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, store string
	}{
		{"credsStore", `{"credsStore": "fakestore"}`, "fakestore"},
		{"credHelpers", `{"credsStore": "fakestore", "credHelpers": {"registry.digitalocean.com": "otherstore"}}`, "otherstore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.withStores()
			cfg := filepath.Join(h.docker, "config.json")
			writeFile(t, cfg, tt.config)
			r := ok(t, h.docr("login"))
			if want := "Logged in to registry.digitalocean.com (read-write); credential stored in docker-credential-" + tt.store; !strings.HasPrefix(r.stdout, want) {
				t.Errorf("stdout %q, want it to start with %q", r.stdout, want)
			}
			c := onlyCredential(t, h.srv)
			// The config names the host but holds no secret.
			var want map[string]any
			_ = jsonUnmarshal(tt.config, &want)
			want["auths"] = map[string]any{helperHost: map[string]any{}}
			wantJSONFile(t, cfg, jsonMarshal(want))
			store := readJSON(t, filepath.Join(h.stores, tt.store+".json"))
			wantStore := map[string]any{helperHost: map[string]any{"Username": c.Username, "Secret": c.Password}}
			if jsonMarshal(store) != jsonMarshal(wantStore) {
				t.Errorf("%s holds %v, want the issued credential", tt.store, store)
			}
			if b, _ := os.ReadFile(cfg); strings.Contains(string(b), c.Password) {
				t.Error("config.json holds the password")
			}

			// logout erases it from the store and revokes it.
			r = ok(t, h.docr("logout"))
			if want := "Removed registry.digitalocean.com from " + cfg + ".\nRevoked the credential for registry.digitalocean.com.\n"; r.stdout != want {
				t.Errorf("logout stdout %q, want %q", r.stdout, want)
			}
			if store := readJSON(t, filepath.Join(h.stores, tt.store+".json")); jsonMarshal(store) != "{}" {
				t.Errorf("after logout %s holds %v", tt.store, store)
			}
			if !onlyCredential(t, h.srv).Revoked {
				t.Error("logout did not revoke the credential")
			}
		})
	}
}

// A configured store that is missing is an error, never a plaintext
// fallback, found before anything is minted (login first asks the store
// for the credential it replaces); a store that fails on store gets the
// minted credential revoked.
func TestLoginMissingCredentialStore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	const content = `{"credsStore": "nosuch"}`
	writeFile(t, cfg, content)
	r := h.docr("login")
	fails(t, r, 1, "docker-credential-nosuch")
	if b, _ := os.ReadFile(cfg); string(b) != content {
		t.Errorf("config changed to %q", b)
	}
	if n := len(h.srv.Credentials()); n != 0 {
		t.Errorf("%d credentials minted for a missing store", n)
	}

	// A store that fails is reported the same way.
	h.withStores()
	writeFile(t, cfg, `{"credsStore": "fakestore"}`)
	h.set("FAKESTORE_FAIL", "store")
	fails(t, h.docr("login"), 1, "docker-credential-fakestore")
	if n := len(h.srv.Credentials()); n != 1 {
		t.Errorf("%d credentials minted, want 1", n)
	}
	for _, c := range h.srv.Credentials() {
		if !c.Revoked {
			t.Error("the credential minted for the failed login is still valid")
		}
	}
}

// A token that may only read cannot mint push credentials: docr login
// says so (403) and --read-only works.
func TestLoginWithReadOnlyToken(t *testing.T) {
	t.Parallel()
	const tok = "dop_v1_readonlytokenfortests0123456789"
	h := newHarness(t, docrtest.WithScopedToken(tok, docrtest.ScopeRead))
	h.set("DIGITALOCEAN_TOKEN", tok)
	r := h.docr("login")
	last := h.srv.Requests()[len(h.srv.Requests())-1]
	fails(t, r, 1, "GET /v2/registry/docker-credentials", "403 Forbidden", "[request id "+last.RequestID+"]")
	if _, err := os.Stat(filepath.Join(h.docker, "config.json")); !os.IsNotExist(err) {
		t.Errorf("a failed login wrote config.json: %v", err)
	}
	ok(t, h.docr("login", "--read-only"))
	if c := onlyCredential(t, h.srv); c.ReadWrite {
		t.Error("--read-only minted a read-write credential")
	}
}

// An existing world-readable config keeps its mode (docr never changes a
// user's choice), but login says that it now holds a plaintext secret.
func TestLoginWarnsAboutReadableConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	writeFile(t, cfg, `{"auths": {}}`)
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ok(t, h.docr("login"))
	wantMode(t, cfg, 0o644)
	var warnings []string
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.HasPrefix(line, "Warning: ") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "readable by other users") || !strings.Contains(warnings[0], cfg) {
		t.Fatalf("stderr warnings %q, want one about the readable config naming %s:\n%v", warnings, cfg, r)
	}
}
