package facade

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/dockerauth"
	"github.com/docr-dev/docr/internal/transport"
)

// DefaultExpiry is the lifetime of credentials when a [CredentialsRequest]
// sets neither Expiry nor NeverExpire.
const DefaultExpiry = 30 * 24 * time.Hour

// CredentialsRequest asks for Docker credentials. The zero value asks for
// read-only credentials for the account's registry that expire after
// [DefaultExpiry].
type CredentialsRequest struct {
	// Registry names the registry. Empty uses GET
	// /v2/registry/docker-credentials (the account's registry, the only
	// choice for accounts with one registry); a name uses GET
	// /v2/registries/{name}/docker-credentials.
	Registry string
	// ReadWrite asks for push (read-write) credentials; the token then
	// needs the registry:update scope. docr always sends read_write
	// explicitly (read_write=false for read-only), so that the least
	// privilege does not depend on the API's default.
	ReadWrite bool
	// Expiry is the lifetime of the credentials: a whole number of seconds,
	// at least one second. docr refuses fractions rather than rounding.
	// Zero means DefaultExpiry unless NeverExpire is set.
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

// Credentials are Docker registry credentials as returned by the API.
//
// Printing Credentials with fmt (%v, %+v, %#v, %s) or slog never shows a
// user name, secret, auth value or Raw: for DigitalOcean, user name and
// password are both the secret. Use the fields explicitly.
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
	mode := "read-only"
	if c.ReadWrite {
		mode = "read-write"
	}
	exp := "never expires"
	if !c.ExpiresAt.IsZero() {
		exp = "expires " + c.ExpiresAt.UTC().Format(time.RFC3339)
	}
	reg := c.Registry
	if reg == "" {
		reg = "(default)"
	}
	return fmt.Sprintf("Credentials{registry: %s, hosts: [%s], %s, %s, password: %s}",
		reg, strings.Join(c.Hosts(), " "), mode, exp, transport.Redacted)
}

// GoString describes c without secrets (for %#v).
func (c Credentials) GoString() string {
	return fmt.Sprintf("facade.Credentials{Registry:%q, ReadWrite:%t, ExpiresAt:%#v, Config:%#v, Raw:%#v}",
		c.Registry, c.ReadWrite, c.ExpiresAt, c.Config, c.Raw)
}

// Format implements fmt.Formatter so that every verb prints [Credentials.String]
// (or GoString for %#v), never the secrets.
func (c Credentials) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String(), c.GoString()) }

// LogValue implements slog.LogValuer without secrets.
func (c Credentials) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("registry", c.Registry),
		slog.Any("hosts", c.Hosts()),
		slog.Bool("read_write", c.ReadWrite),
	}
	if !c.ExpiresAt.IsZero() {
		attrs = append(attrs, slog.Time("expires_at", c.ExpiresAt))
	}
	return slog.GroupValue(attrs...)
}

// String describes d without secrets.
func (d DockerConfig) String() string {
	return "DockerConfig{auths: [" + strings.Join(sortedHosts(d.Auths), " ") + "]}"
}

// GoString describes d without secrets (for %#v).
func (d DockerConfig) GoString() string {
	var b strings.Builder
	b.WriteString("facade.DockerConfig{Auths:map[string]facade.Credential{")
	for i, h := range sortedHosts(d.Auths) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q:%s", h, d.Auths[h].GoString())
	}
	b.WriteString("}}")
	return b.String()
}

// Format implements fmt.Formatter without secrets.
func (d DockerConfig) Format(f fmt.State, verb rune) { formatSafe(f, verb, d.String(), d.GoString()) }

// LogValue implements slog.LogValuer without secrets.
func (d DockerConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("hosts", sortedHosts(d.Auths)))
}

// String returns "[REDACTED n bytes]".
func (r RawConfig) String() string { return "[REDACTED " + strconv.Itoa(len(r)) + " bytes]" }

// GoString returns a redacted form (for %#v).
func (r RawConfig) GoString() string { return "facade.RawConfig(" + r.String() + ")" }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (r RawConfig) Format(f fmt.State, verb rune) { formatSafe(f, verb, r.String(), r.GoString()) }

// LogValue implements slog.LogValuer without the content.
func (r RawConfig) LogValue() slog.Value { return slog.StringValue(r.String()) }

func formatSafe(f fmt.State, verb rune, s, gs string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, gs)
		return
	}
	_, _ = io.WriteString(f, s)
}

// ParseCredentials parses a Docker config.json as the docker-credentials
// endpoints return it: {"auths": {"<host>": {"auth": "<base64 user:pass>"}}}.
// It requires at least one host; every entry needs a non-empty host
// (without white space, control characters or invalid UTF-8) and an
// auth that is standard base64 of "username:password" with a non-empty user
// name and password (split at the first colon); the base64 must be
// canonical (strict padding, no line breaks). Errors wrap
// [ErrInvalidCredentials] and never contain a credential. The result has
// Config and Raw (a copy of raw) set.
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

// DockerCredentials fetches Docker credentials (a config.json) for a
// registry; see [CredentialsRequest] for the defaults (read-only, 30 days).
// The request is validated before anything is sent. Non-2xx answers are
// [*APIError]s; a success body over 1 MiB is refused with
// [ErrResponseTooLarge].
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
	var resp *http.Response
	if req.Registry == "" {
		// The deprecated single-registry endpoint: still how accounts with
		// one registry get credentials.
		//lint:ignore SA1019 the account's registry has no other credentials endpoint
		resp, err = c.api.RegistryGetDockerCredentials(ctx, &gen.RegistryGetDockerCredentialsParams{ExpirySeconds: expiry, ReadWrite: &readWrite})
	} else {
		resp, err = c.api.RegistriesGetDockerCredentials(ctx, req.Registry, &gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: expiry, ReadWrite: &readWrite})
	}
	if err != nil {
		return nil, err
	}
	body, err := transport.ReadAtMost(resp.Body, maxCredentialsBody)
	if err != nil {
		return nil, fmt.Errorf("docr: reading docker credentials: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, failed(resp, body)
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
