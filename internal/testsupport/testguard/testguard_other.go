//go:build !unix

package testguard

import "io/fs"

// owner is empty where file ownership is not a uid and gid.
func owner(fs.FileInfo) string { return "" }
