package kubeletcompat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	configv1 "k8s.io/kubelet/config/v1"
	cpapi "k8s.io/kubelet/pkg/apis/credentialprovider"
	"k8s.io/kubelet/pkg/apis/credentialprovider/install"
	cpv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
	cpv1beta1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1beta1"
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
		auth := internal.Auth[srv.RegistryHost()+"/example"]
		if internal.CacheKeyType != wantKey || len(internal.Auth) != 1 || auth.Username != issued.Username || auth.Password != issued.Password {
			t.Errorf("%s: cacheKeyType %q, %d auth entries; want %q and the issued credential for %s/example",
				tc.gv, internal.CacheKeyType, len(internal.Auth), wantKey, srv.RegistryHost())
		}
		if d := internal.CacheDuration; d == nil || d.Duration > 50*time.Minute || d.Duration < 49*time.Minute {
			t.Errorf("%s: cacheDuration %v, want just under 50m", tc.gv, d)
		}
		// The kubelet matches auth keys against the image as it matches
		// matchImages: the key must match the image pulled.
		for key := range internal.Auth {
			if !matchImage(t, key, image) {
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
// config/v1 types and passes the checks the kubelet makes at start, and
// it sends DOCR images, and only those, to the provider.
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
			for _, e := range validate(cfg) {
				t.Error(e)
			}
			if len(cfg.Providers) != 1 {
				t.Fatalf("%d providers, want 1", len(cfg.Providers))
			}
			p := cfg.Providers[0]
			if p.Name != "docr-credential-provider" || p.APIVersion != kubeletprovider.APIVersionV1 {
				t.Errorf("name %q apiVersion %q", p.Name, p.APIVersion)
			}
			for image, want := range map[string]bool{
				"registry.digitalocean.com/example/web:1":      true,
				"registry.digitalocean.com/other/team/api@sha": true,
				"ghcr.io/example/web:1":                        false,
				"registry.digitalocean.com.evil.io/example/w":  false,
				"docker.io/library/nginx":                      false,
			} {
				got := false
				for _, m := range p.MatchImages {
					got = got || matchImage(t, m, image)
				}
				if got != want {
					t.Errorf("matchImages %v match %q: %v, want %v", p.MatchImages, image, got, want)
				}
			}
			env := map[string]string{}
			for _, e := range p.Env {
				env[e.Name] = e.Value
			}
			// The provider accepts the configuration's environment (with
			// the token file on this machine).
			tokenFile := t.TempDir() + "/token"
			if err := os.WriteFile(tokenFile, []byte("dop_v1_doc"), 0o600); err != nil {
				t.Fatal(err)
			}
			if env[kubeletprovider.EnvTokenFile] == "" {
				t.Errorf("the config does not set %s", kubeletprovider.EnvTokenFile)
			}
			env[kubeletprovider.EnvTokenFile] = tokenFile
			c, err := kubeletprovider.ConfigFromEnv(func(k string) string { return env[k] })
			if err != nil {
				t.Fatalf("the provider refuses the config's env: %v", err)
			}
			if d := p.DefaultCacheDuration.Duration; d > c.Expiry-kubeletprovider.CacheMargin(c.Expiry) {
				t.Errorf("defaultCacheDuration %s outlives credentials of %s less the margin", d, c.Expiry)
			}
		})
	}
}

// validate makes the checks of the kubelet's validateCredentialProviderConfig
// (k8s.io/kubernetes pkg/credentialprovider/plugin, not importable from
// k8s.io/kubelet), rewritten here, for a kubelet without the service account
// token feature.
func validate(cfg *configv1.CredentialProviderConfig) []string {
	var errs []string
	if len(cfg.Providers) == 0 {
		errs = append(errs, "providers: at least 1 item in plugins is required")
	}
	seen := map[string]bool{}
	versions := map[string]bool{"credentialprovider.kubelet.k8s.io/v1alpha1": true, cpv1beta1.SchemeGroupVersion.String(): true, cpv1.SchemeGroupVersion.String(): true}
	for _, p := range cfg.Providers {
		if p.Name == "" || p.Name == "." || p.Name == ".." || strings.ContainsAny(p.Name, "/ ") {
			errs = append(errs, fmt.Sprintf("providers.name %q is invalid", p.Name))
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Sprintf("providers.name %q is a duplicate", p.Name))
		}
		seen[p.Name] = true
		if !versions[p.APIVersion] {
			errs = append(errs, fmt.Sprintf("providers.apiVersion %q is not supported", p.APIVersion))
		}
		if len(p.MatchImages) == 0 {
			errs = append(errs, "providers.matchImages: at least 1 item in matchImages is required")
		}
		for _, m := range p.MatchImages {
			if _, err := parseSchemeless(m); err != nil {
				errs = append(errs, fmt.Sprintf("providers.matchImages %q: %v", m, err))
			}
		}
		if p.DefaultCacheDuration == nil {
			errs = append(errs, "providers.defaultCacheDuration: required")
		} else if p.DefaultCacheDuration.Duration < 0 {
			errs = append(errs, "providers.defaultCacheDuration must be greater than or equal to 0")
		}
		if p.TokenAttributes != nil {
			errs = append(errs, "providers.tokenAttributes: not needed by docr-credential-provider")
		}
		for _, e := range p.Env {
			if e.Name == "" {
				errs = append(errs, "providers.env: a name is empty")
			}
		}
	}
	return errs
}

// parseSchemeless parses an image or matchImages entry as the kubelet
// does: as a URL with a made-up scheme.
func parseSchemeless(s string) (*url.URL, error) {
	u, err := url.Parse("https://" + s)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, fmt.Errorf("no host")
	}
	return u, nil
}

// matchImage reports whether pattern (a matchImages entry or an auth key)
// matches image by the kubelet's rules: the same number of host labels, each
// matching as a glob, the same port, and the pattern's path a prefix of the
// image's path.
func matchImage(t *testing.T, pattern, image string) bool {
	t.Helper()
	pu, err := parseSchemeless(pattern)
	if err != nil {
		t.Fatalf("pattern %q: %v", pattern, err)
	}
	iu, err := parseSchemeless(image)
	if err != nil {
		return false
	}
	pl, il := strings.Split(pu.Hostname(), "."), strings.Split(iu.Hostname(), ".")
	if len(pl) != len(il) || pu.Port() != iu.Port() {
		return false
	}
	for i := range pl {
		if ok, err := path.Match(pl[i], il[i]); err != nil || !ok {
			return false
		}
	}
	return strings.HasPrefix(iu.Path, pu.Path)
}
