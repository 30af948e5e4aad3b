package dockerconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	maxSymlinks = 40
	lockRetry   = 10 * time.Millisecond
	lockSuffix  = ".lock"
)

// ErrLockTimeout is matched (errors.Is) by the error returned when the
// config lock could not be taken within Options.LockTimeout.
var ErrLockTimeout = errors.New("timed out waiting for the Docker config lock")

// resolveTarget follows symbolic links from path to the file that is really
// read and written, even when the last link dangles. Relative link targets
// are resolved against the link's real directory, as the kernel does.
func resolveTarget(path string) (string, error) {
	p := path
	for range maxSymlinks {
		dir, base := splitRaw(p)
		realDir, err := filepath.EvalSymlinks(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Clean(p), nil // the directory will be created
		}
		if err != nil {
			return "", fmt.Errorf("cannot resolve the Docker config directory %s: %w", dir, err)
		}
		p = filepath.Join(realDir, base)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", fmt.Errorf("cannot inspect the Docker config %s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("cannot read the symbolic link %s: %w", p, err)
		}
		if filepath.IsAbs(link) {
			p = link
		} else {
			p = realDir + string(filepath.Separator) + link // not cleaned: ".." is resolved by the next EvalSymlinks
		}
	}
	return "", fmt.Errorf("resolving the Docker config %s: too many levels of symbolic links", path)
}

// splitRaw splits p at its last separator without cleaning it.
func splitRaw(p string) (dir, base string) {
	i := len(p) - 1
	for i >= 0 && !os.IsPathSeparator(p[i]) {
		i--
	}
	if i < 0 {
		return ".", p
	}
	if i == 0 {
		return p[:1], p[1:]
	}
	return p[:i], p[i+1:]
}

// cause returns the innermost useful error of a *fs.PathError or
// *os.LinkError (e.g. "permission denied"), else err itself.
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// MaxConfigSize is the largest config.json docr reads: 16 MiB, about 150,000
// registry entries. A larger file is refused with [ErrInvalidConfig] rather
// than read whole into memory.
const MaxConfigSize = 16 << 20

func tooLarge(n int64) string {
	return fmt.Sprintf("is %d bytes or more, larger than the %d MiB docr reads (is it really a Docker config?)", n, MaxConfigSize>>20)
}

// readConfig reads the config at target. A missing file gives (nil, nil,
// nil). Anything else docr cannot use is a configError naming the path.
func readConfig(target string) ([]byte, fs.FileInfo, error) {
	fi, err := os.Stat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, &configError{path: target, reason: fmt.Sprintf("cannot be inspected (%v)", cause(err))}
	}
	if fi.IsDir() {
		return nil, nil, &configError{path: target, reason: "is a directory, not a file"}
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &configError{path: target, reason: fmt.Sprintf("is not a regular file (%s)", fi.Mode().Type())}
	}
	if fi.Size() > MaxConfigSize {
		return nil, nil, &configError{path: target, reason: tooLarge(fi.Size())}
	}
	f, err := os.Open(target)
	if err != nil {
		return nil, nil, &configError{path: target, reason: fmt.Sprintf("cannot be read (%v)", cause(err))}
	}
	defer f.Close()
	// Bounded even when the file grows after the Stat.
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, nil, &configError{path: target, reason: fmt.Sprintf("cannot be read (%v)", cause(err))}
	}
	if len(data) > MaxConfigSize {
		return nil, nil, &configError{path: target, reason: tooLarge(int64(len(data)))}
	}
	if len(data) == 0 {
		return nil, nil, &configError{path: target, reason: "is empty (a truncated config?)"}
	}
	return data, fi, nil
}

// mkdirOwned creates dir and its missing parents with mode 0700. As root,
// each new directory takes the owner of its parent (see inheritOwner).
func mkdirOwned(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirOwned(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // created concurrently
		}
		return err
	}
	return inheritOwner(dir, parent)
}

// lockTarget resolves w.path to the file that is really read and written
// and takes the advisory lock beside it (target + ".lock"), waiting at most
// LockTimeout: every writer of one file, through any link, then takes the
// same lock. prepare, when not nil, runs on each resolved target before
// the lock is taken (creating directories, checking them). If the link is
// changed to point elsewhere while docr waits, the lock is dropped and
// taken again beside the new target.
func (w *Writer) lockTarget(ctx context.Context, shared bool, prepare func(target string) error) (target string, unlock func(), err error) {
	for range maxSymlinks {
		if target, err = resolveTarget(w.path); err != nil {
			return "", nil, err
		}
		if prepare != nil {
			if err := prepare(target); err != nil {
				return target, nil, err
			}
		}
		if unlock, err = w.lock(ctx, target+lockSuffix, shared); err != nil {
			return target, nil, &lockError{err}
		}
		again, err := resolveTarget(w.path)
		if err == nil && again == target {
			return target, unlock, nil
		}
		unlock()
		if err != nil {
			return "", nil, err
		}
	}
	return "", nil, fmt.Errorf("cannot lock the Docker config %s: its symbolic link kept changing while docr waited for the lock", w.path)
}

// lockError is an error of taking the lock itself (not of resolving the
// target or preparing it): a reader may then go on without the lock.
type lockError struct{ err error }

func (e *lockError) Error() string { return e.err.Error() }
func (e *lockError) Unwrap() error { return e.err }

// lock takes the advisory lock at lockPath, waiting at most LockTimeout.
// The lock file is opened without following a symbolic link: a link there
// is refused, so the lock never creates or touches another file.
func (w *Writer) lock(ctx context.Context, lockPath string, shared bool) (unlock func(), err error) {
	f, err := openLockFile(lockPath)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, w.lockTimeout)
	defer cancel()
	t := time.NewTicker(lockRetry)
	defer t.Stop()
	lk := newLocker(f)
	for busy := false; ; busy = true {
		release, err := lk.try(shared)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", lockPath, err)
		}
		if release != nil {
			return release, nil
		}
		if !busy {
			// Tests wait for this step to know that a writer is queued.
			if err := w.step("lockBusy"); err != nil {
				_ = f.Close()
				return nil, err
			}
		}
		select {
		case <-t.C:
			continue
		case <-lctx.Done():
		}
		_ = f.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for the lock %s: %w", lockPath, ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s is still held after %s by another process updating the Docker config; try again", ErrLockTimeout, lockPath, w.lockTimeout)
	}
}

// openLockFile opens (creating, 0600) the lock file at path without
// following a symbolic link, and checks that it is a regular file.
func openLockFile(path string) (*os.File, error) {
	created := true
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if errors.Is(err, fs.ErrExist) {
		created = false
		f, err = os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	}
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("cannot lock the Docker config: %s is a symbolic link, which docr does not follow for its lock; remove it", path)
		}
		return nil, fmt.Errorf("cannot open the lock file %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("is not a regular file (%s)", fi.Mode().Type())
	}
	if err == nil && created {
		err = inheritOwner(path, filepath.Dir(path))
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cannot use the lock file %s: %w", path, err)
	}
	return f, nil
}

// removeStaleTemps deletes the temporary files that an update killed
// before its rename (SIGKILL, power loss) left beside target: they are
// 0600 but hold the credentials of that update. It must be called with the
// exclusive lock held, when no other docr is writing one.
func (w *Writer) removeStaleTemps(target string) {
	dir, prefix := filepath.Dir(target), "."+filepath.Base(target)+".tmp-"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err == nil {
			w.log.Debug("removed a temporary file left by an interrupted update", "path", p)
		}
	}
}

// writeConfig replaces target with data, which must differ from orig (the
// current content, nil if the file does not exist; fi is its FileInfo).
//
// The new content goes to a temporary file in target's directory that gets
// target's mode (0600 for a new file) and owner, is written, fsynced and
// renamed over target; then the directory is fsynced. On any failure before
// the rename the temporary file is removed and target is untouched. If the
// rename fails with EBUSY or EXDEV (target is a mount point, e.g. a
// bind-mounted config.json) target is rewritten in place instead.
func (w *Writer) writeConfig(target string, data, orig []byte, fi fs.FileInfo) (inPlace bool, err error) {
	dir, base := filepath.Dir(target), filepath.Base(target)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("cannot create a temporary file beside %s: %w", target, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()
	fail := func(what string, e error) (bool, error) {
		return false, fmt.Errorf("%s %s for %s: %w (the config was not changed)", what, tmp, target, e)
	}
	if err = w.step("tempCreated"); err != nil {
		return fail("creating", err)
	}
	if fi == nil {
		// A new config: as root, it takes the owner of its directory.
		if err = inheritOwner(tmp, dir); err != nil {
			return fail("setting the owner of", err)
		}
	}
	mode := fs.FileMode(0o600)
	if fi != nil {
		mode = fi.Mode().Perm()
	}
	if err = f.Chmod(mode); err == nil {
		err = w.step("chmod")
	}
	if err != nil {
		return fail("setting the mode of", err)
	}
	if fi != nil {
		if err = chownLike(f, fi); err == nil {
			err = w.step("chown")
		}
		if err != nil && errors.Is(err, fs.ErrPermission) && w.geteuid() != 0 {
			// As docker does: a user who may not give the file its old group
			// (one they are not in) still gets the update, with their own group.
			w.log.Warn("Docker config written without its previous owner or group, which only root may set", "path", target, "reason", cause(err))
			err = nil
		}
		if err != nil {
			return fail("setting the owner of", err)
		}
	}
	if _, err = f.Write(data); err == nil {
		err = w.step("tempWritten")
	}
	if err != nil {
		return fail("writing", err)
	}
	if err = f.Sync(); err == nil {
		err = w.step("tempSynced")
	}
	if err != nil {
		return fail("syncing", err)
	}
	closed = true
	if err = f.Close(); err == nil {
		err = w.step("tempClosed")
	}
	if err != nil {
		return fail("closing", err)
	}
	if err = w.step("rename"); err == nil {
		err = os.Rename(tmp, target)
	}
	if err != nil {
		if !isMountPointErr(err) {
			return fail("renaming", err)
		}
		_ = os.Remove(tmp)
		w.log.Warn("Docker config cannot be replaced atomically (it is probably a bind mount); rewriting it in place",
			"path", target, "reason", cause(err))
		err = w.writeInPlace(target, data, orig)
		return err == nil, err
	}
	if e := syncDir(dir); e != nil || w.step("dirSynced") != nil {
		// The new file is in place; only its durability across a crash is
		// unconfirmed. Reporting failure would be false, so warn.
		w.log.Warn("Docker config written, but syncing its directory failed; a crash could still lose the change", "path", target)
	}
	return false, nil
}

// writeInPlace overwrites target's content with data through the existing
// inode (mode, owner and the mount stay). A shorter content is first padded
// with spaces, which JSON ignores, so the file is valid JSON before the final
// truncate. On failure it writes orig back.
func (w *Writer) writeInPlace(target string, data, orig []byte) (err error) {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err == nil {
		if err = w.step("inPlaceOpened"); err != nil {
			_ = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("cannot open %s for an in-place update: %w (the config was not changed)", target, err)
	}
	restore := func(what string, cause error) error {
		_, e1 := f.WriteAt(orig, 0)
		e2 := f.Truncate(int64(len(orig)))
		e3 := f.Sync()
		_ = f.Close()
		if e := errors.Join(e1, e2, e3); e != nil {
			return fmt.Errorf("%s %s in place: %w; restoring its previous content also failed (%v): check the file", what, target, cause, e)
		}
		return fmt.Errorf("%s %s in place: %w (the previous content was restored)", what, target, cause)
	}
	padded := data
	if len(orig) > len(data) {
		padded = make([]byte, len(orig))
		copy(padded, data)
		for i := len(data); i < len(padded); i++ {
			padded[i] = ' '
		}
	}
	if _, err = f.WriteAt(padded, 0); err == nil {
		err = w.step("inPlaceWritten")
	}
	if err != nil {
		return restore("writing", err)
	}
	if err = f.Truncate(int64(len(data))); err == nil {
		err = w.step("inPlaceTruncated")
	}
	if err != nil {
		return restore("truncating", err)
	}
	if err = f.Sync(); err == nil {
		err = w.step("inPlaceSynced")
	}
	if err != nil {
		return restore("syncing", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("closing %s after an in-place update: %w", target, err)
	}
	return nil
}
