package facade

// Issue 8: the facade seen by an attacker and a clumsy user. Each test
// names the hardening case it stands for (see SECURITY.md, "Tests behind
// these claims").

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docr-dev/docr/internal/registryhost"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
	"github.com/docr-dev/docr/internal/transport"
)

// Case 1. The API redirects to another host (127.0.0.2: a different host
// for net/http), which redirects again on its own host; neither the other
// host nor any later hop, on that host or back on the API host, gets the
// Authorization header, not even one the caller set itself.
func TestHardeningCrossHostRedirectThenSameHostHop(t *testing.T) {
	t.Parallel()
	log := &hopLog{}
	var apiURL, otherURL string
	api := serverOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add("api", r)
		switch r.URL.Path {
		case "/v2/registry/docker-credentials":
			http.Redirect(w, r, otherURL+"/hop1", http.StatusFound)
		case "/v2/registries/back/docker-credentials":
			http.Redirect(w, r, otherURL+"/hop1?then=back", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, testCredBody)
		}
	}))
	other := serverOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add("other", r)
		switch {
		case r.URL.Path == "/hop1":
			// A relative Location: a same-host hop on the other host.
			http.Redirect(w, r, "/hop2?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
		case r.URL.Path == "/hop2" && r.URL.Query().Get("then") == "back":
			http.Redirect(w, r, apiURL+"/v2/landing", http.StatusPermanentRedirect)
		case r.URL.Path == "/hop2":
			http.Redirect(w, r, otherURL+"/final", http.StatusSeeOther)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, testCredBody)
		}
	}))
	apiURL, otherURL = api.URL, other.URL

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, _ := newTest(t, tr, WithBaseURL(apiURL))
	ctx := context.Background()
	callerAuth := func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer caller-set-"+testToken)
		return nil
	}
	if _, err := c.DockerCredentials(ctx, CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DockerCredentials(ctx, CredentialsRequest{Registry: "back"}); err != nil {
		t.Fatal(err)
	}
	// The same chain through the generated client, with a header set by
	// the caller on the first request.
	//lint:ignore SA1019 the deprecated single-registry endpoint is the one that redirects here
	resp, err := c.API().RegistryGetDockerCredentials(ctx, nil, callerAuth)
	if err != nil {
		t.Fatal(err)
	}
	transport.Discard(resp.Body)
	bearer := "auth=Bearer " + testToken
	want := []string{
		"api /v2/registry/docker-credentials " + bearer,
		"other /hop1 auth=",
		"other /hop2 auth=",
		"other /final auth=",
		"api /v2/registries/back/docker-credentials " + bearer,
		"other /hop1 auth=",
		"other /hop2 auth=",
		"api /v2/landing auth=",
		"api /v2/registry/docker-credentials " + bearer,
		"other /hop1 auth=",
		"other /hop2 auth=",
		"other /final auth=",
	}
	if got := log.get(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// rendered is every way a program is likely to show an error: fmt verbs,
// slog (text and JSON), and a panic value as the runtime prints it.
func rendered(err error) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%v\n%+v\n%#v\n%s\n%q\n", err, err, err, err, err)
	for _, h := range []slog.Handler{slog.NewTextHandler(&b, nil), slog.NewJSONHandler(&b, nil)} {
		slog.New(h).Error("docr call failed", "err", err, "error", slog.AnyValue(err))
	}
	b.WriteString(panicText(err))
	return b.String()
}

func panicText(err error) (s string) {
	defer func() { s = fmt.Sprint(recover()) }()
	panic(err)
}

// noDNSTransport resolves through a resolver whose DNS server cannot be
// reached, so that a lookup fails as a real DNS failure (*net.DNSError)
// without sending any packet.
func noDNSTransport() *http.Transport {
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in this test")
	}}
	d := &net.Dialer{Resolver: r, Timeout: 2 * time.Second}
	return &http.Transport{DialContext: d.DialContext}
}

// echoHandler answers status with a body, headers and a message that quote
// whatever the client sent, the Authorization header and the form included.
func echoHandler(status int, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		auth := r.Header.Get("Authorization")
		echo := auth + " " + r.URL.String() + " " + r.PostForm.Encode()
		w.Header().Set("X-Request-Id", auth)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", token="`+strings.TrimPrefix(auth, "Bearer ")+`"`)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		if strings.Contains(contentType, "json") {
			b, _ := json.Marshal(map[string]string{"id": "echo " + auth, "message": "you sent " + echo, "request_id": auth,
				"error": "invalid_token", "error_description": "unknown token " + echo})
			_, _ = w.Write(b)
			return
		}
		_, _ = io.WriteString(w, "<html><body>you sent "+echo+"</body></html>")
	}
}

// Case 2. No failure shows the API token or a credential password: DNS
// failure, connection refused, TLS failure, a 500 (and a 503 until retries
// run out, and an HTML 502) whose body, request id and headers echo the
// token, a redirect that puts the token into a URL, a timeout, and tokens
// with control characters. Every error is checked as fmt, slog and a panic
// would print it.
func TestHardeningNoSecretInAnyError(t *testing.T) {
	t.Parallel()
	const password = "dop_v1_mintedpassword0123456789abcdef"
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	tlsSrv := httptest.NewTLSServer(echoHandler(200, "application/json"))
	defer tlsSrv.Close()
	echo500 := httptest.NewServer(echoHandler(500, "application/json"))
	defer echo500.Close()
	echo503 := httptest.NewServer(echoHandler(503, "application/json"))
	defer echo503.Close()
	echo502html := httptest.NewServer(echoHandler(502, "text/html"))
	defer echo502html.Close()
	echo401 := httptest.NewServer(echoHandler(401, "application/json"))
	defer echo401.Close()
	release := make(chan struct{})
	hangDeadlines := newAttemptDeadlines()
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/revoke" {
			hangDeadlines.stuck()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release) // before hang.Close, which waits for its handlers
	var otherURL string
	leakyRedirect := serverOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Puts the token into the path and query of another host's URL.
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		http.Redirect(w, r, otherURL+"/steal/"+tok+"?token="+tok, http.StatusFound)
	}))
	other := serverOn(t, "127.0.0.2", echoHandler(500, "application/json"))
	otherURL = other.URL
	selfRedirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		http.Redirect(w, r, "/loop/"+tok+"/"+r.URL.Path, http.StatusFound)
	}))
	defer selfRedirect.Close()

	type scenario struct {
		name string
		call func(t *testing.T) error
		// check, when set, asserts the error is still useful.
		check func(t *testing.T, err error)
	}
	api := func(base string, tr http.RoundTripper, opts ...Option) func(t *testing.T) error {
		return func(t *testing.T) error {
			all := append([]Option{WithTransport(tr), WithBaseURL(base), withClock((&fakeClock{}).clock())}, opts...)
			c, err := New(testToken, all...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.DockerCredentials(context.Background(), CredentialsRequest{Registry: "example", ReadWrite: true})
			return err
		}
	}
	revoke := func(url string, tr http.RoundTripper, pw string) func(t *testing.T) error {
		return func(t *testing.T) error {
			return RevokeCredential(context.Background(), pw, WithTransport(tr), WithRevokeURL(url), WithTimeout(300*time.Millisecond))
		}
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	dns := noDNSTransport()
	defer dns.CloseIdleConnections()
	isAPIError := func(status int) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != status {
				t.Errorf("want an *APIError %d, got %T %v", status, err, err)
			}
		}
	}
	scenarios := []scenario{
		{"DNS failure", api("https://nonexistent.invalid", dns), func(t *testing.T, err error) {
			var de *net.DNSError
			if !errors.As(err, &de) || de.Name != "nonexistent.invalid" {
				t.Errorf("want a *net.DNSError for nonexistent.invalid, got %v", err)
			}
		}},
		{"connection refused", api(refusedURL, tr), func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "after 4 attempts") {
				t.Errorf("err = %v", err)
			}
		}},
		{"TLS failure", api(tlsSrv.URL, tr), func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "certificate") {
				t.Errorf("err = %v", err)
			}
		}},
		{"500 echoing the token", api(echo500.URL, tr, WithRetry(RetryPolicy{MaxAttempts: 1})), isAPIError(500)},
		{"503 echoing the token until retries run out", api(echo503.URL, tr), func(t *testing.T, err error) {
			var ae *APIError
			if !errors.As(err, &ae) || ae.Attempts != DefaultMaxAttempts || !errors.Is(err, ErrServer) {
				t.Errorf("err = %v", err)
			}
			if bytes.Contains(ae.Body, []byte(testToken)) || strings.Contains(ae.Message+ae.ID+ae.RequestID, testToken) {
				t.Errorf("APIError fields hold the token: %+v", ae)
			}
		}},
		{"HTML 502 echoing the token", api(echo502html.URL, tr, WithRetry(RetryPolicy{MaxAttempts: 1})), isAPIError(502)},
		{"401 echoing the token", api(echo401.URL, tr), isAPIError(401)},
		{"redirect putting the token into another host's URL", api(leakyRedirect.URL, tr, WithRetry(RetryPolicy{MaxAttempts: 1})), isAPIError(500)},
		{"redirect loop with the token in the path", api(selfRedirect.URL, tr), func(t *testing.T, err error) {
			if !errors.Is(err, transport.ErrTooManyRedirects) {
				t.Errorf("err = %v", err)
			}
		}},
		{"timeout", api(hang.URL, tr, WithTimeout(150*time.Millisecond), WithRetry(RetryPolicy{MaxAttempts: 2}), withClock(transport.Clock{
			Now: func() time.Time { return testEpoch }, Sleep: (&fakeClock{}).clock().Sleep, Jitter: transport.RealClock().Jitter, Deadline: hangDeadlines.deadline,
		})), func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "Timeout") && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v", err)
			}
			if got := hangDeadlines.timeouts(); !slices.Equal(got, []time.Duration{150 * time.Millisecond, 150 * time.Millisecond}) {
				t.Errorf("attempt timeouts %v, want WithTimeout's 150ms twice", got)
			}
		}},
		{"token passed as the registry name (clumsy user)", func(t *testing.T) error {
			c, err := New(testToken, WithTransport(tr), WithBaseURL(echo401.URL))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.DockerCredentials(context.Background(), CredentialsRequest{Registry: testToken})
			return err
		}, func(t *testing.T, err error) {
			// Refused before any request: a token is no registry name.
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("err = %v", err)
			}
		}},
		{"token with a NUL", func(*testing.T) error { _, err := New(testToken[:10] + "\x00" + testToken[10:]); return err }, nil},
		{"token with a newline", func(*testing.T) error { _, err := New(testToken + "\n" + testToken); return err }, nil},
		{"token with an escape sequence", func(*testing.T) error { _, err := New(testToken + "\x1b[2J"); return err }, nil},
		{"token with a DEL", func(*testing.T) error { _, err := New(testToken + "\x7f"); return err }, nil},
		{"token with an unbalanced quote", func(*testing.T) error { _, err := New(`"` + testToken); return err }, nil},
		{"token not UTF-8", func(*testing.T) error { _, err := New(testToken + "\xff"); return err }, nil},
		{"revoke: DNS failure", revoke("https://nonexistent.invalid/v1/oauth/revoke", dns, password), nil},
		{"revoke: connection refused", revoke(refusedURL+"/revoke", tr, password), nil},
		{"revoke: TLS failure", revoke(tlsSrv.URL+"/revoke", tr, password), nil},
		{"revoke: 401 echoing the password", revoke(echo401.URL+"/revoke", tr, password), isAPIError(401)},
		{"revoke: HTML 502 echoing the password", revoke(echo502html.URL+"/revoke", tr, password), isAPIError(502)},
		{"revoke: redirect (not followed)", revoke(leakyRedirect.URL+"/revoke", tr, password), isAPIError(302)},
		{"revoke: timeout", revoke(hang.URL+"/revoke", tr, password), nil},
		{"revoke: password with control characters", revoke(echo401.URL, tr, password+"\x00\r\n"), func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			start := time.Now()
			err := sc.call(t)
			if err == nil {
				t.Fatal("no error")
			}
			if d := time.Since(start); d > testctx.HangGuard {
				t.Errorf("took %v", d)
			}
			out := rendered(err)
			for _, secret := range []string{testToken, password, testToken[:10] + "\x00", base64.StdEncoding.EncodeToString([]byte(testToken))} {
				if strings.Contains(out, secret) {
					t.Errorf("the error shows a secret %q:\n%s", secret, out)
				}
			}
			var ae *APIError
			if !errors.As(err, &ae) && (strings.Contains(out, "expiry_seconds") || strings.Contains(out, "read_write")) {
				// (An API error may quote what the server says, query included.)
				t.Errorf("the error shows the query string:\n%s", out)
			}
			if sc.check != nil {
				sc.check(t, err)
			}
		})
	}
}

// Case 10. Bad payloads from a real server are rejected with
// ErrInvalidCredentials or ErrResponseTooLarge, quickly and without reading
// an unbounded body; a password with colons is accepted.
func TestHardeningBadCredentialPayloads(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	doc := func(auth string) string { return `{"auths":{"` + testHost + `":{"auth":"` + auth + `"}}}` }
	var written atomic.Int64
	endlessDone := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.URL.Query().Get("x-body")
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("X-Case") {
		case "html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<!doctype html><html><body>Welcome to the captive portal</body></html>")
		case "endless":
			// Streams a valid-looking JSON body forever (bounded at 64 MiB
			// so that the test ends even if docr reads it all).
			defer func() { endlessDone <- struct{}{} }()
			chunk := bytes.Repeat([]byte("A"), 64<<10)
			_, _ = io.WriteString(w, `{"auths":{"h":{"auth":"`)
			for range 1024 {
				n, err := w.Write(chunk)
				written.Add(int64(n))
				if err != nil {
					return
				}
			}
		case "huge-error":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"id":"server_error","message":"`+strings.Repeat("x", 10<<20)+`"}`)
		default:
			_, _ = io.WriteString(w, body)
		}
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()

	rejected := []struct{ name, header, body, want string }{
		{"auth not base64", "", doc("not base64!"), "is not valid base64"},
		{"auth without colon", "", doc(b64("nocolonsecretvalue")), "has no colon"},
		{"empty user name", "", doc(b64(":" + testPassword)), "empty user name"},
		{"empty password", "", doc(b64(testUser + ":")), "empty password"},
		{"empty auths", "", `{"auths":{}}`, "no auths"},
		{"no auths", "", `{"registry":"example"}`, "no auths"},
		{"200 with HTML", "html", "", "not valid JSON"},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fetchWith(t, srv.URL, tr, tc.header, tc.body)
			if !errors.Is(err, ErrInvalidCredentials) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidCredentials saying %q", err, tc.want)
			}
			assertNoSecret(t, rendered(err), "nocolonsecretvalue")
		})
	}
	t.Run("password with colons accepted", func(t *testing.T) {
		creds, err := fetchWith(t, srv.URL, tr, "", doc(b64("user:pa:ss::word:")))
		if err != nil {
			t.Fatal(err)
		}
		if e := creds.Config.Auths[testHost]; e.Username != "user" || e.Secret != "pa:ss::word:" {
			t.Errorf("split at the wrong colon: %q %q", e.Username, e.Secret)
		}
	})
	t.Run("200 with an endless body", func(t *testing.T) {
		err := within(t, "fetch", func() error {
			_, err := fetchWith(t, srv.URL, tr, "endless", "")
			return err
		})
		if !errors.Is(err, ErrResponseTooLarge) {
			t.Fatalf("err = %v, want ErrResponseTooLarge", err)
		}
		// docr stopped reading after about 1 MiB and closed the
		// connection: the server, done writing, could only fill the socket
		// buffers, far from the 64 MiB it had to send.
		within(t, "the server's handler", func() struct{} { <-endlessDone; return struct{}{} })
		if n := written.Load(); n > 32<<20 {
			t.Errorf("the server wrote %d MiB: docr read far beyond its limit", n>>20)
		}
	})
	t.Run("500 with a 10 MiB body", func(t *testing.T) {
		err := within(t, "fetch", func() error {
			_, err := fetchWith(t, srv.URL, tr, "huge-error", "")
			return err
		})
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != 500 || len(ae.Body) > transport.MaxErrorBody {
			t.Fatalf("err = %v", err)
		}
	})
}

// fetchWith asks srv for credentials, telling it what to answer through the
// X-Case header and the x-body query parameter.
func fetchWith(t *testing.T, base string, tr http.RoundTripper, header, body string) (*Credentials, error) {
	t.Helper()
	edit := rtFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Case", header)
		q := r.URL.Query()
		q.Set("x-body", body)
		r.URL.RawQuery = q.Encode()
		return tr.RoundTrip(r)
	})
	c, err := New(testToken, WithTransport(edit), WithBaseURL(base), WithRetry(RetryPolicy{MaxAttempts: 1}), WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c.DockerCredentials(context.Background(), CredentialsRequest{})
}

// Case 12. A slowloris server that sends its headers at once and then one
// byte of a JSON body every 200ms, or trickles the headers themselves, is
// cut off by WithTimeout: each attempt ends after the timeout, and the call
// after a bounded number of attempts.
func TestHardeningSlowServerCutOffByTimeout(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	// The attempt's deadline passes once the server has trickled its
	// first byte, whatever the machine's speed: the answer is then
	// certainly incomplete and docr is certainly waiting for the rest.
	deadlines := newAttemptDeadlines()
	trickle := func(w io.Writer, flush func(), data string) {
		for i := range len(data) {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := w.Write([]byte{data[i]}); err != nil {
				return
			}
			flush()
			if i == 0 {
				deadlines.stuck()
			}
		}
	}
	body := testCredBody + strings.Repeat(" ", 200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("read_write") == "true" {
			// Trickle the status line and headers through the raw connection.
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			head := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n"
			trickle(buf, func() { _ = buf.Flush() }, head+body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		trickle(w, func() { _ = rc.Flush() }, body)
	}))
	defer func() {
		close(stop)
		srv.CloseClientConnections()
		srv.Close()
	}()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for _, tc := range []struct {
		name      string
		readWrite bool
	}{{"body trickles", false}, {"headers trickle", true}} {
		t.Run(tc.name, func(t *testing.T) {
			const timeout = 700 * time.Millisecond
			clk := transport.RealClock()
			clk.Deadline = deadlines.deadline
			before := len(deadlines.timeouts())
			c, err := New(testToken, WithTransport(tr), WithBaseURL(srv.URL), WithTimeout(timeout), withClock(clk),
				WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
			if err != nil {
				t.Fatal(err)
			}
			// The whole answer would take over a minute; the attempts end
			// when their deadline passes (the body read is not retried).
			err = within(t, "DockerCredentials", func() error {
				_, err := c.DockerCredentials(context.Background(), CredentialsRequest{ReadWrite: tc.readWrite})
				return err
			})
			if err == nil {
				t.Fatal("a slowloris answer was accepted")
			}
			got := deadlines.timeouts()[before:]
			if len(got) == 0 || len(got) > 2 {
				t.Errorf("%d attempts, want 1 or 2", len(got))
			}
			for _, d := range got {
				if d != timeout {
					t.Errorf("an attempt was bounded by %v, want WithTimeout's %v", d, timeout)
				}
			}
			if !strings.Contains(err.Error(), "Timeout") && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want a timeout", err)
			}
			assertNoSecret(t, rendered(err))
		})
	}
}

// Case 11. A context cancelled while docr waits out a Retry-After returns at
// once with the context's error, with the real clock's sleep: the context is
// cancelled when docr has started its hour-long wait, and the call must
// return well within the hang guard.
func TestHardeningCancelDuringRetryAfterWait(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"id":"too_many_requests","message":"API Rate limit exceeded."}`)
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	clk, waits := sleepWatch()
	c, err := New(testToken, WithTransport(tr), WithBaseURL(srv.URL), withClock(clk), WithRetry(RetryPolicy{MaxDelay: 2 * time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-waits:
			cancel()
		case <-ctx.Done():
		}
	}()
	err = within(t, "DockerCredentials", func() error {
		_, err := c.DockerCredentials(ctx, CredentialsRequest{})
		return err
	})
	if !errors.Is(err, context.Canceled) || calls.Load() != 1 {
		t.Errorf("err = %v after %d calls", err, calls.Load())
	}
}

// FuzzAuthDecode isolates the decoding of one auths[host].auth value (the
// part of ParseCredentials an attacker controls most): it is accepted
// exactly when it is canonical standard base64 of "user:password" with a
// non-empty user name and password, split at the first colon, and an error
// never holds the value or its decoded halves.
func FuzzAuthDecode(f *testing.F) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		b64("user:pass"), b64("u:p:a:s:s"), b64("u::"), b64(":p"), b64("u:"), b64("nocolon"), b64(""),
		b64("user:pass")[:6], "not base64!", "dXNlcjpwYXNz\n", "dXNl\r\ncjpwYXNz", "dXNlcjpwYXNz=", "0006001=",
		b64("\x00:\xff"), b64("ü:ß"), " " + b64("user:pass"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		raw, err := json.Marshal(map[string]any{"auths": map[string]any{testHost: map[string]string{"auth": auth}}})
		if err != nil {
			t.Skip() // not representable as a JSON string
		}
		c, err := ParseCredentials(raw)
		dec, decErr := base64.StdEncoding.Strict().DecodeString(auth)
		user, pass, colon := strings.Cut(string(dec), ":")
		want := decErr == nil && !strings.ContainsAny(auth, "\r\n") && colon && user != "" && pass != ""
		if (err == nil) != want {
			t.Fatalf("ParseCredentials(auth %q) = %v, want accepted=%v", auth, err, want)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("error %v is not ErrInvalidCredentials", err)
			}
			msg := err.Error()
			const prose = "docr: invalid credentials: auth for host registry.digitalocean.com is not valid base64 has no colon between user name and password an empty user name password no auth for host"
			for _, s := range []string{auth, string(dec), user, pass} {
				if len(s) >= 4 && strings.Contains(msg, s) && !strings.Contains(prose, s) {
					t.Fatalf("error %q holds %q", msg, s)
				}
			}
			return
		}
		e := c.Config.Auths[testHost]
		if e.Auth() != auth || e.Username != user || e.Secret != pass || strings.Contains(e.Username, ":") {
			t.Fatalf("entry %q/%q from %q", e.Username, e.Secret, auth)
		}
		if b64(e.Username+":"+e.Secret) != auth {
			t.Fatalf("auth %q does not round-trip", auth)
		}
	})
}

// Case 2 (and 10), text a hostile server controls: an error message, id or
// request id with terminal escape sequences, bell, line breaks, bidi
// overrides or invalid UTF-8 is printed defanged; a registry host with such
// characters, or with any other character outside printable ASCII (a
// look-alike), is refused.
func TestHardeningServerTextCannotDriveTheTerminal(t *testing.T) {
	t.Parallel()
	const evil = "\x1b]0;pwned\x07\x1b[2J\x1b[1;31mfake prompt\r\nline2\u202etxt.exe\xff\x00\x7f\u0085"
	body, _ := json.Marshal(map[string]string{"id": "bad" + evil, "message": "msg" + evil, "request_id": "rid" + evil})
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) {
		return jsonReply(http.StatusForbidden, string(body), "x-request-id", "hdr"), nil
	})
	c, _ := newTest(t, mt)
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, r := range msg {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
			t.Fatalf("Error() holds the control character %U: %q", r, msg)
		}
	}
	for _, want := range []string{"bad", "msg", "fake prompt", "line2", "rid"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() %q lost the text %q", msg, want)
		}
	}
	if ae.Message != "msg"+strings.ToValidUTF8(evil, "\uFFFD") {
		t.Errorf("the Message field itself must stay as the server sent it: %q", ae.Message)
	}

	b64 := base64.StdEncoding.EncodeToString([]byte("user:password"))
	for _, host := range []string{"registry.example\x1b[2J", "reg\nistry", "registry example", "\u202eregistry", "reg\u0085", "reg\tistry", "\xffreg",
		"registry.digitalocean.com\u200b", "reg\u0456stry.digitalocean.com", "registry.digitalocean.com\u200e",
		"\u200fregistry.digitalocean.com", "registry.digital\u061cocean.com", "bücher.example"} {
		raw, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": b64}}})
		if !utf8Valid(host) {
			raw = []byte(`{"auths":{"` + host + `":{"auth":"` + b64 + `"}}}`)
		}
		_, err := ParseCredentials(raw)
		if !errors.Is(err, ErrInvalidCredentials) || !errors.Is(err, registryhost.ErrInvalid) || !strings.Contains(err.Error(), "outside printable ASCII") {
			t.Errorf("host %q: err = %v", host, err)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\n\t\u0085\u202e\u200b\u0456\u200e\u200f\u061cü") {
			t.Errorf("host %q: the error quotes it raw: %q", host, err)
		}
	}
	if _, err := ParseCredentials([]byte(`{"auths":{"registry.example:5000":{"auth":"` + b64 + `"},"xn--bcher-kva.example":{"auth":"` + b64 + `"}}}`)); err != nil {
		t.Errorf("ordinary hosts refused: %v", err)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }
