package kubeletprovider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/registryhost"
)

// This file stands in for the facade's credential lifecycle API (issue 20),
// which is not on main yet: the same names and shapes, unexported. When it
// lands, each one is replaced by facade's and this file goes.

const defaultRegistryHost = "registry.digitalocean.com" // facade.DefaultRegistryHost

const (
	envToken        = "DIGITALOCEAN_TOKEN"        // facade.EnvToken
	envAccessToken  = "DIGITALOCEAN_ACCESS_TOKEN" // facade.EnvAccessToken
	envTokenFile    = "DOCR_TOKEN_FILE"           // facade.EnvTokenFile
	envAPIURL       = "DIGITALOCEAN_API_URL"      // facade.EnvAPIURL
	envRegistryHost = "DOCR_REGISTRY_HOST"        // facade.EnvRegistryHost
)

var errNoToken = errors.New("no API token") // facade.ErrNoToken

// registryHostFromEnv is facade.RegistryHostFromEnv: $DOCR_REGISTRY_HOST,
// trimmed, A-Z lowered, checked by the one host rule; else the default.
func registryHostFromEnv(getenv func(string) string) (string, error) {
	h := strings.TrimSpace(getenv(envRegistryHost))
	if h == "" {
		return defaultRegistryHost, nil
	}
	h = asciiLower(h)
	if err := registryhost.Check(h); err != nil {
		return "", fmt.Errorf("$%s: %w", envRegistryHost, err)
	}
	return h, nil
}

// tokenFromEnv is facade.TokenFromEnv: the file $DOCR_TOKEN_FILE names,
// else $DIGITALOCEAN_TOKEN, else $DIGITALOCEAN_ACCESS_TOKEN.
func tokenFromEnv(getenv func(string) string) (token, source string, err error) {
	if path := getenv(envTokenFile); path != "" {
		tok, err := readTokenFile(path)
		if err != nil {
			return "", "", err
		}
		return tok, path, nil
	}
	for _, name := range []string{envToken, envAccessToken} {
		if tok := strings.TrimSpace(getenv(name)); tok != "" {
			return tok, name, nil
		}
	}
	return "", "", errNoToken
}

// readTokenFile is facade.ReadTokenFile, with the provider's rule of today:
// a regular file of at most 4 KiB that group and others cannot access.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("token file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return "", fmt.Errorf("token file %s has mode %04o: group or others may access it; chmod 600 it", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if len(data) > 4096 {
		return "", fmt.Errorf("token file %s is larger than 4096 bytes", path)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return tok, nil
}

// defaultRenewBefore is facade.DefaultRenewBefore: a sixth of the
// lifetime, from one to fifteen minutes, at most half of it.
func defaultRenewBefore(expiry time.Duration) time.Duration {
	return min(max(expiry/6, time.Minute), 15*time.Minute, expiry/2)
}

// mint is facade.NewSource(c, facade.SourceOptions{Request: req, Host:
// host}) followed by its Credentials: one mint, for one process.
func mint(ctx context.Context, c *facade.Client, req facade.CredentialsRequest) (*facade.Credentials, error) {
	return c.DockerCredentials(ctx, req)
}

// credentialFor is (*facade.Credentials).For: the credential for exactly
// host.
func credentialFor(creds *facade.Credentials, host string) (username, secret string, ok bool) {
	a, ok := creds.Config.Auths[host]
	return a.Username, a.Password, ok
}

// asciiLower lowers A-Z only, so that no Unicode look-alike folds into an
// ASCII host (facade's, unexported there too).
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
