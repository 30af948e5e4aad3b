package facade

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRevokeCredential(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, func(int, *http.Request) (*http.Response, error) { return reply(200, ""), nil })
	c, _ := newTest(t, mt)
	if err := c.RevokeCredential(context.Background(), " "+testPassword+"\n"); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	s := reqs[0]
	if s.Method != "POST" || s.Host != "cloud.digitalocean.com" || s.Path != "/v1/oauth/revoke" || s.Query != "" {
		t.Errorf("sent %s %s%s?%s", s.Method, s.Host, s.Path, s.Query)
	}
	if s.Header.Get("Authorization") != "Bearer "+testPassword {
		t.Errorf("Authorization = %q", s.Header.Get("Authorization"))
	}
	if s.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || s.Header.Get("User-Agent") != DefaultUserAgent {
		t.Errorf("headers = %v", s.Header)
	}
	if form, _ := url.ParseQuery(s.Body); form.Get("token") != testPassword || len(form) != 1 {
		t.Errorf("body = %q", s.Body)
	}
	if strings.Contains(s.Header.Get("Authorization"), testToken) {
		t.Error("API token sent to the revocation endpoint")
	}
}

func TestRevokeCredentialErrors(t *testing.T) {
	t.Parallel()
	echo := `{"error":"invalid_token","error_description":"token ` + testPassword + ` / ` + url.QueryEscape(testPassword) + ` unknown"}`
	cases := []struct {
		name   string
		status int
		body   string
		is     error
	}{
		{"401 echoing the password", 401, echo, ErrUnauthorized},
		{"500", 500, `oops`, ErrServer},
		{"204 is not 200", 204, ``, nil},
		{"redirect not followed", 302, ``, nil},
	}
	for _, tc := range cases {
		mt, rec := mock(t, func(int, *http.Request) (*http.Response, error) {
			r := jsonReply(tc.status, tc.body)
			if tc.status == 302 {
				r.Header.Set("Location", "https://evil.example/")
			}
			return r, nil
		})
		c, _ := newTest(t, mt, WithRevokeURL("https://revoke.example/v1/oauth/revoke"))
		err := c.RevokeCredential(context.Background(), testPassword)
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Attempts != 1 {
			t.Fatalf("%s: err = %v", tc.name, err)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: not %v", tc.name, tc.is)
		}
		if tc.status == 401 && (ae.ID != "invalid_token" || !strings.Contains(ae.Message, "unknown")) {
			t.Errorf("%s: %+v", tc.name, ae)
		}
		assertNoSecret(t, err.Error()+ae.Message+string(ae.Body), url.QueryEscape(testPassword))
		if reqs := rec.all(); len(reqs) != 1 || reqs[0].Host != "revoke.example" {
			t.Errorf("%s: requests %+v", tc.name, reqs)
		}
	}
}

func TestRevokeCredentialTransportAndInput(t *testing.T) {
	t.Parallel()
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused " + testPassword)}
	})
	err := RevokeCredential(context.Background(), testPassword, WithTransport(mt))
	var oe *net.OpError
	if err == nil || !errors.As(err, &oe) {
		t.Fatalf("err = %v", err)
	}
	assertNoSecret(t, err.Error())
	for _, bad := range []string{"", "  ", "a b", "tok\x00en", "t\u00f6k"} {
		if err := RevokeCredential(context.Background(), bad, WithTransport(mt)); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if err := RevokeCredential(context.Background(), testPassword, WithRevokeURL("ftp://x")); err == nil {
		t.Error("bad option accepted")
	}
	var nilCtx context.Context
	if err := RevokeCredential(nilCtx, testPassword, WithTransport(mt)); err == nil {
		t.Error("nil context accepted")
	}
	mt2, rec := mock(t, func(int, *http.Request) (*http.Response, error) { return reply(200, "{}"), nil })
	if err := RevokeCredential(context.Background(), testPassword, WithTransport(mt2), WithUserAgent("cli/1")); err != nil {
		t.Fatal(err)
	}
	if ua := rec.all()[0].Header.Get("User-Agent"); ua != "cli/1" {
		t.Errorf("User-Agent = %q", ua)
	}
}
