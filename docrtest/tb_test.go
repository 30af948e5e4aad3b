package docrtest_test

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docr-dev/docr/docrtest"
)

// *testing.T, *testing.B and *testing.F keep working with NewServer.
var (
	_ docrtest.TB = (*testing.T)(nil)
	_ docrtest.TB = (*testing.B)(nil)
	_ docrtest.TB = (*testing.F)(nil)
	_ docrtest.TB = testing.TB(nil)
)

// bareTB is a docrtest.TB that is not a testing.TB (nothing embedded): it
// records what NewServer reports, and Fatalf ends the calling goroutine as
// testing's does.
type bareTB struct {
	mu       sync.Mutex
	errors   []string
	logs     []string
	fatals   []string
	cleanups []func()
}

func (r *bareTB) Helper() {}

func (r *bareTB) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *bareTB) Errorf(format string, args ...any) { r.add(&r.errors, format, args) }
func (r *bareTB) Logf(format string, args ...any)   { r.add(&r.logs, format, args) }

func (r *bareTB) Fatalf(format string, args ...any) {
	r.add(&r.fatals, format, args)
	runtime.Goexit()
}

func (r *bareTB) add(to *[]string, format string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*to = append(*to, fmt.Sprintf(format, args...))
}

// runCleanups runs the registered cleanups last-in first-out, as testing does.
func (r *bareTB) runCleanups() {
	r.mu.Lock()
	fs := slices.Clone(r.cleanups)
	r.mu.Unlock()
	slices.Reverse(fs)
	for _, f := range fs {
		f()
	}
}

// newServerIn calls NewServer in its own goroutine (Fatalf ends it) and
// returns the server, or nil if NewServer did not return.
func newServerIn(tb *bareTB, opts ...docrtest.Option) *docrtest.Server {
	got := make(chan *docrtest.Server, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		got <- docrtest.NewServer(tb, opts...)
	}()
	<-done
	select {
	case s := <-got:
		return s
	default:
		return nil
	}
}

// TestNewServerReportsThroughTB drives NewServer with a TB that is not a
// *testing.T: a request violation goes to Errorf (or Logf when allowed), a
// bad option to Fatalf, and Cleanup closes the server.
func TestNewServerReportsThroughTB(t *testing.T) {
	t.Parallel()
	const path = "/v2/registry/docker-credentials?read_write=maybe"
	const wantMsg = "docrtest: request to registry_get_dockerCredentials (GET /v2/registry/docker-credentials) violates the spec"
	tests := []struct {
		name               string
		opts               []docrtest.Option
		wantErrs, wantLogs int
	}{
		{"violation fails the test", nil, 1, 0},
		{"allowed violation is logged", []docrtest.Option{docrtest.AllowInvalidRequests()}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &bareTB{}
			srv := newServerIn(rec, tc.opts...)
			if srv == nil {
				t.Fatalf("NewServer did not return; fatals %q", rec.fatals)
			}
			resp, _ := do(t, "GET", srv.URL+path, srv.Token, nil)
			equal(t, "status", resp.StatusCode, http.StatusBadRequest)
			rec.runCleanups()
			if _, err := http.Get(srv.URL + "/v2/registry"); err == nil {
				t.Error("the server still answers after the TB's cleanups ran")
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			equal(t, "Errorf calls", len(rec.errors), tc.wantErrs)
			equal(t, "Logf calls", len(rec.logs), tc.wantLogs)
			for _, m := range append(slices.Clone(rec.errors), rec.logs...) {
				if !strings.HasPrefix(m, wantMsg) || !strings.Contains(m, `parameter "read_write" in query`) {
					t.Errorf("reported %q, want it to start with %q and name the parameter", m, wantMsg)
				}
			}
		})
	}
	t.Run("bad option is fatal", func(t *testing.T) {
		t.Parallel()
		rec := &bareTB{}
		if srv := newServerIn(rec, nil); srv != nil {
			t.Fatal("NewServer returned a server for a nil option")
		}
		want := []string{"docrtest.NewServer: docrtest: nil Option"}
		if !slices.Equal(rec.fatals, want) {
			t.Errorf("Fatalf calls = %q, want %q", rec.fatals, want)
		}
	})
}
