package facade

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docr-dev/docr/gen"

	"github.com/docr-dev/docr/internal/testsupport/testctx"
	"github.com/docr-dev/docr/internal/transport"
)

func TestRetry429Then200(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		hdr  []string
		wait time.Duration
	}{
		{"retry-after seconds", []string{"Retry-After", "3"}, 3 * time.Second},
		{"retry-after date", []string{"Retry-After", testEpoch.Add(5 * time.Second).Format(http.TimeFormat)}, 5 * time.Second},
		{"retry-after past date", []string{"Retry-After", testEpoch.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{"ratelimit-reset soon", []string{"ratelimit-remaining", "0", "ratelimit-reset", strconv.FormatInt(testEpoch.Unix()+7, 10)}, 7 * time.Second},
		{"ratelimit-reset beyond cap: backoff", []string{"ratelimit-reset", strconv.FormatInt(testEpoch.Unix()+3600, 10)}, DefaultBaseDelay},
		{"ratelimit-reset past: backoff", []string{"ratelimit-reset", strconv.FormatInt(testEpoch.Unix()-5, 10)}, DefaultBaseDelay},
		{"bad retry-after: backoff", []string{"Retry-After", "soon"}, DefaultBaseDelay},
		{"nothing: backoff", nil, DefaultBaseDelay},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mt, rec := mock(t, func(n int, _ *http.Request) (*http.Response, error) {
				if n == 0 {
					return jsonReply(429, `{"id":"too_many_requests","message":"slow down"}`, tc.hdr...), nil
				}
				return jsonReply(200, testCredBody, "ratelimit-limit", "5000", "ratelimit-remaining", "4999", "ratelimit-reset", "1444931833"), nil
			})
			c, fc := newTest(t, mt)
			if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err != nil {
				t.Fatal(err)
			}
			if rec.count() != 2 {
				t.Errorf("%d requests", rec.count())
			}
			for _, s := range rec.all() {
				assertAPIHeaders(t, s)
			}
			if w := fc.all(); len(w) != 1 || w[0] != tc.wait {
				t.Errorf("waits = %v, want [%v]", w, tc.wait)
			}
			if rl := c.RateLimit(); rl.Limit != 5000 || rl.Remaining != 4999 || rl.Reset.Unix() != 1444931833 || rl.IsZero() {
				t.Errorf("RateLimit = %+v", rl)
			}
		})
	}
}

func TestRetryAfterBeyondCapStops(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(429, `{"id":"too_many_requests","message":"later"}`, "Retry-After", "3600"))
	c, fc := newTest(t, mt)
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Attempts != 1 || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if rec.count() != 1 || len(fc.all()) != 0 {
		t.Errorf("requests %d waits %v", rec.count(), fc.all())
	}
}

func TestRetryBackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(500, `{"id":"server_error","message":"oops"}`))
	c, fc := newTest(t, mt, WithRetry(RetryPolicy{MaxAttempts: 6, BaseDelay: time.Second, MaxDelay: 5 * time.Second}))
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Attempts != 6 || rec.count() != 6 {
		t.Fatalf("err = %v, requests %d", err, rec.count())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if got := fc.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestRetryMethods(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	body := gen.MultiregistryCreate{Name: "example"}
	cases := []struct {
		name     string
		opts     []Option
		call     func(c *Client) error
		requests int
	}{
		{"GET retried", nil, func(c *Client) error { _, err := Check(c.API().RegistriesGetWithResponse(ctx, "r")); return err }, 4},
		{"DELETE retried", nil, func(c *Client) error { _, err := Check(c.API().RegistriesDeleteWithResponse(ctx, "r")); return err }, 4},
		{"PUT retried", nil, func(c *Client) error {
			_, err := Check(c.API().RegistriesUpdateGarbageCollectionWithResponse(ctx, "r", "u", gen.UpdateRegistry{Cancel: new(true)}))
			return err
		}, 4},
		{"POST not retried", nil, func(c *Client) error { _, err := Check(c.API().RegistriesCreateWithResponse(ctx, body)); return err }, 1},
		{"POST retried when allowed", []Option{WithRetry(RetryPolicy{RetryPOST: true})}, func(c *Client) error {
			_, err := Check(c.API().RegistriesCreateWithResponse(ctx, body))
			return err
		}, 4},
		{"POST unreplayable body not retried", []Option{WithRetry(RetryPolicy{RetryPOST: true})}, func(c *Client) error {
			_, err := Check(c.API().RegistriesCreateWithBodyWithResponse(ctx, "application/json", io.MultiReader(strings.NewReader(`{"name":"example"}`))))
			return err
		}, 1},
		{"no retries", []Option{WithRetry(RetryPolicy{MaxAttempts: 1})}, func(c *Client) error {
			_, err := Check(c.API().RegistriesGetWithResponse(ctx, "r"))
			return err
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mt, rec := mock(t, always(503, `{"id":"unavailable","message":"try later"}`))
			c, _ := newTest(t, mt, tc.opts...)
			err := tc.call(c)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Attempts != tc.requests {
				t.Fatalf("err = %v", err)
			}
			if rec.count() != tc.requests {
				t.Errorf("%d requests, want %d", rec.count(), tc.requests)
			}
			for _, s := range rec.all() {
				if s.Method != http.MethodGet && s.Method != http.MethodDelete && !strings.Contains(s.Body, "example") && !strings.Contains(s.Body, "cancel") {
					t.Errorf("replayed body = %q", s.Body)
				}
			}
		})
	}
}

func TestRetryTransportErrorThenSuccess(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, func(n int, _ *http.Request) (*http.Response, error) {
		if n < 2 {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		}
		return jsonReply(200, testCredBody), nil
	})
	c, fc := newTest(t, mt)
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 3 || len(fc.all()) != 2 {
		t.Errorf("requests %d waits %v", rec.count(), fc.all())
	}
}

func TestPermanentTransportErrorNotRetried(t *testing.T) {
	t.Parallel()
	for _, perr := range []error{x509.UnknownAuthorityError{}, x509.HostnameError{Host: "h"}, transport.ErrTooManyRedirects} {
		mt, rec := mock(t, func(int, *http.Request) (*http.Response, error) { return nil, perr })
		c, _ := newTest(t, mt)
		if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err == nil {
			t.Fatal("no error")
		}
		if rec.count() != 1 {
			t.Errorf("%T: %d requests", perr, rec.count())
		}
	}
}

func TestRetryBodyRewindError(t *testing.T) {
	t.Parallel()
	mt, _ := mock(t, always(503, `{"id":"x","message":"y"}`))
	c, _ := newTest(t, mt)
	req, _ := http.NewRequest(http.MethodPut, "https://api.digitalocean.com/v2/x", strings.NewReader("body"))
	req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("cannot rewind") }
	d := c.api.ClientInterface.(*gen.Client).Client
	if _, err := d.Do(req); err == nil || !strings.Contains(err.Error(), "cannot rewind") {
		t.Fatalf("err = %v", err)
	}
}

// The context is cancelled while docr waits to retry: the call returns at
// once, wrapping ctx.Err(), with the real clock's sleep. The context ends
// when docr has started a wait of at least 5 s (backoff from 10 s with
// jitter); a call that waited it out would still return, so the hang guard
// catches only a sleep that ignores the context, and the recorded waits
// prove the cancellation came during the wait.
func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	policy := WithRetry(RetryPolicy{BaseDelay: time.Hour, MaxDelay: 2 * time.Hour})
	mt, rec := mock(t, always(500, `{"id":"server_error","message":"oops"}`))
	clk, waits := sleepWatch()
	c, err := New(testToken, WithTransport(mt), policy, withClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waited time.Duration
	go func() {
		select {
		case waited = <-waits:
			cancel()
		case <-ctx.Done():
		}
	}()
	err = within(t, "DockerCredentials", func() error {
		_, err := c.DockerCredentials(ctx, CredentialsRequest{ReadWrite: true})
		return err
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted after 1 attempt") {
		t.Errorf("err = %v", err)
	}
	if waited < 30*time.Minute {
		t.Errorf("cancelled during a wait of %v, want at least half of the 1h backoff", waited)
	}
	if strings.Contains(err.Error(), "read_write") {
		t.Errorf("query in %v", err)
	}
	if rec.count() != 1 {
		t.Errorf("%d requests", rec.count())
	}
	// Also while waiting after a transport error, for a deadline.
	mt2, _ := mock(t, func(int, *http.Request) (*http.Response, error) { return nil, errors.New("flaky") })
	clk2, waits2 := sleepWatch()
	c2, _ := New(testToken, WithTransport(mt2), policy, withClock(clk2))
	ctx2 := testctx.WithDeadline(context.Background())
	defer ctx2.Stop()
	go func() {
		select {
		case <-waits2:
			ctx2.Expire()
		case <-ctx2.Done():
		}
	}()
	err = within(t, "DockerCredentials", func() error {
		_, err := c2.DockerCredentials(ctx2, CredentialsRequest{})
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

// 100 sequential credential calls, some answered 404 and 500 (retried),
// must all use one TCP connection: docr drains and closes every body.
func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	var conns, calls atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case n%10 == 3:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"id":"not_found","message":"no such registry"}`+strings.Repeat(" ", 20000))
		case n%10 == 6:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"id":"server_error","message":"oops"}`)
		default:
			_, _ = io.WriteString(w, testCredBody)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, _ := newTest(t, tr, WithBaseURL(srv.URL))
	var failures int
	for i := range 100 {
		reg := ""
		if i%2 == 1 {
			reg = "example"
		}
		if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{Registry: reg}); err != nil {
			failures++
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections, want 1", got)
	}
	if failures == 0 || calls.Load() <= 100 {
		t.Errorf("failures %d, calls %d: the test did not exercise errors", failures, calls.Load())
	}
}

// An API success body above the 32 MiB limit fails instead of being read
// into memory.
func TestAPIBodyLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 32 MiB")
	}
	t.Parallel()
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) {
		r := jsonReply(200, "")
		r.Body = io.NopCloser(io.LimitReader(zeros{}, maxAPIBody+10))
		return r, nil
	})
	c, _ := newTest(t, mt)
	if _, err := c.Registries(context.Background()); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
