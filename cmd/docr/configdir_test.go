//go:build unix

package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoginRefusesConfigDirOthersCanWrite (issue 22, item 14): docr login
// with a DOCKER_CONFIG that other users may write in, or with a
// config.json another user planted there, is refused before a credential
// is minted; the directory is left exactly as it was. Root acting for a
// user on that user's own 0700 directory still works, and the new file is
// the user's.
func TestLoginRefusesConfigDirOthersCanWrite(t *testing.T) {
	t.Parallel()
	root := os.Geteuid() == 0
	const planted = `{"auths":{"other.example":{"auth":"dTpw"}}}`
	tests := []struct {
		name     string
		needRoot bool
		setup    func(t *testing.T, dir string)
		want     string
	}{
		{"world-writable with a 0666 config.json planted", false, func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "config.json"), planted)
			chmodSticky(t, filepath.Join(dir, "config.json"), 0o666)
			if root {
				chownTo(t, filepath.Join(dir, "config.json"), 65534)
			}
			chmodSticky(t, dir, 0o777)
		}, "its group and others may write in it (mode 0777)"},
		{"group-writable, empty", false, func(t *testing.T, dir string) {
			chmodSticky(t, dir, 0o770)
		}, "its group may write in it (mode 0770)"},
		{"your sticky directory with another user's config.json", true, func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "config.json"), planted)
			chmodSticky(t, filepath.Join(dir, "config.json"), 0o666)
			chownTo(t, filepath.Join(dir, "config.json"), 65534)
			chmodSticky(t, dir, 0o1777)
		}, "config.json belongs to another user (uid 65534) in a directory others may write in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.needRoot && !root {
				t.Skip("needs root to give a file to another user")
			}
			h := newHarness(t)
			if err := os.Mkdir(h.docker, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, h.docker)
			before := listDir(t, h.docker)
			r := h.docr("login")
			fails(t, r, 1, "refusing the Docker config in "+h.docker+": "+tt.want, "docr keeps credentials only where no other user can change them")
			if after := listDir(t, h.docker); after != before {
				t.Errorf("the directory changed:\n before %s\n after  %s", before, after)
			}
			if n := len(h.srv.Credentials()); n != 0 {
				t.Errorf("%d credentials minted before the refusal", n)
			}
			if fps := recordedFingerprints(t, h); len(fps) != 0 {
				t.Errorf("the record keeps %d credentials", len(fps))
			}
		})
	}
	t.Run("root acting for a user", func(t *testing.T) {
		t.Parallel()
		if !root {
			t.Skip("needs root")
		}
		h := newHarness(t)
		if err := os.Mkdir(h.docker, 0o700); err != nil {
			t.Fatal(err)
		}
		chownTo(t, h.docker, 65534)
		ok(t, h.docr("login"))
		fi, err := os.Stat(filepath.Join(h.docker, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || fi.Mode().Perm() != 0o600 {
			t.Errorf("config.json owned by %d with mode %v, want the user's, 0600", st.Uid, fi.Mode().Perm())
		}
	})
}

// listDir describes dir's entries and, for files, their mode and content.
func listDir(t *testing.T, dir string) string {
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
		b.WriteString(e.Name() + " " + fi.Mode().String() + " " + readFileIfAny(t, filepath.Join(dir, e.Name())) + "; ")
	}
	return b.String()
}

// chmodSticky sets mode bits, 01000 (sticky) included.
func chmodSticky(t *testing.T, path string, mode uint32) {
	t.Helper()
	if err := syscall.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func chownTo(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Lchown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
}
