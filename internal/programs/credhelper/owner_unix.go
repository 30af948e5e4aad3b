//go:build unix

package credhelper

import (
	"errors"
	"io/fs"
	"syscall"
)

// openNoFollow makes opening the cache file fail on a symbolic link.
const openNoFollow = syscall.O_NOFOLLOW

// hasUnixModes: permission bits say who may read and write a file.
const hasUnixModes = true

// isSymlinkError reports whether err is how open with O_NOFOLLOW refuses a
// symbolic link (ELOOP; EMLINK on FreeBSD).
func isSymlinkError(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// fileOwner is the uid that owns fi's file.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
