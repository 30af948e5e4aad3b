package credhelper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
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

// hangGuard bounds waits on events that should come at once.
const hangGuard = 30 * time.Second

// world is one helper's environment: a fake API, a cache directory, the
// variables the helper sees and a clock the test moves (the real time plus
// an offset, so that the fake and the facade, which use the real time,
// agree with it to within the test's run time).
type world struct {
	t      *testing.T
	srv    *docrtest.Server
	dir    string // a private temporary directory
	vars   map[string]string
	mu     sync.Mutex
	offset time.Duration
}

func newWorld(t *testing.T, opts ...docrtest.Option) *world {
	t.Helper()
	w := &world{t: t, srv: docrtest.NewServer(t, opts...), dir: t.TempDir()}
	w.vars = map[string]string{
		"HOME":                 filepath.Join(w.dir, "home"),
		"XDG_CACHE_HOME":       filepath.Join(w.dir, "xdg-cache"),
		"DIGITALOCEAN_API_URL": w.srv.URL,
		"DIGITALOCEAN_TOKEN":   w.srv.Token,
		"DOCR_REVOKE_URL":      w.srv.URL + "/v1/oauth/revoke",
		"DOCR_REGISTRY_HOST":   w.srv.RegistryHost(),
	}
	return w
}

// cacheFile is where the helper keeps its cache in w by default.
func (w *world) cacheFile() string {
	return filepath.Join(w.dir, "xdg-cache", "docr", cacheFileName)
}

func (w *world) set(kv ...string) {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(w.vars, kv[i])
		} else {
			w.vars[kv[i]] = kv[i+1]
		}
	}
}

// advance moves the helper's clock.
func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.offset += d
}

func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.offset)
}

type outcome struct {
	code           int
	stdout, stderr string
}

// run runs the standalone program with action and stdin.
func (w *world) run(action, stdin string) outcome {
	w.t.Helper()
	vars := map[string]string{}
	for k, v := range w.vars {
		vars[k] = v
	}
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] }, Now: w.now}
	code := Main(context.Background(), []string{Program, action}, env)
	return outcome{code, stdout.String(), stderr.String()}
}

type reply struct{ ServerURL, Username, Secret string }

// get runs get for the world's host and returns the reply; it fails the
// test unless get succeeds.
func (w *world) get() reply {
	w.t.Helper()
	o := w.run("get", w.srv.RegistryHost()+"\n")
	if o.code != 0 {
		w.t.Fatalf("get: %+v", o)
	}
	var r reply
	if err := json.Unmarshal([]byte(o.stdout), &r); err != nil {
		w.t.Fatalf("get printed %q: %v", o.stdout, err)
	}
	return r
}

// minted returns the secrets the fake issued, in order.
func minted(srv *docrtest.Server) []string {
	var out []string
	for _, c := range srv.Credentials() {
		out = append(out, c.Password)
	}
	return out
}

// readCache decodes the cache file.
func readCache(t *testing.T, path string) cacheFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f cacheFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return f
}

// writeCache writes f to path with mode.
func writeCache(t *testing.T, path string, f cacheFile, mode os.FileMode) {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), want)
	}
}

// Issue 22, item 12: the cache key holds a fingerprint of the API origin
// and token. A credential minted with account A's token is never served
// for account B (another API and token), for a wrong token, or when the
// API is unreachable with another token; A's token still gets its cached
// credential, and neither token is written to the cache.
func TestCacheKeyedByTokenAndAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := docrtest.NewServer(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	first := w.get()
	if got := minted(w.srv); len(got) != 1 || got[0] != first.Secret {
		t.Fatalf("A minted %d credentials", len(got))
	}
	if again := w.get(); again != first || len(minted(w.srv)) != 1 {
		t.Fatal("A's second get did not reuse A's credential")
	}

	// Account B: another API and another token.
	w.set("DIGITALOCEAN_API_URL", b.URL, "DIGITALOCEAN_TOKEN", b.Token, "DOCR_REVOKE_URL", b.URL+"/v1/oauth/revoke")
	other := w.get()
	if other.Secret == first.Secret || len(minted(b)) != 1 || minted(b)[0] != other.Secret {
		t.Error("B was served A's credential")
	}

	for _, tt := range []struct{ name, url, token, want string }{
		{"wrong token", w.srv.URL, "dop_v1_" + strings.Repeat("0", 64), "401"},
		{"unreachable API, another token", downURL, "dop_v1_" + strings.Repeat("1", 64), "connection refused"},
		{"A's token against B's API", b.URL, w.srv.Token, "401"},
	} {
		w.set("DIGITALOCEAN_API_URL", tt.url, "DIGITALOCEAN_TOKEN", tt.token)
		o := w.run("get", w.srv.RegistryHost())
		if o.code != 1 || !strings.Contains(o.stdout, tt.want) {
			t.Errorf("%s: %+v, want exit 1 with %q", tt.name, o, tt.want)
		}
		if strings.Contains(o.stdout+o.stderr, first.Secret) || strings.Contains(o.stdout+o.stderr, other.Secret) {
			t.Errorf("%s: a cached credential was served", tt.name)
		}
	}

	w.set("DIGITALOCEAN_API_URL", w.srv.URL, "DIGITALOCEAN_TOKEN", w.srv.Token)
	if again := w.get(); again != first {
		t.Error("A's cached credential was lost")
	}
	if len(minted(w.srv)) != 1 || len(minted(b)) != 1 {
		t.Errorf("minted %d and %d, want 1 each", len(minted(w.srv)), len(minted(b)))
	}
	data, err := os.ReadFile(w.cacheFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{w.srv.Token, b.Token} {
		if bytes.Contains(data, []byte(tok)) {
			t.Error("the cache holds an API token")
		}
	}
	if f := readCache(t, w.cacheFile()); len(f.Entries) != 2 {
		t.Errorf("%d entries, want one per token and API", len(f.Entries))
	}
}

// Issue 22, item 13: a cache file that is not trustworthy is never read:
// the planted credential is not served, a fresh one is minted, and the
// file is replaced by a 0600 one of the user's own.
func TestPlantedCacheIsReplaced(t *testing.T) {
	t.Parallel()
	const planted = "planted-secret"
	tests := []struct {
		name  string
		plant func(t *testing.T, w *world, f cacheFile)
		why   string
	}{
		{"readable by others", func(t *testing.T, w *world, f cacheFile) {
			writeCache(t, w.cacheFile(), f, 0o644)
		}, "mode 0644: group or others may read or write it"},
		{"writable by group", func(t *testing.T, w *world, f cacheFile) {
			writeCache(t, w.cacheFile(), f, 0o620)
		}, "mode 0620"},
		{"writable by others", func(t *testing.T, w *world, f cacheFile) {
			writeCache(t, w.cacheFile(), f, 0o602)
		}, "mode 0602"},
		{"owned by another user", func(t *testing.T, w *world, f cacheFile) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			writeCache(t, w.cacheFile(), f, 0o600)
			if err := os.Chown(w.cacheFile(), 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "owned by another user (uid 4242)"},
		{"a symbolic link", func(t *testing.T, w *world, f cacheFile) {
			target := filepath.Join(w.dir, "elsewhere.json")
			writeCache(t, target, f, 0o600)
			if err := os.Remove(w.cacheFile()); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, w.cacheFile()); err != nil {
				t.Fatal(err)
			}
		}, "it is a symbolic link"},
		{"expires later than the maximum lifetime", func(t *testing.T, w *world, f cacheFile) {
			for k, e := range f.Entries {
				e.ExpiresAt = w.now().Add(maxExpiry + time.Second)
				f.Entries[k] = e
			}
			writeCache(t, w.cacheFile(), f, 0o600)
		}, "more than the helper's maximum lifetime (24h0m0s) from now (corrupt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			real := w.get()
			f := readCache(t, w.cacheFile())
			if len(f.Entries) != 1 {
				t.Fatalf("%d entries", len(f.Entries))
			}
			for k, e := range f.Entries {
				e.Username, e.Password = planted, planted
				f.Entries[k] = e
			}
			tt.plant(t, w, f)

			o := w.run("get", w.srv.RegistryHost())
			if o.code != 0 || strings.Contains(o.stdout, planted) || strings.Contains(o.stdout, real.Secret) {
				t.Fatalf("get after planting: %+v", o)
			}
			if len(minted(w.srv)) != 2 || !strings.Contains(o.stdout, minted(w.srv)[1]) {
				t.Errorf("get did not serve a fresh credential: %+v", o)
			}
			want := "docr: ignoring the credential helper cache " + w.cacheFile() + ": "
			if !strings.HasPrefix(o.stderr, want) || !strings.Contains(o.stderr, tt.why) || strings.Count(o.stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q with %q", o.stderr, want, tt.why)
			}
			fi, err := os.Lstat(w.cacheFile())
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the cache was not replaced by a 0600 file: %v %v", fi, err)
			}
			if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
				t.Errorf("the cache belongs to uid %d", uid)
			}
			if b, _ := os.ReadFile(w.cacheFile()); bytes.Contains(b, []byte(planted)) {
				t.Error("the planted entry is still in the cache")
			}
			// The replaced cache is used again.
			if r := w.get(); len(minted(w.srv)) != 2 || r.Secret != minted(w.srv)[1] {
				t.Error("the new cache was not used")
			}
		})
	}
}

// An entry that expires within the helper's maximum lifetime from now is
// trusted; one a second later marks the whole file as corrupt, the other
// entries included.
func TestMaximumLifetimeBoundary(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	now := w.now()
	c := &fileCache{dir: filepath.Dir(w.cacheFile()), host: "h", now: w.now, log: newLogger((&Env{Getenv: func(string) string { return "" }, Stderr: &bytes.Buffer{}}).withDefaults())}
	entry := func(exp time.Time) cacheEntry {
		return cacheEntry{Host: "h", Username: "u", Password: "p", ExpiresAt: exp}
	}
	if err := ensurePrivateDir(c.dir); err != nil {
		t.Fatal(err)
	}
	writeCache(t, c.path(), cacheFile{Entries: map[string]cacheEntry{"a": entry(now.Add(maxExpiry - time.Minute)), "b": entry(now.Add(time.Hour))}}, 0o600)
	if got, why := c.read(); why != "" || len(got) != 2 {
		t.Errorf("within the maximum lifetime: %d entries, %q", len(got), why)
	}
	writeCache(t, c.path(), cacheFile{Entries: map[string]cacheEntry{"a": entry(now.Add(maxExpiry + time.Minute)), "b": entry(now.Add(time.Hour))}}, 0o600)
	if got, why := c.read(); !strings.Contains(why, "corrupt") || len(got) != 0 {
		t.Errorf("beyond the maximum lifetime: %d entries, %q", len(got), why)
	}
}

// The reuse window, by the injected clock: a credential is served until
// facade.DefaultRenewBefore its expiry (ten minutes for an hour), then renewed; read-only and read-write
// credentials are cached apart; erase revokes only what has not expired.
// (The facade computes expiries by the real time: the test moves the
// helper's clock only forward from the mints it checks.)
func TestReuseWindowAndExpiry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	first := w.get()
	w.set(EnvReadWrite, "true")
	rw := w.get()
	if rw == first || len(minted(w.srv)) != 2 || !w.srv.Credentials()[1].ReadWrite {
		t.Fatal("read-write get did not mint its own credential")
	}
	w.set(EnvReadWrite, "")
	if r := w.get(); r != first {
		t.Fatal("the read-only credential was lost")
	}

	w.advance(49 * time.Minute) // eleven minutes left
	if r := w.get(); r != first || len(minted(w.srv)) != 2 {
		t.Fatal("a credential with eleven minutes left was not reused")
	}
	w.advance(2 * time.Minute) // nine minutes left: inside the window
	second := w.get()
	if second == first || len(minted(w.srv)) != 3 {
		t.Fatal("a credential with nine minutes left was reused")
	}
	b, err := os.ReadFile(w.cacheFile())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(first.Secret)) || !bytes.Contains(b, []byte(second.Secret)) || !bytes.Contains(b, []byte(rw.Secret)) {
		t.Errorf("the cache does not hold exactly the renewed and the read-write credential:\n%s", b)
	}

	// An hour later all have expired: erase drops them and revokes
	// nothing (the revocation endpoint would refuse them).
	w.advance(time.Hour)
	if o := w.run("erase", w.srv.RegistryHost()); o.code != 0 || o.stdout != "" {
		t.Fatalf("erase: %+v", o)
	}
	for _, r := range w.srv.Requests() {
		if r.Operation == docrtest.OpOAuthRevoke {
			t.Error("an expired credential was sent for revocation")
		}
	}
}

// A short-lived credential is reused for half its life at least: two
// minutes, renewed one minute before it expires (facade.DefaultRenewBefore).
func TestShortLivedCredentialsAreReusedHalfTheirLife(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.set(EnvExpiry, "120")
	a := w.get()
	w.advance(59 * time.Second)
	if b := w.get(); a != b || len(minted(w.srv)) != 1 {
		t.Error("a two-minute credential with 61 s left was not reused")
	}
	w.advance(time.Second)
	if c := w.get(); c == a || len(minted(w.srv)) != 2 {
		t.Error("a two-minute credential with 60 s left was reused")
	}
}

// DOCR_HELPER_CACHE=off keeps no file at all: every get mints, erase has
// nothing to drop, and no directory is created.
func TestCacheOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.set(EnvCache, "off")
	a, b := w.get(), w.get()
	if a == b || len(minted(w.srv)) != 2 {
		t.Error("with the cache off, a credential was reused")
	}
	if o := w.run("erase", w.srv.RegistryHost()); o.code != 0 {
		t.Errorf("erase: %+v", o)
	}
	if ents, err := os.ReadDir(w.dir); err != nil || len(ents) != 0 {
		t.Errorf("files written with the cache off: %v %v", ents, err)
	}
	w.set(EnvCache, "maybe")
	if o := w.run("get", w.srv.RegistryHost()); o.code != 1 || o.stdout != "docr: DOCR_HELPER_CACHE must be on or off\n" {
		t.Errorf("bad DOCR_HELPER_CACHE: %+v", o)
	}
	w.set(EnvCache, "On")
	w.get()
	wantMode(t, w.cacheFile(), 0o600)
}

// DOCR_HELPER_CACHE_DIR moves the cache: created private, used by get and
// erase; a relative path is refused; a directory of another user's, or a
// symbolic link, is refused as the default one is.
func TestCacheDir(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := filepath.Join(w.dir, "custom", "cache")
	w.set(EnvCacheDir, dir)
	r := w.get()
	wantMode(t, dir, 0o700)
	wantMode(t, filepath.Join(dir, cacheFileName), 0o600)
	if f := readCache(t, filepath.Join(dir, cacheFileName)); len(f.Entries) != 1 {
		t.Errorf("%d entries", len(f.Entries))
	}
	if _, err := os.Stat(w.cacheFile()); !os.IsNotExist(err) {
		t.Errorf("the default cache was written: %v", err)
	}
	if again := w.get(); again != r {
		t.Error("not reused")
	}
	if o := w.run("erase", w.srv.RegistryHost()); o.code != 0 || !w.srv.Credentials()[0].Revoked {
		t.Errorf("erase: %+v", o)
	}

	w.set(EnvCacheDir, "relative/dir")
	if o := w.run("get", w.srv.RegistryHost()); o.code != 1 || o.stdout != "docr: $DOCR_HELPER_CACHE_DIR must be an absolute path\n" {
		t.Errorf("relative DOCR_HELPER_CACHE_DIR: %+v", o)
	}
	link := filepath.Join(w.dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	w.set(EnvCacheDir, link)
	if o := w.run("get", w.srv.RegistryHost()); o.code != 1 || !strings.Contains(o.stdout, "is a symbolic link; docr keeps credentials only in a directory of its own") {
		t.Errorf("symbolic link: %+v", o)
	}
	if os.Geteuid() == 0 {
		foreign := filepath.Join(w.dir, "foreign")
		if err := os.Mkdir(foreign, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(foreign, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		w.set(EnvCacheDir, foreign)
		if o := w.run("get", w.srv.RegistryHost()); o.code != 1 || !strings.Contains(o.stdout, "belongs to another user (uid 4242)") {
			t.Errorf("another user's directory: %+v", o)
		}
	}
	if n := len(minted(w.srv)); n != 1 {
		t.Errorf("%d credentials minted, want 1", n)
	}
}

// DOCR_HELPER_LOG receives one line per failure (not for "not found", not
// for success), never a secret, in a file created 0600 and appended to.
func TestLog(t *testing.T) {
	t.Parallel()
	w := newWorld(t, docrtest.AllowInvalidRequests())
	logFile := filepath.Join(w.dir, "logs", "helper.log")
	if err := os.Mkdir(filepath.Dir(logFile), 0o755); err != nil {
		t.Fatal(err)
	}
	w.set(EnvLog, logFile)
	good := w.get()
	if o := w.run("get", "ghcr.io"); o.code != 1 || o.stdout != "credentials not found in native keychain\n" {
		t.Fatalf("another host: %+v", o)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Fatalf("success and not-found were logged: %v", err)
	}
	w.set(EnvReadWrite, "true")
	if err := w.srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Status: 503, Times: -1}); err != nil {
		t.Fatal(err)
	}
	w.run("get", w.srv.RegistryHost())
	w.run("store", `{"ServerURL":"h","Username":"`+good.Secret+`","Secret":"`+good.Secret+`"}`)
	w.set(EnvExpiry, "0")
	w.run("get", w.srv.RegistryHost())
	w.set("DIGITALOCEAN_TOKEN", "bad\x1b[2Jtoken")
	w.set(EnvExpiry, "")
	w.run("get", w.srv.RegistryHost())
	if o := w.run("fetch", ""); o.code != 2 {
		t.Errorf("unknown action: %+v", o)
	}

	wantMode(t, logFile, 0o600)
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	wants := []string{
		"get: GET /v2/registry/docker-credentials: 503 Service Unavailable",
		"store: docr mints credentials on demand and stores none",
		"get: DOCR_HELPER_EXPIRY_SECONDS must be a whole number of seconds from 1 to 86400",
		"get: invalid API token: contains whitespace, a control character or a non-ASCII character (from $DIGITALOCEAN_TOKEN)",
		"usage: unknown credential-helper action: want get, store, erase, list or version",
	}
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(wants), b)
	}
	prefix := " " + Program + "["
	for i, line := range lines {
		ts, rest, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasPrefix(" "+rest, prefix) || !strings.Contains(line, wants[i]) {
			t.Errorf("line %d = %q, want a time, %q... and %q", i, line, Program+"[pid]", wants[i])
		}
	}
	for _, s := range []string{w.srv.Token, good.Secret, good.Username, "\x1b"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("the log holds %q", s)
		}
	}

	w.set(EnvLog, "relative.log")
	if o := w.run("get", w.srv.RegistryHost()); !strings.Contains(o.stderr, "docr: warning: $DOCR_HELPER_LOG must be an absolute path; nothing was logged\n") {
		t.Errorf("relative DOCR_HELPER_LOG: %+v", o)
	}
}

// An answer that names other hosts besides the served one is refused
// whole: nothing is served or kept, and every credential in it is revoked.
func TestRefusesAnswerWithOtherHosts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var revoked []string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/registry/docker-credentials":
			rw.Header().Set("Content-Type", "application/json")
			_, _ = rw.Write([]byte(`{"auths":{"registry.digitalocean.com":{"auth":"dXNlcjpvdXJzLXNlY3JldA=="},"ghcr.io":{"auth":"dXNlcjpnaGNyLXNlY3JldA=="}}}`)) // user:ours-secret, user:ghcr-secret
		case "/v1/oauth/revoke":
			_ = r.ParseForm()
			mu.Lock()
			revoked = append(revoked, r.PostForm.Get("token"))
			mu.Unlock()
		default:
			http.NotFound(rw, r)
		}
	}))
	defer srv.Close()
	w := newWorld(t)
	w.set("DIGITALOCEAN_API_URL", srv.URL, "DOCR_REVOKE_URL", srv.URL+"/v1/oauth/revoke", "DOCR_REGISTRY_HOST", "")
	o := w.run("get", "registry.digitalocean.com")
	want := "docr: invalid credentials: the API issued credentials for ghcr.io, registry.digitalocean.com, not only for registry.digitalocean.com (the minted credential was revoked)"
	if o.code != 1 || !strings.HasPrefix(o.stdout, want) || strings.Contains(o.stdout+o.stderr, "secret") {
		t.Errorf("%+v\nwant %q", o, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(revoked, ",") != "ours-secret,ghcr-secret" && strings.Join(revoked, ",") != "ghcr-secret,ours-secret" {
		t.Errorf("revoked %q", revoked)
	}
	if _, err := os.Stat(w.cacheFile()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cache file was written for a refused answer: %v", err)
	}
}
