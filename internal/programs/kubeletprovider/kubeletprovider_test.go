package kubeletprovider_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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
		{host + "/example/web", kubeletprovider.Image{Host: host, Registry: "example", Repository: "web"}, nil},
		{host + "/example/web:1.0", kubeletprovider.Image{Host: host, Registry: "example", Repository: "web", Tag: "1.0"}, nil},
		{host + "/example/team/api@" + dg, kubeletprovider.Image{Host: host, Registry: "example", Repository: "team/api", Digest: dg}, nil},
		{host + "/my-reg-2/a.b_c__d--e/f:V_1.x@" + dg, kubeletprovider.Image{Host: host, Registry: "my-reg-2", Repository: "a.b_c__d--e/f", Tag: "V_1.x", Digest: dg}, nil},
		{"Registry.DigitalOcean.com/example/web", kubeletprovider.Image{Host: host, Registry: "example", Repository: "web"}, nil},
		{"docker.io/library/nginx", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{"nginx", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{host + ":443/example/web", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{"evil.com/" + host + "/example/web", kubeletprovider.Image{}, kubeletprovider.ErrOtherHost},
		{host + "/example", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "//web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/ex_ample/web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/" + strings.Repeat("a", 64) + "/web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web/", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/-web", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/we..b", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/we___b", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web:", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web:" + strings.Repeat("t", 129), kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web@sha256:abc", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web@" + dg + "@" + dg, kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
		{host + "/example/web\n", kubeletprovider.Image{}, kubeletprovider.ErrBadRequest},
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

func TestCacheMargin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expiry, want time.Duration }{
		{2 * time.Minute, time.Minute},
		{6 * time.Minute, time.Minute},
		{time.Hour, 10 * time.Minute},
		{90 * time.Minute, 15 * time.Minute},
		{30 * 24 * time.Hour, 15 * time.Minute},
	} {
		if got := kubeletprovider.CacheMargin(tc.expiry); got != tc.want {
			t.Errorf("CacheMargin(%s) = %s, want %s", tc.expiry, got, tc.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DIGITALOCEAN_ACCESS_TOKEN": " tok-from-access \n"}
	c, err := kubeletprovider.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := kubeletprovider.Config{
		Token: "tok-from-access", TokenSource: "DIGITALOCEAN_ACCESS_TOKEN", RegistryHost: host,
		Expiry: time.Hour, Timeout: 20 * time.Second, CacheKeyType: "Registry",
	}
	if c != want {
		t.Errorf("config %+v, want %+v", c, want)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "tok-from-access") {
			t.Errorf("printed config holds the token: %s", s)
		}
	}
	a := kubeletprovider.AuthConfig{Username: "user-secret", Password: "pass-secret"}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a)} {
		if strings.Contains(s, "secret") {
			t.Errorf("printed AuthConfig holds a secret: %s", s)
		}
	}
}

func ExampleParseImage() {
	img, err := kubeletprovider.ParseImage("registry.digitalocean.com/example/team/api:v1", "registry.digitalocean.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Registry, img.Repository, img.Tag)
	_, err = kubeletprovider.ParseImage("ghcr.io/example/api:v1", "registry.digitalocean.com")
	fmt.Println(err)
	// Output:
	// example team/api v1
	// bad request: wrong host: "ghcr.io/example/api:v1" is not on registry.digitalocean.com (check the matchImages of the CredentialProviderConfig)
}
