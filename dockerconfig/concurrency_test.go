//go:build unix

package dockerconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
	"github.com/gofrs/flock"
)

// TestConcurrentStores: 20 goroutines and 5 processes each add a different
// host to the same config at once; the lock makes every entry survive.
func TestConcurrentStores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{"currentContext":"keep"}`, 0o600)

	const goroutines, processes = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines+processes)
	start := make(chan struct{})
	for i := range processes {
		host := fmt.Sprintf("proc%d.example", i)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"=store", envChildHost+"="+host, "DOCKER_CONFIG="+dir)
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("%s: %v: %s", host, err, out.String())
			}
		})
	}
	for i := range goroutines {
		wg.Go(func() {
			<-start
			w, err := New(Options{Dir: dir, LockTimeout: time.Minute})
			if err == nil {
				_, err = w.Store(context.Background(), facade.Credential{Host: fmt.Sprintf("g%d.example", i), Username: "user", Secret: fmt.Sprintf("pw-%d", i)})
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	content := readFile(t, cfg)
	auths := authsOf(t, content)
	if len(auths) != goroutines+processes {
		t.Errorf("%d hosts, want %d:\n%s", len(auths), goroutines+processes, content)
	}
	for i := range goroutines {
		if e, _ := auths[fmt.Sprintf("g%d.example", i)].(map[string]any); e["auth"] != b64(fmt.Sprintf("user:pw-%d", i)) {
			t.Errorf("g%d: %v", i, e)
		}
	}
	for i := range processes {
		if e, _ := auths[fmt.Sprintf("proc%d.example", i)].(map[string]any); e["auth"] != b64(fmt.Sprintf("user:pw-proc%d.example", i)) {
			t.Errorf("proc%d: %v", i, e)
		}
	}
	if parseConfig(t, content)["currentContext"] != "keep" {
		t.Error("currentContext lost")
	}
	assertNoTemp(t, dir)
}

// TestLockTimeout: a lock held elsewhere makes every operation fail after
// LockTimeout with an error naming the lock file; nothing is written.
func TestLockTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{}`, 0o600)
	held := flock.New(cfg + ".lock")
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = held.Unlock() }()
	w := newWriter(t, dir, nil, func(o *Options) { o.LockTimeout = 150 * time.Millisecond })
	for name, run := range map[string]func() error{
		"Store":         func() error { _, err := w.Store(ctx, doCred); return err },
		"Lookup":        func() error { _, _, err := w.Lookup(ctx, "h"); return err },
		"Remove":        func() error { _, err := w.Remove(ctx, "h"); return err },
		"SetCredHelper": func() error { return w.SetCredHelper(ctx, "h", "x") },
	} {
		start := time.Now()
		err := run()
		if name == "SetCredHelper" {
			// Checked before locking: the helper does not exist.
			if err == nil {
				t.Errorf("%s: no error", name)
			}
			continue
		}
		if !errors.Is(err, ErrLockTimeout) || !strings.Contains(err.Error(), cfg+".lock") {
			t.Errorf("%s: err = %v", name, err)
		}
		if d := time.Since(start); d < 150*time.Millisecond || d > testctx.HangGuard {
			t.Errorf("%s: waited %s", name, d)
		}
	}
	if readFile(t, cfg) != `{}` {
		t.Error("written without the lock")
	}
	// Released: the next Store succeeds.
	_ = held.Unlock()
	if _, err := w.Store(ctx, doCred); err != nil {
		t.Error(err)
	}
}
