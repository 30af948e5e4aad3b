package fakeapiprocess

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// The soak's figures (issue 22, "Done means").
const (
	soakCap       = 64 << 20
	soakHeadroom  = 96 << 20
	soakRequests  = 10_000
	soakBodyBytes = 1 << 20
	soakHeader    = 512 << 10
	soakUploads   = 1_000
	soakUpload    = 4 << 20
	soakWorkers   = 4
)

// rssWatch samples the fake's VmRSS until stopped.
type rssWatch struct {
	max  atomic.Int64
	stop chan struct{}
	done chan struct{}
}

func watchRSS(f *fake) *rssWatch {
	w := &rssWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := f.procKB("VmRSS"); kb > w.max.Load() {
				w.max.Store(kb)
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) end() int64 {
	close(w.stop)
	<-w.done
	return w.max.Load()
}

// parallel runs n calls of fn on soakWorkers goroutines and returns the
// first error.
func parallel(n int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// TestSoak is the hostile-use soak of the standalone fake (issue 22):
// under --storage-cap 64MiB, 10,000 unauthenticated requests with 1 MiB
// bodies, 10,000 requests with 512 KiB headers, then 1,000 abandoned 4 MiB
// uploads. The fake process's RSS (VmRSS sampled every 100 ms, and VmHWM,
// its peak) stays under the cap plus 96 MiB throughout; a garbage
// collection (which ends the abandoned uploads, as the 413 advice says)
// completes, and a push and a pull then work.
func TestSoak(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("the soak reads the fake's RSS from /proc/<pid>/status, which this system lacks")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	f := startFake(ctx, t, "--storage-cap", "64MiB")
	user, pass := f.mint(ctx)
	start := time.Now()
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = soakWorkers
	defer base.CloseIdleConnections()
	hc := &http.Client{Transport: base, Timeout: time.Minute}
	startRSS := f.procKB("VmRSS")
	var report []string
	phase := func(what string, n int, fn func(i int) error) {
		t.Helper()
		w := watchRSS(f)
		began := time.Now()
		err := parallel(n, fn)
		peak := w.end()
		report = append(report, fmt.Sprintf("%s: %v, VmRSS at most %.1f MiB", what, time.Since(began).Round(time.Millisecond), float64(peak)/1024))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Unauthenticated requests with 1 MiB bodies, to the API, the registry
	// and the token endpoint: 401, or the connection closed on a body the
	// fake would not read.
	body := bytes.Repeat([]byte("b"), soakBodyBytes)
	var refusedUnread atomic.Int64
	targets := []struct{ method, path string }{
		{"POST", "/v2/registries/example/garbage-collection"},
		{"PATCH", "/v2/example/soak/blobs/uploads/0123456789abcdef0123456789abcdef"},
		{"POST", "/v2/example/soak/blobs/uploads/"},
		{"POST", "/v2/registry/auth"},
	}
	phase("10,000 unauthenticated requests with 1 MiB bodies", soakRequests, func(i int) error {
		tg := targets[i%len(targets)]
		req, err := http.NewRequestWithContext(ctx, tg.method, f.apiURL()+tg.path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			refusedUnread.Add(1)
			return nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
			return fmt.Errorf("%s %s: %d", tg.method, tg.path, resp.StatusCode)
		}
		return nil
	})

	// Requests with a 512 KiB header.
	big := strings.Repeat("h", soakHeader)
	phase("10,000 requests with 512 KiB headers", soakRequests, func(i int) error {
		path := []string{"/v2/", "/v2/registries", "/v2/example/soak/tags/list"}[i%3]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.apiURL()+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-Soak", big)
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// Past docrtest.MaxHeaderBytes (64 KiB): 431 before the fake's
		// handler runs.
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			return fmt.Errorf("GET %s with a 512 KiB header: %d", path, resp.StatusCode)
		}
		return nil
	})

	// Abandoned uploads, through the token flow with the minted
	// credential: each starts, sends 4 MiB (or meets the cap: 413) and is
	// never finished.
	reg, err := name.NewRegistry(f.host(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	repo := reg.Repo("example", "soak")
	rt, err := transport.NewWithContext(ctx, reg, &authn.Basic{Username: user, Password: pass}, base, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		t.Fatalf("the token flow: %v", err)
	}
	uc := &http.Client{Transport: rt, Timeout: time.Minute}
	upload := bytes.Repeat([]byte("u"), soakUpload)
	var accepted, capped atomic.Int64
	phase("1,000 abandoned 4 MiB uploads", soakUploads, func(int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+f.host()+"/v2/example/soak/blobs/uploads/", nil)
		resp, err := uc.Do(req)
		if err != nil {
			return fmt.Errorf("start an upload: %w", err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusAccepted:
		case http.StatusRequestEntityTooLarge: // at the cap, an upload's own bookkeeping does not fit
			capped.Add(1)
			return nil
		default:
			return fmt.Errorf("start an upload: %d", resp.StatusCode)
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodPatch, "http://"+f.host()+resp.Header.Get("Location"), bytes.NewReader(upload))
		resp, err = uc.Do(req)
		if err != nil {
			capped.Add(1) // the fake stopped reading at the cap and closed
			return nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusAccepted:
			accepted.Add(1)
		case http.StatusRequestEntityTooLarge:
			capped.Add(1)
		default:
			return fmt.Errorf("PATCH 4 MiB: %d", resp.StatusCode)
		}
		return nil
	})
	if accepted.Load() == 0 || accepted.Load() > soakCap/soakUpload {
		t.Errorf("%d uploads of 4 MiB accepted under a 64 MiB cap", accepted.Load())
	}

	// A garbage collection, as the 413 advice says, ends the abandoned
	// uploads; then a push and a pull work.
	if err := gcAndWait(ctx, hc, f); err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(2<<20, 2, random.WithSource(rand.NewSource(7)))
	if err != nil {
		t.Fatal(err)
	}
	ref := repo.Tag("after")
	opts := []remote.Option{remote.WithAuth(&authn.Basic{Username: user, Password: pass}), remote.WithTransport(base), remote.WithContext(ctx)}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatalf("push after the soak: %v", err)
	}
	got, err := remote.Image(ref, opts...)
	if err != nil {
		t.Fatalf("pull after the soak: %v", err)
	}
	want, _ := img.Digest()
	if d, err := got.Digest(); err != nil || d != want {
		t.Fatalf("pulled %v (%v), pushed %v", d, err, want)
	}
	layers, _ := got.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, rc) // verifies the layer's digest
		rc.Close()
		if err != nil {
			t.Fatalf("pull a layer after the soak: %v", err)
		}
	}

	hwm := f.procKB("VmHWM")
	f.stop()
	t.Logf("soak of docr fake-api --storage-cap 64MiB in %v; VmRSS %.1f MiB at start; VmHWM (peak) %.1f MiB, limit %d MiB",
		time.Since(start).Round(time.Second), float64(startRSS)/1024, float64(hwm)/1024, (soakCap+soakHeadroom)>>20)
	for _, r := range report {
		t.Log(r)
	}
	t.Logf("bodies the fake closed unread: %d of %d; uploads accepted %d, met the cap %d", refusedUnread.Load(), soakRequests, accepted.Load(), capped.Load())
	if hwm*1024 >= soakCap+soakHeadroom {
		t.Fatalf("the fake's peak RSS %.1f MiB passed the cap plus 96 MiB", float64(hwm)/1024)
	}
}

// gcAndWait starts a garbage collection of registry "example" through the
// API and waits for it to succeed (the fake's --gc-duration defaults to
// 1s), checking every 100 ms.
func gcAndWait(ctx context.Context, hc *http.Client, f *fake) error {
	call := func(method, path, body string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, method, f.apiURL()+path, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+f.token())
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	code, b, err := call("POST", "/v2/registries/example/garbage-collection", `{"type":"untagged manifests and unreferenced blobs"}`)
	var started struct {
		GarbageCollection struct{ UUID, Status string } `json:"garbage_collection"`
	}
	if err != nil || code != http.StatusCreated || json.Unmarshal([]byte(b), &started) != nil {
		return fmt.Errorf("start a garbage collection: %d %s %v", code, b, err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		code, b, err := call("GET", "/v2/registries/example/garbage-collections", "")
		var list struct {
			GarbageCollections []struct{ UUID, Status string } `json:"garbage_collections"`
		}
		if err != nil || code != http.StatusOK || json.Unmarshal([]byte(b), &list) != nil || len(list.GarbageCollections) == 0 {
			return fmt.Errorf("list garbage collections: %d %v", code, err)
		}
		newest := list.GarbageCollections[0]
		if newest.UUID != started.GarbageCollection.UUID {
			return fmt.Errorf("the newest garbage collection is %s, not the one started", newest.UUID)
		}
		if newest.Status == "succeeded" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the garbage collection is still %q", newest.Status)
		case <-tick.C:
		}
	}
}
