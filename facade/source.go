package facade

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/registryurl"

	"github.com/docr-dev/docr/internal/registryhost"
	"github.com/docr-dev/docr/internal/renewal"
	"github.com/docr-dev/docr/internal/transport"
)

// DefaultSourceExpiry is what a [Source] mints for when no Expiry is set.
const DefaultSourceExpiry = time.Hour

// ErrCredentialsNotFound answers a server a [Source] does not serve, in the
// words of the Docker credential helper protocol.
var ErrCredentialsNotFound = errors.New("credentials not found in native keychain")

// Cache keeps a [Source]'s credentials between processes (the next docker
// pull, a restarted controller). One shared by processes is a [Locker] too.
type Cache interface {
	// Load returns the credentials under key, or nil, nil; a cache that
	// cannot be trusted (corrupt, planted) is best treated as empty.
	Load(ctx context.Context, key string) (*Credentials, error)
	// Store keeps creds under key, replacing what was there.
	Store(ctx context.Context, key string, creds *Credentials) error
}

// Locker is a [Cache] shared between processes: a [Source] holds the lock
// around load, mint and store, so that processes share one mint.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// SourceOptions configure a [Source].
type SourceOptions struct {
	// Request says what to mint (Expiry default [DefaultSourceExpiry];
	// NeverExpire is refused).
	Request CredentialsRequest
	// RenewBefore is when to renew, before the expiry and shorter than
	// it; 0 means [DefaultRenewBefore].
	RenewBefore time.Duration
	// Host is the registry host the credentials must open, and the only
	// server [Source.Get] answers for; "" means [DefaultRegistryHost].
	Host string
	// Cache, if set, keeps the credentials between processes; nil keeps
	// them in memory only.
	Cache Cache
	// KeepUnstored, when Cache.Store fails, logs a warning and serves the
	// credential; by default it is revoked at once and the error returned,
	// so that nothing minted is left untracked.
	KeepUnstored bool
	// Logger receives warnings (nil: slog.Default()). It never sees a
	// secret.
	Logger *slog.Logger
	// Now is the clock (nil: the Client's, which is time.Now).
	Now func() time.Time
}

// DefaultRenewBefore is the renewal window of a lifetime: a sixth of it,
// from one to fifteen minutes, at most half of it (an hour: ten minutes).
func DefaultRenewBefore(expiry time.Duration) time.Duration {
	return min(max(expiry/6, time.Minute), 15*time.Minute, expiry/2)
}

// Source mints credentials on demand and reuses them until RenewBefore
// their expiry, like oauth2's ReuseTokenSourceWithExpiry; concurrent
// callers share one mint. Get makes it a go-containerregistry
// authn.Helper: authn.NewKeychainFromHelper(src) needs no config file.
type Source struct {
	host string
	k    *renewal.Keeper[*Credentials]
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
	if _, err := req.check(); err != nil {
		return nil, err
	}
	renew := o.RenewBefore
	switch {
	case renew == 0:
		renew = DefaultRenewBefore(req.Expiry)
	case renew < 0 || renew >= req.Expiry:
		return nil, fmt.Errorf("%w: RenewBefore %v must be positive and shorter than the expiry %v", ErrInvalidRequest, renew, req.Expiry)
	}
	host := cmp.Or(registryhost.Lower(strings.TrimSpace(o.Host)), DefaultRegistryHost)
	cfg := renewal.Config[*Credentials]{
		Key:          renewal.Key(host, req.Registry, req.ReadWrite, transport.OriginOf(c.s.BaseURL).String(), c.token),
		Cache:        o.Cache,
		RenewBefore:  renew,
		Now:          o.Now,
		KeepUnstored: o.KeepUnstored,
		Log:          cmp.Or(o.Logger, slog.Default()),
		Opens:        func(cr *Credentials) bool { return cr != nil && cr.onlyFor(host) == nil },
		Expiry:       func(cr *Credentials) time.Time { return cr.ExpiresAt },
		Mint:         func(ctx context.Context) (*Credentials, error) { return c.DockerCredentials(ctx, req) },
		Check:        func(cr *Credentials) error { return cr.onlyFor(host) },
		Revoke:       c.revokeAll,
	}
	if cfg.Now == nil {
		cfg.Now = c.s.Clock.Now
	}
	if l, ok := o.Cache.(Locker); ok {
		cfg.Locker = l
	}
	return &Source{host: host, k: renewal.New(cfg)}, nil
}

// onlyFor refuses credentials that name another host than host, or more:
// an answer that names others is refused whole (and revoked), as docr
// login refuses it.
func (c *Credentials) onlyFor(host string) error {
	if hosts := c.Hosts(); len(hosts) != 1 || hosts[0] != host {
		return fmt.Errorf("%w: the API issued credentials for %s, not only for %s", ErrInvalidCredentials, strings.Join(hosts, ", "), host)
	}
	return nil
}

// Key is the cache key: registry host, registry, access and a SHA-256
// fingerprint of the API origin and token, never the token itself.
func (s *Source) Key() string { return s.k.Key() }

// Host is the registry host the Source serves.
func (s *Source) Host() string { return s.host }

// Credentials returns the current credentials, minting when there are none
// or they expire within RenewBefore; a failed mint leaves them in place.
func (s *Source) Credentials(ctx context.Context) (*Credentials, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrInvalidRequest)
	}
	return s.k.Get(ctx)
}

// Credential returns the credential for serverURL (a host such as
// "registry.digitalocean.com", or a URL of it, as Docker passes it),
// minting or renewing as [Source.Credentials] does. A server other than
// the Source's host gets [ErrCredentialsNotFound], and nothing is minted.
func (s *Source) Credential(ctx context.Context, serverURL string) (Credential, error) {
	if h, ok := ServerHost(serverURL); !ok || h != s.host {
		return Credential{}, ErrCredentialsNotFound
	}
	creds, err := s.Credentials(ctx)
	if err != nil {
		return Credential{}, err
	}
	c, _ := creds.For(s.host)
	return c, nil
}

// ServerHost is the host (and port) of a server URL as Docker passes it to
// a credential helper, by docker-credential-helpers' registryurl.Parse,
// with A-Z lowered and nothing else folded; ok is false for no host.
func ServerHost(serverURL string) (host string, ok bool) {
	u, err := registryurl.Parse(strings.TrimSpace(serverURL))
	if err != nil {
		return "", false
	}
	return registryhost.Lower(u.Host), true
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
