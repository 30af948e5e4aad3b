package docrtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
)

func inject(t *testing.T, srv *docrtest.Server, f docrtest.Fault) {
	t.Helper()
	if err := srv.Inject(f); err != nil {
		t.Fatal(err)
	}
}

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The Go name of the operation works as well as the upstream one.
	inject(t, f.srv, docrtest.Fault{Op: "RegistriesGetDockerCredentials", Status: 429, ResetIn: 90 * time.Second, RetryAfter: 1500 * time.Millisecond})

	r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", nil)
	checkError(t, err, r.HTTPResponse, r.Body, 429, "too_many_requests")
	h := r.HTTPResponse.Header
	equal(t, "headers", []string{h.Get("Ratelimit-Limit"), h.Get("Ratelimit-Remaining"), h.Get("Ratelimit-Reset"), h.Get("Retry-After")},
		[]string{"5000", "0", strconv.FormatInt(t0.Add(90*time.Second).Unix(), 10), "2"})
	equal(t, "no credential issued", len(f.srv.Credentials()), 0)

	r, err = f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", nil)
	check(t, err, r.HTTPResponse, 200)
	equal(t, "issued after the fault", len(f.srv.Credentials()), 1)
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inject(t, f.srv, docrtest.Fault{Status: 500, Times: 2})
	inject(t, f.srv, docrtest.Fault{Op: "registries_get_subscription", Status: 503})

	statuses := func(n int) []int {
		var out []int
		for range n {
			r, err := f.c.RegistriesGetSubscriptionWithResponse(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.StatusCode())
		}
		return out
	}
	equal(t, "global fault first, then the operation's", statuses(4), []int{500, 500, 503, 200})

	inject(t, f.srv, docrtest.Fault{Op: "registries_get_options", Status: 502, Times: -1})
	for range 3 {
		o, err := f.c.RegistriesGetOptionsWithResponse(ctx)
		checkError(t, err, o.HTTPResponse, o.Body, 502, "bad_gateway")
	}
	equal(t, "other operations are untouched", statuses(1), []int{200})
	f.srv.ClearFaults()
	o, err := f.c.RegistriesGetOptionsWithResponse(ctx)
	check(t, err, o.HTTPResponse, 200)

	// Faults apply only to calls that pass authentication and validation.
	inject(t, f.srv, docrtest.Fault{Status: 500})
	bad := newClient(t, f.srv.URL, "wrong")
	b, err := bad.RegistriesGetOptionsWithResponse(ctx)
	checkError(t, err, b.HTTPResponse, b.Body, 401, "unauthorized")
	o, err = f.c.RegistriesGetOptionsWithResponse(ctx)
	checkError(t, err, o.HTTPResponse, o.Body, 500, "server_error")
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inject(t, f.srv, docrtest.Fault{Op: "registries_list", Latency: 150 * time.Millisecond})
	start := time.Now()
	r, err := f.c.RegistriesListWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}

	inject(t, f.srv, docrtest.Fault{Op: "registries_get_dockerCredentials", Latency: time.Minute})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = f.c.RegistriesGetDockerCredentialsWithResponse(cctx, "example", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline", err)
	}
}

func TestFaultHangup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inject(t, f.srv, docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.Hangup})
	_, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", nil)
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("err = %v, want an unexpected EOF", err)
	}
	equal(t, "the credential was issued all the same", len(f.srv.Credentials()), 1)
	equal(t, "recorded status", f.srv.Requests()[0].Status, 0)

	inject(t, f.srv, docrtest.Fault{Op: "registries_delete_repositoryTag", Action: docrtest.Hangup})
	_, err = f.c.RegistriesDeleteRepositoryTagWithResponse(ctx, "example", "repo-1", "v1")
	if err == nil {
		t.Fatal("a hangup without a body went unnoticed")
	}
}

func TestFaultTruncateAndNotJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inject(t, f.srv, docrtest.Fault{Op: "registries_list_repositoriesV2", Action: docrtest.Truncate})
	_, err := f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
	if err == nil || !strings.Contains(err.Error(), "unexpected end of JSON input") {
		t.Fatalf("err = %v, want a JSON error", err)
	}

	inject(t, f.srv, docrtest.Fault{Op: "registries_list_repositoriesV2", Action: docrtest.NotJSON})
	r, err := f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
	check(t, err, r.HTTPResponse, 502)
	equal(t, "content type", r.HTTPResponse.Header.Get("Content-Type"), "text/html; charset=utf-8")
	equal(t, "body", string(r.Body), "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n")

	inject(t, f.srv, docrtest.Fault{Op: "registries_list_repositoriesV2", Action: docrtest.NotJSON, Status: 200})
	r, err = f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
	check(t, err, r.HTTPResponse, 200)
	if r.JSON200 != nil {
		t.Fatal("an HTML page parsed as JSON")
	}
}

func TestFaultRedirect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inject(t, f.srv, docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.Redirect})
	r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", nil)
	// net/http drops the Authorization header on the way to another host,
	// so the second host refuses the call.
	checkError(t, err, r.HTTPResponse, r.Body, 401, "unauthorized")
	reqs := f.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %+v", reqs)
	}
	equal(t, "first", []any{reqs[0].Host, reqs[0].Status, reqs[0].Header.Get("Authorization")},
		[]any{strings.TrimPrefix(f.srv.URL, "http://"), 307, "Bearer REDACTED"})
	// 127.0.0.2 where the system allows it, else "localhost".
	if !strings.HasPrefix(reqs[1].Host, "127.0.0.2:") && !strings.HasPrefix(reqs[1].Host, "localhost:") {
		t.Errorf("redirected to %s", reqs[1].Host)
	}
	if reqs[1].Host == reqs[0].Host || reqs[1].Status != 401 || reqs[1].Header.Get("Authorization") != "" ||
		reqs[1].Path != reqs[0].Path || reqs[1].Operation != "registries_get_dockerCredentials" {
		t.Fatalf("redirected request = %+v", reqs[1])
	}
	equal(t, "nothing issued", len(f.srv.Credentials()), 0)

	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer other.Close()
	inject(t, f.srv, docrtest.Fault{Op: "registries_list", Action: docrtest.Redirect, RedirectTo: other.URL, Status: 302})
	l, err := f.c.RegistriesListWithResponse(ctx)
	check(t, err, l.HTTPResponse, http.StatusTeapot)
}

func TestFaultsOnTheOtherEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, user, pass := issue(t, f, false, 0)
	inject(t, f.srv, docrtest.Fault{Op: docrtest.OpDockerRegistry, Status: 503})
	inject(t, f.srv, docrtest.Fault{Op: docrtest.OpOAuthRevoke, Status: 500})
	resp, _ := registryCall(t, "GET", f.srv.URL+"/v2/", user, pass)
	equal(t, "registry", resp.StatusCode, 503)
	resp, _ = registryCall(t, "GET", f.srv.URL+"/v2/", user, pass)
	equal(t, "registry after the fault", resp.StatusCode, 200)
	resp, _ = revoke(t, f.srv.URL, pass, pass)
	equal(t, "revoke", resp.StatusCode, 500)
	equal(t, "not revoked", f.srv.Credentials()[0].Revoked, false)
}

func TestInjectRejectsBadFaults(t *testing.T) {
	t.Parallel()
	srv, err := docrtest.New()
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]docrtest.Fault{
		"unknown op":           {Op: "registry_explode", Status: 500},
		"does nothing":         {Op: "registries_list"},
		"success status":       {Status: 200},
		"negative latency":     {Latency: -time.Second},
		"hangup with status":   {Action: docrtest.Hangup, Status: 500},
		"bad html status":      {Action: docrtest.NotJSON, Status: 99},
		"redirect status":      {Action: docrtest.Redirect, Status: 200, RedirectTo: "http://x"},
		"redirect nowhere":     {Action: docrtest.Redirect},
		"RedirectTo alone":     {Status: 500, RedirectTo: "http://x"},
		"unknown action":       {Action: docrtest.FaultAction(99)},
		"negative reset":       {Status: 429, ResetIn: -time.Second},
		"negative retry after": {Status: 429, RetryAfter: -time.Second},
	} {
		if err := srv.Inject(f); err == nil {
			t.Errorf("%s: Inject accepted %+v", name, f)
		}
	}
	if err := srv.Inject(docrtest.Fault{Op: "registry_get", Status: 500}); err != nil {
		t.Errorf("a valid fault: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const workers, rounds = 8, 15
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			errs <- func() error {
				for i := range rounds {
					r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example",
						&gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(i%2 == 0), ExpirySeconds: ptr(w + i)})
					if err != nil || r.StatusCode() != 200 {
						return errors.Join(err, errors.New("credentials: "+r.Status()))
					}
					l, err := f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
					if err != nil || l.StatusCode() != 200 {
						return errors.Join(err, errors.New("list: "+l.Status()))
					}
					g, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
					if err != nil || (g.StatusCode() != 201 && g.StatusCode() != 409) {
						return errors.Join(err, errors.New("gc: "+g.Status()))
					}
					if g.StatusCode() == 201 {
						u, err := f.c.RegistriesUpdateGarbageCollectionWithResponse(ctx, "example", *g.JSON201.GarbageCollection.Uuid, gen.UpdateRegistry{Cancel: ptr(true)})
						if err != nil || (u.StatusCode() != 200 && u.StatusCode() != 409) {
							return errors.Join(err, errors.New("cancel: "+u.Status()))
						}
					}
					_ = f.srv.Requests()
					_ = f.srv.Credentials()
				}
				return nil
			}()
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	creds := f.srv.Credentials()
	equal(t, "credentials", len(creds), workers*rounds)
	seen := map[string]bool{}
	for _, c := range creds {
		if seen[c.Password] {
			t.Fatalf("password minted twice: %s", c.Password)
		}
		seen[c.Password] = true
	}
	ids := map[string]bool{}
	for _, r := range f.srv.Requests() {
		if ids[r.RequestID] {
			t.Fatalf("request id used twice: %s", r.RequestID)
		}
		ids[r.RequestID] = true
	}
}
