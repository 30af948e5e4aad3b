package kubesecret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// A config shaped like the one DigitalOcean Container Registry issues. The
// auth value decodes to "example-token:example-token".
const doConfig = `{"auths":{"registry.digitalocean.com":{"auth":"ZXhhbXBsZS10b2tlbjpleGFtcGxlLXRva2Vu"}}}`

// parsedSecret is what a YAML or JSON consumer sees, decoded independently of
// the Secret type.
type parsedSecret struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name" json:"name"`
		Namespace   *string           `yaml:"namespace" json:"namespace"`
		Annotations map[string]string `yaml:"annotations" json:"annotations"`
		Labels      map[string]string `yaml:"labels" json:"labels"`
	} `yaml:"metadata" json:"metadata"`
	Type string            `yaml:"type" json:"type"`
	Data map[string]string `yaml:"data" json:"data"`
}

func mustNew(t *testing.T, config string, opts Options) *Secret {
	t.Helper()
	s, err := New([]byte(config), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// parseYAMLv3 parses out with go.yaml.in/yaml/v3 (a YAML 1.2 parser, unlike
// the YAML 1.1 one kubectl uses) and checks the fixed fields.
func parseYAMLv3(t *testing.T, out []byte) parsedSecret {
	t.Helper()
	var p parsedSecret
	if err := yamlv3.Unmarshal(out, &p); err != nil {
		t.Fatalf("yaml.v3 cannot parse output: %v\n%s", err, out)
	}
	checkFixed(t, p)
	return p
}

func parseJSON(t *testing.T, out []byte) parsedSecret {
	t.Helper()
	var p parsedSecret
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("cannot parse JSON output: %v\n%s", err, out)
	}
	checkFixed(t, p)
	return p
}

func checkFixed(t *testing.T, p parsedSecret) {
	t.Helper()
	if p.APIVersion != "v1" || p.Kind != "Secret" || p.Type != "kubernetes.io/dockerconfigjson" {
		t.Errorf("apiVersion, kind, type = %q, %q, %q", p.APIVersion, p.Kind, p.Type)
	}
	if len(p.Data) != 1 {
		t.Errorf("data has %d keys, want 1 (%q)", len(p.Data), DockerConfigJSONKey)
	}
}

func decodeConfig(t *testing.T, p parsedSecret) []byte {
	t.Helper()
	enc, ok := p.Data[".dockerconfigjson"]
	if !ok {
		t.Fatalf("data has no .dockerconfigjson key")
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("data[.dockerconfigjson] is not standard base64: %v", err)
	}
	return b
}

var roundTripConfigs = []struct {
	name   string
	config string
}{
	{"digitalocean", doConfig},
	{"empty auths", `{"auths":{}}`},
	{"indented with trailing newline", "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\"auth\": \"YTpi\"}\n\t}\n}\n"},
	{"surrounding whitespace", " \r\n {\"auths\":{}} \n\n"},
	{"extra keys and unusual order", `{"credsStore":"desktop","auths":{"a":{},"b":{"auth":"x"}},"HttpHeaders":{"User-Agent":"docr"}}`},
	{"escapes and unicode", `{"auths":{"r\u00e9gistry.example":{"auth":"\/+=","note":"caf\u00e9 ☕ \"q\" <&>"}}}`},
	{"yaml-looking content", `{"auths":{"---":{"auth":"- a: b\n# c"}}}`},
	{"large", `{"auths":{"x":{"auth":"` + strings.Repeat("QUJD", 50000) + `"}}}`},
}

func TestYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripConfigs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := mustNew(t, tc.config, Options{Name: "pull-secret"}).YAML()
			if err != nil {
				t.Fatalf("YAML: %v", err)
			}
			if got := decodeConfig(t, parseYAMLv3(t, out)); string(got) != tc.config {
				t.Errorf("yaml.v3 round trip changed the config:\ngot  %q\nwant %q", got, tc.config)
			}
			// sigs.k8s.io/yaml is what kubectl uses; decode into Secret itself.
			var s Secret
			if err := yaml.UnmarshalStrict(out, &s); err != nil {
				t.Fatalf("sigs.k8s.io/yaml cannot parse output: %v", err)
			}
			if got := s.Data[DockerConfigJSONKey]; string(got) != tc.config {
				t.Errorf("sigs.k8s.io/yaml round trip changed the config:\ngot  %q\nwant %q", got, tc.config)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripConfigs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := mustNew(t, tc.config, Options{Name: "pull-secret"}).JSON()
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			if got := decodeConfig(t, parseJSON(t, out)); string(got) != tc.config {
				t.Errorf("JSON round trip changed the config:\ngot  %q\nwant %q", got, tc.config)
			}
		})
	}
}

func TestGoldenOutput(t *testing.T) {
	t.Parallel()
	opts := Options{
		RegistryName:       "my-registry",
		Namespace:          "kube-system",
		DOSecretAnnotation: true,
		Labels:             map[string]string{"app.kubernetes.io/managed-by": "docr"},
	}
	const wantYAML = `apiVersion: v1
data:
  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5kaWdpdGFsb2NlYW4uY29tIjp7ImF1dGgiOiJaWGhoYlhCc1pTMTBiMnRsYmpwbGVHRnRjR3hsTFhSdmEyVnUifX19
kind: Secret
metadata:
  annotations:
    digitalocean.com/dosecret-identifier: registry-my-registry
  labels:
    app.kubernetes.io/managed-by: docr
  name: registry-my-registry
  namespace: kube-system
type: kubernetes.io/dockerconfigjson
`
	const wantJSON = `{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {
    "name": "registry-my-registry",
    "namespace": "kube-system",
    "annotations": {
      "digitalocean.com/dosecret-identifier": "registry-my-registry"
    },
    "labels": {
      "app.kubernetes.io/managed-by": "docr"
    }
  },
  "type": "kubernetes.io/dockerconfigjson",
  "data": {
    ".dockerconfigjson": "eyJhdXRocyI6eyJyZWdpc3RyeS5kaWdpdGFsb2NlYW4uY29tIjp7ImF1dGgiOiJaWGhoYlhCc1pTMTBiMnRsYmpwbGVHRnRjR3hsTFhSdmEyVnUifX19"
  }
}
`
	s := mustNew(t, doConfig, opts)
	for _, tc := range []struct {
		format string
		render func() ([]byte, error)
		want   string
	}{
		{"YAML", s.YAML, wantYAML},
		{"JSON", s.JSON, wantJSON},
	} {
		got, err := tc.render()
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s output:\n%s\nwant:\n%s", tc.format, got, tc.want)
		}
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		opts            Options
		wantName        string
		wantNamespace   string // "" means metadata.namespace must be absent
		wantAnnotations map[string]string
		wantLabels      map[string]string
	}{
		{
			name:     "explicit name only",
			opts:     Options{Name: "pull-secret"},
			wantName: "pull-secret",
		},
		{
			name:     "default name from registry",
			opts:     Options{RegistryName: "my-registry"},
			wantName: "registry-my-registry",
		},
		{
			name:     "explicit name wins over registry name",
			opts:     Options{Name: "custom", RegistryName: "my-registry"},
			wantName: "custom",
		},
		{
			name:     "explicit name makes an unusable registry name irrelevant",
			opts:     Options{Name: "custom", RegistryName: "My_Registry"},
			wantName: "custom",
		},
		{
			name:          "namespace",
			opts:          Options{RegistryName: "r", Namespace: "kube-system"},
			wantName:      "registry-r",
			wantNamespace: "kube-system",
		},
		{
			name:            "annotation uses the explicit name",
			opts:            Options{Name: "pull", RegistryName: "r", DOSecretAnnotation: true},
			wantName:        "pull",
			wantAnnotations: map[string]string{"digitalocean.com/dosecret-identifier": "pull"},
		},
		{
			name:            "annotation uses the default name",
			opts:            Options{RegistryName: "r", DOSecretAnnotation: true},
			wantName:        "registry-r",
			wantAnnotations: map[string]string{"digitalocean.com/dosecret-identifier": "registry-r"},
		},
		{
			name:       "labels",
			opts:       Options{Name: "s", Labels: map[string]string{"app": "web", "example.com/empty": "", "tier": "1"}},
			wantName:   "s",
			wantLabels: map[string]string{"app": "web", "example.com/empty": "", "tier": "1"},
		},
		{
			name:     "empty labels map omitted",
			opts:     Options{Name: "s", Labels: map[string]string{}},
			wantName: "s",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, doConfig, tc.opts)
			y, err := s.YAML()
			if err != nil {
				t.Fatal(err)
			}
			j, err := s.JSON()
			if err != nil {
				t.Fatal(err)
			}
			for format, p := range map[string]parsedSecret{"YAML": parseYAMLv3(t, y), "JSON": parseJSON(t, j)} {
				m := p.Metadata
				if m.Name != tc.wantName {
					t.Errorf("%s: name = %q, want %q", format, m.Name, tc.wantName)
				}
				switch {
				case tc.wantNamespace == "" && m.Namespace != nil:
					t.Errorf("%s: namespace = %q, want it omitted", format, *m.Namespace)
				case tc.wantNamespace != "" && (m.Namespace == nil || *m.Namespace != tc.wantNamespace):
					t.Errorf("%s: namespace = %v, want %q", format, m.Namespace, tc.wantNamespace)
				}
				if !equalMaps(m.Annotations, tc.wantAnnotations) {
					t.Errorf("%s: annotations = %v, want %v", format, m.Annotations, tc.wantAnnotations)
				}
				if !equalMaps(m.Labels, tc.wantLabels) {
					t.Errorf("%s: labels = %v, want %v", format, m.Labels, tc.wantLabels)
				}
			}
			// Absent means absent, not an empty value.
			for _, key := range []string{"annotations:", "labels:", "namespace:"} {
				want := map[string]bool{
					"annotations:": tc.wantAnnotations != nil,
					"labels:":      tc.wantLabels != nil,
					"namespace:":   tc.wantNamespace != "",
				}[key]
				if got := bytes.Contains(y, []byte(key)); got != want {
					t.Errorf("YAML contains %q = %v, want %v:\n%s", key, got, want, y)
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Names that YAML would read as numbers, booleans or null must come back as
// the same strings, both for kubectl's YAML 1.1 parser and a YAML 1.2 one.
func TestYAMLQuotesAmbiguousNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"true", "false", "yes", "no", "on", "off", "y", "n", "null", "123", "0123", "1.5", "1e3", "1.5e3", "0x1f", "0o17", "0b101", "nan", "inf", "1-2"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := mustNew(t, doConfig, Options{Name: name, DOSecretAnnotation: true, Labels: map[string]string{"v": name}}).YAML()
			if err != nil {
				t.Fatal(err)
			}
			m := parseYAMLv3(t, out).Metadata
			if m.Name != name || m.Annotations[DOSecretAnnotation] != name || m.Labels["v"] != name {
				t.Errorf("yaml.v3 read name %q, annotation %q, label %q; want %q", m.Name, m.Annotations[DOSecretAnnotation], m.Labels["v"], name)
			}
			var s Secret
			if err := yaml.UnmarshalStrict(out, &s); err != nil {
				t.Fatalf("sigs.k8s.io/yaml: %v\n%s", err, out)
			}
			if s.Metadata.Name != name || s.Metadata.Labels["v"] != name {
				t.Errorf("sigs.k8s.io/yaml read name %q, label %q; want %q", s.Metadata.Name, s.Metadata.Labels["v"], name)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		config  string
		opts    Options
		wantErr string // exact error text
	}{
		{
			name:    "no name and no registry name",
			config:  doConfig,
			wantErr: "kubesecret: no secret name: set Name, or RegistryName to use the default name registry-<RegistryName>",
		},
		{
			name:    "invalid explicit name",
			config:  doConfig,
			opts:    Options{Name: "Foo_Bar"},
			wantErr: `kubesecret: invalid secret name "Foo_Bar": must be ` + subdomainRule,
		},
		{
			name:    "registry name with uppercase and underscore",
			config:  doConfig,
			opts:    Options{RegistryName: "My_Registry"},
			wantErr: `kubesecret: default secret name "registry-My_Registry" derived from registry name "My_Registry" is invalid: must be ` + subdomainRule + "; set Name to a valid secret name",
		},
		{
			name:    "registry name making the default name too long",
			config:  doConfig,
			opts:    Options{RegistryName: strings.Repeat("r", 245)},
			wantErr: `kubesecret: default secret name "registry-` + strings.Repeat("r", 245) + `" derived from registry name "` + strings.Repeat("r", 245) + `" is invalid: must be ` + subdomainRule + "; set Name to a valid secret name",
		},
		{
			name:    "registry name ending in '-'",
			config:  doConfig,
			opts:    Options{RegistryName: "reg-"},
			wantErr: `kubesecret: default secret name "registry-reg-" derived from registry name "reg-" is invalid: must be ` + subdomainRule + "; set Name to a valid secret name",
		},
		{
			name:    "invalid namespace",
			config:  doConfig,
			opts:    Options{Name: "s", Namespace: "Kube_System"},
			wantErr: `kubesecret: invalid namespace "Kube_System": must be ` + labelRule,
		},
		{
			name:    "invalid label key",
			config:  doConfig,
			opts:    Options{Name: "s", Labels: map[string]string{"bad key": "v"}},
			wantErr: `kubesecret: invalid label key "bad key": name must be ` + labelNameRule + ", with an optional DNS-1123 subdomain prefix and '/'",
		},
		{
			name:    "invalid label value",
			config:  doConfig,
			opts:    Options{Name: "s", Labels: map[string]string{"k": "-v"}},
			wantErr: `kubesecret: invalid value "-v" for label "k": must be ` + labelValueRule,
		},
		{name: "empty config", config: "", opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is empty"},
		{name: "not JSON", config: "auths: {}", opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is not valid JSON (syntax error at byte offset 1)"},
		{name: "truncated JSON", config: `{"auths":{}`, opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is not valid JSON (syntax error at byte offset 11)"},
		{name: "trailing garbage", config: `{"auths":{}} x`, opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is not valid JSON (syntax error at byte offset 14)"},
		{name: "JSON null", config: "null", opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is not a JSON object"},
		{name: "JSON array", config: `[{"auths":{}}]`, opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is not a JSON object"},
		{name: "JSON string", config: `"auths"`, opts: Options{Name: "s"}, wantErr: "kubesecret: docker config is not a JSON object"},
		{name: "no auths", config: `{"credsStore":"desktop"}`, opts: Options{Name: "s"}, wantErr: `kubesecret: docker config has no "auths" object`},
		{name: "auths with other case", config: `{"Auths":{}}`, opts: Options{Name: "s"}, wantErr: `kubesecret: docker config has no "auths" object`},
		{name: "auths null", config: `{"auths":null}`, opts: Options{Name: "s"}, wantErr: `kubesecret: docker config "auths" is not a JSON object`},
		{name: "auths array", config: `{"auths":[]}`, opts: Options{Name: "s"}, wantErr: `kubesecret: docker config "auths" is not a JSON object`},
		{name: "auths string", config: `{"auths": "x"}`, opts: Options{Name: "s"}, wantErr: `kubesecret: docker config "auths" is not a JSON object`},
		{
			name:    "too large",
			config:  `{"auths":{"x":{"auth":"` + strings.Repeat("A", MaxDataSize) + `"}}}`,
			opts:    Options{Name: "s"},
			wantErr: "kubesecret: docker config is 1048603 bytes, more than the 1048576 bytes a Kubernetes Secret can hold",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := New([]byte(tc.config), tc.opts)
			if err == nil {
				t.Fatalf("New succeeded, want error %q", tc.wantErr)
			}
			if s != nil {
				t.Errorf("New returned a Secret along with error %v", err)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error:\n got %q\nwant %q", err, tc.wantErr)
			}
		})
	}
}

// Errors must not leak the credential, whatever is wrong with the input.
func TestErrorsDoNotContainSecret(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3tT0k3n"
	secretB64 := base64.StdEncoding.EncodeToString([]byte("user:" + secret))
	tests := []struct {
		name   string
		config string
		opts   Options
	}{
		{"syntax error inside the secret", `{"auths":{"r":{"auth":"` + secret + `\q"}}}`, Options{Name: "s"}},
		{"secret as bare word", `{"auths":` + secret + `}`, Options{Name: "s"}},
		{"secret as top-level string", `"` + secret + `"`, Options{Name: "s"}},
		{"secret in non-object auths", `{"auths":["` + secret + `","` + secretB64 + `"]}`, Options{Name: "s"}},
		{"secret without auths", `{"auth":"` + secretB64 + `","password":"` + secret + `"}`, Options{Name: "s"}},
		{"valid config, bad name", `{"auths":{"r":{"auth":"` + secretB64 + `"}}}`, Options{Name: "BAD"}},
		{"valid config, bad namespace", `{"auths":{"r":{"auth":"` + secretB64 + `"}}}`, Options{Name: "s", Namespace: "_"}},
		{"valid config, bad registry name", `{"auths":{"r":{"auth":"` + secretB64 + `"}}}`, Options{RegistryName: "R"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New([]byte(tc.config), tc.opts)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			msg := err.Error()
			for _, leak := range []string{secret, secretB64, secret[:4], secretB64[:8]} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q contains %q from the config", msg, leak)
				}
			}
		})
	}
}

func TestNewCopiesInputs(t *testing.T) {
	t.Parallel()
	config := []byte(doConfig)
	labels := map[string]string{"app": "web"}
	s, err := New(config, Options{Name: "s", Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if string(config) != doConfig {
		t.Fatalf("New modified its input: %q", config)
	}
	config[0] = 'X'
	labels["app"] = "changed"
	labels["new"] = "x"
	if got := string(s.Data[DockerConfigJSONKey]); got != doConfig {
		t.Errorf("Secret data follows caller's later changes to the input: %q", got)
	}
	if len(s.Metadata.Labels) != 1 || s.Metadata.Labels["app"] != "web" {
		t.Errorf("Secret labels follow caller's later changes: %v", s.Metadata.Labels)
	}
}

func TestNilSecret(t *testing.T) {
	t.Parallel()
	var s *Secret
	for format, render := range map[string]func() ([]byte, error){"JSON": s.JSON, "YAML": s.YAML} {
		b, err := render()
		if err == nil || b != nil {
			t.Errorf("%s on nil Secret = %q, %v; want nil bytes and an error", format, b, err)
		}
	}
}

// Output of a Secret with an empty name etc. still renders; the checks live
// in New. The rendered bytes always end in exactly one newline.
func TestOutputEndsWithNewline(t *testing.T) {
	t.Parallel()
	for _, s := range []*Secret{mustNew(t, doConfig, Options{Name: "s"}), {}} {
		for format, render := range map[string]func() ([]byte, error){"JSON": s.JSON, "YAML": s.YAML} {
			b, err := render()
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if !bytes.HasSuffix(b, []byte("\n")) || bytes.HasSuffix(b, []byte("\n\n")) {
				t.Errorf("%s output does not end in exactly one newline: %q", format, b)
			}
		}
	}
}

func TestMaxDataSize(t *testing.T) {
	t.Parallel()
	// padded returns a valid config of exactly n bytes.
	padded := func(n int) []byte {
		b := []byte(`{"auths":{}}`)
		return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
	}
	if _, err := New(padded(MaxDataSize), Options{Name: "s"}); err != nil {
		t.Errorf("config of exactly MaxDataSize bytes: %v", err)
	}
	if _, err := New(padded(MaxDataSize+1), Options{Name: "s"}); err == nil {
		t.Error("config of MaxDataSize+1 bytes accepted")
	}
}
