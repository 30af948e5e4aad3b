//go:build unix

package dockerconfig

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
)

// TestHelperGroupEndsWithTheCall (issue 22, item 16): a credential store
// that starts a child which does not end with it (the child inherits the
// store's stderr and sleeps for an hour), then hangs. When the caller's
// context ends, the whole process group goes: the child dies too (the FIFO
// it holds open reports end-of-file), the call returns the context's error,
// and what the child wrote on stderr reached Options.HelperStderr through
// docr's pipe.
func TestHelperGroupEndsWithTheCall(t *testing.T) {
	e := setupEnv(t)
	t.Setenv("FAKEHELPER_MODE", "orphan-hang")
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	alive := filepath.Join(e.helpers, "alive")
	if err := syscall.Mkfifo(alive, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killPidFile(filepath.Join(e.helpers, "orphan.pid")) })
	var stderr syncBuffer
	w := newWriter(t, "", nil, func(o *Options) { o.HelperStderr = &stderr })
	hanging := hangSignal(w)
	c := testctx.WithDeadline(ctx)
	defer c.Stop()
	done := make(chan error, 1)
	go func() { _, _, err := w.Lookup(c, "h.example"); done <- err }()

	// The child holds the FIFO open for writing while it lives.
	r := within(t, "the child opening its FIFO", func() *os.File {
		f, err := os.OpenFile(alive, os.O_RDONLY, 0)
		if err != nil {
			t.Error(err)
		}
		return f
	})
	if r == nil {
		t.FailNow()
	}
	defer r.Close()
	within(t, "the store hanging", func() struct{} { <-hanging; return struct{}{} })
	c.Expire()
	err := within(t, "Lookup", func() error { return <-done })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lookup: err = %v, want the caller's deadline", err)
	}
	within(t, "the child's end (end-of-file on its FIFO)", func() error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !strings.Contains(stderr.String(), "fakehelper: child alive") {
		t.Errorf("the child's stderr did not reach HelperStderr: %q", stderr.String())
	}
}

// TestHelperStderrBounded (issue 22, item 16): a helper's stderr is
// forwarded up to 64 KiB, then one line says the rest was dropped; the
// helper is not failed for writing more.
func TestHelperStderrBounded(t *testing.T) {
	e := setupEnv(t)
	t.Setenv("FAKEHELPER_MODE", "stderr-flood")
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	var stderr syncBuffer
	w := newWriter(t, "", nil, func(o *Options) { o.HelperStderr = &stderr })
	if _, err := w.Store(ctx, doCred); err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("e", maxHelperStderr) + "\n[docr: the rest of the credential helper's standard error was dropped]\n"
	if got := stderr.String(); got != want {
		t.Errorf("HelperStderr got %d bytes (%q...), want %d", len(got), got[:min(len(got), 40)], len(want))
	}
}

// TestHelperEnvironmentWithoutAPIToken (issue 22, item 15): credential
// stores and helpers run without the variables that hold or name the API
// token; docr's own helper, docker-credential-docr, keeps them (it mints
// with that token). Everything else is passed on.
func TestHelperEnvironmentWithoutAPIToken(t *testing.T) {
	e := setupEnv(t)
	// docker-credential-docr: the fake helper under docr's helper's name.
	bin := t.TempDir()
	if err := os.Link(filepath.Join(fakeHelpers(t), "docker-credential-fake"), filepath.Join(bin, "docker-credential-docr")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fakeHelpers(t)+string(os.PathListSeparator)+bin)
	t.Setenv("FAKEHELPER_MODE", "env")
	tokenVars := []string{facade.EnvToken, facade.EnvAccessToken, facade.EnvTokenFile}
	for _, k := range tokenVars {
		t.Setenv(k, "dop_v1_secret_"+k)
	}
	t.Setenv("DOCR_TEST_KEPT", "kept")
	writeFile(t, e.cfg, `{"credsStore":"fake","credHelpers":{"d.example":"docr"}}`, 0o600)
	w := newWriter(t, "", nil)
	if _, err := w.Store(ctx, doCred); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Lookup(ctx, doCred.Host); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Lookup(ctx, "d.example"); err != nil {
		t.Fatal(err)
	}
	names := func(file string) []string {
		b, err := os.ReadFile(filepath.Join(e.helpers, file))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(b))
	}
	for _, file := range []string{"env-fake-get", "env-fake-store"} {
		got := names(file)
		for _, k := range tokenVars {
			if slices.Contains(got, k) {
				t.Errorf("%s: the store ran with $%s", file, k)
			}
		}
		for _, k := range []string{"DOCR_TEST_KEPT", "FAKEHELPER_DIR", "PATH", "HOME"} {
			if !slices.Contains(got, k) {
				t.Errorf("%s: $%s was not passed on", file, k)
			}
		}
	}
	got := names("env-docr-get")
	for _, k := range append(tokenVars, "DOCR_TEST_KEPT") {
		if !slices.Contains(got, k) {
			t.Errorf("docker-credential-docr ran without $%s", k)
		}
	}
}

// killPidFile kills the process whose pid the file holds, if any.
func killPidFile(path string) {
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
