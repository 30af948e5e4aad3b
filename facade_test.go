package docr_test

// User journeys through the facade, with httpmock's non-global mock
// transport as the BASE transport under docr's auth layer (so the token,
// User-Agent, retries and redirect policy are all exercised). Every test
// here is named TestFacadeJourney*; fake-API integration tests live in
// their own functions.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
)

const (
	journeyToken    = "dop_v1_journey0123456789abcdefjourney"
	journeyUser     = "dop_v1_docr_user_journey42"
	journeyPassword = "journey:pass:with:colons99"
	journeyAPI      = "https://api.digitalocean.com"
)

var (
	journeyAuth  = base64.StdEncoding.EncodeToString([]byte(journeyUser + ":" + journeyPassword))
	journeyCreds = `{"auths":{"registry.digitalocean.com":{"auth":"` + journeyAuth + `"}}}`
)

// journeyClient returns a facade client over a fresh mock transport, with
// fast retries.
func journeyClient(t *testing.T, opts ...facade.Option) (*facade.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	base := []facade.Option{
		facade.WithTransport(mt),
		facade.WithRetry(facade.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}),
	}
	c, err := facade.New(journeyToken, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

func journeyJSON(status int, body string, hdr ...string) *http.Response {
	r := httpmock.NewStringResponse(status, body)
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

// journeyCheckHeaders fails unless req carries the token and docr's UA.
func journeyCheckHeaders(t *testing.T, req *http.Request) {
	t.Helper()
	if got := req.Header.Get("Authorization"); got != "Bearer "+journeyToken {
		t.Errorf("%s %s: Authorization = %q", req.Method, req.URL.Path, got)
	}
	if got := req.Header.Get("User-Agent"); got != facade.DefaultUserAgent {
		t.Errorf("%s %s: User-Agent = %q", req.Method, req.URL.Path, got)
	}
}

// journeyNoSecrets fails if s contains the token, a credential or a query.
func journeyNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{journeyToken, journeyUser, journeyPassword, journeyAuth, "expiry_seconds", "read_write", "2592000"} {
		if strings.Contains(s, secret) {
			t.Errorf("%q leaked in %q", secret, s)
		}
	}
}

// A user asks for credentials with every combination of options, on both
// endpoints: exact method, path, raw query, token and User-Agent.
func TestFacadeJourneyDockerCredentialsQueries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		req   facade.CredentialsRequest
		query string
	}{
		{facade.CredentialsRequest{}, "expiry_seconds=2592000&read_write=false"},
		{facade.CredentialsRequest{ReadWrite: true}, "expiry_seconds=2592000&read_write=true"},
		{facade.CredentialsRequest{Expiry: 2 * time.Hour}, "expiry_seconds=7200&read_write=false"},
		{facade.CredentialsRequest{Expiry: 2 * time.Hour, ReadWrite: true}, "expiry_seconds=7200&read_write=true"},
		{facade.CredentialsRequest{NeverExpire: true}, "read_write=false"},
		{facade.CredentialsRequest{NeverExpire: true, ReadWrite: true}, "read_write=true"},
	}
	for _, tc := range cases {
		for _, registry := range []string{"", "my-registry"} {
			t.Run(fmt.Sprintf("%s?%s", registry, tc.query), func(t *testing.T) {
				t.Parallel()
				c, mt := journeyClient(t)
				path := "/v2/registry/docker-credentials"
				if registry != "" {
					path = "/v2/registries/" + registry + "/docker-credentials"
				}
				// Registered with its exact query: any other query finds no responder.
				mt.RegisterResponder(http.MethodGet, journeyAPI+path+"?"+tc.query, func(req *http.Request) (*http.Response, error) {
					journeyCheckHeaders(t, req)
					if req.URL.RawQuery != tc.query {
						t.Errorf("query = %q", req.URL.RawQuery)
					}
					return journeyJSON(200, journeyCreds), nil
				})
				req := tc.req
				req.Registry = registry
				start := time.Now()
				creds, err := c.DockerCredentials(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				end := time.Now()
				if n := mt.GetTotalCallCount(); n != 1 {
					t.Errorf("%d calls", n)
				}
				a := creds.Config.Auths["registry.digitalocean.com"]
				if a.Username != journeyUser || a.Secret != journeyPassword || string(creds.Raw) != journeyCreds {
					t.Errorf("credentials = %q %q %q", a.Username, a.Secret, []byte(creds.Raw))
				}
				if req.NeverExpire != creds.ExpiresAt.IsZero() {
					t.Errorf("ExpiresAt = %v", creds.ExpiresAt)
				}
				if !req.NeverExpire {
					want := facade.DefaultExpiry
					if req.Expiry != 0 {
						want = req.Expiry
					}
					// Counted from when the request was made: between the
					// call's start and end, however long it took.
					if creds.ExpiresAt.Before(start.Add(want)) || creds.ExpiresAt.After(end.Add(want)) {
						t.Errorf("ExpiresAt in %v, want %v from the request", creds.ExpiresAt.Sub(start), want)
					}
				}
				journeyNoSecrets(t, fmt.Sprintf("%v %+v %#v", creds, creds, creds))
			})
		}
	}
}

// A registry name outside the API's rule (here one that would need escaping
// and holds a slash) is refused before any request; a valid one is sent as
// is.
func TestFacadeJourneyRegistryName(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t)
	var paths []string
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		paths = append(paths, req.URL.EscapedPath())
		return journeyJSON(200, journeyCreds), nil
	})
	_, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "a b/c"})
	if !errors.Is(err, facade.ErrInvalidRequest) || err.Error() != "docr: invalid request: registry name has ' ' at byte 1: use 1 to 63 lower-case letters, digits and hyphens" {
		t.Errorf("err = %v", err)
	}
	if _, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "my-registry-2"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"/v2/registries/my-registry-2/docker-credentials"}; !slices.Equal(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}
}

// Every way a credentials call can fail gives a typed error without
// secrets.
func TestFacadeJourneyErrorPaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		replies  []*http.Response
		is       error
		status   int
		attempts int
	}{
		{"401", []*http.Response{journeyJSON(401, `{"id":"unauthorized","message":"Unable to authenticate you."}`)}, facade.ErrUnauthorized, 401, 1},
		{"403", []*http.Response{journeyJSON(403, `{"id":"forbidden","message":"You are not authorized to perform this operation."}`)}, facade.ErrForbidden, 403, 1},
		{"404", []*http.Response{journeyJSON(404, `{"id":"not_found","message":"The resource you were accessing could not be found.","request_id":"4d9d8375"}`)}, facade.ErrNotFound, 404, 1},
		{"429 then 200", []*http.Response{
			journeyJSON(429, `{"id":"too_many_requests","message":"API rate limit exceeded."}`, "Retry-After", "0", "ratelimit-remaining", "0"),
			journeyJSON(200, journeyCreds, "ratelimit-limit", "5000", "ratelimit-remaining", "4999", "ratelimit-reset", "1444931833"),
		}, nil, 200, 2},
		{"500 until exhausted", []*http.Response{
			journeyJSON(500, `{"id":"server_error","message":"Unexpected server-side error"}`),
			journeyJSON(500, `{"id":"server_error","message":"Unexpected server-side error"}`),
			journeyJSON(500, `{"id":"server_error","message":"Unexpected server-side error"}`),
			journeyJSON(500, `{"id":"server_error","message":"Unexpected server-side error"}`),
		}, facade.ErrServer, 500, 4},
		{"non-JSON body", []*http.Response{
			httpmock.NewStringResponse(502, "<html>bad gateway</html>"),
			httpmock.NewStringResponse(502, "<html>bad gateway</html>"),
			httpmock.NewStringResponse(502, "<html>bad gateway</html>"),
			httpmock.NewStringResponse(502, "<html>bad gateway</html>"),
		}, facade.ErrServer, 502, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := journeyClient(t)
			mt.RegisterNoResponder(httpmock.ResponderFromMultipleResponses(tc.replies, t.Log))
			creds, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "example", ReadWrite: true})
			if got := mt.GetTotalCallCount(); got != tc.attempts {
				t.Errorf("%d calls, want %d", got, tc.attempts)
			}
			if tc.is == nil {
				if err != nil || creds == nil {
					t.Fatalf("err = %v", err)
				}
				if rl := c.RateLimit(); rl.Remaining != 4999 || rl.Limit != 5000 {
					t.Errorf("RateLimit = %+v", rl)
				}
				return
			}
			var ae *facade.APIError
			if !errors.As(err, &ae) || !errors.Is(err, tc.is) {
				t.Fatalf("err = %T %v", err, err)
			}
			if ae.StatusCode != tc.status || ae.Attempts != tc.attempts {
				t.Errorf("APIError = %+v", ae)
			}
			if tc.status == 502 && string(ae.Body) != "<html>bad gateway</html>" {
				t.Errorf("Body = %q", ae.Body)
			}
			journeyNoSecrets(t, err.Error())
		})
	}
}

// Transport failures and invalid requests: errors keep their causes and
// never show a query or a secret.
func TestFacadeJourneyTransportFailures(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t)
	mt.RegisterNoResponder(httpmock.ConnectionFailure)
	_, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{ReadWrite: true})
	var ue *url.Error
	if !errors.As(err, &ue) || !errors.Is(err, httpmock.NoResponderFound) {
		t.Fatalf("err = %v", err)
	}
	journeyNoSecrets(t, err.Error())

	_, err = c.DockerCredentials(context.Background(), facade.CredentialsRequest{Expiry: time.Hour, NeverExpire: true})
	if !errors.Is(err, facade.ErrInvalidRequest) {
		t.Errorf("err = %v", err)
	}
}

// Cancelling while docr waits to retry returns at once.
func TestFacadeJourneyCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	// The backoff is at least half an hour: a call that returns within the
	// hang guard was cut short. The deadline passes once the server has
	// answered the first attempt, so docr is in (or about to start) its wait.
	c, mt := journeyClient(t, facade.WithRetry(facade.RetryPolicy{BaseDelay: time.Hour, MaxDelay: 2 * time.Hour}))
	ctx := testctx.WithDeadline(context.Background())
	defer ctx.Stop()
	mt.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
		defer ctx.Expire()
		return httpmock.NewStringResponse(503, `{"id":"unavailable","message":"later"}`), nil
	})
	err := testctx.Within(t.Fatal, "DockerCredentials", func() error {
		_, err := c.DockerCredentials(ctx, facade.CredentialsRequest{})
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) || mt.GetTotalCallCount() != 1 {
		t.Fatalf("after %d calls: %v", mt.GetTotalCallCount(), err)
	}
	journeyNoSecrets(t, err.Error())
}

// The API redirects to another host, which redirects back: the token is
// sent on the first hop only.
func TestFacadeJourneyRedirectKeepsTokenHome(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t)
	var mu sync.Mutex
	var hops []string
	record := func(req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hops = append(hops, req.URL.Host+req.URL.Path+" "+req.Header.Get("Authorization"))
	}
	redirect := func(to string) httpmock.Responder {
		return func(req *http.Request) (*http.Response, error) {
			record(req)
			r := httpmock.NewStringResponse(http.StatusFound, "")
			r.Header.Set("Location", to)
			return r, nil
		}
	}
	mt.RegisterResponder("GET", journeyAPI+"/v2/registry/docker-credentials", redirect("https://elsewhere.example/hop"))
	mt.RegisterResponder("GET", "https://elsewhere.example/hop", redirect(journeyAPI+"/v2/landing"))
	mt.RegisterResponder("GET", journeyAPI+"/v2/landing", func(req *http.Request) (*http.Response, error) {
		record(req)
		return journeyJSON(200, journeyCreds), nil
	})
	if _, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"api.digitalocean.com/v2/registry/docker-credentials Bearer " + journeyToken,
		"elsewhere.example/hop ",
		"api.digitalocean.com/v2/landing ",
	}
	if strings.Join(hops, "\n") != strings.Join(want, "\n") {
		t.Errorf("hops:\n%s", strings.Join(hops, "\n"))
	}
}

// docr logout: the credential's password is revoked with itself, never
// with the API token.
func TestFacadeJourneyLogoutRevokes(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t)
	mt.RegisterResponder("POST", "https://cloud.digitalocean.com/v1/oauth/revoke", func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") != "Bearer "+journeyPassword {
			t.Errorf("Authorization = %q", req.Header.Get("Authorization"))
		}
		if err := req.ParseForm(); err != nil || req.PostForm.Get("token") != journeyPassword {
			t.Errorf("form = %v %v", req.PostForm, err)
		}
		return httpmock.NewStringResponse(200, ""), nil
	})
	if err := c.RevokeCredential(context.Background(), journeyPassword); err != nil {
		t.Fatal(err)
	}
	// Without an API token, and with a failure: typed, no password.
	mt2 := httpmock.NewMockTransport()
	mt2.RegisterResponder("POST", "https://revoke.test/oauth/revoke",
		httpmock.NewStringResponder(401, `{"error":"invalid_token","error_description":"unknown token `+journeyPassword+`"}`))
	err := facade.RevokeCredential(context.Background(), journeyPassword, facade.WithTransport(mt2), facade.WithRevokeURL("https://revoke.test/oauth/revoke"))
	if !errors.Is(err, facade.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	journeyNoSecrets(t, err.Error())
}

// Listing repositories page by page, and stopping early.
func TestFacadeJourneyListRepositories(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t, facade.WithPerPage(1))
	list := journeyAPI + "/v2/registries/example/repositoriesV2"
	mt.RegisterResponder("GET", list+"?per_page=1", func(req *http.Request) (*http.Response, error) {
		journeyCheckHeaders(t, req)
		return journeyJSON(200, `{"repositories":[{"name":"repo-1"}],"links":{"pages":{"next":"`+list+`?page=2&page_token=JPZmZzZXQiOjB9&per_page=1"}},"meta":{"total":2}}`), nil
	})
	mt.RegisterResponder("GET", list+"?per_page=1&page=2&page_token=JPZmZzZXQiOjB9",
		httpmock.NewStringResponder(200, `{"repositories":[{"name":"repo-2"}],"links":{"pages":{"prev":"x"}},"meta":{"total":2}}`))
	var names []string
	for repo, err := range c.Repositories(context.Background(), "example") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, *repo.Name)
	}
	if strings.Join(names, ",") != "repo-1,repo-2" || mt.GetTotalCallCount() != 2 {
		t.Errorf("names %v after %d calls", names, mt.GetTotalCallCount())
	}
	mt.ZeroCallCounters()
	for range c.Repositories(context.Background(), "example") {
		break
	}
	if n := mt.GetTotalCallCount(); n != 1 {
		t.Errorf("break: %d calls", n)
	}
}

// The full generated API is reachable through the same layers, and Check
// turns failures into typed errors.
func TestFacadeJourneyGeneratedAPI(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t)
	mt.RegisterResponder("GET", journeyAPI+"/v2/registries/example", func(req *http.Request) (*http.Response, error) {
		journeyCheckHeaders(t, req)
		return journeyJSON(200, `{"registry":{"name":"example","region":"fra1"}}`), nil
	})
	mt.RegisterResponder("GET", journeyAPI+"/v2/registries/missing",
		httpmock.NewStringResponder(404, `{"id":"not_found","message":"no such registry"}`))
	mt.RegisterResponder("GET", journeyAPI+"/v2/registry/subscription", func(req *http.Request) (*http.Response, error) {
		journeyCheckHeaders(t, req)
		return journeyJSON(200, `{"subscription":{"tier":{"slug":"basic"}}}`), nil
	})
	ctx := context.Background()
	resp, err := facade.Check(c.API().RegistriesGetWithResponse(ctx, "example"))
	if err != nil || *resp.JSON200.Registry.Region != "fra1" {
		t.Fatalf("get: %v", err)
	}
	if _, err := facade.Check(c.API().RegistriesGetWithResponse(ctx, "missing")); !errors.Is(err, facade.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	//lint:ignore SA1019 the deprecated single-registry operations stay reachable
	sub, err := facade.Check(c.API().RegistryGetSubscriptionWithResponse(ctx))
	if err != nil || *sub.JSON200.Subscription.Tier.Slug != "basic" {
		t.Errorf("subscription: %v", err)
	}
	var _ *gen.ClientWithResponses = c.API()
}

// The token comes from DIGITALOCEAN_TOKEN, then DIGITALOCEAN_ACCESS_TOKEN.
func TestFacadeJourneyTokenFromEnv(t *testing.T) {
	for _, tc := range []struct{ token, access, want string }{
		{"env-token", "env-access", "env-token"},
		{"", "env-access", "env-access"},
		{"", "", ""},
	} {
		t.Setenv(facade.EnvToken, tc.token)
		t.Setenv(facade.EnvAccessToken, tc.access)
		mt := httpmock.NewMockTransport()
		var got string
		mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
			got = req.Header.Get("Authorization")
			return journeyJSON(200, `{"registries":[]}`), nil
		})
		c, err := facade.NewFromEnv(facade.WithTransport(mt))
		if tc.want == "" {
			if !errors.Is(err, facade.ErrNoToken) || !strings.Contains(err.Error(), facade.EnvToken) || !strings.Contains(err.Error(), facade.EnvAccessToken) {
				t.Errorf("err = %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Registries(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got != "Bearer "+tc.want {
			t.Errorf("Authorization = %q, want %q", got, tc.want)
		}
	}
}

// ---------------------------------------------------------------------------
// The same journeys against the fake DigitalOcean API (package docrtest):
// a real HTTP server that validates every request and response against the
// spec, keeps state, and records what it issued. Every test here is named
// TestFakeJourney*.

// fakeClient returns a facade client for srv, with fast retries.
func fakeClient(t *testing.T, srv *docrtest.Server, opts ...facade.Option) *facade.Client {
	t.Helper()
	base := []facade.Option{
		facade.WithBaseURL(srv.URL),
		facade.WithRetry(facade.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 50 * time.Millisecond}),
	}
	c, err := facade.New(srv.Token, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lastRequest returns the last request the fake recorded for operation op.
func lastRequest(t *testing.T, srv *docrtest.Server, op string) docrtest.RecordedRequest {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Operation == op {
			return reqs[i]
		}
	}
	t.Fatalf("the fake recorded no %s request", op)
	return docrtest.RecordedRequest{}
}

// registryStatus asks the fake registry's GET /v2/ with basic auth.
func registryStatus(t *testing.T, srv *docrtest.Server, user, pass string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestFakeJourneyCredentialsEveryOption(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t)
	c := fakeClient(t, srv)
	tests := []struct {
		name      string
		req       facade.CredentialsRequest
		op, path  string
		query     string
		readWrite bool
		expiry    int
	}{
		{"defaults", facade.CredentialsRequest{},
			"registry_get_dockerCredentials", "/v2/registry/docker-credentials", "expiry_seconds=2592000&read_write=false", false, 2592000},
		{"read-write one hour", facade.CredentialsRequest{ReadWrite: true, Expiry: time.Hour},
			"registry_get_dockerCredentials", "/v2/registry/docker-credentials", "expiry_seconds=3600&read_write=true", true, 3600},
		{"never expires", facade.CredentialsRequest{NeverExpire: true},
			"registry_get_dockerCredentials", "/v2/registry/docker-credentials", "read_write=false", false, 0},
		{"named registry defaults", facade.CredentialsRequest{Registry: "example"},
			"registries_get_dockerCredentials", "/v2/registries/example/docker-credentials", "expiry_seconds=2592000&read_write=false", false, 2592000},
		{"named registry read-write never", facade.CredentialsRequest{Registry: "example", ReadWrite: true, NeverExpire: true},
			"registries_get_dockerCredentials", "/v2/registries/example/docker-credentials", "read_write=true", true, 0},
		{"named registry 90s", facade.CredentialsRequest{Registry: "example", Expiry: 90 * time.Second},
			"registries_get_dockerCredentials", "/v2/registries/example/docker-credentials", "expiry_seconds=90&read_write=false", false, 90},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		before := time.Now()
		creds, err := c.DockerCredentials(context.Background(), tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		after := time.Now()
		r := lastRequest(t, srv, tt.op)
		if r.Method != http.MethodGet || r.Path != tt.path || r.RawQuery != tt.query {
			t.Errorf("%s: request %s %s?%s, want GET %s?%s", tt.name, r.Method, r.Path, r.RawQuery, tt.path, tt.query)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer REDACTED" {
			t.Errorf("%s: Authorization = %q", tt.name, got)
		}
		if ua := r.Header.Get("User-Agent"); ua != facade.DefaultUserAgent {
			t.Errorf("%s: User-Agent = %q", tt.name, ua)
		}
		issued := srv.Credentials()
		last := issued[len(issued)-1]
		if last.ReadWrite != tt.readWrite || last.ExpirySeconds != tt.expiry || last.Host != docrtest.DefaultRegistryHost {
			t.Errorf("%s: issued %+v", tt.name, last)
		}
		if creds.ReadWrite != tt.readWrite || creds.NeverExpires() != (tt.expiry == 0) {
			t.Errorf("%s: creds ReadWrite=%v NeverExpires=%v", tt.name, creds.ReadWrite, creds.NeverExpires())
		}
		if tt.expiry > 0 {
			want := time.Duration(tt.expiry) * time.Second
			if creds.ExpiresAt.Before(before.Add(want)) || creds.ExpiresAt.After(after.Add(want)) {
				t.Errorf("%s: ExpiresAt %v, want %v after the request", tt.name, creds.ExpiresAt, want)
			}
		}
		a := creds.Config.Auths[docrtest.DefaultRegistryHost]
		if a.Username != last.Username || a.Secret != last.Password {
			t.Errorf("%s: decoded credential differs from the issued one", tt.name)
		}
		if seen[a.Secret] {
			t.Errorf("%s: password reused; every issuance must mint a fresh one", tt.name)
		}
		seen[a.Secret] = true
	}
}

func TestFakeJourneyLoginUseLogout(t *testing.T) {
	t.Parallel()
	// registryStatus sends basic auth straight to the registry, so the fake
	// takes it as registries did before the token flow.
	srv := docrtest.NewServer(t, docrtest.WithSelfRegistryHost(), docrtest.WithRegistryBasicAuth())
	c := fakeClient(t, srv, facade.WithRevokeURL(srv.URL+"/v1/oauth/revoke"))
	ctx := context.Background()
	creds, err := c.DockerCredentials(ctx, facade.CredentialsRequest{ReadWrite: true, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	host := srv.RegistryHost()
	if got := creds.Hosts(); len(got) != 1 || got[0] != host {
		t.Fatalf("hosts = %v, want [%s]", got, host)
	}

	// Write it into a Docker config that already holds someone else's login.
	dir := t.TempDir()
	other := `{"auths":{"ghcr.io":{"auth":"b3RoZXI6c2VjcmV0","identitytoken":"keep-me"}},"proxies":{"default":{"httpProxy":"http://proxy:3128"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := dockerconfig.New(dockerconfig.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	a := creds.Config.Auths[host]
	if _, err := w.Store(ctx, a); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths   map[string]map[string]string `json:"auths"`
		Proxies json.RawMessage              `json:"proxies"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Auths[host]["auth"] != a.Auth() || cfg.Auths["ghcr.io"]["identitytoken"] != "keep-me" || !strings.Contains(string(cfg.Proxies), "proxy:3128") {
		t.Fatalf("config.json after login:\n%s", data)
	}

	// The credential read back from config.json opens the registry.
	stored, ok, err := w.Lookup(ctx, host)
	if err != nil || !ok {
		t.Fatalf("lookup: %v %v", ok, err)
	}
	if got := registryStatus(t, srv, stored.Username, stored.Secret); got != http.StatusOK {
		t.Fatalf("GET /v2/ with the stored credential = %d, want 200", got)
	}

	// Logout: remove it and revoke it; the registry then refuses it.
	removed, err := w.Remove(ctx, host)
	if err != nil || len(removed) != 1 {
		t.Fatalf("remove = %v, %v", removed, err)
	}
	if err := c.RevokeCredential(ctx, removed[0].Secret); err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, docrtest.OpOAuthRevoke)
	if r.Method != http.MethodPost || r.Path != "/v1/oauth/revoke" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("revoke request %s %s %q", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	if got := registryStatus(t, srv, stored.Username, stored.Secret); got != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ after logout = %d, want 401", got)
	}
	issued := srv.Credentials()
	if len(issued) != 1 || !issued[0].Revoked {
		t.Fatalf("issued credentials after logout: %+v", issued)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "config.json"))
	if strings.Contains(string(data), host) || !strings.Contains(string(data), "keep-me") {
		t.Fatalf("config.json after logout:\n%s", data)
	}
}

func TestFakeJourneyRepositoriesAcrossPages(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	var repos []docrtest.SeedRepository
	for i := range 250 {
		repos = append(repos, docrtest.SeedRepository{Name: fmt.Sprintf("app-%03d", i)})
	}
	seed.Registries[0].Repositories = repos
	srv := docrtest.NewServer(t, docrtest.WithSeed(seed))
	c := fakeClient(t, srv, facade.WithPerPage(100))
	var names []string
	for repo, err := range c.Repositories(context.Background(), "example") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, *repo.Name)
	}
	if len(names) != 250 || names[0] != "app-000" || names[249] != "app-249" {
		t.Fatalf("got %d repositories (%v ... )", len(names), names[:min(3, len(names))])
	}
	var pages []string
	for _, r := range srv.Requests() {
		if r.Operation == "registries_list_repositoriesV2" {
			pages = append(pages, r.RawQuery)
		}
	}
	if len(pages) != 3 || pages[0] != "per_page=100" || !strings.Contains(pages[1], "page_token=") || !strings.Contains(pages[2], "page_token=") {
		t.Fatalf("page requests = %q, want 3 pages following page_token", pages)
	}

	// Breaking out of the loop sends no further request.
	before := len(srv.Requests())
	for _, err := range c.Repositories(context.Background(), "example") {
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if got := len(srv.Requests()) - before; got != 1 {
		t.Fatalf("break after the first item sent %d requests, want 1", got)
	}
}

func TestFakeJourneyRetriesRateLimit(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t)
	c := fakeClient(t, srv)
	if err := srv.Inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Status: http.StatusTooManyRequests, Times: 1}); err != nil {
		t.Fatal(err)
	}
	creds, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "example"})
	if err != nil {
		t.Fatalf("429 then 200: %v", err)
	}
	if len(creds.Hosts()) != 1 {
		t.Fatalf("hosts = %v", creds.Hosts())
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Operation == "registries_get_dockerCredentials" {
			statuses = append(statuses, r.Status)
		}
	}
	if fmt.Sprint(statuses) != "[429 200]" {
		t.Fatalf("statuses = %v, want [429 200]", statuses)
	}
	if rl := c.RateLimit(); rl.Limit == 0 || rl.Reset.IsZero() {
		t.Fatalf("rate limit not recorded: %+v", rl)
	}
}

func TestFakeJourneyServerErrorIsTyped(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t)
	c := fakeClient(t, srv)
	if err := srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Status: http.StatusInternalServerError, Times: -1}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{})
	var apiErr *facade.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, facade.ErrServer) {
		t.Fatalf("err = %v, want a *facade.APIError matching ErrServer", err)
	}
	if apiErr.StatusCode != 500 || apiErr.Attempts != facade.DefaultMaxAttempts || apiErr.RequestID == "" || apiErr.ID == "" {
		t.Fatalf("APIError = %+v", apiErr)
	}
	if strings.Contains(err.Error(), srv.Token) {
		t.Fatal("error contains the token")
	}
}
