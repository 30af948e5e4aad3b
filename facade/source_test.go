package facade

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// minting answers docker-credentials requests with a fresh credential each
// (user mintN, secret secret-N-...) and revocations with 200; it counts
// both.
type minting struct {
	mints, revokes atomic.Int32
	host           string      // auths host; testHost when empty
	fail           atomic.Bool // mints answer 500 while set
	revoked        sync.Map
}

func (m *minting) secret(n int32) string { return fmt.Sprintf("secret-%d-0123456789abcdef", n) }

func (m *minting) handle(_ int, req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == "/v1/oauth/revoke" {
		m.revokes.Add(1)
		_ = req.ParseForm()
		m.revoked.Store(req.PostForm.Get("token"), true)
		return reply(http.StatusOK, ""), nil
	}
	if m.fail.Load() {
		return jsonReply(http.StatusInternalServerError, `{"id":"server_error","message":"try again"}`), nil
	}
	n := m.mints.Add(1)
	host := m.host
	if host == "" {
		host = testHost
	}
	auth := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("mint%d:%s", n, m.secret(n))))
	return jsonReply(http.StatusOK, `{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), nil
}

func (m *minting) wasRevoked(secret string) bool {
	_, ok := m.revoked.Load(secret)
	return ok
}

// mapCache is a Cache (and Locker) in memory, shared by Sources that stand
// for separate processes.
type mapCache struct {
	mu       sync.Mutex
	entries  map[string]*Credentials
	locks    int
	storeErr error
	lockMu   sync.Mutex
}

func (c *mapCache) Load(_ context.Context, key string) (*Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key], nil
}

func (c *mapCache) Store(_ context.Context, key string, creds *Credentials) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.storeErr != nil {
		return c.storeErr
	}
	if c.entries == nil {
		c.entries = map[string]*Credentials{}
	}
	c.entries[key] = creds
	return nil
}

func (c *mapCache) Lock(context.Context, string) (func(), error) {
	c.lockMu.Lock()
	c.mu.Lock()
	c.locks++
	c.mu.Unlock()
	return c.lockMu.Unlock, nil
}

// sourceClock is a Source's clock that tests move by hand.
type sourceClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sourceClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sourceClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func newTestSource(t *testing.T, m *minting, o SourceOptions, copts ...Option) (*Source, *recorder, *sourceClock) {
	t.Helper()
	mt, rec := mock(t, m.handle)
	clk := &sourceClock{t: testEpoch}
	fc := &fakeClock{}
	apiClock := fc.clock()
	apiClock.Now = clk.now // the API client and the Source share one clock
	c, _ := newTest(t, mt, append([]Option{WithRevokeURL("https://cloud.test/v1/oauth/revoke"), withClock(apiClock)}, copts...)...)
	s, err := NewSource(c, o)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	return s, rec, clk
}

// The source mints once, serves the same credential until RenewBefore its
// expiry, then mints again; each mint is exactly the credentials request.
func TestSourceRenewsBeforeExpiry(t *testing.T) {
	t.Parallel()
	m := &minting{}
	s, rec, clk := newTestSource(t, m, SourceOptions{Request: CredentialsRequest{Registry: "example", Expiry: time.Hour}})
	ctx := context.Background()
	steps := []struct {
		at        time.Duration
		wantMints int32
	}{
		{0, 1},
		{time.Minute, 1},
		{49*time.Minute + 59*time.Second, 1}, // 10m0s1 left: still outside the window
		{50 * time.Minute, 2},                // 10m left: DefaultRenewBefore(1h) is 10m
		{50*time.Minute + time.Second, 2},    // the new one expires at 1h50m
		{time.Hour + 40*time.Minute, 3},      // 10m before that
	}
	for _, st := range steps {
		clk.set(testEpoch.Add(st.at))
		creds, err := s.Credentials(ctx)
		if err != nil {
			t.Fatalf("at %v: %v", st.at, err)
		}
		if got := m.mints.Load(); got != st.wantMints {
			t.Fatalf("at %v: %d mints, want %d", st.at, got, st.wantMints)
		}
		c, _ := creds.For(testHost)
		if want := m.secret(st.wantMints); c.Secret != want {
			t.Errorf("at %v: served secret %q, want %q", st.at, c.Secret, want)
		}
	}
	for _, r := range rec.all() {
		q, _ := url.ParseQuery(r.Query)
		if r.Method != http.MethodGet || r.Path != "/v2/registries/example/docker-credentials" ||
			q.Get("expiry_seconds") != "3600" || q.Get("read_write") != "false" || len(q) != 2 {
			t.Errorf("request %s %s?%s", r.Method, r.Path, r.Query)
		}
		assertAPIHeaders(t, r)
	}
}

// The default window: a sixth of the lifetime, from one to fifteen
// minutes, at most half of it.
func TestDefaultRenewBefore(t *testing.T) {
	t.Parallel()
	tests := []struct{ expiry, want time.Duration }{
		{30 * time.Second, 15 * time.Second},
		{2 * time.Minute, time.Minute},
		{5 * time.Minute, time.Minute},
		{time.Hour, 10 * time.Minute},
		{24 * time.Hour, 15 * time.Minute},
		{90 * 24 * time.Hour, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := DefaultRenewBefore(tt.expiry); got != tt.want {
			t.Errorf("DefaultRenewBefore(%v) = %v, want %v", tt.expiry, got, tt.want)
		}
	}
}

// Concurrent callers share one mint.
func TestSourceConcurrentCallersShareOneMint(t *testing.T) {
	t.Parallel()
	m := &minting{}
	s, _, _ := newTestSource(t, m, SourceOptions{})
	var wg sync.WaitGroup
	secrets := make([]string, 32)
	for i := range secrets {
		wg.Go(func() {
			c, err := s.Credential(context.Background(), testHost)
			if err != nil {
				t.Error(err)
				return
			}
			secrets[i] = c.Secret
		})
	}
	wg.Wait()
	if got := m.mints.Load(); got != 1 {
		t.Fatalf("%d mints for 32 concurrent callers, want 1", got)
	}
	for i, sec := range secrets {
		if sec != m.secret(1) {
			t.Errorf("caller %d got %q", i, sec)
		}
	}
}

// A cache shared by two Sources (two processes) gives the second the first
// one's credential; a Source with another token or API origin has another
// key and mints its own. Keys never hold the token.
func TestSourceCacheKeys(t *testing.T) {
	t.Parallel()
	cache := &mapCache{}
	m := &minting{}
	a, _, _ := newTestSource(t, m, SourceOptions{Request: CredentialsRequest{Registry: "example"}, Cache: cache})
	b, _, _ := newTestSource(t, m, SourceOptions{Request: CredentialsRequest{Registry: "example"}, Cache: cache})
	ctx := context.Background()
	ca, err := a.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.mints.Load() != 1 || ca != cb {
		t.Fatalf("second process minted again: %d mints", m.mints.Load())
	}
	if cache.locks != 2 {
		t.Errorf("%d locks taken, want one per Source", cache.locks)
	}
	if a.Key() != b.Key() {
		t.Errorf("same token and origin, different keys: %q %q", a.Key(), b.Key())
	}
	// Another token, another origin, another access mode, another
	// registry: each a key of its own.
	mt, _ := mock(t, m.handle)
	keys := map[string]string{a.Key(): "base"}
	for name, mk := range map[string]func() (*Source, error){
		"other token": func() (*Source, error) {
			c, err := New("dop_v1_othertoken000000000000000000000000", WithTransport(mt))
			if err != nil {
				return nil, err
			}
			return NewSource(c, SourceOptions{Request: CredentialsRequest{Registry: "example"}, Cache: cache})
		},
		"other origin": func() (*Source, error) {
			c, err := New(testToken, WithTransport(mt), WithBaseURL("https://api.other.test"))
			if err != nil {
				return nil, err
			}
			return NewSource(c, SourceOptions{Request: CredentialsRequest{Registry: "example"}, Cache: cache})
		},
		"read-write": func() (*Source, error) {
			c, err := New(testToken, WithTransport(mt))
			if err != nil {
				return nil, err
			}
			return NewSource(c, SourceOptions{Request: CredentialsRequest{Registry: "example", ReadWrite: true}, Cache: cache})
		},
		"other registry": func() (*Source, error) {
			c, err := New(testToken, WithTransport(mt))
			if err != nil {
				return nil, err
			}
			return NewSource(c, SourceOptions{Request: CredentialsRequest{Registry: "other"}, Cache: cache})
		},
	} {
		s, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if prev, dup := keys[s.Key()]; dup {
			t.Errorf("%s has the key of %s: %q", name, prev, s.Key())
		}
		keys[s.Key()] = name
	}
	for k := range keys {
		if strings.Contains(k, testToken) || strings.Contains(k, "othertoken") {
			t.Errorf("key %q holds a token", k)
		}
	}
}

// What the cache could not keep is revoked at once (the default), or kept
// and logged without a secret (KeepUnstored).
func TestSourceStoreFailure(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("KeepUnstored=%t", keep), func(t *testing.T) {
			t.Parallel()
			m := &minting{}
			var logs bytes.Buffer
			cache := &mapCache{storeErr: errors.New("disk full")}
			s, rec, _ := newTestSource(t, m, SourceOptions{Cache: cache, KeepUnstored: keep, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			creds, err := s.Credentials(context.Background())
			if keep {
				if err != nil || creds == nil || m.revokes.Load() != 0 {
					t.Fatalf("kept: %v, %v, %d revokes", creds, err, m.revokes.Load())
				}
				if !strings.Contains(logs.String(), "disk full") {
					t.Errorf("no warning logged: %q", logs.String())
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "the minted credential was revoked") {
					t.Fatalf("err = %v", err)
				}
				if !m.wasRevoked(m.secret(1)) {
					t.Fatal("the unstored credential was not revoked")
				}
				last := rec.all()[len(rec.all())-1]
				if last.Host != "cloud.test" || last.Header.Get("Authorization") != "Bearer "+m.secret(1) {
					t.Errorf("revocation %s %s with %q", last.Method, last.Host, last.Header.Get("Authorization"))
				}
				assertNoSecret(t, err.Error(), m.secret(1))
			}
			assertNoSecret(t, logs.String(), m.secret(1), "mint1")
		})
	}
}

// Get serves the Source's host only, matched by its bytes (A-Z lowered as
// Docker lowers them); anything else is "not found" and mints nothing.
func TestSourceGetHosts(t *testing.T) {
	t.Parallel()
	m := &minting{}
	s, _, _ := newTestSource(t, m, SourceOptions{})
	tests := []struct {
		server string
		ok     bool
	}{
		{"registry.digitalocean.com", true},
		{"https://registry.digitalocean.com", true},
		{"https://registry.digitalocean.com/v2/", true},
		{"Registry.DigitalOcean.com", true},
		{"registry.digitalocean.com:443", false},
		{"regiſtry.digitalocean.com", false}, // long s
		{"registry.digitalocean.com.evil.example", false},
		{"evil.example/x://registry.digitalocean.com", false},
		{"ftp://registry.digitalocean.com", false},
		{"", false},
		{"index.docker.io", false},
	}
	for _, tt := range tests {
		user, secret, err := s.Get(tt.server)
		switch {
		case tt.ok && (err != nil || user != "mint1" || secret != m.secret(1)):
			t.Errorf("Get(%q) = %q, %q, %v", tt.server, user, secret, err)
		case !tt.ok && !errors.Is(err, ErrCredentialsNotFound):
			t.Errorf("Get(%q): err = %v, want ErrCredentialsNotFound", tt.server, err)
		}
	}
	if got := m.mints.Load(); got != 1 {
		t.Errorf("%d mints", got)
	}
}

// Credentials for another host than the Source's are refused and revoked.
func TestSourceRefusesOtherHost(t *testing.T) {
	t.Parallel()
	m := &minting{host: "other.example"}
	s, _, _ := newTestSource(t, m, SourceOptions{})
	_, err := s.Credentials(context.Background())
	if !errors.Is(err, ErrInvalidCredentials) || !strings.Contains(err.Error(), "not only for registry.digitalocean.com") {
		t.Fatalf("err = %v", err)
	}
	if !m.wasRevoked(m.secret(1)) {
		t.Error("the refused credential was not revoked")
	}
}

// A failed mint returns its error and keeps serving nothing stale: the
// next call mints again.
func TestSourceMintFailure(t *testing.T) {
	t.Parallel()
	m := &minting{}
	m.fail.Store(true)
	s, _, _ := newTestSource(t, m, SourceOptions{}, WithRetry(RetryPolicy{MaxAttempts: 1}))
	if _, err := s.Credentials(context.Background()); !errors.Is(err, ErrServer) {
		t.Fatalf("err = %v, want ErrServer", err)
	}
	m.fail.Store(false)
	if c, err := s.Credential(context.Background(), testHost); err != nil || c.Secret != m.secret(1) {
		t.Fatalf("after recovery: %v, %v", c, err)
	}
}

func TestNewSourceOptions(t *testing.T) {
	t.Parallel()
	mt, _ := mock(t, always(500, `{}`))
	c, _ := newTest(t, mt)
	tests := []struct {
		name string
		o    SourceOptions
		want string
	}{
		{"never expire", SourceOptions{Request: CredentialsRequest{NeverExpire: true}}, "NeverExpire is not for it"},
		{"renew equal to expiry", SourceOptions{Request: CredentialsRequest{Expiry: time.Hour}, RenewBefore: time.Hour}, "RenewBefore 1h0m0s must be positive and shorter than the expiry 1h0m0s"},
		{"negative renew", SourceOptions{RenewBefore: -time.Second}, "must be positive"},
		{"fractional expiry", SourceOptions{Request: CredentialsRequest{Expiry: 1500 * time.Millisecond}}, "whole number of seconds"},
		{"bad registry", SourceOptions{Request: CredentialsRequest{Registry: "a/b"}}, "registry name has '/'"},
	}
	for _, tt := range tests {
		_, err := NewSource(c, tt.o)
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := NewSource(nil, SourceOptions{}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("nil client: %v", err)
	}
	s, err := NewSource(c, SourceOptions{Host: " Registry.Example.TEST "})
	if err != nil || s.Host() != "registry.example.test" {
		t.Errorf("host = %q, %v", s.Host(), err)
	}
}
