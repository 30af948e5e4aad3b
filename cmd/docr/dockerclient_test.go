//go:build unix

package main_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// ping asks the fake's registry endpoint GET /v2/ with a credential,
// through the token flow, and returns the status code: the token
// endpoint's if it refuses the credential, else the registry's.
func ping(t *testing.T, srv *docrtest.Server, user, pass string) int {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, srv.URL+docrtest.TokenPath+"?service="+url.QueryEscape(srv.RegistryHost()), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode
	}
	if err != nil || tr.Token == "" {
		t.Fatalf("token response: %v", err)
	}
	req, err = http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tr.Token)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// docr login --helper makes a Docker-style client work through
// docker-credential-docr, with short-lived read-only credentials minted on
// demand and cached; docr logout then revokes them.
func TestLoginHelperWithDockerClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, docrtest.WithSelfRegistryHost())
	host := h.srv.RegistryHost()
	cfg := filepath.Join(h.docker, "config.json")

	r := ok(t, h.docr("login", "--helper"))
	if want := "Docker now asks docker-credential-docr for " + host + " credentials (credHelpers in " + cfg + "); no secret is stored.\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	wantJSONFile(t, cfg, `{"credHelpers": {"`+host+`": "docr"}}`)
	wantMode(t, cfg, 0o600)
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("login --helper sent %d requests; it stores nothing", n)
	}

	r = ok(t, h.dockerClient(host))
	if r.stdout != "route=credHelpers:docr status=200\n" {
		t.Errorf("docker client: %v", r)
	}
	c := onlyCredential(t, h.srv)
	if c.ReadWrite || c.ExpirySeconds != 3600 {
		t.Errorf("the helper minted %+v, want read-only for an hour", c)
	}
	// The next pull reuses the cached credential.
	ok(t, h.dockerClient(host))
	// A push is refused: the helper's credentials are read-only, so the
	// token endpoint grants pull only and the registry answers 401
	// insufficient_scope.
	r = h.dockerClient(host, "POST", "/v2/example/repo-1/blobs/uploads/")
	if r.code != 1 || r.stdout != "route=credHelpers:docr status=401\n" {
		t.Errorf("push with a read-only credential: %v", r)
	}
	if n := len(h.srv.Credentials()); n != 1 {
		t.Errorf("%d credentials minted, want 1", n)
	}

	// Running login --helper again changes nothing and mints nothing.
	r = ok(t, h.docr("login", "--helper"))
	if strings.Contains(r.stdout, "Revoked") {
		t.Errorf("a second login --helper revoked something: %q", r.stdout)
	}
	if cs := h.srv.Credentials(); len(cs) != 1 || cs[0].Revoked {
		t.Errorf("a second login --helper minted or revoked credentials: %+v", cs)
	}
	ok(t, h.dockerClient(host))

	r = ok(t, h.docr("logout"))
	if want := "Dropped 1 cached credential(s) of docker-credential-docr for " + host + ".\n" +
		"Removed credHelpers[\"" + host + "\"] from " + cfg + "; Docker no longer asks docker-credential-docr.\n"; r.stdout != want {
		t.Errorf("logout: stdout %q, want %q", r.stdout, want)
	}
	c = onlyCredential(t, h.srv)
	if !c.Revoked {
		t.Error("logout did not revoke the helper's credential")
	}
	if code := ping(t, h.srv, c.Username, c.Password); code != http.StatusUnauthorized {
		t.Errorf("the revoked credential still gets %d", code)
	}
	// logout undid login --helper (issue 12, case 19): Docker no longer asks
	// the helper. Set it up again for the next steps.
	wantJSONFile(t, cfg, `{}`)
	ok(t, h.docr("login", "--helper"))
	wantJSONFile(t, cfg, `{"credHelpers": {"`+host+`": "docr"}}`)
	ok(t, h.dockerClient(host))
	if n := len(h.srv.Credentials()); n != 2 {
		t.Errorf("%d credentials, want 2", n)
	}
	// logout --no-revoke only drops the cache.
	r = ok(t, h.docr("logout", "--no-revoke"))
	if !strings.HasPrefix(r.stdout, "Dropped 1 cached") || h.srv.Credentials()[1].Revoked {
		t.Errorf("logout --no-revoke: %v", r)
	}
}

// A plain docr login, once Docker asks docr's own helper, stores nothing and
// mints nothing: the helper refuses store, so a minted credential could
// only be revoked again.
func TestLoginAfterLoginHelper(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	ok(t, h.docr("login", "--helper"))
	fails(t, h.docr("login"), 1, "nothing to store: Docker already asks docker-credential-docr for registry.digitalocean.com", `remove credHelpers["registry.digitalocean.com"] from `+cfg)
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("login sent %d requests", n)
	}
	wantJSONFile(t, cfg, `{"credHelpers": {"registry.digitalocean.com": "docr"}}`)
}

// A plain docr login stores a read-write credential the client can push
// with; after docr logout the client has nothing and the credential is
// dead.
func TestLoginWithDockerClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, docrtest.WithSelfRegistryHost())
	host := h.srv.RegistryHost()
	ok(t, h.docr("login"))
	if r := ok(t, h.dockerClient(host)); r.stdout != "route=auths status=200\n" {
		t.Errorf("pull: %v", r)
	}
	if r := ok(t, h.dockerClient(host, "POST", "/v2/example/repo-1/blobs/uploads/")); r.stdout != "route=auths status=202\n" {
		t.Errorf("push: %v", r)
	}
	ok(t, h.docr("logout"))
	if r := h.dockerClient(host); r.code != 1 || r.stdout != "route=none status=401\n" {
		t.Errorf("after logout: %v", r)
	}
	c := onlyCredential(t, h.srv)
	if code := ping(t, h.srv, c.Username, c.Password); code != http.StatusUnauthorized {
		t.Errorf("the revoked credential still gets %d", code)
	}
}

// With credsStore the client reads the credential from the store docr
// wrote it to.
func TestLoginCredsStoreWithDockerClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, docrtest.WithSelfRegistryHost())
	h.withStores()
	host := h.srv.RegistryHost()
	writeFile(t, filepath.Join(h.docker, "config.json"), `{"credsStore": "fakestore"}`)
	ok(t, h.docr("login", "--read-only"))
	// dockerclient finds docker-credential-fakestore through PATH.
	if r := ok(t, h.dockerClient(host)); r.stdout != "route=credsStore:fakestore status=200\n" {
		t.Errorf("pull: %v", r)
	}
	ok(t, h.docr("logout"))
	if r := h.dockerClient(host); r.code != 1 || r.stdout != "route=credsStore:fakestore:none status=401\n" {
		t.Errorf("after logout: %v", r)
	}
}

// login --helper after a plain login drops the stored secret and revokes it.
func TestLoginHelperReplacesStoredCredential(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	writeFile(t, cfg, `{"auths": {"ghcr.io": {"auth": "b3RoZXI6c2VjcmV0"}}}`)
	ok(t, h.docr("login", "--read-only"))
	// The old credential could not be revoked: nothing changes.
	before, _ := os.ReadFile(cfg)
	h.set("DOCR_REVOKE_URL", "file:///revoke")
	fails(t, h.docr("login", "--helper"), 1, "$DOCR_REVOKE_URL must be an absolute http or https URL")
	if after, _ := os.ReadFile(cfg); string(after) != string(before) {
		t.Errorf("config changed:\n%s", after)
	}
	h.set("DOCR_REVOKE_URL", h.revokeURL())
	r := ok(t, h.docr("login", "--helper"))
	if !strings.HasSuffix(r.stdout, "\nRevoked the credential previously stored for registry.digitalocean.com.\n") {
		t.Errorf("stdout %q", r.stdout)
	}
	if !onlyCredential(t, h.srv).Revoked {
		t.Error("the old credential is still valid")
	}
	auths := readJSON(t, cfg).(map[string]any)
	if jsonMarshal(auths["credHelpers"]) != `{"registry.digitalocean.com":"docr"}` {
		t.Errorf("credHelpers %v", auths["credHelpers"])
	}
	if b, _ := os.ReadFile(cfg); strings.Contains(string(b), b64(h.srv.Credentials()[0].Username+":")) {
		t.Errorf("the old secret is still in config.json:\n%s", b)
	}
	if ghcr := auths["auths"].(map[string]any)["ghcr.io"]; jsonMarshal(ghcr) != `{"auth":"b3RoZXI6c2VjcmV0"}` {
		t.Errorf("another host's entry changed: %v", ghcr)
	}
}

// login --helper needs docker-credential-docr in PATH.
func TestLoginHelperNotInPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bin := t.TempDir()
	if err := os.Symlink(filepath.Join(binDir, "docr"), filepath.Join(bin, "docr")); err != nil {
		t.Fatal(err)
	}
	h.path = []string{bin}
	r := h.exec(filepath.Join(bin, "docr"), "", "login", "--helper")
	fails(t, r, 1, "docker-credential-docr is not in PATH", "ln -s")
	if _, err := os.Stat(filepath.Join(h.docker, "config.json")); !os.IsNotExist(err) {
		t.Errorf("config.json was written: %v", err)
	}
}

// login --helper and logout honour --config.
func TestLoginHelperConfigFlag(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := filepath.Join(h.home, "docker-elsewhere")
	ok(t, h.docr("login", "--helper", "--config", dir))
	wantJSONFile(t, filepath.Join(dir, "config.json"), `{"credHelpers": {"registry.digitalocean.com": "docr"}}`)
	ok(t, h.helper(helperHost, "get"))
	r := ok(t, h.docr("logout", "--config", dir))
	if r.stdout != "Dropped 1 cached credential(s) of docker-credential-docr for registry.digitalocean.com.\n"+
		"Removed credHelpers[\"registry.digitalocean.com\"] from "+filepath.Join(dir, "config.json")+"; Docker no longer asks docker-credential-docr.\n" {
		t.Errorf("logout: %v", r)
	}
	if !onlyCredential(t, h.srv).Revoked {
		t.Error("not revoked")
	}
	if _, err := os.Stat(h.docker); !os.IsNotExist(err) {
		t.Errorf("$DOCKER_CONFIG was touched: %v", err)
	}
}

// If the old stored credential cannot be revoked, login --helper still
// switches to the helper and says what is left to do.
func TestLoginHelperRevocationFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login"))
	if err := h.srv.Inject(docrtest.Fault{Op: opRevoke, Status: 500}); err != nil {
		t.Fatal(err)
	}
	r := h.docr("login", "--helper")
	fails(t, r, 1, "dropped the old stored credential for registry.digitalocean.com but could not revoke it", "500 Internal Server Error")
	if !strings.HasPrefix(r.stdout, "Docker now asks docker-credential-docr") {
		t.Errorf("stdout %q", r.stdout)
	}
	wantJSONFile(t, filepath.Join(h.docker, "config.json"), `{"auths": {"registry.digitalocean.com": {}}, "credHelpers": {"registry.digitalocean.com": "docr"}}`)
}
