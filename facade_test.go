package docr_test

// User journeys through the facade, with httpmock's non-global mock
// transport as the BASE transport under docr's auth layer (so the token,
// User-Agent, retries and redirect policy are all exercised). Every test
// here is named TestFacadeJourney*; fake-API integration tests live in
// their own functions.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/gen"
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
				if n := mt.GetTotalCallCount(); n != 1 {
					t.Errorf("%d calls", n)
				}
				a := creds.Config.Auths["registry.digitalocean.com"]
				if a.Username != journeyUser || a.Password != journeyPassword || string(creds.Raw) != journeyCreds {
					t.Errorf("credentials = %q %q %q", a.Username, a.Password, []byte(creds.Raw))
				}
				if req.NeverExpire != creds.ExpiresAt.IsZero() {
					t.Errorf("ExpiresAt = %v", creds.ExpiresAt)
				}
				if !req.NeverExpire {
					want := facade.DefaultExpiry
					if req.Expiry != 0 {
						want = req.Expiry
					}
					if d := creds.ExpiresAt.Sub(start); d < want-time.Second || d > want+time.Second {
						t.Errorf("ExpiresAt in %v, want %v", d, want)
					}
				}
				journeyNoSecrets(t, fmt.Sprintf("%v %+v %#v", creds, creds, creds))
			})
		}
	}
}

// A registry name that needs escaping is escaped in the path.
func TestFacadeJourneyRegistryNameEscaped(t *testing.T) {
	t.Parallel()
	c, mt := journeyClient(t)
	var rawPath string
	mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
		rawPath = req.URL.EscapedPath()
		return journeyJSON(200, journeyCreds), nil
	})
	if _, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "a b/c"}); err != nil {
		t.Fatal(err)
	}
	if rawPath != "/v2/registries/a%20b%2Fc/docker-credentials" {
		t.Errorf("path = %q", rawPath)
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
	c, mt := journeyClient(t, facade.WithRetry(facade.RetryPolicy{BaseDelay: 10 * time.Second, MaxDelay: 30 * time.Second}))
	mt.RegisterNoResponder(httpmock.NewStringResponder(503, `{"id":"unavailable","message":"later"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.DockerCredentials(ctx, facade.CredentialsRequest{})
	if time.Since(start) > 2*time.Second || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after %v: %v", time.Since(start), err)
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
