//go:build !unix

package dockerconfig

import (
	"io/fs"
	"os"
)

// chownLike is a no-op where files have no Unix owner.
func chownLike(*os.File, fs.FileInfo) error { return nil }

// inheritOwner is a no-op where files have no Unix owner.
func inheritOwner(string, string) error { return nil }

// syncDir is a no-op where directories cannot be fsynced.
func syncDir(string) error { return nil }

// isMountPointErr is false where rename over a mount point cannot happen.
func isMountPointErr(error) bool { return false }
