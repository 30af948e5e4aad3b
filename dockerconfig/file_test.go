//go:build unix

package dockerconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMalformedConfigLeftIntact: docr refuses a config it cannot merge
// safely, explains how to fix it, and leaves it byte-identical, for every
// operation that writes.
func TestMalformedConfigLeftIntact(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content, want string }{
		{"not JSON", `{"auths": {"h": {"auth": "x"}`, "is not valid JSON"},
		{"empty", ``, "is empty"},
		{"whitespace only", " \n\t \n", "holds only whitespace"},
		{"null", `null`, "holds null, not a JSON object"},
		{"array", `[]`, "holds an array, not a JSON object"},
		{"string", `"auths"`, "holds a string, not a JSON object"},
		{"invalid UTF-8", "{\"proxies\":\"\xc3\x28\"}", "is not valid UTF-8"},
		{"duplicate key", `{"auths":{},"auths":{"h":{}}}`, `the key "auths" twice`},
		{"auths not an object", `{"auths":"x"}`, `"auths" that is a string, not an object`},
		{"owned entry not an object", `{"auths":{"registry.digitalocean.com":[1]}}`, `auths["registry.digitalocean.com"] that is an array`},
		{"credsStore not a string", `{"credsStore":true}`, `"credsStore" that is a boolean`},
		{"ambiguous key", `{"AUTHS":{}}`, `which Docker reads as "auths"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, tt.content, 0o600)
			old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			if err := os.Chtimes(cfg, old, old); err != nil {
				t.Fatal(err)
			}
			w := newWriter(t, dir, nil)
			ops := map[string]func() error{
				"Store":  func() error { _, err := w.Store(ctx, doCred); return err },
				"Remove": func() error { _, err := w.Remove(ctx, doCred.Host); return err },
				"Lookup": func() error { _, _, err := w.Lookup(ctx, doCred.Host); return err },
			}
			for op, run := range ops {
				err := run()
				if err == nil {
					t.Fatalf("%s: no error", op)
				}
				msg := err.Error()
				if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(msg, tt.want) || !strings.Contains(msg, cfg) || !strings.Contains(msg, "fix or move it") {
					t.Errorf("%s: error %q: want ErrInvalidConfig naming %s, %q and \"fix or move it\"", op, msg, cfg, tt.want)
				}
			}
			if got := readFile(t, cfg); got != tt.content {
				t.Errorf("content changed to %q", got)
			}
			if fi, _ := os.Stat(cfg); !fi.ModTime().Equal(old) {
				t.Errorf("mtime changed")
			}
			assertNoTemp(t, dir)
		})
	}
}

// TestConfigIsDirectory: a directory (or a link to one) where config.json
// should be is refused and left alone.
func TestConfigIsDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	if err := os.Mkdir(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := newWriter(t, dir, nil).Store(ctx, doCred)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "is a directory") || !strings.Contains(err.Error(), "fix or move it") {
		t.Errorf("err = %v", err)
	}
	if fi, err := os.Stat(cfg); err != nil || !fi.IsDir() {
		t.Error("directory replaced")
	}
	if names := dirNames(t, cfg); len(names) != 0 {
		t.Errorf("directory gained %v", names)
	}
}

// TestConfigUnreadableNonRoot: a config without read permission is refused
// (as root this is tested by TestConfigUnreadableAsOtherUser).
func TestConfigUnreadableNonRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file; see TestConfigUnreadableAsOtherUser")
	}
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{"auths":{}}`, 0o000)
	_, err := newWriter(t, dir, nil).Store(ctx, doCred)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "cannot be read") || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("err = %v", err)
	}
	_ = os.Chmod(cfg, 0o600)
	if readFile(t, cfg) != `{"auths":{}}` {
		t.Error("content changed")
	}
}

// TestNewFileModes: a new config is 0600 in a new 0700 directory, whatever
// the umask.
func TestNewFileModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", ".docker")
	res, err := newWriter(t, dir, nil).Store(ctx, doCred)
	if err != nil || !res.Written {
		t.Fatal(res, err)
	}
	for path, want := range map[string]fs.FileMode{dir: fs.ModeDir | 0o700, filepath.Join(dir, "config.json"): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode(), want, err)
		}
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "config.json,config.json.lock" {
		t.Errorf("directory holds %v", names)
	}
}

// TestKeepsMode: an existing file keeps its mode, even 0644 (a warning is
// logged when it then holds plaintext secrets); a 0600 file gets no warning.
func TestKeepsMode(t *testing.T) {
	t.Parallel()
	for _, mode := range []fs.FileMode{0o644, 0o600, 0o640, 0o400} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, `{}`, mode)
			var logs syncBuffer
			if _, err := newWriter(t, dir, &logs).Store(ctx, doCred); err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(cfg)
			if fi.Mode() != mode {
				t.Errorf("mode %v, want %v", fi.Mode(), mode)
			}
			if warned := strings.Contains(logs.String(), "readable by other users"); warned != (mode&0o044 != 0) {
				t.Errorf("warning logged = %v for %v:\n%s", warned, mode, logs.String())
			}
		})
	}
}

// TestKeepsOwner: root updating a config owned by another user keeps its
// owner and group.
func TestKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{}`, 0o600)
	if err := os.Chown(cfg, 12345, 23456); err != nil {
		t.Fatal(err)
	}
	res, err := newWriter(t, dir, nil).Store(ctx, doCred)
	if err != nil || !res.Written {
		t.Fatal(res, err)
	}
	st := statT(t, cfg)
	if st.Uid != 12345 || st.Gid != 23456 {
		t.Errorf("owner %d:%d, want 12345:23456", st.Uid, st.Gid)
	}
}

func statT(t *testing.T, path string) *syscall.Stat_t {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}

// TestNoWriteWhenUnchanged: storing what is already there does not touch
// the file (same inode, same mtime), even if it is formatted differently.
func TestNoWriteWhenUnchanged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	content := `{"auths":{"registry.digitalocean.com":{"auth":"` + b64("tok:tok") + `"}},"x":[1, 2]}`
	writeFile(t, cfg, content, 0o600)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	_ = os.Chtimes(cfg, old, old)
	fi1, _ := os.Stat(cfg)
	w := newWriter(t, dir, nil)
	w.testHook = func(step string) error { return fmt.Errorf("unexpected write step %s", step) }
	res, err := w.Store(ctx, doCred)
	if err != nil || res.Written {
		t.Fatalf("Store = %+v, %v", res, err)
	}
	fi2, _ := os.Stat(cfg)
	if !os.SameFile(fi1, fi2) || !fi2.ModTime().Equal(old) || readFile(t, cfg) != content {
		t.Error("file touched")
	}
}

// TestSymlinks: a symlinked config.json (absolute, relative, dangling,
// chained, through a symlinked directory) is updated through the link,
// which stays; the temporary file and the lock go beside the real target.
func TestSymlinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup returns the link value and the real target, both under root.
		setup func(t *testing.T, root, link string) (target string)
	}{
		{"absolute", func(t *testing.T, root, link string) string {
			target := filepath.Join(root, "real", "docker.json")
			writeFile(t, target, `{"x":1}`, 0o640)
			symlink(t, target, link)
			return target
		}},
		{"relative", func(t *testing.T, root, link string) string {
			target := filepath.Join(root, "real", "docker.json")
			writeFile(t, target, `{"x":1}`, 0o640)
			symlink(t, "../real/docker.json", link)
			return target
		}},
		{"dangling", func(t *testing.T, root, link string) string {
			symlink(t, "../real/new.json", link)
			return filepath.Join(root, "real", "new.json")
		}},
		{"dangling into a missing directory", func(t *testing.T, root, link string) string {
			symlink(t, filepath.Join(root, "real", "sub", "new.json"), link)
			return filepath.Join(root, "real", "sub", "new.json")
		}},
		{"chain", func(t *testing.T, root, link string) string {
			target := filepath.Join(root, "real", "docker.json")
			writeFile(t, target, `{"x":1}`, 0o640)
			symlink(t, "docker.json", filepath.Join(root, "real", "hop"))
			symlink(t, "../real/hop", link)
			return target
		}},
		{"dot-dot after a symlinked directory", func(t *testing.T, root, link string) string {
			// link -> sub/../docker.json where sub -> ../real/deep: the kernel
			// reads real/docker.json, not cfgdir/docker.json.
			target := filepath.Join(root, "real", "docker.json")
			writeFile(t, target, `{"x":1}`, 0o640)
			_ = os.MkdirAll(filepath.Join(root, "real", "deep"), 0o700)
			symlink(t, "../real/deep", filepath.Join(root, "cfg", "sub"))
			writeFile(t, filepath.Join(root, "cfg", "docker.json"), `{"decoy":1}`, 0o600)
			symlink(t, "sub/../docker.json", link)
			return target
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for _, d := range []string{"cfg", "real"} {
				_ = os.MkdirAll(filepath.Join(root, d), 0o700)
			}
			link := filepath.Join(root, "cfg", "config.json")
			target := tt.setup(t, root, link)
			before, _ := os.Readlink(link)
			existed := fileExists(target)
			w := newWriter(t, filepath.Join(root, "cfg"), nil)
			sawTemp := false
			w.testHook = func(step string) error {
				if step == "tempWritten" {
					m, _ := filepath.Glob(filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*"))
					sawTemp = len(m) == 1
				}
				return nil
			}
			res, err := w.Store(ctx, doCred)
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != target || !sawTemp {
				t.Errorf("Path %s (want %s), temp beside target: %v", res.Path, target, sawTemp)
			}
			if after, err := os.Readlink(link); err != nil || after != before {
				t.Errorf("link changed: %q -> %q (%v)", before, after, err)
			}
			got := readFile(t, link) // through the link, as docker reads it
			if authsOf(t, got)[doCred.Host] == nil {
				t.Errorf("credential not visible through the link:\n%s", got)
			}
			if existed && parseConfig(t, got)["x"] != float64(1) {
				t.Errorf("target's other keys lost:\n%s", got)
			}
			wantMode := fs.FileMode(0o600)
			if existed {
				wantMode = 0o640
			}
			if fi, _ := os.Stat(target); fi.Mode() != wantMode {
				t.Errorf("target mode %v, want %v", fi.Mode(), wantMode)
			}
			// The lock lives beside what is written, the link's target, so
			// that writers through other links to it take the same lock
			// (issue 22, item 8); none is made beside the link.
			if fi, err := os.Lstat(target + ".lock"); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("no lock file beside the link's target: %v", err)
			}
			if fileExists(link + ".lock") {
				t.Error("a lock file was created beside the link, which another link to the same file would not take")
			}
			assertNoTemp(t, filepath.Dir(target))
			assertNoTemp(t, filepath.Join(root, "cfg"))
		})
	}
	t.Run("loop", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		symlink(t, "config.json", filepath.Join(dir, "config.json"))
		if _, err := newWriter(t, dir, nil).Store(ctx, doCred); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("link to a directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		symlink(t, dir, filepath.Join(dir, "config.json"))
		if _, err := newWriter(t, dir, nil).Store(ctx, doCred); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("err = %v", err)
		}
	})
}

func symlink(t *testing.T, value, link string) {
	t.Helper()
	if err := os.Symlink(value, link); err != nil {
		t.Fatal(err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

var errInjected = errors.New("injected failure")

// TestFaultInjection: a failure at any step before the rename leaves the
// original byte-identical (or absent) and no temporary file behind.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	steps := []string{"tempCreated", "chmod", "chown", "tempWritten", "tempSynced", "tempClosed", "rename"}
	const original = `{"auths":{"other":{"auth":"b3RoZXI6eA=="}},"x":"keep"}`
	for _, existing := range []bool{true, false} {
		for _, step := range steps {
			if step == "chown" && !existing {
				continue // a new file has no owner to copy
			}
			t.Run(fmt.Sprintf("existing=%v/%s", existing, step), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				cfg := filepath.Join(dir, "config.json")
				if existing {
					writeFile(t, cfg, original, 0o644)
				}
				w := newWriter(t, dir, nil)
				var seen []string
				w.testHook = func(s string) error {
					seen = append(seen, s)
					if s == step {
						return errInjected
					}
					return nil
				}
				res, err := w.Store(ctx, doCred)
				if !errors.Is(err, errInjected) || res.Written {
					t.Fatalf("Store = %+v, %v; want the injected failure", res, err)
				}
				if !strings.Contains(err.Error(), "the config was not changed") {
					t.Errorf("error %q does not say the config is unchanged", err)
				}
				if seen[len(seen)-1] != step {
					t.Errorf("steps run: %v", seen)
				}
				if existing {
					if got := readFile(t, cfg); got != original {
						t.Errorf("content changed: %s", got)
					}
					if fi, _ := os.Stat(cfg); fi.Mode() != 0o644 {
						t.Errorf("mode changed: %v", fi.Mode())
					}
				} else if fileExists(cfg) {
					t.Error("config created despite the failure")
				}
				assertNoTemp(t, dir)
			})
		}
	}
	t.Run("dirSynced", func(t *testing.T) {
		// After the rename the change is done; a directory fsync failure is
		// only a warning.
		t.Parallel()
		dir := t.TempDir()
		var logs syncBuffer
		w := newWriter(t, dir, &logs)
		w.testHook = func(s string) error {
			if s == "dirSynced" {
				return errInjected
			}
			return nil
		}
		res, err := w.Store(ctx, doCred)
		if err != nil || !res.Written || !strings.Contains(logs.String(), "syncing its directory failed") {
			t.Errorf("Store = %+v, %v; logs:\n%s", res, err, logs.String())
		}
		assertNoTemp(t, dir)
	})
}

// TestBindMountFallback: when rename fails with EBUSY or EXDEV the file is
// rewritten in place, a warning is logged and Result.InPlace is set; a
// failure during the in-place write restores the original content.
func TestBindMountFallback(t *testing.T) {
	t.Parallel()
	const original = `{"auths":{"other":{"auth":"b3RoZXI6eA=="}},"padding":"` + "................................................................................................................................................" + `"}`
	for _, errno := range []syscall.Errno{syscall.EBUSY, syscall.EXDEV} {
		t.Run(errno.Error(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, original, 0o644)
			fi1, _ := os.Stat(cfg)
			var logs syncBuffer
			w := newWriter(t, dir, &logs)
			w.testHook = func(s string) error {
				if s == "rename" {
					return &os.LinkError{Op: "rename", Old: "tmp", New: cfg, Err: errno}
				}
				return nil
			}
			// Removing the long key makes the file shorter: it is padded, then truncated.
			if _, err := w.Remove(ctx, "other"); err != nil {
				t.Fatal(err)
			}
			res, err := w.Store(ctx, doCred)
			if err != nil || !res.Written || !res.InPlace {
				t.Fatalf("Store = %+v, %v", res, err)
			}
			fi2, _ := os.Stat(cfg)
			if !os.SameFile(fi1, fi2) || fi2.Mode() != 0o644 {
				t.Error("in-place write replaced the inode or changed the mode")
			}
			got := readFile(t, cfg)
			want, _, _ := Merge([]byte(`{"padding":"`+strings.Repeat(".", 144)+`"}`), doCred)
			if got != string(want) {
				t.Errorf("content\n%q\nwant\n%q", got, want)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "bind mount") {
				t.Errorf("no warning logged:\n%s", logs.String())
			}
			assertNoTemp(t, dir)
		})
	}
	for _, step := range []string{"inPlaceOpened", "inPlaceWritten", "inPlaceTruncated", "inPlaceSynced"} {
		t.Run("failure at "+step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, original, 0o600)
			w := newWriter(t, dir, nil)
			w.testHook = func(s string) error {
				switch s {
				case "rename":
					return syscall.EBUSY
				case step:
					return errInjected
				}
				return nil
			}
			res, err := w.Remove(ctx, "other") // shorter content
			_ = res
			if !errors.Is(err, errInjected) {
				t.Fatalf("err = %v", err)
			}
			if got := readFile(t, cfg); got != original {
				t.Errorf("content not restored: %q", got)
			}
			assertNoTemp(t, dir)
		})
	}
}

// TestRootNewFilesTakeDirOwner: as root, a new config, new directories and
// the lock file take the owner of the directory they are created in.
func TestRootNewFilesTakeDirOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	t.Parallel()
	home := t.TempDir()
	if err := os.Chown(home, 12345, 23456); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".docker")
	if _, err := newWriter(t, dir, nil).Store(ctx, doCred); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "config.json"), filepath.Join(dir, "config.json.lock")} {
		if st := statT(t, p); st.Uid != 12345 || st.Gid != 23456 {
			t.Errorf("%s: owner %d:%d, want 12345:23456", p, st.Uid, st.Gid)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "config.json")); fi.Mode() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}
