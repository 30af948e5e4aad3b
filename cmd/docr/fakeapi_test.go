//go:build unix

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFakeAPI runs "docr fake-api" as a long-lived process, as a test
// suite in another language would: it reads the URL and token lines, calls
// the API with net/http, points docr login at it, and stops it with SIGINT.
func TestFakeAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		token    string // "" : a random one
		wantHost string // "" : the fake's own address
	}{
		{"token and self host", []string{"fake-api", "--addr", "127.0.0.1:0", "--token", "test-token", "--registry-host", "self"}, "test-token", ""},
		{"defaults", []string{"fake-api"}, "", "registry.digitalocean.com"},
		{"global token before the command", []string{"--token=tok-before", "fake-api", "--registry-host=registry.example.test"}, "tok-before", "registry.example.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t) // for its environment; its fake is not used
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(binDir, "docr"), tt.args...)
			// $DIGITALOCEAN_TOKEN (the harness's) is not the fake's token.
			cmd.Env = h.environ()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill() }()

			vars := map[string]string{}
			sc := bufio.NewScanner(stdout)
			for len(vars) < 3 && sc.Scan() {
				k, v, found := strings.Cut(sc.Text(), "=")
				if !found {
					t.Fatalf("unexpected line %q", sc.Text())
				}
				vars[k] = v
			}
			apiURL, token, host := vars["DIGITALOCEAN_API_URL"], vars["DIGITALOCEAN_TOKEN"], vars["DOCR_REGISTRY_HOST"]
			if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(apiURL) || token == "" || host == "" {
				t.Fatalf("fake-api printed %v (stderr %q)", vars, stderr.String())
			}
			if tt.token != "" && token != tt.token || tt.token == "" && token == h.srv.Token {
				t.Errorf("token %q, want %q", token, tt.token)
			}
			wantHost := tt.wantHost
			if wantHost == "" {
				wantHost = strings.TrimPrefix(apiURL, "http://")
			}
			if host != wantHost {
				t.Errorf("DOCR_REGISTRY_HOST=%s, want %s", host, wantHost)
			}

			// The API answers with the bearer token, and only with it.
			get := func(tok string) (int, []byte) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/v2/registry", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, b
			}
			code, body := get(token)
			var reg struct{ Registry struct{ Name string } }
			if code != http.StatusOK || json.Unmarshal(body, &reg) != nil || reg.Registry.Name != "example" {
				t.Errorf("GET /v2/registry: %d %s", code, body)
			}
			if code, _ := get(token + "x"); code != http.StatusUnauthorized {
				t.Errorf("GET /v2/registry with a wrong token: %d", code)
			}

			// docr itself works against it, configured from the printed lines.
			h.set("DIGITALOCEAN_API_URL", apiURL, "DIGITALOCEAN_TOKEN", token, "DOCR_REGISTRY_HOST", host,
				"DOCR_REVOKE_URL", apiURL+"/v1/oauth/revoke")
			ok(t, h.docr("login", "--expiry-seconds", "60"))
			ok(t, h.docr("logout"))

			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, stdout)
			err = cmd.Wait()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Errorf("after SIGINT fake-api exited %d, want 0 (stderr %q)", ee.ExitCode(), stderr.String())
				} else {
					t.Errorf("fake-api: %v", err)
				}
			}
		})
	}
}

func TestFakeAPIErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fails(t, h.docr("fake-api", "--addr", "256.0.0.1:0"), 1)
	fails(t, h.docr("fake-api", "now"), 2, `unexpected argument "now"`)
	fails(t, h.docr("fake-api", "--port", "1"), 2, "unknown flag --port")
	fails(t, h.docr("fake-api", "--storage-cap", "lots"), 2, "--storage-cap: want a positive byte count")
	fails(t, h.docr("fake-api", "--storage-cap", "0MiB"), 2, "--storage-cap: want a positive byte count")
	fails(t, h.docr("fake-api", "--rate-limit", "-1"), 2, "--rate-limit must be 0 (off) or more")
	fails(t, h.docr("fake-api", "--request-log", "0"), 2, "--request-log must be at least 1")
	fails(t, h.docr("fake-api", "--token-ttl", "500ms"), 2, "--token-ttl must be at least 1s")
	fails(t, h.docr("fake-api", "--upload-timeout", "0s"), 2, "--upload-timeout must be positive")
	fails(t, h.docr("fake-api", "--gc-duration", "-1s"), 2, "--gc-duration must be positive")
}

func TestDemo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A demo that hangs is killed by the run's hang guard (runGuard).
	r := ok(t, h.docr("demo"))
	for i := 1; i <= 8; i++ {
		if step := "[" + string(rune('0'+i)) + "/8] "; strings.Count(r.stdout, step) != 1 {
			t.Errorf("stdout lacks step %q:\n%s", step, r.stdout)
		}
	}
	for _, want := range []string{"/example/demo:v1 (sha256:", "authn.DefaultKeychain found the credential",
		"      The push went through DOCR's token flow: the registry answered 401 with a Bearer challenge, the token endpoint http://127.0.0.1:",
		"/v2/registry/auth granted repository:example/demo:push,pull for the credential, and the registry took the token.\n",
		"      demo       1 tag(s), latest sha256:", "Pulled it back: sha256:", "digest verified",
		"Pull with the old credential: 401 from the token endpoint, so it is revoked", "Done."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	// The demo uses its own fake and its own DOCKER_CONFIG.
	if len(h.srv.Requests()) != 0 {
		t.Error("the demo used the test's fake")
	}
	if p := findInFiles(t, h.home, "auth"); p != "" {
		t.Errorf("the demo wrote %s", p)
	}
	fails(t, h.docr("demo", "more"), 2)
}
