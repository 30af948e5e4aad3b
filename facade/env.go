package facade

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/docr-dev/docr/internal/registryhost"
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
var ErrNoToken = errors.New("docr: no API token")

// MaxTokenFileLine bounds the line [ReadTokenFile] and [ReadToken] read: an
// API token is far shorter.
const MaxTokenFileLine = 64 << 10

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
	if p := strings.TrimSpace(getenv(EnvTokenFile)); p != "" {
		tok, err := ReadTokenFile(p)
		if err != nil {
			return "", "", fmt.Errorf("$%s: %w", EnvTokenFile, err)
		}
		return tok, p, nil
	}
	for _, name := range []string{EnvToken, EnvAccessToken} {
		if v := getenv(name); strings.TrimSpace(v) != "" {
			return v, "$" + name, nil
		}
	}
	return "", "", fmt.Errorf("%w: set %s, %s or %s", ErrNoToken, EnvTokenFile, EnvToken, EnvAccessToken)
}

// ReadTokenFile reads an API token from the file at path, by the one rule
// every docr program applies: a regular file that group or others may read
// or write is refused (chmod 600 it), as ssh refuses such a key, because
// the token is a password to the whole account; a directory is refused;
// anything else (a pipe, such as bash's <(pass show do-token), or a device)
// is read as a stream. The token is the first line, at most
// [MaxTokenFileLine] bytes, without surrounding white space; an empty one
// is refused. Errors never contain the token.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("docr: token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("docr: token file: %w", err)
	}
	switch perm := fi.Mode().Perm(); {
	case fi.IsDir():
		return "", fmt.Errorf("docr: token file %s is a directory", path)
	case fi.Mode().IsRegular() && perm&0o077 != 0 && runtime.GOOS != "windows":
		return "", fmt.Errorf("docr: token file %s has mode %04o: group or others may read or write it; chmod 600 it", path, perm)
	}
	tok, err := ReadToken(f)
	if err != nil {
		return "", fmt.Errorf("docr: token file %s: %w", path, err)
	}
	return tok, nil
}

// ReadToken reads an API token from r as [ReadTokenFile] reads a file: the
// first line, at most [MaxTokenFileLine] bytes, trimmed, not empty.
func ReadToken(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, MaxTokenFileLine+1)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if len(strings.TrimRight(line, "\r\n")) > MaxTokenFileLine {
		// Never cut silently: a cut token would fail later, confusingly.
		return "", fmt.Errorf("the first line is longer than %d KiB; an API token is far shorter", MaxTokenFileLine>>10)
	}
	tok := strings.TrimSpace(line)
	if tok == "" {
		return "", errors.New("holds no token")
	}
	return tok, nil
}

// RegistryHostFromEnv returns the registry host credentials are for:
// $DOCR_REGISTRY_HOST (read through getenv, os.Getenv when nil), trimmed
// and with A-Z lowered as Docker lowers the host it asks a helper about,
// else [DefaultRegistryHost]. A host outside the one host rule (printable
// ASCII, at most 1,024 bytes) is an error.
func RegistryHostFromEnv(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	h := strings.TrimSpace(getenv(EnvRegistryHost))
	if h == "" {
		return DefaultRegistryHost, nil
	}
	h = asciiLower(h)
	if err := registryhost.Check(h); err != nil {
		return "", fmt.Errorf("$%s: %w", EnvRegistryHost, err)
	}
	return h, nil
}

// CheckEndpoint applies the one rule for endpoint URLs (the API's base URL,
// the revocation URL): an absolute http or https URL with a host and
// without user info, query or fragment; a path prefix is allowed. Errors
// never repeat the URL, which may hold user info.
func CheckEndpoint(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("URL has no host")
	case u.User != nil:
		return nil, errors.New("URL must not contain user info")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("URL must not have a query")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("URL must not have a fragment")
	}
	return u, nil
}

// asciiLower lowers A-Z only, so that no Unicode look-alike folds into an
// ASCII host.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
