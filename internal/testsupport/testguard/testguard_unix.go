//go:build unix

package testguard

import (
	"fmt"
	"io/fs"
	"syscall"
)

// owner describes the owner, group and inode of fi's file.
func owner(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf(" owner=%d:%d inode=%d", st.Uid, st.Gid, st.Ino)
	}
	return ""
}
