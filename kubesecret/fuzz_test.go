package kubesecret

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// Reference implementations: the regular expressions Kubernetes'
// k8s.io/apimachinery/pkg/util/validation uses.
var (
	refSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	refLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	refQualName  = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
)

func refValidName(s string) bool { return len(s) <= 253 && refSubdomain.MatchString(s) }

func refValidNamespace(s string) bool { return len(s) <= 63 && refLabel.MatchString(s) }

func refValidLabel(key, value string) bool {
	name := key
	if parts := strings.Split(key, "/"); len(parts) == 2 {
		if !refValidName(parts[0]) {
			return false
		}
		name = parts[1]
	} else if len(parts) > 2 {
		return false
	}
	nameOK := func(s string) bool { return len(s) <= 63 && refQualName.MatchString(s) }
	return nameOK(name) && (value == "" || nameOK(value))
}

var fuzzSeeds = []string{
	"", "a", "0", "-", ".", "a-b", "a.b", "a..b", "a-.b", "a.-b", "-a", "a-", ".a", "a.",
	"Foo_Bar", "kube-system", "registry-my-registry", "caf\u00e9", "a\x00", "a/b", "x/y/z",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 253), strings.Repeat("a", 254),
}

func FuzzValidateName(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateName(s)
		if want := refValidName(s); (err == nil) != want {
			t.Fatalf("ValidateName(%q) = %v, reference says valid=%v", s, err, want)
		}
	})
}

func FuzzValidateNamespace(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateNamespace(s)
		if want := refValidNamespace(s); (err == nil) != want {
			t.Fatalf("ValidateNamespace(%q) = %v, reference says valid=%v", s, err, want)
		}
	})
}

func FuzzValidateLabel(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, s)
		f.Add("example.com/"+s, "")
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		err := ValidateLabel(key, value)
		if want := refValidLabel(key, value); (err == nil) != want {
			t.Fatalf("ValidateLabel(%q, %q) = %v, reference says valid=%v", key, value, err, want)
		}
	})
}

// FuzzYAMLRoundTrip checks that any accepted name and config come back
// unchanged from the YAML output, with both kubectl's YAML parser and a YAML
// 1.2 one; and that a credential inserted anywhere in the config never shows
// up in an error.
func FuzzYAMLRoundTrip(f *testing.F) {
	f.Add("pull-secret", doConfig, uint16(55))
	f.Add("1e3", `{"auths":{}}`, uint16(0))
	f.Add("0o17", " {\"auths\":{\"a\":{\"auth\":\"\\u00e9\"}}}\n", uint16(3))
	f.Fuzz(func(t *testing.T, name, config string, pos uint16) {
		const token = "tok3n-S3CRET"
		if !strings.Contains(name, token) {
			i := int(pos) % (len(config) + 1)
			withToken := config[:i] + token + config[i:]
			if _, err := New([]byte(withToken), Options{Name: name}); err != nil && strings.Contains(err.Error(), token) {
				t.Fatalf("error %q contains the credential", err)
			}
		}

		s, err := New([]byte(config), Options{Name: name, DOSecretAnnotation: true})
		if err != nil {
			return
		}
		out, err := s.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		var k8s Secret
		if err := yaml.UnmarshalStrict(out, &k8s); err != nil {
			t.Fatalf("sigs.k8s.io/yaml: %v\n%s", err, out)
		}
		if k8s.Metadata.Name != name || string(k8s.Data[DockerConfigJSONKey]) != config {
			t.Fatalf("sigs.k8s.io/yaml round trip: name %q, config %q", k8s.Metadata.Name, k8s.Data[DockerConfigJSONKey])
		}
		var p parsedSecret
		if err := yamlv3.Unmarshal(out, &p); err != nil {
			t.Fatalf("yaml.v3: %v\n%s", err, out)
		}
		got, err := base64.StdEncoding.DecodeString(p.Data[DockerConfigJSONKey])
		if err != nil || p.Metadata.Name != name || string(got) != config {
			t.Fatalf("yaml.v3 round trip: name %q, config %q, err %v", p.Metadata.Name, got, err)
		}
	})
}
