package bench

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
)

// callsPerRun is the number of sequential calls whose connections are
// counted.
const callsPerRun = 1000

// connImpl builds a client with a fresh transport for one run of
// callsPerRun calls.
type connImpl struct {
	name   string
	retry  bool
	client func(tb testing.TB, base string) caller
}

// connImpls are docr and godo, each without retries (every error answer
// reaches the caller) and with retries (500s are retried after 1-2 ms
// waits, so retried error bodies must be drained too), plus the raw
// baseline.
var connImpls = []connImpl{
	{"raw", false, func(tb testing.TB, base string) caller { return newRawClient(base, freshTransport()) }},
	{"docr", false, func(tb testing.TB, base string) caller {
		return newDocrClient(tb, base, freshTransport(), facade.WithRetry(facade.RetryPolicy{MaxAttempts: 1}))
	}},
	{"docr", true, func(tb testing.TB, base string) caller {
		return newDocrClient(tb, base, freshTransport(), facade.WithRetry(facade.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	}},
	{"godo", false, func(tb testing.TB, base string) caller { return newGodo(tb, base, freshTransport(), 0) }},
	{"godo", true, func(tb testing.TB, base string) caller { return newGodo(tb, base, freshTransport(), 3) }},
}

func (ci connImpl) label() string {
	r := "off"
	if ci.retry {
		r = "on"
	}
	return "impl=" + ci.name + "/retry=" + r
}

// connRun makes callsPerRun sequential calls with a new client against srv
// (which answers per errorMix) and returns the new connections the server
// accepted and how many calls ended with each status.
func connRun(tb testing.TB, srv *apiServer, ci connImpl) (conns int64, statuses map[int]int, err error) {
	c := ci.client(tb, srv.URL)
	defer c.close()
	before := srv.conns.Load()
	statuses = map[int]int{}
	ctx := context.Background()
	for range callsPerRun {
		st, cerr := c.call(ctx)
		statuses[st]++
		if st == 0 {
			return 0, statuses, fmt.Errorf("transport error: %w", cerr)
		}
		if st == http.StatusOK && cerr != nil {
			return 0, statuses, cerr
		}
	}
	return srv.conns.Load() - before, statuses, nil
}

// BenchmarkConnReuse reports the TCP connections opened for 1,000
// sequential calls (conns/1000calls; 1 is ideal) while the server answers
// 15% 404 and 500 with JSON error bodies and 5% 500 with an HTML page.
// ns/op is per 1,000 calls.
func BenchmarkConnReuse(b *testing.B) {
	srv := newAPIServer(b, true)
	for _, ci := range connImpls {
		b.Run(ci.label(), func(b *testing.B) {
			b.ReportAllocs()
			var total int64
			for b.Loop() {
				n, _, err := connRun(b, srv, ci)
				if err != nil {
					b.Fatal(err)
				}
				total += n
			}
			b.ReportMetric(float64(total)/float64(b.N), "conns/1000calls")
		})
	}
}

// TestConnReuse asserts that docr opens exactly one connection for 1,000
// calls, error answers included, with and without retries. godo's counts
// are logged, not asserted (it is a peer, not ours to fix).
func TestConnReuse(t *testing.T) {
	srv := newAPIServer(t, true)
	for _, ci := range connImpls {
		t.Run(ci.label(), func(t *testing.T) {
			conns, statuses, err := connRun(t, srv, ci)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d connections for %d calls; final statuses %v", conns, callsPerRun, statuses)
			if statuses[http.StatusNotFound] == 0 || (!ci.retry && statuses[http.StatusInternalServerError] == 0) {
				t.Fatalf("the run saw no error answers: %v", statuses)
			}
			switch ci.name {
			case "docr", "raw":
				if conns != 1 {
					t.Errorf("%s opened %d connections for %d calls, want 1", ci.name, conns, callsPerRun)
				}
			}
		})
	}
}
