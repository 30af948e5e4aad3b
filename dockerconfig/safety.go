package dockerconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrUnsafeConfigDir is matched (errors.Is) by the error for a Docker
// config directory that another user owns or may write in, or for a
// config.json that another user planted in a shared sticky directory (see
// the package documentation, "Whose directory"). Nothing is read, run or
// written then.
var ErrUnsafeConfigDir = errors.New("dockerconfig: the Docker config directory is not safe for credentials")

// errNoConfig stops Writer.read early when there is no file to read.
var errNoConfig = errors.New("dockerconfig: no config file")

// unsafeDirError says which directory or file was refused, why, and how to
// fix it.
type unsafeDirError struct{ path, reason, fix string }

func (e *unsafeDirError) Error() string {
	return fmt.Sprintf("refusing the Docker config in %s: %s; docr keeps credentials only where no other user can change them (%s)", e.path, e.reason, e.fix)
}

func (e *unsafeDirError) Is(target error) bool { return target == ErrUnsafeConfigDir }

// checkSafe applies the directory rule to every directory docr would read
// or write in for target, the resolved config file: the config directory
// (where config.json or the link to it is) and target's directory, each
// followed through symbolic links. A directory that does not exist yet is
// not checked (docr creates it, 0700). In a shared sticky directory the
// entry docr uses (the link or the file) must be the effective user's.
func (w *Writer) checkSafe(target string) error {
	euid := w.geteuid()
	entries := [][2]string{{filepath.Dir(w.path), w.path}, {filepath.Dir(target), target}}
	for i, e := range entries {
		if i == 1 && e[0] == entries[0][0] && e[1] == entries[0][1] {
			break
		}
		sticky, err := checkDir(e[0], euid)
		if err != nil || !sticky {
			if err != nil {
				return err
			}
			continue
		}
		fi, err := os.Lstat(e[1])
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cannot inspect %s: %w", e[1], err)
		}
		if err := checkPlanted(e[0], e[1], fi, euid); err != nil {
			return err
		}
	}
	return nil
}

// checkPlanted refuses the file (or link) path, described by fi, in the
// shared sticky directory dir when it is not the effective user's: another
// user created it there, choosing its content and mode.
func checkPlanted(dir, path string, fi fs.FileInfo, euid int) error {
	if uid, ok := fileOwner(fi); ok && uid != euid {
		return &unsafeDirError{path: dir,
			reason: fmt.Sprintf("%s belongs to another user (uid %d) in a directory others may write in, so that user chose its content and mode", filepath.Base(path), uid),
			fix:    "remove it, or use a directory of your own with --config or DOCKER_CONFIG"}
	}
	return nil
}

// checkDir applies the directory rule to dir, as the effective user euid:
//
//   - its owner must be euid or root; run as root, any owner is accepted
//     (root updating a user's config keeps that user's ownership);
//   - group and others must not be able to write in it, unless it has the
//     sticky bit and belongs to euid (then sticky reports true: others may
//     still create new names in it, so the caller checks the entry it uses).
//
// A missing dir passes. Where files have no Unix owner and mode (Windows)
// nothing is checked.
func checkDir(dir string, euid int) (sticky bool, err error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot inspect the Docker config directory %s: %w", dir, err)
	}
	uid, ok := fileOwner(fi)
	if !ok || !fi.IsDir() {
		return false, nil // not a directory: the operation itself reports it
	}
	if euid != 0 && uid != euid && uid != 0 {
		return false, &unsafeDirError{path: dir,
			reason: fmt.Sprintf("the directory belongs to another user (uid %d)", uid),
			fix:    "use a directory of your own with --config or DOCKER_CONFIG"}
	}
	perm := fi.Mode().Perm()
	if perm&0o022 == 0 {
		return false, nil
	}
	if fi.Mode()&fs.ModeSticky != 0 && uid == euid {
		return true, nil
	}
	who := "others"
	switch {
	case perm&0o022 == 0o020:
		who = "its group"
	case perm&0o022 == 0o022:
		who = "its group and others"
	}
	mode := uint32(perm)
	if fi.Mode()&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return false, &unsafeDirError{path: dir,
		reason: fmt.Sprintf("%s may write in it (mode %04o)", who, mode),
		fix:    "chmod go-w " + dir + ", or use another directory with --config or DOCKER_CONFIG"}
}

// checkRead repeats the planted-file check on the config file docr read
// under the lock (fi), in case another user created it in a shared sticky
// directory while docr waited for the lock.
func (w *Writer) checkRead(target string, fi fs.FileInfo) error {
	if fi == nil {
		return nil
	}
	euid := w.geteuid()
	sticky, err := checkDir(filepath.Dir(target), euid)
	if err != nil || !sticky {
		return err
	}
	return checkPlanted(filepath.Dir(target), target, fi, euid)
}
