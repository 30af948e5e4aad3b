package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
)

// BenchmarkProviderProcess measures the CPU time (user + system, from the
// child's rusage) of whole docr-credential-provider processes, run as the
// kubelet runs them (a request on stdin, a token file named in the
// environment, one API round trip to the docrtest fake), against the floor
// program provider_floor (net/http, crypto/tls, encoding/json, one small
// file, the same round trip, one line out). The two alternate, so that load
// on the machine hits both alike. It reports the medians per process and
// their ratio; the target is a ratio of at most 1.3.
func BenchmarkProviderProcess(b *testing.B) {
	env := newProviderEnv(b)
	var floor, provider, floorWall, providerWall []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Alternate the order, so that neither always runs second.
		for k := range 2 {
			if (i+k)%2 == 0 {
				cpu, wall := env.runFloor(b)
				floor, floorWall = append(floor, cpu), append(floorWall, wall)
			} else {
				cpu, wall := env.runProvider(b)
				provider, providerWall = append(provider, cpu), append(providerWall, wall)
			}
		}
	}
	b.StopTimer()
	mf, mp := median(floor), median(provider)
	b.ReportMetric(ms(mf), "floor-cpu-ms")
	b.ReportMetric(ms(mp), "provider-cpu-ms")
	b.ReportMetric(float64(mp)/float64(mf), "cpu-ratio")
	b.ReportMetric(ms(median(floorWall)), "floor-wall-ms")
	b.ReportMetric(ms(median(providerWall)), "provider-wall-ms")
	b.ReportMetric(0, "ns/op") // a pair of processes; the metrics above are the result
}

// TestProviderProcess checks what the benchmark runs: both programs answer,
// the provider with a response holding credentials for the fake's
// registry, the floor with its one line.
func TestProviderProcess(t *testing.T) {
	env := newProviderEnv(t)
	out := env.run(t, exec.Command(env.floorBin, env.tokenFile, env.credURL), nil)
	if got := strings.TrimSpace(out); got != `{"status":200,"hosts":1}` {
		t.Errorf("floor printed %q", got)
	}
	out = env.run(t, env.providerCmd(), strings.NewReader(env.request))
	if !strings.Contains(out, `"kind":"CredentialProviderResponse"`) || !strings.Contains(out, `"registry.digitalocean.com/example/":{"username":`) {
		t.Errorf("provider printed %d bytes without the expected response", len(out))
	}
	if n := len(env.srv.Credentials()); n != 2 {
		t.Errorf("the fake issued %d credentials, want 2", n)
	}
}

// providerEnv is a fake API, a token file and the two built programs.
type providerEnv struct {
	srv                   *docrtest.Server
	tokenFile             string
	credURL               string // the request URL, built by gen
	request               string
	floorBin, providerBin string
}

var (
	providerBuild     sync.Once
	providerBuildDir  string
	providerBuildErr  error
	providerBuildPath = []string{"github.com/docr-dev/docr/cmd/docr-credential-provider", "github.com/docr-dev/docr/bench/provider_floor"}
)

// buildProviderPrograms builds both programs once per test binary, as a
// user installs them (go build, default flags).
func buildProviderPrograms() (string, error) {
	providerBuild.Do(func() {
		providerBuildDir, providerBuildErr = os.MkdirTemp("", "docr-bench-provider-")
		if providerBuildErr != nil {
			return
		}
		args := append([]string{"build", "-o", providerBuildDir + string(filepath.Separator)}, providerBuildPath...)
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			providerBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	return providerBuildDir, providerBuildErr
}

func newProviderEnv(tb testing.TB) *providerEnv {
	tb.Helper()
	dir, err := buildProviderPrograms()
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := docrtest.Start("127.0.0.1:0",
		docrtest.WithRateLimit(1<<30, time.Hour),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Close)
	tokenFile := filepath.Join(tb.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(srv.Token+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	expiry, readWrite := 3600, false
	req, err := gen.NewRegistriesGetDockerCredentialsRequest(srv.URL, "example",
		&gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: &expiry, ReadWrite: &readWrite})
	if err != nil {
		tb.Fatal(err)
	}
	return &providerEnv{
		srv:         srv,
		tokenFile:   tokenFile,
		credURL:     req.URL.String(),
		request:     `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/example/repo-1:latest"}`,
		floorBin:    filepath.Join(dir, "provider_floor"),
		providerBin: filepath.Join(dir, "docr-credential-provider"),
	}
}

// providerCmd is the provider with the environment a kubelet gives it:
// only the env entries of its CredentialProviderConfig.
func (e *providerEnv) providerCmd() *exec.Cmd {
	cmd := exec.Command(e.providerBin)
	cmd.Env = []string{"DOCR_TOKEN_FILE=" + e.tokenFile, "DIGITALOCEAN_API_URL=" + e.srv.URL}
	return cmd
}

// run runs cmd to success and returns its stdout.
func (e *providerEnv) run(tb testing.TB, cmd *exec.Cmd, stdin io.Reader) string {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard
	defer cancel()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	defer stop()
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("%s: %v: %s", filepath.Base(cmd.Path), err, stderr.String())
	}
	return stdout.String()
}

func (e *providerEnv) runFloor(tb testing.TB) (cpu, wall time.Duration) {
	cmd := exec.Command(e.floorBin, e.tokenFile, e.credURL)
	start := time.Now()
	e.run(tb, cmd, nil)
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), time.Since(start)
}

func (e *providerEnv) runProvider(tb testing.TB) (cpu, wall time.Duration) {
	cmd := e.providerCmd()
	start := time.Now()
	e.run(tb, cmd, strings.NewReader(e.request))
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), time.Since(start)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
