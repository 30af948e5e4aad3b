//go:build unix

package facade

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The one token rule: $DOCR_TOKEN_FILE, then $DIGITALOCEAN_TOKEN, then
// $DIGITALOCEAN_ACCESS_TOKEN; a file that group or others may access is
// refused; a pipe is read as a stream.
func TestTokenFromEnv(t *testing.T) {
	t.Parallel()
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
	private := write("private", "  "+testToken+"  \nsecond line\n", 0o600)
	readOnly := write("readonly", testToken, 0o400)
	groupReadable := write("group", testToken+"\n", 0o640)
	worldWritable := write("world", testToken+"\n", 0o602)
	empty := write("empty", "\n\n", 0o600)
	long := write("long", strings.Repeat("a", MaxTokenFileLine+1), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, _ = f.WriteString(testToken + "\n")
			f.Close()
		}
	}()
	tests := []struct {
		name        string
		env         map[string]string
		tok, source string
		err         string
	}{
		{"file first", map[string]string{EnvTokenFile: private, EnvToken: "env-token"}, testToken, private, ""},
		{"read-only file", map[string]string{EnvTokenFile: readOnly}, testToken, readOnly, ""},
		{"a pipe", map[string]string{EnvTokenFile: fifo}, testToken, fifo, ""},
		{"DIGITALOCEAN_TOKEN", map[string]string{EnvToken: testToken, EnvAccessToken: "other"}, testToken, "$DIGITALOCEAN_TOKEN", ""},
		{"blank DIGITALOCEAN_TOKEN", map[string]string{EnvToken: "  ", EnvAccessToken: testToken}, testToken, "$DIGITALOCEAN_ACCESS_TOKEN", ""},
		{"group-readable file", map[string]string{EnvTokenFile: groupReadable, EnvToken: "x"}, "", "", "$DOCR_TOKEN_FILE: docr: token file " + groupReadable + " has mode 0640: group or others may read or write it; chmod 600 it"},
		{"world-writable file", map[string]string{EnvTokenFile: worldWritable}, "", "", "has mode 0602"},
		{"empty file", map[string]string{EnvTokenFile: empty}, "", "", "token file " + empty + ": holds no token"},
		{"long line", map[string]string{EnvTokenFile: long}, "", "", "the first line is longer than 64 KiB"},
		{"directory", map[string]string{EnvTokenFile: dir}, "", "", "is a directory"},
		{"missing", map[string]string{EnvTokenFile: filepath.Join(dir, "nope")}, "", "", "no such file or directory"},
		{"none", map[string]string{}, "", "", "docr: no API token: set DOCR_TOKEN_FILE, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"},
	}
	for _, tt := range tests {
		tok, source, err := TokenFromEnv(envOf(tt.env))
		switch {
		case tt.err == "" && (err != nil || tok != tt.tok || source != tt.source):
			t.Errorf("%s: %q from %q, %v", tt.name, tok, source, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.err)
		case err != nil:
			assertNoSecret(t, err.Error())
		}
	}
	if _, _, err := TokenFromEnv(envOf(nil)); !errors.Is(err, ErrNoToken) {
		t.Errorf("no token: %v", err)
	}
}

func TestRegistryHostFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct{ v, want, err string }{
		{"", DefaultRegistryHost, ""},
		{"  ", DefaultRegistryHost, ""},
		{" Registry.Example.TEST ", "registry.example.test", ""},
		{"127.0.0.1:8080", "127.0.0.1:8080", ""},
		{"regiſtry.digitalocean.com", "", "$DOCR_REGISTRY_HOST: invalid registry host"},
		{"a b", "", "invalid registry host"},
	}
	for _, tt := range tests {
		got, err := RegistryHostFromEnv(envOf(map[string]string{EnvRegistryHost: tt.v}))
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: %q, %v", tt.v, got, err)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, err string }{
		{"https://api.digitalocean.com", ""},
		{" http://127.0.0.1:8080/prefix ", ""},
		{"", "empty URL"},
		{"ftp://x", "scheme must be http or https"},
		{"api.digitalocean.com", "scheme must be http or https"},
		{"https://", "URL has no host"},
		{"https://user:dop_v1_secret@api.example", "URL must not contain user info"},
		{"https://api.example?token=dop_v1_secret", "URL must not have a query"},
		{"https://api.example#dop_v1_secret", "URL must not have a fragment"},
		{"https://api.example/%zz", "not a valid URL"},
	}
	for _, tt := range tests {
		u, err := CheckEndpoint(tt.raw)
		switch {
		case tt.err == "" && (err != nil || u == nil):
			t.Errorf("%q: %v", tt.raw, err)
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("%q: err = %v, want %q", tt.raw, err, tt.err)
		case err != nil && strings.Contains(err.Error(), "dop_v1_secret"):
			t.Errorf("%q: error repeats the URL", tt.raw)
		}
	}
}
