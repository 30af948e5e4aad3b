package facade

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/transport"
)

// hopLog records the Authorization header seen on each hop.
type hopLog struct {
	mu   sync.Mutex
	hops []string
}

func (h *hopLog) add(where string, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hops = append(h.hops, where+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
}

func (h *hopLog) get() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.hops...)
}

// serverOn starts an httptest server on the given loopback IP.
func serverOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// An API host redirects to another host, which redirects back to the API
// host: only the first hop may carry the token (CVE-2024-45336 pattern).
// Hops on the same origin keep it; another port of the same host does not
// get it (net/http itself compares host names only).
func TestRedirectNeverLeaksToken(t *testing.T) {
	t.Parallel()
	log := &hopLog{}
	var apiURL, otherURL, otherPortURL string
	api := serverOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add("api", r)
		switch r.URL.Path {
		case "/v2/registry/docker-credentials":
			http.Redirect(w, r, otherURL+"/hop", http.StatusFound)
		case "/v2/registries/same/docker-credentials":
			http.Redirect(w, r, apiURL+"/v2/same-origin", http.StatusTemporaryRedirect)
		case "/v2/registries/port/docker-credentials":
			http.Redirect(w, r, otherPortURL+"/port-hop", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, testCredBody)
		}
	}))
	other := serverOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add("other", r)
		http.Redirect(w, r, apiURL+"/v2/back", http.StatusFound)
	}))
	otherPort := serverOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add("other-port", r)
		http.Redirect(w, r, apiURL+"/v2/back-from-port", http.StatusFound)
	}))
	apiURL, otherURL, otherPortURL = api.URL, other.URL, otherPort.URL

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, _ := newTest(t, tr, WithBaseURL(apiURL))
	ctx := context.Background()
	for _, reg := range []string{"", "same", "port"} {
		if _, err := c.DockerCredentials(ctx, CredentialsRequest{Registry: reg}); err != nil {
			t.Fatalf("%q: %v", reg, err)
		}
	}
	// A header the caller sets itself is removed off-origin as well.
	_, err := Check(c.API().RegistriesGetWithResponse(ctx, "x", func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer caller-set")
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Check(c.API().RegistriesGetWithResponse(ctx, "y", func(_ context.Context, r *http.Request) error {
		r.URL.Path = "/v2/registry/docker-credentials"
		r.Header.Set("Authorization", "Bearer caller-set")
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	bearer := "auth=Bearer " + testToken
	want := []string{
		"api /v2/registry/docker-credentials " + bearer,
		"other /hop auth=",
		"api /v2/back auth=",
		"api /v2/registries/same/docker-credentials " + bearer,
		"api /v2/same-origin " + bearer,
		"api /v2/registries/port/docker-credentials " + bearer,
		"other-port /port-hop auth=",
		"api /v2/back-from-port auth=",
		"api /v2/registries/x " + bearer,
		"api /v2/registry/docker-credentials " + bearer,
		"other /hop auth=",
		"api /v2/back auth=",
	}
	got := log.get()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// rtFunc is a RoundTripper from a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A base transport that does not link responses to requests: the
// CheckRedirect marker alone must keep the token off the way back.
func TestRedirectMarkerWithoutResponseChain(t *testing.T) {
	t.Parallel()
	log := &hopLog{}
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		log.add(r.URL.Host, r)
		resp := &http.Response{StatusCode: http.StatusFound, Header: http.Header{}, Body: http.NoBody}
		switch r.URL.Host {
		case "api.digitalocean.com":
			if r.URL.Path == "/v2/back" {
				resp.StatusCode = 200
				resp.Header.Set("Content-Type", "application/json")
				resp.Body = io.NopCloser(strings.NewReader(testCredBody))
				return resp, nil
			}
			resp.Header.Set("Location", "https://evil.example/steal")
		default:
			resp.Header.Set("Location", "https://api.digitalocean.com/v2/back")
		}
		return resp, nil
	})
	c, _ := newTest(t, base)
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	want := "api.digitalocean.com /v2/registry/docker-credentials auth=Bearer " + testToken + "\n" +
		"evil.example /steal auth=\n" +
		"api.digitalocean.com /v2/back auth="
	if got := strings.Join(log.get(), "\n"); got != want {
		t.Errorf("hops:\n%s\nwant:\n%s", got, want)
	}
}

func TestRedirectLimitAndCallerPolicy(t *testing.T) {
	t.Parallel()
	loop := rtFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {r.URL.Path + "x"}}, Body: http.NoBody, Request: r}, nil
	})
	c, _ := newTest(t, loop)
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
	if !errors.Is(err, transport.ErrTooManyRedirects) {
		t.Errorf("loop: err = %v", err)
	}
	var calls int
	hc := &http.Client{Transport: loop, CheckRedirect: func(*http.Request, []*http.Request) error {
		calls++
		return http.ErrUseLastResponse
	}}
	c2, err := New(testToken, WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.DockerCredentials(context.Background(), CredentialsRequest{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusFound || calls != 1 {
		t.Errorf("caller policy: err = %v, calls %d", err, calls)
	}
}

func TestWithHTTPClient(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(200, `{"registries":[]}`))
	hc := &http.Client{Transport: mt, Timeout: 7e9}
	c, err := New(testToken, WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Registries(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertAPIHeaders(t, rec.all()[0])
	if hc.Transport != mt || hc.CheckRedirect != nil || hc.Timeout != 7e9 {
		t.Error("caller's client modified")
	}
	d := c.api.ClientInterface.(*gen.Client).Client.(*transport.Doer)
	if d != c.doer || d.Timeout != 7e9 || d.Client == hc {
		t.Errorf("timeout %v", d.Timeout)
	}
	c3, _ := New(testToken, WithHTTPClient(hc), WithTimeout(3e9))
	if d := c3.api.ClientInterface.(*gen.Client).Client.(*transport.Doer); d.Timeout != 3e9 {
		t.Errorf("WithTimeout ignored: %v", d.Timeout)
	}
	c4, _ := New(testToken, WithHTTPClient(&http.Client{}))
	if d := c4.api.ClientInterface.(*gen.Client).Client.(*transport.Doer); d.Timeout != DefaultTimeout {
		t.Errorf("defaults: %v", d.Timeout)
	}

	// Behaviour: the caller's Timeout bounds each attempt (docr turns it
	// into a per-attempt deadline), unless WithTimeout overrides it.
	// The attempt's deadline passes once the transport hangs.
	for name, withOpts := range map[string]func(http.RoundTripper) []Option{
		"caller's Timeout": func(hang http.RoundTripper) []Option {
			return []Option{WithHTTPClient(&http.Client{Transport: hang, Timeout: 50 * time.Millisecond})}
		},
		"WithTimeout wins": func(hang http.RoundTripper) []Option {
			return []Option{WithHTTPClient(&http.Client{Transport: hang, Timeout: time.Hour}), WithTimeout(50 * time.Millisecond)}
		},
	} {
		deadlines := newAttemptDeadlines()
		hang := rtFunc(func(r *http.Request) (*http.Response, error) {
			deadlines.stuck()
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		clk := transport.RealClock()
		clk.Deadline = deadlines.deadline
		c, err := New(testToken, append(withOpts(hang), WithRetry(RetryPolicy{MaxAttempts: 1}), withClock(clk))...)
		if err != nil {
			t.Fatal(err)
		}
		err = within(t, name, func() error {
			_, err := c.Registries(context.Background())
			return err
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v, want a timeout", name, err)
		}
		if got := deadlines.timeouts(); !slices.Equal(got, []time.Duration{50 * time.Millisecond}) {
			t.Errorf("%s: attempt timeouts %v, want [50ms]", name, got)
		}
	}
}
