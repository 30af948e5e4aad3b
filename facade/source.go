package facade

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/registryurl"

	"github.com/docr-dev/docr/internal/transport"
)

// DefaultSourceExpiry is the lifetime of the credentials a [Source] mints
// when its request sets no Expiry.
const DefaultSourceExpiry = time.Hour

// ErrCredentialsNotFound is returned by [Source.Get] and
// [Source.Credential] for a server the source does not serve. Its message
// is the one of the Docker credential helper protocol.
var ErrCredentialsNotFound = errors.New("credentials not found in native keychain")

// Cache keeps a [Source]'s current credentials outside the process, so
// that the next process (the next docker pull, a restarted controller)
// reuses them instead of minting. A Cache that is shared between
// processes also implements [Locker].
type Cache interface {
	// Load returns the credentials stored under key, or nil and no
	// error when there are none. A cache that cannot be trusted (corrupt,
	// planted by another user) is best treated as empty.
	Load(ctx context.Context, key string) (*Credentials, error)
	// Store keeps creds under key, replacing what was there.
	Store(ctx context.Context, key string, creds *Credentials) error
}

// Locker is implemented by a [Cache] shared between processes. A [Source]
// holds the lock of its key around loading, minting and storing, so that
// processes that start at once share one mint.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// SourceOptions configure a [Source].
type SourceOptions struct {
	// Request says what to mint: Registry, ReadWrite and Expiry
	// (default [DefaultSourceExpiry]). NeverExpire is refused: a source
	// renews what expires.
	Request CredentialsRequest
	// RenewBefore is how long before they expire the credentials are
	// renewed; 0 means [DefaultRenewBefore] of the expiry. It must be
	// shorter than the expiry.
	RenewBefore time.Duration
	// Host is the registry host the credentials must open, and the only
	// server [Source.Get] answers for; "" means [DefaultRegistryHost].
	Host string
	// Cache, if set, keeps the credentials between processes; nil keeps
	// them in memory only.
	Cache Cache
	// KeepUnstored says what happens when Cache.Store fails: false (the
	// default) revokes the new credential at once and returns the error,
	// so that nothing minted is left untracked; true logs a warning and
	// uses the credential all the same (for short-lived credentials that
	// are harmless to lose track of).
	KeepUnstored bool
	// Logger receives warnings (nil: slog.Default()). It never sees a
	// secret.
	Logger *slog.Logger
	// Now is the clock (nil: the Client's, which is time.Now).
	Now func() time.Time
}

// DefaultRenewBefore is the renewal window for credentials that live for
// expiry: a sixth of it, from one to fifteen minutes, and at most half of
// it (one hour: ten minutes before they expire).
func DefaultRenewBefore(expiry time.Duration) time.Duration {
	return min(max(expiry/6, time.Minute), 15*time.Minute, expiry/2)
}

// Source mints registry credentials on demand and reuses them until
// RenewBefore their expiry, like oauth2's ReuseTokenSourceWithExpiry or
// the AWS SDK's CredentialsCache with an ExpiryWindow. It is safe for
// concurrent use: concurrent callers share one mint.
//
// Its Get method makes it a go-containerregistry authn.Helper, so
//
//	kc := authn.NewKeychainFromHelper(src)
//
// gives DOCR credentials to remote.Image and friends with no config file
// and no helper process.
type Source struct {
	c            *Client
	req          CredentialsRequest
	renew        time.Duration
	host         string
	cache        Cache
	locker       Locker
	keepUnstored bool
	log          *slog.Logger
	now          func() time.Time
	key          string

	sem chan struct{} // one refresh at a time; a channel so waiting honours ctx
	cur *Credentials
}

// NewSource returns a Source that mints with c.
func NewSource(c *Client, o SourceOptions) (*Source, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: NewSource: nil Client", ErrInvalidRequest)
	}
	req := o.Request
	if req.NeverExpire {
		return nil, fmt.Errorf("%w: a Source renews credentials before they expire; NeverExpire is not for it", ErrInvalidRequest)
	}
	if req.Expiry == 0 {
		req.Expiry = DefaultSourceExpiry
	}
	if _, err := req.expirySeconds(); err != nil {
		return nil, err
	}
	if req.Registry != "" {
		if err := CheckRegistryName(req.Registry); err != nil {
			return nil, err
		}
	}
	renew := o.RenewBefore
	switch {
	case renew == 0:
		renew = DefaultRenewBefore(req.Expiry)
	case renew < 0 || renew >= req.Expiry:
		return nil, fmt.Errorf("%w: RenewBefore %v must be positive and shorter than the expiry %v", ErrInvalidRequest, renew, req.Expiry)
	}
	host := asciiLower(strings.TrimSpace(o.Host))
	if host == "" {
		host = DefaultRegistryHost
	}
	s := &Source{
		c: c, req: req, renew: renew, host: host, cache: o.Cache,
		keepUnstored: o.KeepUnstored, log: o.Logger, now: o.Now,
		sem: make(chan struct{}, 1),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = c.s.Clock.Now
	}
	if l, ok := o.Cache.(Locker); ok {
		s.locker = l
	}
	s.key = sourceKey(host, req, c.fingerprint)
	return s, nil
}

// sourceKey names what a Source mints: host, registry, access and a
// fingerprint of the API origin and token (never the token), so that a
// cache shared by several accounts, tokens or API endpoints never serves
// one's credentials to another.
func sourceKey(host string, req CredentialsRequest, fingerprint string) string {
	reg, mode := req.Registry, "ro"
	if reg == "" {
		reg = "(account)"
	}
	if req.ReadWrite {
		mode = "rw"
	}
	return host + " " + reg + " " + mode + " " + fingerprint
}

// fingerprintOf is the hex SHA-256 of the API origin and token, cut to 128
// bits.
func fingerprintOf(o transport.Origin, token string) string {
	sum := sha256.Sum256([]byte("docr source v1\x00" + o.String() + "\x00" + token))
	return hex.EncodeToString(sum[:16])
}

// Key is the key the Source's credentials are cached under: the registry
// host, the registry, the access mode and a fingerprint (a SHA-256) of the
// API origin and token. It never holds the token.
func (s *Source) Key() string { return s.key }

// Host is the registry host the Source serves.
func (s *Source) Host() string { return s.host }

// Credentials returns the current credentials, minting new ones when there
// are none or they expire within RenewBefore. A mint that fails returns
// the error and leaves the current credentials in place.
func (s *Source) Credentials(ctx context.Context) (*Credentials, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrInvalidRequest)
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-s.sem }()
	if s.fresh(s.cur) {
		return s.cur, nil
	}
	if s.locker != nil {
		unlock, err := s.locker.Lock(ctx, s.key)
		if err != nil {
			return nil, fmt.Errorf("docr: credential cache: %w", err)
		}
		defer unlock()
	}
	if s.cache != nil {
		cached, err := s.cache.Load(ctx, s.key)
		if err != nil {
			return nil, fmt.Errorf("docr: credential cache: %w", err)
		}
		if s.fresh(cached) {
			s.cur = cached
			return cached, nil
		}
	}
	creds, err := s.c.DockerCredentials(ctx, s.req)
	if err != nil {
		return nil, err
	}
	if _, ok := creds.For(s.host); !ok {
		return nil, s.discard(ctx, creds, fmt.Errorf("%w: the API issued credentials for %s, not for %s", ErrInvalidCredentials, strings.Join(creds.Hosts(), ", "), s.host))
	}
	if s.cache != nil {
		if err := s.cache.Store(ctx, s.key, creds); err != nil {
			if !s.keepUnstored {
				return nil, s.discard(ctx, creds, fmt.Errorf("docr: credential cache: %w", err))
			}
			s.log.Warn("docr: could not cache the minted credential; it is used all the same and expires on its own",
				slog.String("error", err.Error()), slog.Time("expires_at", creds.ExpiresAt))
		}
	}
	s.cur = creds
	return creds, nil
}

// fresh reports whether c can be served: it opens the Source's host and
// does not expire within the renewal window.
func (s *Source) fresh(c *Credentials) bool {
	if c == nil || c.ExpiresAt.IsZero() {
		return false
	}
	if _, ok := c.For(s.host); !ok {
		return false
	}
	return c.ExpiresAt.Sub(s.now()) > s.renew
}

// revokeTimeout bounds a revocation of a credential that is discarded,
// which runs on a context of its own (the caller's may be cancelled).
const revokeTimeout = 15 * time.Second

// discard revokes every credential of creds, on a fresh bounded context,
// and returns cause with what revocation did.
func (s *Source) discard(ctx context.Context, creds *Credentials, cause error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	if errs := s.c.revokeAll(rctx, creds); len(errs) > 0 {
		return fmt.Errorf("%w; revoking the minted credential failed too: %w", cause, errors.Join(errs...))
	}
	return fmt.Errorf("%w (the minted credential was revoked)", cause)
}

// Credential returns the credential for serverURL (a host such as
// "registry.digitalocean.com", or a URL of it, as Docker passes it),
// minting or renewing as [Source.Credentials] does. A server other than
// the Source's host gets [ErrCredentialsNotFound], and nothing is minted.
func (s *Source) Credential(ctx context.Context, serverURL string) (Credential, error) {
	u, err := registryurl.Parse(strings.TrimSpace(serverURL))
	if err != nil || asciiLower(u.Host) != s.host {
		return Credential{}, ErrCredentialsNotFound
	}
	creds, err := s.Credentials(ctx)
	if err != nil {
		return Credential{}, err
	}
	c, _ := creds.For(s.host)
	return c, nil
}

// Get implements go-containerregistry's authn.Helper (and the Get of a
// docker-credential-helpers Helper): [Source.Credential] without a
// context.
func (s *Source) Get(serverURL string) (username, secret string, err error) {
	c, err := s.Credential(context.Background(), serverURL)
	if err != nil {
		return "", "", err
	}
	return c.Username, c.Secret, nil
}
