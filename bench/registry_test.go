package bench

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/docrtest/ociregistry"
	"github.com/docr-dev/docr/gen"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// pushPullBytes is the size of the one layer the push/pull benchmark moves.
const pushPullBytes = 100 << 20

// layerImage returns an image with one uncompressed layer of n bytes from
// a ChaCha8 stream seeded with seed: uncompressed, so that the benchmark
// measures the registry and not gzip.
func layerImage(seed uint64, n int) (v1.Image, error) {
	data := make([]byte, n)
	var key [32]byte
	key[0] = byte(seed)
	key[1] = byte(seed >> 8)
	_, _ = rand.NewChaCha8(key).Read(data)
	return mutate.AppendLayers(empty.Image, static.NewLayer(data, types.OCIUncompressedLayer))
}

var bigImage = sync.OnceValues(func() (v1.Image, error) { return layerImage(1, pushPullBytes) })

// registryTarget is a registry to push to: its host and client options.
type registryTarget struct {
	host string
	opts []remote.Option
}

// startBare serves the fake's registry engine (docrtest/ociregistry) open:
// no token flow, no API, no request log.
func startBare(b *testing.B, dir string) registryTarget {
	reg, err := ociregistry.New(ociregistry.Options{StorageDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(reg)
	b.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	b.Cleanup(tr.CloseIdleConnections)
	return registryTarget{host: strings.TrimPrefix(srv.URL, "http://"), opts: []remote.Option{remote.WithTransport(tr)}}
}

// startGated starts docrtest's fake (the same engine behind DOCR's token
// flow, the request log and the API) and gets a read-write credential from
// its API. The client fetches a token from the fake's /v2/registry/auth
// with the credential, and the registry checks it on every request.
func startGated(b *testing.B, dir string) registryTarget {
	opts := []docrtest.Option{
		docrtest.WithSelfRegistryHost(), docrtest.WithRateLimit(0, 0),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))),
	}
	if dir != "" {
		opts = append(opts, docrtest.WithStorageDir(dir))
	}
	srv, err := docrtest.Start("127.0.0.1:0", opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	user, pass := credential(b, srv.URL, srv.Token, srv.RegistryHost())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	b.Cleanup(tr.CloseIdleConnections)
	return registryTarget{host: srv.RegistryHost(), opts: []remote.Option{
		remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: user, Password: pass}),
	}}
}

// credential gets a read-write credential for registry "example".
func credential(tb testing.TB, apiURL, token, host string) (user, pass string) {
	tb.Helper()
	c, err := gen.NewClientWithResponses(apiURL, gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		tb.Fatal(err)
	}
	rw := true
	r, err := c.RegistriesGetDockerCredentialsWithResponse(context.Background(), "example", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: &rw})
	if err != nil || r.JSON200 == nil || r.JSON200.Auths[host].Auth == nil {
		tb.Fatalf("credentials: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(*r.JSON200.Auths[host].Auth)
	if err != nil {
		tb.Fatal(err)
	}
	user, pass, _ = strings.Cut(string(raw), ":")
	return user, pass
}

// pushPull pushes img to repo:tag and pulls it back, reading (and so
// verifying) every layer.
func pushPull(t registryTarget, repo string, img v1.Image) error {
	ref, err := name.ParseReference(t.host+"/"+repo+":v1", name.Insecure)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, t.opts...); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	got, err := remote.Image(ref, t.opts...)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	layers, err := got.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("pull layer: %w", err)
		}
	}
	return nil
}

// BenchmarkRegistryPushPull pushes a 100 MB single-layer image and pulls it
// back on loopback, through the fake's bare registry engine and through
// docrtest's fake (the same engine behind DOCR's token flow), with blobs in
// memory and in a directory. MB/s counts the layer once per push-and-pull.
// Each iteration starts a fresh registry (untimed), so that the push really
// uploads. cpu-ms/op is the process's CPU time per push-and-pull.
func BenchmarkRegistryPushPull(b *testing.B) {
	img, err := bigImage()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := img.Digest(); err != nil { // compute hashes outside the timer
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		start func(*testing.B, string) registryTarget
		disk  bool
	}{
		{"bare/memory", startBare, false},
		{"gated/memory", startGated, false},
		{"bare/dir", startBare, true},
		{"gated/dir", startGated, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(pushPullBytes)
			// CPU time (client and registry share the process) is
			// steadier than wall time on a shared machine.
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				dir := ""
				if tc.disk {
					dir = b.TempDir()
				}
				target := tc.start(b, dir)
				b.StartTimer()
				c0 := processCPU(b)
				if err := pushPull(target, "example/big", img); err != nil {
					b.Fatal(err)
				}
				cpu += processCPU(b) - c0
			}
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// capEnv makes the test binary a standalone fake with that storage cap
// (see TestMain), for BenchmarkFakeMemoryUnderCap.
const capEnv = "DOCR_BENCH_FAKE_CAP"

// serveCapped runs a fake with the given storage cap until stdin closes.
func serveCapped(capBytes int64) error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	return docrtest.Serve(ctx, "127.0.0.1:0", os.Stdout,
		docrtest.WithSelfRegistryHost(), docrtest.WithRateLimit(0, 0), docrtest.WithStorageCap(capBytes),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))))
}

// procKB reads a "Vm...:  N kB" line of /proc/<pid>/status.
func procKB(pid int, field string) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// BenchmarkFakeMemoryUnderCap runs the fake (docrtest.Serve, as docr
// fake-api does) in a child process with a storage cap of 64 or 128 MiB,
// pushes distinct 16 MiB single-layer images until the cap refuses one,
// pulls them all back, and reports the child's peak RSS (VmHWM): it should
// stay within the cap plus a constant.
func BenchmarkFakeMemoryUnderCap(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	for _, capMiB := range []int{64, 128} {
		b.Run(fmt.Sprintf("cap=%dMiB", capMiB), func(b *testing.B) { memoryUnderCap(b, int64(capMiB)<<20) })
	}
}

func memoryUnderCap(b *testing.B, capBytes int64) {
	const layerBytes = 16 << 20
	var imgs []v1.Image
	for i := range capBytes/layerBytes + 1 {
		img, err := layerImage(uint64(100+i), layerBytes)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := img.Digest(); err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), capEnv+"="+strconv.FormatInt(capBytes, 10))
		cmd.Stderr = os.Stderr
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		vars := map[string]string{}
		sc := bufio.NewScanner(stdout)
		for len(vars) < 3 && sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "=")
			vars[k] = v
		}
		if len(vars) < 3 {
			b.Fatalf("the fake did not start: %v", vars)
		}
		host := vars["DOCR_REGISTRY_HOST"]
		user, pass := credential(b, vars["DIGITALOCEAN_API_URL"], vars["DIGITALOCEAN_TOKEN"], host)
		base, err := procKB(cmd.Process.Pid, "VmRSS")
		if err != nil {
			b.Fatal(err)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		target := registryTarget{host: host, opts: []remote.Option{remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: user, Password: pass})}}
		pushed := 0
		for i, img := range imgs {
			err := pushPull(target, fmt.Sprintf("example/m%d", i), img)
			var te *transport.Error
			if errors.As(err, &te) && te.StatusCode == http.StatusRequestEntityTooLarge {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			pushed++
		}
		if pushed == len(imgs) {
			b.Fatal("the cap refused no push")
		}
		peak, err := procKB(cmd.Process.Pid, "VmHWM")
		if err != nil {
			b.Fatal(err)
		}
		tr.CloseIdleConnections()
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		b.ReportMetric(float64(pushed*layerBytes>>20), "stored-MiB")
		b.ReportMetric(float64(base)/1024, "start-rss-MiB")
		b.ReportMetric(float64(peak)/1024, "peak-rss-MiB")
		b.ReportMetric(float64(peak)/1024-float64(capBytes>>20), "peak-over-cap-MiB")
	}
}
