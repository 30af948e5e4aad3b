//go:build unix

package controller

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/kubeenv"
)

// koVersion is the ko release the image test builds with (pinned like the
// other tools).
const koVersion = "v0.19.1"

// nonroot is the base image's user, as in distroless and Chainguard's
// static images.
const nonroot = "65532:65532"

// installKo installs ko into a folder of the user cache (once per machine;
// the Go build cache makes later runs instant) and returns its path.
func installKo(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	// Not under <cache>/docr, which testguard watches for the credential
	// helper cache.
	dir := filepath.Join(cache, "docr-testtools", "ko-"+koVersion)
	bin := filepath.Join(dir, "ko")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/google/ko@"+koVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install ko: %v\n%s", err, out)
	}
	return bin
}

// staticBase is a base image with nothing but /etc/passwd and /etc/group
// naming a non-root user, which it runs as: what ko's default static base
// gives, built here because nothing can be pulled from outside.
func staticBase(t *testing.T) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct{ name, body string }{
		{"etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
		{"etc/group", "root:x:0:\nnonroot:x:65532:\n"},
	}
	if err := tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User = nonroot
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestImageBuiltByKo: ko builds cmd/docr-controller onto a static base the
// test pushed to the local DOCR (the fake, over plain HTTP, with a
// read-write credential docr minted from it), pushes the image there, and
// resolves deploy/deployment.yaml's ko:// image to it. The image runs as
// the non-root user, its entrypoint is the controller, and the binary in
// it is static and runs.
func TestImageBuiltByKo(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: builds ko and the image")
	}
	root, err := kubeenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ko := installKo(t)
	fake := docrtest.NewServer(t, docrtest.WithSelfRegistryHost())
	host := fake.RegistryHost()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // hang guard
	defer cancel()
	c, err := facade.New(fake.Token, facade.WithBaseURL(fake.URL))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.DockerCredentials(ctx, facade.CredentialsRequest{Registry: "example", ReadWrite: true, Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dockerConfig := t.TempDir()
	if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), creds.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	entry := creds.Config.Auths[host]
	auth := authn.FromConfig(authn.AuthConfig{Username: entry.Username, Password: entry.Secret})

	baseRef, err := name.ParseReference(host+"/example/static:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(baseRef, staticBase(t), remote.WithAuth(auth), remote.WithContext(ctx)); err != nil {
		t.Fatalf("push the base image: %v", err)
	}

	koEnv := append(os.Environ(),
		"KO_DOCKER_REPO="+host+"/example/docr-controller",
		"KO_DEFAULTBASEIMAGE="+baseRef.String(),
		"DOCKER_CONFIG="+dockerConfig,
	)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, ko, args...)
		cmd.Dir, cmd.Env = root, koEnv
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ko %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return strings.TrimSpace(string(out))
	}
	built := run("build", "--bare", "--platform=linux/amd64", "--sbom=none", "--insecure-registry", "./cmd/docr-controller")
	ref, err := name.ParseReference(built, name.Insecure)
	if err != nil {
		t.Fatalf("ko printed %q: %v", built, err)
	}
	if !strings.HasPrefix(built, host+"/example/docr-controller@sha256:") {
		t.Errorf("ko pushed %s, want %s/example/docr-controller@sha256:...", built, host)
	}
	resolved := run("resolve", "--bare", "--platform=linux/amd64", "--sbom=none", "--insecure-registry", "-f", "deploy/deployment.yaml")
	if !strings.Contains(resolved, "image: "+built) || strings.Contains(resolved, "ko://") {
		t.Errorf("ko resolve of deploy/deployment.yaml does not name %s:\n%s", built, resolved)
	}

	img, err := remote.Image(ref, remote.WithAuth(auth), remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != nonroot {
		t.Errorf("user = %q, want %s (non-root)", cf.Config.User, nonroot)
	}
	if got := strings.Join(cf.Config.Entrypoint, " "); got != "/ko-app/docr-controller" {
		t.Errorf("entrypoint = %q, want /ko-app/docr-controller", got)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform = %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}

	bin := extract(t, img, "ko-app/docr-controller")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked; the static base has no libc")
		}
	}
	f.Close()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Logf("not running the linux/amd64 binary on %s/%s", runtime.GOOS, runtime.GOARCH)
		return
	}
	out, err := exec.CommandContext(ctx, bin, "--help").Output()
	if err != nil || !strings.Contains(string(out), "Usage: docr-controller") {
		t.Errorf("docr-controller --help: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "--no-such-flag")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("docr-controller --no-such-flag: %v, stderr %q; want exit 2 and one line", err, stderr.String())
	}
}

// extract writes the file path of img's filesystem to a temporary file
// and returns its name.
func extract(t *testing.T, img v1.Image, path string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the image: %v", path, err)
		}
		if strings.TrimPrefix(hdr.Name, "/") != path {
			continue
		}
		if hdr.Mode&0o111 == 0 {
			t.Errorf("%s is not executable (mode %o)", path, hdr.Mode)
		}
		out := filepath.Join(t.TempDir(), filepath.Base(path))
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
}
