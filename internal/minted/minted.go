// Package minted keeps docr's record of the registry credentials it minted,
// so that docr revokes only those: never a credential that someone else
// stored (for example an API token saved by "docker login"), and never the
// API token itself.
//
// The record holds fingerprints, never secrets: the lowercase hex SHA-256 of
// each credential's password, with the host it was minted for and when it
// expires. It lives in one JSON file, mode 0600 in a 0700 directory:
// $XDG_STATE_HOME/docr/minted.json when $XDG_STATE_HOME is an absolute path,
// else <user config dir>/docr/minted.json (os.UserConfigDir: ~/.config on
// Linux, ~/Library/Application Support on macOS). Updates take an exclusive
// lock on minted.json.lock beside it and replace the file atomically; expired
// entries are dropped on every update. A missing record is empty; a corrupt
// one is an error, so that nothing is revoked by mistake.
package minted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofrs/flock"
)

// FileName is the record's file name inside the state directory.
const FileName = "minted.json"

// maxFileSize bounds the record read from disk (about 40,000 entries).
const maxFileSize = 8 << 20

// lockRetry is how often a waiting update tries the lock again.
const lockRetry = 20 * time.Millisecond

// Entry is one minted credential, by fingerprint.
type Entry struct {
	// SHA256 is the hex SHA-256 of the password.
	SHA256 string `json:"sha256"`
	// Host is the registry host the credential was minted for.
	Host string `json:"host"`
	// MintedAt is when docr received it.
	MintedAt time.Time `json:"minted_at"`
	// ExpiresAt is when it stops working; zero when it never expires.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

type file struct {
	Version     int     `json:"version"`
	Credentials []Entry `json:"credentials"`
}

// Record is the record file of one user.
type Record struct {
	path string
	now  func() time.Time
}

// Dir returns the directory of the record for an environment read through
// getenv: $XDG_STATE_HOME/docr if that is absolute, else
// os.UserConfigDir()/docr.
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "docr"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("minted: find the user state directory: %w", err)
	}
	return filepath.Join(d, "docr"), nil
}

// Open returns the record in dir (see [Dir]); now is the clock (time.Now
// when nil). Nothing is created until the first update.
func Open(dir string, now func() time.Time) (*Record, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, errors.New("minted: the state directory must be an absolute path")
	}
	if now == nil {
		now = time.Now
	}
	return &Record{path: filepath.Join(dir, FileName), now: now}, nil
}

// Path is the record's file.
func (r *Record) Path() string { return r.path }

// Fingerprint is the hex SHA-256 of secret, the form the record keeps.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Add records that docr minted password for host, expiring at expiresAt
// (zero: never).
func (r *Record) Add(ctx context.Context, host, password string, expiresAt time.Time) error {
	fp := Fingerprint(password)
	return r.update(ctx, func(f *file) {
		f.Credentials = slices.DeleteFunc(f.Credentials, func(e Entry) bool { return e.SHA256 == fp })
		f.Credentials = append(f.Credentials, Entry{SHA256: fp, Host: host, MintedAt: r.now().UTC(), ExpiresAt: expiresAt.UTC()})
	})
}

// Has reports whether docr minted password (and it has not expired).
func (r *Record) Has(password string) (bool, error) {
	f, err := r.read()
	if err != nil {
		return false, err
	}
	fp, now := Fingerprint(password), r.now()
	return slices.ContainsFunc(f.Credentials, func(e Entry) bool {
		return e.SHA256 == fp && (e.ExpiresAt.IsZero() || e.ExpiresAt.After(now))
	}), nil
}

// Remove forgets password, after it was revoked. Forgetting a password the
// record does not hold is not an error.
func (r *Record) Remove(ctx context.Context, password string) error {
	fp := Fingerprint(password)
	return r.update(ctx, func(f *file) {
		f.Credentials = slices.DeleteFunc(f.Credentials, func(e Entry) bool { return e.SHA256 == fp })
	})
}

func (r *Record) read() (*file, error) {
	f := &file{Version: 1}
	fh, err := os.Open(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("minted: read %s: %w", r.path, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("minted: read %s: %w", r.path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("minted: %s is larger than %d bytes", r.path, maxFileSize)
	}
	if err := json.Unmarshal(data, f); err != nil || f.Version != 1 {
		return nil, fmt.Errorf("minted: %s is not a docr record of minted credentials (version 1); move it away to start a new one", r.path)
	}
	return f, nil
}

func (r *Record) update(ctx context.Context, mutate func(*file)) error {
	dir := filepath.Dir(r.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("minted: %w", err)
	}
	if fi, err := os.Lstat(dir); err != nil {
		return fmt.Errorf("minted: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("minted: %s is not a directory", dir)
	}
	lock := flock.New(r.path + ".lock")
	locked, err := lock.TryLockContext(ctx, lockRetry)
	if err != nil || !locked {
		return fmt.Errorf("minted: lock %s: %w", lock.Path(), errors.Join(err, ctx.Err()))
	}
	defer lock.Unlock()
	f, err := r.read()
	if err != nil {
		return err
	}
	mutate(f)
	now := r.now()
	f.Credentials = slices.DeleteFunc(f.Credentials, func(e Entry) bool {
		return !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now)
	})
	if f.Credentials == nil {
		f.Credentials = []Entry{}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("minted: %w", err)
	}
	return writeAtomic(r.path, append(data, '\n'))
}

// writeAtomic writes data to a 0600 temporary file beside path, syncs it and
// renames it over path.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("minted: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("minted: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("minted: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("minted: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("minted: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("minted: %w", err)
	}
	return nil
}
