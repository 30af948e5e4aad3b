package docrtest_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

func TestStart(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithToken("t0ken"),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	equal(t, "token", srv.Token, "t0ken")
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q", srv.URL)
	}
	c := newClient(t, srv.URL, srv.Token)
	r, err := c.RegistriesListWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	// A violation answers 400 and is logged, not fatal.
	resp, _ := do(t, "GET", srv.URL+"/v2/registries/example/repositoriesV2?per_page=0", srv.Token, nil)
	equal(t, "status", resp.StatusCode, 400)
	srv.Close()
	srv.Close() // twice is fine
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"operation=registries_list status=200", "kind=request operation=registries_list_repositoriesV2"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "t0ken") {
		t.Errorf("the token leaked into the log")
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	if _, err := docrtest.Start("256.0.0.1:http"); err == nil {
		t.Error("Start listened on a bad address")
	}
	if _, err := docrtest.Start("127.0.0.1:0", docrtest.WithSeed(docrtest.Seed{Tier: "diamond"})); err == nil {
		t.Error("Start accepted a bad seed")
	}
	if _, err := docrtest.New(docrtest.WithSelfRegistryHost()); err == nil {
		t.Error("New accepted WithSelfRegistryHost without a listener")
	}
	for name, o := range map[string]docrtest.Option{
		"nil clock":     docrtest.WithClock(nil),
		"nil logger":    docrtest.WithLogger(nil),
		"nil handler":   docrtest.WithViolationHandler(nil),
		"empty host":    docrtest.WithRegistryHost(""),
		"host path":     docrtest.WithRegistryHost("a/b"),
		"rate limit":    docrtest.WithRateLimit(-1, time.Hour),
		"request log":   docrtest.WithRequestLog(0),
		"storage dir":   docrtest.WithStorageDir(""),
		"storage cap":   docrtest.WithStorageCap(0),
		"rate window":   docrtest.WithRateLimit(10, time.Millisecond),
		"gc duration":   docrtest.WithGCDuration(0),
		"nil option":    nil,
		"empty token":   docrtest.WithToken(""),
		"unknown scope": docrtest.WithScopedToken("tok", "admin"),
	} {
		if _, err := docrtest.New(o); err == nil {
			t.Errorf("%s: New accepted the option", name)
		}
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- docrtest.Serve(cctx, "127.0.0.1:0", pw, docrtest.WithRegistryHost("registry.test"), docrtest.WithLogger(slog.New(slog.DiscardHandler)))
		_ = pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	vars := map[string]string{}
	for len(vars) < 4 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		vars[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.HasPrefix(vars["DIGITALOCEAN_API_URL"], "http://127.0.0.1:") || vars["DIGITALOCEAN_TOKEN"] == "" ||
		vars["DOCR_REGISTRY_HOST"] != "registry.test" || vars["DOCR_REVOKE_URL"] != vars["DIGITALOCEAN_API_URL"]+"/v1/oauth/revoke" {
		t.Fatalf("Serve printed %v", vars)
	}
	c := newClient(t, vars["DIGITALOCEAN_API_URL"], vars["DIGITALOCEAN_TOKEN"])
	r, err := c.RegistriesGetSubscriptionWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if err := docrtest.Serve(ctx, "256.0.0.1:http", io.Discard); err == nil {
		t.Error("Serve listened on a bad address")
	}
}

func TestNewServesItsHandler(t *testing.T) {
	t.Parallel()
	srv, err := docrtest.New(docrtest.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "URL", srv.URL, "")
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c := newClient(t, ts.URL, srv.Token)
	r, err := c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "repo-1", nil)
	check(t, err, r.HTTPResponse, 200)
	equal(t, "total", r.JSON200.Meta.Total, 3)
	if !strings.HasPrefix(srv.Token, "dop_v1_") || len(srv.Token) != 71 {
		t.Fatalf("minted token %q", srv.Token)
	}
}
