package facade

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCheckRegistryName: the API's own name rule, applied before any
// request; ".." and "a/b" never become another path.
func TestCheckRegistryName(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, want string }{
		{"example", ""},
		{"my-registry-2", ""},
		{strings.Repeat("a", 63), ""},
		{"", "empty registry name"},
		{"..", `registry name has '.' at byte 0: use 1 to 63`},
		{".", `registry name has '.' at byte 0`},
		{"a/b", `registry name has '/' at byte 1`},
		{"a%2Fb", `registry name has '%' at byte 1`},
		{"Example", `registry name has 'E' at byte 0`},
		{"my_registry", `registry name has '_' at byte 2`},
		{"ex ample", `registry name has ' ' at byte 2`},
		{"regіstry", `registry name has '\u0456' at byte 3`},
		{strings.Repeat("a", 64), "registry name of 64 bytes"},
		{strings.Repeat("a", 500), "registry name of 500 bytes"},
	}
	for _, tt := range tests {
		err := CheckRegistryName(tt.name)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckRegistryName(%q) = %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckRegistryName(%+q) = %v, want ErrInvalidRequest containing %q", tt.name, err, tt.want)
		}
	}
}

// TestRegistryNameRuleMatchesSpec: the rule above is the spec's pattern for
// a registry name, so a change upstream is noticed here.
func TestRegistryNameRuleMatchesSpec(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile("../spec/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pats := regexp.MustCompile(`(?m)^\s+pattern: (\S+)$`).FindAllStringSubmatch(string(spec), -1)
	if len(pats) == 0 {
		t.Fatal("spec/registry.yaml declares no pattern; has the registry name rule moved?")
	}
	for _, p := range pats {
		if p[1] != `^[a-z0-9-]{1,63}$` {
			t.Errorf("spec pattern %s differs from CheckRegistryName's rule ^[a-z0-9-]{1,63}$", p[1])
		}
	}
}

// TestBadRegistryNameSendsNothing: every facade call that takes a registry
// name refuses a bad one before any request.
func TestBadRegistryNameSendsNothing(t *testing.T) {
	t.Parallel()
	mt, calls := mock(t, func(int, *http.Request) (*http.Response, error) {
		t.Error("a request was sent")
		return jsonReply(http.StatusOK, `{}`), nil
	})
	c, _ := newTest(t, mt)
	ctx := context.Background()
	for _, name := range []string{"..", "a/b", "Example"} {
		if _, err := c.DockerCredentials(ctx, CredentialsRequest{Registry: name}); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("DockerCredentials(%q) = %v", name, err)
		}
		for _, err := range c.Repositories(ctx, name) {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("Repositories(%q) = %v", name, err)
			}
		}
		for _, err := range c.Tags(ctx, name, "repo") {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("Tags(%q) = %v", name, err)
			}
		}
		for _, err := range c.GarbageCollections(ctx, name) {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("GarbageCollections(%q) = %v", name, err)
			}
		}
	}
	if n := calls.count(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestExpiresAtHasNoMonotonicReading: ExpiresAt prints as a plain time.
func TestExpiresAtHasNoMonotonicReading(t *testing.T) {
	t.Parallel()
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) {
		return jsonReply(http.StatusOK, `{"auths":{"registry.digitalocean.com":{"auth":"dXNlcjpwYXNz"}}}`), nil
	})
	// The real clock: its readings carry a monotonic part.
	c, err := New(testToken, WithTransport(mt))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.DockerCredentials(context.Background(), CredentialsRequest{Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s := creds.ExpiresAt.String(); strings.Contains(s, "m=") {
		t.Errorf("ExpiresAt = %s, carries a monotonic clock reading", s)
	}
}

// TestNewFromEnvAPIURL: $DIGITALOCEAN_API_URL is the base URL, as for the
// docr command and the fake; WithBaseURL wins over it; a bad one is an error
// that names the variable.
func TestNewFromEnvAPIURL(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Host+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"auths":{"registry.digitalocean.com":{"auth":"dXNlcjpwYXNz"}}}`))
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, "other "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"auths":{"registry.digitalocean.com":{"auth":"dXNlcjpwYXNz"}}}`))
	}))
	defer other.Close()
	t.Setenv(EnvToken, testToken)
	t.Setenv(EnvAPIURL, srv.URL)
	c, err := NewFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	c, err = NewFromEnv(WithBaseURL(other.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DockerCredentials(context.Background(), CredentialsRequest{}); err != nil {
		t.Fatal(err)
	}
	want := []string{strings.TrimPrefix(srv.URL, "http://") + " /v2/registry/docker-credentials", "other /v2/registry/docker-credentials"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("requests = %q, want %q", got, want)
	}
	t.Setenv(EnvAPIURL, "ftp://example.com")
	if _, err := NewFromEnv(); err == nil || !strings.HasPrefix(err.Error(), "$"+EnvAPIURL+": ") {
		t.Errorf("bad URL: err = %v, want one naming $%s", err, EnvAPIURL)
	}
}
