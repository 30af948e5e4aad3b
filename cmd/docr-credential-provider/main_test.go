//go:build unix

// End-to-end tests of docr-credential-provider: TestMain builds the program
// once, and every test runs it as the kubelet does (a request on stdin, the
// configuration in a clean environment) against an in-process fake API
// (docrtest.NewServer), then checks its stdout, stderr, exit code and the
// requests the fake received.
package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// bin is the built program.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "docr-credential-provider-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin = filepath.Join(dir, "docr-credential-provider")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/docr-dev/docr/cmd/docr-credential-provider").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	v1      = "credentialprovider.kubelet.k8s.io/v1"
	v1beta1 = "credentialprovider.kubelet.k8s.io/v1beta1"
	digest  = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// result is one run of the program.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// run runs the program with exactly the environment env and stdin.
func run(t *testing.T, env map[string]string, stdin io.Reader) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return r
}

// request is a CredentialProviderRequest as the kubelet writes it.
func request(apiVersion, image string) string {
	return fmt.Sprintf(`{"kind":"CredentialProviderRequest","apiVersion":%q,"image":%q}`, apiVersion, image)
}

// fakeEnv is the environment that points the program at srv.
func fakeEnv(srv *docrtest.Server, extra ...string) map[string]string {
	env := map[string]string{
		"DIGITALOCEAN_API_URL": srv.URL,
		"DIGITALOCEAN_TOKEN":   srv.Token,
		"DOCR_REGISTRY_HOST":   srv.RegistryHost(),
		"DOCR_REVOKE_URL":      srv.URL + "/v1/oauth/revoke",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// response mirrors CredentialProviderResponse, strictly.
type response struct {
	APIVersion    string `json:"apiVersion"`
	Kind          string `json:"kind"`
	CacheKeyType  string `json:"cacheKeyType"`
	CacheDuration string `json:"cacheDuration"`
	Auth          map[string]struct {
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"auth"`
}

func decodeResponse(t *testing.T, r result) response {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") {
		t.Errorf("stdout is not one line of JSON")
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var resp response
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("decoding the response: %v", err)
	}
	return resp
}

// secrets are the values no error output may contain: the API token and
// every credential the fake issued.
func secrets(srv *docrtest.Server, more ...string) []string {
	s := append([]string{srv.Token}, more...)
	for _, c := range srv.Credentials() {
		s = append(s, c.Password, c.Username)
	}
	return s
}

func assertNoSecret(t *testing.T, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("output holds a secret: %q", out)
		}
	}
}

// TestResponse checks every field of the response, the one API request
// behind it and the credential the fake issued.
func TestResponse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, apiVersion, path string
	}{
		{"v1 tag", v1, "example/repo-1:latest"},
		{"v1 no tag", v1, "example/repo-1"},
		{"v1 digest", v1, "example/repo-2@" + digest},
		{"v1 tag and digest", v1, "example/repo-2:1.0.0@" + digest},
		{"v1 nested repository", v1, "example/team/api:latest"},
		{"v1beta1", v1beta1, "example/repo-1:v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := docrtest.NewServer(t)
			r := run(t, fakeEnv(srv), strings.NewReader(request(tc.apiVersion, srv.RegistryHost()+"/"+tc.path)))
			resp := decodeResponse(t, r)
			if resp.APIVersion != tc.apiVersion || resp.Kind != "CredentialProviderResponse" || resp.CacheKeyType != "Registry" {
				t.Errorf("apiVersion %q kind %q cacheKeyType %q", resp.APIVersion, resp.Kind, resp.CacheKeyType)
			}
			creds := srv.Credentials()
			if len(creds) != 1 {
				t.Fatalf("the fake issued %d credentials, want 1", len(creds))
			}
			c := creds[0]
			if c.Registry != "example" || c.ReadWrite || c.ExpirySeconds != 3600 || c.Operation != "registries_get_dockerCredentials" {
				t.Errorf("issued %+v, want read-only for example, 3600 s, per-registry operation", c)
			}
			key := srv.RegistryHost() + "/example/"
			if len(resp.Auth) != 1 || resp.Auth[key].Username != c.Username || resp.Auth[key].Password != c.Password {
				t.Errorf("auth keys %v, want exactly %q with the issued credential", slices.Collect(mapKeys(resp.Auth)), key)
			}
			d, err := time.ParseDuration(resp.CacheDuration)
			if err != nil {
				t.Fatalf("cacheDuration %q: %v", resp.CacheDuration, err)
			}
			if want := 50 * time.Minute; d > want || d < want-time.Minute || d%time.Second != 0 {
				t.Errorf("cacheDuration %s, want whole seconds just under %s (1h expiry less a 10m margin)", d, want)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d API requests, want 1", len(reqs))
			}
			q := reqs[0]
			wantQuery := url.Values{"read_write": {"false"}, "expiry_seconds": {"3600"}}
			if gotQuery, _ := url.ParseQuery(q.RawQuery); q.Method != http.MethodGet || q.Path != "/v2/registries/example/docker-credentials" ||
				!equalValues(gotQuery, wantQuery) || q.Header.Get("Authorization") != "Bearer REDACTED" ||
				!strings.HasPrefix(q.Header.Get("User-Agent"), "docr-credential-provider/") {
				t.Errorf("request %s %s?%s Authorization %q User-Agent %q", q.Method, q.Path, q.RawQuery, q.Header.Get("Authorization"), q.Header.Get("User-Agent"))
			}
		})
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestExpiryAndCache checks the lifetime asked for and the cacheDuration
// margin for configured expiries, and the Image cache key type.
func TestExpiryAndCache(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expiry, cacheKey string
		seconds          int
		cache            time.Duration // the cacheDuration with no time lost
		cacheKeyType     string
	}{
		{"", "", 3600, 50 * time.Minute, "Registry"},
		{"2m", "", 120, time.Minute, "Registry"},
		{"30m", "Registry", 1800, 25 * time.Minute, "Registry"},
		{"90m", "Image", 5400, 75 * time.Minute, "Image"},
		{"24h", "", 86400, 24*time.Hour - 15*time.Minute, "Registry"},
	} {
		t.Run(tc.expiry+tc.cacheKey, func(t *testing.T) {
			t.Parallel()
			srv := docrtest.NewServer(t)
			env := fakeEnv(srv)
			if tc.expiry != "" {
				env["DOCR_CREDENTIAL_EXPIRY"] = tc.expiry
			}
			if tc.cacheKey != "" {
				env["DOCR_CACHE_KEY_TYPE"] = tc.cacheKey
			}
			resp := decodeResponse(t, run(t, env, strings.NewReader(request(v1, srv.RegistryHost()+"/example/repo-1:latest"))))
			if c := srv.Credentials(); len(c) != 1 || c[0].ExpirySeconds != tc.seconds || c[0].ReadWrite {
				t.Fatalf("issued %+v, want one read-only credential of %d s", c, tc.seconds)
			}
			d, err := time.ParseDuration(resp.CacheDuration)
			if err != nil || d > tc.cache || d < tc.cache-time.Minute {
				t.Errorf("cacheDuration %q, want just under %s", resp.CacheDuration, tc.cache)
			}
			if resp.CacheKeyType != tc.cacheKeyType {
				t.Errorf("cacheKeyType %q, want %q", resp.CacheKeyType, tc.cacheKeyType)
			}
		})
	}
}

// TestCredentialOpensRegistry uses the returned credential as the kubelet's
// container runtime would: basic auth on the fake's registry endpoint. It
// may read (GET /v2/, tags/list) but not push (403).
func TestCredentialOpensRegistry(t *testing.T) {
	t.Parallel()
	// Basic auth straight on the registry, as before the token flow.
	srv := docrtest.NewServer(t, docrtest.WithSelfRegistryHost(), docrtest.WithRegistryBasicAuth())
	host := srv.RegistryHost()
	resp := decodeResponse(t, run(t, fakeEnv(srv), strings.NewReader(request(v1, host+"/example/repo-1:latest"))))
	a, ok := resp.Auth[host+"/example/"]
	if !ok {
		t.Fatalf("no auth for %s/example/", host)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/v2/", http.StatusOK},
		{http.MethodGet, "/v2/example/repo-1/tags/list", http.StatusOK},
		{http.MethodPost, "/v2/example/repo-1/blobs/uploads/", http.StatusForbidden},
	} {
		req, err := http.NewRequest(tc.method, "http://"+host+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(a.Username, a.Password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.want)
		}
	}
	// Without the credential the registry refuses.
	res, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v2/ without credentials: %d, want 401", res.StatusCode)
	}
}

// TestReadOnlyToken: a token scoped to registry:read only is enough.
func TestReadOnlyToken(t *testing.T) {
	t.Parallel()
	const ro = "dop_v1_readonly0000000000000000000000000000000000000000000000000000"
	srv := docrtest.NewServer(t, docrtest.WithScopedToken(ro, docrtest.ScopeRead))
	env := fakeEnv(srv, "DIGITALOCEAN_TOKEN", ro)
	resp := decodeResponse(t, run(t, env, strings.NewReader(request(v1, srv.RegistryHost()+"/example/repo-1"))))
	if len(resp.Auth) != 1 {
		t.Errorf("auth %d entries, want 1", len(resp.Auth))
	}
}

// TestTokenFile: the token file wins over $DIGITALOCEAN_TOKEN, and a file
// group or others can access is refused before any API call.
func TestTokenFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		mode    os.FileMode
		content string // "" with mode 0: a directory; "-": no file
		wantErr string
	}{
		{"0600", 0o600, "TOKEN\n", ""},
		{"0400", 0o400, "  TOKEN  ", ""},
		{"0640", 0o640, "TOKEN", "has mode 0640: group or others may read or write it"},
		{"0644", 0o644, "TOKEN", "has mode 0644: group or others may read or write it"},
		{"0602", 0o602, "TOKEN", "has mode 0602: group or others may read or write it"},
		{"first line", 0o600, "TOKEN\nsecond line\n", ""},
		{"empty", 0o600, "\n", "holds no token"},
		{"directory", 0, "", "is a directory"},
		{"missing", 0, "-", "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := docrtest.NewServer(t)
			path := filepath.Join(t.TempDir(), "token")
			switch tc.content {
			case "-":
			case "":
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(path, []byte(strings.ReplaceAll(tc.content, "TOKEN", srv.Token)), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			// A wrong token in the environment proves the file is used, and
			// that a bad file does not fall back to it.
			env := fakeEnv(srv, "DOCR_TOKEN_FILE", path, "DIGITALOCEAN_TOKEN", "dop_v1_wrong")
			r := run(t, env, strings.NewReader(request(v1, srv.RegistryHost()+"/example/repo-1")))
			if tc.wantErr == "" {
				decodeResponse(t, r)
				return
			}
			assertOneLineError(t, r, tc.wantErr, secrets(srv))
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d API requests, want 0", n)
			}
		})
	}
}

// assertOneLineError checks a failed run: exit 1, nothing on stdout, one
// line on stderr holding want and no secret.
func assertOneLineError(t *testing.T, r result, want string, secrets []string) {
	t.Helper()
	if r.code != 1 || r.stdout != "" {
		t.Errorf("exit %d, stdout %q; want exit 1 and no output", r.code, r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "docr-credential-provider: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr %q is not one line", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not say %q", r.stderr, want)
	}
	assertNoSecret(t, r.stdout+r.stderr, secrets)
}

// TestBadRequests: requests the provider cannot answer fail with one line
// on stderr and never reach the API.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	const saToken = "eyJhbGciOiJSUzI1NiJ9.service-account-secret.signature"
	srv := docrtest.NewServer(t)
	host := srv.RegistryHost()
	for _, tc := range []struct {
		name, stdin, want string
	}{
		{"other host", request(v1, "ghcr.io/example/repo:1"), `"ghcr.io/example/repo:1" is not on ` + host},
		{"docker hub", request(v1, "nginx:latest"), `"nginx:latest" is not on ` + host},
		{"host prefix", request(v1, host+".evil.example/example/repo"), "is not on " + host},
		{"no repository", request(v1, host+"/example"), "no repository after the registry name"},
		{"bad registry name", request(v1, host+"/ex_ample/repo"), "invalid registry name"},
		{"bad repository", request(v1, host+"/example/Repo"), `"` + host + `/example/Repo" is not a valid image reference`},
		{"bad tag", request(v1, host+"/example/repo:x+y"), "is not a valid image reference"},
		{"bad digest", request(v1, host+"/example/repo@sha256:zz"), "is not a valid image reference"},
		{"empty stdin", "", "empty request on stdin"},
		{"not JSON", "image: " + host + "/example/repo", "invalid JSON at byte"},
		{"truncated", `{"apiVersion":"` + v1, "truncated JSON"},
		{"array", `[]`, "a JSON array where an object was expected"},
		{"image not a string", `{"apiVersion":"` + v1 + `","kind":"CredentialProviderRequest","image":7}`, "field image is not a string"},
		{"two objects", request(v1, host+"/example/repo") + request(v1, host+"/example/repo"), "data after the JSON object"},
		{"no apiVersion", `{"kind":"CredentialProviderRequest","image":"` + host + `/example/repo"}`, "apiVersion is missing"},
		{"unknown apiVersion", request("credentialprovider.kubelet.k8s.io/v2", host+"/example/repo"), `unsupported apiVersion or kind: apiVersion is neither credentialprovider.kubelet.k8s.io/v1 nor credentialprovider.kubelet.k8s.io/v1beta1`},
		{"v1alpha1", request("credentialprovider.kubelet.k8s.io/v1alpha1", host+"/example/repo"), "unsupported apiVersion"},
		{"wrong kind", `{"apiVersion":"` + v1 + `","kind":"CredentialProviderResponse","image":"` + host + `/example/repo"}`, `unsupported apiVersion or kind: kind is not CredentialProviderRequest`},
		{"no image", `{"apiVersion":"` + v1 + `","kind":"CredentialProviderRequest"}`, "image is missing"},
		{"service account token, other host", `{"apiVersion":"` + v1 + `","kind":"CredentialProviderRequest","image":"quay.io/x/y","serviceAccountToken":"` + saToken + `"}`, "is not on"},
		{"too large", `{"apiVersion":"` + v1 + `","kind":"CredentialProviderRequest","image":"` + host + `/example/repo","x":"` + strings.Repeat("a", 64<<10) + `"}`, "request larger than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, fakeEnv(srv), strings.NewReader(tc.stdin))
			assertOneLineError(t, r, tc.want, secrets(srv, saToken))
		})
	}
	t.Cleanup(func() {
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("bad requests reached the API: %d requests", n)
		}
	})
}

// TestBadConfig: configuration errors fail before any API call.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"no token", []string{"DIGITALOCEAN_TOKEN", ""}, "no API token: set DOCR_TOKEN_FILE"},
		{"bad expiry", []string{"DOCR_CREDENTIAL_EXPIRY", "soon"}, `DOCR_CREDENTIAL_EXPIRY="soon" is not a duration`},
		{"short expiry", []string{"DOCR_CREDENTIAL_EXPIRY", "1m"}, "must be whole seconds from 2m0s to 720h0m0s"},
		{"fractional expiry", []string{"DOCR_CREDENTIAL_EXPIRY", "1h0.5s"}, "must be whole seconds"},
		{"bad timeout", []string{"DOCR_PROVIDER_TIMEOUT", "10ms"}, "DOCR_PROVIDER_TIMEOUT=\"10ms\" must be a duration from 1s to 5m0s"},
		{"bad cache key", []string{"DOCR_CACHE_KEY_TYPE", "Global"}, `DOCR_CACHE_KEY_TYPE="Global" must be Registry or Image`},
		{"bad host", []string{"DOCR_REGISTRY_HOST", "a/b"}, "DOCR_REGISTRY_HOST is not a host name"},
		{"host with user info", []string{"DOCR_REGISTRY_HOST", "me@registry.digitalocean.com"}, "DOCR_REGISTRY_HOST is not a host name"},
		{"token with a space", []string{"DIGITALOCEAN_TOKEN", "dop v1"}, "API client (token from $DIGITALOCEAN_TOKEN)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, fakeEnv(srv, tc.env...), strings.NewReader(request(v1, srv.RegistryHost()+"/example/repo-1")))
			assertOneLineError(t, r, tc.want, secrets(srv))
		})
	}
	t.Cleanup(func() {
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("bad configurations reached the API: %d requests", n)
		}
	})
}

// TestAPIFailures: an API error ends the run with one line, after at most
// two attempts.
func TestAPIFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		image    string
		token    string
		fault    *docrtest.Fault
		want     string
		attempts int
	}{
		{"unauthorized", "example/repo-1", "dop_v1_0000000000000000000000000000000000000000000000000000000000000000", nil,
			"getting credentials for registry example: docr: GET /v2/registries/example/docker-credentials: 401 Unauthorized", 1},
		{"unknown registry", "nosuch/repo-1", "", nil, "getting credentials for registry nosuch: docr: GET /v2/registries/nosuch/docker-credentials: 404", 1},
		{"server errors", "example/repo-1", "", &docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 503, Times: -1}, ": 503 Service Unavailable", 2},
		{"hangup", "example/repo-1", "", &docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.Hangup, Times: -1}, "getting credentials for registry example: docr: reading docker credentials: unexpected EOF", 1},
		{"not JSON", "example/repo-1", "", &docrtest.Fault{Op: "registries_get_dockerCredentials", Action: docrtest.NotJSON, Times: -1}, ": 502 Bad Gateway", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := docrtest.NewServer(t)
			if tc.fault != nil {
				if err := srv.Inject(*tc.fault); err != nil {
					t.Fatal(err)
				}
			}
			env := fakeEnv(srv)
			if tc.token != "" {
				env["DIGITALOCEAN_TOKEN"] = tc.token
			}
			r := run(t, env, strings.NewReader(request(v1, srv.RegistryHost()+"/"+tc.image)))
			assertOneLineError(t, r, tc.want, secrets(srv, tc.token))
			if n := len(srv.Requests()); n != tc.attempts {
				t.Errorf("%d API requests, want %d", n, tc.attempts)
			}
		})
	}
}

// TestTimeout: a stalled API, or a kubelet that never closes stdin, ends
// the run after DOCR_PROVIDER_TIMEOUT.
func TestTimeout(t *testing.T) {
	t.Parallel()
	t.Run("API", func(t *testing.T) {
		t.Parallel()
		srv := docrtest.NewServer(t)
		if err := srv.Inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Latency: time.Minute, Times: -1}); err != nil {
			t.Fatal(err)
		}
		r := run(t, fakeEnv(srv, "DOCR_PROVIDER_TIMEOUT", "3s"), strings.NewReader(request(v1, srv.RegistryHost()+"/example/repo-1")))
		// The API call's own message ("no answer within 3s") or, if the
		// machine is too slow to deliver it within a second of the
		// deadline, the watchdog's ("gave up after 3s").
		assertOneLineError(t, r, " 3s", secrets(srv))
		if r.elapsed > 30*time.Second {
			t.Errorf("took %s with a 3s timeout", r.elapsed)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		srv := docrtest.NewServer(t)
		// An *os.File, so that the child reads the pipe itself: nothing is
		// ever written to it, and it is closed only after the run.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pw.Close()
		defer pr.Close()
		r := run(t, fakeEnv(srv, "DOCR_PROVIDER_TIMEOUT", "2s"), pr)
		assertOneLineError(t, r, "gave up after 2s (DOCR_PROVIDER_TIMEOUT)", secrets(srv))
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("%d API requests, want 0", n)
		}
	})
}

// TestArguments: the provider takes none.
func TestArguments(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t)
	cmd := exec.Command(bin, "get")
	cmd.Env = []string{"DIGITALOCEAN_TOKEN=" + srv.Token, "DIGITALOCEAN_API_URL=" + srv.URL}
	cmd.Stdin = strings.NewReader(request(v1, srv.RegistryHost()+"/example/repo-1"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	if err == nil {
		t.Fatal("ran with an argument")
	}
	assertOneLineError(t, r, "takes no arguments", secrets(srv))
}

// TestLean: the program Kubernetes nodes run does not link the fake, the
// spec validator, testing or Kubernetes' own libraries.
func TestLean(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/docr-dev/docr/cmd/docr-credential-provider").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"github.com/docr-dev/docr/docrtest", "github.com/getkin/kin-openapi", "github.com/santhosh-tekuri/jsonschema",
		"testing", "k8s.io/apimachinery", "k8s.io/kubelet", "k8s.io/client-go", "github.com/jarcoal/httpmock",
		"go.yaml.in/yaml", "gopkg.in/yaml.v3", "sigs.k8s.io/yaml",
	}
	var bad []string
	for p := range strings.FieldsSeq(string(out)) {
		for _, f := range forbidden {
			if p == f || strings.HasPrefix(p, f+"/") {
				bad = append(bad, p)
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("docr-credential-provider links forbidden packages: %s", strings.Join(bad, ", "))
	}
}

// TestSeveralRegistries: in an account with two registries, the registry
// named by the image gets the credential, under an auth key that names it,
// and the credential opens that registry only.
func TestSeveralRegistries(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{
		Name:         "second",
		Repositories: []docrtest.SeedRepository{{Name: "app", Manifests: []docrtest.SeedManifest{{Tags: []string{"latest"}}}}},
	})
	// Basic auth straight on the registry, as before the token flow.
	srv := docrtest.NewServer(t, docrtest.WithSeed(seed), docrtest.WithSelfRegistryHost(), docrtest.WithRegistryBasicAuth())
	host := srv.RegistryHost()
	resp := decodeResponse(t, run(t, fakeEnv(srv, "DOCR_CACHE_KEY_TYPE", "Image"), strings.NewReader(request(v1, host+"/second/app:latest"))))
	if resp.CacheKeyType != "Image" {
		t.Errorf("cacheKeyType %q, want Image", resp.CacheKeyType)
	}
	a, ok := resp.Auth[host+"/second/"]
	if !ok || len(resp.Auth) != 1 {
		t.Fatalf("auth keys %v, want exactly %s/second/", slices.Collect(mapKeys(resp.Auth)), host)
	}
	if c := srv.Credentials(); len(c) != 1 || c[0].Registry != "second" || c[0].ReadWrite {
		t.Errorf("issued %+v, want one read-only credential for second", c)
	}
	for path, want := range map[string]int{
		"/v2/second/app/tags/list":     http.StatusOK,
		"/v2/example/repo-1/tags/list": http.StatusForbidden,
	} {
		req, err := http.NewRequest(http.MethodGet, "http://"+host+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(a.Username, a.Password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

// TestAnswerForAnotherHost: credentials the API issues for another host
// than the configured one are not passed on, and are revoked at once.
func TestAnswerForAnotherHost(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t, docrtest.WithRegistryHost("registry.example.net"))
	env := fakeEnv(srv, "DOCR_REGISTRY_HOST", "registry.digitalocean.com")
	r := run(t, env, strings.NewReader(request(v1, "registry.digitalocean.com/example/repo-1")))
	assertOneLineError(t, r, "getting credentials for registry example: docr: invalid credentials: the API issued credentials for registry.example.net, not only for registry.digitalocean.com (the minted credential was revoked)", secrets(srv))
	if c := srv.Credentials(); len(c) != 1 || !c[0].Revoked {
		t.Errorf("issued %+v, want one credential, revoked", c)
	}
}

// TestLookalikeHostsRefused: hosts are matched by the one host rule of
// docr (internal/registryhost: printable ASCII, A-Z lowered, nothing else
// folded), in the image and in $DOCR_REGISTRY_HOST. Unicode case folding
// took the long s (U+017F) for an s and the Kelvin sign (U+212A) for a k,
// and minted credentials for such an image. Each is refused with one line
// that shows the look-alike escaped, before any API call; an ASCII
// upper-case host is the same host.
func TestLookalikeHostsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, image, host, want string
	}{
		{"long s in the image", "regi\u017ftry.digitalocean.com/example/repo-1", "registry.digitalocean.com",
			`wrong host: "regi\u017ftry.digitalocean.com/example/repo-1" is not on registry.digitalocean.com`},
		{"Kelvin sign in the image", "\u212a8s.example/example/repo-1", "k8s.example", `"\u212a8s.example/example/repo-1" is not on k8s.example`},
		{"long s in DOCR_REGISTRY_HOST", "registry.digitalocean.com/example/repo-1", "regi\u017ftry.digitalocean.com",
			`$DOCR_REGISTRY_HOST: invalid registry host: "regi\u017ftry.digitalocean.com" has spaces, control characters, invalid UTF-8 or characters outside printable ASCII`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := docrtest.NewServer(t, docrtest.WithRegistryHost(tc.host))
			r := run(t, fakeEnv(srv, "DOCR_REGISTRY_HOST", tc.host), strings.NewReader(request(v1, tc.image)))
			assertOneLineError(t, r, tc.want, secrets(srv))
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d API requests, want 0", n)
			}
		})
	}
	t.Run("ASCII case", func(t *testing.T) {
		t.Parallel()
		srv := docrtest.NewServer(t, docrtest.WithRegistryHost("registry.digitalocean.com"))
		resp := decodeResponse(t, run(t, fakeEnv(srv, "DOCR_REGISTRY_HOST", "Registry.DigitalOcean.COM"),
			strings.NewReader(request(v1, "REGISTRY.digitalocean.com/example/repo-1"))))
		if _, ok := resp.Auth["REGISTRY.digitalocean.com/example/"]; !ok || len(resp.Auth) != 1 {
			t.Errorf("auth keys %v, want the image's own spelling of the host", slices.Collect(mapKeys(resp.Auth)))
		}
	})
}
