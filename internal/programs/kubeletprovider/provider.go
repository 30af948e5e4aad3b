package kubeletprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/google/go-containerregistry/pkg/name"
)

// Environment variables the provider reads (set them in the env list of the
// provider's entry in the kubelet's CredentialProviderConfig), besides those
// every docr program reads alike (facade.EnvTokenFile, the preferred way to
// give the API token, else facade.EnvToken, else facade.EnvAccessToken;
// facade.EnvAPIURL, facade.EnvRevokeURL and facade.EnvRegistryHost).
const (
	// EnvExpiry is the credentials' lifetime, a Go duration of whole seconds
	// from MinExpiry to MaxExpiry (default DefaultExpiry).
	EnvExpiry = "DOCR_CREDENTIAL_EXPIRY"
	// EnvTimeout bounds a whole run, retries included, a Go duration from
	// one second to five minutes (default DefaultTimeout).
	EnvTimeout = "DOCR_PROVIDER_TIMEOUT"
	// EnvCacheKeyType is the cacheKeyType of responses: Registry (default)
	// or Image (for accounts with several registries; see the docs).
	EnvCacheKeyType = "DOCR_CACHE_KEY_TYPE"
)

// Defaults and limits.
const (
	// DefaultExpiry is the default lifetime of the credentials.
	DefaultExpiry = time.Hour
	// MinExpiry and MaxExpiry bound EnvExpiry.
	MinExpiry = 2 * time.Minute
	// MaxExpiry is the longest lifetime EnvExpiry may ask for.
	MaxExpiry = 30 * 24 * time.Hour
	// DefaultTimeout bounds a run, so that the kubelet falls back promptly.
	DefaultTimeout = 20 * time.Second
	// MaxAttempts is how often the API request is sent at most.
	MaxAttempts = 2
)

// Config is the provider's configuration.
type Config struct {
	// Token is the DigitalOcean API token.
	Token string
	// TokenSource says where Token came from (an env variable or a file
	// path), for messages.
	TokenSource string
	// APIURL is the API base URL ("" for facade.DefaultBaseURL).
	APIURL string
	// RevokeURL is the revocation endpoint, for a credential the API
	// issued for another host ("" for the facade's default).
	RevokeURL string
	// RegistryHost is the registry host images must name.
	RegistryHost string
	// Expiry is the lifetime asked for.
	Expiry time.Duration
	// Timeout bounds a run.
	Timeout time.Duration
	// CacheKeyType is CacheKeyRegistry or CacheKeyImage.
	CacheKeyType string
}

// String describes c without the token.
func (c Config) String() string {
	return fmt.Sprintf("{Token:REDACTED TokenSource:%s APIURL:%s RevokeURL:%s RegistryHost:%s Expiry:%s Timeout:%s CacheKeyType:%s}",
		c.TokenSource, c.APIURL, c.RevokeURL, c.RegistryHost, c.Expiry, c.Timeout, c.CacheKeyType)
}

// GoString describes c without the token (for %#v).
func (c Config) GoString() string { return "kubeletprovider.Config" + c.String() }

// Format prints c as String (GoString for %#v) under every verb, so that no
// verb (%d, %x) reaches the token.
func (c Config) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String(), c.GoString()) }

// LogValue implements slog.LogValuer without the token.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// program). The token and the registry host are found as every docr
// program finds them (facade.TokenFromEnv, facade.RegistryHostFromEnv).
// Errors never contain the token.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		APIURL:       getenv(facade.EnvAPIURL),
		RevokeURL:    getenv(facade.EnvRevokeURL),
		Expiry:       DefaultExpiry,
		Timeout:      DefaultTimeout,
		CacheKeyType: CacheKeyRegistry,
	}
	host, err := facade.RegistryHostFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	// Images name it as host[:port]: go-containerregistry's rule for
	// the registry part of a reference.
	if _, err := name.NewRegistry(host, name.StrictValidation); err != nil {
		return Config{}, fmt.Errorf("%s is not a host name (host or host:port)", facade.EnvRegistryHost)
	}
	c.RegistryHost = host
	if v := getenv(EnvExpiry); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			return Config{}, fmt.Errorf("%s=%s is not a duration such as 1h or 90m", EnvExpiry, quoteShort(v))
		case d%time.Second != 0 || d < MinExpiry || d > MaxExpiry:
			return Config{}, fmt.Errorf("%s=%s must be whole seconds from %s to %s", EnvExpiry, quoteShort(v), MinExpiry, MaxExpiry)
		}
		c.Expiry = d
	}
	if v := getenv(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 5*time.Minute {
			return Config{}, fmt.Errorf("%s=%s must be a duration from 1s to 5m0s", EnvTimeout, quoteShort(v))
		}
		c.Timeout = d
	}
	switch v := getenv(EnvCacheKeyType); v {
	case "", CacheKeyRegistry:
	case CacheKeyImage:
		c.CacheKeyType = CacheKeyImage
	default:
		return Config{}, fmt.Errorf("%s=%s must be %s or %s", EnvCacheKeyType, quoteShort(v), CacheKeyRegistry, CacheKeyImage)
	}
	c.Token, c.TokenSource, err = facade.TokenFromEnv(getenv)
	if errors.Is(err, facade.ErrNoToken) {
		return Config{}, fmt.Errorf("no API token: set %s (a file of mode 0600) or %s in the provider's env", facade.EnvTokenFile, facade.EnvToken)
	}
	if err != nil {
		return Config{}, err
	}
	return c, nil
}

// Provider answers requests with one configuration.
type Provider struct {
	cfg    Config
	client *facade.Client
	now    func() time.Time
}

// New returns a Provider for cfg; now is its clock (nil: time.Now).
func New(cfg Config, now func() time.Time) (*Provider, error) {
	if now == nil {
		now = time.Now
	}
	attempt := min(cfg.Timeout/MaxAttempts, 10*time.Second)
	opts := []facade.Option{
		facade.WithTimeout(attempt),
		facade.WithRetry(facade.RetryPolicy{MaxAttempts: MaxAttempts, BaseDelay: 250 * time.Millisecond, MaxDelay: 2 * time.Second}),
		facade.WithUserAgent("docr-credential-provider/" + facade.Version),
	}
	if cfg.APIURL != "" {
		opts = append(opts, facade.WithBaseURL(cfg.APIURL))
	}
	if cfg.RevokeURL != "" {
		opts = append(opts, facade.WithRevokeURL(cfg.RevokeURL))
	}
	c, err := facade.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("API client (token from %s): %w", cfg.TokenSource, err)
	}
	return &Provider{cfg: cfg, client: c, now: now}, nil
}

// Provide answers req: read-only credentials for the DOCR registry its image
// names, from a facade.Source, under the image's AuthKey. The image must be
// on the configured registry host; a request it cannot answer fails before
// any API call. The cacheDuration ends when the Source would renew the
// credentials: facade.DefaultRenewBefore their expiry.
func (p *Provider) Provide(ctx context.Context, req *Request) (*Response, error) {
	img, err := ParseImage(req.Image, p.cfg.RegistryHost)
	if err != nil {
		return nil, err
	}
	src, err := facade.NewSource(p.client, facade.SourceOptions{
		Request: facade.CredentialsRequest{Registry: img.Registry, Expiry: p.cfg.Expiry},
		Host:    p.cfg.RegistryHost,
		Now:     p.now,
	})
	if err != nil {
		return nil, fmt.Errorf("getting credentials for registry %s: %w", img.Registry, err)
	}
	creds, err := src.Credentials(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("getting credentials for registry %s: no answer within %s: %w", img.Registry, p.cfg.Timeout, err)
		}
		return nil, fmt.Errorf("getting credentials for registry %s: %w", img.Registry, err)
	}
	// The Source has checked that the answer names exactly this host.
	cred, _ := creds.For(p.cfg.RegistryHost)
	cache := max(creds.ExpiresAt.Sub(p.now())-facade.DefaultRenewBefore(p.cfg.Expiry), 0).Truncate(time.Second)
	return &Response{
		APIVersion:    req.APIVersion,
		Kind:          KindResponse,
		CacheKeyType:  p.cfg.CacheKeyType,
		CacheDuration: cache.String(),
		Auth:          map[string]AuthConfig{img.AuthKey(): {Username: cred.Username, Password: cred.Secret}},
	}, nil
}

// Main runs the program: it reads a request from stdin, writes the
// response to stdout and returns the exit code (0, or 1 after one line on
// stderr). It gives up after the configured timeout, whatever it is waiting
// for. args are the program's arguments (none are accepted).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, cfgErr := ConfigFromEnv(getenv)
	fail := func(err error) int {
		msg := trimLine(err.Error())
		for _, tok := range []string{cfg.Token, strings.TrimSpace(cfg.Token)} {
			if len(tok) >= 4 {
				msg = strings.ReplaceAll(msg, tok, "REDACTED")
			}
		}
		fmt.Fprintf(stderr, "docr-credential-provider: %s\n", msg)
		return 1
	}
	if len(args) > 1 {
		return fail(fmt.Errorf("takes no arguments (configure it through the env of its CredentialProviderConfig entry; see docs/kubelet-credential-provider.md)"))
	}
	timeout := DefaultTimeout
	if cfgErr == nil {
		timeout = cfg.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		resp *Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// The request is read and checked first: a malformed request fails
		// here, before the configuration is even looked at.
		req, err := ReadRequest(stdin)
		if err == nil && cfgErr != nil {
			err = cfgErr
		}
		if err != nil {
			done <- result{err: err}
			return
		}
		p, err := New(cfg, nil)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp, err := p.Provide(ctx, req)
		done <- result{resp, err}
	}()
	finish := func(r result) int {
		if r.err != nil {
			return fail(r.err)
		}
		if err := WriteResponse(stdout, r.resp); err != nil {
			return fail(err)
		}
		return 0
	}
	select {
	case r := <-done:
		return finish(r)
	case <-ctx.Done():
	}
	// The deadline passed (or a signal came). An API call returns at once
	// with its own error; give it a moment, so that its message is the one
	// shown, then give up on whatever is stuck (such as reading stdin).
	grace := time.NewTimer(time.Second)
	defer grace.Stop()
	select {
	case r := <-done:
		return finish(r)
	case <-grace.C:
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fail(errors.New("interrupted"))
		}
		return fail(fmt.Errorf("gave up after %s (%s)", timeout, EnvTimeout))
	}
}
