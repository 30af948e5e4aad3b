package credhelper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/gofrs/flock"
)

// cacheFileName is the cache file in the cache directory; the lock is
// cacheFileName + ".lock" beside it.
const cacheFileName = "credential-helper.json"

// maxCacheSize bounds the cache file the helper reads: a cache of a few
// registries and tokens is a few kilobytes.
const maxCacheSize = 1 << 20

// lockRetry is how often a get waiting for another one's mint tries the
// lock again.
const lockRetry = 10 * time.Millisecond

// fileCache is the helper's cache: one JSON file in a private directory
// (0700, the user's own, not a symbolic link), written atomically with
// mode 0600 and locked with flock on a file beside it. It is a
// facade.Cache and a facade.Locker: a Source holds the lock around load,
// mint and store, so concurrent gets share one mint.
//
// It holds short-lived credentials only, under the Source's key (registry
// host, registry, access and a fingerprint of the API origin and token).
// A file that is not trustworthy is never read: it is ignored, with one
// line on stderr, and replaced by the next store. That is a file another
// user owns, one group or others may read or write, one that is not a
// regular file, one over 1 MiB, one not of the cache's shape, and one with
// an entry expiring later than the helper's maximum lifetime (24 hours)
// from now, which the helper never mints.
type fileCache struct {
	dir  string
	host string // the host whose credential Store keeps
	now  func() time.Time
	log  *logger
}

// cacheFile is the file's shape.
type cacheFile struct {
	Entries map[string]cacheEntry `json:"entries"`
}

// cacheEntry is one cached credential.
type cacheEntry struct {
	Host      string    `json:"host"`
	Registry  string    `json:"registry,omitempty"`
	ReadWrite bool      `json:"read_write"`
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (c *fileCache) path() string { return filepath.Join(c.dir, cacheFileName) }

// Lock takes the exclusive lock of the whole cache (every key), waiting
// until ctx is done. It creates the directory, private, if need be, and
// refuses one that is a symbolic link or another user's.
func (c *fileCache) Lock(ctx context.Context, _ string) (unlock func(), err error) {
	if err := ensurePrivateDir(c.dir); err != nil {
		return nil, err
	}
	l := flock.New(c.path()+".lock", flock.SetPermissions(0o600))
	locked, err := l.TryLockContext(ctx, lockRetry)
	if err != nil || !locked {
		return nil, fmt.Errorf("lock the credential helper cache: %w", errors.Join(err, context.Cause(ctx)))
	}
	return func() { _ = l.Unlock() }, nil
}

// Load returns the credentials stored under key, or nil when there are
// none, they have expired, or the file is not trustworthy (see fileCache).
func (c *fileCache) Load(_ context.Context, key string) (*facade.Credentials, error) {
	entries, why := c.read()
	if why != "" {
		c.log.note(fmt.Sprintf("ignoring the credential helper cache %s: %s", c.path(), why))
	}
	e, ok := entries[key]
	if !ok {
		return nil, nil
	}
	return &facade.Credentials{
		Registry:  e.Registry,
		ReadWrite: e.ReadWrite,
		ExpiresAt: e.ExpiresAt,
		Config: facade.DockerConfig{Auths: map[string]facade.Credential{
			e.Host: {Host: e.Host, Username: e.Username, Secret: e.Password},
		}},
	}, nil
}

// Store keeps the credential creds hold for the cache's host under key,
// with the other keys' entries that have not expired; a file that is not
// trustworthy is replaced whole.
func (c *fileCache) Store(_ context.Context, key string, creds *facade.Credentials) error {
	cred, ok := creds.For(c.host)
	if !ok {
		return fmt.Errorf("no credential for %s to cache", c.host)
	}
	entries, _ := c.read()
	entries[key] = cacheEntry{
		Host: c.host, Registry: creds.Registry, ReadWrite: creds.ReadWrite,
		Username: cred.Username, Password: cred.Secret, ExpiresAt: creds.ExpiresAt,
	}
	return c.write(entries)
}

// dropHost removes every entry for host, under the lock, and returns those
// that had not expired. A file that is not trustworthy is replaced by an
// empty one, and nothing of it is returned.
func (c *fileCache) dropHost(ctx context.Context, host string) ([]cacheEntry, error) {
	unlock, err := c.Lock(ctx, "")
	if err != nil {
		return nil, err
	}
	defer unlock()
	entries, why := c.read()
	if why != "" {
		c.log.note(fmt.Sprintf("ignoring the credential helper cache %s: %s", c.path(), why))
		return nil, c.write(map[string]cacheEntry{})
	}
	var dropped []cacheEntry
	for k, e := range entries {
		if e.Host == host {
			dropped = append(dropped, e)
			delete(entries, k)
		}
	}
	if len(dropped) == 0 {
		return nil, nil
	}
	return dropped, c.write(entries)
}

// read returns the entries of the cache file that have not expired. A
// missing file has none; a file that is not trustworthy has none, and why
// says what is wrong with it.
func (c *fileCache) read() (entries map[string]cacheEntry, why string) {
	entries = map[string]cacheEntry{}
	f, err := os.OpenFile(c.path(), os.O_RDONLY|openNoFollow, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return entries, ""
	case isSymlinkError(err):
		return entries, "it is a symbolic link"
	case err != nil:
		return entries, err.Error()
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return entries, err.Error()
	}
	if why := untrusted(fi); why != "" {
		return entries, why
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCacheSize+1))
	switch {
	case err != nil:
		return entries, err.Error()
	case len(data) > maxCacheSize:
		return entries, fmt.Sprintf("file too large: more than %d bytes", maxCacheSize)
	}
	var got cacheFile
	if json.Unmarshal(data, &got) != nil || got.Entries == nil {
		return entries, "not a credential helper cache (corrupt)"
	}
	now := c.now()
	for k, e := range got.Entries {
		switch {
		case e.Host == "" || e.Username == "" || e.Password == "" || e.ExpiresAt.IsZero():
			return map[string]cacheEntry{}, "an entry is incomplete (corrupt)"
		case e.ExpiresAt.After(now.Add(maxExpiry)):
			// The helper never mints for longer: planted, or corrupt.
			return map[string]cacheEntry{}, fmt.Sprintf("an entry expires at %s, more than the helper's maximum lifetime (%v) from now (corrupt)", e.ExpiresAt.UTC().Format(time.RFC3339), maxExpiry)
		case e.ExpiresAt.After(now):
			entries[k] = e
		}
	}
	return entries, ""
}

// untrusted says why the cache file fi may not be read, or "": it must be
// a regular file of the user's own, that group and others can neither
// read nor write, of at most maxCacheSize bytes.
func untrusted(fi fs.FileInfo) string {
	switch {
	case !fi.Mode().IsRegular():
		return "not a regular file"
	case fi.Mode().Perm()&0o077 != 0 && hasUnixModes:
		return fmt.Sprintf("mode %04o: group or others may read or write it", fi.Mode().Perm())
	case fi.Size() > maxCacheSize:
		return fmt.Sprintf("file too large: %d bytes, more than %d", fi.Size(), maxCacheSize)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Sprintf("owned by another user (uid %d)", uid)
	}
	return ""
}

// write replaces the cache file atomically (a 0600 temporary file, synced,
// renamed over it) in the private directory.
func (c *fileCache) write(entries map[string]cacheEntry) error {
	if err := ensurePrivateDir(c.dir); err != nil {
		return err
	}
	data, err := json.MarshalIndent(cacheFile{Entries: entries}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".credential-helper-*.tmp")
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
	return os.Rename(tmp.Name(), c.path())
}

// ensurePrivateDir creates dir (0700) if need be and keeps it private. A
// dir that is a symbolic link (say, to a shared 1777 directory), or that
// another user owns, is refused: docr keeps credentials only in a
// directory of its own.
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
	if fi.Mode().Perm() == 0o700 {
		return nil
	}
	// The directory is docr's own: keep it private even if it existed.
	return os.Chmod(dir, 0o700)
}
