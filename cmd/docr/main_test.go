//go:build unix

// End-to-end tests of the docr command: TestMain builds the binary once
// (plus cmd/docker-credential-docr, the standalone helper, testdata/dockerclient, a Docker-style client, and
// testdata/fakestore, a docker-credential-<name> store), and every test runs
// it as a subprocess, with a clean environment pointed at temporary
// directories, against an in-process fake API (docrtest.NewServer).
package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/internal/testsupport/testguard"
)

const modulePath = "github.com/docr-dev/docr"

// runGuard is how long one run of a program may take before the test
// declares it hung, kills it and fails.
const runGuard = 2 * time.Minute

var (
	// binDir holds docr and the docker-credential-docr symbolic link to it.
	binDir string
	// helperDir holds cmd/docker-credential-docr, the standalone helper.
	helperDir string
	// toolsDir holds dockerclient (not in the PATH of docr's runs).
	toolsDir string
	// storesDir holds the fake credential stores docker-credential-fakestore
	// and docker-credential-otherstore.
	storesDir string
	// coverDir, when $DOCR_E2E_COVERDIR is set, receives the coverage
	// counters of the binary (built with -cover): go tool covdata.
	coverDir string
	// raceEnabled is set by race_test.go under go test -race.
	raceEnabled bool
)

// TestMain builds the programs once; testguard fails the run if anything
// changed the real user's Docker config or docr's cache (every run gets a
// clean environment, so nothing should).
func TestMain(m *testing.M) {
	os.Exit(testguard.Main(func() int { return testMain(m) }))
}

func testMain(m *testing.M) int {
	// The tests spend their time waiting for subprocesses and fake
	// servers, each in its own directories with its own fake: run more of
	// them at once than there are CPUs, unless -test.parallel was given.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(max(8, 4*runtime.GOMAXPROCS(0))))
	}
	root, err := os.MkdirTemp("", "docr-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(root)
	if err := build(root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return m.Run()
}

// build compiles the four programs with one go build and installs them.
func build(root string) error {
	out := filepath.Join(root, "build")
	binDir = filepath.Join(root, "bin")
	helperDir = filepath.Join(root, "helper")
	toolsDir = filepath.Join(root, "tools")
	storesDir = filepath.Join(root, "stores")
	for _, d := range []string{out, binDir, helperDir, toolsDir, storesDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	args := []string{"build", "-o", out + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	if d := os.Getenv("DOCR_E2E_COVERDIR"); d != "" {
		coverDir = d
		args = append(args, "-cover", "-coverpkg="+modulePath+"/...")
	}
	args = append(args, modulePath+"/cmd/docr",
		modulePath+"/cmd/docker-credential-docr",
		modulePath+"/cmd/docr/testdata/dockerclient",
		modulePath+"/cmd/docr/testdata/fakestore")
	cmd := exec.Command("go", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	for _, mv := range [][2]string{
		{"docr", filepath.Join(binDir, "docr")},
		{"docker-credential-docr", filepath.Join(helperDir, "docker-credential-docr")},
		{"dockerclient", filepath.Join(toolsDir, "dockerclient")},
		{"fakestore", filepath.Join(storesDir, "docker-credential-fakestore")},
	} {
		if err := os.Rename(filepath.Join(out, mv[0]), mv[1]); err != nil {
			return err
		}
	}
	if err := os.Symlink("docr", filepath.Join(binDir, "docker-credential-docr")); err != nil {
		return err
	}
	return os.Symlink("docker-credential-fakestore", filepath.Join(storesDir, "docker-credential-otherstore"))
}

// harness is the world of one test: a fake API and the directories and
// environment docr runs with.
type harness struct {
	t   *testing.T
	srv *docrtest.Server
	// home is $HOME, docker is $DOCKER_CONFIG, cache is $XDG_CACHE_HOME,
	// stores is $FAKESTORE_DIR (the fake credential stores' files).
	home, docker, cache, config, stores string
	// vars is the whole environment of the subprocesses, but PATH.
	vars map[string]string
	// path is the PATH of the subprocesses.
	path []string

	mu       sync.Mutex
	failures []result // every run that exited non-zero, for the secret scan
}

// newHarness starts a fake API with opts and prepares an environment in
// which docr finds it: $DIGITALOCEAN_API_URL, $DIGITALOCEAN_TOKEN,
// $DOCR_REVOKE_URL and $DOCR_REGISTRY_HOST point at the fake. Nothing is
// inherited from the test's own environment.
func newHarness(t *testing.T, opts ...docrtest.Option) *harness {
	t.Helper()
	h := &harness{t: t, srv: docrtest.NewServer(t, opts...)}
	base := t.TempDir()
	h.home = filepath.Join(base, "home")
	h.docker = filepath.Join(base, "docker")
	h.cache = filepath.Join(base, "cache")
	h.config = filepath.Join(base, "config")
	h.stores = filepath.Join(base, "stores")
	for _, d := range []string{h.home, h.cache, h.config, h.stores} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h.vars = map[string]string{
		"HOME":                 h.home,
		"DOCKER_CONFIG":        h.docker,
		"XDG_CACHE_HOME":       h.cache,
		"XDG_CONFIG_HOME":      h.config,
		"FAKESTORE_DIR":        h.stores,
		"DIGITALOCEAN_API_URL": h.srv.URL,
		"DIGITALOCEAN_TOKEN":   h.srv.Token,
		"DOCR_REVOKE_URL":      h.revokeURL(),
		"DOCR_REGISTRY_HOST":   h.srv.RegistryHost(),
	}
	if coverDir != "" {
		h.vars["GOCOVERDIR"] = coverDir
	}
	if raceEnabled {
		// A data race makes the program exit 66 with a report on stderr;
		// the default 1 s sleep at exit would slow every run.
		h.vars["GORACE"] = "atexit_sleep_ms=0"
	}
	h.path = []string{binDir}
	t.Cleanup(h.checkFailuresHoldNoSecrets)
	return h
}

func (h *harness) revokeURL() string { return h.srv.URL + "/v1/oauth/revoke" }

// set sets (or, with "", removes) environment variables: key, value, ...
func (h *harness) set(kv ...string) {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(h.vars, kv[i])
		} else {
			h.vars[kv[i]] = kv[i+1]
		}
	}
}

// withStores adds the fake credential stores to PATH.
func (h *harness) withStores() { h.path = append(h.path, storesDir) }

func (h *harness) environ() []string {
	env := []string{"PATH=" + strings.Join(h.path, string(os.PathListSeparator))}
	for k, v := range h.vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// startFakeAPI runs "docr fake-api" with args as a long-lived process in
// the harness's environment until the test ends (then SIGINT and a wait; a
// 60 s hang guard kills it), and returns the names of the variables it
// printed, in order, with their values.
func (h *harness) startFakeAPI(t *testing.T, args ...string) (names []string, vars map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "docr"), append([]string{"fake-api"}, args...)...)
	cmd.Env = h.environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		cancel()
	})
	vars = map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(names) < 4 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		names = append(names, k)
		vars[k] = v
	}
	return names, vars
}

// result is what one run of a program produced.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout: %q\nstderr: %q", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// docr runs docr with args and an empty stdin.
func (h *harness) docr(args ...string) result {
	h.t.Helper()
	return h.exec(filepath.Join(binDir, "docr"), "", args...)
}

// docrIn runs docr with args and stdin.
func (h *harness) docrIn(stdin string, args ...string) result {
	h.t.Helper()
	return h.exec(filepath.Join(binDir, "docr"), stdin, args...)
}

// helper runs docker-credential-docr (the symbolic link) with an action,
// as Docker does.
func (h *harness) helper(stdin, action string) result {
	h.t.Helper()
	return h.exec(filepath.Join(binDir, "docker-credential-docr"), stdin, action)
}

// standaloneHelper runs cmd/docker-credential-docr, the helper as its own
// program, with an action.
func (h *harness) standaloneHelper(stdin, action string) result {
	h.t.Helper()
	return h.exec(filepath.Join(helperDir, "docker-credential-docr"), stdin, action)
}

// dockerClient runs testdata/dockerclient against host.
func (h *harness) dockerClient(args ...string) result {
	h.t.Helper()
	return h.exec(filepath.Join(toolsDir, "dockerclient"), "", args...)
}

func (h *harness) exec(prog, stdin string, args ...string) result {
	h.t.Helper()
	// A hang guard, not a speed limit: a run takes well under a second
	// alone, a few seconds on a loaded machine under -race.
	ctx, cancel := context.WithTimeout(context.Background(), runGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = h.environ()
	cmd.Dir = h.home
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	r := result{args: append([]string{filepath.Base(prog)}, args...), stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		h.t.Fatalf("%s %s: %v (stderr %q)", prog, strings.Join(args, " "), err, stderr.String())
	}
	if r.code != 0 {
		h.mu.Lock()
		h.failures = append(h.failures, r)
		h.mu.Unlock()
	}
	return r
}

// checkFailuresHoldNoSecrets runs when the test ends: no output of a failed
// run may contain the API token or any credential the fake issued.
func (h *harness) checkFailuresHoldNoSecrets() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.failures {
		for _, s := range h.secrets() {
			if strings.Contains(r.stdout, s.value) || strings.Contains(r.stderr, s.value) {
				h.t.Errorf("the output of a failed run holds %s:\n%v", s.name, r)
			}
		}
	}
}

type secret struct{ name, value string }

// secrets are the API token and every issued user name, password and
// auth value.
func (h *harness) secrets() []secret {
	out := []secret{{"the API token", h.srv.Token}}
	for i, c := range h.srv.Credentials() {
		out = append(out,
			secret{fmt.Sprintf("the password of credential %d", i), c.Password},
			secret{fmt.Sprintf("the user name of credential %d", i), c.Username},
			secret{fmt.Sprintf("the auth value of credential %d", i), b64(c.Username + ":" + c.Password)})
	}
	return out
}

// --- assertions ---

// ok fails the test unless r exited 0.
func ok(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("want exit 0, got:\n%v", r)
	}
	return r
}

// fails checks that r exited with code and printed one line on stderr that
// starts with "docr: " (once) and contains every one of want.
func fails(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("want exit %d, got:\n%v", code, r)
		return
	}
	if !strings.HasPrefix(r.stderr, "docr: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one line starting with %q:\n%v", "docr: ", r)
	}
	if strings.HasPrefix(r.stderr, "docr: docr: ") {
		t.Errorf("stderr repeats the docr: prefix:\n%v", r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%v", w, r)
		}
	}
}

// credentialCalls returns the parsed queries of the docker-credentials
// requests the fake received, with the path of each.
func credentialCalls(srv *docrtest.Server) (paths []string, queries []url.Values) {
	for _, r := range srv.Requests() {
		if r.Operation == "registry_get_dockerCredentials" || r.Operation == "registries_get_dockerCredentials" {
			q, _ := url.ParseQuery(r.RawQuery)
			paths = append(paths, r.Path)
			queries = append(queries, q)
		}
	}
	return paths, queries
}

// query builds url.Values from key, value pairs.
func query(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// wantCredentialCalls checks the exact path and query of every
// docker-credentials request.
func wantCredentialCalls(t *testing.T, srv *docrtest.Server, want ...call) {
	t.Helper()
	paths, queries := credentialCalls(srv)
	var got []call
	for i := range paths {
		got = append(got, call{paths[i], queries[i]})
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docker-credentials requests:\n got %v\nwant %v", got, want)
	}
}

type call struct {
	path  string
	query url.Values
}

const (
	pathDefault  = "/v2/registry/docker-credentials"
	pathExample  = "/v2/registries/example/docker-credentials"
	thirtyDays   = "2592000"
	opRevoke     = docrtest.OpOAuthRevoke
	helperHost   = "registry.digitalocean.com"
	notFoundLine = "credentials not found in native keychain\n"
	// noServerURLLine is the protocol's answer to a request without a
	// server URL (docker-credential-helpers' errCredentialsMissingServerURL).
	noServerURLLine = "no credentials server URL\n"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// readJSON decodes a JSON file into a generic value.
func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return v
}

// wantJSONFile checks that path holds JSON equal to want (a JSON text).
func wantJSONFile(t *testing.T, path, want string) {
	t.Helper()
	got := readJSON(t, path)
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(got, w) {
		b, _ := os.ReadFile(path)
		t.Errorf("%s:\n got %s\nwant %s", path, b, want)
	}
}

// wantMode checks the permission bits of path.
func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

// onlyCredential returns the one credential the fake issued.
func onlyCredential(t *testing.T, srv *docrtest.Server) docrtest.IssuedCredential {
	t.Helper()
	cs := srv.Credentials()
	if len(cs) != 1 {
		t.Fatalf("the fake issued %d credentials, want 1", len(cs))
	}
	return cs[0]
}

// countOp counts the requests the fake received for an operation.
func countOp(srv *docrtest.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Operation == op {
			n++
		}
	}
	return n
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// jsonMarshal encodes v canonically (map keys sorted).
func jsonMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
