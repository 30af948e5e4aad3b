package docrtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// t0 is the time the tests' clocks start at.
var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// clock is a manual clock for docrtest.WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a fresh, deterministic fake and a generated client for it.
type fixture struct {
	srv   *docrtest.Server
	c     *gen.ClientWithResponses
	clock *clock
}

func newFixture(t *testing.T, opts ...docrtest.Option) *fixture {
	t.Helper()
	clk := newClock()
	opts = append([]docrtest.Option{docrtest.WithRandSeed(7), docrtest.WithClock(clk.Now)}, opts...)
	srv := docrtest.NewServer(t, opts...)
	return &fixture{srv: srv, c: newClient(t, srv.URL, srv.Token), clock: clk}
}

func newClient(t *testing.T, url, token string) *gen.ClientWithResponses {
	t.Helper()
	c, err := gen.NewClientWithResponses(url, gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// check fails the test if the call failed or answered another status.
func check(t *testing.T, err error, hr *http.Response, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("call failed: %v", err)
	}
	if hr.StatusCode != want {
		t.Fatalf("status = %d, want %d", hr.StatusCode, want)
	}
}

// checkError checks the status and the error body {id, message} of a
// failed call.
func checkError(t *testing.T, err error, hr *http.Response, body []byte, status int, id string) {
	t.Helper()
	check(t, err, hr, status)
	var e gen.Error
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Id != id || e.Message == "" {
		t.Fatalf("error body = %s, want id %q and a message", body, id)
	}
	if e.RequestId == nil || *e.RequestId != hr.Header.Get("X-Request-Id") {
		t.Fatalf("request_id %v does not match x-request-id %q", e.RequestId, hr.Header.Get("X-Request-Id"))
	}
}

// equal fails the test unless got and want are deeply equal, showing both
// as JSON.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// do sends a raw request to the fake.
func do(t *testing.T, method, url, token string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func ptr[T any](v T) *T { return &v }

func names[T any](items *[]T, name func(T) string) []string {
	if items == nil {
		return nil
	}
	out := []string{}
	for _, it := range *items {
		out = append(out, name(it))
	}
	return out
}

// collector gathers violations instead of failing the test.
type collector struct {
	mu sync.Mutex
	vs []docrtest.Violation
}

func (c *collector) add(v docrtest.Violation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vs = append(c.vs, v)
}

func (c *collector) all() []docrtest.Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]docrtest.Violation(nil), c.vs...)
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
