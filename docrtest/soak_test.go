package docrtest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// soakEnv turns on TestSoak; it takes about a minute on two cores.
const soakEnv = "DOCRTEST_SOAK"

// countingTransport counts the requests it sends.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func rssKB(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("needs /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestSoak sends 100,000 mixed requests (API reads, credential issues,
// registry pings, manifest and blob pulls, image pushes and pulls) to a
// standalone fake ([docrtest.Start], as docr fake-api runs it) with the
// rate limit off, and checks that they finish within 10 minutes and that
// RSS after warm-up (the first quarter) stays within 20% of its first
// sample. RSS is sampled after debug.FreeOSMemory, so that it shows what
// is live. Set DOCRTEST_SOAK=1 to run it.
func TestSoak(t *testing.T) {
	if os.Getenv(soakEnv) == "" {
		t.Skip("set " + soakEnv + "=1 to run the 100,000-request soak test (about a minute)")
	}
	const total = 100_000
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithSelfRegistryHost(), docrtest.WithRateLimit(0, 0),
		docrtest.WithRequestLog(1000),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var sent atomic.Int64
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: countingTransport{base: tr, n: &sent}, Timeout: time.Minute}
	api, err := gen.NewClientWithResponses(srv.URL, gen.WithHTTPClient(hc), gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	rw := true
	cr, err := api.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: &rw})
	check(t, err, cr.HTTPResponse, 200)
	ic := srv.Credentials()[0]
	host := srv.RegistryHost()
	ropts := []remote.Option{remote.WithTransport(countingTransport{base: tr, n: &sent}), remote.WithContext(ctx),
		remote.WithAuth(&authn.Basic{Username: ic.Username, Password: ic.Password})}
	var imgs []v1.Image
	for i := range 8 {
		imgs = append(imgs, randomImage(t, int64(1000+i), 4000))
	}
	// Every tag exists before the workers start, so that a pull never
	// races the first push of its tag.
	for i := range 4 {
		ref, _ := name.ParseReference(fmt.Sprintf("%s/example/soak:t%d", host, i), name.Insecure)
		if err := remote.Write(ref, imgs[i], ropts...); err != nil {
			t.Fatal(err)
		}
	}
	ml, err := api.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
	check(t, err, ml.HTTPResponse, 200)
	layer := *(*(*ml.JSON200.Manifests)[0].Blobs)[1].Digest

	// Raw registry requests go through the token flow, as a Docker client's
	// do: go-containerregistry's transport fetches and refreshes tokens.
	reg, err := name.NewRegistry(host, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tokenRT, err := transport.NewWithContext(ctx, reg, &authn.Basic{Username: ic.Username, Password: ic.Password},
		countingTransport{base: tr, n: &sent}, []string{reg.Repo("example", "repo-1").Scope(transport.PullScope)})
	if err != nil {
		t.Fatal(err)
	}
	rc := &http.Client{Transport: tokenRT, Timeout: time.Minute}
	raw := func(method, path string) error {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
		if err != nil {
			return err
		}
		resp, err := rc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
		return nil
	}
	op := func(i int) error {
		switch i % 10 {
		case 0, 1, 2:
			r, err := api.RegistriesGetWithResponse(ctx, "example")
			if err == nil && r.StatusCode() != 200 {
				err = fmt.Errorf("get: %d", r.StatusCode())
			}
			return err
		case 3:
			r, err := api.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
			if err == nil && r.StatusCode() != 200 {
				err = fmt.Errorf("list: %d", r.StatusCode())
			}
			return err
		case 4:
			r, err := api.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: ptr(1)})
			if err == nil && r.StatusCode() != 200 {
				err = fmt.Errorf("credentials: %d", r.StatusCode())
			}
			return err
		case 5:
			return raw(http.MethodGet, "/v2/")
		case 6:
			return raw(http.MethodHead, "/v2/example/repo-1/manifests/latest")
		case 7:
			return raw(http.MethodGet, "/v2/example/repo-1/blobs/"+layer)
		case 8:
			ref, _ := name.ParseReference(fmt.Sprintf("%s/example/soak:t%d", host, i%4), name.Insecure)
			return remote.Write(ref, imgs[(i/10)%len(imgs)], ropts...)
		default:
			ref, _ := name.ParseReference(fmt.Sprintf("%s/example/soak:t%d", host, (i-1)%4), name.Insecure)
			img, err := remote.Image(ref, ropts...)
			if err != nil {
				return err
			}
			ls, err := img.Layers()
			if err != nil {
				return err
			}
			rc, err := ls[0].Compressed()
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		}
	}

	start := time.Now()
	deadline := start.Add(10 * time.Minute)
	var samples []int64
	next := int64(total / 4)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	var ops atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sent.Load() < total && time.Now().Before(deadline) {
				i := int(ops.Add(1))
				if err := op(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				if n := sent.Load(); n >= atomic.LoadInt64(&next) {
					mu.Lock()
					if n >= next {
						debug.FreeOSMemory()
						samples = append(samples, rssKB(t))
						next += total / 4
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("after %d requests: %v", sent.Load(), firstErr)
	}
	elapsed := time.Since(start)
	debug.FreeOSMemory()
	samples = append(samples, rssKB(t))
	t.Logf("%d requests (%d operations) in %v; RSS at 25/50/75/100%% and end: %v kB", sent.Load(), ops.Load(), elapsed.Round(time.Millisecond), samples)
	if sent.Load() < total {
		t.Fatalf("only %d requests within 10 minutes", sent.Load())
	}
	base := samples[0]
	for _, s := range samples[1:] {
		if float64(s) > 1.2*float64(base) || float64(s) < 0.8*float64(base) {
			t.Errorf("RSS moved from %d kB to %d kB after warm-up (more than 20%%)", base, s)
		}
	}
	if n := len(srv.Requests()); n > 1000 {
		t.Errorf("the fake keeps %d requests, want at most 1000", n)
	}
}
