package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangGuard bounds waits on events that should come at once.
const hangGuard = 30 * time.Second

func testEnv(t *testing.T, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	all := map[string]string{
		"XDG_CACHE_HOME": t.TempDir(),
		"XDG_STATE_HOME": t.TempDir(),
		"HOME":           t.TempDir(),
	}
	for k, v := range vars {
		all[k] = v
	}
	var stdout, stderr bytes.Buffer
	return &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return all[k] }}, &stdout, &stderr
}

// blockingReader blocks in Read until released; reading is closed when the
// first Read begins.
type blockingReader struct {
	once             sync.Once
	reading, release chan struct{}
}

func (r *blockingReader) Read([]byte) (int, error) {
	r.once.Do(func() { close(r.reading) })
	<-r.release
	return 0, io.EOF
}

// Issue 12, case 11: a cancelled context (Ctrl-C, SIGTERM: see Run) stops
// docr while it waits for a token on standard input.
func TestTokenFromStdinHonoursCancel(t *testing.T) {
	t.Parallel()
	env, stdout, stderr := testEnv(t, map[string]string{"DIGITALOCEAN_API_URL": "http://127.0.0.1:1"})
	in := &blockingReader{reading: make(chan struct{}), release: make(chan struct{})}
	defer close(in.release)
	env.Stdin = in
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"docr", "--token-file", "-", "docker-config"}, env) }()
	select {
	case <-in.reading:
	case <-time.After(hangGuard):
		t.Fatal("docr did not read standard input")
	}
	cancel(errors.New("interrupted (test)"))
	select {
	case code := <-done:
		if code != exitFail {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(hangGuard):
		t.Fatal("docr still waits for standard input after the context was cancelled")
	}
	if want := "docr: read --token-file: interrupted (test)\n"; stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stderr %q, want %q; stdout %q", stderr, want, stdout)
	}
}
