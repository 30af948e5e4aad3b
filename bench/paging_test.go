package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/gen"
)

// pagingSizes are the numbers of repositories listed; pagingPerPage is the
// page size (docr's default).
var pagingSizes = []int{10000, 50000, 100000}

const pagingPerPage = 100

// fakes caches one child-process fake per size across -count runs.
var fakes struct {
	sync.Mutex
	m map[int]*fakeAPI
}

func fakeWith(b *testing.B, n int) *fakeAPI {
	fakes.Lock()
	defer fakes.Unlock()
	if f := fakes.m[n]; f != nil {
		return f
	}
	// The fake must outlive this (sub-)benchmark: give it a TB whose
	// cleanup runs at process exit.
	f := startFake(processTB{b}, n)
	if fakes.m == nil {
		fakes.m = map[int]*fakeAPI{}
	}
	fakes.m[n] = f
	return f
}

// heapReader reads the heap in use without stopping the world.
type heapReader struct{ s []metrics.Sample }

func newHeapReader() *heapReader {
	return &heapReader{s: []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"}, // live + not yet swept dead objects (HeapAlloc)
		{Name: "/gc/heap/allocs:bytes"},              // cumulative bytes allocated (TotalAlloc)
	}}
}

func (h *heapReader) read() (inUse, allocated uint64) {
	metrics.Read(h.s)
	return h.s[0].Value.Uint64(), h.s[1].Value.Uint64()
}

// pageSizes fetches the first page directly and measures its body and the
// heap its items take once decoded into []gen.RepositoryV2 (what one page
// of docr's iterator holds).
func pageSizes(b *testing.B, f *fakeAPI) (body, decoded uint64) {
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v2/registries/%s/repositoriesV2?per_page=%d", f.URL, fakeRegistry, pagingPerPage), nil)
	req.Header.Set("Authorization", "Bearer "+f.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("first page: %v (status %d)", err, resp.StatusCode)
	}
	// Decode several copies and divide, so that unrelated frees and
	// allocations during the measurement average out.
	const copies = 20
	h := newHeapReader()
	pages := make([][]gen.RepositoryV2, copies)
	runtime.GC()
	before, _ := h.read()
	for i := range pages {
		var page struct {
			Repositories []gen.RepositoryV2 `json:"repositories"`
		}
		if err := json.Unmarshal(data, &page); err != nil || len(page.Repositories) != pagingPerPage {
			b.Fatalf("first page: %v, %d items", err, len(page.Repositories))
		}
		pages[i] = page.Repositories
	}
	runtime.GC()
	after, _ := h.read()
	runtime.KeepAlive(pages)
	if after < before {
		return uint64(len(data)), 0
	}
	return uint64(len(data)), (after - before) / copies
}

// BenchmarkPaging iterates over every repository of a registry of n
// repositories served by the docrtest fake (100 per page), either through
// docr's iterator (mode=iter, nothing kept) or collecting them all into a
// slice first (mode=slice). Metrics, all relative to the heap before the
// loop:
//
//   - live-B: the largest live heap at page boundaries (a GC is forced at
//     the first item of every page in mode=iter; of about 100 pages spread
//     over the run, and after the last item, in mode=slice);
//   - peak-B: the largest heap in use (HeapAlloc: live objects and garbage
//     not yet collected) sampled at every item;
//   - alloc/page-B: bytes allocated per page. In mode=iter, live-B +
//     alloc/page-B bounds the heap at any instant, mid-page included;
//   - page-B, body-B: one page's items decoded, and its response body.
//
// The fake runs in a child process so its memory is not counted; ns/op is
// mostly the fake's time.
func BenchmarkPaging(b *testing.B) {
	for _, n := range pagingSizes {
		for _, mode := range []string{"iter", "slice"} {
			b.Run(fmt.Sprintf("mode=%s/n=%d", mode, n), func(b *testing.B) {
				f := fakeWith(b, n)
				body, decoded := pageSizes(b, f)
				c, err := facade.New(f.Token, facade.WithBaseURL(f.URL), facade.WithPerPage(pagingPerPage))
				if err != nil {
					b.Fatal(err)
				}
				pages := (n + pagingPerPage - 1) / pagingPerPage
				// A GC at every page boundary in mode=iter (cheap: the heap
				// is small); in mode=slice, whose live heap grows to the
				// whole listing, at about 100 boundaries and at the end.
				stride := 1
				if mode == "slice" {
					stride = max(1, pages/100)
				}
				h := newHeapReader()
				var maxLive, maxPeak, allocPerPage uint64
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					var all []gen.RepositoryV2
					runtime.GC()
					base, alloc0 := h.read()
					count := 0
					for repo, err := range c.Repositories(ctx, fakeRegistry) {
						if err != nil {
							b.Fatal(err)
						}
						if mode == "slice" {
							all = append(all, repo)
						}
						// Heap in use only grows between GCs, so its largest
						// value is just before one: read it before forcing one.
						if inUse, _ := h.read(); inUse > base {
							maxPeak = max(maxPeak, inUse-base)
						}
						if count%pagingPerPage == 0 && (count/pagingPerPage)%stride == 0 {
							runtime.GC()
							if live, _ := h.read(); live > base {
								maxLive = max(maxLive, live-base)
							}
						}
						count++
					}
					_, alloc1 := h.read()
					runtime.GC()
					if live, _ := h.read(); live > base {
						maxLive = max(maxLive, live-base)
					}
					allocPerPage = max(allocPerPage, (alloc1-alloc0)/uint64(pages))
					if count != n {
						b.Fatalf("iterated over %d repositories, want %d", count, n)
					}
					runtime.KeepAlive(all)
				}
				b.ReportMetric(float64(maxLive), "live-B")
				b.ReportMetric(float64(maxPeak), "peak-B")
				b.ReportMetric(float64(allocPerPage), "alloc/page-B")
				b.ReportMetric(float64(decoded), "page-B")
				b.ReportMetric(float64(body), "body-B")
			})
		}
	}
}

// processTB is a testing.TB whose Cleanup runs when the process ends
// (stopFakes in TestMain) rather than when a sub-benchmark ends.
type processTB struct{ testing.TB }

var processCleanups struct {
	sync.Mutex
	fns []func()
}

func (processTB) Cleanup(fn func()) {
	processCleanups.Lock()
	defer processCleanups.Unlock()
	processCleanups.fns = append(processCleanups.fns, fn)
}

func (p processTB) Helper() {}

// stopFakes runs the processTB cleanups, newest first.
func stopFakes() {
	processCleanups.Lock()
	defer processCleanups.Unlock()
	for i := len(processCleanups.fns) - 1; i >= 0; i-- {
		processCleanups.fns[i]()
	}
	processCleanups.fns = nil
}
