package cli

import (
	"context"
	"encoding/json"
	"github.com/docr-dev/docr/facade"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// credentialsAPI is an API that mints a credential for
// registry.digitalocean.com on every docker-credentials call, counting them.
func credentialsAPI(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var mints atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/docker-credentials") {
			http.NotFound(w, r)
			return
		}
		mints.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"auths": map[string]any{
			"registry.digitalocean.com": map[string]string{"auth": "dXNlcjpNSU5URUQtU0VDUkVU"}, // user:MINTED-SECRET
		}})
	}))
	t.Cleanup(srv.Close)
	return srv, &mints
}

// Issue 12, case 13: a cache directory that is a symbolic link (to a shared
// 1777 directory, say) is refused; the link's target is not chmodded and
// receives no credential.
func TestHelperRefusesSymlinkedCacheDir(t *testing.T) {
	t.Parallel()
	srv, _ := credentialsAPI(t)
	cache, shared := t.TempDir(), t.TempDir()
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shared, filepath.Join(cache, "docr")); err != nil {
		t.Fatal(err)
	}
	env, stdout, stderr := testEnv(t, map[string]string{
		"DIGITALOCEAN_TOKEN": "test-token", "DIGITALOCEAN_API_URL": srv.URL, "XDG_CACHE_HOME": cache,
	})
	env.Stdin = strings.NewReader("registry.digitalocean.com")
	code := Main(context.Background(), []string{"docker-credential-docr", "get"}, env)
	if code == exitOK || !strings.Contains(stdout.String()+stderr.String(), "is a symbolic link; docr keeps credentials only in a directory of its own") {
		t.Errorf("exit %d, stdout %q, stderr %q; want a refusal naming the link", code, stdout, stderr)
	}
	if strings.Contains(stdout.String()+stderr.String(), "MINTED-SECRET") {
		t.Error("the credential was printed")
	}
	fi, err := os.Stat(shared)
	if err != nil || fi.Mode().Perm() != 0o777 || fi.Mode()&os.ModeSticky == 0 {
		t.Errorf("the shared directory's mode changed: %v %v", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(shared); len(ents) != 0 {
		t.Errorf("files written into the shared directory: %v", ents)
	}
}

// Issue 12, case 15: a helper cache over maxCacheSize is never parsed; the
// helper says so on stderr, mints as without a cache and replaces the file
// with a small one.
func TestHelperIgnoresOversizedCache(t *testing.T) {
	t.Parallel()
	srv, mints := credentialsAPI(t)
	cache := t.TempDir()
	p := filepath.Join(cache, "docr", "credential-helper.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxCacheSize + 1); err != nil { // sparse
		t.Fatal(err)
	}
	_ = f.Close()
	env, stdout, stderr := testEnv(t, map[string]string{
		"DIGITALOCEAN_TOKEN": "test-token", "DIGITALOCEAN_API_URL": srv.URL, "XDG_CACHE_HOME": cache,
	})
	env.Stdin = strings.NewReader("registry.digitalocean.com")
	if code := Main(context.Background(), []string{"docker-credential-docr", "get"}, env); code != exitOK {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if want := "docr: ignoring the credential helper cache " + p + ": file too large: 1048577 bytes, more than 1048576\n"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if mints.Load() != 1 || !strings.Contains(stdout.String(), `"Secret":"MINTED-SECRET"`) {
		t.Errorf("mints %d, stdout %q", mints.Load(), stdout)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() > 4096 {
		t.Errorf("the cache was not replaced by a small one: %v", err)
	}
}

// Issue 12, cases 15 and 16: a token longer than the limit is an error, not
// cut; a token file that group or others can read gets one warning line,
// without the token; so does a plain-http API URL to a non-loopback host.
func TestTokenFileLimitsAndWarnings(t *testing.T) {
	t.Parallel()
	const token = "dop_v1_SECRET-TOKEN-0123456789"
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	private := write("private", token+"\n", 0o600)
	readable := write("readable", token+"\n", 0o644)
	long := write("long", strings.Repeat("a", facade.MaxTokenFileLine+1), 0o600)
	exact := write("exact", strings.Repeat("a", facade.MaxTokenFileLine)+"\n", 0o600)
	tests := []struct {
		name, file, apiURL string
		wantErr, wantWarn  string
	}{
		{"private file", private, "http://127.0.0.1:1", "", ""},
		{"readable by others", readable, "http://127.0.0.1:1", "token file " + readable + " has mode 0644: group or others may read or write it; chmod 600 it", ""},
		{"longer than the limit", long, "", "the first line is longer than 64 KiB", ""},
		{"exactly the limit", exact, "http://[::1]:1", "", ""},
		{"plain http to another host", private, "http://api.example.com", "", "Warning: the API URL is plain http to api.example.com, not a loopback address: the API token crosses the network unencrypted\n"},
		{"plain http to localhost", private, "http://localhost:1", "", ""},
		{"https", private, "https://api.example.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _, stderr := testEnv(t, nil)
			a := &app{env: env, tokenFile: tt.file, apiURL: tt.apiURL, timeout: 30 * time.Second}
			var err error
			if tt.apiURL != "" {
				_, err = a.client(context.Background())
			} else {
				_, err = a.readToken(context.Background())
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if stderr.String() != tt.wantWarn {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantWarn)
			}
			if err != nil && strings.Contains(err.Error(), token) || strings.Contains(stderr.String(), token) {
				t.Error("the token was printed")
			}
		})
	}
}
