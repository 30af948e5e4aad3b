package docrtest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
)

// issue gets Docker credentials for the example registry and returns the
// decoded username and password.
func issue(t *testing.T, f *fixture, readWrite bool, expiry int) (host, user, pass string) {
	t.Helper()
	r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example",
		&gen.RegistriesGetDockerCredentialsParams{ReadWrite: &readWrite, ExpirySeconds: &expiry})
	check(t, err, r.HTTPResponse, 200)
	if len(r.JSON200.Auths) != 1 {
		t.Fatalf("auths = %s", r.Body)
	}
	for h, a := range r.JSON200.Auths {
		raw, err := base64.StdEncoding.DecodeString(*a.Auth)
		if err != nil {
			t.Fatal(err)
		}
		u, p, ok := strings.Cut(string(raw), ":")
		if !ok {
			t.Fatalf("auth %q has no colon", raw)
		}
		host, user, pass = h, u, p
	}
	return host, user, pass
}

// challengeParams reads the parameters of a Bearer challenge.
func challengeParams(h string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// fetchToken asks a token endpoint for a token with the Docker credential
// as basic auth, as a Docker client does. It returns the token ("" if
// refused) and the endpoint's response.
func fetchToken(t *testing.T, realm, service, scope, user, pass string) (string, *http.Response, []byte) {
	t.Helper()
	q := url.Values{"service": {service}}
	if scope != "" {
		q.Set("scope", scope)
	}
	hdr := []string{}
	if user != "" {
		hdr = append(hdr, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	resp, body := do(t, "GET", realm+"?"+q.Encode(), "", nil, hdr...)
	if resp.StatusCode != http.StatusOK {
		return "", resp, body
	}
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
	return tr.Token, resp, body
}

// registryCall sends a request to the fake's registry as a Docker client
// does: without credentials first, then, on a Bearer challenge, with a
// token fetched from the challenge's realm for its scope, with the Docker
// credential as basic auth. A refusal of the token endpoint is returned as
// it came.
func registryCall(t *testing.T, method, target, user, pass string) (*http.Response, []byte) {
	t.Helper()
	resp, body := do(t, method, target, "", nil)
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(ch, "Bearer ") {
		return resp, body
	}
	p := challengeParams(ch)
	tok, tresp, tbody := fetchToken(t, p["realm"], p["service"], p["scope"], user, pass)
	if tok == "" {
		return tresp, tbody
	}
	return do(t, method, target, tok, nil)
}

// TestRegistryChallenges checks what the registry answers a request
// without a token: 401 with DOCR's Bearer challenge, whose realm is the
// fake's own token endpoint and whose scope names what the request needs.
func TestRegistryChallenges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	realm := f.srv.URL + "/v2/registry/auth"
	tests := []struct {
		method, path, scope string
	}{
		{"GET", "/v2/", ""},
		{"HEAD", "/v2/", ""},
		{"GET", "/v2/example/repo-1/manifests/latest", "repository:example/repo-1:pull"},
		{"HEAD", "/v2/example/team/api/blobs/sha256:" + strings.Repeat("0", 64), "repository:example/team/api:pull"},
		{"GET", "/v2/example/repo-1/tags/list", "repository:example/repo-1:pull"},
		{"POST", "/v2/example/new/blobs/uploads/", "repository:example/new:pull,push"},
		{"POST", "/v2/example/new/blobs/uploads/?mount=sha256:" + strings.Repeat("0", 64) + "&from=example/repo-1",
			"repository:example/new:pull,push repository:example/repo-1:pull"},
		{"PUT", "/v2/example/new/manifests/v1", "repository:example/new:pull,push"},
		{"DELETE", "/v2/example/repo-1/manifests/latest", "repository:example/repo-1:delete"},
		{"DELETE", "/v2/example/repo-1/blobs/uploads/abc", "repository:example/repo-1:pull,push"},
		{"GET", "/v2/_catalog", "registry:catalog:*"},
		{"GET", "/v2/example/repo-1/nothing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, tc.method, f.srv.URL+tc.path, "", strings.NewReader("ignored"))
			want := `Bearer realm="` + realm + `",service="registry.digitalocean.com"`
			if tc.scope != "" {
				want += `,scope="` + tc.scope + `"`
			}
			equal(t, "status", resp.StatusCode, 401)
			equal(t, "WWW-Authenticate", resp.Header.Get("WWW-Authenticate"), want)
			if tc.method != "HEAD" {
				equal(t, "body", string(body), `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`+"\n")
			}
		})
	}
}

// TestRegistryEndpointChecksCredentials runs requests through DOCR's token
// flow, as a Docker client does, with credentials of every kind.
func TestRegistryEndpointChecksCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, roUser, roPass := issue(t, f, false, 60)
	_, rwUser, rwPass := issue(t, f, true, 0)
	u := f.srv.URL
	const (
		refusedByTokenEndpoint = `{"id":"unauthorized"`
		insufficientScope      = `"UNAUTHORIZED","message":"the token does not grant the access the request needs"`
	)

	tests := []struct {
		name         string
		method, path string
		user, pass   string
		want         int
		wantBody     string
	}{
		{"ping without credentials", "GET", "/v2/", "", "", 401, refusedByTokenEndpoint},
		{"ping with a wrong password", "GET", "/v2/", roUser, "wrong", 401, refusedByTokenEndpoint},
		{"ping with the API token", "GET", "/v2/", "x", f.srv.Token, 401, refusedByTokenEndpoint},
		{"ping read-only", "GET", "/v2/", roUser, roPass, 200, `{}`},
		{"ping HEAD", "HEAD", "/v2/", rwUser, rwPass, 200, ``},
		// Asking for pull,push, a read-only credential gets a token for pull
		// only, which the registry finds insufficient.
		{"push read-only", "POST", "/v2/example/repo-1/blobs/uploads/", roUser, roPass, 401, insufficientScope},
		{"push read-write", "POST", "/v2/example/repo-1/blobs/uploads/", rwUser, rwPass, 202, ``},
		{"push to another registry", "POST", "/v2/other/repo-1/blobs/uploads/", rwUser, rwPass, 401, refusedByTokenEndpoint},
		{"pull tags", "GET", "/v2/example/repo-1/tags/list", roUser, roPass, 200, `{"name":"example/repo-1","tags":["latest","v1","v2"]}`},
		{"pull tags of a nested repository", "GET", "/v2/example/team/api/tags/list", roUser, roPass, 200, `{"name":"example/team/api","tags":["latest"]}`},
		{"pull an unknown repository", "GET", "/v2/example/nope/tags/list", roUser, roPass, 404, `"NAME_UNKNOWN"`},
		{"pull a manifest", "HEAD", "/v2/example/repo-1/manifests/latest", roUser, roPass, 200, ``},
		{"pull a manifest of another registry", "GET", "/v2/other/repo-1/manifests/latest", roUser, roPass, 401, refusedByTokenEndpoint},
		// A read-only credential asking for delete alone is granted nothing:
		// the token endpoint refuses it.
		{"delete a manifest read-only", "DELETE", "/v2/example/repo-1/manifests/latest", roUser, roPass, 401, refusedByTokenEndpoint},
		{"delete an unknown blob", "DELETE", "/v2/example/repo-1/blobs/sha256:" + strings.Repeat("0", 64), rwUser, rwPass, 404, `"BLOB_UNKNOWN"`},
		{"not a repository path", "GET", "/v2/example/repo-1/nothing", roUser, roPass, 404, `"NAME_INVALID"`},
		{"unsupported method on the ping", "DELETE", "/v2/", roUser, roPass, 405, `"UNSUPPORTED"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := registryCall(t, tc.method, u+tc.path, tc.user, tc.pass)
			if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.wantBody) {
				t.Fatalf("%s %s = %d %s, want %d containing %s", tc.method, tc.path, resp.StatusCode, body, tc.want, tc.wantBody)
			}
			if tc.wantBody == insufficientScope && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Fatalf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if tc.want == 202 && !strings.HasPrefix(resp.Header.Get("Location"), "/v2/example/repo-1/blobs/uploads/") {
				t.Fatalf("Location = %q", resp.Header.Get("Location"))
			}
		})
	}
}

func TestCredentialsExpireByTheFakeClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, user, pass := issue(t, f, false, 60)
	ping := func() int {
		resp, _ := registryCall(t, "GET", f.srv.URL+"/v2/", user, pass)
		return resp.StatusCode
	}
	equal(t, "fresh", ping(), 200)
	f.clock.Advance(59 * time.Second)
	equal(t, "after 59s", ping(), 200)
	f.clock.Advance(time.Second)
	equal(t, "after 60s", ping(), 401)

	_, user, pass = issue(t, f, false, 0)
	f.clock.Advance(1000 * 24 * time.Hour)
	equal(t, "never expires", ping(), 200)
}

func TestCredentialsDieWithTheirRegistry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, user, pass := issue(t, f, true, 0)
	r, err := f.c.RegistriesDeleteWithResponse(ctx, "example")
	check(t, err, r.HTTPResponse, 204)
	resp, _ := registryCall(t, "GET", f.srv.URL+"/v2/", user, pass)
	equal(t, "status", resp.StatusCode, 401)
}

func revoke(t *testing.T, base, bearer, token string) (*http.Response, []byte) {
	t.Helper()
	form := url.Values{}
	if token != "" {
		form.Set("token", token)
	}
	return do(t, "POST", base+"/v1/oauth/revoke", bearer, strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, user, pass := issue(t, f, true, 0)
	_, _, other := issue(t, f, false, 0)

	resp, body := revoke(t, f.srv.URL, "not-a-token", pass)
	equal(t, "unknown bearer", resp.StatusCode, 401)
	var e gen.Error
	if err := json.Unmarshal(body, &e); err != nil || e.Id != "unauthorized" {
		t.Fatalf("body %s", body)
	}
	resp, _ = revoke(t, f.srv.URL, pass, "")
	equal(t, "no token", resp.StatusCode, 400)
	resp, _ = do(t, "GET", f.srv.URL+"/v1/oauth/revoke", pass, nil)
	equal(t, "GET", resp.StatusCode, 405)
	equal(t, "nothing revoked yet", f.srv.Credentials()[0].Revoked, false)

	f.clock.Advance(time.Minute)
	resp, body = revoke(t, f.srv.URL, pass, pass)
	if resp.StatusCode != 200 || len(body) != 0 {
		t.Fatalf("revoke = %d %q, want 200 and no body", resp.StatusCode, body)
	}
	creds := f.srv.Credentials()
	equal(t, "revoked", []any{creds[0].Revoked, creds[0].RevokedAt, creds[1].Revoked}, []any{true, t0.Add(time.Minute), false})
	ping, _ := registryCall(t, "GET", f.srv.URL+"/v2/", user, pass)
	equal(t, "ping after revoke", ping.StatusCode, 401)

	resp, _ = revoke(t, f.srv.URL, pass, pass)
	equal(t, "a revoked bearer", resp.StatusCode, 401)
	resp, _ = revoke(t, f.srv.URL, f.srv.Token, "never-issued")
	equal(t, "an unknown token, as RFC 7009 says", resp.StatusCode, 200)
	resp, _ = revoke(t, f.srv.URL, f.srv.Token, other)
	equal(t, "the API token revokes too", resp.StatusCode, 200)
	equal(t, "second revoked", f.srv.Credentials()[1].Revoked, true)

	var recorded []string
	for _, r := range f.srv.Requests() {
		if r.Operation == docrtest.OpOAuthRevoke {
			recorded = append(recorded, r.Header.Get("Authorization"))
			if r.Body != nil {
				t.Errorf("the revoke body (a secret) was recorded: %q", r.Body)
			}
		}
	}
	equal(t, "recorded Authorization", recorded, []string{
		"Bearer REDACTED", "Bearer REDACTED", "Bearer REDACTED", "Bearer REDACTED", "Bearer REDACTED", "Bearer REDACTED", "Bearer REDACTED",
	})
}

func TestCredentialOptions(t *testing.T) {
	t.Parallel()
	t.Run("registry host", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, docrtest.WithRegistryHost("registry.example.test"))
		host, _, _ := issue(t, f, false, 0)
		equal(t, "host", host, "registry.example.test")
		equal(t, "RegistryHost", f.srv.RegistryHost(), "registry.example.test")
	})
	t.Run("self host", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, docrtest.WithSelfRegistryHost())
		host, user, pass := issue(t, f, false, 0)
		equal(t, "host", "http://"+host, f.srv.URL)
		resp, _ := registryCall(t, "GET", "http://"+host+"/v2/", user, pass)
		equal(t, "login to the fake itself", resp.StatusCode, 200)
	})
	t.Run("colon in password", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, docrtest.WithColonInPassword())
		_, user, pass := issue(t, f, false, 0)
		ic := f.srv.Credentials()[0]
		if strings.Contains(user, ":") || !strings.Contains(pass, ":") || user != ic.Username || pass != ic.Password {
			t.Fatalf("user %q pass %q, recorded %q %q", user, pass, ic.Username, ic.Password)
		}
		resp, _ := registryCall(t, "GET", f.srv.URL+"/v2/", user, pass)
		equal(t, "ping", resp.StatusCode, 200)
	})
}

func TestDeterministicWhenSeeded(t *testing.T) {
	t.Parallel()
	run := func() (string, []docrtest.IssuedCredential, string) {
		f := newFixture(t, docrtest.WithRandSeed(42))
		issue(t, f, true, 10)
		issue(t, f, false, 0)
		r, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, r.HTTPResponse, 201)
		return f.srv.Token, f.srv.Credentials(), *r.JSON201.GarbageCollection.Uuid
	}
	tok1, creds1, gc1 := run()
	tok2, creds2, gc2 := run()
	equal(t, "token", tok1, tok2)
	equal(t, "credentials", creds1, creds2)
	equal(t, "gc uuid", gc1, gc2)
	if creds1[0].Password == creds1[1].Password {
		t.Fatal("two issuances minted the same password")
	}
}
