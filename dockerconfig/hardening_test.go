//go:build linux

package dockerconfig

// Issue 8: the config.json writer seen by an attacker and a clumsy user.
// Each test names the hardening case it stands for (see SECURITY.md,
// "Tests behind these claims").

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
)

// envCrashStep makes a re-executed test binary store a credential and die
// by SIGKILL at the named write step (see crashChild).
const (
	envCrashStep   = "DOCKERCONFIG_TEST_CRASH_STEP"
	envCrashBusy   = "DOCKERCONFIG_TEST_CRASH_EBUSY"
	crashChildHost = "crash.example"
)

func init() {
	// Runs before TestMain, so the crash child never starts the tests.
	if step := os.Getenv(envCrashStep); step != "" {
		os.Exit(crashChild(step))
	}
}

// crashChild stores one credential in $DOCKER_CONFIG and kills itself with
// SIGKILL when the write reaches step: no deferred cleanup runs, as after a
// power loss or an OOM kill. With envCrashBusy set the rename fails with
// EBUSY first, so that the in-place path is taken.
func crashChild(step string) int {
	w, err := New(Options{LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	busy := os.Getenv(envCrashBusy) != ""
	w.testHook = func(s string) error {
		if s == "rename" && busy {
			return syscall.EBUSY
		}
		if s == step {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never reached
		}
		return nil
	}
	_, err = w.Store(context.Background(), facade.Credential{Host: crashChildHost, Username: "user", Secret: "crash-secret"})
	fmt.Fprintf(os.Stderr, "the child was not killed at step %s: %v\n", step, err)
	return 3
}

// Case 3. The exact malformed inputs of the issue, and a few a clumsy user
// produces (a byte-order mark, a trailing comma, a second document): every
// operation refuses them with an error naming the file and saying what is
// wrong, and the file stays byte-identical, with its mode and mtime.
func TestHardeningMalformedConfigExactInputs(t *testing.T) {
	setupEnv(t) // the fake helpers in PATH, for SetCredHelper
	tests := []struct{ name, content, want string }{
		{"lone brace", `{`, "is not valid JSON"},
		{"empty", ``, "is empty"},
		{"spaces", `   `, "holds only whitespace"},
		{"newlines and tabs", "\n\t\r\n", "holds only whitespace"},
		{"null", `null`, "holds null, not a JSON object"},
		{"empty array", `[]`, "holds an array, not a JSON object"},
		{"number", `42`, "holds a number, not a JSON object"},
		{"invalid UTF-8", "{\"auths\":{\"h\":{\"auth\":\"\xff\xfe\"}}}", "is not valid UTF-8 (bad byte at offset 23)"},
		{"UTF-16 file", "\xff\xfe{\x00}\x00", "is not valid UTF-8"},
		{"UTF-8 byte-order mark", "\xef\xbb\xbf{}", "is not valid JSON"},
		{"trailing comma", `{"auths":{},}`, "is not valid JSON"},
		{"two documents", `{} {}`, "is not valid JSON"},
		{"truncated after a key", `{"auths":{"registry.digitalocean.com":`, "is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, tt.content, 0o640)
			old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			if err := os.Chtimes(cfg, old, old); err != nil {
				t.Fatal(err)
			}
			w := newWriter(t, dir, nil)
			for op, run := range map[string]func() error{
				"Store":         func() error { _, err := w.Store(ctx, doCred); return err },
				"Remove":        func() error { _, err := w.Remove(ctx, doCred.Host); return err },
				"Lookup":        func() error { _, _, err := w.Lookup(ctx, doCred.Host); return err },
				"SetCredHelper": func() error { return w.SetCredHelper(ctx, doCred.Host, "fake") },
			} {
				err := run()
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("%s: err = %v, want ErrInvalidConfig", op, err)
					continue
				}
				if msg := err.Error(); !strings.Contains(msg, cfg) || !strings.Contains(msg, tt.want) || !strings.Contains(msg, "docr did not change it") {
					t.Errorf("%s: error %q does not name %s and say %q", op, msg, cfg, tt.want)
				}
			}
			if got := readFile(t, cfg); got != tt.content {
				t.Errorf("content changed to %q", got)
			}
			if fi, _ := os.Stat(cfg); fi.Mode() != 0o640 || !fi.ModTime().Equal(old) {
				t.Errorf("mode %v, mtime %v: the file was touched", fi.Mode(), fi.ModTime())
			}
			assertNoTemp(t, dir)
		})
	}
}

// Case 4. Unknown keys at every level, the other hosts' auths entries with
// their unknown fields, and the other hosts' credHelpers survive Store,
// SetCredHelper and Remove through the Writer with exactly the same JSON
// values (only indentation changes), in the order docker does not care
// about.
func TestHardeningUnknownFieldsSurviveEveryWrite(t *testing.T) {
	e := setupEnv(t) // the fake helpers in PATH
	dir, cfg := e.dir, e.cfg
	const original = `{
  "auths": {
    "ghcr.io": {"auth": "Z2g6eA==", "identitytoken": "idt", "x-extra": {"nested": [1, {"deep": null}]}},
    "https://index.docker.io/v1/": {},
    "registry.digitalocean.com": {"auth": "b2xkOm9sZA==", "email": "me@example.com", "x-note": {"keep": ["a", "<b>&"]}}
  },
  "credHelpers": {"gcr.io": "gcloud", "public.ecr.aws": "ecr-login"},
  "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "*.local,169.254.169.254"}},
  "currentContext": "desktop-linux",
  "plugins": {"buildx": {"enabled": "true"}, "x-unknown": {"a": {"b": {"c": [true, false, 1.50e+3, 12345678901234567890123]}}}},
  "features": {"hooks": "true"},
  "psFormat": "table {{.ID}}\t{{.Image}}",
  "x-unicode": "caf\u00e9 \u2028 é 🐳",
  "x-empty": {"o": {}, "a": [], "s": ""}
}`
	writeFile(t, cfg, original, 0o600)
	before := topLevel(t, []byte(original))
	w := newWriter(t, dir, nil)
	check := func(step string, ownedKeys ...string) {
		t.Helper()
		after := topLevel(t, []byte(readFile(t, cfg)))
		for k, v := range before {
			if k == "auths" || k == "credHelpers" {
				continue
			}
			if !sameCompact(v, after[k]) {
				t.Errorf("after %s: %q changed:\n%s\n->\n%s", step, k, v, after[k])
			}
		}
		ba, aa := topLevel(t, before["auths"]), topLevel(t, after["auths"])
		for _, h := range []string{"ghcr.io", "https://index.docker.io/v1/"} {
			if !sameCompact(ba[h], aa[h]) {
				t.Errorf("after %s: auths[%q] changed: %s -> %s", step, h, ba[h], aa[h])
			}
		}
		bh, ah := topLevel(t, before["credHelpers"]), topLevel(t, after["credHelpers"])
		for h, v := range bh {
			if !sameCompact(v, ah[h]) {
				t.Errorf("after %s: credHelpers[%q] changed", step, h)
			}
		}
		if e, ok := aa[doCred.Host]; ok {
			m := topLevel(t, e)
			for _, k := range []string{"email", "x-note"} {
				if !sameCompact(m[k], topLevel(t, ba[doCred.Host])[k]) {
					t.Errorf("after %s: auths[%q].%s changed: %s", step, doCred.Host, k, m[k])
				}
			}
		}
	}
	if _, err := w.Store(ctx, doCred); err != nil {
		t.Fatal(err)
	}
	check("Store")
	if err := w.SetCredHelper(ctx, doCred.Host, "fake"); err != nil {
		t.Fatal(err)
	}
	check("SetCredHelper")
	if _, err := w.Store(ctx, doCred); err != nil { // now through the helper
		t.Fatal(err)
	}
	check("Store through the helper")
	if _, err := w.Remove(ctx, doCred.Host); err != nil {
		t.Fatal(err)
	}
	check("Remove")
	if aa := topLevel(t, topLevel(t, []byte(readFile(t, cfg)))["auths"]); aa[doCred.Host] != nil {
		t.Errorf("Remove left auths[%q]", doCred.Host)
	}
}

// otherFilesystem returns a directory on another file system than
// t.TempDir(): a tmpfs mounted for the test when the test runs as root (the
// mount is removed at the end), else /dev/shm when it is a tmpfs on another
// device. It skips the test, saying why, when neither is possible.
func otherFilesystem(t *testing.T) (dir, how string) {
	t.Helper()
	base := t.TempDir()
	if os.Geteuid() == 0 {
		mnt := filepath.Join(base, "tmpfs")
		if err := os.Mkdir(mnt, 0o700); err != nil {
			t.Fatal(err)
		}
		err := syscall.Mount("docr-test", mnt, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=8m,mode=0700")
		if err == nil {
			t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
			return mnt, "a tmpfs mounted by the test"
		}
		t.Logf("cannot mount a tmpfs (%v); trying /dev/shm", err)
	}
	var shm, tmp syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &shm) == nil && syscall.Statfs(base, &tmp) == nil && shm.Type == 0x01021994 && devOf(t, "/dev/shm") != devOf(t, base) {
		d, err := os.MkdirTemp("/dev/shm", "docr-hardening-")
		if err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(d) })
			return d, "/dev/shm (a tmpfs)"
		}
	}
	t.Skip("no second file system: mounting a tmpfs needs root (or CAP_SYS_ADMIN) and /dev/shm is not a tmpfs on another device")
	return "", ""
}

func devOf(t *testing.T, p string) uint64 {
	t.Helper()
	return uint64(statT(t, p).Dev)
}

// Case 6. config.json is a symbolic link to a file on another file system
// (an existing file, or a dangling link), or the config directory is a link
// to a directory there: the update goes through the link, the temporary
// file is created beside the real target (so the rename never crosses file
// systems: no EXDEV, no in-place fallback), the link stays a link, and the
// target keeps its mode.
func TestHardeningSymlinkToAnotherFilesystem(t *testing.T) {
	t.Parallel()
	other, how := otherFilesystem(t)
	t.Logf("other file system: %s at %s", how, other)
	tests := []struct {
		name string
		// setup returns the config directory to use and the real target.
		setup func(t *testing.T, local, remote string) (cfgDir, target string)
		mode  fs.FileMode
	}{
		{"absolute link to an existing file", func(t *testing.T, local, remote string) (string, string) {
			target := filepath.Join(remote, "docker.json")
			writeFile(t, target, `{"x-keep":{"a":1}}`, 0o640)
			symlink(t, target, filepath.Join(local, "config.json"))
			return local, target
		}, 0o640},
		{"dangling link", func(t *testing.T, local, remote string) (string, string) {
			target := filepath.Join(remote, "new", "docker.json")
			symlink(t, target, filepath.Join(local, "config.json"))
			return local, target
		}, 0o600},
		{"config directory linked to the other file system", func(t *testing.T, local, remote string) (string, string) {
			real := filepath.Join(remote, "dot-docker")
			if err := os.Mkdir(real, 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(real, "config.json"), `{"x-keep":{"a":1}}`, 0o600)
			symlink(t, real, filepath.Join(local, "docker"))
			return filepath.Join(local, "docker"), filepath.Join(real, "config.json")
		}, 0o600},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := t.TempDir()
			remote := filepath.Join(other, fmt.Sprint(i))
			if err := os.Mkdir(remote, 0o700); err != nil {
				t.Fatal(err)
			}
			cfgDir, target := tt.setup(t, local, remote)
			existed := fileExists(target)
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				t.Fatal(err)
			}
			if devOf(t, local) == devOf(t, filepath.Dir(target)) {
				t.Fatalf("%s and %s are on the same device", local, target)
			}
			w := newWriter(t, cfgDir, nil)
			sawTemp := false
			w.testHook = func(step string) error {
				if step == "tempWritten" {
					m, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".docker.json.tmp-*"))
					m2, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".config.json.tmp-*"))
					sawTemp = len(m)+len(m2) == 1
				}
				return nil
			}
			res, err := w.Store(ctx, doCred)
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != target || res.InPlace || !res.Written || !sawTemp {
				t.Errorf("Result %+v (temporary file beside the target: %v), want Path %s, renamed, not in place", res, sawTemp, target)
			}
			got := readFile(t, filepath.Join(cfgDir, "config.json"))
			if authsOf(t, got)[doCred.Host] == nil {
				t.Errorf("credential not visible through the link:\n%s", got)
			}
			if existed && !strings.Contains(got, `"x-keep"`) {
				t.Errorf("the target's other keys were lost:\n%s", got)
			}
			if fi, err := os.Lstat(filepath.Join(local, "config.json")); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
				t.Error("the link was replaced by a file")
			}
			if fi, _ := os.Stat(target); fi.Mode() != tt.mode {
				t.Errorf("target mode %v, want %v", fi.Mode(), tt.mode)
			}
			if fi, err := os.Lstat(target + ".lock"); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("no lock beside the link's target: %v", err)
			}
			if real, _ := filepath.EvalSymlinks(cfgDir); filepath.Dir(target) != real && fileExists(filepath.Join(cfgDir, "config.json.lock")) {
				t.Error("a lock beside the link, which another link to the same file would not take")
			}
			assertNoTemp(t, filepath.Dir(target))
			assertNoTemp(t, local)
		})
	}
}

// Case 7. A process killed (SIGKILL: no deferred cleanup) at each step of a
// write leaves the original config byte-identical with its mode, or, once
// the rename is done, the complete new one; never a partial file. The lock
// dies with the process, and the next update removes the temporary file the
// killed one left (it holds the credential of the interrupted login). In
// the in-place fallback (bind mounts) the file is valid JSON at every step.
func TestHardeningCrashAtEachWriteStep(t *testing.T) {
	t.Parallel()
	const original = `{"auths":{"other.example":{"auth":"b3RoZXI6eA=="}},"x-keep":"` + "................................................................" + `"}`
	steps := []struct {
		step    string
		busy    bool // the rename fails with EBUSY: in-place path
		renamed bool // the new content is in place when the process dies
	}{
		{"tempCreated", false, false},
		{"chmod", false, false},
		{"chown", false, false},
		{"tempWritten", false, false},
		{"tempSynced", false, false},
		{"tempClosed", false, false},
		{"rename", false, false},
		{"dirSynced", false, true},
		{"inPlaceOpened", true, false},
		{"inPlaceWritten", true, true},
		{"inPlaceTruncated", true, true},
		{"inPlaceSynced", true, true},
	}
	for _, tc := range steps {
		t.Run(tc.step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, original, 0o640)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envCrashStep+"="+tc.step, "DOCKER_CONFIG="+dir)
			if tc.busy {
				cmd.Env = append(cmd.Env, envCrashBusy+"=1")
			}
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed at %s: %v\n%s", tc.step, err, out)
			}
			got := readFile(t, cfg)
			if fi, _ := os.Stat(cfg); fi.Mode() != 0o640 {
				t.Errorf("mode %v after the crash", fi.Mode())
			}
			if !tc.renamed {
				if got != original {
					t.Errorf("the original changed:\n%s", got)
				}
			} else {
				var doc map[string]any
				if err := json.Unmarshal([]byte(got), &doc); err != nil {
					t.Fatalf("not valid JSON after the crash: %v\n%q", err, got)
				}
				auths, _ := doc["auths"].(map[string]any)
				if auths["other.example"] == nil || auths[crashChildHost] == nil || doc["x-keep"] == nil {
					t.Errorf("neither the original nor the complete new config:\n%s", got)
				}
			}
			// The next update takes the lock at once and cleans up.
			var logs syncBuffer
			w := newWriter(t, dir, &logs, func(o *Options) { o.LockTimeout = 2 * time.Second })
			if _, err := w.Store(ctx, doCred); err != nil {
				t.Fatalf("the next Store: %v", err)
			}
			assertNoTemp(t, dir)
			final := readFile(t, cfg)
			if a := authsOf(t, final); a["other.example"] == nil || a[doCred.Host] == nil {
				t.Errorf("after the next Store:\n%s", final)
			}
			if strings.Contains(final, base64.StdEncoding.EncodeToString([]byte("user:crash-secret"))) != tc.renamed {
				t.Errorf("the killed update's credential is present=%v, want %v", !tc.renamed, tc.renamed)
			}
		})
	}
}

// Case 7, the other way round: a temporary file is removed only by an
// update holding the lock, and only files of docr's own pattern.
func TestHardeningStaleTempCleanupIsNarrow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{}`, 0o600)
	keep := []string{"config.json.tmp-1", ".config.json.bak", ".other.json.tmp-1", "config.json123"}
	for _, n := range append(keep, ".config.json.tmp-123", ".config.json.tmp-") {
		writeFile(t, filepath.Join(dir, n), "x", 0o600)
	}
	if err := os.Mkdir(filepath.Join(dir, ".config.json.tmp-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, ".config.json.tmp-dir")
	// Lookup (shared lock, no write) removes nothing.
	if _, _, err := newWriter(t, dir, nil).Lookup(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(dir, ".config.json.tmp-123")) {
		t.Error("Lookup removed a temporary file")
	}
	if _, err := newWriter(t, dir, nil).Store(ctx, doCred); err != nil {
		t.Fatal(err)
	}
	for _, n := range keep {
		if !fileExists(filepath.Join(dir, n)) {
			t.Errorf("%s was removed", n)
		}
	}
	for _, n := range []string{".config.json.tmp-123", ".config.json.tmp-"} {
		if fileExists(filepath.Join(dir, n)) {
			t.Errorf("%s was left", n)
		}
	}
}

// FuzzPlainAuth fuzzes the other auth decoder: the one that reads a
// plaintext auths[host] entry back (Lookup, Remove) the way docker does. It
// never panics, fails only with ErrInvalidConfig and never quotes the value
// in an error; what Merge writes for a valid credential, it reads back
// exactly.
func FuzzPlainAuth(f *testing.F) {
	for _, s := range []string{b64("user:pass"), b64("u:p:a:s:s"), b64("nocolon"), "not base64!", " " + b64("u:p") + "\n", b64("u:p")[:3], "", "=", b64(":")} {
		f.Add(s, "", "")
		f.Add(s, "user", "pass")
	}
	f.Add("", "user", "")
	f.Add("", "", "pass")
	f.Fuzz(func(t *testing.T, auth, user, pass string) {
		const host = "registry.example"
		// The values as a JSON file holds them (invalid UTF-8 becomes U+FFFD).
		auth, user, pass = asJSON(auth), asJSON(user), asJSON(pass)
		raw, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth, "username": user, "password": pass}}})
		if err != nil {
			t.Skip()
		}
		d, err := parseDocument(raw)
		if err != nil {
			// json.Marshal replaced invalid UTF-8; anything else must parse.
			t.Fatalf("parseDocument: %v", err)
		}
		c, found, err := d.plainCredential(host)
		switch {
		case err != nil:
			if !errors.Is(err, ErrInvalidConfig) || found {
				t.Fatalf("plainCredential = %v, %v", found, err)
			}
			if len(auth) >= 6 && strings.Contains(err.Error(), auth) {
				t.Fatalf("error %q quotes the auth value", err)
			}
		case found && auth != "":
			dec, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(auth))
			if derr != nil || c.Username+":"+c.Secret != string(dec) || strings.Contains(c.Username, ":") {
				t.Fatalf("decoded %q/%q from %q", c.Username, c.Secret, auth)
			}
		case found:
			if c.Username != user || c.Secret != pass {
				t.Fatalf("username/password fields read as %q/%q", c.Username, c.Secret)
			}
		}
		// Round trip: a valid credential written by Merge reads back exactly.
		cred := facade.Credential{Host: host, Username: user, Secret: pass}
		if validCredential(cred) != nil {
			return
		}
		out, _, err := Merge(nil, cred)
		if err != nil {
			t.Fatalf("Merge: %v", err)
		}
		d2, err := parseDocument(out)
		if err != nil {
			t.Fatal(err)
		}
		back, found, err := d2.plainCredential(host)
		if err != nil || !found || back != cred {
			t.Fatalf("read back %+v %v %v, want %+v", back, found, err, cred)
		}
	})
}

// asJSON returns s as it reads back from a JSON string.
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}
