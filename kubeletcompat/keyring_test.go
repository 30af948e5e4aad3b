package kubeletcompat_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
	"k8s.io/kubernetes/pkg/util/parsers"
)

// The tests in this file run docr-credential-provider through the kubelet's
// own credential-provider code (k8s.io/kubernetes/pkg/credentialprovider/plugin,
// v1.37.2), as a node does: RegisterCredentialProviderPlugins reads and
// validates the CredentialProviderConfig and finds the program in the bin
// directory; the external keyring of a pod execs it, decodes its answer
// strictly, caches it by its cacheKeyType and matches its auth keys against
// the image. The credentials come from the docrtest fake API, whose request
// log counts the execs that reached it.

// providerBin is the docr-credential-provider program, built by TestMain.
var providerBin string

// registerConfigEnv, in the environment of this test binary, makes TestMain
// register the CredentialProviderConfig it names (with the bin directory in
// registerBinDirEnv) and exit: a fresh process, because the kubelet's plugin
// registry is global and refuses a provider name twice.
const (
	registerConfigEnv = "KUBELETCOMPAT_REGISTER_CONFIG"
	registerBinDirEnv = "KUBELETCOMPAT_REGISTER_BIN_DIR"
)

// klogOut collects what the kubelet's code logs (its errors hold the
// provider's stderr line).
var klogOut lockedBuffer

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestMain(m *testing.M) {
	if cfg := os.Getenv(registerConfigEnv); cfg != "" {
		if err := plugin.RegisterCredentialProviderPlugins(cfg, os.Getenv(registerBinDirEnv), nil, nil); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("registered")
		os.Exit(0)
	}
	// The kubelet runs a provider with its own environment under the
	// config's env entries: none of the provider's settings may come from
	// the environment of whoever runs the tests.
	for _, k := range []string{
		facade.EnvToken, facade.EnvAccessToken, facade.EnvTokenFile, facade.EnvAPIURL, facade.EnvRevokeURL,
		facade.EnvRegistryHost, kubeletprovider.EnvCacheKeyType, kubeletprovider.EnvExpiry, kubeletprovider.EnvTimeout,
	} {
		os.Unsetenv(k)
	}
	// klog into klogOut only: its errors would also go to stderr.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Parse([]string{"-logtostderr=false", "-stderrthreshold=FATAL"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	klog.SetOutput(&klogOut)
	dir, err := os.MkdirTemp("", "kubeletcompat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	providerBin = filepath.Join(dir, "docr-credential-provider")
	if out, err := exec.Command("go", "build", "-o", providerBin, "github.com/docr-dev/docr/cmd/docr-credential-provider").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	klog.Flush()
	os.RemoveAll(dir)
	os.Exit(code)
}

// installProvider makes a kubelet bin directory holding the program under
// name, writes config (a CredentialProviderConfig) and registers it with
// the kubelet's plugin code, in this process.
func installProvider(t *testing.T, name, config string) {
	t.Helper()
	binDir := t.TempDir()
	if err := os.Symlink(providerBin, filepath.Join(binDir, name)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "credential-provider-config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := plugin.RegisterCredentialProviderPlugins(path, binDir, nil, nil); err != nil {
		t.Fatalf("the kubelet refuses the config: %v", err)
	}
}

// lookup does what the kubelet's image manager does before a pull: it
// reduces the image to the repository to pull (parsers.ParseImageName:
// normalised, tag and digest dropped) and looks it up in the keyring of the
// external credential providers for a pod. An image the kubelet cannot
// parse gets nothing, as it never reaches a provider.
func lookup(t *testing.T, image string) []credentialprovider.TrackedAuthConfig {
	t.Helper()
	repo, _, _, err := parsers.ParseImageName(image)
	if err != nil {
		return nil
	}
	creds, _ := plugin.NewExternalCredentialProviderDockerKeyring("default", "web-0", "7f3a", "default").Lookup(repo)
	return creds
}

// config is a CredentialProviderConfig for the program under name,
// matching host, pointed at the fake with a token file.
func config(t *testing.T, srv *docrtest.Server, name, host, cacheKeyType string) string {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(srv.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: %s
    matchImages: [%q]
    defaultCacheDuration: "50m"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    env:
      - {name: DOCR_TOKEN_FILE, value: %q}
      - {name: DIGITALOCEAN_API_URL, value: %q}
      - {name: DOCR_REGISTRY_HOST, value: %q}
      - {name: DOCR_CACHE_KEY_TYPE, value: %q}
`, name, host, tokenFile, srv.URL, host, cacheKeyType)
}

// issuedFor returns the credentials the fake issued for registry, in order.
func issuedFor(srv *docrtest.Server, registry string) []docrtest.IssuedCredential {
	var out []docrtest.IssuedCredential
	for _, c := range srv.Credentials() {
		if c.Registry == registry {
			out = append(out, c)
		}
	}
	return out
}

// pull is one image a pod pulls and what the kubelet must find for it.
type pull struct {
	image string
	// registry names the DOCR registry whose newest issued credential
	// the keyring must return, alone; "" means no credential at all.
	registry string
	// calls is the number of API requests the fake has seen after the
	// lookup: one per exec of the provider that got as far as the API.
	calls int
}

func checkPulls(t *testing.T, srv *docrtest.Server, pulls []pull) {
	t.Helper()
	for _, p := range pulls {
		got := lookup(t, p.image)
		switch {
		case p.registry == "" && len(got) != 0:
			t.Errorf("%s: the kubelet found %d credentials, want none", p.image, len(got))
		case p.registry != "":
			issued := issuedFor(srv, p.registry)
			if len(issued) == 0 {
				t.Errorf("%s: the fake issued no credential for %s", p.image, p.registry)
				break
			}
			want := issued[len(issued)-1]
			if len(got) != 1 || got[0].Username != want.Username || got[0].Password != want.Password {
				t.Errorf("%s: the kubelet found %d credentials, want exactly the one issued for %s", p.image, len(got), p.registry)
			}
		}
		if n := len(srv.Requests()); n != p.calls {
			t.Errorf("%s: %d API requests so far, want %d", p.image, n, p.calls)
		}
	}
}

// TestKubeletRegistryKeyMatchesOnlyItsRegistry: with the cacheKeyType
// Registry that the docs configure, the kubelet caches the answer for the
// whole host, so every later image on the host is matched against the auth
// key of the first answer, and the key alone decides. The kubelet matches a
// key's path as a string prefix: "registry.digitalocean.com/example" would
// hand registry example's credential to example-prod and to examplecorp,
// which may be another account's (registry names are global). The key ends
// with a slash and matches the registry example only. One exec serves them
// all.
func TestKubeletRegistryKeyMatchesOnlyItsRegistry(t *testing.T) {
	seed := docrtest.DefaultSeed()
	seed.TakenNames = append(seed.TakenNames, "examplecorp", "example-prod")
	const host = "registry.digitalocean.com"
	srv := docrtest.NewServer(t, docrtest.WithSeed(seed), docrtest.WithRegistryHost(host))
	installProvider(t, "docr-credential-provider", config(t, srv, "docr-credential-provider", host, "Registry"))
	checkPulls(t, srv, []pull{
		{host + "/example/repo-1:latest", "example", 1},
		{host + "/example/team/api@sha256:" + strings.Repeat("0f", 32), "example", 1},
		{host + "/example-prod/app:1.0", "", 1},
		{host + "/examplecorp/app", "", 1},
		{host + "/exampl/app", "", 1},
		{host + "/example", "", 1},
		{"ghcr.io/example/repo-1:latest", "", 1},
		{host + ".evil.example/example/repo-1", "", 1},
		{"docker.io/example/repo-1", "", 1},
		{"example/repo-1", "", 1},
		// matchImages compares host labels case-sensitively: the provider
		// is not even run.
		{"Registry.DigitalOcean.com/example/repo-1", "", 1},
		// The kubelet refuses a host that is not ASCII before any
		// provider runs.
		{"regiſtry.digitalocean.com/example/repo-1", "", 1},
	})
	if c := srv.Credentials(); len(c) != 1 || c[0].ReadWrite || c[0].ExpirySeconds != 3600 {
		t.Errorf("the fake issued %+v, want one read-only credential of an hour", c)
	}
}

// TestKubeletImageKeyPerRegistry: with cacheKeyType Image, the docs' advice
// for accounts with several registries, the kubelet runs the provider once
// per repository (the image manager drops tag and digest) and each registry
// gets its own credential; a registry of another account gets none, and
// the kubelet's log of that failure holds no secret.
func TestKubeletImageKeyPerRegistry(t *testing.T) {
	const host = "registry.image-key.test"
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "example-prod"})
	seed.TakenNames = append(seed.TakenNames, "examplecorp")
	srv := docrtest.NewServer(t, docrtest.WithSeed(seed), docrtest.WithRegistryHost(host))
	installProvider(t, "docr-provider-image-key", config(t, srv, "docr-provider-image-key", host, "Image"))
	checkPulls(t, srv, []pull{
		{host + "/example/repo-1:latest", "example", 1},
		{host + "/example-prod/app:1.0", "example-prod", 2},
		{host + "/examplecorp/app", "", 3},
		{host + "/example/repo-1:v2", "example", 3},
		{host + "/example/repo-1@sha256:" + strings.Repeat("0f", 32), "example", 3},
		{host + "/example-prod/app", "example-prod", 3},
		{host + "/example/repo-2", "example", 4},
	})
	if n := len(issuedFor(srv, "example")); n != 2 {
		t.Errorf("the fake issued %d credentials for example, want 2 (repo-1, repo-2)", n)
	}
	logged := klogOut.String()
	if !strings.Contains(logged, "getting credentials for registry examplecorp") || !strings.Contains(logged, "404") {
		t.Errorf("the kubelet's log lacks the provider's error for examplecorp:\n%s", logged)
	}
	for _, s := range secrets(srv) {
		if strings.Contains(logged, s) {
			t.Errorf("the kubelet's log holds a secret")
		}
	}
}

// TestKubeletRegistryNamedV2: the kubelet reads a key path that starts with
// /v1/ or /v2/ as Docker's API version and drops it, so
// "registry.digitalocean.com/v2/" would be a key for the whole host. The
// registries named v1 and v2 get a key that survives that:
// ".../v2/v2/" is read as ".../v2/".
func TestKubeletRegistryNamedV2(t *testing.T) {
	for _, reg := range []string{"v2", "v1"} {
		t.Run(reg, func(t *testing.T) {
			host := "registry." + reg + ".test"
			seed := docrtest.DefaultSeed()
			seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: reg})
			srv := docrtest.NewServer(t, docrtest.WithSeed(seed), docrtest.WithRegistryHost(host))
			name := "docr-provider-" + reg
			installProvider(t, name, config(t, srv, name, host, "Registry"))
			checkPulls(t, srv, []pull{
				{host + "/" + reg + "/app:1", reg, 1},
				{host + "/" + reg + "/team/app", reg, 1},
				{host + "/" + reg + "-prod/app", "", 1},
				{host + "/example/repo-1", "", 1},
			})
		})
	}
}

// secrets are the API token and every credential the fake issued.
func secrets(srv *docrtest.Server) []string {
	s := []string{srv.Token}
	for _, c := range srv.Credentials() {
		s = append(s, c.Username, c.Password)
	}
	return slices.DeleteFunc(s, func(v string) bool { return v == "" })
}

// TestKubeletAcceptsDocsConfigs: the CredentialProviderConfig blocks of
// the docs and the README pass the kubelet's own decoding (strict),
// validation and program lookup, each in a fresh process; the same block
// with the program missing from the bin directory is refused, so the check
// is live.
func TestKubeletAcceptsDocsConfigs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file    string
		install bool
		want    string
	}{
		{"../docs/kubelet-credential-provider.md", true, "registered"},
		{"../README.md", true, "registered"},
		{"../docs/kubelet-credential-provider.md", false, "plugin binary executable"},
	} {
		t.Run(fmt.Sprintf("%s/installed=%t", filepath.Base(tc.file), tc.install), func(t *testing.T) {
			t.Parallel()
			binDir := t.TempDir()
			if tc.install {
				if err := os.Symlink(providerBin, filepath.Join(binDir, "docr-credential-provider")); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, docConfig(t, tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), registerConfigEnv+"="+path, registerBinDirEnv+"="+binDir)
			out, err := cmd.CombinedOutput()
			if tc.want == "registered" && err != nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("registering %s: %v: %s; want %q", tc.file, err, out, tc.want)
			}
		})
	}
}
