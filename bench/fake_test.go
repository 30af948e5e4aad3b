package bench

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// The paging benchmark measures the client's heap, so the docrtest fake
// (which holds every seeded repository and allocates for each page it
// serves) runs in a child process: the test binary itself, started with
// fakeEnv set, which TestMain turns into docrtest.Serve.
const fakeEnv = "DOCR_BENCH_FAKE_REPOS"

// fakeRegistry is the registry the fake's repositories belong to.
const fakeRegistry = "bench"

func TestMain(m *testing.M) {
	if v := os.Getenv(capEnv); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			err = serveCapped(n)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if v := os.Getenv(fakeEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil {
			err = serveFake(n)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopFakes()
	os.Exit(code)
}

// fakeSeed is one registry with n repositories named repo-000000...,
// each with one tagged manifest (two blobs), so every listed repository
// carries a latest_manifest as on a real registry. The fake pushes each as a
// real image; a one-byte file keeps the layers small.
func fakeSeed(n int) docrtest.Seed {
	seed := docrtest.DefaultSeed()
	repos := make([]docrtest.SeedRepository, n)
	for i := range repos {
		repos[i] = docrtest.SeedRepository{
			Name:      fmt.Sprintf("repo-%06d", i),
			Manifests: []docrtest.SeedManifest{{Tags: []string{"latest"}, FileBytes: 1}},
		}
	}
	seed.Registries = []docrtest.SeedRegistry{{Name: fakeRegistry, Repositories: repos}}
	return seed
}

// serveFake runs the fake until stdin is closed or a signal arrives.
func serveFake(n int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString(0) // returns when the parent goes away
		stop()
	}()
	return docrtest.Serve(ctx, "127.0.0.1:0", os.Stdout,
		docrtest.WithSeed(fakeSeed(n)),
		docrtest.WithRandSeed(1),
		docrtest.WithRateLimit(1<<30, time.Hour),
		// Requests are logged at Info, violations above it.
		docrtest.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	)
}

// fakeAPI is a running child-process fake.
type fakeAPI struct {
	URL, Token string
	cmd        *exec.Cmd
}

// startFake starts a fake with n repositories in a child process and stops
// it when tb ends.
func startFake(tb testing.TB, n int) *fakeAPI {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fakeEnv+"="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	f := &fakeAPI{cmd: cmd}
	tb.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && (f.URL == "" || f.Token == "") {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "DIGITALOCEAN_API_URL":
			f.URL = v
		case "DIGITALOCEAN_TOKEN":
			f.Token = v
		}
	}
	if f.URL == "" || f.Token == "" {
		tb.Fatalf("fake with %d repositories did not start", n)
	}
	return f
}
