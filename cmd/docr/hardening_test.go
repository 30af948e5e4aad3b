//go:build unix

package main_test

// Issue 8: the docr command seen by an attacker and a clumsy user, through
// the built binary. Each test names the hardening case it stands for (see
// SECURITY.md, "Tests behind these claims").

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// cleanFailure checks what every failed docr run must look like whatever
// the failure: exit 1, nothing on stdout (for commands that print a
// document: no half-written output), one line on stderr starting "docr: ",
// no secret, no panic and no terminal control character.
func cleanFailure(t *testing.T, h *harness, r result, secrets ...string) {
	t.Helper()
	fails(t, r, 1)
	if r.stdout != "" {
		t.Errorf("stdout is not empty after a failure:\n%v", r)
	}
	out := r.stdout + r.stderr
	for _, s := range append(secrets, h.srv.Token) {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the output holds a secret %q:\n%v", s, r)
		}
	}
	for _, bad := range []string{"panic", "goroutine ", "\x1b", "\x07", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("the output holds %q:\n%v", bad, r)
		}
	}
}

// echoServer answers every request with status and a JSON error whose id,
// message and request id quote the request's Authorization header, plus
// terminal escape sequences.
func echoServer(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		b, _ := json.Marshal(map[string]string{
			"id":         "echo " + auth,
			"message":    "you sent " + auth + " \x1b]0;pwned\x07\x1b[2J\u202e",
			"request_id": auth,
		})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", auth)
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Case 2 (and 12) for the CLI. Every way an API call can fail, through
// --api-url: a name that does not resolve, connection refused, a TLS
// certificate docr does not trust, a 500 (and a 503 until retries run out,
// and a 401) echoing the token, a server that never answers, a slowloris,
// and tokens with control characters. docker-config (prints a document),
// login (writes a file) and the credential helper (answers Docker on
// stdout) each fail cleanly without the token.
func TestHardeningCLINoSecretInAnyOutput(t *testing.T) {
	t.Parallel()
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs before hang.Close
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := `{"auths":{"registry.digitalocean.com":{"auth":"dTpw"}}}`
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for i := range len(body) {
			_ = rc.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-release:
				return
			case <-time.After(200 * time.Millisecond):
			}
			_, _ = io.WriteString(w, body[i:i+1])
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { slow.CloseClientConnections() })

	tests := []struct {
		name string
		url  func(t *testing.T) string
		args []string // extra arguments
		tok  string   // a replacement token; "" keeps the fake's
		want string
	}{
		// A .onion name is never sent to DNS (RFC 7686): the lookup fails
		// here without any packet leaving the machine.
		{"name does not resolve", func(*testing.T) string { return "https://docr-hardening-test.onion" }, nil, "", "docr-hardening-test.onion"},
		{"connection refused", func(*testing.T) string { return refusedURL }, nil, "", "connection refused"},
		{"TLS certificate not trusted", func(*testing.T) string { return tlsSrv.URL }, nil, "", "certificate"},
		{"500 echoing the token", func(t *testing.T) string { return echoServer(t, 500).URL }, nil, "", "500 Internal Server Error"},
		{"503 until retries run out", func(t *testing.T) string { return echoServer(t, 503).URL }, nil, "", "[after 4 attempts]"},
		{"401 echoing the token", func(t *testing.T) string { return echoServer(t, 401).URL }, nil, "", "401 Unauthorized"},
		{"no answer", func(*testing.T) string { return hang.URL }, []string{"--timeout", "300ms"}, "", "after 4 attempts"},
		{"slowloris", func(*testing.T) string { return slow.URL }, []string{"--timeout", "500ms"}, "", ""},
		{"token with an escape sequence", nil, nil, "TOKEN\x1b[2J", "invalid API token"},
		{"token with a newline inside", nil, nil, "TOKEN\nTOKEN", "invalid API token"},
		{"token with a DEL", nil, nil, "TOKEN\x7f", "invalid API token"},
		{"token with a control character", nil, nil, "\x01TOKEN", "invalid API token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if tt.url != nil {
				h.set("DIGITALOCEAN_API_URL", tt.url(t))
			}
			if tt.tok != "" {
				h.set("DIGITALOCEAN_TOKEN", strings.ReplaceAll(tt.tok, "TOKEN", h.srv.Token))
			}
			for _, cmd := range [][]string{{"docker-config"}, {"login"}, {"kubernetes-manifest", "--registry", "example"}} {
				// A docr that hangs is killed by the run's hang guard
				// (runGuard), which fails the test.
				r := h.docr(append(cmd, tt.args...)...)
				cleanFailure(t, h, r)
				if !strings.Contains(r.stderr, tt.want) {
					t.Errorf("%v: stderr lacks %q:\n%v", cmd, tt.want, r)
				}
			}
			if _, err := os.Stat(filepath.Join(h.docker, "config.json")); !os.IsNotExist(err) {
				t.Errorf("a failed login wrote config.json: %v", err)
			}
			if tt.args != nil {
				return // the helper takes no --timeout: it would wait 4 x 30s
			}
			// The credential helper: Docker shows its stdout.
			r := h.helper(helperHost, "get")
			if r.code != 1 || !strings.HasPrefix(r.stdout, "docr: ") {
				t.Errorf("helper get: %v", r)
			}
			for _, bad := range []string{h.srv.Token, "panic", "\x1b"} {
				if strings.Contains(r.stdout+r.stderr, bad) {
					t.Errorf("helper get shows %q:\n%v", bad, r)
				}
			}
			if len(h.srv.Credentials()) != 0 {
				t.Errorf("the fake issued credentials: the failure was not where intended")
			}
		})
	}
}

// Case 8 for the CLI: several docr login processes at once, each against
// its own fake API issuing credentials for another registry host, into one
// DOCKER_CONFIG. Every host is there afterwards with its own credential,
// and the keys that were there before are kept.
func TestHardeningConcurrentLoginProcesses(t *testing.T) {
	t.Parallel()
	const n = 6
	shared := filepath.Join(t.TempDir(), "docker")
	cfg := filepath.Join(shared, "config.json")
	writeFile(t, cfg, `{"auths":{"ghcr.io":{"auth":"Z2g6eA=="}},"currentContext":"keep"}`)
	hs := make([]*harness, n)
	for i := range hs {
		hs[i] = newHarness(t, docrtest.WithRegistryHost(fmt.Sprintf("reg%d.example.test", i)))
		hs[i].set("DOCKER_CONFIG", shared)
	}
	var wg sync.WaitGroup
	results := make([]result, n)
	start := make(chan struct{})
	for i, h := range hs {
		wg.Go(func() {
			<-start
			results[i] = h.docr("login", "--expiry-seconds", "600")
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("login %d: %v", i, r)
		}
	}
	doc := readJSON(t, cfg).(map[string]any)
	auths, _ := doc["auths"].(map[string]any)
	if len(auths) != n+1 || doc["currentContext"] != "keep" || auths["ghcr.io"] == nil {
		b, _ := os.ReadFile(cfg)
		t.Fatalf("after %d concurrent logins:\n%s", n, b)
	}
	for i, h := range hs {
		c := onlyCredential(t, h.srv)
		e, _ := auths[fmt.Sprintf("reg%d.example.test", i)].(map[string]any)
		if e["auth"] != b64(c.Username+":"+c.Password) {
			t.Errorf("reg%d.example.test holds %v, not its login's credential", i, e)
		}
	}
	wantMode(t, cfg, 0o600)
	ents, _ := os.ReadDir(shared)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}

// Case 13 for the CLI: kubernetes-manifest prints the whole Secret or
// nothing. Invalid names and namespaces are usage errors before any
// request; an API failure before or after the registry lookup, or a broken
// credentials answer, leaves stdout empty, in YAML and in JSON.
func TestHardeningKubernetesManifestAllOrNothing(t *testing.T) {
	t.Parallel()
	usage := []struct {
		args []string
		want string
	}{
		{[]string{"--name", "Pull_Secret"}, "--name must be a DNS-1123 subdomain"},
		{[]string{"--name", "pull-secret\nkind: Pod"}, "--name must be a DNS-1123 subdomain"},
		{[]string{"--name", strings.Repeat("a", 254)}, "--name must be a DNS-1123 subdomain"},
		{[]string{"--namespace", "Kube-System"}, "--namespace must be a DNS-1123 label"},
		{[]string{"--namespace", "apps.prod"}, "--namespace must be a DNS-1123 label"},
		{[]string{"--namespace", "\x1b[2Japps"}, "--namespace must be a DNS-1123 label"},
		// The registry name rule comes first: such a name never reaches the
		// Secret name (registry-<name>) at all.
		{[]string{"--registry", "My_Registry"}, "--registry: registry name has 'M' at byte 0"},
	}
	h := newHarness(t)
	for _, u := range usage {
		for _, output := range []string{"yaml", "json"} {
			r := h.docr(append([]string{"kubernetes-manifest", "--output", output}, u.args...)...)
			fails(t, r, 2, u.want)
			if r.stdout != "" || strings.Contains(r.stderr, "\x1b") {
				t.Errorf("%v: %v", u.args, r)
			}
		}
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}

	faults := []struct {
		name  string
		fault docrtest.Fault
		args  []string
	}{
		{"registry lookup fails", docrtest.Fault{Op: "registry_get", Status: 500, Times: -1}, nil},
		{"credentials fail after the lookup", docrtest.Fault{Op: "registry_get_dockerCredentials", Status: 403, Times: -1}, nil},
		{"credentials fail for a named registry", docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 500, Times: -1}, []string{"--registry", "example"}},
		{"credentials answer cut in half", docrtest.Fault{Op: "registry_get_dockerCredentials", Action: docrtest.Truncate, Times: -1}, nil},
		{"connection closed mid-answer", docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.Hangup, Times: -1}, []string{"--registry", "example", "--timeout", "20s"}},
		{"HTML instead of credentials", docrtest.Fault{Op: "registry_get_dockerCredentials", Action: docrtest.NotJSON, Status: 200, Times: -1}, nil},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if err := h.srv.Inject(f.fault); err != nil {
				t.Fatal(err)
			}
			for _, output := range []string{"yaml", "json"} {
				r := h.docr(append([]string{"kubernetes-manifest", "--output", output}, f.args...)...)
				var secrets []string
				for _, c := range h.srv.Credentials() {
					secrets = append(secrets, c.Password, b64(c.Username+":"+c.Password))
				}
				cleanFailure(t, h, r, secrets...)
			}
			// Once the fault is gone the same command prints a whole Secret.
			h.srv.ClearFaults()
			r := ok(t, h.docr("kubernetes-manifest"))
			if !strings.HasPrefix(r.stdout, "apiVersion: v1\n") || !strings.Contains(r.stdout, "\nkind: Secret\n") || !strings.HasSuffix(r.stdout, "\n") {
				t.Errorf("not a whole manifest:\n%s", r.stdout)
			}
		})
	}
}

// Case 14 for the CLI: with both $DOCKER_CONFIG and $HOME set, login and
// logout use $DOCKER_CONFIG only; $HOME/.docker is never created.
func TestHardeningDockerConfigWinsOverHome(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login"))
	c := onlyCredential(t, h.srv)
	wantJSONFile(t, filepath.Join(h.docker, "config.json"), `{"auths": {"registry.digitalocean.com": {"auth": "`+b64(c.Username+":"+c.Password)+`"}}}`)
	ok(t, h.docr("logout"))
	wantJSONFile(t, filepath.Join(h.docker, "config.json"), `{"auths": {}}`)
	if _, err := os.Stat(filepath.Join(h.home, ".docker")); !os.IsNotExist(err) {
		t.Errorf("$HOME/.docker was touched although $DOCKER_CONFIG is set: %v", err)
	}
}

// Case 15: the credential helper's cache. An expired entry, or one within
// its renewal window (ten minutes for an hour) of expiring, is never served (even when its credential would
// still work); a corrupt or wrongly shaped cache, or one with a lax mode, is
// ignored and replaced by a 0600 file in a 0700 directory; a cache that
// cannot be written does not stop the helper from answering.
func TestHardeningCredentialHelperCache(t *testing.T) {
	t.Parallel()
	t.Run("expired entries are never served", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		now := time.Now().UTC()
		for _, exp := range []time.Time{now.Add(-time.Hour), now.Add(-time.Second), now.Add(4 * time.Minute), {}} {
			// The entry the helper keeps for this token and API, made
			// stale: the key stays, so only its expiry stops it.
			ok(t, h.helper(helperHost, "get"))
			var cache struct {
				Entries map[string]map[string]any `json:"entries"`
			}
			if err := jsonUnmarshal(readFileString(t, h.cacheFile()), &cache); err != nil || len(cache.Entries) != 1 {
				t.Fatalf("cache: %v %v", err, cache)
			}
			for _, e := range cache.Entries {
				e["username"], e["password"], e["expires_at"] = "stale-user", "stale-password", exp
			}
			writeFile(t, h.cacheFile(), jsonMarshal(cache))
			r := ok(t, h.helper(helperHost, "get"))
			rep := parseReply(t, r)
			if rep.Secret == "stale-password" || rep.Username == "stale-user" {
				t.Errorf("served an entry expiring at %v", exp)
			}
			if b, _ := os.ReadFile(h.cacheFile()); strings.Contains(string(b), "stale-password") {
				t.Errorf("the entry expiring at %v is still cached", exp)
			}
			wantMode(t, h.cacheFile(), 0o600)
		}
		if n := len(h.srv.Credentials()); n != 5 {
			t.Errorf("%d credentials minted, want the first and one per stale entry", n)
		}
	})
	t.Run("corrupt caches are replaced", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for _, content := range []string{"", "{", "null", "[]", `{"entries":null}`, `{"entries":[]}`, `{"entries":{"x":5}}`, "\x00\xff\xfe", strings.Repeat("{", 100000)} {
			writeFile(t, h.cacheFile(), content)
			if err := os.Chmod(h.cacheFile(), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Dir(h.cacheFile()), 0o755); err != nil {
				t.Fatal(err)
			}
			r := ok(t, h.helper(helperHost, "get"))
			rep := parseReply(t, r)
			var cache struct {
				Entries map[string]struct{ Password string } `json:"entries"`
			}
			b, _ := os.ReadFile(h.cacheFile())
			if err := json.Unmarshal(b, &cache); err != nil || len(cache.Entries) != 1 || !strings.Contains(string(b), `"password": "`+rep.Secret+`"`) {
				t.Errorf("cache %q was not replaced: %v\n%s", content, err, b)
			}
			wantMode(t, h.cacheFile(), 0o600)
			_ = os.Remove(h.cacheFile())
		}
	})
	t.Run("unwritable cache", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		// A directory where the cache file should be: the helper still
		// answers, and says on stderr (not stdout) that it could not cache.
		if err := os.MkdirAll(filepath.Join(h.cacheFile(), "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		r := ok(t, h.helper(helperHost, "get"))
		rep := parseReply(t, r)
		if c := onlyCredential(t, h.srv); rep.Secret != c.Password {
			t.Errorf("reply %+v", rep)
		}
		if !strings.Contains(r.stderr, "could not cache") || strings.Contains(r.stderr, rep.Secret) {
			t.Errorf("stderr %q", r.stderr)
		}
	})
}
