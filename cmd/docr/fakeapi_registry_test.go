//go:build unix

package main_test

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/gen"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TestFakeAPIRegistry runs "docr fake-api" as a process with the registry
// flags and pushes, pulls and lists through it with go-containerregistry's
// client, which reads Docker's config as docker does. It sets
// DOCKER_CONFIG, so it does not run in parallel.
func TestFakeAPIRegistry(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	storage := filepath.Join(t.TempDir(), "blobs")
	_, vars := h.startFakeAPI(t, "--registry-host", "self",
		"--rate-limit", "0", "--request-log", "100", "--storage-dir", storage, "--storage-cap", "1MiB")
	apiURL, token, host := vars["DIGITALOCEAN_API_URL"], vars["DIGITALOCEAN_TOKEN"], vars["DOCR_REGISTRY_HOST"]
	if apiURL == "" || token == "" || host == "" {
		t.Fatalf("fake-api printed %v", vars)
	}

	api, err := gen.NewClientWithResponses(apiURL, gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	rw := true
	cr, err := api.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: &rw})
	if err != nil || cr.JSON200 == nil {
		t.Fatalf("credentials: %v", err)
	}
	// --rate-limit 0: no limit, so no ratelimit headers.
	if v := cr.HTTPResponse.Header.Get("Ratelimit-Limit"); v != "" {
		t.Errorf("ratelimit-limit %q with --rate-limit 0", v)
	}
	auth, ok := cr.JSON200.Auths[host]
	if !ok || auth.Auth == nil {
		t.Fatalf("no auths entry for %s", host)
	}
	raw, err := base64.StdEncoding.DecodeString(*auth.Auth)
	if err != nil {
		t.Fatal(err)
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	dir := t.TempDir()
	w, err := dockerconfig.New(dockerconfig.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store(ctx, facade.Credential{Host: host, Username: user, Secret: pass}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	opts := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithTransport(tr), remote.WithContext(ctx)}

	ref, err := name.ParseReference(host+"/example/proc/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(20_000, 2, random.WithSource(rand.NewSource(9)))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatalf("push: %v", err)
	}
	pulled, err := remote.Image(ref, opts...)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	want, _ := img.Digest()
	got, _ := pulled.Digest()
	if got != want {
		t.Fatalf("pulled %s, pushed %s", got, want)
	}
	tags, err := remote.List(ref.Context(), opts...)
	if err != nil || strings.Join(tags, ",") != "v1" {
		t.Fatalf("tags %v, %v", tags, err)
	}
	tl, err := api.RegistriesListRepositoryTagsWithResponse(ctx, "example", "proc/app", nil)
	if err != nil || tl.JSON200 == nil || len(*tl.JSON200.Tags) != 1 || *(*tl.JSON200.Tags)[0].ManifestDigest != want.String() {
		t.Fatalf("API tags: %v %v", tl, err)
	}

	// --storage-cap 1MiB: a bigger push is refused with a clear error.
	big, err := random.Image(2<<20, 1, random.WithSource(rand.NewSource(10)))
	if err != nil {
		t.Fatal(err)
	}
	bigRef, _ := name.ParseReference(host+"/example/big:v1", name.Insecure)
	err = remote.Write(bigRef, big, opts...)
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(err.Error(), "storage cap reached") {
		t.Fatalf("push past the cap: %v", err)
	}
}
