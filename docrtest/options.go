package docrtest

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/docr-dev/docr/docrtest/internal/server"
	"github.com/docr-dev/docr/facade"
)

// DefaultRegistryHost is the host the fake names in the auths map of the
// Docker credentials it issues, unless [WithRegistryHost] or
// [WithSelfRegistryHost] says otherwise.
const DefaultRegistryHost = facade.DefaultRegistryHost

// Scopes a token can hold (see [WithScopedToken]). They are the scopes the
// spec's security requirements name.
const (
	// ScopeRead allows reading: listings, gets, read-only credentials.
	ScopeRead = "registry:read"
	// ScopeCreate allows creating registries and validating names.
	ScopeCreate = "registry:create"
	// ScopeUpdate allows changes: subscriptions, garbage collections,
	// read-write credentials.
	ScopeUpdate = "registry:update"
	// ScopeDelete allows deleting registries, repositories, tags and
	// manifests.
	ScopeDelete = "registry:delete"
)

// An Option configures a [Server]. Options validate their arguments; an
// invalid one makes [New] and [Start] return an error and [NewServer] fail
// the test.
type Option func(*config) error

type config struct {
	token         string
	scoped        map[string][]string
	seed          *Seed
	randSeed      *uint64
	now           func() time.Time
	registryHost  string
	selfHost      bool
	colon         bool
	logger        *slog.Logger
	onViolation   func(Violation)
	allowInvalid  bool
	rateLimit     int
	rateWindow    time.Duration
	gcDuration    time.Duration
	storageDir    string
	storageCap    int64
	requestLog    int
	logBytes      int64
	tokenTTL      time.Duration
	basicAuth     bool
	uploadTimeout time.Duration
	// strictMiddlewares wrap the generated strict handler; only the
	// package's own tests set them, to plant faulty handler output.
	strictMiddlewares []server.StrictMiddlewareFunc
}

// WithToken sets the full-access API token the fake accepts (default: a
// token minted from the random source, exposed as [Server.Token]).
func WithToken(token string) Option {
	return func(c *config) error {
		if err := checkToken(token); err != nil {
			return err
		}
		c.token = token
		return nil
	}
}

// WithScopedToken adds a further API token that holds only the given scopes
// ([ScopeRead], [ScopeCreate], [ScopeUpdate], [ScopeDelete]). A call that
// needs a scope the token lacks gets 403 {"id":"forbidden"}. Every operation
// needs the scopes its spec security requirement lists, except the two
// docker-credentials operations: read-only credentials need only
// registry:read, read_write=true needs registry:update as well.
func WithScopedToken(token string, scopes ...string) Option {
	return func(c *config) error {
		if err := checkToken(token); err != nil {
			return err
		}
		for _, sc := range scopes {
			if !slices.Contains([]string{ScopeRead, ScopeCreate, ScopeUpdate, ScopeDelete}, sc) {
				return fmt.Errorf("docrtest: unknown scope %q", sc)
			}
		}
		if c.scoped == nil {
			c.scoped = make(map[string][]string)
		}
		c.scoped[token] = slices.Clone(scopes)
		return nil
	}
}

func checkToken(token string) error {
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return errors.New("docrtest: a token must be non-empty and free of white space")
	}
	return nil
}

// WithSeed replaces the default seed data (see the package documentation and
// [DefaultSeed]) with seed.
func WithSeed(seed Seed) Option {
	return func(c *config) error {
		s := seed.clone()
		c.seed = &s
		return nil
	}
}

// WithRandSeed makes the fake deterministic: the API token (unless
// [WithToken] sets it), minted credentials, garbage collection UUIDs and
// request IDs all come from a math/rand/v2 PCG source seeded with seed.
// Without it the source is seeded randomly.
func WithRandSeed(seed uint64) Option {
	return func(c *config) error {
		c.randSeed = &seed
		return nil
	}
}

// WithClock sets the fake's clock (default time.Now). It decides credential
// expiry, timestamps, rate-limit windows and garbage collection progress.
// now must be safe for concurrent use.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("docrtest: WithClock needs a function")
		}
		c.now = now
		return nil
	}
}

// WithRegistryHost sets the key of the auths map in issued Docker
// credentials (default [DefaultRegistryHost]).
func WithRegistryHost(host string) Option {
	return func(c *config) error {
		if host == "" || strings.ContainsAny(host, "/ ") {
			return fmt.Errorf("docrtest: invalid registry host %q", host)
		}
		c.registryHost = host
		c.selfHost = false
		return nil
	}
}

// WithSelfRegistryHost makes issued Docker credentials name the fake's own
// host:port, so that a Docker client given the config can log in to the
// fake's /v2/ endpoint. It needs a listening server ([NewServer], [Start]).
func WithSelfRegistryHost() Option {
	return func(c *config) error {
		c.selfHost = true
		return nil
	}
}

// WithColonInPassword makes every minted password contain a ':' (the
// username never does), to test that clients split the decoded auth value at
// the first colon only.
func WithColonInPassword() Option {
	return func(c *config) error {
		c.colon = true
		return nil
	}
}

// WithLogger sets where the fake logs every request and every spec violation
// (default for [New] and [Start]: slog.Default(); [NewServer] logs nothing
// unless given a logger). Log records never hold tokens or passwords.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("docrtest: WithLogger needs a logger")
		}
		c.logger = l
		return nil
	}
}

// WithViolationHandler replaces the default handling of spec violations
// (fail the test in [NewServer], log in [New] and [Start]). fn is called
// from request goroutines. The response to the violating call is the same
// either way: 400 for a request, 500 for a response.
func WithViolationHandler(fn func(Violation)) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("docrtest: WithViolationHandler needs a function")
		}
		c.onViolation = fn
		return nil
	}
}

// AllowInvalidRequests keeps request violations from failing the test in
// [NewServer]: they are still answered 400 {"id":"bad_request"}, logged with
// t.Logf and kept in [Server.Violations]. Use it to test how a client handles
// the API rejecting its input. Response violations still fail the test.
func AllowInvalidRequests() Option {
	return func(c *config) error {
		c.allowInvalid = true
		return nil
	}
}

// WithRateLimit sets the API rate limit: limit calls per fixed window
// (default 5000 per hour, as DigitalOcean documents). Once a window's calls
// are used up, calls get 429 until the window ends. A limit of 0 turns the
// limit off: no call is refused and no ratelimit headers are sent (window
// is then ignored).
func WithRateLimit(limit int, window time.Duration) Option {
	return func(c *config) error {
		if limit == 0 {
			c.rateLimit = 0
			return nil
		}
		if limit < 0 || window < time.Second {
			return errors.New("docrtest: WithRateLimit needs limit >= 0 and window >= 1s")
		}
		c.rateLimit, c.rateWindow = limit, window
		return nil
	}
}

// DefaultRequestLog is how many requests a Server made by [New] or [Start]
// keeps for [Server.Requests] unless [WithRequestLog] says otherwise.
const DefaultRequestLog = 10_000

// WithRequestLog makes the fake keep only the most recent n requests (and
// spec violations) for [Server.Requests] and [Server.Violations] (default:
// all for [NewServer], [DefaultRequestLog] for [New] and [Start]).
func WithRequestLog(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("docrtest: WithRequestLog needs n > 0")
		}
		c.requestLog = n
		return nil
	}
}

// DefaultRequestLogBytes is the most a fake's request log holds unless
// [WithRequestLogBytes] says otherwise (see [Server.Requests]).
const DefaultRequestLogBytes = 16 << 20

// WithRequestLogBytes bounds the bytes the request log holds (default
// [DefaultRequestLogBytes]): once past it, the oldest requests go.
func WithRequestLogBytes(n int64) Option {
	return func(c *config) error {
		if n < 64<<10 {
			return errors.New("docrtest: WithRequestLogBytes needs at least 64 KiB")
		}
		c.logBytes = n
		return nil
	}
}

// WithTokenTTL sets how long a token of the registry's token endpoint
// lasts (default [ociregistry.DefaultTokenTTL], five minutes; DOCR does not
// document its own). Expiry follows the fake's clock ([WithClock]).
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return errors.New("docrtest: WithTokenTTL needs at least a second")
		}
		c.tokenTTL = d
		return nil
	}
}

// WithRegistryBasicAuth makes the registry answer Basic challenges and take
// a Docker credential on every request, as registries did before the token
// flow, for tools that cannot follow it. Tokens are still accepted. By
// default the registry challenges with Bearer, as DOCR does.
func WithRegistryBasicAuth() Option {
	return func(c *config) error {
		c.basicAuth = true
		return nil
	}
}

// WithUploadTimeout sets how long an upload in progress may stay idle (by
// the fake's clock) before it expires and gives back its bytes (default
// [ociregistry.DefaultUploadTimeout], an hour).
func WithUploadTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("docrtest: WithUploadTimeout needs a positive duration")
		}
		c.uploadTimeout = d
		return nil
	}
}

// WithStorageDir keeps the registry's blobs, and the bytes of uploads in
// progress, in files under dir (created if missing) instead of in memory.
// Manifests stay in memory. Without [WithStorageCap] nothing is capped.
func WithStorageDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("docrtest: WithStorageDir needs a directory")
		}
		c.storageDir = dir
		return nil
	}
}

// WithStorageCap caps the bytes the registry holds: stored blobs,
// manifests, tags and uploads in progress (default [DefaultStorageCap] in
// memory, no cap with [WithStorageDir]; a negative n removes the cap). A
// push past the cap gets 413 with the distribution error code DENIED and a
// message that names the cap; see [ErrStorageFull].
func WithStorageCap(n int64) Option {
	return func(c *config) error {
		if n == 0 {
			return errors.New("docrtest: WithStorageCap needs n != 0 (negative: no cap)")
		}
		c.storageCap = n
		return nil
	}
}

// WithGCDuration makes a started garbage collection succeed once d has
// passed on the fake's clock. By default a garbage collection stays
// "requested" until it is cancelled.
func WithGCDuration(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("docrtest: WithGCDuration needs a positive duration")
		}
		c.gcDuration = d
		return nil
	}
}
