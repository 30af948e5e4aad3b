package minted_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/internal/minted"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func open(t *testing.T) (*minted.Record, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	r, err := minted.Open(filepath.Join(t.TempDir(), "state", "docr"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

func has(t *testing.T, r *minted.Record, secret string) bool {
	t.Helper()
	ok, err := r.Has(secret)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, c := open(t)
	if has(t, r, "s1") {
		t.Error("an empty record holds s1")
	}
	if _, err := os.Stat(r.Path()); !os.IsNotExist(err) {
		t.Errorf("Has created the record: %v", err)
	}
	if err := r.Add(ctx, "registry.digitalocean.com", "s1", c.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(ctx, "registry.digitalocean.com", "s2", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !has(t, r, "s1") || !has(t, r, "s2") || has(t, r, "s3") {
		t.Error("Has after Add")
	}
	// Fingerprints only, 0600 in 0700.
	b, err := os.ReadFile(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"s1"`) || !strings.Contains(string(b), minted.Fingerprint("s1")) {
		t.Errorf("record:\n%s", b)
	}
	for p, want := range map[string]os.FileMode{r.Path(): 0o600, filepath.Dir(r.Path()): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	// Expired entries are not held, and are dropped by the next update.
	c.add(time.Hour)
	if has(t, r, "s1") || !has(t, r, "s2") {
		t.Error("Has after s1 expired")
	}
	if err := r.Remove(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(r.Path()); strings.Contains(string(b), minted.Fingerprint("s1")) || strings.Contains(string(b), minted.Fingerprint("s2")) {
		t.Errorf("record after expiry and Remove:\n%s", b)
	}
	if err := r.Remove(ctx, "never-added"); err != nil {
		t.Errorf("Remove of an unknown secret: %v", err)
	}
}

// Concurrent updates (two docr processes) lose nothing.
func TestRecordConcurrentAdds(t *testing.T) {
	t.Parallel()
	r, c := open(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := r.Add(context.Background(), "h", "secret-"+string(rune('a'+i)), c.now().Add(time.Hour)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range 20 {
		if !has(t, r, "secret-"+string(rune('a'+i))) {
			t.Errorf("secret %d lost", i)
		}
	}
}

// A corrupt record is an error (nothing is revoked by mistake) that names
// the file and nothing in it.
func TestRecordCorrupt(t *testing.T) {
	t.Parallel()
	r, _ := open(t)
	if err := os.MkdirAll(filepath.Dir(r.Path()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.Path(), []byte(`{"version": 2, "credentials": "hunter2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := r.Has("x")
	if err == nil || !strings.Contains(err.Error(), r.Path()) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Has on a corrupt record: %v", err)
	}
	if err := r.Add(context.Background(), "h", "x", time.Time{}); err == nil {
		t.Error("Add replaced a corrupt record")
	}
}

func TestDir(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	got, err := minted.Dir(env(map[string]string{"XDG_STATE_HOME": "/state"}))
	if err != nil || got != "/state/docr" {
		t.Errorf("Dir with $XDG_STATE_HOME: %q, %v", got, err)
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config directory here")
	}
	for _, v := range []string{"", "relative"} {
		got, err := minted.Dir(env(map[string]string{"XDG_STATE_HOME": v}))
		if err != nil || got != filepath.Join(cfg, "docr") {
			t.Errorf("Dir with XDG_STATE_HOME=%q: %q, %v; want %s", v, got, err, filepath.Join(cfg, "docr"))
		}
	}
	if _, err := minted.Open("relative", nil); err == nil {
		t.Error("Open accepted a relative directory")
	}
}
