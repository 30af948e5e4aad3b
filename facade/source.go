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
		Opens: func(cr *Credentials) bool {
			if cr == nil {
				return false
			}
			_, ok := cr.For(host)
			return ok
		},
		Expiry: func(cr *Credentials) time.Time { return cr.ExpiresAt },
		Mint:   func(ctx context.Context) (*Credentials, error) { return c.DockerCredentials(ctx, req) },
		Check: func(cr *Credentials) error {
			// Only the host asked for: an answer that names others is
			// refused whole (and revoked), as docr login refuses it.
			if hosts := cr.Hosts(); len(hosts) != 1 || hosts[0] != host {
				return fmt.Errorf("%w: the API issued credentials for %s, not only for %s", ErrInvalidCredentials, strings.Join(hosts, ", "), host)
			}
			return nil
		},
		Revoke: c.revokeAll,
	}
	if cfg.Now == nil {
		cfg.Now = c.s.Clock.Now
	}
	if l, ok := o.Cache.(Locker); ok {
		cfg.Locker = l
	}
	return &Source{host: host, k: renewal.New(cfg)}, nil
}

// Key is the key the Source's credentials are cached under: the registry
// host, the registry, the access mode and a fingerprint (a SHA-256) of the
// API origin and token. It never holds the token.
func (s *Source) Key() string { return s.k.Key() }

// Host is the registry host the Source serves.
func (s *Source) Host() string { return s.host }

// Credentials returns the current credentials, minting new ones when there
// are none or they expire within RenewBefore. A mint that fails returns
// the error and leaves the current credentials in place.
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

// ServerHost is the registry host a server URL names, as Docker and
// go-containerregistry pass it to a credential helper
// ("registry.digitalocean.com", "https://registry.digitalocean.com/v2/"):
// host and port, read by docker-credential-helpers' registryurl.Parse,
// with A-Z lowered and nothing else folded, so that no look-alike matches.
// ok is false when serverURL names no host.
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
