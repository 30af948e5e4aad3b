//go:build unix

package main_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docr-dev/docr/docrtest"
)

func TestLogout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	writeFile(t, cfg, `{"auths": {"ghcr.io": {"auth": "b3RoZXI6c2VjcmV0"}}, "x-keep": true}`)
	ok(t, h.docr("login"))
	r := ok(t, h.docr("logout"))
	if want := "Removed registry.digitalocean.com from " + cfg + ".\nRevoked the credential for registry.digitalocean.com.\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	wantJSONFile(t, cfg, `{"auths": {"ghcr.io": {"auth": "b3RoZXI6c2VjcmV0"}}, "x-keep": true}`)
	wantMode(t, cfg, 0o600)
	if !onlyCredential(t, h.srv).Revoked {
		t.Error("the credential was not revoked")
	}
	// One POST to the revocation endpoint, authenticated with the
	// credential itself (the fake accepts nothing else for it).
	var revokes []docrtest.RecordedRequest
	for _, rq := range h.srv.Requests() {
		if rq.Operation == opRevoke {
			revokes = append(revokes, rq)
		}
	}
	if len(revokes) != 1 || revokes[0].Method != http.MethodPost || revokes[0].Status != http.StatusOK ||
		revokes[0].Header.Get("Authorization") != "Bearer REDACTED" ||
		revokes[0].Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("revocation requests: %+v", revokes)
	}

	// Logging out again has nothing to do.
	r = ok(t, h.docr("logout"))
	if want := "Not logged in to registry.digitalocean.com; nothing to remove from " + cfg + ".\n"; r.stdout != want {
		t.Errorf("second logout: stdout %q, want %q", r.stdout, want)
	}
	if n := countOp(h.srv, opRevoke); n != 1 {
		t.Errorf("%d revocations, want 1", n)
	}
}

// revokeRecorder is a revocation endpoint that records what it receives.
type revokeRecorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []revokeRequest
}

type revokeRequest struct {
	method, contentType, authorization, body string
}

func newRevokeRecorder(t *testing.T) *revokeRecorder {
	rr := &revokeRecorder{}
	rr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rr.mu.Lock()
		rr.requests = append(rr.requests, revokeRequest{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(b)})
		rr.mu.Unlock()
	}))
	t.Cleanup(rr.Close)
	return rr
}

func (rr *revokeRecorder) got() []revokeRequest {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]revokeRequest(nil), rr.requests...)
}

// --revoke-url wins over $DOCR_REVOKE_URL, and the request is the OAuth
// revocation docr promises: POST form token=<password> with
// "Authorization: Bearer <password>".
func TestLogoutRevokeURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	rr := newRevokeRecorder(t)
	ok(t, h.docr("login"))
	ok(t, h.docr("logout", "--revoke-url", rr.URL+"/oauth/revoke"))
	c := onlyCredential(t, h.srv)
	want := []revokeRequest{{"POST", "application/x-www-form-urlencoded", "Bearer " + c.Password, "token=" + c.Password}}
	if got := rr.got(); len(got) != 1 || got[0] != want[0] {
		t.Errorf("revocation requests:\n got %q\nwant %q", got, want)
	}
	if countOp(h.srv, opRevoke) != 0 {
		t.Error("$DOCR_REVOKE_URL was used despite --revoke-url")
	}

	// $DOCR_REVOKE_URL alone is used too.
	h.set("DOCR_REVOKE_URL", rr.URL+"/env")
	ok(t, h.docr("login", "--read-only"))
	ok(t, h.docr("logout"))
	if got := rr.got(); len(got) != 2 || got[1].authorization != "Bearer "+h.srv.Credentials()[1].Password {
		t.Errorf("$DOCR_REVOKE_URL: revocation requests %q", got)
	}
}

func TestLogoutNoRevoke(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login"))
	r := ok(t, h.docr("logout", "--no-revoke"))
	cfg := filepath.Join(h.docker, "config.json")
	if want := "Removed registry.digitalocean.com from " + cfg + ".\nThe credential was not revoked (--no-revoke); it stays valid until it expires.\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	wantJSONFile(t, cfg, `{"auths": {}}`)
	if onlyCredential(t, h.srv).Revoked || countOp(h.srv, opRevoke) != 0 {
		t.Error("--no-revoke revoked")
	}
	fails(t, h.docr("logout", "--no-revoke", "--revoke-url", h.revokeURL()), 2, "--no-revoke and --revoke-url cannot be used together")
}

// If revocation fails the entry is removed anyway, and docr exits 1 saying
// what happened, with the API's status, message and request id.
func TestLogoutRevocationFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login"))
	if err := h.srv.Inject(docrtest.Fault{Op: opRevoke, Status: http.StatusServiceUnavailable}); err != nil {
		t.Fatal(err)
	}
	r := h.docr("logout")
	reqs := h.srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Operation != opRevoke {
		t.Fatalf("last request %+v", last)
	}
	fails(t, r, 1, "removed registry.digitalocean.com from the config, but revoking its credential failed",
		"503 Service Unavailable", "[request id "+last.RequestID+"]")
	cfg := filepath.Join(h.docker, "config.json")
	if want := "Removed registry.digitalocean.com from " + cfg + ".\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	wantJSONFile(t, cfg, `{"auths": {}}`)
	if onlyCredential(t, h.srv).Revoked {
		t.Error("the fault did not stop the revocation")
	}

	// An unreachable endpoint is reported too.
	ok(t, h.docr("login"))
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	r = h.docr("logout", "--revoke-url", dead.URL)
	fails(t, r, 1, "but revoking its credential failed", "connection refused")
	wantJSONFile(t, cfg, `{"auths": {}}`)
}

func TestLogoutFlags(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := filepath.Join(h.home, "other-docker")
	ok(t, h.docr("login", "--registry", "example", "--config", dir))
	r := ok(t, h.docr("logout", "--registry", "example", "--config", dir))
	if !strings.HasPrefix(r.stdout, "Removed registry.digitalocean.com from "+filepath.Join(dir, "config.json")+".\n") {
		t.Errorf("stdout %q", r.stdout)
	}
	if !onlyCredential(t, h.srv).Revoked {
		t.Error("not revoked")
	}
	if _, err := os.Stat(h.docker); !os.IsNotExist(err) {
		t.Errorf("--config: $DOCKER_CONFIG was touched: %v", err)
	}
	for _, args := range [][]string{{"--bogus"}, {"now"}, {"--registry"}} {
		fails(t, h.docr(append([]string{"logout"}, args...)...), 2)
	}
}

// An invalid revocation endpoint is refused before anything is removed:
// a credential dropped from the config could not be revoked any more.
func TestLogoutInvalidRevokeURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login"))
	cfg := filepath.Join(h.docker, "config.json")
	before, _ := os.ReadFile(cfg)
	for _, u := range []string{"ftp://revoke.example", "/v1/oauth/revoke", "https://user:pw@revoke.example/", "https://revoke.example/?token=x"} {
		fails(t, h.docr("logout", "--revoke-url", u), 2, "--revoke-url must be an absolute http or https URL")
	}
	h.set("DOCR_REVOKE_URL", "revoke.example")
	fails(t, h.docr("logout"), 1, "$DOCR_REVOKE_URL must be an absolute http or https URL")
	if after, _ := os.ReadFile(cfg); string(after) != string(before) {
		t.Errorf("config changed:\n%s", after)
	}
	// --no-revoke does not need it.
	ok(t, h.docr("logout", "--no-revoke"))
	if onlyCredential(t, h.srv).Revoked {
		t.Error("revoked")
	}
}
