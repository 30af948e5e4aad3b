package facade

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/transport"
)

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	rl := []string{"ratelimit-limit", "5000", "ratelimit-remaining", "4816", "ratelimit-reset", "1444931833"}
	cases := []struct {
		name     string
		status   int
		body     string
		hdr      []string
		is       error
		id, msg  string
		reqID    string
		attempts int
	}{
		{"401", 401, `{"id":"unauthorized","message":"Unable to authenticate you."}`, nil, ErrUnauthorized, "unauthorized", "Unable to authenticate you.", "", 1},
		{"403", 403, `{"id":"forbidden","message":"You do not have access.","request_id":"r-403"}`, nil, ErrForbidden, "forbidden", "You do not have access.", "r-403", 1},
		{"404 header request id", 404, `{"id":"not_found","message":"The resource could not be found."}`, []string{"x-request-id", "hdr-id"}, ErrNotFound, "not_found", "The resource could not be found.", "hdr-id", 1},
		{"429 exhausted", 429, `{"id":"too_many_requests","message":"API rate limit exceeded."}`, rl, ErrRateLimited, "too_many_requests", "API rate limit exceeded.", "", 4},
		{"500 exhausted", 500, `{"id":"server_error","message":"Unexpected server-side error","request_id":"r-500"}`, nil, ErrServer, "server_error", "Unexpected server-side error", "r-500", 4},
		{"503 exhausted", 503, `{"id":"x","message":"y"}`, nil, ErrServer, "x", "y", "", 4},
		{"412", 412, `{"id":"precondition_failed","message":"use /v2/registries"}`, nil, nil, "precondition_failed", "use /v2/registries", "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mt, rec := mock(t, always(tc.status, tc.body, tc.hdr...))
			c, _ := newTest(t, mt)
			_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %T %v", err, err)
			}
			if ae.StatusCode != tc.status || ae.ID != tc.id || ae.Message != tc.msg || ae.RequestID != tc.reqID || ae.Attempts != tc.attempts {
				t.Errorf("APIError = %+v", ae)
			}
			if rec.count() != tc.attempts {
				t.Errorf("%d requests, want %d", rec.count(), tc.attempts)
			}
			if ae.Method != "GET" || ae.Path != "/v2/registry/docker-credentials" || string(ae.Body) != tc.body {
				t.Errorf("method/path/body = %s %s %s", ae.Method, ae.Path, ae.Body)
			}
			for _, s := range []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer} {
				if got := errors.Is(err, s); got != (s == tc.is) {
					t.Errorf("errors.Is(err, %v) = %t", s, got)
				}
			}
			msg := err.Error()
			for _, want := range []string{tc.msg, http.StatusText(tc.status)} {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q lacks %q", msg, want)
				}
			}
			if tc.reqID != "" && !strings.Contains(msg, tc.reqID) {
				t.Errorf("Error() = %q lacks the request id", msg)
			}
			if strings.Contains(msg, "2592000") || strings.Contains(msg, "read_write") {
				t.Errorf("Error() = %q contains the query", msg)
			}
			assertNoSecret(t, msg)
			if tc.hdr != nil && len(tc.hdr) == len(rl) {
				if ae.RateLimit.Limit != 5000 || ae.RateLimit.Remaining != 4816 || ae.RateLimit.Reset.Unix() != 1444931833 {
					t.Errorf("RateLimit = %+v", ae.RateLimit)
				}
			}
		})
	}
}

func TestAPIErrorNonJSONBody(t *testing.T) {
	t.Parallel()
	long := "<html>" + strings.Repeat("x", 10000) + "</html>"
	cases := []struct {
		name, ct, body string
	}{
		{"html", "text/html", long},
		{"json content type, html body", "application/json", long},
		{"json content type, empty body", "application/json", ""},
		{"json content type, wrong shape", "application/json", `{"id":5}`},
	}
	for _, tc := range cases {
		mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) {
			return reply(http.StatusBadGateway, tc.body, "Content-Type", tc.ct, "x-request-id", "req-502"), nil
		})
		c, _ := newTest(t, mt, WithRetry(RetryPolicy{MaxAttempts: 2}))
		for _, call := range []func() error{
			func() error { _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); return err },
			func() error {
				_, err := Check(c.API().RegistriesGetWithResponse(context.Background(), "example"))
				return err
			},
		} {
			err := call()
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("%s: err = %T %v", tc.name, err, err)
			}
			if ae.StatusCode != 502 || ae.RequestID != "req-502" || ae.Attempts != 2 || !errors.Is(err, ErrServer) {
				t.Errorf("%s: %+v", tc.name, ae)
			}
			if len(ae.Body) != min(len(tc.body), transport.MaxErrorBody) || string(ae.Body) != tc.body[:len(ae.Body)] {
				t.Errorf("%s: body kept %d bytes", tc.name, len(ae.Body))
			}
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	if _, err := Check[*gen.RegistriesGetResponse](nil, boom); err != boom {
		t.Errorf("err passthrough: %v", err)
	}
	if _, err := Check[*gen.RegistriesGetResponse](nil, nil); err == nil {
		t.Error("nil response accepted")
	}
	ok := &gen.RegistriesGetResponse{HTTPResponse: &http.Response{StatusCode: 200}}
	if r, err := Check(ok, nil); err != nil || r != ok {
		t.Errorf("2xx: %v", err)
	}
	notFound := &gen.RegistriesGetResponse{
		Body:         []byte(`{"id":"not_found","message":"nope"}`),
		HTTPResponse: &http.Response{StatusCode: 404, Header: http.Header{"X-Request-Id": {"rid"}}},
	}
	r, err := Check(notFound, nil)
	var ae *APIError
	if r != notFound || !errors.As(err, &ae) || ae.ID != "not_found" || ae.RequestID != "rid" || ae.Attempts != 1 || !errors.Is(err, ErrNotFound) {
		t.Errorf("404: %v %+v", err, ae)
	}
	// A response type without HTTPResponse still converts, from StatusCode.
	if _, err := Check(fakeResp(418), nil); !errors.As(err, &ae) || ae.StatusCode != 418 {
		t.Errorf("fake: %v", err)
	}
	if _, err := Check(fakeResp(204), nil); err != nil {
		t.Errorf("fake 204: %v", err)
	}
}

type fakeResp int

func (f fakeResp) StatusCode() int { return int(f) }

func TestAPIErrorString(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 599}
	if got := e.Error(); got != "docr: 599" {
		t.Errorf("Error() = %q", got)
	}
	e = &APIError{StatusCode: 429, Method: "GET", Path: "/v2/x", ID: "too_many_requests", Message: "slow down", RequestID: "r1", Attempts: 3}
	if got, want := e.Error(), "docr: GET /v2/x: 429 Too Many Requests (too_many_requests): slow down [request id r1] [after 3 attempts]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if (&APIError{StatusCode: 500}).Is(io.EOF) {
		t.Error("Is(io.EOF)")
	}
}

func TestAPIErrorScrubsToken(t *testing.T) {
	t.Parallel()
	body := `{"id":"unauthorized","message":"token ` + testToken + ` is not valid","request_id":"` + testToken + `"}`
	mt, _ := mock(t, always(401, body))
	c, _ := newTest(t, mt)
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	assertNoSecret(t, err.Error()+string(ae.Body)+ae.Message+ae.RequestID)
}

func TestTransportErrorsRedacted(t *testing.T) {
	t.Parallel()
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) { return nil, opErr })
	c, _ := newTest(t, mt, WithRetry(RetryPolicy{MaxAttempts: 1}))
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{Registry: "example", ReadWrite: true, Expiry: 77 * time.Second})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, "?") || strings.Contains(msg, "expiry_seconds") || strings.Contains(msg, "77") {
		t.Errorf("query in %q", msg)
	}
	if !strings.Contains(msg, "https://api.digitalocean.com/v2/registries/example/docker-credentials") {
		t.Errorf("URL missing in %q", msg)
	}
	var ue *url.Error
	var oe *net.OpError
	if !errors.As(err, &ue) || !errors.As(err, &oe) || oe != opErr {
		t.Errorf("chain broken: %#v", err)
	}
	assertNoSecret(t, msg)
}

func TestDeadlineErrorsKeepCause(t *testing.T) {
	t.Parallel()
	mt, _ := mock(t, func(_ int, req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	c, _ := newTest(t, mt)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.DockerCredentials(ctx, CredentialsRequest{ReadWrite: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "read_write") {
		t.Errorf("query in %q", err)
	}
}
