package facade

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/gen"
)

func TestDockerCredentialsQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		req   CredentialsRequest
		query string
		exp   time.Duration // 0: never expires
	}{
		{"defaults", CredentialsRequest{}, "expiry_seconds=2592000&read_write=false", DefaultExpiry},
		{"read-write", CredentialsRequest{ReadWrite: true}, "expiry_seconds=2592000&read_write=true", DefaultExpiry},
		{"expiry", CredentialsRequest{Expiry: time.Hour}, "expiry_seconds=3600&read_write=false", time.Hour},
		{"expiry 1s", CredentialsRequest{Expiry: time.Second}, "expiry_seconds=1&read_write=false", time.Second},
		{"expiry read-write", CredentialsRequest{Expiry: 90 * time.Second, ReadWrite: true}, "expiry_seconds=90&read_write=true", 90 * time.Second},
		{"never", CredentialsRequest{NeverExpire: true}, "read_write=false", 0},
		{"never read-write", CredentialsRequest{NeverExpire: true, ReadWrite: true}, "read_write=true", 0},
	}
	for _, tc := range cases {
		for _, registry := range []string{"", "example"} {
			t.Run(tc.name+"/"+registry, func(t *testing.T) {
				t.Parallel()
				mt, rec := mock(t, always(200, testCredBody))
				c, _ := newTest(t, mt)
				req := tc.req
				req.Registry = registry
				creds, err := c.DockerCredentials(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				reqs := rec.all()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				s := reqs[0]
				wantPath := "/v2/registry/docker-credentials"
				if registry != "" {
					wantPath = "/v2/registries/example/docker-credentials"
				}
				if s.Method != http.MethodGet || s.Host != "api.digitalocean.com" || s.RawPath != wantPath || s.Query != tc.query {
					t.Errorf("sent %s %s%s?%s, want GET api.digitalocean.com%s?%s", s.Method, s.Host, s.RawPath, s.Query, wantPath, tc.query)
				}
				assertAPIHeaders(t, s)
				if creds.Registry != registry || creds.ReadWrite != req.ReadWrite {
					t.Errorf("creds = %v", creds)
				}
				if tc.exp == 0 {
					if !creds.ExpiresAt.IsZero() || !creds.NeverExpires() {
						t.Errorf("ExpiresAt = %v, want zero", creds.ExpiresAt)
					}
				} else if want := testEpoch.Add(tc.exp); !creds.ExpiresAt.Equal(want) {
					t.Errorf("ExpiresAt = %v, want %v", creds.ExpiresAt, want)
				}
			})
		}
	}
}

func TestDockerCredentialsResult(t *testing.T) {
	t.Parallel()
	other := base64.StdEncoding.EncodeToString([]byte("u2:p2"))
	raw := `{"auths":{"` + testHost + `":{"auth":"` + testAuth + `"},"a.example.com":{"auth":"` + other + `"}},"extra":1}` + "\n"
	mt, _ := mock(t, always(200, raw))
	c, _ := newTest(t, mt)
	creds, err := c.DockerCredentials(context.Background(), CredentialsRequest{Registry: "example", ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(creds.Raw) != raw {
		t.Errorf("Raw = %q", []byte(creds.Raw))
	}
	if got := creds.Hosts(); len(got) != 2 || got[0] != "a.example.com" || got[1] != testHost {
		t.Errorf("Hosts = %v", got)
	}
	a := creds.Config.Auths[testHost]
	if a.Username != testUser || a.Secret != testPassword || a.Auth() != testAuth {
		t.Errorf("entry = %q %q %q", a.Username, a.Secret, a.Auth())
	}
	if b := creds.Config.Auths["a.example.com"]; b.Username != "u2" || b.Secret != "p2" {
		t.Errorf("second entry = %q %q", b.Username, b.Secret)
	}
}

func TestDockerCredentialsPathEscaping(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(200, testCredBody))
	c, _ := newTest(t, mt)
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{Registry: "my-reg-2"}); err != nil {
		t.Fatal(err)
	}
	s := rec.all()[0]
	if want := "/v2/registries/my-reg-2/docker-credentials"; s.Path != want {
		t.Errorf("path = %q, want %q", s.RawPath, want)
	}
	if s.Query != "expiry_seconds=2592000&read_write=false" {
		t.Errorf("query = %q", s.Query)
	}
}

func TestDockerCredentialsInvalidRequest(t *testing.T) {
	t.Parallel()
	cases := []CredentialsRequest{
		{Expiry: time.Hour, NeverExpire: true},
		{Expiry: -time.Second},
		{Expiry: 500 * time.Millisecond},
		{Expiry: 1500 * time.Millisecond},
		{Expiry: time.Nanosecond},
	}
	for _, req := range cases {
		mt, rec := mock(t, always(200, testCredBody))
		c, _ := newTest(t, mt)
		_, err := c.DockerCredentials(context.Background(), req)
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%+v: err = %v, want ErrInvalidRequest", req, err)
		}
		if rec.count() != 0 {
			t.Errorf("%+v: a request was sent", req)
		}
	}
}

func TestDockerCredentialsTooLarge(t *testing.T) {
	t.Parallel()
	huge := `{"auths":{"h":{"auth":"` + strings.Repeat("A", 10<<20) + `"}}}`
	mt, _ := mock(t, always(200, huge))
	c, _ := newTest(t, mt)
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want ErrResponseTooLarge", err)
	}
}

func TestDockerCredentialsBadBody(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`<html>`, `{"auths":{}}`, `{"auths":{"h":{"auth":"!!"}}}`} {
		mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) { return reply(200, body), nil })
		c, _ := newTest(t, mt)
		_, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: err = %v", body, err)
		}
	}
}

func TestDockerCredentialsTransportError(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, func(int, *http.Request) (*http.Response, error) { return nil, errors.New("boom") })
	c, fc := newTest(t, mt)
	_, err := c.DockerCredentials(context.Background(), CredentialsRequest{Registry: "example"})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "4 attempts") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "expiry_seconds") || strings.Contains(err.Error(), "read_write") || strings.Contains(err.Error(), "2592000") {
		t.Errorf("query leaked: %v", err)
	}
	assertNoSecret(t, err.Error())
	if rec.count() != 4 || len(fc.all()) != 3 {
		t.Errorf("requests %d, waits %v", rec.count(), fc.all())
	}
}

// errReader fails after its first bytes.
type errReader struct{ n int }

func (e *errReader) Read(p []byte) (int, error) {
	if e.n > 0 {
		return 0, errors.New("read failure")
	}
	e.n++
	return copy(p, `{"auths":`), nil
}
func (e *errReader) Close() error { return nil }

func TestDockerCredentialsBodyReadError(t *testing.T) {
	t.Parallel()
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) {
		r := reply(200, "")
		r.Body = &errReader{}
		return r, nil
	})
	c, _ := newTest(t, mt)
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err == nil || !strings.Contains(err.Error(), "read failure") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseCredentials(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	doc := func(host, auth string) string { return `{"auths":{"` + host + `":{"auth":"` + auth + `"}}}` }
	good := []struct {
		raw, user, pass string
	}{
		{doc("h", b64("u:p")), "u", "p"},
		{doc("h", b64("u:p:q::")), "u", "p:q::"},
		{doc("h", b64("u::")), "u", ":"},
		{doc("h", b64("u:p\n")), "u", "p\n"},
	}
	for _, g := range good {
		c, err := ParseCredentials([]byte(g.raw))
		if err != nil {
			t.Errorf("%s: %v", g.raw, err)
			continue
		}
		if e := c.Config.Auths["h"]; e.Username != g.user || e.Secret != g.pass {
			t.Errorf("%s: got %q %q", g.raw, e.Username, e.Secret)
		}
		if !bytes.Equal(c.Raw, []byte(g.raw)) {
			t.Errorf("Raw differs")
		}
	}
	bad := []struct{ name, raw string }{
		{"not json", `{"auths":`},
		{"json syntax with secret", `{"auths":{"h":{"auth":"` + testAuth + `"}}x`},
		{"wrong type", `{"auths":{"h":{"auth":5}}}`},
		{"array", `[]`},
		{"empty", ``},
		{"null", `null`},
		{"no auths", `{}`},
		{"empty auths", `{"auths":{}}`},
		{"null auths", `{"auths":null}`},
		{"empty host", doc("", b64("u:p"))},
		{"no auth", `{"auths":{"h":{}}}`},
		{"empty auth", doc("h", "")},
		{"not base64", doc("h", testPassword)},
		{"raw base64", doc("h", strings.TrimRight(b64("user:secretpw1"), "="))},
		{"no colon", doc("h", b64("nocolonsecretvalue"))},
		{"non-canonical base64", doc("h", "0006001=")},
		{"base64 with line break", doc("h", b64("user:secretpw1")[:4]+`\n`+b64("user:secretpw1")[4:])},
		{"empty user", doc("h", b64(":"+testPassword))},
		{"empty password", doc("h", b64(testUser+":"))},
	}
	for _, b := range bad {
		_, err := ParseCredentials([]byte(b.raw))
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: err = %v, want ErrInvalidCredentials", b.name, err)
			continue
		}
		assertNoSecret(t, err.Error(), "secretpw1", "nocolonsecretvalue", b64(testPassword))
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	creds, err := ParseCredentials([]byte(testCredBody))
	if err != nil {
		t.Fatal(err)
	}
	creds.Registry = "example"
	creds.ExpiresAt = testEpoch
	var out []string
	for _, v := range []any{creds, *creds, creds.Config, creds.Config.Auths, creds.Config.Auths[testHost], creds.Raw} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			out = append(out, fmt.Sprintf(f, v))
		}
	}
	out = append(out, fmt.Sprint(creds), fmt.Sprintln(*creds), creds.String(), creds.GoString(),
		creds.Config.String(), creds.Config.GoString(), creds.Raw.String())
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("got", "creds", creds, "config", creds.Config, "entry", creds.Config.Auths[testHost], "raw", creds.Raw)
	}
	out = append(out, buf.String())
	all := strings.Join(out, "\n")
	assertNoSecret(t, all)
	for _, want := range []string{"example", testHost, "read-only", "2026-08-07T12:00:00Z", "REDACTED"} {
		if !strings.Contains(all, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	never := Credentials{ReadWrite: true}
	if s := never.String(); !strings.Contains(s, "never expires") || !strings.Contains(s, "read-write") || !strings.Contains(s, "(default)") {
		t.Errorf("String = %q", s)
	}
}

// DockerCredentials sends exactly what the generated request builders build
// (it calls them): same URL (base path prefix, escaping and dot segments of
// the registry name included) and method, with only docr's two headers
// added on the way (auth and User-Agent).
func TestDockerCredentialsRequestMatchesGenerated(t *testing.T) {
	t.Parallel()
	bases := []string{
		"https://api.digitalocean.com", "https://api.digitalocean.com/", "http://127.0.0.1:8080/prefix",
		"http://h/a/b/", "http://h/a%20b", "http://h/a%2Fb", "http://h/a%2Fb/", "http://h/a//", "HTTP://Example.COM:443/x",
	}
	registries := []string{"", "example", "my-reg-2", "0", "a--b"}
	for _, base := range bases {
		for _, registry := range registries {
			for _, req := range []CredentialsRequest{{}, {ReadWrite: true, Expiry: 90 * time.Second}, {NeverExpire: true}} {
				req.Registry = registry
				mt, rec := mock(t, always(200, testCredBody))
				c, err := New(testToken, WithTransport(mt), WithBaseURL(base))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.DockerCredentials(context.Background(), req); err != nil {
					t.Fatalf("%s %q: %v", base, registry, err)
				}
				expiry, _ := req.check()
				rw := req.ReadWrite
				server := c.api.ClientInterface.(*gen.Client).Server
				var want *http.Request
				if registry == "" {
					want, err = gen.NewRegistryGetDockerCredentialsRequest(server, &gen.RegistryGetDockerCredentialsParams{ExpirySeconds: expiry, ReadWrite: &rw})
				} else {
					want, err = gen.NewRegistriesGetDockerCredentialsRequest(server, registry, &gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: expiry, ReadWrite: &rw})
				}
				if err != nil {
					t.Fatal(err)
				}
				got := rec.all()[0]
				if got.Method != want.Method || got.Host != want.URL.Host || got.RawPath != want.URL.EscapedPath() || got.Query != want.URL.RawQuery {
					t.Errorf("%s %q: sent %s %s%s?%s, generated %s %s%s?%s", base, registry,
						got.Method, got.Host, got.RawPath, got.Query, want.Method, want.URL.Host, want.URL.EscapedPath(), want.URL.RawQuery)
				}
				if len(got.Header) != 2 || got.Header.Get("Authorization") != "Bearer "+testToken || got.Header.Get("User-Agent") != DefaultUserAgent {
					t.Errorf("%s %q: headers %v", base, registry, got.Header)
				}
			}
		}
	}
}

// A nil context is refused with an error rather than a panic.
func TestDockerCredentialsNilContext(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(200, testCredBody))
	c, _ := newTest(t, mt)
	var ctx context.Context
	if _, err := c.DockerCredentials(ctx, CredentialsRequest{}); err == nil || rec.count() != 0 {
		t.Errorf("err = %v, %d requests", err, rec.count())
	}
}

// DockerConfig encodes as the API's JSON (gen.DockerCredentials,
// gen.DockerAuth), auth only, and decodes from it by ParseCredentials' rules.
func TestDockerConfigJSON(t *testing.T) {
	t.Parallel()
	cfg := DockerConfig{Auths: map[string]Credential{
		"b.example": {Host: "b.example", Username: "b", Secret: "c"},
		testHost:    {Host: testHost, Username: "u", Secret: "p:q"},
	}}
	cases := []struct {
		v    any
		want string
	}{
		{cfg, `{"auths":{"b.example":{"auth":"Yjpj"},"registry.digitalocean.com":{"auth":"dTpwOnE="}}}`},
		{DockerConfig{}, `{"auths":null}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
	var back DockerConfig
	if err := json.Unmarshal([]byte(cases[0].want), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("Unmarshal = %#v", back)
	}
	if back.Auths[testHost].Secret != "p:q" {
		t.Error("the secret was not split at the first colon")
	}
	for _, doc := range []string{`{}`, `{"auths":null}`, `{"auths":{}}`, `null`} {
		back := DockerConfig{Auths: map[string]Credential{"x": {}}}
		if err := json.Unmarshal([]byte(doc), &back); err != nil || back.Auths != nil {
			t.Errorf("%s: %#v, %v", doc, back, err)
		}
	}
	for _, doc := range []string{`{"auths":{"h":{"auth":1}}}`, `{"auths":{"h":{"auth":"bm9jb2xvbg=="}}}`, `{"auths":{"h":{}}}`} {
		err := json.Unmarshal([]byte(doc), &back)
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: err = %v, want ErrInvalidCredentials", doc, err)
		}
	}
}
