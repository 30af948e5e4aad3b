package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// The start-up benchmark: the CPU time (user+sys of the child, from
// ProcessState) of one start of each program, interleaved so that noise on
// the shared machine spreads over all of them:
//
//   - hello: a hello-world Go program (bench/footprint/hello);
//   - floor: the floor for any Go credential helper (bench/footprint/floor):
//     links net/http, crypto/tls and encoding/json, reads one small JSON
//     file, prints one line;
//   - helper: cmd/docker-credential-docr get, its cache primed against the
//     fake, so that it makes no API call (checked);
//   - docr-link: the same get through docr linked as docker-credential-docr,
//     the whole CLI with the fake API in it (what Docker ran before
//     cmd/docker-credential-docr existed).
//
// Single runs have the kernel's accounting resolution (a tick), so each
// metric is the mean over the b.N starts of a run; benchstat's medians are
// over the -count runs.

// startupProgram is one program the benchmark starts.
type startupProgram struct {
	name  string
	path  string
	args  []string
	stdin string
}

// startupWorld is the built programs and the environment they run in.
type startupWorld struct {
	progs []startupProgram
	env   []string
	dir   string
	srv   *docrtest.Server
	host  string
}

// newStartupWorld builds the programs into a temporary directory and
// primes the helper's cache with one get against the fake.
func newStartupWorld(tb testing.TB) *startupWorld {
	tb.Helper()
	dir := tb.TempDir()
	bin := filepath.Join(dir, "bin")
	link := filepath.Join(dir, "link")
	for _, d := range []string{bin, link, filepath.Join(dir, "home"), filepath.Join(dir, "cache")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	// docr's programs are built in docr's own module (its go.sum), the
	// others in this one.
	for _, b := range []struct {
		dir  string
		pkgs []string
	}{
		{".", []string{"./footprint/hello", "./footprint/floor"}},
		{"..", []string{"./cmd/docker-credential-docr", "./cmd/docr"}},
	} {
		build := exec.Command("go", append([]string{"build", "-o", bin + string(filepath.Separator)}, b.pkgs...)...)
		build.Dir = b.dir
		if out, err := build.CombinedOutput(); err != nil {
			tb.Fatalf("go build %s: %v\n%s", b.pkgs, err, out)
		}
	}
	if err := os.Symlink(filepath.Join(bin, "docr"), filepath.Join(link, "docker-credential-docr")); err != nil {
		tb.Fatal(err)
	}
	// The floor reads a file of the size and shape of a helper's cache entry.
	floorFile := filepath.Join(dir, "entry.json")
	entry := fmt.Sprintf(`{"username":%q,"password":%q,"expires_at":%q}`,
		strings.Repeat("u", 71), strings.Repeat("p", 71), time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if err := os.WriteFile(floorFile, []byte(entry), 0o600); err != nil {
		tb.Fatal(err)
	}

	srv := docrtest.NewServer(tb)
	w := &startupWorld{dir: dir, srv: srv, host: srv.RegistryHost()}
	w.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"DIGITALOCEAN_API_URL=" + srv.URL,
		"DIGITALOCEAN_TOKEN=" + srv.Token,
		"DOCR_REGISTRY_HOST=" + w.host,
	}
	w.progs = []startupProgram{
		{name: "hello", path: filepath.Join(bin, "hello")},
		{name: "floor", path: filepath.Join(bin, "floor"), args: []string{floorFile}},
		{name: "helper", path: filepath.Join(bin, "docker-credential-docr"), args: []string{"get"}, stdin: w.host + "\n"},
		{name: "docr-link", path: filepath.Join(link, "docker-credential-docr"), args: []string{"get"}, stdin: w.host + "\n"},
	}
	// Prime the cache: the one get that calls the API.
	if _, _, err := w.run(w.progs[2]); err != nil {
		tb.Fatalf("priming get: %v", err)
	}
	if n := len(srv.Credentials()); n != 1 {
		tb.Fatalf("priming minted %d credentials, want 1", n)
	}
	return w
}

// run starts p once and returns its stdout and CPU time (user+sys).
func (w *startupWorld) run(p startupProgram) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.path, p.args...)
	cmd.Env = w.env
	cmd.Stdin = strings.NewReader(p.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", 0, fmt.Errorf("%s: %w (stderr %q)", p.name, err, stderr.String())
	}
	ps := cmd.ProcessState
	return stdout.String(), ps.UserTime() + ps.SystemTime(), nil
}

// checkNoMint fails if a get after the priming one called the API.
func (w *startupWorld) checkNoMint(tb testing.TB) {
	tb.Helper()
	if n := len(w.srv.Credentials()); n != 1 {
		tb.Fatalf("%d credentials minted, want only the priming one: a cached get called the API", n)
	}
}

func BenchmarkStartup(b *testing.B) {
	w := newStartupWorld(b)
	cpu := make([]time.Duration, len(w.progs))
	n := 0
	for b.Loop() {
		// Rotate the order so that no program always follows another.
		for i := range w.progs {
			k := (i + n) % len(w.progs)
			_, t, err := w.run(w.progs[k])
			if err != nil {
				b.Fatal(err)
			}
			cpu[k] += t
		}
		n++
	}
	w.checkNoMint(b)
	for i, p := range w.progs {
		b.ReportMetric(float64(cpu[i].Nanoseconds())/float64(n), p.name+"-cpu-ns/op")
	}
	b.ReportMetric(float64(cpu[2])/float64(cpu[1]), "helper/floor")
	b.ReportMetric(0, "ns/op")
}

// TestStartupPrograms runs each program of the start-up benchmark once and
// checks what it printed, and that cached gets do not call the API.
func TestStartupPrograms(t *testing.T) {
	w := newStartupWorld(t)
	cred := w.srv.Credentials()[0]
	want := map[string]func(string) error{
		"hello": func(out string) error {
			if out != "hello, world\n" {
				return fmt.Errorf("printed %q", out)
			}
			return nil
		},
		"floor": func(out string) error {
			if !strings.HasPrefix(out, `{"Secret":"ppp`) || !strings.HasSuffix(out, "} 15s\n") {
				return fmt.Errorf("printed %q", out)
			}
			return nil
		},
	}
	helperReply := func(out string) error {
		var r struct{ ServerURL, Username, Secret string }
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			return fmt.Errorf("printed %q: %v", out, err)
		}
		if r.ServerURL != w.host || r.Username != cred.Username || r.Secret != cred.Password {
			return fmt.Errorf("replied with another credential than the cached one (server %q)", r.ServerURL)
		}
		return nil
	}
	want["helper"], want["docr-link"] = helperReply, helperReply
	for _, p := range w.progs {
		out, _, err := w.run(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := want[p.name](out); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
	w.checkNoMint(t)
}
