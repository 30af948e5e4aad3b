//go:build unix

// Tests of the credential lifecycle (issue 12): docr stores only what was
// asked for, revokes what it throws away, and only what it minted.

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// mintedRecord is docr's record of minted credentials in the harness: the
// harness sets $XDG_CONFIG_HOME and not $XDG_STATE_HOME.
func (h *harness) mintedRecord() string { return filepath.Join(h.config, "docr", "minted.json") }

// recordedFingerprints reads the record's fingerprints.
func recordedFingerprints(t *testing.T, h *harness) []string {
	t.Helper()
	b, err := os.ReadFile(h.mintedRecord())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Version     int
		Credentials []struct{ SHA256, Host string }
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
		t.Fatalf("%s: %v\n%s", h.mintedRecord(), err, b)
	}
	var out []string
	for _, c := range f.Credentials {
		out = append(out, c.SHA256)
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// hostileAPI answers docker-credentials with auths for the given hosts (one
// distinct credential each) and records the tokens revoked at
// /v1/oauth/revoke.
type hostileAPI struct {
	*httptest.Server
	mu        sync.Mutex
	passwords []string
	revoked   []string
	calls     int
}

func newHostileAPI(t *testing.T, hosts ...string) *hostileAPI {
	t.Helper()
	api := &hostileAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/registry/docker-credentials", func(w http.ResponseWriter, r *http.Request) {
		api.mu.Lock()
		api.calls++
		auths := map[string]any{}
		for i, h := range hosts {
			p := fmt.Sprintf("hostile-secret-%d-%d", api.calls, i)
			api.passwords = append(api.passwords, p)
			auths[h] = map[string]string{"auth": b64("user" + p + ":" + p)}
		}
		api.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"auths": auths})
	})
	mux.HandleFunc("POST /v1/oauth/revoke", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Header.Get("Authorization") != "Bearer "+r.PostForm.Get("token") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		api.mu.Lock()
		api.revoked = append(api.revoked, r.PostForm.Get("token"))
		api.mu.Unlock()
	})
	api.Server = httptest.NewServer(mux)
	t.Cleanup(api.Close)
	return api
}

func (api *hostileAPI) state() (passwords, revoked []string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	return slices.Clone(api.passwords), slices.Sorted(slices.Values(api.revoked))
}

// Case 1: login writes only the expected DOCR host. An answer that names
// another host is refused whole, nothing is written, and every credential
// in it is revoked.
func TestLoginStoresOnlyTheRegistryHost(t *testing.T) {
	t.Parallel()
	const userConfig = `{"auths": {"ghcr.io": {"auth": "dXNlcjpnaGNyLXNlY3JldA=="}}}`
	tests := []struct {
		name  string
		hosts []string
		want  string
	}{
		{"other registries beside ours", []string{"registry.digitalocean.com", "ghcr.io", "https://index.docker.io/v1/"},
			`"ghcr.io", "https://index.docker.io/v1/", not only for registry.digitalocean.com`},
		{"only another registry", []string{"ghcr.io"}, `"ghcr.io", not only for registry.digitalocean.com`},
		{"many hosts", func() []string {
			var hs []string
			for i := range 500 {
				hs = append(hs, fmt.Sprintf("h%03d.example", i))
			}
			return hs
		}(), `"h000.example", "h001.example", "h002.example" and 497 more`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			api := newHostileAPI(t, tt.hosts...)
			h.set("DIGITALOCEAN_API_URL", api.URL, "DOCR_REVOKE_URL", api.URL+"/v1/oauth/revoke",
				"DOCR_REGISTRY_HOST", "registry.digitalocean.com")
			cfg := filepath.Join(h.docker, "config.json")
			writeFile(t, cfg, userConfig)
			fails(t, h.docr("login"), 1, tt.want, "refused, nothing was stored", "revoked")
			if b, _ := os.ReadFile(cfg); string(b) != userConfig {
				t.Errorf("config.json changed to %s", b)
			}
			passwords, revoked := api.state()
			if want := slices.Sorted(slices.Values(passwords)); !slices.Equal(revoked, want) {
				t.Errorf("revoked %d credentials, want all %d minted", len(revoked), len(want))
			}
			if fps := recordedFingerprints(t, h); len(fps) != 0 {
				t.Errorf("the record keeps %d refused credentials", len(fps))
			}
		})
	}

	// The fake issuing for another host than the one docr logs in to.
	t.Run("fake with another host", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, docrtest.WithRegistryHost("ghcr.io"))
		h.set("DOCR_REGISTRY_HOST", "registry.digitalocean.com")
		fails(t, h.docr("login"), 1, `"ghcr.io", not only for registry.digitalocean.com`)
		if !onlyCredential(t, h.srv).Revoked {
			t.Error("the refused credential is still valid")
		}
		if _, err := os.Stat(filepath.Join(h.docker, "config.json")); !os.IsNotExist(err) {
			t.Errorf("config.json written: %v", err)
		}
	})
}

// Case 4: the helper serves a host only when Docker's own normalisation of
// the server URL (docker/cli ConvertToHostname) gives exactly that host.
func TestCredentialHelperMatchesHostLikeDocker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		served bool
	}{
		{"registry.digitalocean.com", true},
		{"https://registry.digitalocean.com", true},
		{"https://registry.digitalocean.com/v2/", true},
		{"registry.digitalocean.com/some/repo", true},
		{"evil.example/x://registry.digitalocean.com", false},
		{"evil.example/https://registry.digitalocean.com", false},
		{"https://evil.example/registry.digitalocean.com", false},
		{"https://registry.digitalocean.com.evil.example", false},
		{"https://registry.digitalocean.com@evil.example/", false},
		{"registry.digitalocean.com:443", false},
		{"registry.digitalocean.co\u212a", false}, // Kelvin sign, not K
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			r := h.helper(tt.in, "get")
			if tt.served {
				rep := parseReply(t, ok(t, r))
				if c := onlyCredential(t, h.srv); rep.Secret != c.Password {
					t.Errorf("get %q: not the minted credential", tt.in)
				}
				return
			}
			if r.code != 1 || r.stdout != notFoundLine {
				t.Errorf("get %q was served:\n%v", tt.in, r)
			}
			if n := len(h.srv.Requests()); n != 0 {
				t.Errorf("get %q sent %d requests", tt.in, n)
			}
		})
	}
}

// startDocr starts docr with args; the caller waits.
func (h *harness) startDocr(ctx context.Context, stdin io.Reader, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	h.t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "docr"), args...)
	cmd.Env = h.environ()
	cmd.Dir = h.home
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// waitCode waits for cmd and returns its exit code; a process killed by a
// signal fails the test.
func waitCode(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.Exited():
		return ee.ExitCode()
	}
	t.Fatalf("docr: %v (stderr %q)", err, stderr.String())
	return -1
}

func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openWithin opens path (a FIFO: the open returns when the other end is
// opened) and fails the test if that takes longer than the hang guard.
func openWithin(t *testing.T, path string, flag int) *os.File {
	t.Helper()
	type res struct {
		f   *os.File
		err error
	}
	done := make(chan res, 1)
	go func() {
		f, err := os.OpenFile(path, flag, 0)
		done <- res{f, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.f
	case <-time.After(30 * time.Second):
		t.Fatalf("nobody opened the other end of %s", path)
		return nil
	}
}

// blockingStoreScript is a docker-credential-blockstore whose store
// announces itself on the FIFO $BLOCK_DIR/reached and then waits on the
// FIFO $BLOCK_DIR/release, as pass does while it asks for a passphrase. It
// uses shell built-ins only (PATH holds no system directories).
const blockingStoreScript = `#!/bin/sh
case "$1" in
get) echo "credentials not found in native keychain"; exit 1 ;;
store)
	while read -r line; do :; done
	echo reached > "$BLOCK_DIR/reached"
	read -r line < "$BLOCK_DIR/release"
	exit 0 ;;
*) exit 1 ;;
esac
`

// Case 5: Ctrl-C or SIGTERM after minting and before storing (a credential
// store waiting on the user) revokes the minted credential on a fresh
// context, and docr exits 130 or 143.
func TestLoginInterruptedBeforeStoringRevokes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			dir := t.TempDir()
			storeBin := filepath.Join(dir, "bin")
			writeFile(t, filepath.Join(storeBin, "docker-credential-blockstore"), blockingStoreScript)
			if err := os.Chmod(filepath.Join(storeBin, "docker-credential-blockstore"), 0o700); err != nil {
				t.Fatal(err)
			}
			reached := mkfifo(t, filepath.Join(dir, "reached"))
			mkfifo(t, filepath.Join(dir, "release"))
			h.path = append(h.path, storeBin)
			h.set("BLOCK_DIR", dir)
			cfg := filepath.Join(h.docker, "config.json")
			writeFile(t, cfg, `{"credsStore": "blockstore"}`)

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd, stdout, stderr := h.startDocr(ctx, nil, "login")
			// The store was reached: the credential is minted, not stored.
			f := openWithin(t, reached, os.O_RDONLY)
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if line != "reached\n" {
				t.Fatalf("store said %q", line)
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := waitCode(t, cmd, stderr); code != tt.code {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tt.code, stdout, stderr)
			}
			c := onlyCredential(t, h.srv)
			if !c.Revoked {
				t.Errorf("the credential minted before %v is still valid (stderr %q)", tt.sig, stderr)
			}
			if !strings.HasPrefix(stderr.String(), "docr: ") || !strings.Contains(stderr.String(), "the minted credential was revoked") ||
				strings.Contains(stderr.String(), c.Password) {
				t.Errorf("stderr %q", stderr)
			}
			if fps := recordedFingerprints(t, h); len(fps) != 0 {
				t.Errorf("the record still holds the revoked credential")
			}
			wantJSONFile(t, cfg, `{"credsStore": "blockstore"}`)
		})
	}
}

// Case 6: a second login revokes the credential it replaces (docr minted
// it), and only that one.
func TestSecondLoginRevokesTheReplacedCredential(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"", "fakestore"} {
		t.Run("store="+store, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if store != "" {
				h.withStores()
				writeFile(t, filepath.Join(h.docker, "config.json"), `{"credsStore": "`+store+`"}`)
			}
			ok(t, h.docr("login"))
			r := ok(t, h.docr("login"))
			if !strings.Contains(r.stdout, "Revoked the credential previously stored for registry.digitalocean.com.\n") {
				t.Errorf("second login: %v", r)
			}
			cs := h.srv.Credentials()
			if len(cs) != 2 || !cs[0].Revoked || cs[1].Revoked {
				t.Fatalf("credentials after two logins: %d, revoked %v", len(cs), func() []bool {
					var out []bool
					for _, c := range cs {
						out = append(out, c.Revoked)
					}
					return out
				}())
			}
			if code := ping(t, h.srv, cs[0].Username, cs[0].Password); code != http.StatusUnauthorized {
				t.Errorf("the replaced credential still gets %d", code)
			}
			if got := recordedFingerprints(t, h); !slices.Equal(got, []string{sha256Hex(cs[1].Password)}) {
				t.Errorf("record %v, want only the second credential", got)
			}
			// Logout now revokes the second one; nothing stays valid.
			r = ok(t, h.docr("logout"))
			if !strings.Contains(r.stdout, "Revoked the credential for registry.digitalocean.com.\n") {
				t.Errorf("logout: %v", r)
			}
			for i, c := range h.srv.Credentials() {
				if !c.Revoked {
					t.Errorf("credential %d is still valid after logout", i)
				}
			}
		})
	}
}

// Case 7: docr keeps a record of what it minted — fingerprints only, in a
// 0600 file — and revokes nothing else: not the API token a user stored
// with docker login, not a credential minted elsewhere.
func TestRevokesOnlyWhatDocrMinted(t *testing.T) {
	t.Parallel()
	t.Run("record", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		ok(t, h.docr("login"))
		c := onlyCredential(t, h.srv)
		wantMode(t, h.mintedRecord(), 0o600)
		wantMode(t, filepath.Dir(h.mintedRecord()), 0o700)
		if got := recordedFingerprints(t, h); !slices.Equal(got, []string{sha256Hex(c.Password)}) {
			t.Errorf("record %v, want the SHA-256 of the minted password", got)
		}
		if p := findInFiles(t, filepath.Dir(h.mintedRecord()), c.Password); p != "" {
			t.Errorf("%s holds the password", p)
		}
		if p := findInFiles(t, filepath.Dir(h.mintedRecord()), h.srv.Token); p != "" {
			t.Errorf("%s holds the API token", p)
		}
		// $XDG_STATE_HOME, when set, holds it instead.
		state := t.TempDir()
		h.set("XDG_STATE_HOME", state)
		ok(t, h.docr("login"))
		if _, err := os.Stat(filepath.Join(state, "docr", "minted.json")); err != nil {
			t.Errorf("no record under $XDG_STATE_HOME: %v", err)
		}
	})

	foreign := []struct {
		name     string
		password func(h *harness) string
	}{
		// docker login with the API token as the password.
		{"API token", func(h *harness) string { return h.srv.Token }},
		// A credential the fake minted for docker-config, pasted in by hand.
		{"minted elsewhere", func(h *harness) string {
			ok(h.t, h.docr("docker-config", "--expiry-seconds", "3600"))
			return onlyCredential(h.t, h.srv).Password
		}},
	}
	for _, ff := range foreign {
		for _, cmd := range [][]string{{"logout"}, {"login", "--helper"}} {
			t.Run(ff.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				pw := ff.password(h)
				cfg := filepath.Join(h.docker, "config.json")
				writeFile(t, cfg, `{"auths": {"registry.digitalocean.com": {"auth": "`+b64("someone:"+pw)+`"}}}`)
				r := ok(t, h.docr(cmd...))
				if !strings.Contains(r.stdout, "was not minted by docr (or has expired); it was not revoked.\n") || strings.Contains(r.stdout, "Revoked") {
					t.Errorf("%v", r)
				}
				if n := countOp(h.srv, opRevoke); n != 0 {
					t.Errorf("%d revocation requests for a credential docr did not mint", n)
				}
				for _, c := range h.srv.Credentials() {
					if c.Revoked {
						t.Error("a credential minted elsewhere was revoked")
					}
				}
				if strings.Contains(readFileString(t, cfg), pw) {
					t.Error("the credential is still in config.json")
				}
			})
		}
	}

	// A credential docr minted, then stored by docr login, is revoked by
	// login --helper.
	t.Run("minted by login, replaced by login --helper", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		ok(t, h.docr("login"))
		r := ok(t, h.docr("login", "--helper"))
		if !strings.Contains(r.stdout, "Revoked the credential previously stored for registry.digitalocean.com.\n") {
			t.Errorf("%v", r)
		}
		if !onlyCredential(t, h.srv).Revoked {
			t.Error("not revoked")
		}
	})
}

func readFileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Case 8: the credential helper applies its own limits: 2 attempts against
// a server that keeps answering 503. (The 15 s per attempt against a slow
// server is proven in internal/programs/cli, where the test owns the transport.)
func TestCredentialHelperAttempts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if err := h.srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Status: http.StatusServiceUnavailable, Times: -1}); err != nil {
		t.Fatal(err)
	}
	r := h.helper(helperHost, "get")
	if r.code != 1 || !strings.Contains(r.stdout, "503") {
		t.Errorf("%v", r)
	}
	if n := countOp(h.srv, "registry_get_dockerCredentials"); n != 2 {
		t.Errorf("%d attempts against a 503 server, want 2", n)
	}
	// docr itself keeps the general policy (4 attempts).
	r = h.docr("docker-config")
	if n := countOp(h.srv, "registry_get_dockerCredentials"); r.code != 1 || n != 2+4 {
		t.Errorf("docker-config: %d attempts, want 4:\n%v", n-2, r)
	}
}

// Case 9: concurrent gets share one mint; erase then revokes it, so no
// credential stays valid.
func TestCredentialHelperConcurrentGetsMintOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A slow mint widens the window in which gets overlap (without the
	// lock, several of them mint); the result does not depend on timing.
	if err := h.srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Latency: 300 * time.Millisecond, Times: -1}); err != nil {
		t.Fatal(err)
	}
	const n = 10
	replies := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { replies[i] = h.helper(helperHost, "get") })
	}
	wg.Wait()
	c := onlyCredential(t, h.srv)
	for i, r := range replies {
		if r.code != 0 {
			t.Errorf("get %d: %v", i, r)
			continue
		}
		if rep := parseReply(t, r); rep.Secret != c.Password {
			t.Errorf("get %d served another credential", i)
		}
	}
	ok(t, h.helper(helperHost, "erase"))
	for i, c := range h.srv.Credentials() {
		if !c.Revoked {
			t.Errorf("credential %d is still valid after erase", i)
		}
	}
}

// Case 10: when the API names another host, the helper revokes what it
// minted.
func TestCredentialHelperRevokesCredentialForAnotherHost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, docrtest.WithRegistryHost("registry.other.test"))
	h.set("DOCR_REGISTRY_HOST", helperHost)
	r := h.helper(helperHost, "get")
	if r.code != 1 || !strings.Contains(r.stdout, "the API issued credentials for registry.other.test, not only for registry.digitalocean.com (the minted credential was revoked)") {
		t.Errorf("%v", r)
	}
	if !onlyCredential(t, h.srv).Revoked {
		t.Error("the credential for another host is still valid")
	}
	if p := findInFiles(t, h.cache, onlyCredential(t, h.srv).Password); p != "" {
		t.Errorf("%s keeps it", p)
	}
}

// Case 11: Ctrl-C and SIGTERM are honoured while docr waits for a token
// from a FIFO. (Standard input is covered in internal/programs/cli, where the test
// can tell when the read has begun.)
func TestTokenFileInterrupted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			fifo := mkfifo(t, filepath.Join(t.TempDir(), "token"))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd, stdout, stderr := h.startDocr(ctx, nil, "--token-file", fifo, "docker-config")
			// Our open returns once docr has opened the FIFO to read the
			// token: it is waiting, and its signal handler is set.
			w := openWithin(t, fifo, os.O_WRONLY)
			defer w.Close()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := waitCode(t, cmd, stderr); code != tt.code {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tt.code, stdout, stderr)
			}
			want := fmt.Sprintf("docr: read --token-file: interrupted (%v)\n", tt.sig)
			if stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			if len(h.srv.Requests()) != 0 {
				t.Error("requests sent")
			}
		})
	}
}

// Case 17: eval'ing the output of docr fake-api is enough for every
// command, logout's revocation included.
func TestFakeAPIPrintsRevokeURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	names, vars := h.startFakeAPI(t)
	if want := []string{"DIGITALOCEAN_API_URL", "DIGITALOCEAN_TOKEN", "DOCR_REGISTRY_HOST", "DOCR_REVOKE_URL"}; !slices.Equal(names, want) {
		t.Fatalf("fake-api printed %v, want %v", names, want)
	}
	if u, err := url.Parse(vars["DOCR_REVOKE_URL"]); err != nil || vars["DOCR_REVOKE_URL"] != vars["DIGITALOCEAN_API_URL"]+"/v1/oauth/revoke" || u.Path != "/v1/oauth/revoke" {
		t.Errorf("DOCR_REVOKE_URL=%s", vars["DOCR_REVOKE_URL"])
	}
	// Only what the fake printed (the harness's own fake is dropped).
	for _, k := range []string{"DIGITALOCEAN_API_URL", "DIGITALOCEAN_TOKEN", "DOCR_REGISTRY_HOST", "DOCR_REVOKE_URL"} {
		h.set(k, "")
	}
	for k, v := range vars {
		h.set(k, v)
	}
	ok(t, h.docr("login", "--expiry-seconds", "600"))
	r := ok(t, h.docr("logout"))
	if !strings.Contains(r.stdout, "Revoked the credential for "+vars["DOCR_REGISTRY_HOST"]+".\n") {
		t.Errorf("logout: %v", r)
	}
}

// Case 18: a bad --api-url is one clean line and exit 2, like --revoke-url;
// a bad $DIGITALOCEAN_API_URL is one line and exit 1.
func TestBadAPIURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, u := range []string{"ftp://example.com", "not a url", "http://user:pw@127.0.0.1:1", "https://api.example/?x=1", "https://api.example/#f", "://x"} {
		for _, cmd := range [][]string{{"docker-config"}, {"login"}, {"kubernetes-manifest"}} {
			fails(t, h.docr(append(cmd, "--api-url", u)...), 2, "--api-url must be an absolute http or https URL without user info, query or fragment")
		}
	}
	h.set("DIGITALOCEAN_API_URL", "ftp://example.com")
	fails(t, h.docr("docker-config"), 1, "$DIGITALOCEAN_API_URL must be an absolute http or https URL")
	if len(h.srv.Requests()) != 0 {
		t.Error("requests sent")
	}
}

// Case 19: logout undoes login --helper, so a later plain login works; a
// token error is reported before the config is looked at.
func TestLogoutUndoesLoginHelper(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cfg := filepath.Join(h.docker, "config.json")
	writeFile(t, cfg, `{"credHelpers": {"other.example": "fakestore"}, "x-keep": 1}`)
	ok(t, h.docr("login", "--helper"))
	wantJSONFile(t, cfg, `{"credHelpers": {"other.example": "fakestore", "registry.digitalocean.com": "docr"}, "x-keep": 1}`)

	// Without a token, the token is the problem reported.
	h.set("DIGITALOCEAN_TOKEN", "")
	fails(t, h.docr("login"), 1, "no API token")
	h.set("DIGITALOCEAN_TOKEN", h.srv.Token)

	r := ok(t, h.docr("logout"))
	if !strings.Contains(r.stdout, `Removed credHelpers["registry.digitalocean.com"] from `+cfg+"; Docker no longer asks docker-credential-docr.\n") {
		t.Errorf("logout: %v", r)
	}
	wantJSONFile(t, cfg, `{"credHelpers": {"other.example": "fakestore"}, "x-keep": 1}`)
	r = ok(t, h.docr("login"))
	if !strings.HasPrefix(r.stdout, "Logged in to registry.digitalocean.com (read-write); credential stored in "+cfg) {
		t.Errorf("login after logout: %v", r)
	}
	// A credHelpers entry docr did not set stays.
	writeFile(t, cfg, `{"credHelpers": {"registry.digitalocean.com": "fakestore"}}`)
	h.withStores()
	ok(t, h.docr("logout"))
	wantJSONFile(t, cfg, `{"credHelpers": {"registry.digitalocean.com": "fakestore"}}`)
}
