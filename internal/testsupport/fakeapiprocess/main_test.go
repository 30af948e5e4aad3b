package fakeapiprocess

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// bin holds the programs TestMain builds: docr and the conformance suite.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "docr-fakeapiprocess-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	bin = dir
	for _, args := range [][]string{
		{"build", "-o", filepath.Join(dir, "docr"), "github.com/docr-dev/docr/cmd/docr"},
		{"test", "-c", "-o", filepath.Join(dir, "conformance.test"), "github.com/opencontainers/distribution-spec/conformance"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
			return 2
		}
	}
	return m.Run()
}

// fake is a running "docr fake-api" process.
type fake struct {
	t      *testing.T
	cmd    *exec.Cmd
	env    []string // the environment of docr commands run beside it
	vars   map[string]string
	mu     sync.Mutex
	log    bytes.Buffer // its stderr
	once   sync.Once
	waited error
}

// startFake starts "docr fake-api" with its registry on its own address and
// the given flags, and reads the lines it prints. The process is stopped
// (SIGINT) when the test ends, if not before.
func startFake(ctx context.Context, t *testing.T, flags ...string) *fake {
	t.Helper()
	home := t.TempDir()
	f := &fake{t: t, env: []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker")}}
	f.cmd = exec.CommandContext(ctx, filepath.Join(bin, "docr"), append([]string{"fake-api", "--registry-host", "self", "--rate-limit", "0"}, flags...)...)
	f.cmd.Env = f.env
	f.cmd.Stderr = lockedWriter{f}
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	f.vars = map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(f.vars) < 4 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		f.vars[k] = v
	}
	if f.vars["DIGITALOCEAN_API_URL"] == "" || f.vars["DOCR_REGISTRY_HOST"] == "" || f.vars["DIGITALOCEAN_TOKEN"] == "" {
		t.Fatalf("fake-api printed %d of its lines; stderr:\n%s", len(f.vars), f.stderr())
	}
	return f
}

type lockedWriter struct{ f *fake }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.log.Write(p)
}

// stderr returns what the fake logged so far.
func (f *fake) stderr() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log.String()
}

// stop interrupts the fake and waits for it to exit.
func (f *fake) stop() {
	f.once.Do(func() {
		_ = f.cmd.Process.Signal(syscall.SIGINT)
		f.waited = f.cmd.Wait()
	})
}

func (f *fake) apiURL() string { return f.vars["DIGITALOCEAN_API_URL"] }
func (f *fake) host() string   { return f.vars["DOCR_REGISTRY_HOST"] }
func (f *fake) token() string  { return f.vars["DIGITALOCEAN_TOKEN"] }

// mint runs "docr docker-config --read-write" against the fake, as a user
// would, and returns the Docker credential it printed.
func (f *fake) mint(ctx context.Context) (user, pass string) {
	f.t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "docr"), "docker-config", "--read-write", "--expiry-seconds", "3600")
	cmd.Env = append(slices.Clone(f.env), "DIGITALOCEAN_API_URL="+f.apiURL(), "DIGITALOCEAN_TOKEN="+f.token(), "DOCR_REGISTRY_HOST="+f.host())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		f.t.Fatalf("docr docker-config: %v\n%s", err, stderr.String())
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		f.t.Fatalf("docr docker-config printed no config.json: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(cfg.Auths[f.host()].Auth)
	if err != nil {
		f.t.Fatalf("auths[%s].auth is not base64", f.host())
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		f.t.Fatal("the minted auth has no colon")
	}
	return user, pass
}

// procKB reads a "Vm...:  N kB" line of the fake's /proc/<pid>/status.
func (f *fake) procKB(field string) int64 {
	f.t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(f.cmd.Process.Pid) + "/status")
	if err != nil {
		f.t.Fatalf("read the fake's /proc status: %v", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				f.t.Fatal(err)
			}
			return n
		}
	}
	f.t.Fatalf("no %s in /proc/%d/status", field, f.cmd.Process.Pid)
	return 0
}
