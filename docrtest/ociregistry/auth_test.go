package ociregistry_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

func TestTokenEndpointGrantsWhatTheCredentialAllows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	tests := []struct {
		name       string
		user, pass string
		scopes     []string
		status     int
		granted    []string // with status 200
	}{
		{"read-only asks pull", "ro", "ro-pass", []string{"repository:acme/app:pull"}, 200, []string{"repository:acme/app:pull"}},
		{"read-only asks pull,push: pull only", "ro", "ro-pass", []string{"repository:acme/app:pull,push"}, 200, []string{"repository:acme/app:pull"}},
		{"read-only asks push alone: nothing", "ro", "ro-pass", []string{"repository:acme/app:push"}, 401, nil},
		{"read-only asks delete alone: nothing", "ro", "ro-pass", []string{"repository:acme/app:delete"}, 401, nil},
		{"read-write asks pull,push", "rw", "rw-pass", []string{"repository:acme/app:pull,push"}, 200, []string{"repository:acme/app:pull,push"}},
		{"read-write asks *", "rw", "rw-pass", []string{"repository:acme/team/app:*"}, 200, []string{"repository:acme/team/app:delete,pull,push"}},
		{"read-only asks *", "ro", "ro-pass", []string{"repository:acme/app:*"}, 200, []string{"repository:acme/app:pull"}},
		{"several scopes, space separated", "rw", "rw-pass", []string{"repository:acme/a:pull,push repository:acme/b:pull"}, 200,
			[]string{"repository:acme/a:pull,push", "repository:acme/b:pull"}},
		{"another registry's scope: refused", "rw", "rw-pass", []string{"repository:other/app:pull"}, 401, nil},
		{"own and another's: own only", "rw", "rw-pass", []string{"repository:acme/app:pull", "repository:other/app:pull"}, 200,
			[]string{"repository:acme/app:pull"}},
		{"catalog", "ro", "ro-pass", []string{"registry:catalog:*"}, 200, []string{"registry:catalog:*"}},
		{"no scope (a login)", "ro", "ro-pass", nil, 200, []string{}},
		{"unknown credential", "nobody", "x", []string{"repository:acme/app:pull"}, 401, nil},
		{"wrong password", "ro", "wrong", nil, 401, nil},
		{"no credential", "", "", []string{"repository:acme/app:pull"}, 401, nil},
		{"malformed scope", "ro", "ro-pass", []string{"repository"}, 400, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, c := e.token(t, tc.user, tc.pass, tc.scopes...)
			equal(t, "status", c.status, tc.status)
			if tc.status != 200 {
				var ae struct{ ID, Message string }
				if err := json.Unmarshal(c.body, &ae); err != nil || ae.ID == "" || ae.Message == "" {
					t.Fatalf("error body %s, want {id, message}", c.body)
				}
				return
			}
			got, ok := e.reg.Scopes(tok)
			if !ok {
				t.Fatal("the token does not verify")
			}
			equal(t, "granted", got, tc.granted)
		})
	}
}

func TestTokenResponseShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{TokenTTL: 90 * time.Second})
	_, c := e.token(t, "rw", "rw-pass", "repository:acme/app:pull")
	var tr map[string]any
	if err := json.Unmarshal(c.body, &tr); err != nil {
		t.Fatal(err)
	}
	equal(t, "fields", []any{tr["token"] == tr["access_token"], tr["expires_in"], tr["issued_at"], len(tr)},
		[]any{true, float64(90), "2026-08-01T12:00:00Z", 4})
	equal(t, "headers", []string{c.header.Get("Content-Type"), c.header.Get("Cache-Control")}, []string{"application/json", "no-store"})
	// A JSON Web Token: header, claims, HMAC-SHA256 signature; the claims
	// name the credential by its id, never its secret.
	parts := strings.Split(tr["token"].(string), ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var cl map[string]any
	if err := json.Unmarshal(claims, &cl); err != nil {
		t.Fatal(err)
	}
	equal(t, "claims", []any{cl["sub"], cl["aud"], cl["iat"], cl["exp"], cl["access"]},
		[]any{"id-rw", service, float64(t0.Unix()), float64(t0.Unix() + 90),
			[]any{map[string]any{"type": "repository", "name": "acme/app", "actions": []any{"pull"}}}})
	if strings.Contains(string(claims), "rw-pass") {
		t.Fatal("the token holds the credential's secret")
	}
}

func TestTokenEndpointPOSTForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	form := url.Values{"grant_type": {"password"}, "username": {"rw"}, "password": {"rw-pass"},
		"service": {service}, "scope": {"repository:acme/app:pull,push"}}
	c := e.do(t, "POST", "/v2/registry/auth", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	var tr tokenResponse
	if c.status != 200 || json.Unmarshal(c.body, &tr) != nil {
		t.Fatalf("POST: %d %s", c.status, c.body)
	}
	got, _ := e.reg.Scopes(tr.Token)
	equal(t, "granted", got, []string{"repository:acme/app:pull,push"})
	form.Set("password", "wrong")
	c = e.do(t, "POST", "/v2/registry/auth", "", []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	equal(t, "wrong password", c.status, 401)
	c = e.do(t, "POST", "/v2/registry/auth", "", []byte("grant_type=refresh_token"), "Content-Type", "application/x-www-form-urlencoded")
	equal(t, "refresh grant", c.status, 400)
	c = e.do(t, "PUT", "/v2/registry/auth", "", nil)
	equal(t, "PUT", []any{c.status, c.header.Get("Allow")}, []any{405, "GET, POST"})
}

func TestChallenges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	realm := e.srv.URL + "/v2/registry/auth"
	c := e.do(t, "GET", "/v2/", "", nil)
	equal(t, "ping", []any{c.status, c.header.Get("WWW-Authenticate")},
		[]any{401, `Bearer realm="` + realm + `",service="registry.test"`})
	c = e.do(t, "GET", "/v2/acme/app/manifests/v1", "", nil)
	equal(t, "pull", c.header.Get("WWW-Authenticate"), `Bearer realm="`+realm+`",service="registry.test",scope="repository:acme/app:pull"`)
	wantError(t, "pull", c, 401, "UNAUTHORIZED")

	// A token without the action: insufficient_scope.
	pull := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull")
	c = e.do(t, "POST", "/v2/acme/app/blobs/uploads/", pull, nil)
	equal(t, "push with a pull token", c.header.Get("WWW-Authenticate"),
		`Bearer realm="`+realm+`",service="registry.test",scope="repository:acme/app:pull,push",error="insufficient_scope"`)
	wantError(t, "push with a pull token", c, 401, "UNAUTHORIZED")
	// A token for another repository: the same.
	c = e.do(t, "GET", "/v2/acme/other/tags/list", pull, nil)
	equal(t, "another repository", challenge(c.header.Get("WWW-Authenticate"))["error"], "insufficient_scope")
	// A forged or garbled token: invalid_token.
	forged := pull[:len(pull)-4] + "AAAA"
	if forged == pull {
		forged = pull[:len(pull)-4] + "BBBB"
	}
	for _, bad := range []string{forged, "Bearer x.y.z", "Bearer " + strings.Repeat("a", 20000)} {
		c = e.do(t, "GET", "/v2/acme/app/tags/list", bad, nil)
		equal(t, "bad token", []any{c.status, challenge(c.header.Get("WWW-Authenticate"))["error"]}, []any{401, "invalid_token"})
	}
	// Basic auth is not taken by default.
	c = e.do(t, "GET", "/v2/", basic("rw", "rw-pass"), nil)
	equal(t, "basic", c.status, 401)
}

func TestTokenUsedPastItsExpiryIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{TokenTTL: time.Minute})
	tok := e.bearer(t, "ro", "ro-pass", "repository:acme/app:pull")
	equal(t, "fresh", e.do(t, "GET", "/v2/", tok, nil).status, 200)
	e.clock.Advance(59 * time.Second)
	equal(t, "after 59s", e.do(t, "GET", "/v2/", tok, nil).status, 200)
	e.clock.Advance(time.Second)
	c := e.do(t, "GET", "/v2/", tok, nil)
	equal(t, "after 60s", []any{c.status, challenge(c.header.Get("WWW-Authenticate"))["error"]}, []any{401, "invalid_token"})
}

func TestTokenEndsWithItsCredential(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	tok := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull")
	equal(t, "before", e.do(t, "GET", "/v2/", tok, nil).status, 200)
	e.acc.revoke("rw")
	equal(t, "after the revocation", e.do(t, "GET", "/v2/", tok, nil).status, 401)
	_, c := e.token(t, "rw", "rw-pass", "repository:acme/app:pull")
	equal(t, "a new token", c.status, 401)
}

func TestTokenOfAnotherRegistryInstanceIsRefused(t *testing.T) {
	t.Parallel()
	a := newEnv(t, ociregistry.Options{})
	b := newEnv(t, ociregistry.Options{})
	tok := a.bearer(t, "rw", "rw-pass", "repository:acme/app:pull")
	equal(t, "a's token at b", b.do(t, "GET", "/v2/", tok, nil).status, 401)
}

func TestBasicAuthOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{BasicAuth: true})
	c := e.do(t, "GET", "/v2/", "", nil)
	equal(t, "challenge", []any{c.status, c.header.Get("WWW-Authenticate")}, []any{401, `Basic realm="registry.test"`})
	equal(t, "ping", e.do(t, "GET", "/v2/", basic("ro", "ro-pass"), nil).status, 200)
	equal(t, "wrong password", e.do(t, "GET", "/v2/", basic("ro", "nope"), nil).status, 401)
	wantError(t, "read-only push", e.do(t, "POST", "/v2/acme/app/blobs/uploads/", basic("ro", "ro-pass"), nil), 403, "DENIED")
	wantError(t, "another registry", e.do(t, "GET", "/v2/other/app/tags/list", basic("rw", "rw-pass"), nil), 403, "DENIED")
	equal(t, "read-write push", e.do(t, "POST", "/v2/acme/app/blobs/uploads/", basic("rw", "rw-pass"), nil).status, 202)
	// Tokens still work.
	tok := e.bearer(t, "ro", "ro-pass", "repository:acme/app:pull")
	equal(t, "token", e.do(t, "GET", "/v2/", tok, nil).status, 200)
}

func TestCatalogListsOnlyTheCredentialsRegistry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	for _, name := range []string{"acme/b", "acme/a", "acme/c/d"} {
		rw := e.bearer(t, "rw", "rw-pass", "repository:"+name+":pull,push")
		cfg := e.pushBlob(t, rw, name, []byte("{}"))
		_ = cfg
		if c := e.do(t, "PUT", "/v2/"+name+"/manifests/v1", rw, imageManifest([]byte("{}"))); c.status != 201 {
			t.Fatalf("manifest: %d %s", c.status, c.body)
		}
	}
	orw := e.bearer(t, "other", "other-pass", "repository:other/x:pull,push")
	e.pushBlob(t, orw, "other/x", []byte("{}"))
	if c := e.do(t, "PUT", "/v2/other/x/manifests/v1", orw, imageManifest([]byte("{}"))); c.status != 201 {
		t.Fatalf("manifest: %d %s", c.status, c.body)
	}
	cat := e.bearer(t, "ro", "ro-pass", "registry:catalog:*")
	c := e.do(t, "GET", "/v2/_catalog", cat, nil)
	equal(t, "catalog", string(c.body), `{"repositories":["acme/a","acme/b","acme/c/d"]}`+"\n")
	c = e.do(t, "GET", "/v2/_catalog?n=2", cat, nil)
	equal(t, "page 1", []string{string(c.body), c.header.Get("Link")},
		[]string{`{"repositories":["acme/a","acme/b"]}` + "\n", `</v2/_catalog?last=acme%2Fb&n=2>; rel="next"`})
	c = e.do(t, "GET", "/v2/_catalog?n=2&last=acme%2Fb", cat, nil)
	equal(t, "page 2", []string{string(c.body), c.header.Get("Link")}, []string{`{"repositories":["acme/c/d"]}` + "\n", ""})
	pull := e.bearer(t, "ro", "ro-pass", "repository:acme/a:pull")
	c = e.do(t, "GET", "/v2/_catalog", pull, nil)
	equal(t, "catalog with a repository token", []any{c.status, challenge(c.header.Get("WWW-Authenticate"))["scope"]},
		[]any{401, "registry:catalog:*"})
}

func TestOpenRegistryIssuesNoTokens(t *testing.T) {
	t.Parallel()
	reg, err := ociregistry.New(ociregistry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	reg.ServeToken(rec, httptest.NewRequest("GET", "/v2/registry/auth", nil))
	equal(t, "token endpoint", rec.Code, http.StatusNotFound)
	rec = httptest.NewRecorder()
	reg.ServeHTTP(rec, httptest.NewRequest("GET", "/v2/", nil))
	equal(t, "ping", rec.Code, http.StatusOK)
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []ociregistry.Options{
		{TokenTTL: time.Millisecond},
		{UploadTimeout: -time.Second},
		{MaxUploads: -1},
		{StorageCap: -1},
		{TokenKey: []byte("short")},
	} {
		if _, err := ociregistry.New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}
