package facade

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/gen"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"tok":                  "tok",
		"  tok\n":              "tok",
		`"tok"`:                "tok",
		`'tok'`:                "tok",
		" \"'tok'\" \r\n":      "tok",
		`"  tok "`:             "tok",
		"dop_v1_" + "abc=+/.~": "dop_v1_abc=+/.~",
	}
	for in, want := range good {
		mt, rec := mock(t, always(200, `{"registries":[]}`))
		c, err := New(in, WithTransport(mt))
		if err != nil {
			t.Errorf("New(%q): %v", in, err)
			continue
		}
		if _, err := c.Registries(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := rec.all()[0].Header.Get("Authorization"); got != "Bearer "+want {
			t.Errorf("New(%q): Authorization %q", in, got)
		}
	}
	bad := []string{"", "   ", `""`, `" "`, "'\n'", "secret tok", "secret\ttok", "secret\x00tok", "secret\x7ftok", "secr\u00e9t", "secret\u200btok", "\"secret"}
	for _, in := range bad {
		c, err := New(in)
		if c != nil || !errors.Is(err, ErrInvalidToken) {
			t.Errorf("New(%q) = %v, %v", in, c, err)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%q): error echoes the token: %v", in, err)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	bad := map[string]Option{
		"nil option":              nil,
		"empty base URL":          WithBaseURL(""),
		"blank base URL":          WithBaseURL("  "),
		"relative base URL":       WithBaseURL("/v2"),
		"ftp base URL":            WithBaseURL("ftp://api.example.com"),
		"no host":                 WithBaseURL("https://"),
		"no hostname":             WithBaseURL("https://:443"),
		"query":                   WithBaseURL("https://api.example.com/?token=x"),
		"empty query":             WithBaseURL("https://api.example.com/?"),
		"fragment":                WithBaseURL("https://api.example.com/#x"),
		"empty fragment":          WithBaseURL("https://api.example.com/#"),
		"user info":               WithBaseURL("https://user:pass@api.example.com"),
		"unparsable":              WithBaseURL("https://api.example.com:port/"),
		"control char":            WithBaseURL("https://api.example.com/\x7f"),
		"revoke URL":              WithRevokeURL("mailto:x@example.com"),
		"nil http client":         WithHTTPClient(nil),
		"nil transport":           WithTransport(nil),
		"empty UA":                WithUserAgent(" "),
		"UA control":              WithUserAgent("a\r\nX-Evil: 1"),
		"zero timeout":            WithTimeout(0),
		"negative timeout":        WithTimeout(-time.Second),
		"negative attempts":       WithRetry(RetryPolicy{MaxAttempts: -1}),
		"too many attempts":       WithRetry(RetryPolicy{MaxAttempts: 101}),
		"negative delay":          WithRetry(RetryPolicy{BaseDelay: -1}),
		"base above max":          WithRetry(RetryPolicy{BaseDelay: time.Minute, MaxDelay: time.Second}),
		"per page 0":              WithPerPage(0),
		"per page 201":            WithPerPage(201),
		"negative max delay":      WithRetry(RetryPolicy{MaxDelay: -time.Second}),
		"base URL with only path": WithBaseURL("api.example.com/v2"),
	}
	for name, opt := range bad {
		c, err := New(testToken, opt)
		if c != nil || err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "pass") {
			t.Errorf("%s: error leaks: %v", name, err)
		}
	}
	good := []Option{
		WithBaseURL("http://127.0.0.1:8080"),
		WithBaseURL("https://proxy.example.com/do-api/"),
		WithRevokeURL("http://localhost/revoke"),
		WithUserAgent("mytool/1.0 " + DefaultUserAgent),
		WithTimeout(time.Second),
		WithRetry(RetryPolicy{}),
		WithRetry(RetryPolicy{MaxAttempts: 1}),
		WithRetry(RetryPolicy{BaseDelay: time.Minute}),
		WithPerPage(1),
		WithPerPage(200),
		WithHTTPClient(&http.Client{}),
		WithTransport(http.DefaultTransport),
	}
	for i, opt := range good {
		if _, err := New(testToken, opt); err != nil {
			t.Errorf("good option %d: %v", i, err)
		}
	}
}

func TestBaseURLPrefixAndUserAgent(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(200, testCredBody))
	c, _ := newTest(t, mt, WithBaseURL("https://proxy.example.com:8443/do-api/"), WithUserAgent("mytool/2"))
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	s := rec.all()[0]
	if s.Host != "proxy.example.com:8443" || s.Path != "/do-api/v2/registry/docker-credentials" {
		t.Errorf("sent to %s%s", s.Host, s.Path)
	}
	if s.Header.Get("Authorization") != "Bearer "+testToken || s.Header.Get("User-Agent") != "mytool/2" {
		t.Errorf("headers %v", s.Header)
	}
}

// Environment tests cannot run in parallel (t.Setenv).
func TestNewFromEnv(t *testing.T) {
	cases := []struct {
		name, token, access, want string
		err                       error
	}{
		{"token", "tok-a", "tok-b", "tok-a", nil},
		{"access token", "", "tok-b", "tok-b", nil},
		{"blank token falls through", "  ", "'tok-b'", "tok-b", nil},
		{"neither", "", "", "", ErrNoToken},
		{"invalid token", "bad secret", "tok-b", "", ErrInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvToken, tc.token)
			t.Setenv(EnvAccessToken, tc.access)
			mt, rec := mock(t, always(200, `{"registries":[]}`))
			c, err := NewFromEnv(WithTransport(mt))
			if tc.err != nil {
				if !errors.Is(err, tc.err) || c != nil {
					t.Fatalf("err = %v", err)
				}
				msg := err.Error()
				if strings.Contains(msg, "secret") {
					t.Errorf("error echoes the token: %v", msg)
				}
				if tc.err == ErrNoToken && (!strings.Contains(msg, EnvToken) || !strings.Contains(msg, EnvAccessToken)) {
					t.Errorf("error does not name both variables: %v", msg)
				}
				if tc.err == ErrInvalidToken && !strings.Contains(msg, EnvToken) {
					t.Errorf("error does not name the variable: %v", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Registries(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := rec.all()[0].Header.Get("Authorization"); got != "Bearer "+tc.want {
				t.Errorf("Authorization = %q", got)
			}
		})
	}
	t.Run("bad option", func(t *testing.T) {
		t.Setenv(EnvToken, "tok")
		if _, err := NewFromEnv(WithTimeout(-1)); err == nil || errors.Is(err, ErrInvalidToken) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAPIReturnsConfiguredClient(t *testing.T) {
	t.Parallel()
	c, _ := newTest(t, http.DefaultTransport)
	var _ *gen.ClientWithResponses = c.API()
	if c.API() != c.api || c.API().ClientInterface.(*gen.Client).Server != "https://api.digitalocean.com/" {
		t.Error("API() is not the configured client")
	}
}
