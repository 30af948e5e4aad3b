//go:build unix

package main_test

// The credential helper's cache under attack (issue 22, items 12 and 13)
// and the settings ECR helper users rely on (issue 20, item 3), through
// every way of running the helper.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// Issue 22, item 12: the cache key holds a fingerprint of the API origin
// and token. A credential minted with account A's token is not served for
// account B (another API and token), for a wrong token, or when the API is
// unreachable with another token; A still gets its cached one, and no
// token is written to the cache.
func TestCredentialHelperCacheKeyedByTokenAndAPI(t *testing.T) {
	t.Parallel()
	for _, inv := range helperInvocations {
		t.Run(inv.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			b := docrtest.NewServer(t)
			down := httptest.NewServer(http.NotFoundHandler())
			downURL := down.URL
			down.Close()
			a := parseReply(t, ok(t, inv.run(h, helperHost, "get")))

			h.set("DIGITALOCEAN_API_URL", b.URL, "DIGITALOCEAN_TOKEN", b.Token, "DOCR_REVOKE_URL", b.URL+"/v1/oauth/revoke")
			r := inv.run(h, helperHost, "get")
			if r.code != 0 || strings.Contains(r.stdout, a.Secret) {
				t.Fatalf("account B was served account A's credential:\n%v", r)
			}
			if rep := parseReply(t, r); rep.Secret != onlyCredential(t, b).Password {
				t.Error("account B was not served its own credential")
			}

			for _, tt := range []struct{ name, url, token, want string }{
				{"wrong token", h.srv.URL, "dop_v1_" + strings.Repeat("0", 64), "401 Unauthorized"},
				{"unreachable API, another token", downURL, "dop_v1_" + strings.Repeat("1", 64), "connection refused"},
			} {
				h.set("DIGITALOCEAN_API_URL", tt.url, "DIGITALOCEAN_TOKEN", tt.token)
				r := inv.run(h, helperHost, "get")
				if r.code != 1 || !strings.Contains(r.stdout, tt.want) || strings.Contains(r.stdout+r.stderr, a.Secret) {
					t.Errorf("%s: want exit 1 with %q and no cached credential:\n%v", tt.name, tt.want, r)
				}
			}

			h.set("DIGITALOCEAN_API_URL", h.srv.URL, "DIGITALOCEAN_TOKEN", h.srv.Token)
			if again := parseReply(t, ok(t, inv.run(h, helperHost, "get"))); again != a {
				t.Error("account A's cached credential was not served again")
			}
			if n := len(h.srv.Credentials()); n != 1 {
				t.Errorf("account A minted %d credentials, want 1", n)
			}
			for _, tok := range []string{h.srv.Token, b.Token} {
				if p := findInFiles(t, h.cache, tok); p != "" {
					t.Errorf("%s holds an API token", p)
				}
			}
		})
	}
}

// Issue 22, item 13: a cache file that another user owns, that group or
// others may read or write, or with an expiry later than the helper's
// maximum lifetime (24 hours) from now, is replaced, not read: the
// credential planted in it is not served, a fresh one is minted, and the
// file becomes a 0600 one of the user's own.
func TestCredentialHelperPlantedCacheReplaced(t *testing.T) {
	t.Parallel()
	const planted = "planted-secret-must-not-be-served"
	tests := []struct {
		name   string
		mode   os.FileMode
		owner  int       // 0: the user's own
		expiry time.Time // zero: the real entry's
	}{
		{name: "readable by others", mode: 0o644},
		{name: "readable by group", mode: 0o640},
		{name: "writable by group", mode: 0o620},
		{name: "writable by others", mode: 0o602},
		{name: "owned by another user", mode: 0o600, owner: 4242},
		{name: "expires in 24 hours and a minute", mode: 0o600, expiry: time.Now().Add(24*time.Hour + time.Minute)},
		{name: "expires in ten years", mode: 0o600, expiry: time.Now().AddDate(10, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.owner != 0 && os.Geteuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			h := newHarness(t)
			ok(t, h.helper(helperHost, "get"))
			var cache struct {
				Entries map[string]map[string]any `json:"entries"`
			}
			b, err := os.ReadFile(h.cacheFile())
			if err != nil || json.Unmarshal(b, &cache) != nil || len(cache.Entries) != 1 {
				t.Fatalf("cache after one get: %v\n%s", err, b)
			}
			for _, e := range cache.Entries {
				e["username"], e["password"] = planted, planted
				if !tt.expiry.IsZero() {
					e["expires_at"] = tt.expiry.UTC().Format(time.RFC3339)
				}
			}
			writeFile(t, h.cacheFile(), jsonMarshal(cache))
			if err := os.Chmod(h.cacheFile(), tt.mode); err != nil {
				t.Fatal(err)
			}
			if tt.owner != 0 {
				if err := os.Chown(h.cacheFile(), tt.owner, tt.owner); err != nil {
					t.Fatal(err)
				}
			}

			for _, inv := range helperInvocations {
				r := ok(t, inv.run(h, helperHost, "get"))
				cs := h.srv.Credentials()
				if rep := parseReply(t, r); rep.Secret == planted || rep.Secret != cs[len(cs)-1].Password {
					t.Fatalf("%s served the planted credential, not a fresh one", inv.name)
				}
				if len(cs) != 2 {
					t.Errorf("%s: %d credentials minted, want 2 (the replaced cache is used)", inv.name, len(cs))
				}
			}
			fi, err := os.Lstat(h.cacheFile())
			if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
				t.Fatalf("the cache is not a 0600 file: %v %v", fi, err)
			}
			if uid := fileUID(t, h.cacheFile()); uid != os.Geteuid() {
				t.Errorf("the cache belongs to uid %d", uid)
			}
			if p := findInFiles(t, h.cache, planted); p != "" {
				t.Errorf("%s still holds the planted credential", p)
			}
		})
	}
}

// Issue 20, item 3: what ECR helper users rely on, through every way of
// running the helper. DOCR_HELPER_CACHE=off writes no file and mints per
// get; DOCR_HELPER_CACHE_DIR moves the cache; DOCR_HELPER_LOG gets one line
// per failure, never a secret, in a 0600 file.
func TestCredentialHelperCacheOffDirAndLog(t *testing.T) {
	t.Parallel()
	for _, inv := range helperInvocations {
		t.Run(inv.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.set("DOCR_HELPER_CACHE", "off")
			a := parseReply(t, ok(t, inv.run(h, helperHost, "get")))
			b := parseReply(t, ok(t, inv.run(h, helperHost, "get")))
			ok(t, inv.run(h, helperHost, "erase"))
			if a == b || len(h.srv.Credentials()) != 2 {
				t.Error("with DOCR_HELPER_CACHE=off a credential was reused")
			}
			if ents, err := os.ReadDir(h.cache); err != nil || len(ents) != 0 {
				t.Errorf("files under the cache directory with DOCR_HELPER_CACHE=off: %v %v", ents, err)
			}

			dir := filepath.Join(h.home, "docr-helper-cache")
			h.set("DOCR_HELPER_CACHE", "", "DOCR_HELPER_CACHE_DIR", dir)
			c := parseReply(t, ok(t, inv.run(h, helperHost, "get")))
			if again := parseReply(t, ok(t, inv.run(h, helperHost, "get"))); again != c || len(h.srv.Credentials()) != 3 {
				t.Error("the cache in DOCR_HELPER_CACHE_DIR was not used")
			}
			wantMode(t, dir, 0o700)
			wantMode(t, filepath.Join(dir, "credential-helper.json"), 0o600)
			if p := findInFiles(t, dir, c.Secret); p != filepath.Join(dir, "credential-helper.json") {
				t.Errorf("the credential is in %q", p)
			}

			logFile := filepath.Join(h.home, "helper.log")
			h.set("DOCR_HELPER_LOG", logFile, "DOCR_HELPER_READ_WRITE", "maybe")
			fails(t, inv.run(h, helperHost, "get"), 1, "DOCR_HELPER_READ_WRITE must be true or false")
			h.set("DOCR_HELPER_READ_WRITE", "")
			ok(t, inv.run(h, helperHost, "get"))
			wantMode(t, logFile, 0o600)
			log := readFileString(t, logFile)
			if strings.Count(log, "\n") != 1 || !strings.Contains(log, " docker-credential-docr[") || !strings.HasSuffix(log, "] get: DOCR_HELPER_READ_WRITE must be true or false\n") {
				t.Errorf("log %q", log)
			}
		})
	}
}

// fileUID is the uid that owns path.
func fileUID(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}
