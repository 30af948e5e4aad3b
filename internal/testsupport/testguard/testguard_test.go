package testguard

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeHome points HOME, DOCKER_CONFIG and XDG_CACHE_HOME at temporary
// directories, so that the guard's own tests watch files they own.
func fakeHome(t *testing.T) (home, dockerDir, cacheDir string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "xdg-cache"))
	return home, filepath.Join(home, ".docker"), filepath.Join(home, "xdg-cache", "docr")
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotGuardsTheRealLocations(t *testing.T) {
	home, dockerDir, cacheDir := fakeHome(t)
	other := filepath.Join(home, "elsewhere")
	t.Setenv("DOCKER_CONFIG", other)
	got := Snapshot().Paths()
	for _, want := range []string{
		dockerDir, filepath.Join(dockerDir, "config.json"), filepath.Join(dockerDir, "config.json.lock"),
		other, filepath.Join(other, "config.json"), filepath.Join(other, "config.json.lock"),
		cacheDir, filepath.Join(cacheDir, "credential-helper.json"),
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Snapshot does not guard %s (guards %v)", want, got)
		}
	}
}

// Every kind of change to a guarded path is reported, naming the path.
func TestVerifyDetectsChanges(t *testing.T) {
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	tests := []struct {
		name   string
		before func(t *testing.T, dockerDir, cacheDir string)
		change func(t *testing.T, dockerDir, cacheDir string)
		path   string // relative to the docker dir, or "cache/..." for the cache
	}{
		{"config created", nil, func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{}`, 0o600)
		}, "config.json"},
		{"content changed, same size and mtime", func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{"auths":{"a":{}}}`, 0o600)
			_ = os.Chtimes(filepath.Join(d, "config.json"), old, old)
		}, func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{"auths":{"b":{}}}`, 0o600)
			_ = os.Chtimes(filepath.Join(d, "config.json"), old, old)
		}, "config.json"},
		{"mode changed", func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{}`, 0o600)
		}, func(t *testing.T, d, _ string) {
			_ = os.Chmod(filepath.Join(d, "config.json"), 0o644)
		}, "config.json"},
		{"config removed", func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{}`, 0o600)
		}, func(t *testing.T, d, _ string) {
			_ = os.Remove(filepath.Join(d, "config.json"))
		}, "config.json"},
		{"config replaced by a symbolic link", func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{}`, 0o600)
		}, func(t *testing.T, d, _ string) {
			_ = os.Remove(filepath.Join(d, "config.json"))
			_ = os.Symlink("/dev/null", filepath.Join(d, "config.json"))
		}, "config.json"},
		{"lock file created", func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{}`, 0o600)
		}, func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json.lock"), ``, 0o600)
		}, "config.json.lock"},
		{"temporary file left in the directory", func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, "config.json"), `{}`, 0o600)
		}, func(t *testing.T, d, _ string) {
			write(t, filepath.Join(d, ".config.json.tmp-123"), `{}`, 0o600)
		}, "."},
		{"helper cache written", nil, func(t *testing.T, _, c string) {
			write(t, filepath.Join(c, "credential-helper.json"), `{"entries":{}}`, 0o600)
		}, "cache/credential-helper.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dockerDir, cacheDir := fakeHome(t)
			if tt.before != nil {
				tt.before(t, dockerDir, cacheDir)
			}
			g := Snapshot()
			if err := g.Verify(); err != nil {
				t.Fatalf("Verify before any change: %v", err)
			}
			tt.change(t, dockerDir, cacheDir)
			err := g.Verify()
			if err == nil {
				t.Fatal("Verify reported no change")
			}
			want := filepath.Join(dockerDir, tt.path)
			if p, ok := strings.CutPrefix(tt.path, "cache/"); ok {
				want = filepath.Join(cacheDir, p)
			}
			if !strings.Contains(err.Error(), want+": was ") {
				t.Errorf("error does not name %s:\n%v", want, err)
			}
		})
	}
}

// Main turns a passing run that changed a guarded file into exit code 1
// with a message, keeps a failing run's code, and stays silent otherwise.
func TestMainFailsTheRun(t *testing.T) {
	_, dockerDir, _ := fakeHome(t)
	var out bytes.Buffer
	stderr = &out
	t.Cleanup(func() { stderr = os.Stderr })

	if code := Main(func() int { return 0 }); code != 0 || out.Len() != 0 {
		t.Errorf("clean run: code %d, output %q", code, out.String())
	}
	if code := Main(func() int { return 3 }); code != 3 || out.Len() != 0 {
		t.Errorf("failing clean run: code %d, output %q", code, out.String())
	}
	code := Main(func() int {
		write(t, filepath.Join(dockerDir, "config.json"), `{"auths":{}}`, 0o600)
		return 0
	})
	if code != 1 || !strings.Contains(out.String(), "testguard: FAIL") || !strings.Contains(out.String(), filepath.Join(dockerDir, "config.json")) {
		t.Errorf("run that wrote the real config: code %d, output %q", code, out.String())
	}
	out.Reset()
	code = Main(func() int {
		write(t, filepath.Join(dockerDir, "config.json"), `{"auths":{"x":{}}}`, 0o600)
		return 2
	})
	if code != 2 || !strings.Contains(out.String(), "testguard: FAIL") {
		t.Errorf("failing run that wrote the real config: code %d, output %q", code, out.String())
	}
}

func TestSnapshotPathsDeduplicates(t *testing.T) {
	dir := t.TempDir()
	g := SnapshotPaths(dir, dir+"/", filepath.Join(dir, "x", ".."))
	if got := g.Paths(); len(got) != 1 || got[0] != dir {
		t.Errorf("Paths = %v", got)
	}
	if err := g.Verify(); err != nil {
		t.Error(err)
	}
}
