//go:build linux

package dockerconfig

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docr-dev/docr/facade"
)

// TestBindMountReal: with a config.json that really is a bind mount, rename
// fails with EBUSY and docr falls back to an in-place write, visible on both
// sides of the mount. Needs root (or CAP_SYS_ADMIN).
func TestBindMountReal(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	t.Parallel()
	root := t.TempDir()
	src := filepath.Join(root, "host-config.json")
	writeFile(t, src, `{"proxies":{"default":{"httpProxy":"http://p"}}}`, 0o600)
	dir := filepath.Join(root, "container")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, "", 0o600)
	if err := syscall.Mount(src, cfg, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("bind mount not possible here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(cfg, 0) })
	var logs syncBuffer
	res, err := newWriter(t, dir, &logs).Store(ctx, doCred)
	if err != nil || !res.Written || !res.InPlace {
		t.Fatalf("Store = %+v, %v", res, err)
	}
	want, _, _ := Merge([]byte(`{"proxies":{"default":{"httpProxy":"http://p"}}}`), doCred)
	if got := readFile(t, cfg); got != string(want) {
		t.Errorf("through the mount:\n%s", got)
	}
	if got := readFile(t, src); got != string(want) {
		t.Errorf("mount source:\n%s", got)
	}
	if !strings.Contains(logs.String(), "bind mount") {
		t.Errorf("no warning:\n%s", logs.String())
	}
	assertNoTemp(t, dir)
}

// TestConfigUnreadableAsOtherUser: as root, run the test binary as nobody
// against a root-only config.json; docr must refuse it and leave it alone.
func TestConfigUnreadableAsOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("see TestConfigUnreadableNonRoot")
	}
	// Everything the child touches must be reachable by uid 65534, which
	// t.TempDir's 0700 parents are not. The config directory is the
	// child's own (0700): docr refuses one others may write in.
	base, err := os.MkdirTemp("", "dockerconfig-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	bin := filepath.Join(base, "test.bin")
	copyFile(t, os.Args[0], bin, 0o755)
	dir := filepath.Join(base, "docker")
	for _, d := range []string{base, dir} {
		_ = os.MkdirAll(d, 0o755)
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.json")
	const content = `{"auths":{}}`
	writeFile(t, cfg, content, 0o600)
	cmd := exec.Command(bin)
	cmd.Env = []string{envChild + "=store", envChildHost + "=h.example", "DOCKER_CONFIG=" + dir, "HOME=" + base, "PATH=" + filepath.Join(scratch, "emptybin")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	msg := string(out)
	for _, want := range []string{cfg, "cannot be read", "permission denied", "fix or move it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("child error %q lacks %q", msg, want)
		}
	}
	if readFile(t, cfg) != content {
		t.Error("content changed")
	}
	assertNoTemp(t, dir)
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLookupReadOnlyMount: on a read-only file system (e.g. a mounted
// secret) the lock file cannot be created; Lookup reads without it, and
// Store fails without touching anything.
func TestLookupReadOnlyMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	t.Parallel()
	src, ro := t.TempDir(), t.TempDir()
	const content = `{"auths":{"h":{"auth":"dTpw"}}}`
	writeFile(t, filepath.Join(src, "config.json"), content, 0o600)
	if err := syscall.Mount(src, ro, "", syscall.MS_BIND, ""); err != nil {
		t.Skipf("bind mount not possible here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(ro, 0) })
	if err := syscall.Mount("", ro, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("read-only remount not possible here: %v", err)
	}
	var logs syncBuffer
	w := newWriter(t, ro, &logs)
	c, found, err := w.Lookup(ctx, "h")
	if err != nil || !found || c != (facade.Credential{Host: "h", Username: "u", Secret: "p"}) {
		t.Errorf("Lookup = %+v %v %v", c, found, err)
	}
	if !strings.Contains(logs.String(), "without a lock") {
		t.Errorf("logs:\n%s", logs.String())
	}
	if _, err := w.Store(ctx, doCred); err == nil || !strings.Contains(err.Error(), "read-only file system") {
		t.Errorf("Store on a read-only file system: %v", err)
	}
	if readFile(t, filepath.Join(src, "config.json")) != content {
		t.Error("content changed")
	}
}
