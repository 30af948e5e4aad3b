package facade

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docr-dev/docr/internal/dockerauth"
	"github.com/docr-dev/docr/internal/redact"
	"github.com/docr-dev/docr/internal/registryname"
)

// DefaultExpiry is the lifetime of credentials when a [CredentialsRequest]
// sets neither Expiry nor NeverExpire.
const DefaultExpiry = 30 * 24 * time.Hour

// CredentialsRequest asks for Docker credentials. The zero value asks for
// read-only credentials for the account's registry that expire after
// [DefaultExpiry].
type CredentialsRequest struct {
	// Registry names the registry; empty means the account's registry
	// (GET /v2/registry/docker-credentials, for accounts with one).
	Registry string
	// ReadWrite asks for push credentials (the token then needs
	// registry:update); read_write is always sent, false included.
	ReadWrite bool
	// Expiry is the lifetime: whole seconds, at least 1s (fractions are
	// refused, not rounded); 0 means DefaultExpiry unless NeverExpire.
	Expiry time.Duration
	// NeverExpire asks for credentials that do not expire (expiry_seconds
	// is then not sent). It cannot be combined with Expiry.
	NeverExpire bool
}

// check validates r (the expiry, then the registry name) and returns the
// expiry_seconds parameter (nil for never-expiring credentials).
func (r CredentialsRequest) check() (*int, error) {
	var expiry *int
	switch {
	case r.NeverExpire && r.Expiry != 0:
		return nil, fmt.Errorf("%w: Expiry and NeverExpire are mutually exclusive", ErrInvalidRequest)
	case r.NeverExpire:
	case r.Expiry == 0:
		expiry = new(int(DefaultExpiry / time.Second))
	case r.Expiry < time.Second:
		return nil, fmt.Errorf("%w: Expiry must be at least 1s, got %v", ErrInvalidRequest, r.Expiry)
	case r.Expiry%time.Second != 0:
		return nil, fmt.Errorf("%w: Expiry must be a whole number of seconds, got %v", ErrInvalidRequest, r.Expiry)
	default:
		expiry = new(int(r.Expiry / time.Second))
	}
	if r.Registry != "" {
		if err := CheckRegistryName(r.Registry); err != nil {
			return nil, err
		}
	}
	return expiry, nil
}

// Credentials are Docker registry credentials as the API minted them. fmt
// and slog never print a user name, secret, auth value or Raw.
type Credentials struct {
	// Registry is the registry name of the request ("" for the account's
	// registry).
	Registry string
	// ReadWrite reports whether push credentials were requested.
	ReadWrite bool
	// ExpiresAt is when the credentials expire, computed from the time the
	// request was sent (so slightly early); zero when they never expire.
	ExpiresAt time.Time
	// Config is the parsed Docker config.
	Config DockerConfig
	// Raw is the response body exactly as received, a Docker config.json
	// (e.g. for a Kubernetes Secret). It is a []byte that fmt prints as
	// "[REDACTED n bytes]"; pass it where a []byte is expected.
	Raw RawConfig
}

// DockerConfig is a Docker config.json holding registry credentials. As
// JSON it has the API's shape (gen.DockerCredentials): each credential as
// {"auth": base64("username:secret")}.
type DockerConfig struct {
	// Auths maps a registry host (e.g. "registry.digitalocean.com") to its
	// credential, whose Host is the same host.
	Auths map[string]Credential
}

// MarshalJSON encodes d as gen.DockerCredentials.
func (d DockerConfig) MarshalJSON() ([]byte, error) {
	return dockerauth.Encode(d.Auths, Credential.Auth)
}

// RawConfig is a Docker config.json as bytes; fmt and slog print only its
// length.
type RawConfig []byte

// Hosts returns the registry hosts of c, sorted.
func (c Credentials) Hosts() []string {
	return sortedHosts(c.Config.Auths)
}

// For returns the credential for host; ok is false when c has none.
func (c Credentials) For(host string) (cred Credential, ok bool) {
	cred, ok = c.Config.Auths[host]
	return cred, ok
}

// All returns every credential of c, sorted by host.
func (c Credentials) All() []Credential {
	out := make([]Credential, 0, len(c.Config.Auths))
	for _, h := range c.Hosts() {
		out = append(out, c.Config.Auths[h])
	}
	return out
}

// NeverExpires reports whether c has no expiry.
func (c Credentials) NeverExpires() bool { return c.ExpiresAt.IsZero() }

func sortedHosts(m map[string]Credential) []string { return slices.Sorted(maps.Keys(m)) }

// String describes c without secrets.
func (c Credentials) String() string {
	return redact.Credentials(c.Registry, c.Hosts(), c.ReadWrite, c.ExpiresAt)
}

// GoString describes c without secrets (for %#v).
func (c Credentials) GoString() string {
	return redact.CredentialsGo(c.Registry, c.ReadWrite, c.ExpiresAt, c.Config.GoString(), c.Raw.GoString())
}

// Format implements fmt.Formatter so that every verb prints [Credentials.String]
// (or GoString for %#v), never the secrets.
func (c Credentials) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String(), c.GoString()) }

// LogValue implements slog.LogValuer without secrets.
func (c Credentials) LogValue() slog.Value {
	return redact.CredentialsLog(c.Registry, c.Hosts(), c.ReadWrite, c.ExpiresAt)
}

// String describes d without secrets.
func (d DockerConfig) String() string { return redact.Config(sortedHosts(d.Auths)) }

// GoString describes d without secrets (for %#v).
func (d DockerConfig) GoString() string { return redact.ConfigGo(sortedHosts(d.Auths)) }

// Format implements fmt.Formatter without secrets.
func (d DockerConfig) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, d.String(), d.GoString())
}

// LogValue implements slog.LogValuer without secrets.
func (d DockerConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("hosts", sortedHosts(d.Auths)))
}

// String returns "[REDACTED n bytes]".
func (r RawConfig) String() string { return redact.Bytes(len(r)) }

// GoString returns a redacted form (for %#v).
func (r RawConfig) GoString() string { return "facade.RawConfig(" + r.String() + ")" }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (r RawConfig) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String(), r.GoString()) }

// LogValue implements slog.LogValuer without the content.
func (r RawConfig) LogValue() slog.Value { return slog.StringValue(r.String()) }

// ParseCredentials parses a config.json as the docker-credentials endpoints
// return it: {"auths": {"<host>": {"auth": "<base64 user:pass>"}}}, at
// least one host, each by the one host rule, each auth canonical base64 of
// a non-empty user name and password split at the first colon. Errors wrap
// [ErrInvalidCredentials] and never contain a credential.
func ParseCredentials(raw []byte) (*Credentials, error) {
	return parseCredentials(raw, true)
}

// parseCredentials is [ParseCredentials]; with copyRaw false the result's
// Raw is raw itself (for a buffer the caller owns and hands over).
func parseCredentials(raw []byte, copyRaw bool) (*Credentials, error) {
	auths, err := dockerauth.Decode(raw, false, newCredential)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	if copyRaw {
		raw = bytes.Clone(raw)
	}
	return &Credentials{Config: DockerConfig{Auths: auths}, Raw: raw}, nil
}

// UnmarshalJSON decodes gen.DockerCredentials into d, by the rules of
// [ParseCredentials] except that a document without auths is allowed
// (Auths is then nil). Its errors wrap [ErrInvalidCredentials].
func (d *DockerConfig) UnmarshalJSON(b []byte) error {
	auths, err := dockerauth.Decode(b, true, newCredential)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	d.Auths = auths
	return nil
}

func newCredential(host, username, secret string) Credential {
	return Credential{Host: host, Username: username, Secret: secret}
}

// DockerCredentials mints Docker credentials (see [CredentialsRequest] for
// the defaults), validating the request before anything is sent. Non-2xx
// answers are [*APIError]s; a body over 1 MiB is [ErrResponseTooLarge].
func (c *Client) DockerCredentials(ctx context.Context, req CredentialsRequest) (*Credentials, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrInvalidRequest)
	}
	expiry, err := req.check()
	if err != nil {
		return nil, err
	}
	readWrite := req.ReadWrite
	start := c.s.Clock.Now()
	body, f, err := dockerauth.Fetch(ctx, c.api, req.Registry, expiry, readWrite, maxCredentialsBody)
	if f != nil {
		return nil, apiError(f)
	}
	if err != nil {
		return nil, err
	}
	creds, err := parseCredentials(body, false) // body is ours: no copy
	if err != nil {
		return nil, err
	}
	for _, cred := range creds.Config.Auths {
		// A broken or hostile API that answers with the API token would
		// have it stored as a registry credential, and revoked later.
		if strings.TrimSpace(cred.Secret) == c.token || strings.TrimSpace(cred.Username) == c.token {
			return nil, fmt.Errorf("%w: the API answered with the API token itself as the credential for %q; refused, nothing is kept", ErrInvalidCredentials, cred.Host)
		}
	}
	creds.Registry = req.Registry
	creds.ReadWrite = readWrite
	if expiry != nil {
		// Round(0): a wall-clock time only, so that it prints and compares
		// as a plain time (no "m=+3600.0" monotonic reading).
		creds.ExpiresAt = start.Add(time.Duration(*expiry) * time.Second).Round(0)
	}
	return creds, nil
}

// Credential is one registry credential: host, user name and secret. It is
// docr's one credential type: what the API mints, dockerconfig stores, a
// [Source] serves, the credential helper and the kubelet provider answer.
// fmt (any verb) and slog print its host only.
type Credential struct {
	// Host is the registry host, e.g. "registry.digitalocean.com".
	Host string
	// Username is the user name (for DOCR, the secret or an e-mail).
	Username string
	// Secret is the password.
	Secret string
}

// Auth is what Docker's config.json stores for c:
// base64(Username + ":" + Secret).
func (c Credential) Auth() string {
	return base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Secret))
}

// IsZero reports whether c has no user name and no secret.
func (c Credential) IsZero() bool { return c.Username == "" && c.Secret == "" }

// String describes c without secrets.
func (c Credential) String() string { return redact.Credential(c.Host) }

// GoString describes c without secrets (for %#v).
func (c Credential) GoString() string { return redact.CredentialGo(c.Host) }

// Format implements fmt.Formatter so that every verb prints
// [Credential.String] (or GoString for %#v), never the secrets.
func (c Credential) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String(), c.GoString()) }

// LogValue implements slog.LogValuer: the host only.
func (c Credential) LogValue() slog.Value { return slog.GroupValue(slog.String("host", c.Host)) }

// CheckRegistryName applies the API's registry-name rule (1 to 63
// lower-case letters, digits and hyphens), as the facade does before every
// request, so that ".." never becomes another path. Its error wraps
// [ErrInvalidRequest] and never repeats the name.
func CheckRegistryName(name string) error {
	if err := registryname.Check(name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return nil
}
