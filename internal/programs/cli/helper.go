package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/gofrs/flock"
)

// The credential helper mints short-lived credentials on demand and caches
// them so that one docker pull does not mint several.
const (
	helperDefaultExpiry = time.Hour
	helperMaxExpiry     = 24 * time.Hour
	// helperReuseMargin: a cached credential is served until this long
	// before it expires.
	helperReuseMargin = 5 * time.Minute
	// helperTimeout and helperAttempts bound how long docker pull waits on
	// an unreachable API: at most about 2 x 15 s plus one backoff.
	helperTimeout  = 15 * time.Second
	helperAttempts = 2
	// errNotFound is the exact message of the credential helper protocol
	// (docker-credential-helpers/credentials.errCredentialsNotFoundMessage).
	errNotFound = "credentials not found in native keychain"
)

func credentialHelperCmd() *command {
	return &command{
		name:    "credential-helper",
		args:    "get|store|erase|list|version",
		summary: "Act as a Docker credential helper (also when run as docker-credential-docr)",
		example: `  ln -s "$(command -v docr)" "$(dirname "$(command -v docr)")/docker-credential-docr"
  docr login --helper                 # sets credHelpers["registry.digitalocean.com"] = "docr"
  echo registry.digitalocean.com | docker-credential-docr get

Environment: DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN), DIGITALOCEAN_API_URL,
DOCR_HELPER_EXPIRY_SECONDS (default 3600, at most 86400), DOCR_HELPER_READ_WRITE=true
for push credentials, DOCR_REGISTRY_HOST (default registry.digitalocean.com).`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if len(args) != 1 {
					return usagef("credential-helper takes one action: get, store, erase, list or version")
				}
				return a.credentialHelper(ctx, args[0])
			}
		},
	}
}

// helperFailure is a protocol error: its message goes to stdout, as the
// credential helper protocol requires, and the exit code is 1.
type helperFailure struct{ msg string }

func (e *helperFailure) Error() string { return e.msg }

func (a *app) credentialHelper(ctx context.Context, action string) error {
	var err error
	switch action {
	case "get":
		err = a.helperGet(ctx)
	case "store":
		_, _ = io.Copy(io.Discard, io.LimitReader(a.env.Stdin, 1<<20))
		err = &helperFailure{"docr mints credentials on demand and stores none; use 'docr login' to store a credential"}
	case "erase":
		var host string
		if host, err = a.readServerURL(); err == nil {
			if host == a.registryHost() {
				if err = a.checkRevokeURL(""); err == nil {
					_, err = a.helperErase(ctx, host, "", false)
				}
			}
		}
	case "list":
		err = a.helperList()
	case "version":
		fmt.Fprintf(a.env.Stdout, "docr credential helper %s\n", facade.Version)
	default:
		return usagef("unknown credential-helper action %q: want get, store, erase, list or version", action)
	}
	var hf *helperFailure
	var ue *usageError
	switch {
	case errors.As(err, &hf):
		fmt.Fprintln(a.env.Stdout, hf.msg)
		return exitCodeOnly{}
	case err != nil && !errors.As(err, &ue):
		// Docker shows what a helper prints on stdout; people read stderr.
		fmt.Fprintln(a.env.Stdout, "docr: "+errorLine(err))
	}
	return err
}

// exitCodeOnly fails with exit code 1 without another message.
type exitCodeOnly struct{}

func (exitCodeOnly) Error() string { return "" }

func (a *app) readServerURL() (string, error) {
	data, err := io.ReadAll(io.LimitReader(a.env.Stdin, 64<<10))
	if err != nil {
		return "", err
	}
	host := dockerHostname(string(data))
	if host == "" {
		return "", &helperFailure{"no server URL on standard input"}
	}
	return host, nil
}

// helperSettings are read from the environment at each run.
func (a *app) helperSettings() (expiry time.Duration, readWrite bool, err error) {
	expiry = helperDefaultExpiry
	if v := strings.TrimSpace(a.env.getenv(envHelperExpiry)); v != "" {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < 1 || n > int64(helperMaxExpiry/time.Second) {
			return 0, false, fmt.Errorf("%s must be a whole number of seconds from 1 to %d (the helper never mints long-lived credentials)", envHelperExpiry, int64(helperMaxExpiry/time.Second))
		}
		expiry = time.Duration(n) * time.Second
	}
	if v := strings.TrimSpace(a.env.getenv(envHelperReadWrite)); v != "" {
		if readWrite, err = strconv.ParseBool(v); err != nil {
			return 0, false, fmt.Errorf("%s must be true or false", envHelperReadWrite)
		}
	}
	return expiry, readWrite, nil
}

type helperReply struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

func (a *app) helperGet(ctx context.Context) error {
	data, err := io.ReadAll(io.LimitReader(a.env.Stdin, 64<<10))
	if err != nil {
		return err
	}
	serverURL := strings.TrimSpace(string(data))
	host := dockerHostname(serverURL)
	if host == "" || host != a.registryHost() {
		return &helperFailure{errNotFound}
	}
	expiry, readWrite, err := a.helperSettings()
	if err != nil {
		return err
	}
	// One lock around read, mint and write: concurrent gets (docker pulls
	// several layers, or several pulls run at once) share one mint.
	unlock, err := a.lockCache(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	cache := a.loadCache()
	key := cacheKey(host, readWrite)
	now := a.env.now()
	if e, ok := cache.Entries[key]; ok && e.ExpiresAt.Sub(now) > helperReuseMargin && e.Username != "" && e.Password != "" {
		return a.writeReply(serverURL, e.Username, e.Password)
	}
	// The helper's own limits: Docker runs it without flags and waits.
	c, err := a.client(ctx, facade.WithTimeout(min(a.timeout, helperTimeout)), facade.WithRetry(facade.RetryPolicy{MaxAttempts: helperAttempts}))
	if err != nil {
		return err
	}
	creds, err := c.DockerCredentials(ctx, facade.CredentialsRequest{ReadWrite: readWrite, Expiry: expiry})
	if err != nil {
		return err
	}
	if err := onlyHost(creds, host); err != nil {
		// Nothing of this answer is kept: revoke it.
		return a.discard(ctx, nil, creds, err)
	}
	entry := creds.Config.Auths[host]
	cache.Entries[key] = cacheEntry{Host: host, ReadWrite: readWrite, Username: entry.Username, Password: entry.Secret, ExpiresAt: creds.ExpiresAt}
	cache.prune(now)
	if err := a.saveCache(cache); err != nil {
		// Docker gets the credential all the same; it expires on its own
		// (the helper mints short-lived credentials only).
		fmt.Fprintf(a.env.Stderr, "docr: warning: could not cache the credential: %v\n", err)
	}
	return a.writeReply(serverURL, entry.Username, entry.Secret)
}

// cacheLockRetry is how often a get waiting for another one's mint tries
// the cache lock again.
const cacheLockRetry = 10 * time.Millisecond

// lockCache takes the exclusive lock of the cache (credential-helper.json.lock
// beside it, created 0600), waiting until ctx is done.
func (a *app) lockCache(ctx context.Context) (unlock func(), err error) {
	p, err := a.cachePath()
	if err != nil {
		return nil, err
	}
	if err := ensurePrivateDir(filepath.Dir(p)); err != nil {
		return nil, err
	}
	l := flock.New(p+".lock", flock.SetPermissions(0o600))
	locked, err := l.TryLockContext(ctx, cacheLockRetry)
	if err != nil || !locked {
		return nil, fmt.Errorf("lock the credential helper cache: %w", errors.Join(err, context.Cause(ctx)))
	}
	return func() { _ = l.Unlock() }, nil
}

// ensurePrivateDir creates dir (0700) if needed and keeps it private. A dir
// that is a symbolic link (say, to a shared 1777 directory), or that another
// user owns, is refused: docr keeps credentials only in a directory of its own.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link; docr keeps credentials only in a directory of its own: remove the link", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s belongs to another user (uid %d); docr keeps credentials only in a directory of its own", dir, uid)
	}
	// The directory is docr's own: keep it private even if it existed.
	return os.Chmod(dir, 0o700)
}

func (a *app) writeReply(serverURL, user, secret string) error {
	out, err := json.Marshal(helperReply{ServerURL: serverURL, Username: user, Secret: secret})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.env.Stdout, "%s\n", out)
	return err
}

// helperErase drops the cached credentials of host and, unless noRevoke,
// revokes them. It returns how many it dropped.
func (a *app) helperErase(ctx context.Context, host, revokeURL string, noRevoke bool) (int, error) {
	unlock, err := a.lockCache(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	cache := a.loadCache()
	var dropped []cacheEntry
	for k, e := range cache.Entries {
		if e.Host == host {
			dropped = append(dropped, e)
			delete(cache.Entries, k)
		}
	}
	if len(dropped) == 0 {
		return 0, nil
	}
	if err := a.saveCache(cache); err != nil {
		return 0, err
	}
	if noRevoke {
		return len(dropped), nil
	}
	var errs []error
	for _, e := range dropped {
		if e.ExpiresAt.Before(a.env.now()) {
			continue // already useless
		}
		if slices.Contains(a.knownTokens(), strings.TrimSpace(e.Password)) {
			continue // never send an API token to the revocation endpoint
		}
		if err := facade.RevokeCredential(ctx, e.Password, a.revokeOptions(revokeURL)...); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return len(dropped), fmt.Errorf("dropped the cached credentials of %s, but revoking failed: %w", host, errors.Join(errs...))
	}
	return len(dropped), nil
}

func (a *app) helperList() error {
	out, err := json.Marshal(map[string]string{a.registryHost(): "docr"})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.env.Stdout, "%s\n", out)
	return err
}

// helperCache is the credential helper's cache file: short-lived
// credentials only, mode 0600.
type helperCache struct {
	Entries map[string]cacheEntry `json:"entries"`
}

type cacheEntry struct {
	Host      string    `json:"host"`
	ReadWrite bool      `json:"read_write"`
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	ExpiresAt time.Time `json:"expires_at"`
}

func cacheKey(host string, readWrite bool) string {
	if readWrite {
		return host + " rw"
	}
	return host + " ro"
}

// prune drops expired entries.
func (c *helperCache) prune(now time.Time) {
	for k, e := range c.Entries {
		if !e.ExpiresAt.After(now) {
			delete(c.Entries, k)
		}
	}
}

// cachePath is <user cache dir>/docr/credential-helper.json.
func (a *app) cachePath() (string, error) {
	dir := a.env.getenv("XDG_CACHE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		var err error
		if dir, err = os.UserCacheDir(); err != nil {
			// os.UserCacheDir refuses a relative $XDG_CACHE_HOME; the XDG
			// spec says to ignore it, which means $HOME/.cache.
			home, herr := os.UserHomeDir()
			if herr != nil {
				return "", fmt.Errorf("find the user cache directory: %w", err)
			}
			dir = filepath.Join(home, ".cache")
		}
	}
	return filepath.Join(dir, "docr", "credential-helper.json"), nil
}

// maxCacheSize bounds the credential helper cache docr reads: a cache of a
// few registries is a few hundred bytes.
const maxCacheSize = 1 << 20

// errTooLarge is wrapped by readBounded's error for a file over its limit.
var errTooLarge = errors.New("file too large")

// readBounded reads the file at p if it holds at most limit bytes (checked
// before and while reading, so a growing file is bounded too).
func readBounded(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", errTooLarge, fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
	}
	return data, err
}

// loadCache reads the cache; a missing or corrupt cache is an empty one (it
// is replaced on the next save).
func (a *app) loadCache() *helperCache {
	c := &helperCache{Entries: map[string]cacheEntry{}}
	p, err := a.cachePath()
	if err != nil {
		return c
	}
	data, err := readBounded(p, maxCacheSize)
	if errors.Is(err, errTooLarge) {
		// Never parsed: the next save replaces it with a small one.
		fmt.Fprintf(a.env.Stderr, "docr: ignoring the credential helper cache %s: %v\n", p, err)
		return c
	}
	if err != nil {
		return c
	}
	var got helperCache
	if json.Unmarshal(data, &got) != nil || got.Entries == nil {
		return c
	}
	got.prune(a.env.now())
	return &got
}

// saveCache writes the cache atomically with mode 0600 in a 0700 directory.
func (a *app) saveCache(c *helperCache) error {
	p, err := a.cachePath()
	if err != nil {
		return err
	}
	if err := ensurePrivateDir(filepath.Dir(p)); err != nil {
		return err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".credential-helper-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
