//go:build unix

package dockerconfig

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docr-dev/docr/facade"
)

// otherUID is a user the tests are not: the owner of "another user's" files
// (as root, chown gives them to it) and the effective user a test acts as
// when it checks a directory root owns.
const otherUID = 65534

// TestConfigDirOfAnotherUserRefused (issue 22, item 14): a config directory
// (or the directory a config.json link points into) that another user owns
// or may write in is refused before anything is read, locked, run or
// written; a config.json another user planted in a shared sticky directory
// is refused too. What stays accepted: your own 0700 or 0755 directory, a
// sticky directory of your own, and, as root, a directory a user owns (root
// updating that user's config).
func TestConfigDirOfAnotherUserRefused(t *testing.T) {
	t.Parallel()
	root := os.Geteuid() == 0
	const planted = `{"credsStore":"","auths":{"other.example":{"auth":"dTpw"}}}`
	tests := []struct {
		name     string
		needRoot bool
		// setup prepares the config directory dir (and returns the
		// directory the error must name, "" when the write is accepted);
		// euid is the effective user the Writer acts as (-1: the real one).
		setup func(t *testing.T, dir string) (refused string, euid int)
		want  string
	}{
		{"group may write", false, func(t *testing.T, dir string) (string, int) {
			chmod(t, dir, 0o770)
			return dir, -1
		}, "its group may write in it (mode 0770)"},
		{"others may write, a 0666 config.json planted", false, func(t *testing.T, dir string) (string, int) {
			writeFile(t, filepath.Join(dir, "config.json"), planted, 0o666)
			chmod(t, dir, 0o777)
			return dir, -1
		}, "its group and others may write in it (mode 0777)"},
		{"others may write, sticky, owned by root, acting as another user", true, func(t *testing.T, dir string) (string, int) {
			chmod(t, dir, 0o1777)
			return dir, otherUID
		}, "its group and others may write in it (mode 1777)"},
		{"another user's directory", true, func(t *testing.T, dir string) (string, int) {
			chown(t, dir, otherUID)
			return dir, 1000
		}, "the directory belongs to another user (uid 65534)"},
		{"a config.json planted in your sticky shared directory", true, func(t *testing.T, dir string) (string, int) {
			p := filepath.Join(dir, "config.json")
			writeFile(t, p, planted, 0o666)
			chown(t, p, otherUID)
			chmod(t, dir, 0o1777)
			return dir, -1
		}, "config.json belongs to another user (uid 65534) in a directory others may write in"},
		{"a link into a directory others may write in", false, func(t *testing.T, dir string) (string, int) {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if err := os.Mkdir(shared, 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(shared, "config.json"), planted, 0o666)
			chmod(t, shared, 0o777)
			symlink(t, "../shared/config.json", filepath.Join(dir, "config.json"))
			return shared, -1
		}, "its group and others may write in it (mode 0777)"},
		{"the config directory is a link to a directory others may write in", false, func(t *testing.T, dir string) (string, int) {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if err := os.Mkdir(shared, 0o700); err != nil {
				t.Fatal(err)
			}
			chmod(t, shared, 0o777)
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
			symlink(t, "shared", dir)
			return dir, -1
		}, "its group and others may write in it (mode 0777)"},

		// Accepted.
		{"your own 0700 directory", false, func(t *testing.T, dir string) (string, int) { return "", -1 }, ""},
		{"your own 0755 directory", false, func(t *testing.T, dir string) (string, int) {
			chmod(t, dir, 0o755)
			return "", -1
		}, ""},
		{"your own sticky shared directory", false, func(t *testing.T, dir string) (string, int) {
			chmod(t, dir, 0o1777)
			return "", -1
		}, ""},
		{"a root-owned 0755 directory, acting as another user", true, func(t *testing.T, dir string) (string, int) {
			chmod(t, dir, 0o755)
			return "", otherUID
		}, ""},
		{"as root, a user's 0700 directory", true, func(t *testing.T, dir string) (string, int) {
			chown(t, dir, otherUID)
			return "", -1
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.needRoot && !root {
				t.Skip("needs root to chown, or a directory root owns")
			}
			dir := filepath.Join(t.TempDir(), "docker")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			refused, euid := tt.setup(t, dir)
			before := snapshotDir(t, dir)
			w := newWriter(t, dir, nil)
			if euid >= 0 {
				w.geteuid = func() int { return euid }
			}
			_, err := w.Store(ctx, doCred)
			if refused == "" {
				if err != nil {
					t.Fatalf("Store: %v", err)
				}
				if got := authsOf(t, readFile(t, filepath.Join(dir, "config.json"))); got[doCred.Host] == nil {
					t.Errorf("not stored: %v", got)
				}
				return
			}
			if !errors.Is(err, ErrUnsafeConfigDir) || !strings.Contains(err.Error(), "refusing the Docker config in "+refused+": "+tt.want) {
				t.Fatalf("Store: err = %v, want ErrUnsafeConfigDir naming %s and %q", err, refused, tt.want)
			}
			for name, f := range map[string]func() error{
				"Lookup": func() error { _, _, err := w.Lookup(ctx, doCred.Host); return err },
				"Helper": func() error { _, _, err := w.Helper(ctx, doCred.Host); return err },
				"Remove": func() error { _, err := w.Remove(ctx, doCred.Host); return err },
				"Replace": func() error {
					_, _, _, err := w.Replace(ctx, doCred.Host, func(context.Context, facade.Credential, bool) (facade.Credential, error) {
						t.Error("Replace minted in a refused directory")
						return doCred, nil
					})
					return err
				},
			} {
				err := f()
				// Lookup, Helper and Remove of a missing config read nothing.
				if _, serr := os.Stat(filepath.Join(dir, "config.json")); errors.Is(serr, fs.ErrNotExist) && name != "Replace" {
					continue
				}
				if !errors.Is(err, ErrUnsafeConfigDir) {
					t.Errorf("%s: err = %v, want ErrUnsafeConfigDir", name, err)
				}
			}
			if after := snapshotDir(t, dir); after != before {
				t.Errorf("the refused directory changed:\n before %s\n after  %s", before, after)
			}
			if refused != dir {
				if fileExists(filepath.Join(refused, "config.json.lock")) {
					t.Error("a lock file was created in the refused directory")
				}
				assertNoTemp(t, refused)
			}
		})
	}
}

// snapshotDir describes dir's entries (name, mode, size, content of small
// files), following dir itself if it is a link.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Name() + " " + fi.Mode().String())
		if fi.Mode().IsRegular() {
			b.WriteString(" " + readFile(t, filepath.Join(dir, e.Name())))
		}
		b.WriteString("; ")
	}
	return b.String()
}

func chmod(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	// os.Chmod maps the sticky bit from fs.ModeSticky, not 01000.
	if err := syscall.Chmod(p, uint32(mode)); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, p string, uid int) {
	t.Helper()
	if err := os.Lchown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}
