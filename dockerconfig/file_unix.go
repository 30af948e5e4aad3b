//go:build unix

package dockerconfig

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
)

// chownLike gives f the owner and group of fi's file when they differ from
// f's (as when root updates a user's config).
func chownLike(f *os.File, fi fs.FileInfo) error {
	want, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	cur, err := f.Stat()
	if err != nil {
		return err
	}
	if have, ok := cur.Sys().(*syscall.Stat_t); ok && have.Uid == want.Uid && have.Gid == want.Gid {
		return nil
	}
	return f.Chown(int(want.Uid), int(want.Gid))
}

// inheritOwner gives path the owner and group of the directory parent when
// running as root, so that "sudo docr login" with a user's HOME does not
// leave root-owned files in the user's ~/.docker. Otherwise a no-op.
func inheritOwner(path, parent string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	pfi, err := os.Stat(parent)
	if err != nil {
		return err
	}
	want, ok := pfi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if have, ok := fi.Sys().(*syscall.Stat_t); ok && have.Uid == want.Uid && have.Gid == want.Gid {
		return nil
	}
	return os.Lchown(path, int(want.Uid), int(want.Gid))
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// isMountPointErr reports a rename that failed because the target is a
// mount point (EBUSY) or on another file system (EXDEV).
func isMountPointErr(err error) bool {
	return errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV)
}

// oNoFollow makes open fail on a symbolic link as the last path element.
const oNoFollow = syscall.O_NOFOLLOW

// locker takes flock(2) on the lock file's descriptor.
type locker struct{ f *os.File }

func newLocker(f *os.File) locker { return locker{f} }

// try takes the lock without blocking: exclusive, or shared when shared is
// set. release (closing f, which drops the lock) is nil while another
// process holds it.
func (l locker) try(shared bool) (release func(), err error) {
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	for {
		err = syscall.Flock(int(l.f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return func() { _ = l.f.Close() }, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return nil, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return nil, err
	}
}

// fileOwner is the uid that owns fi's file.
func fileOwner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// ownProcessGroup makes cmd start in a process group of its own, and the
// end of its context kill that whole group, not only cmd's process: a
// child the helper started and left running (and holding its pipes) ends
// with it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
}

// killGroup sends SIGKILL to the process group ownProcessGroup gave cmd.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil || cmd.SysProcAttr == nil || !cmd.SysProcAttr.Setpgid {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
