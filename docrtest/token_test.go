package docrtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
)

// TestTokenEndpoint checks the fake's /v2/registry/auth, as DOCR's
// api.digitalocean.com/v2/registry/auth: what each credential is granted,
// and the API's JSON error for what it is refused.
func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "second"})
	f := newFixture(t, docrtest.WithSeed(seed))
	_, roUser, roPass := issue(t, f, false, 0)
	_, rwUser, rwPass := issue(t, f, true, 0)
	_, revUser, revPass := issue(t, f, true, 0)
	resp, _ := revoke(t, f.srv.URL, f.srv.Token, revPass)
	equal(t, "revoke", resp.StatusCode, 200)
	_, expUser, expPass := issue(t, f, true, 60)
	f.clock.Advance(time.Minute)
	realm := f.srv.URL + docrtest.TokenPath
	const svc = "registry.digitalocean.com"
	tests := []struct {
		name       string
		user, pass string
		service    string
		scope      string
		status     int
		id         string // of a refusal
	}{
		{"read-only pull", roUser, roPass, svc, "repository:example/repo-1:pull", 200, ""},
		{"read-only push: pull granted", roUser, roPass, svc, "repository:example/repo-1:pull,push", 200, ""},
		{"read-write push", rwUser, rwPass, svc, "repository:example/new:pull,push", 200, ""},
		{"the catalog", roUser, roPass, svc, "registry:catalog:*", 200, ""},
		{"a login, no scope", roUser, roPass, svc, "", 200, ""},
		{"another registry's scope", rwUser, rwPass, svc, "repository:second/app:pull", 401, "unauthorized"},
		{"revoked", revUser, revPass, svc, "repository:example/repo-1:pull", 401, "unauthorized"},
		{"expired", expUser, expPass, svc, "repository:example/repo-1:pull", 401, "unauthorized"},
		{"unknown", "dop_v1_nobody", "dop_v1_nobody", svc, "repository:example/repo-1:pull", 401, "unauthorized"},
		{"the API token", "x", f.srv.Token, svc, "repository:example/repo-1:pull", 401, "unauthorized"},
		{"another service", rwUser, rwPass, "registry.example.com", "repository:example/repo-1:pull", 400, "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := url.Values{"service": {tc.service}}
			if tc.scope != "" {
				q.Set("scope", tc.scope)
			}
			resp, body := registryAuth(t, realm+"?"+q.Encode(), tc.user, tc.pass)
			equal(t, "status", resp.StatusCode, tc.status)
			if tc.status == 200 {
				var tr struct {
					Token       string `json:"token"`
					AccessToken string `json:"access_token"`
					ExpiresIn   int    `json:"expires_in"`
					IssuedAt    string `json:"issued_at"`
				}
				// The body holds a token: the failure names fields only.
				if err := json.Unmarshal(body, &tr); err != nil || tr.Token == "" || tr.Token != tr.AccessToken {
					t.Fatalf("the token response does not decode, or token and access_token differ (%v)", err)
				}
				equal(t, "expires_in, issued_at", []any{tr.ExpiresIn, tr.IssuedAt}, []any{300, "2026-08-01T12:01:00Z"})
				return
			}
			checkError(t, nil, resp, body, tc.status, tc.id)
		})
	}
	// The request log keeps neither the credential nor a token.
	for _, r := range f.srv.Requests() {
		if r.Operation == docrtest.OpRegistryAuth && (r.Header.Get("Authorization") != "Basic REDACTED" && r.Header.Get("Authorization") != "") {
			t.Fatalf("logged Authorization %q", r.Header.Get("Authorization"))
		}
	}
}

func registryAuth(t *testing.T, target, user, pass string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return resp, []byte(b.String())
}

// TestTokenUsedPastItsExpiryIsRefused: tokens last WithTokenTTL by the
// fake's clock; past it the registry answers 401 invalid_token and a
// client fetches a new one.
func TestTokenUsedPastItsExpiryIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithTokenTTL(2*time.Minute))
	_, user, pass := issue(t, f, false, 0)
	tok, resp, body := fetchToken(t, f.srv.URL+docrtest.TokenPath, "registry.digitalocean.com", "repository:example/repo-1:pull", user, pass)
	if tok == "" {
		t.Fatalf("token: %d %s", resp.StatusCode, body) // a refusal holds no token
	}
	get := func() *http.Response {
		resp, _ := do(t, "GET", f.srv.URL+"/v2/example/repo-1/tags/list", tok, nil)
		return resp
	}
	equal(t, "fresh", get().StatusCode, 200)
	f.clock.Advance(2*time.Minute - time.Second)
	equal(t, "a second before it expires", get().StatusCode, 200)
	f.clock.Advance(time.Second)
	r := get()
	equal(t, "expired", []any{r.StatusCode, challengeParams(r.Header.Get("WWW-Authenticate"))["error"]}, []any{401, "invalid_token"})
	// The credential itself never expires: a new token works.
	tok, _, _ = fetchToken(t, f.srv.URL+docrtest.TokenPath, "registry.digitalocean.com", "repository:example/repo-1:pull", user, pass)
	equal(t, "with a new token", get().StatusCode, 200)
}

// TestTokenEndsWhenItsCredentialIsRevoked: a token does not outlive the
// revocation of its credential, nor the deletion of its registry.
func TestTokenEndsWhenItsCredentialIsRevoked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, user, pass := issue(t, f, true, 0)
	tok, _, _ := fetchToken(t, f.srv.URL+docrtest.TokenPath, "registry.digitalocean.com", "repository:example/repo-1:pull", user, pass)
	resp, _ := do(t, "GET", f.srv.URL+"/v2/", tok, nil)
	equal(t, "before", resp.StatusCode, 200)
	revoke(t, f.srv.URL, pass, pass)
	resp, _ = do(t, "GET", f.srv.URL+"/v2/", tok, nil)
	equal(t, "after the revocation", resp.StatusCode, 401)

	_, user, pass = issue(t, f, true, 0)
	tok, _, _ = fetchToken(t, f.srv.URL+docrtest.TokenPath, "registry.digitalocean.com", "", user, pass)
	d, err := f.c.RegistriesDeleteWithResponse(ctx, "example")
	check(t, err, d.HTTPResponse, 204)
	c, err := f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "example"})
	check(t, err, c.HTTPResponse, 201)
	resp, _ = do(t, "GET", f.srv.URL+"/v2/", tok, nil)
	equal(t, "after the registry was deleted and created again", resp.StatusCode, 401)
}
