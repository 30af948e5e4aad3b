package facade

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"go.uber.org/goleak"

	"github.com/docr-dev/docr/internal/testsupport/testctx"
	"github.com/docr-dev/docr/internal/transport"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testToken    = "dop_v1_0123456789abcdef0123456789abcdef"
	testUser     = "dop_v1_registryuser0123456789"
	testPassword = "pa:ss:wo:rd-0123456789secret"
	testHost     = "registry.digitalocean.com"
)

var (
	testAuth     = base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))
	testCredBody = `{"auths":{"` + testHost + `":{"auth":"` + testAuth + `"}}}`
	testEpoch    = time.Date(2026, 8, 7, 12, 0, 0, 0, time.UTC)
)

// seen is one request as the base transport received it.
type seen struct {
	Method, Host, Path, RawPath, Query string
	Header                             http.Header
	Body                               string
}

// recorder records requests and answers them with a scripted handler.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// mock returns an httpmock transport (non-global) whose every request is
// recorded and answered by handle(n, req) (n counts from 0).
func mock(t *testing.T, handle func(n int, req *http.Request) (*http.Response, error)) (*httpmock.MockTransport, *recorder) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	rec := &recorder{}
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		var body string
		if req.Body != nil {
			b, _ := io.ReadAll(req.Body)
			body = string(b)
			req.Body = io.NopCloser(strings.NewReader(body)) // for handle
		}
		rec.mu.Lock()
		n := len(rec.reqs)
		rec.reqs = append(rec.reqs, seen{
			Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, RawPath: req.URL.EscapedPath(),
			Query: req.URL.RawQuery, Header: req.Header.Clone(), Body: body,
		})
		rec.mu.Unlock()
		resp, err := handle(n, req)
		if resp != nil {
			resp.Request = req
		}
		return resp, err
	})
	return mt, rec
}

// reply builds a response; hdr are name, value pairs.
func reply(status int, body string, hdr ...string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		resp.Header.Set(hdr[i], hdr[i+1])
	}
	return resp
}

func jsonReply(status int, body string, hdr ...string) *http.Response {
	return reply(status, body, append([]string{"Content-Type", "application/json; charset=utf-8"}, hdr...)...)
}

// always answers every request with the same status and JSON body.
func always(status int, body string, hdr ...string) func(int, *http.Request) (*http.Response, error) {
	return func(int, *http.Request) (*http.Response, error) { return jsonReply(status, body, hdr...), nil }
}

// fakeClock records waits instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeClock) clock() transport.Clock {
	return transport.Clock{
		Now: func() time.Time { return testEpoch },
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.waits = append(f.waits, d)
			f.mu.Unlock()
			return ctx.Err()
		},
		Jitter: func(d time.Duration) time.Duration { return d }, // maximal jitter: deterministic
	}
}

func (f *fakeClock) all() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// newTest returns a Client over rt with a fake clock.
func newTest(t *testing.T, rt http.RoundTripper, opts ...Option) (*Client, *fakeClock) {
	t.Helper()
	fc := &fakeClock{}
	c, err := New(testToken, append([]Option{WithTransport(rt), withClock(fc.clock())}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, fc
}

// assertNoSecret fails if s contains any secret of the test.
func assertNoSecret(t *testing.T, s string, extra ...string) {
	t.Helper()
	for _, secret := range append([]string{testToken, testPassword, testAuth, testUser}, extra...) {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("secret %q leaked in %q", secret, s)
		}
	}
}

func assertAPIHeaders(t *testing.T, s seen) {
	t.Helper()
	if got := s.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("%s %s: Authorization = %q", s.Method, s.Path, got)
	}
	if got := s.Header.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("%s %s: User-Agent = %q", s.Method, s.Path, got)
	}
}

// sleepWatch is the real clock whose sleep first reports each wait it
// starts on waits, so that a test can cancel a context while docr is
// really waiting, not after a guessed number of milliseconds.
func sleepWatch() (transport.Clock, <-chan time.Duration) {
	waits := make(chan time.Duration, 16)
	c := transport.RealClock()
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		select {
		case waits <- d:
		default:
		}
		return transport.SleepCtx(ctx, d)
	}
	return c, waits
}

// attemptDeadlines replaces the per-attempt timeout of c: each attempt's
// deadline passes when the server or transport reports on hung that the
// attempt is stuck, never earlier; the requested timeouts are recorded.
type attemptDeadlines struct {
	hung chan struct{}
	mu   sync.Mutex
	got  []time.Duration
}

func newAttemptDeadlines() *attemptDeadlines {
	return &attemptDeadlines{hung: make(chan struct{}, 16)}
}

// stuck reports that an attempt is stuck; its deadline passes.
func (a *attemptDeadlines) stuck() {
	select {
	case a.hung <- struct{}{}:
	default:
	}
}

func (a *attemptDeadlines) deadline(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	a.mu.Lock()
	a.got = append(a.got, d)
	a.mu.Unlock()
	c := testctx.WithDeadline(parent)
	go func() {
		select {
		case <-a.hung:
			c.Expire()
		case <-c.Done():
		}
	}()
	return c, c.Stop
}

func (a *attemptDeadlines) timeouts() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Duration(nil), a.got...)
}

// within runs f and fails the test if it has not returned within the hang
// guard; f must not call t.Fatal.
func within[T any](t testing.TB, what string, f func() T) T {
	t.Helper()
	return testctx.Within(t.Fatal, what, f)
}
