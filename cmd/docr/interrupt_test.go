//go:build unix

package main_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hangGuard bounds every wait of these tests for an event that should come
// at once: a hang guard, far above what the work needs.
const hangGuard = 60 * time.Second

// waitFor fails the test unless ch delivers within hangGuard.
func waitFor[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("%s: nothing within %s (hang)", what, hangGuard)
		var zero T
		return zero
	}
}

// TestLogoutInterruptedDuringRevocation (issue 22, item 6): Ctrl-C (a real
// SIGINT to a real docr) while logout's revocation request is in flight,
// after the entry was removed from config.json. The test holds the request
// at the revocation endpoint until docr has been interrupted; docr must
// not give up on it (that would leave a valid credential that no command
// can find): it says it finishes the revocation first, and once the
// endpoint answers the credential is revoked and forgotten.
func TestLogoutInterruptedDuringRevocation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ok(t, h.docr("login"))
	c := onlyCredential(t, h.srv)

	// The revocation endpoint: the fake's, behind a gate that holds each
	// request until released, or drops it if docr gives up first.
	fake, err := url.Parse(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(fake) }}
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
			proxy.ServeHTTP(w, r)
		case <-r.Context().Done(): // docr gave up: nothing is revoked
		}
	}))
	t.Cleanup(gate.Close)
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(open) // runs before gate.Close
	h.set("DOCR_REVOKE_URL", gate.URL+"/v1/oauth/revoke")

	cmd := exec.Command(filepath.Join(binDir, "docr"), "logout")
	cmd.Env, cmd.Dir = h.environ(), h.home
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// stderr, line by line; the channel closes when docr has exited.
	lines := make(chan string, 16)
	var stderr strings.Builder
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	waitFor(t, "the revocation request", arrived)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for waiting := true; waiting; {
		select {
		case line, more := <-lines:
			if !more {
				t.Errorf("docr exited on SIGINT without finishing the revocation (stderr %q)", stderr.String())
				waiting = false
				break
			}
			stderr.WriteString(line + "\n")
			waiting = !strings.Contains(line, "interrupted; finishing the revocation first")
		case <-time.After(hangGuard):
			t.Fatalf("docr neither finished nor said anything %s after SIGINT (stderr %q)", hangGuard, stderr.String())
		}
	}
	open()
	for line := range lines {
		stderr.WriteString(line + "\n")
	}
	err = cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}

	revoked := onlyCredential(t, h.srv).Revoked
	findable := strings.Contains(readFileIfAny(t, filepath.Join(h.docker, "config.json")), b64(c.Username+":"+c.Password))
	if !revoked && !findable {
		t.Fatalf("a valid credential that no command can find: neither revoked nor in config.json (exit %d, stdout %q, stderr %q)", code, stdout.String(), stderr.String())
	}
	if !revoked || code != 0 {
		t.Errorf("exit %d, revoked %v; want the revocation finished and exit 0 (stdout %q, stderr %q)", code, revoked, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Revoked the credential for "+helperHost) {
		t.Errorf("stdout %q", stdout.String())
	}
	if fps := recordedFingerprints(t, h); len(fps) != 0 {
		t.Errorf("the record still holds %d credentials", len(fps))
	}
	if strings.Contains(stdout.String()+stderr.String(), c.Password) {
		t.Error("the output holds the credential")
	}
}

// readFileIfAny is the file's content, "" when it does not exist.
func readFileIfAny(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// orphanStoreScript is docker-credential-orphanstore: its store starts a
// child that ignores SIGINT, SIGTERM and SIGHUP and never ends by itself
// (it waits on a FIFO nobody writes), which inherits the store's stderr,
// says so there, gives the store its pid, and holds the FIFO
// $BLOCK_DIR/alive open for writing while it lives. The store announces the
// child's pid on $BLOCK_DIR/reached and hangs. Shell built-ins and /bin/sh
// only (PATH holds no system directory).
const orphanStoreScript = `#!/bin/sh
case "$1" in
get) echo "credentials not found in native keychain"; exit 1 ;;
store)
	while read -r line; do :; done
	/bin/sh -c 'trap "" INT TERM HUP
		echo "orphan: started, holding stderr" >&2
		echo $$ > "$BLOCK_DIR/pid"
		exec 3> "$BLOCK_DIR/alive"
		read -r x < "$BLOCK_DIR/never"' &
	read -r pid < "$BLOCK_DIR/pid"
	echo "$pid" > "$BLOCK_DIR/reached"
	read -r line < "$BLOCK_DIR/release"
	exit 0 ;;
*) exit 1 ;;
esac
`

// TestLoginInterruptedStoreChildDoesNotHoldOutput (issue 22, item 16): docr
// login runs under a pipe, as in "docr login 2>&1 | tee log" (stdout and
// stderr on one pipe the test reads), with a credential store whose child
// does not end with it. SIGINT while the store hangs: docr revokes the
// minted credential and exits 130, the whole store process group is
// killed, and the pipe reaches end-of-file at once instead of when the
// orphan would end (never). The child's stderr reached the pipe through
// docr. The test waits on events: the store's announcement, the pipe's
// end-of-file, the end-of-file of the FIFO the child holds.
func TestLoginInterruptedStoreChildDoesNotHoldOutput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := t.TempDir()
	storeBin := filepath.Join(dir, "bin")
	writeFile(t, filepath.Join(storeBin, "docker-credential-orphanstore"), orphanStoreScript)
	if err := os.Chmod(filepath.Join(storeBin, "docker-credential-orphanstore"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pid", "alive", "never", "reached", "release"} {
		mkfifo(t, filepath.Join(dir, f))
	}
	t.Cleanup(func() {
		// Whatever happened, no orphan outlives the test.
		if b, err := os.ReadFile(filepath.Join(dir, "orphan.pid")); err == nil {
			if pid, err := strconv.Atoi(string(b)); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	h.path = append(h.path, storeBin)
	h.set("BLOCK_DIR", dir)
	writeFile(t, filepath.Join(h.docker, "config.json"), `{"credsStore": "orphanstore"}`)

	// One pipe for stdout and stderr, as a shell's 2>&1 | tee.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd := exec.Command(filepath.Join(binDir, "docr"), "login")
	cmd.Env, cmd.Dir = h.environ(), h.home
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var output bytes.Buffer
	eof := make(chan error, 1)
	go func() { _, err := io.Copy(&output, pr); eof <- err }()

	// The store has started its child, which is alive.
	f := openWithin(t, filepath.Join(dir, "reached"), os.O_RDONLY)
	line, _ := bufio.NewReader(f).ReadString('\n')
	f.Close()
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("store said %q", line)
	}
	if err := os.WriteFile(filepath.Join(dir, "orphan.pid"), []byte(strconv.Itoa(pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	alive := openWithin(t, filepath.Join(dir, "alive"), os.O_RDONLY)
	defer alive.Close()

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-eof:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hangGuard):
		t.Fatalf("the output pipe was still open %s after SIGINT: the store's child holds it (output so far %q)", hangGuard, output.String())
	}
	code := waitCode(t, cmd, &output)
	if code != 130 {
		t.Errorf("exit %d, want 130 (output %q)", code, output.String())
	}
	orphanEnd := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, alive); orphanEnd <- err }()
	if err := waitFor(t, "the end of the store's child (end-of-file on its FIFO)", orphanEnd); err != nil {
		t.Fatal(err)
	}
	out := output.String()
	for _, want := range []string{"orphan: started, holding stderr", "the minted credential was revoked"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q: %q", want, out)
		}
	}
	c := onlyCredential(t, h.srv)
	if !c.Revoked {
		t.Error("the credential minted before SIGINT is still valid")
	}
	if strings.Contains(out, c.Password) {
		t.Error("the output holds the credential")
	}
}
