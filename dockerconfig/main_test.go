//go:build unix

package dockerconfig

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/testctx"
	"github.com/docr-dev/docr/internal/testsupport/testguard"
	"go.uber.org/goleak"
)

// Environment switches for child processes (TestMain re-executes the test
// binary with them).
const (
	envChild     = "DOCKERCONFIG_TEST_CHILD"
	envChildHost = "DOCKERCONFIG_TEST_HOST"
)

var (
	origEnv  []string // the environment before TestMain replaced HOME, PATH...
	goTool   string   // the go command, found before PATH is replaced
	scratch  string   // process-wide scratch directory
	buildMu  sync.Mutex
	builtBin string // directory holding the fake helpers, once built
	buildErr error
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(childMain())
	}
	// testguard snapshots the real ~/.docker before HOME is replaced below
	// and fails the run if any test changed it.
	os.Exit(testguard.Main(func() int { return testMain(m) }))
}

func testMain(m *testing.M) int {
	origEnv = os.Environ()
	goTool, _ = exec.LookPath("go")
	var err error
	scratch, err = os.MkdirTemp("", "dockerconfig-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// Safety net for tests that do not call setupEnv (the parallel ones):
	// nothing may reach the real home, Docker config, keychain or helpers.
	for k, v := range map[string]string{
		"HOME":          filepath.Join(scratch, "home"),
		"DOCKER_CONFIG": filepath.Join(scratch, "docker"),
		"PATH":          filepath.Join(scratch, "emptybin"),
	} {
		_ = os.MkdirAll(v, 0o700)
		_ = os.Setenv(k, v)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	_ = os.RemoveAll(scratch)
	return code
}

// childMain runs in a re-executed test binary: it stores one credential for
// $DOCKERCONFIG_TEST_HOST in the config chosen by the environment.
func childMain() int {
	w, err := New(Options{LockTimeout: time.Minute})
	if err == nil {
		_, err = w.Store(context.Background(), facade.Credential{Host: os.Getenv(envChildHost), Username: "user", Secret: "pw-" + os.Getenv(envChildHost)})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// fakeHelpers builds testdata/fakehelper once and installs it as
// docker-credential-fake and docker-credential-other in a directory that
// tests put alone in PATH.
func fakeHelpers(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtBin == "" && buildErr == nil {
		dir := filepath.Join(scratch, "helpers")
		bin := filepath.Join(dir, "docker-credential-fake")
		cmd := exec.Command(goTool, "build", "-o", bin, "./testdata/fakehelper")
		cmd.Env = origEnv
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the fake helper: %v\n%s", err, out)
		} else if err := os.Link(bin, filepath.Join(dir, "docker-credential-other")); err != nil {
			buildErr = err
		} else {
			builtBin = dir
		}
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// testEnv is the isolated environment of one test.
type testEnv struct {
	dir     string // DOCKER_CONFIG
	cfg     string // dir/config.json
	helpers string // FAKEHELPER_DIR
	logs    *syncBuffer
}

// setupEnv points HOME and DOCKER_CONFIG at temporary directories and PATH at
// the fake helpers only. Tests calling it cannot be parallel.
func setupEnv(t *testing.T) *testEnv {
	t.Helper()
	bin := fakeHelpers(t)
	e := &testEnv{dir: t.TempDir(), helpers: t.TempDir(), logs: new(syncBuffer)}
	e.cfg = filepath.Join(e.dir, "config.json")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", e.dir)
	t.Setenv("PATH", bin)
	t.Setenv("FAKEHELPER_DIR", e.helpers)
	t.Setenv("FAKEHELPER_MODE", "")
	t.Setenv("FAKEHELPER_MODE_fake", "")
	t.Setenv("FAKEHELPER_MODE_other", "")
	return e
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newWriter returns a Writer for dir logging at debug level into logs.
func newWriter(t testing.TB, dir string, logs *syncBuffer, opts ...func(*Options)) *Writer {
	t.Helper()
	o := Options{Dir: dir}
	if logs != nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, f := range opts {
		f(&o)
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func writeFile(t testing.TB, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// parseConfig decodes a config file for assertions.
func parseConfig(t testing.TB, content string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(content), &m); err != nil {
		t.Fatalf("config is not valid JSON: %v\n%s", err, content)
	}
	return m
}

// authsOf returns the auths object of a config.
func authsOf(t testing.TB, content string) map[string]any {
	t.Helper()
	a, _ := parseConfig(t, content)["auths"].(map[string]any)
	return a
}

// helperStore reads a fake helper's store.
func (e *testEnv) helperStore(t testing.TB, name string) map[string]struct{ Username, Secret string } {
	t.Helper()
	m := map[string]struct{ Username, Secret string }{}
	b, err := os.ReadFile(filepath.Join(e.helpers, name+".json"))
	if err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// calls returns the fake helpers' call log lines.
func (e *testEnv) calls(t testing.TB) []string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(e.helpers, "calls.log"))
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(b)), " ", "_"))
}

// dirNames lists a directory's entry names.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// assertNoTemp fails if a temporary file was left in dir.
func assertNoTemp(t testing.TB, dir string) {
	t.Helper()
	for _, n := range dirNames(t, dir) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temporary file %s left in %s", n, dir)
		}
	}
}

// hangSignal makes w's helpers' stderr go to a writer that reports, on the
// returned channel, each time a fake helper in hang mode says it is hanging.
// Output before that goes on to the previous stderr writer.
func hangSignal(w *Writer) <-chan struct{} {
	hanging := make(chan struct{}, 1)
	w.helperStderr = &hangWatcher{next: w.helperStderr, hanging: hanging}
	return hanging
}

// hangWatcher is the stderr writer of hangSignal.
type hangWatcher struct {
	next    io.Writer
	hanging chan<- struct{}
}

func (h *hangWatcher) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("fakehelper: hanging")) {
		select {
		case h.hanging <- struct{}{}:
		default:
		}
	}
	return h.next.Write(p)
}

// expireOnHang replaces w's helper timeout by one that passes when a fake
// helper in hang mode has started hanging, never earlier: a test of the
// timeout does not depend on how fast the machine starts processes, and a
// helper that is not meant to hang is never killed for being slow.
func expireOnHang(w *Writer) {
	hanging := hangSignal(w)
	w.helperDeadline = func(parent context.Context, _ time.Duration) (context.Context, context.CancelFunc) {
		d := testctx.WithDeadline(parent)
		go func() {
			select {
			case <-hanging:
				d.Expire()
			case <-d.Done():
			}
		}()
		return d, d.Stop
	}
}

// within runs f and fails the test if it has not returned within the hang
// guard; f must not call t.Fatal.
func within[T any](t testing.TB, what string, f func() T) T {
	t.Helper()
	return testctx.Within(t.Fatal, what, f)
}
