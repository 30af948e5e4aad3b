package facade

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/apitoken"
	"github.com/docr-dev/docr/internal/transport"
)

// Version is the version of docr, sent in the default User-Agent.
const Version = "0.1.0"

// Defaults of a [Client].
const (
	// DefaultBaseURL is the DigitalOcean API.
	DefaultBaseURL = "https://api.digitalocean.com"
	// DefaultUserAgent is sent unless [WithUserAgent] says otherwise.
	DefaultUserAgent = "docr/" + Version + " (+github.com/docr-dev/docr)"
	// DefaultTimeout bounds each HTTP request (each attempt, redirects and
	// reading the body included).
	DefaultTimeout = 30 * time.Second
	// DefaultPerPage is the page size the iterators ask for.
	DefaultPerPage = 100
	// DefaultRevokeURL is DigitalOcean's OAuth token revocation endpoint.
	DefaultRevokeURL = "https://cloud.digitalocean.com/v1/oauth/revoke"
)

const (
	maxAPIBody         = 32 << 20 // any API response
	maxCredentialsBody = 1 << 20  // docker-credentials response
)

// Client talks to the DigitalOcean Container Registry API. It is safe for
// concurrent use. Create it with [New] or [NewFromEnv].
type Client struct {
	api   *gen.ClientWithResponses
	doer  *transport.Doer // what api sends its requests through
	s     *settings
	plain *http.Client // no API token: token revocation
	// token is the API token: never accepted as a minted credential,
	// never revoked.
	token string
}

// Option configures a [Client]. Options check their arguments: [New]
// returns the first error an option reports.
type Option func(*settings) error

// settings are what the options say: about HTTP (transport.Settings,
// which checks them) and the page size.
type settings struct {
	transport.Settings
	perPage int
}

func buildSettings(opts []Option) (*settings, error) {
	s := &settings{
		Settings: transport.NewSettings(DefaultBaseURL, DefaultRevokeURL, DefaultUserAgent, DefaultTimeout),
		perPage:  DefaultPerPage,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("docr: nil Option")
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// New returns a Client that authenticates with the DigitalOcean API token
// token. Surrounding whitespace and matching quotes are trimmed from the
// token; an empty token, or one with whitespace, control or non-ASCII
// characters, quotes or backslashes inside, is refused with
// [ErrInvalidToken] (the message never repeats the token).
//
// The token is sent as "Authorization: Bearer <token>" only to the scheme,
// host and port of the base URL, never to another host, not even after a
// redirect chain returns to the API host.
func New(token string, opts ...Option) (*Client, error) {
	tok, err := apitoken.Normalize(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	s, err := buildSettings(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{s: s, plain: s.PlainClient(), token: tok}
	c.doer = s.NewDoer(tok, maxAPIBody, func(f *transport.Failure) error { return apiError(f) })
	api, err := gen.NewClientWithResponses(s.BaseURL.String(), gen.WithHTTPClient(c.doer))
	if err != nil {
		return nil, fmt.Errorf("docr: %w", err)
	}
	c.api = api
	return c, nil
}

// NewFromEnv is [New] with the token from the environment, found by
// [TokenFromEnv]: the file $DOCR_TOKEN_FILE names, else $DIGITALOCEAN_TOKEN,
// else $DIGITALOCEAN_ACCESS_TOKEN. With none it returns [ErrNoToken].
// $DIGITALOCEAN_API_URL, when set, is the base URL and $DOCR_REVOKE_URL the
// revocation endpoint; options among opts take precedence over both.
func NewFromEnv(opts ...Option) (*Client, error) {
	var pre []Option
	for _, e := range []struct {
		name string
		opt  func(string) Option
	}{{EnvAPIURL, WithBaseURL}, {EnvRevokeURL, WithRevokeURL}} {
		if u := strings.TrimSpace(os.Getenv(e.name)); u != "" {
			if _, err := CheckEndpoint(u); err != nil {
				return nil, fmt.Errorf("$%s: %w", e.name, err)
			}
			pre = append(pre, e.opt(u))
		}
	}
	tok, source, err := TokenFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	c, err := New(tok, append(pre, opts...)...)
	if err != nil && errors.Is(err, ErrInvalidToken) {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return c, err
}

// API returns the complete generated client: every operation of the
// registry API, current and deprecated, sent through the same auth, retry,
// rate-limit, User-Agent and timeout layers as the Client's own methods.
// Wrap its *WithResponse calls in [Check] to get non-2xx answers as errors.
func (c *Client) API() *gen.ClientWithResponses { return c.api }

// RateLimit returns the ratelimit-limit, -remaining and -reset values of
// the most recent API response that carried them (zero before any).
func (c *Client) RateLimit() RateLimit { return RateLimit(c.doer.RateLimit()) }

// WithBaseURL sets the API endpoint (default [DefaultBaseURL]), e.g. a test
// server. It must be an absolute http or https URL without user info, query
// or fragment; a path prefix is allowed.
func WithBaseURL(rawURL string) Option {
	return func(s *settings) error { return s.SetBaseURL(rawURL) }
}

// WithRevokeURL sets the token revocation endpoint used by
// [Client.RevokeCredential] and [RevokeCredential] (default
// [DefaultRevokeURL]); same rules as [WithBaseURL].
func WithRevokeURL(rawURL string) Option {
	return func(s *settings) error { return s.SetRevokeURL(rawURL) }
}

// WithHTTPClient makes docr use hc's Transport (as the base under its auth
// layer), CheckRedirect (after docr's own redirect policy), Jar and, unless
// [WithTimeout] is given, Timeout. hc itself is never modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error { return s.SetHTTPClient(hc) }
}

// WithTransport sets the base transport under docr's auth layer (default
// http.DefaultTransport); it takes precedence over the Transport of
// [WithHTTPClient]. Tests pass httpmock.NewMockTransport() here.
func WithTransport(rt http.RoundTripper) Option {
	return func(s *settings) error { return s.SetTransport(rt) }
}

// WithUserAgent replaces the User-Agent header (default
// [DefaultUserAgent]), e.g. "mytool/1.2 " + facade.DefaultUserAgent.
func WithUserAgent(ua string) Option {
	return func(s *settings) error { return s.SetUserAgent(ua) }
}

// WithTimeout bounds each HTTP request: each attempt, its redirects and the
// reading of its body (default [DefaultTimeout]). The context passed to a
// method bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error { return s.SetTimeout(d) }
}

// WithRetry sets the retry policy (see [RetryPolicy]; zero fields take the
// defaults). WithRetry(RetryPolicy{MaxAttempts: 1}) disables retries.
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) error { return s.SetRetry(transport.RetryPolicy(p)) }
}

// WithPerPage sets the page size (1 to 200) the iterators ask for (default
// [DefaultPerPage]).
func WithPerPage(n int) Option {
	return func(s *settings) error {
		if n < 1 || n > 200 {
			return errors.New("docr: WithPerPage: must be between 1 and 200")
		}
		s.perPage = n
		return nil
	}
}

// WithClock sets the clock (default time.Now) of the ExpiresAt it computes
// and the Retry-After dates it waits for, for tests that move time.
func WithClock(now func() time.Time) Option {
	return func(s *settings) error {
		if now == nil {
			return errors.New("docr: WithClock: nil clock")
		}
		s.Clock.Now = now
		return nil
	}
}

// withClock replaces time for tests.
func withClock(c transport.Clock) Option {
	return func(s *settings) error {
		s.Clock = c
		return nil
	}
}

// RetryPolicy says how docr retries: on 429, 500, 502, 503, 504 and
// transport errors, for idempotent methods (and POST with RetryPOST) whose
// body can be sent again. It waits as Retry-After says, else (for 429)
// until ratelimit-reset, else backs off exponentially with jitter; a wait
// longer than MaxDelay is not made (the error comes at once), and a
// cancelled context ends it. Zero fields take the defaults (4 attempts,
// 250ms, 15s); MaxAttempts 1 disables retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff delay; each retry doubles it.
	BaseDelay time.Duration
	// MaxDelay caps every single wait.
	MaxDelay time.Duration
	// RetryPOST allows retrying POST requests, which might not be
	// idempotent; off by default.
	RetryPOST bool
}

// Default retry settings.
const (
	// DefaultMaxAttempts is the number of attempts, the first included: 4.
	DefaultMaxAttempts = transport.DefaultMaxAttempts
	// DefaultBaseDelay is the first backoff delay: 250ms.
	DefaultBaseDelay = transport.DefaultBaseDelay
	// DefaultMaxDelay caps every wait between attempts: 15s.
	DefaultMaxDelay = transport.DefaultMaxDelay
)

// RateLimit is the API's rate limit state as reported by the
// ratelimit-limit, ratelimit-remaining and ratelimit-reset headers.
type RateLimit struct {
	// Limit is the number of requests allowed per window.
	Limit int
	// Remaining is the number of requests left in the current window.
	Remaining int
	// Reset is when the window resets (zero if the header was absent).
	Reset time.Time
}

// IsZero reports whether no rate limit header has been seen.
func (r RateLimit) IsZero() bool {
	return r.Limit == 0 && r.Remaining == 0 && r.Reset.IsZero()
}

// RevokeCredential revokes a registry credential, e.g. the password of
// Docker credentials on logout, so that it stops working before it expires.
// It POSTs the form token=<password> with "Authorization: Bearer <password>"
// to the revocation endpoint ([DefaultRevokeURL] unless [WithRevokeURL]),
// using the Client's base transport, User-Agent and timeout but not its API
// token. Redirects are not followed and the request is not retried. Only a
// 200 answer is success; anything else is an [*APIError]. No error ever
// contains the password.
func (c *Client) RevokeCredential(ctx context.Context, password string) error {
	return revoke(ctx, c.plain, c.s.RevokeURL, password)
}

// RevokeCredential is [Client.RevokeCredential] for programs without an API
// token (revocation authenticates with the credential itself). Options
// other than those about transport, User-Agent, timeout and revocation URL
// are accepted and ignored.
func RevokeCredential(ctx context.Context, password string, opts ...Option) error {
	s, err := buildSettings(opts)
	if err != nil {
		return err
	}
	return revoke(ctx, s.PlainClient(), s.RevokeURL, password)
}

// revokeAll revokes every distinct secret of creds, except the Client's own
// API token, and returns the errors.
func (c *Client) revokeAll(ctx context.Context, creds *Credentials) []error {
	var errs []error
	seen := map[string]bool{}
	for _, cred := range creds.All() {
		p := strings.TrimSpace(cred.Secret)
		if p == "" || seen[p] || p == c.token {
			continue
		}
		seen[p] = true
		if err := c.RevokeCredential(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func revoke(ctx context.Context, hc *http.Client, endpoint *url.URL, password string) error {
	password = strings.TrimSpace(password)
	if password == "" {
		return fmt.Errorf("%w: empty credential to revoke", ErrInvalidRequest)
	}
	if !apitoken.Printable(password) {
		return fmt.Errorf("%w: credential to revoke contains whitespace, a control character or a non-ASCII character", ErrInvalidRequest)
	}
	f, err := transport.Revoke(ctx, hc, endpoint, password)
	if f != nil {
		return apiError(f)
	}
	return err
}
