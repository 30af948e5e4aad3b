package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangGuard bounds waits on events that should come at once.
const hangGuard = 30 * time.Second

func testEnv(t *testing.T, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	all := map[string]string{
		"XDG_CACHE_HOME": t.TempDir(),
		"XDG_STATE_HOME": t.TempDir(),
		"HOME":           t.TempDir(),
	}
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
func TestCredentialHelperLimitsAgainstSlowServer(t *testing.T) {
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
	attempts := make(chan attempt, 8)
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
		attempts <- attempt{left, fire}
		return base.RoundTrip(r.WithContext(ctx))
	})
	done := make(chan int, 1)
	go func() { done <- Main(context.Background(), []string{"docker-credential-docr", "get"}, env) }()
	for i := 1; i <= helperAttempts; i++ {
		var a attempt
		select {
		case a = <-attempts:
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
		if code != exitFail {
			t.Errorf("exit %d, want 1", code)
		}
	case a := <-attempts:
		a.fire(context.DeadlineExceeded)
		t.Fatalf("a third attempt (bounded by %v)", a.left)
	case <-time.After(hangGuard):
		t.Fatal("the helper did not give up after 2 attempts")
	}
	if len(attempts) != 0 {
		t.Errorf("%d more attempts", len(attempts))
	}
	if !strings.HasPrefix(stdout.String(), "docr: ") || !strings.Contains(stdout.String(), "after 2 attempts") {
		t.Errorf("stdout %q", stdout)
	}
}

// blockingReader blocks in Read until released; reading is closed when the
// first Read begins.
type blockingReader struct {
	once             sync.Once
	reading, release chan struct{}
}

func (r *blockingReader) Read([]byte) (int, error) {
	r.once.Do(func() { close(r.reading) })
	<-r.release
	return 0, io.EOF
}

// Issue 12, case 11: a cancelled context (Ctrl-C, SIGTERM: see Run) stops
// docr while it waits for a token on standard input.
func TestTokenFromStdinHonoursCancel(t *testing.T) {
	t.Parallel()
	env, stdout, stderr := testEnv(t, map[string]string{"DIGITALOCEAN_API_URL": "http://127.0.0.1:1"})
	in := &blockingReader{reading: make(chan struct{}), release: make(chan struct{})}
	defer close(in.release)
	env.Stdin = in
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"docr", "--token-file", "-", "docker-config"}, env) }()
	select {
	case <-in.reading:
	case <-time.After(hangGuard):
		t.Fatal("docr did not read standard input")
	}
	cancel(errors.New("interrupted (test)"))
	select {
	case code := <-done:
		if code != exitFail {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(hangGuard):
		t.Fatal("docr still waits for standard input after the context was cancelled")
	}
	if want := "docr: read --token-file: interrupted (test)\n"; stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stderr %q, want %q; stdout %q", stderr, want, stdout)
	}
}

// Issue 12, case 4: the host Docker looks up for a server URL, by
// docker/cli's ConvertToHostname.
func TestDockerHostname(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"registry.digitalocean.com", "registry.digitalocean.com"},
		{" registry.digitalocean.com\n", "registry.digitalocean.com"},
		{"https://registry.digitalocean.com/v2/", "registry.digitalocean.com"},
		{"http://Registry.DigitalOcean.com:5000/x", "registry.digitalocean.com:5000"},
		{"registry.digitalocean.com/a/b", "registry.digitalocean.com"},
		{"evil.example/x://registry.digitalocean.com", "evil.example"},
		{"https://registry.digitalocean.com@evil.example/", "evil.example"},
		{"https://evil.example/https://registry.digitalocean.com", "evil.example"},
		{"registry.digitalocean.co\u212a", "registry.digitalocean.co\u212a"},
		{"", ""},
	} {
		if got := dockerHostname(tt.in); got != tt.want {
			t.Errorf("dockerHostname(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
