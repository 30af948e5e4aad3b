package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"golang.org/x/oauth2"

	"github.com/docr-dev/docr/facade"
)

// The API token the loopback server expects, shaped like a DigitalOcean
// personal access token.
const apiToken = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// credentialsPath and credentialsQuery are what all three clients send: the
// account registry's Docker credentials, read-only, 30 days (docr's default).
const (
	credentialsPath  = "/v2/registry/docker-credentials"
	credentialsQuery = "expiry_seconds=2592000&read_write=false"
	expirySeconds    = 2592000
)

// credentialsBody is a realistic answer of the docker-credentials endpoint:
// DigitalOcean issues a token that is both user name and password.
var credentialsBody = func() []byte {
	secret := "dop_v1_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	auth := base64.StdEncoding.EncodeToString([]byte(secret + ":" + secret))
	return []byte(`{"auths":{"registry.digitalocean.com":{"auth":"` + auth + `"}}}` + "\n")
}()

// apiServer is the loopback server every client of a comparison talks to.
// It counts the TCP connections it accepts (http.Server.ConnState StateNew).
type apiServer struct {
	*httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

// errorMix selects the answer to the i-th request (0-based) of a server
// built with withErrors: mostly 200, some 404 and 500 with JSON error bodies,
// and some 500 with an HTML page as a proxy would send.
func errorMix(i int64) int {
	switch {
	case i%20 == 9:
		return 599 // stands for "500 with an HTML body"
	case i%10 == 3:
		return http.StatusNotFound
	case i%10 == 7:
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

var (
	notFoundBody = []byte(`{"id":"not_found","message":"The resource you were accessing could not be found.","request_id":"6c8b3a71-0d1e-4f7e-9b62-3f1b2a4c5d6e"}` + "\n")
	serverBody   = []byte(`{"id":"server_error","message":"Unexpected server-side error","request_id":"9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"}` + "\n")
	htmlBody     = []byte("<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n" + padding(1024))
)

func padding(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return "<!-- " + string(b) + " -->\r\n"
}

// newAPIServer starts the loopback server. With withErrors, answers follow
// errorMix; otherwise every answer is the credentials body.
func newAPIServer(tb testing.TB, withErrors bool) *apiServer {
	tb.Helper()
	s := &apiServer{}
	reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	h := func(w http.ResponseWriter, r *http.Request) {
		i := s.requests.Add(1) - 1
		hdr := w.Header()
		hdr["Ratelimit-Limit"] = []string{"5000"}
		hdr["Ratelimit-Remaining"] = []string{"4999"}
		hdr["Ratelimit-Reset"] = []string{reset}
		hdr["X-Request-Id"] = []string{"2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f"}
		hdr["Cache-Control"] = []string{"max-age=0, private, must-revalidate"}
		if r.URL.Path != credentialsPath || r.Header.Get("Authorization") != "Bearer "+apiToken {
			hdr["Content-Type"] = []string{"application/json; charset=utf-8"}
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"id":"unauthorized","message":"Unable to authenticate you"}`))
			return
		}
		status := http.StatusOK
		if withErrors {
			status = errorMix(i)
		}
		var body []byte
		switch status {
		case http.StatusOK:
			body = credentialsBody
		case http.StatusNotFound:
			body = notFoundBody
		case http.StatusInternalServerError:
			body = serverBody
		case 599:
			hdr["Content-Type"] = []string{"text/html"}
			hdr["Content-Length"] = []string{strconv.Itoa(len(htmlBody))}
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(htmlBody)
			return
		}
		hdr["Content-Type"] = []string{"application/json; charset=utf-8"}
		hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(h))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// processCPU returns the CPU time (user and system) the process has used so
// far.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// caller makes one Docker-credentials call and decodes the config; it
// returns the HTTP status of the answer (0 for a transport error) and any
// error.
type caller interface {
	call(ctx context.Context) (status int, err error)
	close()
}

// freshTransport is a private copy of http.DefaultTransport, so that one
// client's idle connections are not reused by another.
func freshTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// rawClient is the baseline: net/http GET plus json.Unmarshal into a map.
type rawClient struct {
	hc  *http.Client
	url string
}

func newRawClient(base string, tr http.RoundTripper) *rawClient {
	return &rawClient{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, url: base + credentialsPath + "?" + credentialsQuery}
}

func (c *rawClient) call(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	var m map[string]any
	return resp.StatusCode, json.Unmarshal(body, &m)
}

func (c *rawClient) close() { c.hc.CloseIdleConnections() }

// docrClient is docr's facade with its defaults (http.DefaultTransport
// unless tr is given; retries as configured).
type docrClient struct {
	c  *facade.Client
	tr *http.Transport
}

func newDocrClient(tb testing.TB, base string, tr *http.Transport, opts ...facade.Option) *docrClient {
	tb.Helper()
	opts = append([]facade.Option{facade.WithBaseURL(base)}, opts...)
	if tr != nil {
		opts = append(opts, facade.WithTransport(tr))
	}
	c, err := facade.New(apiToken, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return &docrClient{c: c, tr: tr}
}

func (c *docrClient) call(ctx context.Context) (int, error) {
	creds, err := c.c.DockerCredentials(ctx, facade.CredentialsRequest{})
	if err != nil {
		if ae, ok := err.(*facade.APIError); ok {
			return ae.StatusCode, err
		}
		return 0, err
	}
	if len(creds.Config.Auths) != 1 {
		return 200, fmt.Errorf("got %d hosts", len(creds.Config.Auths))
	}
	return 200, nil
}

func (c *docrClient) close() {
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
}

// godoClient is godo's Registry.DockerCredentials with the result decoded
// into a map, as the baseline does.
type godoClient struct {
	c *godo.Client
}

// newGodoDefault is what godo's README shows: NewFromToken, which wraps its
// own pooled transport in go-retryablehttp (4 retries, 1s to 30s waits).
func newGodoDefault(base string) *godoClient {
	c := godo.NewFromToken(apiToken)
	c.BaseURL, _ = url.Parse(base + "/")
	return &godoClient{c: c}
}

// newGodo builds godo over the given transport, with retries only when
// retryMax > 0 (then with millisecond waits so that a benchmark of error
// answers does not sleep for seconds).
func newGodo(tb testing.TB, base string, tr http.RoundTripper, retryMax int) *godoClient {
	tb.Helper()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: tr})
	hc := oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: apiToken}))
	opts := []godo.ClientOpt{godo.SetBaseURL(base + "/")}
	if retryMax > 0 {
		opts = append(opts, godo.WithRetryAndBackoffs(godo.RetryConfig{
			RetryMax:     retryMax,
			RetryWaitMin: godo.PtrTo(0.001),
			RetryWaitMax: godo.PtrTo(0.002),
		}))
	}
	c, err := godo.New(hc, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return &godoClient{c: c}
}

func (c *godoClient) call(ctx context.Context) (int, error) {
	dc, resp, err := c.c.Registry.DockerCredentials(ctx, &godo.RegistryDockerCredentialsRequest{ExpirySeconds: godo.PtrTo(expirySeconds)})
	if err != nil {
		if resp != nil {
			return resp.StatusCode, err
		}
		return 0, err
	}
	var m map[string]any
	return resp.StatusCode, json.Unmarshal(dc.DockerConfigJSON, &m)
}

func (c *godoClient) close() { c.c.HTTPClient.CloseIdleConnections() }
