package kubeletcompat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	configv1 "k8s.io/kubelet/config/v1"
	cpapi "k8s.io/kubelet/pkg/apis/credentialprovider"
	"k8s.io/kubelet/pkg/apis/credentialprovider/install"
	cpv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
	cpv1beta1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1beta1"
	"k8s.io/kubernetes/pkg/credentialprovider"
)

// The kubelet's codecs for the protocol, set up as its exec plugin code
// does: every version installed into one scheme.
var (
	scheme = runtime.NewScheme()
	codecs = serializer.NewCodecFactory(scheme)
	// strict rejects unknown and duplicate fields: what it decodes lost
	// nothing.
	strict = serializer.NewCodecFactory(scheme, serializer.EnableStrict)
)

func init() {
	install.Install(scheme)
	if err := configv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
}

// The constants of the provider are the kubelet's.
func TestConstants(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{
		{kubeletprovider.APIVersionV1, cpv1.SchemeGroupVersion.String()},
		{kubeletprovider.APIVersionV1beta1, cpv1beta1.SchemeGroupVersion.String()},
		{kubeletprovider.Group, cpapi.GroupName},
		{kubeletprovider.CacheKeyImage, string(cpv1.ImagePluginCacheKeyType)},
		{kubeletprovider.CacheKeyRegistry, string(cpv1.RegistryPluginCacheKeyType)},
		{kubeletprovider.CacheKeyGlobal, string(cpv1.GlobalPluginCacheKeyType)},
		{kubeletprovider.KindRequest, reflect.TypeFor[cpv1.CredentialProviderRequest]().Name()},
		{kubeletprovider.KindResponse, reflect.TypeFor[cpv1.CredentialProviderResponse]().Name()},
	} {
		if c[0] != c[1] {
			t.Errorf("provider %q, kubelet %q", c[0], c[1])
		}
	}
}

// encodeRequest encodes a request as the kubelet does: its internal type,
// converted to and encoded in the provider's configured apiVersion by the
// JSON serializer of the codec factory.
func encodeRequest(t *testing.T, gv schema.GroupVersion, req *cpapi.CredentialProviderRequest) []byte {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		t.Fatal("no JSON serializer")
	}
	data, err := runtime.Encode(codecs.EncoderForVersion(info.Serializer, gv), req)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return data
}

// What the kubelet's types encode, the provider decodes; the service
// account fields of newer kubelets are accepted and not kept.
func TestKubeletRequestDecodes(t *testing.T) {
	t.Parallel()
	for _, gv := range []schema.GroupVersion{cpv1.SchemeGroupVersion, cpv1beta1.SchemeGroupVersion} {
		for _, req := range []*cpapi.CredentialProviderRequest{
			{Image: "registry.digitalocean.com/example/web:1.4.2"},
			{Image: "registry.digitalocean.com/example/team/api@sha256:" + strings.Repeat("0f", 32),
				ServiceAccountToken: "sa-token-secret", ServiceAccountAnnotations: map[string]string{"docr.dev/x": "y"}},
		} {
			data := encodeRequest(t, gv, req)
			got, err := kubeletprovider.DecodeRequest(data)
			if err != nil {
				t.Fatalf("%s: decoding %s: %v", gv, data, err)
			}
			want := kubeletprovider.Request{APIVersion: gv.String(), Kind: "CredentialProviderRequest", Image: req.Image}
			if *got != want {
				t.Errorf("%s: decoded %+v, want %+v", gv, *got, want)
			}
			if strings.Contains(fmt.Sprintf("%+v %#v", *got, *got), "sa-token-secret") {
				t.Errorf("the decoded request keeps the service account token")
			}
		}
	}
}

// What the provider writes, the kubelet decodes, strictly, with nothing
// lost: the kubelet's type encodes back to the same JSON.
func TestProviderResponseDecodes(t *testing.T) {
	t.Parallel()
	srv := docrtest.NewServer(t)
	for _, tc := range []struct {
		gv       schema.GroupVersion
		cacheKey string
	}{
		{cpv1.SchemeGroupVersion, ""},
		{cpv1beta1.SchemeGroupVersion, ""},
		{cpv1.SchemeGroupVersion, "Image"},
	} {
		image := srv.RegistryHost() + "/example/repo-1:latest"
		stdin := encodeRequest(t, tc.gv, &cpapi.CredentialProviderRequest{Image: image})
		env := map[string]string{
			"DIGITALOCEAN_API_URL": srv.URL, "DIGITALOCEAN_TOKEN": srv.Token,
			"DOCR_REGISTRY_HOST": srv.RegistryHost(), "DOCR_CACHE_KEY_TYPE": tc.cacheKey,
		}
		var stdout, stderr bytes.Buffer
		code := kubeletprovider.Main(context.Background(), []string{"docr-credential-provider"}, bytes.NewReader(stdin), &stdout, &stderr,
			func(k string) string { return env[k] })
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.gv, code, stderr.String())
		}
		out := stdout.Bytes()

		// As the kubelet decodes it: the universal decoder, converted to
		// the internal type; then as strictly as the codecs can.
		obj, gvk, err := codecs.UniversalDecoder().Decode(out, nil, nil)
		if err != nil {
			t.Fatalf("%s: kubelet decode: %v", tc.gv, err)
		}
		if gvk.Kind != "CredentialProviderResponse" || gvk.GroupVersion() != tc.gv {
			t.Errorf("decoded as %s, want %s CredentialProviderResponse", gvk, tc.gv)
		}
		internal, ok := obj.(*cpapi.CredentialProviderResponse)
		if !ok {
			t.Fatalf("decoded a %T", obj)
		}
		creds := srv.Credentials()
		issued := creds[len(creds)-1]
		wantKey := cpapi.RegistryPluginCacheKeyType
		if tc.cacheKey == "Image" {
			wantKey = cpapi.ImagePluginCacheKeyType
		}
		auth := internal.Auth[srv.RegistryHost()+"/example/"]
		if internal.CacheKeyType != wantKey || len(internal.Auth) != 1 || auth.Username != issued.Username || auth.Password != issued.Password {
			t.Errorf("%s: cacheKeyType %q, %d auth entries; want %q and the issued credential for %s/example/",
				tc.gv, internal.CacheKeyType, len(internal.Auth), wantKey, srv.RegistryHost())
		}
		if d := internal.CacheDuration; d == nil || d.Duration > 50*time.Minute || d.Duration < 49*time.Minute {
			t.Errorf("%s: cacheDuration %v, want just under 50m", tc.gv, d)
		}
		// The kubelet matches auth keys against the image as it matches
		// matchImages: the key must match the image pulled.
		for key := range internal.Auth {
			if ok, err := credentialprovider.URLsMatchStr(key, image); err != nil || !ok {
				t.Errorf("auth key %q does not match %q", key, image)
			}
		}

		sobj, _, err := strict.UniversalDeserializer().Decode(out, nil, nil)
		if err != nil {
			t.Fatalf("%s: strict decode: %v", tc.gv, err)
		}
		again, err := json.Marshal(sobj)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(again, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the kubelet's types lost something: wrote %d bytes, they encode back %d bytes", tc.gv, len(out), len(again))
		}
	}
}

// docConfig returns the CredentialProviderConfig block of the docs.
func docConfig(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(data, []byte("<!-- kubeletcompat:"))
	if !ok {
		t.Fatalf("%s: no <!-- kubeletcompat: ... --> marker", file)
	}
	_, rest, ok = bytes.Cut(rest, []byte("```yaml\n"))
	if !ok {
		t.Fatalf("%s: no yaml block after the marker", file)
	}
	block, _, ok := bytes.Cut(rest, []byte("```"))
	if !ok {
		t.Fatalf("%s: unterminated yaml block", file)
	}
	return block
}

// The example configuration decodes strictly into k8s.io/kubelet's
// config/v1 types (TestKubeletAcceptsDocsConfigs runs the kubelet's own
// validation on it), sends DOCR images, and only those, to the provider,
// and keeps answers no longer than the provider itself would.
func TestDocsConfig(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"../docs/kubelet-credential-provider.md", "../README.md"} {
		t.Run(path.Base(file), func(t *testing.T) {
			t.Parallel()
			block := docConfig(t, file)
			obj, gvk, err := strict.UniversalDecoder(configv1.SchemeGroupVersion).Decode(block, nil, nil)
			if err != nil {
				t.Fatalf("decoding the config: %v", err)
			}
			if gvk.Kind != "CredentialProviderConfig" || gvk.Group != configv1.GroupName {
				t.Fatalf("decoded as %s", gvk)
			}
			cfg := obj.(*configv1.CredentialProviderConfig)
			if len(cfg.Providers) != 1 {
				t.Fatalf("%d providers, want 1", len(cfg.Providers))
			}
			p := cfg.Providers[0]
			if p.Name != "docr-credential-provider" || p.APIVersion != kubeletprovider.APIVersionV1 || p.TokenAttributes != nil || len(p.Args) != 0 {
				t.Errorf("name %q apiVersion %q tokenAttributes %v args %q", p.Name, p.APIVersion, p.TokenAttributes, p.Args)
			}
			for image, want := range map[string]bool{
				"registry.digitalocean.com/example/web":         true,
				"registry.digitalocean.com/other/team/api":      true,
				"ghcr.io/example/web":                           false,
				"registry.digitalocean.com.evil.io/example/web": false,
				"registry.digitalocean.com:8443/example/web":    false,
				"docker.io/library/nginx":                       false,
			} {
				got := false
				for _, m := range p.MatchImages {
					ok, err := credentialprovider.URLsMatchStr(m, image)
					if err != nil {
						t.Fatalf("matchImages %q: %v", m, err)
					}
					got = got || ok
				}
				if got != want {
					t.Errorf("matchImages %v match %q: %v, want %v", p.MatchImages, image, got, want)
				}
			}
			// The provider accepts the configuration's environment (with
			// the token file on this machine and the API a fake), and the
			// kubelet's defaultCacheDuration, used only for an answer
			// without cacheDuration, is no longer than the provider's.
			env := map[string]string{}
			for _, e := range p.Env {
				env[e.Name] = e.Value
			}
			if env[facade.EnvTokenFile] == "" {
				t.Errorf("the config does not set %s", facade.EnvTokenFile)
			}
			srv := docrtest.NewServer(t)
			env[facade.EnvTokenFile] = filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(env[facade.EnvTokenFile], []byte(srv.Token), 0o600); err != nil {
				t.Fatal(err)
			}
			env[facade.EnvAPIURL] = srv.URL
			stdin := `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/example/web"}`
			var stdout, stderr bytes.Buffer
			if code := kubeletprovider.Main(context.Background(), []string{"docr-credential-provider"}, strings.NewReader(stdin), &stdout, &stderr,
				func(k string) string { return env[k] }); code != 0 {
				t.Fatalf("the provider refuses the config's env: %s", stderr.String())
			}
			var resp kubeletprovider.Response
			if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			d, err := time.ParseDuration(resp.CacheDuration)
			if err != nil {
				t.Fatal(err)
			}
			if p.DefaultCacheDuration.Duration > d.Round(time.Minute) {
				t.Errorf("defaultCacheDuration %s outlives the provider's cacheDuration %s", p.DefaultCacheDuration.Duration, d)
			}
		})
	}
}

// TestDocsResponseExample: the response the docs show is what the kubelet
// decodes strictly, has the auth key the provider writes for the docs'
// request, and that key gives registry example's credential to example's
// images only, by the kubelet's own matching.
func TestDocsResponseExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../docs/kubelet-credential-provider.md")
	if err != nil {
		t.Fatal(err)
	}
	var example []byte
	for line := range bytes.Lines(data) {
		if bytes.Contains(line, []byte(`"kind":"CredentialProviderResponse"`)) {
			example = bytes.TrimSpace(line)
			break
		}
	}
	if example == nil {
		t.Fatal("the docs show no CredentialProviderResponse")
	}
	obj, _, err := strict.UniversalDeserializer().Decode(example, nil, nil)
	if err != nil {
		t.Fatalf("the kubelet refuses the docs' response: %v", err)
	}
	resp, ok := obj.(*cpv1.CredentialProviderResponse)
	if !ok || len(resp.Auth) != 1 {
		t.Fatalf("the docs' response decodes to %T with %d auth entries", obj, len(resp.Auth))
	}
	img, err := kubeletprovider.ParseImage("registry.digitalocean.com/example/web", "registry.digitalocean.com")
	if err != nil {
		t.Fatal(err)
	}
	for key := range resp.Auth {
		if key != img.AuthKey() {
			t.Errorf("the docs show the key %q; the provider writes %q", key, img.AuthKey())
		}
		for image, want := range map[string]bool{
			"registry.digitalocean.com/example/web":      true,
			"registry.digitalocean.com/example/team/api": true,
			"registry.digitalocean.com/example-prod/web": false,
			"registry.digitalocean.com/examplecorp/web":  false,
		} {
			if got, _ := credentialprovider.URLsMatchStr(key, image); got != want {
				t.Errorf("the docs' key %q matches %q: %v, want %v", key, image, got, want)
			}
		}
	}
}
