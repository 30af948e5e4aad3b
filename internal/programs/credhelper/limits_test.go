package credhelper

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// credentialsAPI is an API that mints a credential for
// registry.digitalocean.com on every docker-credentials call, counting them.
func credentialsAPI(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var mints atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/docker-credentials") {
			http.NotFound(w, r)
			return
		}
		mints.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"auths": map[string]any{
			"registry.digitalocean.com": map[string]string{"auth": "dXNlcjpNSU5URUQtU0VDUkVU"}, // user:MINTED-SECRET
		}})
	}))
	t.Cleanup(srv.Close)
	return srv, &mints
}

// testEnv is an Env with vars (and private HOME and XDG_CACHE_HOME) and
// buffers for stdout and stderr.
func testEnv(t *testing.T, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	all := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "HOME": t.TempDir()}
	for k, v := range vars {
		all[k] = v
	}
	var stdout, stderr bytes.Buffer
	return &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return all[k] }}, &stdout, &stderr
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Issue 12, case 8: the credential helper applies its own limits against a
// slow server: 2 attempts, each bounded by 15 s. The server never answers;
// the test plays the clock: it reads each attempt's deadline and then
// fires it, as the 15 s timer would.
func TestLimitsAgainstSlowServer(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done() // slow: released only when the client gives up
	}))
	defer srv.Close()
	type attempt struct {
		left time.Duration // from the start of the attempt to its deadline
		fire context.CancelCauseFunc
	}
	attemptsSeen := make(chan attempt, 8)
	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	env, stdout, _ := testEnv(t, map[string]string{
		"DIGITALOCEAN_TOKEN":   "test-token",
		"DIGITALOCEAN_API_URL": srv.URL,
	})
	env.Stdin = strings.NewReader("registry.digitalocean.com")
	env.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		var left time.Duration
		if dl, ok := r.Context().Deadline(); ok {
			left = dl.Sub(start)
		}
		ctx, fire := context.WithCancelCause(r.Context())
		attemptsSeen <- attempt{left, fire}
		return base.RoundTrip(r.WithContext(ctx))
	})
	done := make(chan int, 1)
	go func() { done <- Main(context.Background(), []string{Program, "get"}, env) }()
	for i := 1; i <= attempts; i++ {
		var a attempt
		select {
		case a = <-attemptsSeen:
		case code := <-done:
			t.Fatalf("the helper gave up after %d attempts (exit %d)", i-1, code)
		case <-time.After(hangGuard):
			t.Fatalf("attempt %d never came", i)
		}
		select {
		case <-arrived:
		case <-time.After(hangGuard):
			t.Fatalf("attempt %d never reached the server", i)
		}
		if a.left <= 0 || a.left > 15*time.Second || a.left < 14*time.Second {
			t.Errorf("attempt %d is bounded by %v, want 15s", i, a.left)
		}
		a.fire(context.DeadlineExceeded)
	}
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	case a := <-attemptsSeen:
		a.fire(context.DeadlineExceeded)
		t.Fatalf("a third attempt (bounded by %v)", a.left)
	case <-time.After(hangGuard):
		t.Fatal("the helper did not give up after 2 attempts")
	}
	if len(attemptsSeen) != 0 {
		t.Errorf("%d more attempts", len(attemptsSeen))
	}
	if !strings.HasPrefix(stdout.String(), "docr: ") || !strings.Contains(stdout.String(), "after 2 attempts") {
		t.Errorf("stdout %q", stdout)
	}
}

// Issue 12, case 13: a cache directory that is a symbolic link (to a shared
// 1777 directory, say) is refused; the link's target is not chmodded and
// receives no credential.
func TestRefusesSymlinkedCacheDir(t *testing.T) {
	t.Parallel()
	srv, mints := credentialsAPI(t)
	cache, shared := t.TempDir(), t.TempDir()
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shared, filepath.Join(cache, "docr")); err != nil {
		t.Fatal(err)
	}
	env, stdout, stderr := testEnv(t, map[string]string{
		"DIGITALOCEAN_TOKEN": "test-token", "DIGITALOCEAN_API_URL": srv.URL, "XDG_CACHE_HOME": cache,
	})
	env.Stdin = strings.NewReader("registry.digitalocean.com")
	code := Main(context.Background(), []string{Program, "get"}, env)
	if code == 0 || !strings.Contains(stdout.String()+stderr.String(), "is a symbolic link; docr keeps credentials only in a directory of its own") {
		t.Errorf("exit %d, stdout %q, stderr %q; want a refusal naming the link", code, stdout, stderr)
	}
	if strings.Contains(stdout.String()+stderr.String(), "MINTED-SECRET") || mints.Load() != 0 {
		t.Errorf("a credential was minted (%d) or printed", mints.Load())
	}
	fi, err := os.Stat(shared)
	if err != nil || fi.Mode().Perm() != 0o777 || fi.Mode()&os.ModeSticky == 0 {
		t.Errorf("the shared directory's mode changed: %v %v", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(shared); len(ents) != 0 {
		t.Errorf("files written into the shared directory: %v", ents)
	}
}

// Issue 12, case 15: a helper cache over maxCacheSize is never parsed; the
// helper says so on stderr, mints as without a cache and replaces the file
// with a small one.
func TestIgnoresOversizedCache(t *testing.T) {
	t.Parallel()
	srv, mints := credentialsAPI(t)
	cache := t.TempDir()
	p := filepath.Join(cache, "docr", cacheFileName)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxCacheSize + 1); err != nil { // sparse
		t.Fatal(err)
	}
	_ = f.Close()
	env, stdout, stderr := testEnv(t, map[string]string{
		"DIGITALOCEAN_TOKEN": "test-token", "DIGITALOCEAN_API_URL": srv.URL, "XDG_CACHE_HOME": cache,
	})
	env.Stdin = strings.NewReader("registry.digitalocean.com")
	if code := Main(context.Background(), []string{Program, "get"}, env); code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if want := "docr: ignoring the credential helper cache " + p + ": file too large: 1048577 bytes, more than 1048576\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if mints.Load() != 1 || !strings.Contains(stdout.String(), `"Secret":"MINTED-SECRET"`) {
		t.Errorf("mints %d, stdout %q", mints.Load(), stdout)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() > 4096 {
		t.Errorf("the cache was not replaced by a small one: %v", err)
	}
}

// Issue 12, case 4: the helper serves a server URL when Docker's reading
// of it names the registry host: host and port, ASCII letters lowered,
// nothing else folded.
func TestServes(t *testing.T) {
	t.Parallel()
	const host = "registry.digitalocean.com"
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"registry.digitalocean.com", true},
		{" registry.digitalocean.com\n", true},
		{"https://registry.digitalocean.com/v2/", true},
		{"Registry.DigitalOcean.com", true},
		{"registry.digitalocean.com/a/b", true},
		{"http://Registry.DigitalOcean.com:5000/x", false},
		{"registry.digitalocean.com:443", false},
		{"evil.example/x://registry.digitalocean.com", false},
		{"https://registry.digitalocean.com@evil.example/", false},
		{"https://evil.example/https://registry.digitalocean.com", false},
		{"ftp://registry.digitalocean.com", false},
		{"registry.digitalocean.co\u212a", false}, // the Kelvin sign, not K
		{"", false},
	} {
		if got := serves(tt.in, host); got != tt.want {
			t.Errorf("serves(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !serves("http://Registry.Example.test:5000/x", "registry.example.test:5000") {
		t.Error("a host with a port is not served")
	}
}
