//go:build unix

package dockerconfig

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
)

var ctx = context.Background()

// TestPath: explicit dir, else $DOCKER_CONFIG, else ~/.docker.
func TestPath(t *testing.T) {
	home, dc := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dc)
	if p, err := Path("/x/y"); err != nil || p != filepath.Join("/x/y", "config.json") {
		t.Errorf("explicit: %q %v", p, err)
	}
	if p, err := Path(""); err != nil || p != filepath.Join(dc, "config.json") {
		t.Errorf("DOCKER_CONFIG: %q %v", p, err)
	}
	t.Setenv("DOCKER_CONFIG", "")
	if p, err := Path(""); err != nil || p != filepath.Join(home, ".docker", "config.json") {
		t.Errorf("home: %q %v", p, err)
	}
	t.Setenv("HOME", "")
	if _, err := Path(""); err == nil || !strings.Contains(err.Error(), "DOCKER_CONFIG") {
		t.Errorf("no home: %v", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without a home: no error")
	}
}

// TestNew: options are checked and defaulted; nothing is touched.
func TestNew(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "d")
	for _, o := range []Options{{Dir: dir, LockTimeout: -1}, {Dir: dir, HelperTimeout: -time.Second}} {
		if w, err := New(o); err == nil || w != nil {
			t.Errorf("New(%+v) = %v, %v; want an error", o, w, err)
		}
	}
	w, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if w.lockTimeout != DefaultLockTimeout || w.helperTimeout != DefaultHelperTimeout || w.log == nil || w.helperStderr == nil {
		t.Errorf("defaults not set: %+v", w)
	}
	if w.Path() != filepath.Join(dir, "config.json") {
		t.Errorf("Path() = %q", w.Path())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("New created %s", dir)
	}
}

// TestStoreRouting: credHelpers[host] wins, else credsStore, else plaintext;
// a helper-held host gets an auths entry without secrets.
func TestStoreRouting(t *testing.T) {
	const host = "registry.digitalocean.com"
	cred := facade.Credential{Host: host, Username: "tok", Secret: "s3cret"}
	tests := []struct {
		name      string
		config    string
		route     Route
		helper    string // fake helper that must hold the secret ("" = file)
		wantEntry string // auths[host] after Store, compact
	}{
		{"no helper: plaintext", ``, RouteFile, "", `{"auth":"` + b64("tok:s3cret") + `"}`},
		{"empty credsStore: plaintext", `{"credsStore":""}`, RouteFile, "", `{"auth":"` + b64("tok:s3cret") + `"}`},
		{"credsStore", `{"credsStore":"fake"}`, RouteCredsStore, "fake", `{}`},
		{"credHelpers wins over credsStore", `{"credsStore":"fake","credHelpers":{"registry.digitalocean.com":"other"}}`, RouteCredHelper, "other", `{}`},
		{"credHelpers without credsStore", `{"credHelpers":{"registry.digitalocean.com":"other"}}`, RouteCredHelper, "other", `{}`},
		{"credHelpers for another host", `{"credsStore":"fake","credHelpers":{"gcr.io":"other"}}`, RouteCredsStore, "fake", `{}`},
		{"empty credHelpers entry falls to credsStore", `{"credsStore":"fake","credHelpers":{"registry.digitalocean.com":""}}`, RouteCredsStore, "fake", `{}`},
		{"helper: old plaintext removed, other fields kept", `{"credsStore":"fake","auths":{"registry.digitalocean.com":{"auth":"b2xkOm9sZA==","identitytoken":"x","email":"e@x"}}}`,
			RouteCredsStore, "fake", `{"email":"e@x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setupEnv(t)
			if tt.config != "" {
				writeFile(t, e.cfg, tt.config, 0o600)
			}
			w := newWriter(t, "", nil)
			res, err := w.Store(ctx, cred)
			if err != nil {
				t.Fatal(err)
			}
			want := Stored{Host: host, Route: tt.route}
			if tt.helper != "" {
				want.Helper = "docker-credential-" + tt.helper
			}
			if len(res.Hosts) != 1 || res.Hosts[0] != want || !res.Written || res.InPlace || res.Path != e.cfg {
				t.Errorf("result = %+v, want host %+v written to %s", res, want, e.cfg)
			}
			content := readFile(t, e.cfg)
			got := compact(t, topLevel(t, topLevel(t, []byte(content))["auths"])[host])
			if got != tt.wantEntry {
				t.Errorf("auths[host] = %s, want %s", got, tt.wantEntry)
			}
			for _, name := range []string{"fake", "other"} {
				s, ok := e.helperStore(t, name)[host]
				if name == tt.helper {
					if !ok || s.Username != "tok" || s.Secret != "s3cret" {
						t.Errorf("helper %s holds %+v", name, s)
					}
				} else if ok {
					t.Errorf("helper %s also got the secret", name)
				}
			}
			if tt.helper != "" && strings.Contains(content, "s3cret") || strings.Contains(content, "b2xk") {
				t.Errorf("file holds a secret:\n%s", content)
			}
			// Lookup reads through the same routing.
			c, found, err := w.Lookup(ctx, host)
			if err != nil || !found || c != cred {
				t.Errorf("Lookup = %+v %v %v", c, found, err)
			}
		})
	}
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	c, err := canonical(raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

// TestHelperFailures: a configured helper that is missing, fails, prints
// garbage, hangs or leaves its output open is an error naming the helper;
// nothing falls back to plaintext and the file is unchanged.
func TestHelperFailures(t *testing.T) {
	const host = "registry.digitalocean.com"
	cred := facade.Credential{Host: host, Username: "tok", Secret: "s3cret"}
	tests := []struct {
		name   string
		config string
		mode   string
		op     string // store, lookup, remove
		want   string
		is     error
	}{
		{"missing credsStore helper", `{"credsStore":"nothere"}`, "", "store", "docker-credential-nothere (credsStore in ", exec.ErrNotFound},
		{"missing credHelpers helper", `{"credHelpers":{"registry.digitalocean.com":"nothere"}}`, "", "lookup", `credHelpers["registry.digitalocean.com"]`, exec.ErrNotFound},
		{"helper name with a slash", `{"credsStore":"../fake"}`, "", "store", "invalid credential helper name", nil},
		{"store fails", `{"credsStore":"fake"}`, "fail", "store", "failed to store credentials for registry.digitalocean.com: exit status 1", nil},
		{"get fails", `{"credsStore":"fake"}`, "fail", "lookup", `failed to get credentials for registry.digitalocean.com: exit status 1; it said "fake failure, input: registry.digitalocean.com"`, nil},
		{"get prints garbage", `{"credsStore":"fake"}`, "garbage", "lookup", "not a credentials JSON object", ErrHelperReply},
		{"remove: get prints garbage", `{"credsStore":"fake","auths":{"registry.digitalocean.com":{}}}`, "garbage", "remove", "docker-credential-fake", ErrHelperReply},
		{"get floods its output", `{"credsStore":"fake"}`, "flood", "lookup", "not a credentials JSON object (credential helper printed an invalid reply: more than 1048576 bytes)", ErrHelperReply},
		{"get fails verbosely", `{"credsStore":"fake"}`, "verbose", "lookup", `; it said "` + strings.Repeat("é", 100) + `…"`, nil},
		{"store hangs", `{"credsStore":"fake"}`, "hang", "store", "did not finish store for registry.digitalocean.com in time and was killed", ErrHelperTimeout},
		{"get hangs", `{"credHelpers":{"registry.digitalocean.com":"other"}}`, "hang", "lookup", "docker-credential-other", ErrHelperTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setupEnv(t)
			t.Setenv("FAKEHELPER_MODE", tt.mode)
			writeFile(t, e.cfg, tt.config, 0o600)
			// The default HelperTimeout (30s) only guards the helpers that
			// do not hang; a hanging one is timed out as soon as it hangs.
			w := newWriter(t, "", nil)
			expireOnHang(w)
			type outcome struct {
				err         error
				changed     bool
				whatChanged string
			}
			o := within(t, tt.op, func() (o outcome) {
				switch tt.op {
				case "store":
					var res Result
					res, o.err = w.Store(ctx, cred)
					o.changed, o.whatChanged = res.Written, "written despite the error"
				case "lookup":
					_, o.changed, o.err = w.Lookup(ctx, host)
					o.whatChanged = "found despite the error"
				case "remove":
					var got []facade.Credential
					got, o.err = w.Remove(ctx, host)
					o.changed, o.whatChanged = got != nil, "removed despite the error"
				}
				return o
			})
			err := o.err
			if o.changed {
				t.Error(o.whatChanged)
			}
			var he *HelperError
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not a *HelperError", err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), e.cfg) {
				t.Errorf("error %q does not contain %q and the path", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if got := readFile(t, e.cfg); got != tt.config {
				t.Errorf("config changed to %s", got)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

// TestHelperOrphanHoldingOutput: a helper that exits but leaves a child
// holding its stdout does not hang docr.
func TestHelperOrphanHoldingOutput(t *testing.T) {
	e := setupEnv(t)
	t.Setenv("FAKEHELPER_MODE", "orphan")
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(e.helpers, "orphan.pid")); err == nil {
			if pid, err := strconv.Atoi(string(b)); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	w := newWriter(t, "", nil)
	// docr gives up on the pipes helperWaitDelay after the helper exits;
	// the hang guard only catches a docr that waits for the orphan.
	err := within(t, "Lookup", func() error {
		_, _, err := w.Lookup(ctx, "h.example")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "kept its output open") {
		t.Errorf("err = %v", err)
	}
}

// TestHelperCallerContext: the caller's deadline stops a hung helper and is
// reported as such, not as the helper timeout.
func TestHelperCallerContext(t *testing.T) {
	e := setupEnv(t)
	t.Setenv("FAKEHELPER_MODE", "hang")
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	w := newWriter(t, "", nil)
	// The caller's deadline passes once the helper hangs (the helper
	// timeout stays at its 30s default and must not be what fires).
	hanging := hangSignal(w)
	c := testctx.WithDeadline(ctx)
	defer c.Stop()
	go func() {
		select {
		case <-hanging:
			c.Expire()
		case <-c.Done():
		}
	}()
	err := within(t, "Lookup", func() error {
		_, _, err := w.Lookup(c, "h.example")
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrHelperTimeout) {
		t.Errorf("err = %v", err)
	}
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	if _, err := w.Store(cancelled, doCred); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestHelperStderr goes to Options.HelperStderr, never into errors.
func TestHelperStderr(t *testing.T) {
	e := setupEnv(t)
	t.Setenv("FAKEHELPER_MODE", "fail")
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	var stderr syncBuffer
	w := newWriter(t, "", nil, func(o *Options) { o.HelperStderr = &stderr })
	_, err := w.Store(ctx, facade.Credential{Host: "h", Username: "u", Secret: "s3cret"})
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(stderr.String(), "fake failure") {
		t.Errorf("stderr = %q", stderr.String())
	}
	if strings.Contains(err.Error(), "fake failure") {
		t.Errorf("store error quotes the helper: %v", err)
	}
}

// TestRemove: logout deletes entries, erases helper secrets and returns the
// removed credentials with their passwords; absent hosts are no error.
func TestRemove(t *testing.T) {
	t.Run("plaintext", func(t *testing.T) {
		e := setupEnv(t)
		writeFile(t, e.cfg, `{"auths":{"a":{"auth":"`+b64("ua:pa:x")+`"},"b":{"username":"ub","password":"pb"},"c":{"auth":"`+b64("uc:pc")+`","email":"e"},"d":{}},"proxies":{"x":1}}`, 0o600)
		w := newWriter(t, "", nil)
		got, err := w.Remove(ctx, "a", "b", "d", "absent")
		if err != nil {
			t.Fatal(err)
		}
		want := []facade.Credential{{Host: "a", Username: "ua", Secret: "pa:x"}, {Host: "b", Username: "ub", Secret: "pb"}}
		if !slices.Equal(got, want) {
			t.Errorf("removed %+v, want %+v", got, want)
		}
		if got := compact(t, []byte(readFile(t, e.cfg))); got != `{"auths":{"c":{"auth":"`+b64("uc:pc")+`","email":"e"}},"proxies":{"x":1}}` {
			t.Errorf("config = %s", got)
		}
		// Again: nothing left to remove, nothing written.
		fi1, _ := os.Stat(e.cfg)
		if got, err := w.Remove(ctx, "a", "b"); err != nil || got != nil {
			t.Errorf("second Remove = %v, %v", got, err)
		}
		if fi2, _ := os.Stat(e.cfg); !os.SameFile(fi1, fi2) {
			t.Error("file rewritten although nothing changed")
		}
	})
	t.Run("helper", func(t *testing.T) {
		e := setupEnv(t)
		writeFile(t, e.cfg, `{"credsStore":"fake","credHelpers":{"o.example":"other"}}`, 0o600)
		w := newWriter(t, "", nil)
		creds := []facade.Credential{{Host: "f.example", Username: "uf", Secret: "pf"}, {Host: "o.example", Username: "uo", Secret: "po"}}
		if _, err := w.Store(ctx, creds...); err != nil {
			t.Fatal(err)
		}
		got, err := w.Remove(ctx, "f.example", "o.example", "absent.example")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, creds) {
			t.Errorf("removed %+v, want %+v", got, creds)
		}
		if len(e.helperStore(t, "fake")) != 0 || len(e.helperStore(t, "other")) != 0 {
			t.Errorf("helpers still hold secrets: %v %v", e.helperStore(t, "fake"), e.helperStore(t, "other"))
		}
		if a := authsOf(t, readFile(t, e.cfg)); len(a) != 0 {
			t.Errorf("auths left: %v", a)
		}
		wantCalls := []string{"fake_store_-", "other_store_-", "fake_get_f.example", "fake_erase_f.example", "other_get_o.example", "other_erase_o.example", "fake_get_absent.example", "fake_erase_absent.example"}
		if got := e.calls(t); !slices.Equal(got, wantCalls) {
			t.Errorf("calls %v, want %v", got, wantCalls)
		}
	})
	t.Run("helper and stale plaintext both returned", func(t *testing.T) {
		e := setupEnv(t)
		w := newWriter(t, "", nil)
		writeFile(t, filepath.Join(e.helpers, "fake.json"), `{"h":{"Username":"new","Secret":"newpw"}}`, 0o600)
		writeFile(t, e.cfg, `{"credsStore":"fake","auths":{"h":{"auth":"`+b64("old:oldpw")+`"}}}`, 0o600)
		got, err := w.Remove(ctx, "h")
		if err != nil {
			t.Fatal(err)
		}
		if want := []facade.Credential{{Host: "h", Username: "new", Secret: "newpw"}, {Host: "h", Username: "old", Secret: "oldpw"}}; !slices.Equal(got, want) {
			t.Errorf("removed %+v, want %+v", got, want)
		}
	})
	t.Run("missing file: nothing created", func(t *testing.T) {
		e := setupEnv(t)
		dir := filepath.Join(e.dir, "sub")
		w := newWriter(t, dir, nil)
		if got, err := w.Remove(ctx, "h"); err != nil || got != nil {
			t.Errorf("Remove = %v, %v", got, err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("Remove created %s", dir)
		}
	})
	t.Run("erase fails: nothing removed from the file", func(t *testing.T) {
		e := setupEnv(t)
		writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
		w := newWriter(t, "", nil)
		if _, err := w.Store(ctx, facade.Credential{Host: "h", Username: "u", Secret: "p"}); err != nil {
			t.Fatal(err)
		}
		before := readFile(t, e.cfg)
		t.Setenv("FAKEHELPER_MODE", "fail")
		if _, err := w.Remove(ctx, "h"); err == nil {
			t.Fatal("no error")
		}
		if readFile(t, e.cfg) != before {
			t.Error("config changed")
		}
	})
	t.Run("invalid host", func(t *testing.T) {
		setupEnv(t)
		if _, err := newWriter(t, "", nil).Remove(ctx, "a b"); err == nil {
			t.Error("no error")
		}
	})
}

// TestLookup: file and helper routes, absent hosts, a missing config (which
// Lookup does not create), and a read-only directory.
func TestLookup(t *testing.T) {
	e := setupEnv(t)
	w := newWriter(t, filepath.Join(e.dir, "new"), nil)
	if _, found, err := w.Lookup(ctx, "h"); found || err != nil {
		t.Errorf("missing config: %v %v", found, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "new")); !os.IsNotExist(err) {
		t.Error("Lookup created the directory")
	}
	writeFile(t, e.cfg, `{"auths":{"a":{"auth":"`+b64("u:p")+`"},"b":{},"bad":{"auth":"!!"},"nocolon":{"auth":"`+b64("x")+`"},"num":{"auth":1},"arr":[]},"credHelpers":{"c":"fake"}}`, 0o600)
	w = newWriter(t, "", nil)
	for host, want := range map[string]string{"a": "found", "b": "absent", "zz": "absent", "c": "absent",
		"bad": "not valid base64", "nocolon": "user:password", "num": "that is not a string", "arr": "that is an array"} {
		c, found, err := w.Lookup(ctx, host)
		switch want {
		case "found":
			if err != nil || !found || c != (facade.Credential{Host: "a", Username: "u", Secret: "p"}) {
				t.Errorf("%s: %+v %v %v", host, c, found, err)
			}
		case "absent":
			if err != nil || found {
				t.Errorf("%s: %+v %v %v", host, c, found, err)
			}
		default:
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), e.cfg) || !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%s: err %v, want %q", host, err, want)
			}
		}
	}
	if _, _, err := w.Lookup(ctx, ""); err == nil {
		t.Error("empty host: no error")
	}
	// A read-only directory cannot hold the lock file; Lookup still reads.
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		writeFile(t, filepath.Join(ro, "config.json"), `{"auths":{"a":{"auth":"`+b64("u:p")+`"}}}`, 0o600)
		if err := os.Chmod(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(ro, 0o700) })
		if c, found, err := newWriter(t, ro, nil).Lookup(ctx, "a"); err != nil || !found || c.Secret != "p" {
			t.Errorf("read-only dir: %+v %v %v", c, found, err)
		}
	}
}

// TestSetCredHelper: credHelpers[host] is set, the plaintext secret goes,
// other fields and helpers stay, and later Stores use the helper.
func TestSetCredHelper(t *testing.T) {
	e := setupEnv(t)
	writeFile(t, e.cfg, `{"auths":{"h":{"auth":"`+b64("u:old")+`","email":"e"},"g":{"auth":"`+b64("g:g")+`"}},"credHelpers":{"gcr.io":"gcloud"}}`, 0o644)
	w := newWriter(t, "", nil)
	if err := w.SetCredHelper(ctx, "h", "fake"); err != nil {
		t.Fatal(err)
	}
	want := `{"auths":{"g":{"auth":"` + b64("g:g") + `"},"h":{"email":"e"}},"credHelpers":{"gcr.io":"gcloud","h":"fake"}}`
	if got := compact(t, []byte(readFile(t, e.cfg))); got != want {
		t.Errorf("config = %s\nwant     %s", got, want)
	}
	fi1, _ := os.Stat(e.cfg)
	if err := w.SetCredHelper(ctx, "h", "fake"); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(e.cfg); !os.SameFile(fi1, fi2) {
		t.Error("rewritten although nothing changed")
	}
	res, err := w.Store(ctx, facade.Credential{Host: "h", Username: "u", Secret: "new"})
	if err != nil || res.Hosts[0].Route != RouteCredHelper || e.helperStore(t, "fake")["h"].Secret != "new" {
		t.Errorf("Store after SetCredHelper: %+v %v", res, err)
	}
	before := readFile(t, e.cfg)
	for _, tc := range []struct{ host, helper, want string }{
		{"h", "nothere", "docker-credential-nothere"},
		{"h", "", "invalid credential helper name"},
		{"h", "a/b", "invalid credential helper name"},
		{"", "fake", "invalid registry host: empty"},
	} {
		if err := w.SetCredHelper(ctx, tc.host, tc.helper); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetCredHelper(%q, %q) = %v, want %q", tc.host, tc.helper, err, tc.want)
		}
	}
	if readFile(t, e.cfg) != before {
		t.Error("config changed by a failed SetCredHelper")
	}
}

// TestStoredString covers the human-readable form of a Result entry.
func TestStoredString(t *testing.T) {
	t.Parallel()
	if s := (Stored{Host: "h", Route: RouteFile}).String(); s != "h: config file (plaintext)" {
		t.Error(s)
	}
	if s := (Stored{Host: "h", Route: RouteCredsStore, Helper: "docker-credential-x"}).String(); s != "h: credsStore docker-credential-x" {
		t.Error(s)
	}
}

func TestHelper(t *testing.T) {
	e := setupEnv(t)
	if name, route, err := newWriter(t, filepath.Join(e.dir, "new"), nil).Helper(ctx, "h"); name != "" || route != RouteFile || err != nil {
		t.Errorf("missing config: %q %q %v", name, route, err)
	}
	tests := []struct {
		config, host, name string
		route              Route
	}{
		{`{"credHelpers":{"h":"docr"},"credsStore":"desktop"}`, "h", "docr", RouteCredHelper},
		{`{"credHelpers":{"h":"docr"},"credsStore":"desktop"}`, "other", "desktop", RouteCredsStore},
		{`{"credHelpers":{"h":""},"credsStore":"desktop"}`, "h", "desktop", RouteCredsStore},
		{`{"auths":{"h":{"auth":"` + b64("u:p") + `"}}}`, "h", "", RouteFile},
	}
	for _, tt := range tests {
		writeFile(t, e.cfg, tt.config, 0o600)
		before, _ := os.ReadFile(e.cfg)
		name, route, err := newWriter(t, "", nil).Helper(ctx, tt.host)
		if err != nil || name != tt.name || route != tt.route {
			t.Errorf("%s for %s: %q %q %v, want %q %q", tt.config, tt.host, name, route, err, tt.name, tt.route)
		}
		if after, _ := os.ReadFile(e.cfg); string(after) != string(before) {
			t.Errorf("Helper changed the config")
		}
	}
	writeFile(t, e.cfg, `{"credHelpers":`, 0o600)
	if _, _, err := newWriter(t, "", nil).Helper(ctx, "h"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("malformed config: err %v, want ErrInvalidConfig", err)
	}
	if _, _, err := newWriter(t, "", nil).Helper(ctx, ""); err == nil {
		t.Error("empty host accepted")
	}
}
