package facade

import (
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/docr-dev/docr/internal/apitoken"
	"github.com/docr-dev/docr/internal/registryhost"
	"github.com/docr-dev/docr/internal/transport"
)

// DefaultRegistryHost is the host of every DigitalOcean container registry,
// the auths key of the credentials the API issues.
const DefaultRegistryHost = "registry.digitalocean.com"

// The environment every docr program reads. Each name is defined here only.
const (
	// EnvToken holds the API token; it is read after EnvTokenFile.
	EnvToken = "DIGITALOCEAN_TOKEN"
	// EnvAccessToken is read when EnvToken is unset or blank.
	EnvAccessToken = "DIGITALOCEAN_ACCESS_TOKEN"
	// EnvTokenFile names a file holding the API token (see [ReadTokenFile]);
	// it is read first.
	EnvTokenFile = "DOCR_TOKEN_FILE"
	// EnvAPIURL, when set, is the API's base URL (as [WithBaseURL]).
	EnvAPIURL = "DIGITALOCEAN_API_URL"
	// EnvRegistryHost, when set, is the registry host credentials are for
	// (default [DefaultRegistryHost]); the fake API prints it.
	EnvRegistryHost = "DOCR_REGISTRY_HOST"
	// EnvRevokeURL, when set, is the revocation endpoint (as [WithRevokeURL]).
	EnvRevokeURL = "DOCR_REVOKE_URL"
)

// ErrNoToken is returned by [TokenFromEnv] and [NewFromEnv] when the
// environment holds no token.
var ErrNoToken = apitoken.ErrNone

// MaxTokenFileLine bounds the line [ReadTokenFile] and [ReadToken] read (64
// KiB): an API token is far shorter.
const MaxTokenFileLine = apitoken.MaxLine

// TokenFromEnv finds the API token through getenv (os.Getenv when nil): the
// file $DOCR_TOKEN_FILE names (read with [ReadTokenFile]), else
// $DIGITALOCEAN_TOKEN, else $DIGITALOCEAN_ACCESS_TOKEN; blank values count
// as unset. source says where the token came from ("$DIGITALOCEAN_TOKEN",
// say, or the file's path), for messages. With none it returns [ErrNoToken].
// Errors never contain the token.
func TokenFromEnv(getenv func(string) string) (token, source string, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	return apitoken.FromEnv(getenv, EnvTokenFile, EnvToken, EnvAccessToken)
}

// ReadTokenFile reads an API token by every docr program's rule: a regular
// file that group or others may access is refused (chmod 600 it, as for an
// ssh key), a pipe is read as a stream; the token is the trimmed first
// line, at most [MaxTokenFileLine] bytes. Errors never hold the token.
func ReadTokenFile(path string) (string, error) { return apitoken.ReadFile(path) }

// ReadToken reads an API token from r as [ReadTokenFile] reads a file: the
// first line, at most [MaxTokenFileLine] bytes, trimmed, not empty.
func ReadToken(r io.Reader) (string, error) { return apitoken.Read(r) }

// RegistryHostFromEnv returns the registry host credentials are for:
// $DOCR_REGISTRY_HOST (read through getenv, os.Getenv when nil), trimmed
// and with A-Z lowered as Docker lowers the host it asks a helper about,
// else [DefaultRegistryHost]. A host outside the one host rule (printable
// ASCII, at most 1,024 bytes) is an error.
func RegistryHostFromEnv(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	h, err := registryhost.Setting(getenv(EnvRegistryHost), DefaultRegistryHost)
	if err != nil {
		return "", fmt.Errorf("$%s: %w", EnvRegistryHost, err)
	}
	return h, nil
}

// CheckEndpoint applies the one rule for endpoint URLs (the API's base URL,
// the revocation URL): an absolute http or https URL with a host and
// without user info, query or fragment; a path prefix is allowed. Errors
// never repeat the URL, which may hold user info.
func CheckEndpoint(raw string) (*url.URL, error) { return transport.CheckEndpoint(raw) }

// Cleartext returns the host of endpoint when it is plain http to a host
// other than localhost or loopback: programs warn, as secrets would cross
// the network in the clear.
func Cleartext(endpoint string) (host string, ok bool) { return transport.Cleartext(endpoint) }
