package credhelper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docr-dev/docr/facade"
)

// userAgent is sent with the helper's API and revocation requests.
const userAgent = Program + "/" + facade.Version + " (+github.com/docr-dev/docr)"

// revokeTimeout bounds a revocation, which runs on a context of its own:
// once a credential is dropped from the cache, a cancelled revocation
// would leave it valid and forgotten.
const revokeTimeout = 15 * time.Second

// serves reports whether the server URL Docker passed names host, as
// facade.Source matches it.
func serves(serverURL, host string) bool {
	h, ok := facade.ServerHost(serverURL)
	return ok && h == host
}

// settings are what get mints, read from the environment at each run.
type settings struct {
	expiry    time.Duration
	readWrite bool
	cache     bool // false: $DOCR_HELPER_CACHE=off
}

func readSettings(getenv func(string) string) (settings, error) {
	s := settings{expiry: defaultExpiry}
	if v := strings.TrimSpace(getenv(EnvExpiry)); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > int64(maxExpiry/time.Second) {
			return s, fmt.Errorf("%s must be a whole number of seconds from 1 to %d (the helper never mints long-lived credentials)", EnvExpiry, int64(maxExpiry/time.Second))
		}
		s.expiry = time.Duration(n) * time.Second
	}
	if v := strings.TrimSpace(getenv(EnvReadWrite)); v != "" {
		var err error
		if s.readWrite, err = strconv.ParseBool(v); err != nil {
			return s, fmt.Errorf("%s must be true or false", EnvReadWrite)
		}
	}
	var err error
	s.cache, err = cacheOn(getenv)
	return s, err
}

// cacheOn reads $DOCR_HELPER_CACHE: on (or unset) or off.
func cacheOn(getenv func(string) string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvCache))) {
	case "", "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("%s must be on or off", EnvCache)
}

// credential returns the registry host's credential: from the Source,
// which serves it from the cache or mints.
func (h *helper) credential(host string) (facade.Credential, error) {
	s, err := readSettings(h.env.Getenv)
	if err != nil {
		return facade.Credential{}, err
	}
	c, err := h.client()
	if err != nil {
		return facade.Credential{}, err
	}
	var cache *fileCache
	opts := facade.SourceOptions{
		Request: facade.CredentialsRequest{ReadWrite: s.readWrite, Expiry: s.expiry},
		Host:    host,
		// The helper's credentials are short-lived: one the cache could
		// not keep is served all the same, with a warning.
		KeepUnstored: true,
		Logger:       slog.New(slogHandler{h.log}),
		Now:          h.env.Now,
	}
	if s.cache {
		dir, err := cacheDir(h.env.Getenv)
		if err != nil {
			return facade.Credential{}, err
		}
		cache = &fileCache{dir: dir, host: host, now: h.env.Now, log: h.log}
		opts.Cache = cache
	}
	src, err := facade.NewSource(c, opts)
	if err != nil {
		return facade.Credential{}, err
	}
	creds, err := src.Credentials(h.ctx)
	if errors.Is(err, facade.ErrInvalidCredentials) {
		return facade.Credential{}, fmt.Errorf("%w (this helper serves %s; set $%s for another registry host)", err, host, facade.EnvRegistryHost)
	}
	if err != nil {
		return facade.Credential{}, err
	}
	cred, _ := creds.For(host)
	return cred, nil
}

// client is the API client of get: the token from Options or the
// environment, the API and revocation URLs from Options or the
// environment, and the helper's own limits.
func (h *helper) client() (*facade.Client, error) {
	getenv := h.env.Getenv
	tok, source := h.opts.Token, "--token or --token-file"
	if tok == "" {
		var err error
		if tok, source, err = facade.TokenFromEnv(getenv); err != nil {
			return nil, err
		}
	}
	timeout := requestTimeout
	if h.opts.Timeout > 0 {
		timeout = min(h.opts.Timeout, requestTimeout)
	}
	opts := []facade.Option{
		facade.WithTimeout(timeout),
		facade.WithRetry(facade.RetryPolicy{MaxAttempts: attempts}),
		facade.WithUserAgent(userAgent),
	}
	if h.env.Transport != nil {
		opts = append(opts, facade.WithTransport(h.env.Transport))
	}
	apiURL := h.opts.APIURL
	if apiURL == "" {
		u, err := endpointFromEnv(getenv, facade.EnvAPIURL)
		if err != nil {
			return nil, err
		}
		apiURL = u
	}
	if apiURL != "" {
		opts = append(opts, facade.WithBaseURL(apiURL))
		h.warnPlainHTTP(apiURL)
	}
	revokeURL, err := endpointFromEnv(getenv, facade.EnvRevokeURL)
	if err != nil {
		return nil, err
	}
	if revokeURL != "" {
		opts = append(opts, facade.WithRevokeURL(revokeURL))
	}
	c, err := facade.New(tok, opts...)
	if errors.Is(err, facade.ErrInvalidToken) {
		return nil, fmt.Errorf("%w (from %s)", err, source)
	}
	return c, err
}

// endpointFromEnv returns the URL in the variable name, checked with the
// one endpoint rule (facade.CheckEndpoint), or "" when it is unset. The
// error never repeats the URL, which may hold user info.
func endpointFromEnv(getenv func(string) string, name string) (string, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return "", nil
	}
	if _, err := facade.CheckEndpoint(raw); err != nil {
		return "", fmt.Errorf("$%s must be an absolute http or https URL without user info, query or fragment (%v)", name, err)
	}
	return raw, nil
}

// warnPlainHTTP warns when the API token would cross the network
// unencrypted: a plain-http API URL to a host that is not loopback.
func (h *helper) warnPlainHTTP(apiURL string) {
	host, ok := facade.Cleartext(apiURL)
	if !ok {
		return
	}
	h.log.warn(fmt.Sprintf("the API URL is plain http to %s, not a loopback address: the API token crosses the network unencrypted", host))
}

// knownTokens are the API tokens the helper can see: extra (the docr
// command's --token), $DIGITALOCEAN_TOKEN, $DIGITALOCEAN_ACCESS_TOKEN and
// the file $DOCR_TOKEN_FILE names. None of them is ever sent to the
// revocation endpoint.
func knownTokens(getenv func(string) string, extra ...string) []string {
	vals := append(slices.Clone(extra), getenv(facade.EnvToken), getenv(facade.EnvAccessToken))
	if p := strings.TrimSpace(getenv(facade.EnvTokenFile)); p != "" {
		if tok, err := facade.ReadTokenFile(p); err == nil {
			vals = append(vals, tok)
		}
	}
	var out []string
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// EraseOptions say how [Erase] revokes.
type EraseOptions struct {
	// RevokeURL is the revocation endpoint (--revoke-url); "" means
	// $DOCR_REVOKE_URL, then facade.DefaultRevokeURL.
	RevokeURL string
	// NoRevoke drops the credentials without revoking them.
	NoRevoke bool
	// KnownTokens are API tokens, besides those of the environment, that
	// must never be sent for revocation.
	KnownTokens []string
}

// Erase drops every credential the helper's cache holds for host, whatever
// account or access it was minted for, and, unless o.NoRevoke, revokes
// those that have not expired, on a context of its own bounded to 15 s,
// never a known API token. It returns how many it dropped. The revocation
// endpoint is checked before anything is dropped. With $DOCR_HELPER_CACHE
// off there is no cache and nothing to drop.
func Erase(ctx context.Context, env *Env, host string, o EraseOptions) (int, error) {
	env = env.withDefaults()
	on, err := cacheOn(env.Getenv)
	if err != nil || !on {
		return 0, err
	}
	revokeURL := o.RevokeURL
	if !o.NoRevoke && revokeURL == "" {
		if revokeURL, err = endpointFromEnv(env.Getenv, facade.EnvRevokeURL); err != nil {
			return 0, err
		}
	}
	dir, err := cacheDir(env.Getenv)
	if err != nil {
		return 0, err
	}
	log := newLogger(env)
	cache := &fileCache{dir: dir, host: host, now: env.Now, log: log}
	dropped, err := cache.dropHost(ctx, host)
	if err != nil || o.NoRevoke || len(dropped) == 0 {
		return len(dropped), err
	}
	opts := []facade.Option{facade.WithTimeout(requestTimeout), facade.WithUserAgent(userAgent)}
	if env.Transport != nil {
		opts = append(opts, facade.WithTransport(env.Transport))
	}
	if revokeURL != "" {
		opts = append(opts, facade.WithRevokeURL(revokeURL))
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	known := knownTokens(env.Getenv, o.KnownTokens...)
	var errs []error
	for _, e := range dropped {
		if slices.Contains(known, strings.TrimSpace(e.Password)) {
			continue // never send an API token to the revocation endpoint
		}
		if err := facade.RevokeCredential(rctx, e.Password, opts...); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return len(dropped), fmt.Errorf("dropped the cached credentials of %s, but revoking failed: %w", host, errors.Join(errs...))
	}
	return len(dropped), nil
}

// cacheDir is $DOCR_HELPER_CACHE_DIR, else <user cache dir>/docr: the
// directory of $XDG_CACHE_HOME when it is absolute, else the system's
// (os.UserCacheDir), else $HOME/.cache (the XDG rule for a relative
// $XDG_CACHE_HOME).
func cacheDir(getenv func(string) string) (string, error) {
	if d := getenv(EnvCacheDir); d != "" {
		if !filepath.IsAbs(d) {
			return "", fmt.Errorf("$%s must be an absolute path", EnvCacheDir)
		}
		return filepath.Clean(d), nil
	}
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		var err error
		if dir, err = os.UserCacheDir(); err != nil {
			home, herr := os.UserHomeDir()
			if herr != nil {
				return "", fmt.Errorf("find the user cache directory: %w", err)
			}
			dir = filepath.Join(home, ".cache")
		}
	}
	return filepath.Join(dir, "docr"), nil
}
