//go:build unix

package main_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
)

// The API token: --token, else --token-file, else $DIGITALOCEAN_TOKEN,
// else $DIGITALOCEAN_ACCESS_TOKEN; global flags go before or after the
// command. Every case runs docker-config, the simplest API command.
func TestTokenSources(t *testing.T) {
	t.Parallel()
	const wrong = "dop_v1_wrongtokenfortests00000000000000"
	type tc struct {
		name  string
		env   []string // changes to the harness environment
		args  []string // "TOKEN" is replaced by the fake's token
		stdin string
		file  string // content of the file named FILE in args
		code  int
		want  string
	}
	tests := []tc{
		{name: "DIGITALOCEAN_TOKEN", args: []string{"docker-config"}},
		{name: "DIGITALOCEAN_ACCESS_TOKEN", env: []string{"DIGITALOCEAN_TOKEN", "", "DIGITALOCEAN_ACCESS_TOKEN", "TOKEN"}, args: []string{"docker-config"}},
		{name: "TOKEN before ACCESS_TOKEN", env: []string{"DIGITALOCEAN_ACCESS_TOKEN", wrong}, args: []string{"docker-config"}},
		{name: "TOKEN wins over ACCESS_TOKEN", env: []string{"DIGITALOCEAN_TOKEN", wrong, "DIGITALOCEAN_ACCESS_TOKEN", "TOKEN"}, args: []string{"docker-config"}, code: 1, want: "401 Unauthorized"},
		{name: "blank TOKEN falls through", env: []string{"DIGITALOCEAN_TOKEN", "  ", "DIGITALOCEAN_ACCESS_TOKEN", "TOKEN"}, args: []string{"docker-config"}},
		{name: "--token before the command", env: []string{"DIGITALOCEAN_TOKEN", wrong}, args: []string{"--token", "TOKEN", "docker-config"}},
		{name: "--token after the command", env: []string{"DIGITALOCEAN_TOKEN", wrong}, args: []string{"docker-config", "--token=TOKEN"}},
		{name: "--token-file", env: []string{"DIGITALOCEAN_TOKEN", ""}, args: []string{"docker-config", "--token-file", "FILE"}, file: "TOKEN\n"},
		{name: "--token-file before the command", env: []string{"DIGITALOCEAN_TOKEN", wrong}, args: []string{"--token-file=FILE", "docker-config"}, file: "  TOKEN\r\n"},
		{name: "--token-file -", env: []string{"DIGITALOCEAN_TOKEN", ""}, args: []string{"docker-config", "--token-file", "-"}, stdin: "TOKEN\n"},
		{name: "--token and --token-file", args: []string{"--token", "TOKEN", "docker-config", "--token-file", "-"}, stdin: "TOKEN", code: 2, want: "give --token or --token-file, not both"},
		{name: "--token-file missing", args: []string{"docker-config", "--token-file", "/nonexistent/token"}, code: 1, want: "docr: --token-file: cannot open the file: no such file or directory (the path is not repeated, in case it is a token"},
		{name: "--token-file empty", args: []string{"docker-config", "--token-file", "FILE"}, file: "\n", code: 1, want: "holds no token"},
		{name: "--token-file - empty", args: []string{"docker-config", "--token-file", "-"}, code: 1, want: "--token-file - holds no token"},
		{name: "no token", env: []string{"DIGITALOCEAN_TOKEN", ""}, args: []string{"docker-config"}, code: 1, want: "no API token: pass --token or --token-file, or set DOCR_TOKEN_FILE, DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN"},
		{name: "wrong token", args: []string{"docker-config", "--token", wrong}, code: 1, want: "GET /v2/registry/docker-credentials: 401 Unauthorized (unauthorized)"},
		{name: "malformed token", args: []string{"docker-config", "--token", "not a token"}, code: 1, want: "invalid API token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			repl := strings.NewReplacer("TOKEN", h.srv.Token)
			for i := 0; i < len(tt.env); i += 2 {
				h.set(tt.env[i], repl.Replace(tt.env[i+1]))
			}
			file := filepath.Join(t.TempDir(), "token")
			writeFile(t, file, repl.Replace(tt.file))
			var args []string
			for _, a := range tt.args {
				args = append(args, strings.NewReplacer("TOKEN", h.srv.Token, "FILE", file).Replace(a))
			}
			r := h.docrIn(repl.Replace(tt.stdin), args...)
			if tt.code == 0 {
				ok(t, r)
				if len(h.srv.Credentials()) != 1 {
					t.Error("no credential issued")
				}
				return
			}
			fails(t, r, tt.code, tt.want)
			if strings.Contains(r.stderr, "not a token") {
				t.Error("the error repeats the malformed token")
			}
		})
	}
}

func TestAPIURL(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	t.Run("env", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t) // $DIGITALOCEAN_API_URL is the fake
		ok(t, h.docr("docker-config"))
		if len(h.srv.Credentials()) != 1 {
			t.Error("the fake was not used")
		}
	})
	for _, args := range [][]string{
		{"--api-url", "URL", "docker-config"},
		{"docker-config", "--api-url=URL"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.set("DIGITALOCEAN_API_URL", dead.URL)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "URL", h.srv.URL)
			}
			ok(t, h.docr(args...))
			if len(h.srv.Credentials()) != 1 {
				t.Error("the fake was not used")
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.set("DIGITALOCEAN_API_URL", dead.URL)
		r := h.docr("docker-config", "--timeout", "20s")
		fails(t, r, 1, "connection refused", "after 4 attempts")
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		// One clean line (issue 12, case 18): a bad flag is a usage error.
		fails(t, h.docr("docker-config", "--api-url", "ftp://example.com"), 2, "--api-url must be an absolute http or https URL without user info, query or fragment")
		h.set("DIGITALOCEAN_API_URL", "http://user:pass@127.0.0.1:1")
		fails(t, h.docr("docker-config"), 1, "$DIGITALOCEAN_API_URL must be an absolute http or https URL without user info")
		if len(h.srv.Requests()) != 0 {
			t.Error("requests sent")
		}
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Every call to the credentials endpoint would answer after an hour
	// (the fake stops waiting when docr hangs up); with --timeout 200ms
	// each of the 4 attempts gives up. A docr that ignored --timeout would
	// be killed by the run's hang guard (runGuard), failing the test.
	if err := h.srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Latency: time.Hour, Times: -1}); err != nil {
		t.Fatal(err)
	}
	r := h.docr("docker-config", "--timeout", "200ms")
	fails(t, r, 1, "/v2/registry/docker-credentials", "after 4 attempts")
	if !strings.Contains(r.stderr, "deadline exceeded") && !strings.Contains(r.stderr, "Timeout exceeded") {
		t.Errorf("the error does not say the request timed out: %q", r.stderr)
	}
	// The same call succeeds within a generous timeout (before the command).
	h.srv.ClearFaults()
	if err := h.srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Latency: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ok(t, h.docr("--timeout", "20s", "docker-config"))

	for _, v := range []string{"0", "-1s", "soon"} {
		fails(t, h.docr("docker-config", "--timeout", v), 2, "timeout")
	}
}

// An API error shows the status, the API's message and the request id.
func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault docrtest.Fault
		args  []string
		want  []string
	}{
		{"404", docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 404}, []string{"docker-config", "--registry", "example"},
			[]string{"GET /v2/registries/example/docker-credentials: 404 Not Found (not_found): "}},
		{"500 after retries", docrtest.Fault{Op: "registry_get_dockerCredentials", Status: 500, Times: -1}, []string{"login"},
			[]string{"GET /v2/registry/docker-credentials: 500 Internal Server Error", "[after 4 attempts]"}},
		{"429", docrtest.Fault{Op: "registry_get", Status: 429, Times: -1, RetryAfter: time.Hour}, []string{"kubernetes-manifest"},
			[]string{"look up the registry name (pass --registry to skip)", "GET /v2/registry: 429 Too Many Requests"}},
		{"not JSON", docrtest.Fault{Op: "registry_get_dockerCredentials", Action: docrtest.NotJSON, Status: 403}, []string{"docker-config"},
			[]string{"GET /v2/registry/docker-credentials: 403 Forbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if err := h.srv.Inject(tt.fault); err != nil {
				t.Fatal(err)
			}
			r := h.docr(tt.args...)
			reqs := h.srv.Requests()
			last := reqs[len(reqs)-1]
			want := tt.want
			if tt.fault.Action == docrtest.NoAction {
				want = append(want, "[request id "+last.RequestID+"]")
			}
			fails(t, r, 1, want...)
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
}

// The API's own message is shown: compare with what the API says when
// asked directly.
func TestAPIErrorShowsMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.docr("docker-config", "--registry", "missing")
	reqs := h.srv.Requests()
	rid := reqs[len(reqs)-1].RequestID

	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/v2/registries/missing/docker-credentials", nil)
	req.Header.Set("Authorization", "Bearer "+h.srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ ID, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Message == "" {
		t.Fatalf("direct call: %v %+v", err, body)
	}
	fails(t, r, 1, "GET /v2/registries/missing/docker-credentials: 404 Not Found ("+body.ID+"): "+body.Message+" [request id "+rid+"]")
}

func TestUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fails(t, h.docr("push"), 2, `unknown command "push"; run 'docr help'`)
	fails(t, h.docr("help", "push"), 2, `unknown command "push"`)
	fails(t, h.docr("--bogus", "login"), 2, "unknown flag --bogus")
	fails(t, h.docr("--timeout"), 2, "--timeout needs a value")
	r := h.docr()
	if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "docr gets and uses DigitalOcean Container Registry credentials.") {
		t.Errorf("no command: %v", r)
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := ok(t, h.docr(args...))
		if !strings.HasPrefix(r.stdout, "docr gets and uses DigitalOcean Container Registry credentials.") || r.stderr != "" {
			t.Errorf("%v: %v", args, r)
		}
		for _, c := range allCommands {
			if !strings.Contains(r.stdout, "\n  "+c+" ") {
				t.Errorf("%v does not list %s", args, c)
			}
		}
		for _, f := range []string{"--token", "--token-file", "--api-url", "--timeout", "(default 30s)", "DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_API_URL"} {
			if !strings.Contains(r.stdout, f) {
				t.Errorf("%v does not mention %s", args, f)
			}
		}
	}
	if len(h.srv.Requests()) != 0 {
		t.Error("requests sent")
	}
}

var allCommands = []string{"login", "logout", "docker-config", "kubernetes-manifest", "credential-helper", "fake-api", "demo", "version"}

// Every command has --help (exit 0, on stdout, with its flags and an
// Example), also as "docr help <command>".
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	flags := map[string][]string{
		"login":               {"--registry", "--read-only", "--expiry-seconds", "--never-expire", "--config", "--helper"},
		"logout":              {"--registry", "--config", "--revoke-url", "--no-revoke"},
		"docker-config":       {"--registry", "--read-write", "--expiry-seconds", "--never-expire"},
		"kubernetes-manifest": {"--registry", "--name", "--namespace", "--expiry-seconds", "--never-expire", "--output", "--dosecret-annotation"},
		"credential-helper":   {"get", "store", "erase", "list", "version", "DOCR_HELPER_EXPIRY_SECONDS", "DOCR_HELPER_READ_WRITE", "DOCR_REGISTRY_HOST"},
		"fake-api":            {"--addr", "--token", "--registry-host"},
		"demo":                nil,
		"version":             nil,
	}
	h := newHarness(t)
	for _, c := range allCommands {
		for _, args := range [][]string{{c, "--help"}, {c, "-h"}, {"help", c}, {"--token", "x", c, "--help"}} {
			r := h.docr(args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%v: %v", args, r)
				continue
			}
			for _, want := range append([]string{"Usage:\n  docr " + c, "\nExample:\n  ", "Global flags: --token, --token-file, --api-url, --timeout"}, flags[c]...) {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%v: help lacks %q:\n%s", args, want, r.stdout)
				}
			}
		}
	}
	// The helper's own name takes --help too.
	if r := ok(t, h.helper("", "--help")); !strings.Contains(r.stdout, "Usage:\n  docr credential-helper") {
		t.Errorf("docker-credential-docr --help: %v", r)
	}
	if len(h.srv.Requests()) != 0 {
		t.Error("requests sent")
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// It needs nothing: no token, no HOME.
	for k := range h.vars {
		if k != "GOCOVERDIR" && k != "GORACE" {
			delete(h.vars, k)
		}
	}
	for _, args := range [][]string{{"version"}, {"--token", "x", "version"}} {
		r := ok(t, h.docr(args...))
		if r.stdout != "docr "+facade.Version+"\n" || r.stderr != "" {
			t.Errorf("%v: %v", args, r)
		}
	}
	fails(t, h.docr("version", "--short"), 2)
	fails(t, h.docr("version", "now"), 2)
}

// The failure cases most likely to leak: every output of a failed run is
// scanned for the API token and for every user name, password and auth
// value the fake issued, in plain and in base64 form (the harness does
// the scan for all tests; this one provokes failures after credentials
// exist, on every path that handles one).
func TestFailuresShowNoSecrets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, docrtest.AllowInvalidRequests())
	h.withStores()
	cfg := filepath.Join(h.docker, "config.json")
	inject := func(f docrtest.Fault) {
		t.Helper()
		h.srv.ClearFaults()
		if err := h.srv.Inject(f); err != nil {
			t.Fatal(err)
		}
	}
	// Credentials to leak: a stored one and a cached one.
	ok(t, h.docr("login", "--config", filepath.Join(h.home, "spare")))
	ok(t, h.helper(helperHost, "get"))
	ok(t, h.docr("login"))

	var failed []result
	run := func(r result) {
		t.Helper()
		if r.code == 0 {
			t.Errorf("expected a failure: %v", r)
		}
		failed = append(failed, r)
	}
	tok := h.srv.Token
	// A token that is the real one plus a character: echoing it would leak
	// the real one.
	run(h.docr("docker-config", "--token", tok+"x"))
	run(h.docr("docker-config", "--token", "x"+tok))
	run(h.docr("login", "--token", tok+" extra"))
	run(h.docr("login", "--token", "'"+tok))
	run(h.docrIn(tok+"\x00\n", "docker-config", "--token-file", "-"))
	run(h.docr("docker-config", "--api-url", "http://user:"+tok+"@127.0.0.1:1"))
	// Broken answers that carry a credential.
	inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Action: docrtest.Truncate})
	run(h.docr("docker-config"))
	inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.Hangup, Times: -1})
	run(h.docr("kubernetes-manifest", "--registry", "example", "--timeout", "20s"))
	inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.Truncate})
	run(h.docr("kubernetes-manifest", "--registry", "example"))
	inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Action: docrtest.Redirect})
	run(h.docr("docker-config"))
	inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Status: 400, Times: -1})
	h.set("DOCR_HELPER_READ_WRITE", "true") // not cached yet: the helper calls the API
	run(h.helper("registry.digitalocean.com", "get"))
	h.set("DOCR_HELPER_READ_WRITE", "")
	// Revocation failures, which send the password.
	inject(docrtest.Fault{Op: opRevoke, Status: 400})
	run(h.docr("logout"))
	ok(t, h.docr("login"))
	inject(docrtest.Fault{Op: opRevoke, Action: docrtest.Redirect})
	run(h.docr("logout"))
	inject(docrtest.Fault{Op: opRevoke, Status: 401})
	run(h.helper(helperHost, "erase"))
	// Credential stores that fail with a credential in hand.
	writeFile(t, cfg, `{"credsStore": "fakestore"}`)
	h.set("FAKESTORE_FAIL", "store")
	h.srv.ClearFaults()
	run(h.docr("login"))
	h.set("FAKESTORE_FAIL", "")
	ok(t, h.docr("login"))
	h.set("FAKESTORE_FAIL", "erase")
	run(h.docr("logout"))
	writeFile(t, cfg, `{"credsStore": "nosuch"}`)
	run(h.docr("login"))
	run(h.docr("logout"))
	// The helper's store refusal, with a secret on stdin.
	c := h.srv.Credentials()[0]
	run(h.helper(`{"ServerURL":"`+helperHost+`","Username":"`+c.Username+`","Secret":"`+c.Password+`"}`, "store"))
	h.srv.ClearFaults()

	if len(h.srv.Credentials()) < 5 {
		t.Fatalf("only %d credentials issued", len(h.srv.Credentials()))
	}
	for _, r := range failed {
		for _, s := range h.secrets() {
			if strings.Contains(r.stdout, s.value) || strings.Contains(r.stderr, s.value) {
				t.Errorf("the output of a failed run holds %s:\n%v", s.name, r)
			}
		}
		if r.code != 0 && r.args[0] == "docr" && !strings.HasPrefix(r.stderr, "docr: ") {
			t.Errorf("stderr does not start with docr: %v", r)
		}
	}
}

// The subprocesses do not inherit the test's own environment.
func TestSubprocessEnvIsolated(t *testing.T) {
	t.Setenv("DIGITALOCEAN_TOKEN", "dop_v1_parenttokenmustnotbeused000000")
	t.Setenv("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_parenttokenmustnotbeused000000")
	h := newHarness(t)
	h.set("DIGITALOCEAN_TOKEN", "")
	fails(t, h.docr("docker-config"), 1, "no API token")
}
