//go:build unix

package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/docr-dev/docr/docrtest"
	"sigs.k8s.io/yaml"
)

// bodyRecorder is a reverse proxy in front of the fake that keeps the
// bodies of the docker-credentials responses, to check that docr prints
// them byte for byte.
type bodyRecorder struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newBodyRecorder(t *testing.T, h *harness) *bodyRecorder {
	target, err := url.Parse(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	br := &bodyRecorder{}
	br.Server = httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasSuffix(resp.Request.URL.Path, "/docker-credentials") {
				return nil
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			resp.Body = io.NopCloser(bytes.NewReader(b))
			br.mu.Lock()
			br.bodies = append(br.bodies, b)
			br.mu.Unlock()
			return nil
		},
	})
	t.Cleanup(br.Close)
	h.set("DIGITALOCEAN_API_URL", br.URL)
	return br
}

// only returns the one docker-credentials body the proxy saw.
func (br *bodyRecorder) only(t *testing.T) []byte {
	t.Helper()
	br.mu.Lock()
	defer br.mu.Unlock()
	if len(br.bodies) != 1 {
		t.Fatalf("%d docker-credentials responses, want 1", len(br.bodies))
	}
	return br.bodies[0]
}

func TestDockerConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		path      string
		query     []string
		readWrite bool
		expiry    int
	}{
		{"defaults", nil, pathDefault, []string{"read_write", "false"}, false, 0},
		{"read-write", []string{"--read-write"}, pathDefault, []string{"read_write", "true"}, true, 0},
		{"expiry-seconds", []string{"--expiry-seconds", "3600"}, pathDefault, []string{"read_write", "false", "expiry_seconds", "3600"}, false, 3600},
		{"never-expire", []string{"--never-expire"}, pathDefault, []string{"read_write", "false"}, false, 0},
		{"registry", []string{"--registry", "example", "--read-write", "--expiry-seconds=60"}, pathExample, []string{"read_write", "true", "expiry_seconds", "60"}, true, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			br := newBodyRecorder(t, h)
			r := ok(t, h.docr(append([]string{"docker-config"}, tt.args...)...))
			if want := string(br.only(t)) + "\n"; r.stdout != want {
				t.Errorf("stdout %q, want the API's body and a newline: %q", r.stdout, want)
			}
			if r.stderr != "" {
				t.Errorf("stderr %q", r.stderr)
			}
			wantCredentialCalls(t, h.srv, call{tt.path, query(tt.query...)})
			c := onlyCredential(t, h.srv)
			if c.ReadWrite != tt.readWrite || c.ExpirySeconds != tt.expiry {
				t.Errorf("issued %+v, want read-write %v, expiry %d", c, tt.readWrite, tt.expiry)
			}
			var cfg struct {
				Auths map[string]struct{ Auth string } `json:"auths"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &cfg); err != nil || cfg.Auths[helperHost].Auth != b64(c.Username+":"+c.Password) {
				t.Errorf("stdout is not the issued credential's config: %v %q", err, r.stdout)
			}
		})
	}
}

func TestDockerConfigUsageErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--expiry-seconds", "5", "--never-expire"}, "--expiry-seconds and --never-expire cannot be used together"},
		{[]string{"--expiry-seconds", "0"}, "--expiry-seconds must be at least 1"},
		{[]string{"--read-only"}, "flag provided but not defined: -read-only"},
		{[]string{"config.json"}, `unexpected argument "config.json"`},
	} {
		fails(t, h.docr(append([]string{"docker-config"}, tt.args...)...), 2, tt.want)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

// secretManifest is the part of a Secret the tests look at.
type secretManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Type       string `json:"type"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
}

func TestKubernetesManifest(t *testing.T) {
	t.Parallel()
	const annotation = "digitalocean.com/dosecret-identifier"
	tests := []struct {
		name       string
		args       []string
		path       string
		query      []string
		lookups    int // GET /v2/registry calls
		json       bool
		secretName string
		namespace  string
		annotated  bool
		expiry     int
	}{
		{"defaults", nil, pathDefault, []string{"read_write", "false"}, 1, false, "registry-example", "kube-system", true, 0},
		{"namespace", []string{"--namespace", "apps"}, pathDefault, []string{"read_write", "false"}, 1, false, "registry-example", "apps", false, 0},
		{"annotation on elsewhere", []string{"--namespace=apps", "--dosecret-annotation=true"}, pathDefault, []string{"read_write", "false"}, 1, false, "registry-example", "apps", true, 0},
		{"annotation off in kube-system", []string{"--dosecret-annotation=false"}, pathDefault, []string{"read_write", "false"}, 1, false, "registry-example", "kube-system", false, 0},
		{"registry name output json", []string{"--registry", "example", "--name", "pull-secret", "--output", "json"}, pathExample, []string{"read_write", "false"}, 0, true, "pull-secret", "kube-system", true, 0},
		{"expiry-seconds", []string{"--expiry-seconds", "600", "--output=yaml"}, pathDefault, []string{"read_write", "false", "expiry_seconds", "600"}, 1, false, "registry-example", "kube-system", true, 600},
		{"never-expire", []string{"--never-expire", "--registry=example"}, pathExample, []string{"read_write", "false"}, 0, false, "registry-example", "kube-system", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			br := newBodyRecorder(t, h)
			r := ok(t, h.docr(append([]string{"kubernetes-manifest"}, tt.args...)...))
			raw := br.only(t)
			wantCredentialCalls(t, h.srv, call{tt.path, query(tt.query...)})
			if n := countOp(h.srv, "registry_get"); n != tt.lookups {
				t.Errorf("%d GET /v2/registry calls, want %d", n, tt.lookups)
			}
			c := onlyCredential(t, h.srv)
			if c.ReadWrite || c.ExpirySeconds != tt.expiry {
				t.Errorf("issued %+v, want read-only, expiry %d", c, tt.expiry)
			}

			var s secretManifest
			if tt.json {
				if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
					t.Fatalf("--output json: %v\n%s", err, r.stdout)
				}
			} else {
				if json.Valid([]byte(r.stdout)) {
					t.Error("YAML output is JSON")
				}
				if err := yaml.UnmarshalStrict([]byte(r.stdout), &s); err != nil {
					t.Fatalf("YAML: %v\n%s", err, r.stdout)
				}
			}
			if s.APIVersion != "v1" || s.Kind != "Secret" || s.Type != "kubernetes.io/dockerconfigjson" ||
				s.Metadata.Name != tt.secretName || s.Metadata.Namespace != tt.namespace {
				t.Errorf("manifest %+v, want Secret %s/%s", s, tt.namespace, tt.secretName)
			}
			if tt.annotated {
				if got := s.Metadata.Annotations[annotation]; got != tt.secretName || len(s.Metadata.Annotations) != 1 {
					t.Errorf("annotations %v, want only %s: %s", s.Metadata.Annotations, annotation, tt.secretName)
				}
			} else if len(s.Metadata.Annotations) != 0 {
				t.Errorf("annotations %v, want none", s.Metadata.Annotations)
			}
			if len(s.Data) != 1 {
				t.Errorf("data keys %v", s.Data)
			}
			if dec, err := base64.StdEncoding.DecodeString(s.Data[".dockerconfigjson"]); err != nil || !bytes.Equal(dec, raw) {
				t.Errorf(".dockerconfigjson is not the API's body: %v", err)
			}
		})
	}
}

// The default manifest, exactly.
func TestKubernetesManifestYAML(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	br := newBodyRecorder(t, h)
	r := ok(t, h.docr("kubernetes-manifest"))
	want := `apiVersion: v1
data:
  .dockerconfigjson: ` + base64.StdEncoding.EncodeToString(br.only(t)) + `
kind: Secret
metadata:
  annotations:
    digitalocean.com/dosecret-identifier: registry-example
  name: registry-example
  namespace: kube-system
type: kubernetes.io/dockerconfigjson
`
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestKubernetesManifestErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--output", "xml"}, `--output must be yaml or json, not "xml"`},
		{[]string{"--namespace", "Not_Valid"}, "--namespace"},
		{[]string{"--name", "Bad Name"}, "--name"},
		{[]string{"--expiry-seconds", "60", "--never-expire"}, "--expiry-seconds and --never-expire cannot be used together"},
		{[]string{"--dosecret-annotation=maybe"}, "invalid boolean value"},
		{[]string{"--read-write"}, "flag provided but not defined: -read-write"},
	} {
		fails(t, h.docr(append([]string{"kubernetes-manifest"}, tt.args...)...), 2, tt.want)
	}
	if n := len(h.srv.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

// On an account with several registries GET /v2/registry answers 412: docr
// shows the API's error and suggests --registry.
func TestKubernetesManifestSeveralRegistries(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "second"})
	h := newHarness(t, docrtest.WithSeed(seed))
	r := h.docr("kubernetes-manifest")
	reqs := h.srv.Requests()
	last := reqs[len(reqs)-1]
	fails(t, r, 1, "pass --registry", "GET /v2/registry: 412 Precondition Failed", "[request id "+last.RequestID+"]")
	if len(credentialCallsOf(h.srv)) != 0 {
		t.Error("credentials were requested after the lookup failed")
	}
	r = ok(t, h.docr("kubernetes-manifest", "--registry", "second", "--output", "json"))
	if !strings.Contains(r.stdout, `"name": "registry-second"`) {
		t.Errorf("stdout %s", r.stdout)
	}
	wantCredentialCalls(t, h.srv, call{"/v2/registries/second/docker-credentials", query("read_write", "false")})
}

func credentialCallsOf(srv *docrtest.Server) []string {
	p, _ := credentialCalls(srv)
	return p
}
