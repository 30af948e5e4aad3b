package kubeletprovider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
)

const host = "registry.digitalocean.com"

func TestParseImage(t *testing.T) {
	t.Parallel()
	dg := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		image string
		want  kubeletprovider.Image
		err   error
	}{
		// What the kubelet sends: the repository it pulls, normalised,
		// without tag or digest.
		{host + "/example/web", kubeletprovider.Image{Host: host, Registry: "example", Repository: "web"}, nil},
		{host + "/example/web:1.0", kubeletprovider.Image{Host: host, Registry: "example", Repository: "web"}, nil},
		{host + "/example/team/api@" + dg, kubeletprovider.Image{Host: host, Registry: "example", Repository: "team/api"}, nil},
		{host + "/my-reg-2/a.b_c__d--e/f:V_1.x@" + dg, kubeletprovider.Image{Host: host, Registry: "my-reg-2", Repository: "a.b_c__d--e/f"}, nil},
		// The host as the image writes it: the auth key must match the
		// image as the kubelet compares them (byte for byte).
		{"Registry.DigitalOcean.com/example/web", kubeletprovider.Image{Host: "Registry.DigitalOcean.com", Registry: "example", Repository: "web"}, nil},
		{"docker.io/library/nginx", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{"nginx", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{"example/web", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{host + ":443/example/web", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{"evil.com/" + host + "/example/web", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{host + ".evil.com/example/web", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{host + "/example", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "//web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/ex_ample/web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/ex.ample/web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/" + strings.Repeat("a", 64) + "/web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/Web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/Example/web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web:", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web:" + strings.Repeat("t", 129), kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/" + strings.Repeat("w", 256), kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web@sha256:abc", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web@" + dg + "@" + dg, kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web\n", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/w eb", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{"", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
	} {
		got, err := kubeletprovider.ParseImage(tc.image, host)
		if tc.err == nil && (err != nil || got != tc.want) {
			t.Errorf("ParseImage(%q) = %+v, %v; want %+v", tc.image, got, err, tc.want)
		}
		if tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("ParseImage(%q) error %v, want %v", tc.image, err, tc.err)
		}
	}
}

// TestParseImageRefusesInvalidDigests: a digest is what the OCI image spec
// allows (go-digest, through go-containerregistry): a registered algorithm
// and its exact length of lower-case hex. The hand-written parser took any
// algorithm and any 32 or more hex digits of either case.
func TestParseImageRefusesInvalidDigests(t *testing.T) {
	t.Parallel()
	for _, dg := range []string{
		"sha256:" + strings.Repeat("ab", 16),
		"sha256:" + strings.Repeat("ab", 33),
		"sha256:" + strings.Repeat("AB", 32),
		"md5:" + strings.Repeat("ab", 16),
		"sha512:" + strings.Repeat("ab", 32),
	} {
		image := host + "/example/web@" + dg
		if img, err := kubeletprovider.ParseImage(image, host); !errors.Is(err, kubeletprovider.ErrBadRequest) {
			t.Errorf("ParseImage(%q) = %+v, %v; want ErrBadRequest", image, img, err)
		}
	}
	for _, dg := range []string{"sha256:" + strings.Repeat("ab", 32), "sha512:" + strings.Repeat("ab", 64)} {
		if _, err := kubeletprovider.ParseImage(host+"/example/web@"+dg, host); err != nil {
			t.Errorf("%s: %v", dg, err)
		}
	}
}

// TestParseImageRefusesLookalikeHosts: the image's host is compared by the
// one host rule of docr (internal/registryhost: printable ASCII, A-Z
// lowered, nothing else folded). Unicode case folding took the long s
// (U+017F) for an s and the Kelvin sign (U+212A) for a k.
func TestParseImageRefusesLookalikeHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ image, host string }{
		{"regi\u017ftry.digitalocean.com/example/web", host},
		{"REGI\u017fTRY.DIGITALOCEAN.COM/example/web", host},
		{"\u212a8s.example/example/web", "k8s.example"},
		{"registry.digitalocean.com\u200b/example/web", host},
		{"regi\u0455try.digitalocean.com/example/web", host},
	} {
		img, err := kubeletprovider.ParseImage(tc.image, tc.host)
		if !errors.Is(err, kubeletprovider.ErrOtherHost) {
			t.Errorf("ParseImage(%+q, %q) = %+v, %v; want ErrOtherHost", tc.image, tc.host, img, err)
			continue
		}
		// The message escapes the look-alike.
		if strings.ContainsAny(err.Error(), "\u017f\u212a\u200b\u0455") {
			t.Errorf("error shows the look-alike unescaped: %v", err)
		}
	}
}

// TestProvideAuthKey: the auth key names the registry and ends with a
// slash, because the kubelet matches a key's path as a string prefix
// ("registry.digitalocean.com/example" matches "example-prod/..."); the
// registries v1 and v2 get a /v2 in front, because the kubelet drops a
// leading /v1/ or /v2/ from a key. kubeletcompat runs the same through the
// kubelet's own code.
func TestProvideAuthKey(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "v2"}, docrtest.SeedRegistry{Name: "v1"})
	srv := docrtest.NewServer(t, docrtest.WithSeed(seed), docrtest.WithRegistryHost(host))
	env := map[string]string{"DIGITALOCEAN_API_URL": srv.URL, "DIGITALOCEAN_TOKEN": srv.Token}
	for image, want := range map[string]string{
		host + "/example/web:1":                 host + "/example/",
		host + "/example/team/api":              host + "/example/",
		"Registry.DigitalOcean.com/example/web": "Registry.DigitalOcean.com/example/",
		host + "/v2/app":                        host + "/v2/v2/",
		host + "/v1/app":                        host + "/v2/v1/",
	} {
		stdin := strings.NewReader(`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"` + image + `"}`)
		var stdout, stderr bytes.Buffer
		if code := kubeletprovider.Main(context.Background(), []string{"docr-credential-provider"}, stdin, &stdout, &stderr,
			func(k string) string { return env[k] }); code != 0 {
			t.Fatalf("%s: exit %d: %s", image, code, stderr.String())
		}
		var resp kubeletprovider.Response
		if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		keys := slices.Collect(maps.Keys(resp.Auth))
		if len(keys) != 1 || keys[0] != want {
			t.Errorf("%s: auth keys %q, want [%q]", image, keys, want)
		}
	}
}

func TestDecodeRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, image, version string
		err                error
	}{
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"x/y/z"}`, "x/y/z", kubeletprovider.APIVersionV1, nil},
		{" \n{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1beta1\",\"image\":\"a/b\",\"serviceAccountToken\":\"s\",\"serviceAccountAnnotations\":{\"k\":\"v\"}}\n", "a/b", kubeletprovider.APIVersionV1beta1, nil},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1alpha1","kind":"CredentialProviderRequest","image":"x"}`, "", "", kubeletprovider.ErrUnsupportedVersion},
		{`{"apiVersion":"v1","kind":"CredentialProviderRequest","image":"x"}`, "", "", kubeletprovider.ErrUnsupportedVersion},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"Secret","image":"x"}`, "", "", kubeletprovider.ErrUnsupportedVersion},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":""}`, "", "", kubeletprovider.ErrBadRequest},
		{`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"x"} {}`, "", "", kubeletprovider.ErrBadRequest},
		{`null`, "", "", kubeletprovider.ErrBadRequest},
		{``, "", "", kubeletprovider.ErrBadRequest},
	} {
		req, err := kubeletprovider.DecodeRequest([]byte(tc.in))
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("DecodeRequest(%q) error %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || req.Image != tc.image || req.APIVersion != tc.version {
			t.Errorf("DecodeRequest(%q) = %+v, %v", tc.in, req, err)
		}
	}
}

func TestReadRequestBounded(t *testing.T) {
	t.Parallel()
	r := &countingReader{}
	_, err := kubeletprovider.ReadRequest(r)
	if !errors.Is(err, kubeletprovider.ErrRequestTooLarge) {
		t.Errorf("error %v, want ErrRequestTooLarge", err)
	}
	if r.n > kubeletprovider.MaxRequestSize+1 {
		t.Errorf("read %d bytes of an endless stdin, want at most %d", r.n, kubeletprovider.MaxRequestSize+1)
	}
}

// countingReader is an endless stream of spaces.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	c.n += len(p)
	return len(p), nil
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DIGITALOCEAN_ACCESS_TOKEN": " tok-from-access \n"}
	c, err := kubeletprovider.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := kubeletprovider.Config{
		// As facade.TokenFromEnv finds it; facade.New trims it.
		Token: " tok-from-access \n", TokenSource: "$DIGITALOCEAN_ACCESS_TOKEN", RegistryHost: host,
		Expiry: time.Hour, Timeout: 20 * time.Second, CacheKeyType: "Registry",
	}
	if c != want {
		t.Errorf("config %+v, want %+v", c, want)
	}
}

// TestSecretsNeverPrinted: Config and AuthConfig print no secret under any
// fmt verb (%d and %x used to reach the fields) nor as slog values.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	values := []any{
		kubeletprovider.Config{Token: "tok-secret", TokenSource: "$DIGITALOCEAN_TOKEN", RegistryHost: host},
		kubeletprovider.AuthConfig{Username: "user-secret", Password: "pass-secret"},
		map[string]kubeletprovider.AuthConfig{host + "/example/": {Username: "user-secret", Password: "pass-secret"}},
	}
	for _, v := range values {
		var out []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%10.3v", "%T"} {
			out = append(out, fmt.Sprintf(verb, v))
		}
		// As slog values; a map of them in a JSON log is marshalled as
		// the wire type it is, secrets and all, as the response must be.
		if _, isMap := v.(map[string]kubeletprovider.AuthConfig); !isMap {
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("m", "v", v)
			slog.New(slog.NewTextHandler(&logged, nil)).Info("m", "v", v)
			out = append(out, logged.String())
		}
		for _, s := range out {
			if strings.Contains(s, "secret") || strings.Contains(s, "7365637265") { // "secre" in hex
				t.Errorf("%T printed a secret: %s", v, s)
			}
		}
	}
}

func ExampleParseImage() {
	img, err := kubeletprovider.ParseImage("registry.digitalocean.com/example/team/api:v1", "registry.digitalocean.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Registry, img.Repository, img.AuthKey())
	_, err = kubeletprovider.ParseImage("ghcr.io/example/api:v1", "registry.digitalocean.com")
	fmt.Println(err)
	// Output:
	// example team/api registry.digitalocean.com/example/
	// bad request: wrong host: "ghcr.io/example/api:v1" is not on registry.digitalocean.com (check the matchImages of the CredentialProviderConfig)
}
