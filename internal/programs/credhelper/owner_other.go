//go:build !unix

package credhelper

import "io/fs"

// openNoFollow: no such flag where files have no Unix modes.
const openNoFollow = 0

// hasUnixModes: Go reports no real permission bits here, so they say
// nothing about who may read a file (the user's profile directory does).
const hasUnixModes = false

// isSymlinkError: never, without O_NOFOLLOW.
func isSymlinkError(error) bool { return false }

// fileOwner is unknown where files have no Unix owner.
func fileOwner(fs.FileInfo) (uid int, ok bool) { return 0, false }
