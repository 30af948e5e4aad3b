package cli

import (
	"context"
	"github.com/docr-dev/docr/facade"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
