//go:build unix

package main_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docr-dev/docr/docrtest"
	"sigs.k8s.io/yaml"
)

// configOf is the Docker config docr prints for the credential c: exactly
// {"auths":{<host>:{"auth":...}}}, encoded anew, never the API's answer as
// received (issue 22, item 10).
func configOf(c docrtest.IssuedCredential, host string) string {
	return `{"auths":{"` + host + `":{"auth":"` + b64(c.Username+":"+c.Password) + `"}}}`
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
			r := ok(t, h.docr(append([]string{"docker-config"}, tt.args...)...))
			if want := configOf(onlyCredential(t, h.srv), h.srv.RegistryHost()) + "\n"; r.stdout != want {
				t.Errorf("stdout %q, want the registry host's credential and a newline: %q", r.stdout, want)
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
		{[]string{"--read-only"}, "unknown flag --read-only"},
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
			r := ok(t, h.docr(append([]string{"kubernetes-manifest"}, tt.args...)...))
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
			if dec, err := base64.StdEncoding.DecodeString(s.Data[".dockerconfigjson"]); err != nil || string(dec) != configOf(c, h.srv.RegistryHost()) {
				t.Errorf(".dockerconfigjson is not the registry host's credential: %v %q", err, dec)
			}
		})
	}
}

// The default manifest, exactly.
func TestKubernetesManifestYAML(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := ok(t, h.docr("kubernetes-manifest"))
	want := `apiVersion: v1
data:
  .dockerconfigjson: ` + base64.StdEncoding.EncodeToString([]byte(configOf(onlyCredential(t, h.srv), h.srv.RegistryHost()))) + `
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
		{[]string{"--output", "xml"}, "--output must be yaml or json (the value given is not repeated"},
		{[]string{"--namespace", "Not_Valid"}, "--namespace"},
		{[]string{"--name", "Bad Name"}, "--name"},
		{[]string{"--expiry-seconds", "60", "--never-expire"}, "--expiry-seconds and --never-expire cannot be used together"},
		{[]string{"--dosecret-annotation=maybe"}, "invalid value for --dosecret-annotation: want true or false"},
		{[]string{"--read-write"}, "unknown flag --read-write"},
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
