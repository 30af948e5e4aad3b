//go:build !unix

package dockerconfig

import (
	"io/fs"
	"os"

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

// tryLock locks f's path without blocking (gofrs/flock, LockFileEx on
// Windows, through its own handle). release unlocks and closes f; it is nil
// while another process holds the lock.
func tryLock(f *os.File, shared bool) (release func(), err error) {
	fl := flock.New(f.Name())
	lock := fl.TryLock
	if shared {
		lock = fl.TryRLock
	}
	ok, err := lock()
	if !ok || err != nil {
		return nil, err
	}
	return func() { _ = fl.Unlock(); _ = f.Close() }, nil
}
