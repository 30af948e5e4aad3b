package ociregistry_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

// t0 is the time the tests' clocks start at.
var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// clock is a manual clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// accounts is a table of Docker credentials: username -> password and
// grant. Revoke ends one.
type accounts struct {
	mu    sync.Mutex
	creds map[string]cred
}

type cred struct {
	pass    string
	grant   ociregistry.Grant
	revoked bool
}

func (a *accounts) add(user, pass, ns string, rw bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds == nil {
		a.creds = map[string]cred{}
	}
	a.creds[user] = cred{pass: pass, grant: ociregistry.Grant{Credential: "id-" + user, Namespace: ns, ReadWrite: rw}}
}

func (a *accounts) revoke(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.creds[user]
	c.revoked = true
	a.creds[user] = c
}

func (a *accounts) Authenticate(user, pass string) (ociregistry.Grant, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.creds[user]
	if !ok || c.revoked || c.pass != pass {
		return ociregistry.Grant{}, false
	}
	return c.grant, true
}

func (a *accounts) Current(id string) (ociregistry.Grant, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range a.creds {
		if c.grant.Credential == id && !c.revoked {
			return c.grant, true
		}
	}
	return ociregistry.Grant{}, false
}

// env is a registry served on a test server, with accounts ro (read-only
// on ns "acme"), rw (read-write on "acme") and other (read-write on
// "other").
type env struct {
	srv   *httptest.Server
	reg   *ociregistry.Registry
	acc   *accounts
	clock *clock
}

const service = "registry.test"

func newEnv(t *testing.T, opts ociregistry.Options) *env {
	t.Helper()
	e := &env{acc: &accounts{}, clock: &clock{now: t0}}
	e.acc.add("ro", "ro-pass", "acme", false)
	e.acc.add("rw", "rw-pass", "acme", true)
	e.acc.add("other", "other-pass", "other", true)
	if opts.Accounts == nil {
		opts.Accounts = e.acc
	}
	opts.Now = e.clock.Now
	opts.Service = func() string { return service }
	reg, err := ociregistry.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.reg = reg
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/registry/auth", reg.ServeToken)
	mux.Handle("/", reg)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// call is one HTTP exchange.
type call struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(t *testing.T, method, path, auth string, body []byte, header ...string) call {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return call{status: resp.StatusCode, header: resp.Header, body: b}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// token asks the token endpoint for scopes with a credential; it returns
// the token ("" if refused) and the call.
func (e *env) token(t *testing.T, user, pass string, scopes ...string) (string, call) {
	t.Helper()
	q := url.Values{"service": {service}}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	auth := ""
	if user != "" {
		auth = basic(user, pass)
	}
	c := e.do(t, "GET", "/v2/registry/auth?"+q.Encode(), auth, nil)
	if c.status != http.StatusOK {
		return "", c
	}
	var tr tokenResponse
	// The body holds a token: the failure names fields only.
	if err := json.Unmarshal(c.body, &tr); err != nil || tr.Token == "" {
		t.Fatalf("the token response does not decode (%v)", err)
	}
	return tr.Token, c
}

// bearer returns a token for the scopes or fails the test.
func (e *env) bearer(t *testing.T, user, pass string, scopes ...string) string {
	t.Helper()
	tok, c := e.token(t, user, pass, scopes...)
	if tok == "" {
		t.Fatalf("token for %s %v: %d %s", user, scopes, c.status, c.body)
	}
	return "Bearer " + tok
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// wantError checks a distribution error answer.
func wantError(t *testing.T, what string, c call, status int, code string) {
	t.Helper()
	var eb struct {
		Errors []struct{ Code, Message string }
	}
	if c.status != status || json.Unmarshal(c.body, &eb) != nil || len(eb.Errors) != 1 || eb.Errors[0].Code != code {
		t.Fatalf("%s: %d %s, want %d %s", what, c.status, c.body, status, code)
	}
}

func sha256Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func sha512Digest(b []byte) string {
	s := sha512.Sum512(b)
	return "sha512:" + hex.EncodeToString(s[:])
}

// pushBlob uploads a blob monolithically and fails the test unless it is
// stored.
func (e *env) pushBlob(t *testing.T, auth, name string, b []byte) string {
	t.Helper()
	d := sha256Digest(b)
	c := e.do(t, "POST", "/v2/"+name+"/blobs/uploads/?digest="+d, auth, b)
	if c.status != http.StatusCreated {
		t.Fatalf("push blob to %s: %d %s", name, c.status, c.body)
	}
	return d
}

// imageManifest returns an OCI image manifest of a config and layers.
func imageManifest(config []byte, layers ...[]byte) []byte {
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{2, "application/vnd.oci.image.manifest.v1+json",
		desc{"application/vnd.oci.image.config.v1+json", sha256Digest(config), len(config)}, []desc{}}
	for _, l := range layers {
		m.Layers = append(m.Layers, desc{"application/vnd.oci.image.layer.v1.tar", sha256Digest(l), len(l)})
	}
	b, _ := json.Marshal(m)
	return b
}

// challenge reads the parameters of a WWW-Authenticate Bearer challenge.
func challenge(h string) map[string]string {
	out := map[string]string{}
	if !strings.HasPrefix(h, "Bearer ") {
		return out
	}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		out[m[1]] = m[2]
	}
	return out
}
