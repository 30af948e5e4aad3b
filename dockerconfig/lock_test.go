//go:build unix

package dockerconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLockNeverFollowsALink (issue 12, case 12): a config.json.lock that is
// a symbolic link, dangling or not, is refused before anything is read or
// written; its target is neither created nor touched, and config.json is
// left as it was.
func TestLockNeverFollowsALink(t *testing.T) {
	t.Parallel()
	const before = `{"auths":{"other.example":{"auth":"dTpw"}}}`
	for _, tt := range []struct {
		name     string
		existing bool // the link's target exists
	}{{"dangling link", false}, {"link to a file", true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, outside := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(dir, "config.json"), before, 0o600)
			victim := filepath.Join(outside, "victim")
			if tt.existing {
				writeFile(t, victim, "keep", 0o644)
			}
			symlink(t, victim, filepath.Join(dir, "config.json.lock"))
			w := newWriter(t, dir, nil)
			_, err := w.Store(ctx, doCred)
			if err == nil || !strings.Contains(err.Error(), "config.json.lock is a symbolic link, which docr does not follow") {
				t.Errorf("Store: err = %v", err)
			}
			if _, _, err := w.Lookup(ctx, doCred.Host); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("Lookup: err = %v", err)
			}
			if got := readFile(t, filepath.Join(dir, "config.json")); got != before {
				t.Errorf("config.json changed:\n%s", got)
			}
			fi, err := os.Lstat(victim)
			switch {
			case !tt.existing && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("the dangling link's target was created: %v", err)
			case tt.existing && (err != nil || fi.Mode().Perm() != 0o644 || readFile(t, victim) != "keep"):
				t.Errorf("the link's target was changed: %v", err)
			}
		})
	}
}

// TestChownRefusedForNonRoot (issue 12, case 14): a user who may not give
// the new file the old one's group (a group they are not in) gets the update
// with a warning, as with docker; root, for whom chown cannot be refused
// this way, still fails on any chown error, and the config stays unchanged.
func TestChownRefusedForNonRoot(t *testing.T) {
	t.Parallel()
	const original = `{"auths":{"other":{"auth":"b3RoZXI6eA=="}},"x":"keep"}`
	for _, tt := range []struct {
		name      string
		euid      int
		chownErr  error
		wantWrite bool
	}{
		{"non-root, EPERM", 1000, &fs.PathError{Op: "chown", Path: "x", Err: syscall.EPERM}, true},
		{"root, EPERM", 0, &fs.PathError{Op: "chown", Path: "x", Err: syscall.EPERM}, false},
		{"non-root, other error", 1000, errInjected, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, original, 0o640)
			logs := new(syncBuffer)
			w := newWriter(t, dir, logs)
			w.geteuid = func() int { return tt.euid }
			w.testHook = func(s string) error {
				if s == "chown" {
					return tt.chownErr
				}
				return nil
			}
			res, err := w.Store(ctx, doCred)
			if tt.wantWrite {
				if err != nil || !res.Written {
					t.Fatalf("Store = %+v, %v; want the update written", res, err)
				}
				if !strings.Contains(logs.String(), "level=WARN msg=\"Docker config written without its previous owner or group, which only root may set\"") {
					t.Errorf("no warning logged:\n%s", logs.String())
				}
				if fi, _ := os.Stat(cfg); fi.Mode().Perm() != 0o640 {
					t.Errorf("mode %v, want 0640", fi.Mode())
				}
				if authsOf(t, readFile(t, cfg))[doCred.Host] == nil {
					t.Error("credential not stored")
				}
				return
			}
			if err == nil || res.Written || !strings.Contains(err.Error(), "setting the owner of") {
				t.Fatalf("Store = %+v, %v; want a chown failure", res, err)
			}
			if got := readFile(t, cfg); got != original {
				t.Errorf("content changed: %s", got)
			}
		})
	}
}
