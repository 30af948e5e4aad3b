//go:build unix

package main_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
)

// helperRun runs one credential helper action as "docr credential-helper
// ACTION", as docker-credential-docr ACTION (docr through a symbolic link),
// or as cmd/docker-credential-docr, the standalone program.
type helperRun func(h *harness, stdin, action string) result

var helperInvocations = []struct {
	name string
	run  helperRun
}{
	{"docr credential-helper", func(h *harness, stdin, action string) result {
		return h.docrIn(stdin, "credential-helper", action)
	}},
	{"docker-credential-docr", func(h *harness, stdin, action string) result {
		return h.helper(stdin, action)
	}},
	{"cmd/docker-credential-docr", func(h *harness, stdin, action string) result {
		return h.standaloneHelper(stdin, action)
	}},
}

// cacheFile is where the helper caches its credentials.
func (h *harness) cacheFile() string {
	return filepath.Join(h.cache, "docr", "credential-helper.json")
}

type helperReply struct{ ServerURL, Username, Secret string }

func parseReply(t *testing.T, r result) helperReply {
	t.Helper()
	var rep helperReply
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil || !strings.HasSuffix(r.stdout, "}\n") {
		t.Fatalf("stdout is not a credential helper reply: %v\n%v", err, r)
	}
	return rep
}

func TestCredentialHelperGet(t *testing.T) {
	t.Parallel()
	for _, inv := range helperInvocations {
		t.Run(inv.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			r := ok(t, inv.run(h, "registry.digitalocean.com\n", "get"))
			c := onlyCredential(t, h.srv)
			rep := parseReply(t, r)
			if rep != (helperReply{helperHost, c.Username, c.Password}) {
				t.Errorf("reply %+v is not the issued credential for %s", rep, helperHost)
			}
			if r.stderr != "" {
				t.Errorf("stderr %q", r.stderr)
			}
			wantCredentialCalls(t, h.srv, call{pathDefault, query("read_write", "false", "expiry_seconds", "3600")})
			if c.ReadWrite || c.ExpirySeconds != 3600 {
				t.Errorf("issued %+v, want read-only for an hour", c)
			}
			wantMode(t, h.cacheFile(), 0o600)
			wantMode(t, filepath.Dir(h.cacheFile()), 0o700)

			// The cached credential is served again, by either invocation.
			for _, again := range helperInvocations {
				r2 := ok(t, again.run(h, helperHost, "get"))
				if parseReply(t, r2) != rep {
					t.Errorf("%s: a second get did not reuse the cached credential", again.name)
				}
			}
			if n := len(h.srv.Credentials()); n != 1 {
				t.Errorf("%d credentials minted, want 1", n)
			}
		})
	}
}

// Without $XDG_CACHE_HOME (or with a relative one) the cache is under
// $HOME/.cache; without $DOCR_REGISTRY_HOST the helper serves
// registry.digitalocean.com.
func TestCredentialHelperDefaults(t *testing.T) {
	t.Parallel()
	for _, xdg := range []string{"", "relative/cache"} {
		h := newHarness(t)
		h.set("XDG_CACHE_HOME", xdg, "DOCR_REGISTRY_HOST", "")
		ok(t, h.helper(helperHost, "get"))
		p := filepath.Join(h.home, ".cache", "docr", "credential-helper.json")
		wantMode(t, p, 0o600)
		if findInFiles(t, p, onlyCredential(t, h.srv).Password) == "" {
			t.Errorf("XDG_CACHE_HOME=%q: %s does not hold the credential", xdg, p)
		}
		if r := ok(t, h.helper("", "list")); r.stdout != `{"registry.digitalocean.com":"docr"}`+"\n" {
			t.Errorf("list: %q", r.stdout)
		}
	}
}

// Docker may pass a URL rather than a host; the reply echoes what it passed.
func TestCredentialHelperServerURLForms(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, in := range []string{"https://registry.digitalocean.com", "https://registry.digitalocean.com/v2/", "Registry.DigitalOcean.com"} {
		rep := parseReply(t, ok(t, h.helper(in, "get")))
		if rep.ServerURL != in {
			t.Errorf("get %q: ServerURL %q", in, rep.ServerURL)
		}
	}
	if n := len(h.srv.Credentials()); n != 1 {
		t.Errorf("%d credentials minted, want 1 (all forms name the same host)", n)
	}
}

func TestCredentialHelperSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.set("DOCR_HELPER_EXPIRY_SECONDS", "600", "DOCR_HELPER_READ_WRITE", "true")
	rw := parseReply(t, ok(t, h.helper(helperHost, "get")))
	h.set("DOCR_HELPER_READ_WRITE", "false")
	ro := parseReply(t, ok(t, h.helper(helperHost, "get")))
	h.set("DOCR_HELPER_READ_WRITE", "")
	ro2 := parseReply(t, ok(t, h.helper(helperHost, "get")))
	wantCredentialCalls(t, h.srv,
		call{pathDefault, query("read_write", "true", "expiry_seconds", "600")},
		call{pathDefault, query("read_write", "false", "expiry_seconds", "600")})
	if rw == ro || ro != ro2 {
		t.Error("read-write and read-only credentials must be cached apart")
	}
	cs := h.srv.Credentials()
	if !cs[0].ReadWrite || cs[1].ReadWrite {
		t.Errorf("issued %+v", cs)
	}

	for _, tt := range []struct{ key, value, want string }{
		{"DOCR_HELPER_EXPIRY_SECONDS", "0", "DOCR_HELPER_EXPIRY_SECONDS must be a whole number of seconds from 1 to 86400"},
		{"DOCR_HELPER_EXPIRY_SECONDS", "86401", "from 1 to 86400"},
		{"DOCR_HELPER_EXPIRY_SECONDS", "1h", "from 1 to 86400"},
		// 2^55+3600: multiplied into a time.Duration it wraps to an hour.
		{"DOCR_HELPER_EXPIRY_SECONDS", "36028797018967568", "from 1 to 86400"},
		{"DOCR_HELPER_READ_WRITE", "maybe", "DOCR_HELPER_READ_WRITE must be true or false"},
	} {
		h.set("DOCR_HELPER_EXPIRY_SECONDS", "", "DOCR_HELPER_READ_WRITE", "", tt.key, tt.value)
		r := h.helper(helperHost, "get")
		fails(t, r, 1, tt.want)
		// The protocol shows stdout to the user: the error is there too.
		if !strings.HasPrefix(r.stdout, "docr: ") || !strings.Contains(r.stdout, tt.want) {
			t.Errorf("%s=%s: stdout %q", tt.key, tt.value, r.stdout)
		}
	}
	if n := len(h.srv.Credentials()); n != 2 {
		t.Errorf("bad settings minted credentials: %d in all", n)
	}
}

// A cached credential is served until facade.DefaultRenewBefore its expiry,
// between processes too (the boundary itself is tested with an injected
// clock in internal/programs/credhelper).
func TestCredentialHelperReuseMargin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Two minutes: reused for the first minute.
	h.set("DOCR_HELPER_EXPIRY_SECONDS", "120")
	a := parseReply(t, ok(t, h.helper(helperHost, "get")))
	b := parseReply(t, ok(t, h.helper(helperHost, "get")))
	if a != b || len(h.srv.Credentials()) != 1 {
		t.Error("a fresh two-minute credential was not reused")
	}
}

func TestCredentialHelperUnknownHost(t *testing.T) {
	t.Parallel()
	for _, inv := range helperInvocations {
		t.Run(inv.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			for _, in := range []string{"ghcr.io", "https://index.docker.io/v1/", "registry.digitalocean.com.evil.example"} {
				r := inv.run(h, in, "get")
				if r.code != 1 || r.stdout != notFoundLine || r.stderr != "" {
					t.Errorf("get %q:\n%v\nwant exit 1 and exactly %q on stdout", in, r, notFoundLine)
				}
			}
			// No server URL at all: the protocol's own answer
			// (docker-credential-helpers' errCredentialsMissingServerURL).
			for _, in := range []string{"", "\n", "  \n"} {
				r := inv.run(h, in, "get")
				if r.code != 1 || r.stdout != noServerURLLine || r.stderr != "" {
					t.Errorf("get %q:\n%v\nwant exit 1 and exactly %q on stdout", in, r, noServerURLLine)
				}
			}
			if n := len(h.srv.Requests()); n != 0 {
				t.Errorf("%d API requests for unknown hosts", n)
			}
		})
	}
}

// DOCR_REGISTRY_HOST moves the served host.
func TestCredentialHelperRegistryHost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, docrtest.WithRegistryHost("registry.example.test"))
	r := h.helper(helperHost, "get")
	if r.code != 1 || r.stdout != notFoundLine {
		t.Errorf("the default host is still served:\n%v", r)
	}
	h.set("DOCR_REGISTRY_HOST", "registry.example.test")
	rep := parseReply(t, ok(t, h.helper("registry.example.test", "get")))
	c := onlyCredential(t, h.srv)
	if rep != (helperReply{"registry.example.test", c.Username, c.Password}) {
		t.Errorf("reply %+v", rep)
	}
	if r := ok(t, h.helper("", "list")); r.stdout != `{"registry.example.test":"docr"}`+"\n" {
		t.Errorf("list: %q", r.stdout)
	}

	// An API that issues credentials for another host than the served one.
	h.set("DOCR_REGISTRY_HOST", "registry.other.test")
	fails(t, h.helper("registry.other.test", "get"), 1, "registry.example.test", "DOCR_REGISTRY_HOST")
}

func TestCredentialHelperErase(t *testing.T) {
	t.Parallel()
	for _, inv := range helperInvocations {
		t.Run(inv.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			ok(t, inv.run(h, helperHost, "get"))
			h.set("DOCR_HELPER_READ_WRITE", "true")
			ok(t, inv.run(h, helperHost, "get"))

			// Another host: nothing to do.
			r := ok(t, inv.run(h, "ghcr.io", "erase"))
			if r.stdout != "" || countOp(h.srv, opRevoke) != 0 {
				t.Errorf("erase of another host: %v", r)
			}

			r = ok(t, inv.run(h, helperHost+"\n", "erase"))
			if r.stdout != "" || r.stderr != "" {
				t.Errorf("erase printed %v", r)
			}
			for _, c := range h.srv.Credentials() {
				if !c.Revoked {
					t.Errorf("erase left a credential valid: %+v", c)
				}
			}
			wantJSONFile(t, h.cacheFile(), `{"entries": {}}`)
			wantMode(t, h.cacheFile(), 0o600)

			// Without a server URL on stdin erase fails, as the protocol says.
			r = inv.run(h, "\n", "erase")
			if r.code != 1 || r.stdout != noServerURLLine {
				t.Errorf("erase without a server URL: %v", r)
			}

			// The next get mints a fresh one.
			ok(t, inv.run(h, helperHost, "get"))
			if n := len(h.srv.Credentials()); n != 3 {
				t.Errorf("%d credentials, want 3", n)
			}
		})
	}
}

// erase keeps the cache when the revocation endpoint is invalid: dropping
// it would leave the credentials valid and forgotten.
func TestCredentialHelperEraseInvalidRevokeURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.helper(helperHost, "get"))
	before, _ := os.ReadFile(h.cacheFile())
	h.set("DOCR_REVOKE_URL", "ftp://revoke.example")
	r := h.helper(helperHost, "erase")
	fails(t, r, 1, "$DOCR_REVOKE_URL must be an absolute http or https URL")
	if !strings.HasPrefix(r.stdout, "docr: $DOCR_REVOKE_URL") {
		t.Errorf("stdout %q", r.stdout)
	}
	if after, _ := os.ReadFile(h.cacheFile()); string(after) != string(before) {
		t.Error("the cache changed")
	}
	h.set("DOCR_REVOKE_URL", h.revokeURL())
	ok(t, h.helper(helperHost, "erase"))
	if !onlyCredential(t, h.srv).Revoked {
		t.Error("not revoked")
	}
}

// erase drops the cache even when revocation fails, and says so.
func TestCredentialHelperEraseRevocationFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.helper(helperHost, "get"))
	if err := h.srv.Inject(docrtest.Fault{Op: opRevoke, Status: 500}); err != nil {
		t.Fatal(err)
	}
	r := h.helper(helperHost, "erase")
	fails(t, r, 1, "revoking failed", "500 Internal Server Error")
	if !strings.HasPrefix(r.stdout, "docr: dropped the cached credentials of registry.digitalocean.com") {
		t.Errorf("stdout %q", r.stdout)
	}
	wantJSONFile(t, h.cacheFile(), `{"entries": {}}`)
}

func TestCredentialHelperListStoreVersion(t *testing.T) {
	t.Parallel()
	for _, inv := range helperInvocations {
		t.Run(inv.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			r := ok(t, inv.run(h, "", "list"))
			if r.stdout != `{"registry.digitalocean.com":"docr"}`+"\n" || r.stderr != "" {
				t.Errorf("list: %v", r)
			}

			const secret = "dop_v1_storedsecretthatmustnotbewritten"
			in := `{"ServerURL":"registry.digitalocean.com","Username":"` + secret + `","Secret":"` + secret + `"}`
			r = inv.run(h, in, "store")
			if r.code != 1 || r.stdout != "docr mints credentials on demand and stores none; use 'docr login' to store a credential\n" {
				t.Errorf("store: %v", r)
			}
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Error("store echoed the secret")
			}
			for _, dir := range []string{h.home, h.cache, h.config} {
				if p := findInFiles(t, dir, secret); p != "" {
					t.Errorf("store wrote the secret to %s", p)
				}
			}

			// docker-credential-helpers' version line.
			r = ok(t, inv.run(h, "", "version"))
			if r.stdout != "docker-credential-docr (github.com/docr-dev/docr) "+facade.Version+"\n" {
				t.Errorf("version: %q", r.stdout)
			}
			if n := len(h.srv.Requests()); n != 0 {
				t.Errorf("%d API requests", n)
			}
		})
	}
}

func TestCredentialHelperUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fails(t, h.docr("credential-helper"), 2, "credential-helper takes one action")
	fails(t, h.docr("credential-helper", "get", "extra"), 2, "credential-helper takes one action")
	// An unknown action is not repeated: it could be a token typed in the
	// wrong place.
	const unknown = "unknown credential-helper action: want get, store, erase, list or version"
	const typo = "dop_v1_typedhere"
	for _, r := range []result{h.docr("credential-helper", typo), h.helper("", typo), h.standaloneHelper("", typo)} {
		fails(t, r, 2, unknown)
		if strings.Contains(r.stdout+r.stderr, typo) {
			t.Errorf("the action was echoed: %v", r)
		}
	}
	for _, prog := range []string{filepath.Join(binDir, "docker-credential-docr"), filepath.Join(helperDir, "docker-credential-docr")} {
		fails(t, h.exec(prog, ""), 2, "credential-helper takes one action")
		fails(t, h.exec(prog, "", "get", "extra"), 2, "credential-helper takes one action")
	}
	// The standalone helper's --help and --version.
	if r := ok(t, h.standaloneHelper("", "--help")); !strings.HasPrefix(r.stdout, "Usage: docker-credential-docr get|store|erase|list|version\n") ||
		!strings.Contains(r.stdout, "DOCR_HELPER_CACHE_DIR") || !strings.Contains(r.stdout, "DOCR_HELPER_LOG") {
		t.Errorf("--help: %v", r)
	}
	if r := ok(t, h.standaloneHelper("", "--version")); r.stdout != "docker-credential-docr (github.com/docr-dev/docr) "+facade.Version+"\n" {
		t.Errorf("--version: %v", r)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("%d API requests", n)
	}
}

// Without a token the helper fails, on stdout (which Docker shows) and on
// stderr.
func TestCredentialHelperNoToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.set("DIGITALOCEAN_TOKEN", "")
	r := h.helper(helperHost, "get")
	fails(t, r, 1, "no API token")
	if !strings.HasPrefix(r.stdout, "docr: no API token") {
		t.Errorf("stdout %q", r.stdout)
	}
	// DIGITALOCEAN_ACCESS_TOKEN is enough.
	h.set("DIGITALOCEAN_ACCESS_TOKEN", h.srv.Token)
	ok(t, h.helper(helperHost, "get"))
}

// A corrupt cache is an empty one: the helper mints and replaces it.
func TestCredentialHelperCorruptCache(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	writeFile(t, h.cacheFile(), "{not json")
	rep := parseReply(t, ok(t, h.helper(helperHost, "get")))
	c := onlyCredential(t, h.srv)
	if rep.Secret != c.Password {
		t.Error("wrong secret")
	}
	var cache struct {
		Entries map[string]struct{ Password string } `json:"entries"`
	}
	b, _ := os.ReadFile(h.cacheFile())
	if err := json.Unmarshal(b, &cache); err != nil || len(cache.Entries) != 1 {
		t.Errorf("cache not replaced: %v %s", err, b)
	}
}

// No long-lived credential is ever written to disk: after a session of
// helper use, the only file holding an issued secret is the helper's
// cache, and every credential there lives at most a day.
func TestCredentialHelperWritesNoLongLivedCredential(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login", "--helper"))
	ok(t, h.helper(helperHost, "get"))
	h.set("DOCR_HELPER_READ_WRITE", "true", "DOCR_HELPER_EXPIRY_SECONDS", "86400")
	ok(t, h.helper(helperHost, "get"))
	h.set("DOCR_HELPER_EXPIRY_SECONDS", "86401")
	fails(t, h.helper(helperHost, "get"), 1)

	cs := h.srv.Credentials()
	if len(cs) != 2 {
		t.Fatalf("%d credentials", len(cs))
	}
	for _, c := range cs {
		if c.ExpirySeconds < 1 || c.ExpirySeconds > 86400 {
			t.Errorf("the helper minted a credential for %d s", c.ExpirySeconds)
		}
		for _, dir := range []string{h.home, h.docker, h.cache, h.config} {
			if p := findInFiles(t, dir, c.Password); p != "" && p != h.cacheFile() {
				t.Errorf("a secret is in %s", p)
			}
		}
	}
}

// findInFiles returns the first file under dir that contains s, or "".
func findInFiles(t *testing.T, dir, s string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if found == "" && strings.Contains(string(b), s) {
				found = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Docker may run several helpers at once (parallel layer pulls): all get
// an answer and the cache stays valid.
func TestCredentialHelperConcurrentGets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const n = 6
	results := make(chan result, n)
	for range n {
		go func() { results <- h.helper(helperHost, "get") }()
	}
	for range n {
		r := <-results
		if r.code != 0 {
			t.Errorf("concurrent get: %v", r)
			continue
		}
		rep := parseReply(t, r)
		valid := false
		for _, c := range h.srv.Credentials() {
			valid = valid || c.Password == rep.Secret
		}
		if !valid {
			t.Error("a reply holds no issued credential")
		}
	}
	var cache struct {
		Entries map[string]struct{ Password string } `json:"entries"`
	}
	b, _ := os.ReadFile(h.cacheFile())
	if err := json.Unmarshal(b, &cache); err != nil || len(cache.Entries) != 1 {
		t.Errorf("cache after concurrent gets: %v %s", err, b)
	}
	wantMode(t, h.cacheFile(), 0o600)
	// The next get is served from the cache.
	before := len(h.srv.Credentials())
	ok(t, h.helper(helperHost, "get"))
	if len(h.srv.Credentials()) != before {
		t.Error("the cache was not used after concurrent gets")
	}
}

// Expired credentials are dropped from the cache, never served, and not
// sent for revocation (the revocation endpoint would refuse them). The
// test makes them expired by moving their expiry into the past.
func TestCredentialHelperExpiredEntries(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := parseReply(t, ok(t, h.helper(helperHost, "get")))
	expireAll(t, h)
	h.set("DOCR_HELPER_READ_WRITE", "true")
	ok(t, h.helper(helperHost, "get"))
	var cache struct {
		Entries map[string]struct{ Password string } `json:"entries"`
	}
	b, _ := os.ReadFile(h.cacheFile())
	if err := json.Unmarshal(b, &cache); err != nil || len(cache.Entries) != 1 || strings.Contains(string(b), first.Secret) {
		t.Errorf("the expired credential is still cached: %v %s", err, b)
	}
	expireAll(t, h)
	ok(t, h.helper(helperHost, "erase"))
	if n := countOp(h.srv, opRevoke); n != 0 {
		t.Errorf("%d revocations of expired credentials", n)
	}
}

// expireAll moves the expiry of every entry of the helper's cache a second
// into the past.
func expireAll(t *testing.T, h *harness) {
	t.Helper()
	var cache struct {
		Entries map[string]map[string]any `json:"entries"`
	}
	b, err := os.ReadFile(h.cacheFile())
	if err != nil || json.Unmarshal(b, &cache) != nil {
		t.Fatalf("cache: %v\n%s", err, b)
	}
	for _, e := range cache.Entries {
		e["expires_at"] = time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	}
	writeFile(t, h.cacheFile(), jsonMarshal(cache))
}
