//go:build !unix

package dockerconfig

import (
	"io/fs"
	"os"
	"os/exec"

	"github.com/gofrs/flock"
)

// chownLike is a no-op where files have no Unix owner.
func chownLike(*os.File, fs.FileInfo) error { return nil }

// inheritOwner is a no-op where files have no Unix owner.
func inheritOwner(string, string) error { return nil }

// syncDir is a no-op where directories cannot be fsynced.
func syncDir(string) error { return nil }

// isMountPointErr is false where rename over a mount point cannot happen.
func isMountPointErr(error) bool { return false }

// oNoFollow is zero where open has no O_NOFOLLOW; openLockFile then checks
// the opened file's type (a link to a regular file still passes).
const oNoFollow = 0

// locker locks the lock file's path through gofrs/flock (LockFileEx on
// Windows, on flock's own handle), made once per wait so that retries reuse
// one handle.
type locker struct {
	f  *os.File
	fl *flock.Flock
}

func newLocker(f *os.File) locker { return locker{f, flock.New(f.Name())} }

// try takes the lock without blocking. release unlocks and closes both
// handles; it is nil while another process holds the lock.
func (l locker) try(shared bool) (release func(), err error) {
	lock := l.fl.TryLock
	if shared {
		lock = l.fl.TryRLock
	}
	ok, err := lock()
	if !ok || err != nil {
		return nil, err
	}
	return func() { _ = l.fl.Unlock(); _ = l.f.Close() }, nil
}

// fileOwner is unknown where files have no Unix owner: the directory rule
// is not applied there.
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }

// ownProcessGroup leaves cmd as it is where there are no Unix process
// groups: cancelling it kills its process only.
func ownProcessGroup(*exec.Cmd) {}

// killGroup does nothing where there are no Unix process groups.
func killGroup(*exec.Cmd) error { return nil }
