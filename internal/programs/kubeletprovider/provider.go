package kubeletprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/docr-dev/docr/facade"
)

// Environment variables the provider reads (set them in the env list of the
// provider's entry in the kubelet's CredentialProviderConfig).
const (
	// EnvTokenFile names a file holding the DigitalOcean API token (the
	// preferred way). The file must be a regular file that neither group nor
	// others may read or write (mode 0600 or 0400).
	EnvTokenFile = "DOCR_TOKEN_FILE"
	// EnvToken holds the API token itself, used when EnvTokenFile is unset.
	EnvToken = "DIGITALOCEAN_TOKEN"
	// EnvAccessToken is read when EnvToken is unset too.
	EnvAccessToken = "DIGITALOCEAN_ACCESS_TOKEN"
	// EnvAPIURL is the API base URL (default facade.DefaultBaseURL).
	EnvAPIURL = "DIGITALOCEAN_API_URL"
	// EnvRegistryHost is the registry host the provider answers for
	// (default DefaultRegistryHost).
	EnvRegistryHost = "DOCR_REGISTRY_HOST"
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
	// DefaultRegistryHost is DigitalOcean's registry host.
	DefaultRegistryHost = "registry.digitalocean.com"
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
	// maxTokenFileSize bounds the token file.
	maxTokenFileSize = 4096
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
	return fmt.Sprintf("{Token:REDACTED TokenSource:%s APIURL:%s RegistryHost:%s Expiry:%s Timeout:%s CacheKeyType:%s}",
		c.TokenSource, c.APIURL, c.RegistryHost, c.Expiry, c.Timeout, c.CacheKeyType)
}

// GoString describes c without the token (for %#v).
func (c Config) GoString() string { return "kubeletprovider.Config" + c.String() }

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// program). The token comes from the file EnvTokenFile names, else from
// EnvToken, else from EnvAccessToken. Errors never contain the token.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		APIURL:       getenv(EnvAPIURL),
		RegistryHost: getenv(EnvRegistryHost),
		Expiry:       DefaultExpiry,
		Timeout:      DefaultTimeout,
		CacheKeyType: CacheKeyRegistry,
	}
	if c.RegistryHost == "" {
		c.RegistryHost = DefaultRegistryHost
	}
	if strings.ContainsAny(c.RegistryHost, "/ \t\r\n@") {
		return Config{}, fmt.Errorf("%s is not a host name", EnvRegistryHost)
	}
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
	if path := getenv(EnvTokenFile); path != "" {
		tok, err := readTokenFile(path)
		if err != nil {
			return Config{}, err
		}
		c.Token, c.TokenSource = tok, path
		return c, nil
	}
	for _, name := range []string{EnvToken, EnvAccessToken} {
		if tok := strings.TrimSpace(getenv(name)); tok != "" {
			c.Token, c.TokenSource = tok, name
			return c, nil
		}
	}
	return Config{}, fmt.Errorf("no API token: set %s (a file of mode 0600) or %s in the provider's env", EnvTokenFile, EnvToken)
}

// readTokenFile reads the token from path, refusing anything but a regular
// file of at most 4 KiB that group and others cannot read or write.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("token file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return "", fmt.Errorf("token file %s has mode %04o: group or others may access it; chmod 600 it", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFileSize+1))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if len(data) > maxTokenFileSize {
		return "", fmt.Errorf("token file %s is larger than %d bytes", path, maxTokenFileSize)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return tok, nil
}

// CacheMargin is how much shorter than the credentials' remaining lifetime
// the cacheDuration is: a sixth of the lifetime, from one to fifteen
// minutes, so that a pull that starts just before the cache ends still
// finishes with valid credentials (one hour: ten minutes).
func CacheMargin(expiry time.Duration) time.Duration {
	return min(max(expiry/6, time.Minute), 15*time.Minute)
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
	c, err := facade.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("API client (token from %s): %w", cfg.TokenSource, err)
	}
	return &Provider{cfg: cfg, client: c, now: now}, nil
}

// Provide answers req: read-only credentials for the DOCR registry its image
// names. The image must be on the configured registry host; a request it
// cannot answer fails before any API call.
func (p *Provider) Provide(ctx context.Context, req *Request) (*Response, error) {
	img, err := ParseImage(req.Image, p.cfg.RegistryHost)
	if err != nil {
		return nil, err
	}
	creds, err := p.client.DockerCredentials(ctx, facade.CredentialsRequest{
		Registry: img.Registry,
		Expiry:   p.cfg.Expiry,
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("getting credentials for registry %s: no answer within %s: %w", img.Registry, p.cfg.Timeout, err)
		}
		return nil, fmt.Errorf("getting credentials for registry %s: %w", img.Registry, err)
	}
	entry, ok := creds.For(img.Host)
	if !ok {
		return nil, fmt.Errorf("the API returned no credentials for %s (hosts: %s)", img.Host, strings.Join(creds.Hosts(), ", "))
	}
	cache := time.Duration(0)
	if !creds.ExpiresAt.IsZero() {
		cache = max(creds.ExpiresAt.Sub(p.now())-CacheMargin(p.cfg.Expiry), 0).Truncate(time.Second)
	}
	return &Response{
		APIVersion:    req.APIVersion,
		Kind:          KindResponse,
		CacheKeyType:  p.cfg.CacheKeyType,
		CacheDuration: cache.String(),
		Auth: map[string]AuthConfig{
			img.Host + "/" + img.Registry: {Username: entry.Username, Password: entry.Secret},
		},
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
		if len(cfg.Token) >= 4 {
			msg = strings.ReplaceAll(msg, cfg.Token, "REDACTED")
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
