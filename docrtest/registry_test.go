package docrtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	randv2 "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/gen"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ociFixture is a fake whose credentials name its own address, and a Docker
// config directory (DOCKER_CONFIG) that the tests log in to, as docr login
// does. Tests that use it set DOCKER_CONFIG and so cannot run in parallel.
type ociFixture struct {
	*fixture
	host string
	dir  string
	tr   *http.Transport
}

func newOCIFixture(t *testing.T, opts ...docrtest.Option) *ociFixture {
	t.Helper()
	f := newFixture(t, append([]docrtest.Option{docrtest.WithSelfRegistryHost()}, opts...)...)
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &ociFixture{fixture: f, host: f.srv.RegistryHost(), dir: dir, tr: tr}
}

// login gets a credential for registry reg from the API and stores it in
// the Docker config, as docr login does.
func (o *ociFixture) login(t *testing.T, reg string, readWrite bool) docrtest.IssuedCredential {
	t.Helper()
	r, err := o.c.RegistriesGetDockerCredentialsWithResponse(ctx, reg, &gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(readWrite)})
	check(t, err, r.HTTPResponse, 200)
	creds := o.srv.Credentials()
	ic := creds[len(creds)-1]
	w, err := dockerconfig.New(dockerconfig.Options{Dir: o.dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store(ctx, facade.Credential{Host: o.host, Username: ic.Username, Secret: ic.Password}); err != nil {
		t.Fatal(err)
	}
	return ic
}

// opts are the options of a client that reads Docker's config and
// credential helpers as docker does.
func (o *ociFixture) opts() []remote.Option {
	return []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithTransport(o.tr), remote.WithContext(ctx)}
}

func (o *ociFixture) ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(o.host+"/"+s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randomImage(t *testing.T, seed int64, size int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, 1, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// wantRegistryError fails the test unless err is a registry error with the
// status and code.
func wantRegistryError(t *testing.T, what string, err error, status int, code transport.ErrorCode) {
	t.Helper()
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("%s: err = %v, want a registry error %d %s", what, err, status, code)
	}
	if te.StatusCode != status || len(te.Errors) == 0 || te.Errors[0].Code != code {
		t.Fatalf("%s: got %d %v, want %d %s", what, te.StatusCode, te.Errors, status, code)
	}
}

func TestPushPullListWithDockerKeychain(t *testing.T) {
	o := newOCIFixture(t)
	o.login(t, "example", true)
	img := randomImage(t, 1, 3000)
	if err := remote.Write(o.ref(t, "example/tools/app:v1"), img, o.opts()...); err != nil {
		t.Fatalf("push: %v", err)
	}
	wantTokenFlow(t, o.srv, "the push")

	// The API lists what was pushed: the repository, its tag and manifest
	// with the image's digest and blobs.
	l, err := o.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
	check(t, err, l.HTTPResponse, 200)
	equal(t, "repositories", names(l.JSON200.Repositories, func(r gen.RepositoryV2) string { return *r.Name }),
		[]string{"repo-1", "repo-2", "team/api", "tools/app"})
	m, err := o.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "tools/app", nil)
	check(t, err, m.HTTPResponse, 200)
	man := (*m.JSON200.Manifests)[0]
	equal(t, "digest", *man.Digest, digestOf(t, img))
	equal(t, "tags", *man.Tags, []string{"v1"})
	equal(t, "updated_at", *man.UpdatedAt, t0)
	raw, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	wantBlobs := []string{raw.Config.Digest.String() + fmt.Sprintf("=%d", raw.Config.Size)}
	for _, l := range raw.Layers {
		wantBlobs = append(wantBlobs, l.Digest.String()+fmt.Sprintf("=%d", l.Size))
	}
	equal(t, "blobs", names(man.Blobs, func(b gen.RepositoryBlob) string { return fmt.Sprintf("%s=%d", *b.Digest, *b.CompressedSizeBytes) }), wantBlobs)

	// The storage usage grew by the blobs pushed.
	g, err := o.c.RegistriesGetWithResponse(ctx, "example")
	check(t, err, g.HTTPResponse, 200)
	equal(t, "storage", *g.JSON200.Registry.StorageUsageBytes, seedStorage+*man.CompressedSizeBytes)

	// Pull it back, layer bytes included.
	got, err := remote.Image(o.ref(t, "example/tools/app:v1"), o.opts()...)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	equal(t, "pulled digest", digestOf(t, got), digestOf(t, img))
	layers, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc) // the layer reader verifies the digest
	rc.Close()
	if err != nil || n != raw.Layers[0].Size {
		t.Fatalf("layer: %d bytes, %v; want %d", n, err, raw.Layers[0].Size)
	}

	// The catalog and tag list agree.
	cat, err := remote.Catalog(ctx, o.ref(t, "example/x:y").Context().Registry, o.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "catalog", cat, []string{"example/repo-1", "example/repo-2", "example/team/api", "example/tools/app"})
	tags, err := remote.List(o.ref(t, "example/repo-1:x").Context(), o.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "tags", tags, []string{"latest", "v1", "v2"})

	// A seeded image pulls, and its digest is the API's.
	seeded, err := remote.Image(o.ref(t, "example/repo-1:v1"), o.opts()...)
	if err != nil {
		t.Fatalf("pull seed: %v", err)
	}
	equal(t, "seeded digest", digestOf(t, seeded), digestV1)

	// A cross-repository mount within the registry answers 201; one from
	// another registry falls back to an upload (202), as the spec allows.
	ic := o.srv.Credentials()[0]
	layer := raw.Layers[0].Digest.String()
	resp, _ := registryCall(t, "POST", o.srv.URL+"/v2/example/mounted/blobs/uploads/?mount="+layer+"&from=example/tools/app", ic.Username, ic.Password)
	equal(t, "mount", []any{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Docker-Content-Digest")},
		[]any{201, "/v2/example/mounted/blobs/" + layer, layer})
	resp, _ = registryCall(t, "POST", o.srv.URL+"/v2/example/mounted/blobs/uploads/?mount="+layer+"&from=second/app", ic.Username, ic.Password)
	equal(t, "mount from another registry", resp.StatusCode, 202)

	// Pushing the same image to another repository uploads nothing new:
	// the registry already holds its blobs.
	if err := remote.Write(o.ref(t, "example/copy:v1"), img, o.opts()...); err != nil {
		t.Fatalf("push copy: %v", err)
	}
	g2, err := o.c.RegistriesGetWithResponse(ctx, "example")
	check(t, err, g2.HTTPResponse, 200)
	equal(t, "storage after a copy (blobs are shared)", *g2.JSON200.Registry.StorageUsageBytes, *g.JSON200.Registry.StorageUsageBytes)
}

// wantTokenRefused fails the test unless err is the token endpoint's 401:
// the failure DOCR users meet in CI ("failed to fetch oauth token").
func wantTokenRefused(t *testing.T, what string, err error) {
	t.Helper()
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(err.Error(), "/v2/registry/auth?") || !strings.Contains(err.Error(), `"id":"unauthorized"`) {
		t.Fatalf("%s: err = %v, want the token endpoint's 401", what, err)
	}
}

func TestRegistryRefusals(t *testing.T) {
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "second",
		Repositories: []docrtest.SeedRepository{{Name: "app", Manifests: []docrtest.SeedManifest{{Tags: []string{"stable"}}}}}})
	o := newOCIFixture(t, docrtest.WithSeed(seed))
	img := randomImage(t, 2, 500)

	// A read-only credential gets a token for pull only (go-containerregistry
	// asks for pull,push for a delete too): the push and the delete then
	// meet 401 insufficient_scope.
	o.login(t, "example", false)
	err := remote.Write(o.ref(t, "example/new:v1"), img, o.opts()...)
	wantRegistryError(t, "read-only push", err, 401, transport.UnauthorizedErrorCode)
	err = remote.Delete(o.ref(t, "example/repo-1:v1"), o.opts()...)
	wantRegistryError(t, "read-only delete", err, 401, transport.UnauthorizedErrorCode)
	if _, err := remote.Image(o.ref(t, "example/repo-1:latest"), o.opts()...); err != nil {
		t.Fatalf("read-only pull: %v", err)
	}

	_, err = remote.Image(o.ref(t, "second/app:stable"), o.opts()...)
	wantTokenRefused(t, "cross-registry pull", err)

	// A credential of "second" does not see example's blobs either.
	o.login(t, "second", true)
	_, err = remote.Image(o.ref(t, "example/repo-1:latest"), o.opts()...)
	wantTokenRefused(t, "cross-registry pull (the other way)", err)
	if _, err := remote.Image(o.ref(t, "second/app:stable"), o.opts()...); err != nil {
		t.Fatalf("pull from its own registry: %v", err)
	}

	// Revoked: the token endpoint refuses it.
	ic := o.login(t, "example", true)
	resp, _ := do(t, "POST", o.srv.URL+"/v1/oauth/revoke", ic.Password, strings.NewReader(url.Values{"token": {ic.Password}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	equal(t, "revoke", resp.StatusCode, 200)
	_, err = remote.Image(o.ref(t, "example/repo-1:latest"), o.opts()...)
	wantTokenRefused(t, "revoked pull", err)

	// Expired: the same.
	r, err2 := o.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: ptr(60)})
	check(t, err2, r.HTTPResponse, 200)
	creds := o.srv.Credentials()
	exp := creds[len(creds)-1]
	w, _ := dockerconfig.New(dockerconfig.Options{Dir: o.dir})
	if _, err := w.Store(ctx, facade.Credential{Host: o.host, Username: exp.Username, Secret: exp.Password}); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(o.ref(t, "example/repo-1:latest"), o.opts()...); err != nil {
		t.Fatalf("fresh credential: %v", err)
	}
	o.clock.Advance(time.Minute)
	_, err = remote.Image(o.ref(t, "example/repo-1:latest"), o.opts()...)
	wantTokenRefused(t, "expired pull", err)
}

func TestGCFreesWhatATagDeletionOrphaned(t *testing.T) {
	o := newOCIFixture(t, docrtest.WithGCDuration(time.Minute))
	o.login(t, "example", true)
	img := randomImage(t, 3, 2000)
	if err := remote.Write(o.ref(t, "example/gc:only"), img, o.opts()...); err != nil {
		t.Fatalf("push: %v", err)
	}
	raw, _ := img.Manifest()
	freed := int(raw.Config.Size + raw.Layers[0].Size)

	d, err := o.c.RegistriesDeleteRepositoryTagWithResponse(ctx, "example", "gc", "only")
	check(t, err, d.HTTPResponse, 204)
	if _, err := remote.Head(o.ref(t, "example/gc:only"), o.opts()...); err == nil {
		t.Fatal("the deleted tag still resolves")
	}
	// The manifest is untagged but still there, by digest.
	if _, err := remote.Head(o.ref(t, "example/gc@"+digestOf(t, img)), o.opts()...); err != nil {
		t.Fatalf("untagged manifest: %v", err)
	}

	typ := gen.GarbageCollectionTypeUntaggedManifestsAndUnreferencedBlobs
	s, err := o.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{Type: &typ})
	check(t, err, s.HTTPResponse, 201)
	o.clock.Advance(time.Minute)
	l, err := o.c.RegistriesListGarbageCollectionsWithResponse(ctx, "example", nil)
	check(t, err, l.HTTPResponse, 200)
	done := (*l.JSON200.GarbageCollections)[0]
	// The seed's untagged manifest in repo-1 goes too: its two blobs.
	seedOrphan := 0
	{
		clean := newFixture(t)
		m, err := clean.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, m.HTTPResponse, 200)
		seedOrphan = *(*m.JSON200.Manifests)[2].CompressedSizeBytes
	}
	equal(t, "gc", []any{*done.Status, *done.BlobsDeleted, *done.FreedBytes},
		[]any{gen.GarbageCollectionStatusSucceeded, 4, freed + seedOrphan})

	_, err = remote.Image(o.ref(t, "example/gc@"+digestOf(t, img)), o.opts()...)
	wantRegistryError(t, "collected manifest", err, 404, transport.ErrorCode("MANIFEST_UNKNOWN"))
	ic := o.srv.Credentials()[0]
	resp, _ := registryCall(t, "HEAD", o.srv.URL+"/v2/example/gc/blobs/"+raw.Layers[0].Digest.String(), ic.Username, ic.Password)
	equal(t, "collected layer", resp.StatusCode, 404)
	g, err := o.c.RegistriesGetWithResponse(ctx, "example")
	check(t, err, g.HTTPResponse, 200)
	equal(t, "storage", *g.JSON200.Registry.StorageUsageBytes, seedStorage-seedOrphan)
}

func TestStorageCapAndDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	o := newOCIFixture(t, docrtest.WithStorageDir(dir), docrtest.WithStorageCap(seedStorage+64<<10))
	o.login(t, "example", true)
	small := randomImage(t, 4, 4000)
	if err := remote.Write(o.ref(t, "example/small:v1"), small, o.opts()...); err != nil {
		t.Fatalf("push: %v", err)
	}
	raw, _ := small.Manifest()
	if _, err := os.Stat(filepath.Join(dir, "sha256", raw.Layers[0].Digest.Hex)); err != nil {
		t.Fatalf("the layer is not in the storage directory: %v", err)
	}
	if _, err := remote.Image(o.ref(t, "example/small:v1"), o.opts()...); err != nil {
		t.Fatalf("pull: %v", err)
	}
	big := randomImage(t, 5, 256<<10)
	err := remote.Write(o.ref(t, "example/big:v1"), big, o.opts()...)
	wantRegistryError(t, "push past the cap", err, 413, transport.DeniedErrorCode)
	if !strings.Contains(err.Error(), "storage cap reached") {
		t.Fatalf("error %q does not name the cap", err)
	}
	l, err2 := o.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
	check(t, err2, l.HTTPResponse, 200)
	equal(t, "repositories", names(l.JSON200.Repositories, func(r gen.RepositoryV2) string { return *r.Name }),
		[]string{"repo-1", "repo-2", "small", "team/api"})
}

// TestListingsAgreeWithTheRegistry is a property test: after random pushes
// and deletes, through the registry and through the API, every API listing
// agrees with the registry's catalog, tags and manifests.
func TestListingsAgreeWithTheRegistry(t *testing.T) {
	o := newOCIFixture(t)
	ic := o.login(t, "example", true)
	rng := randv2.New(randv2.NewPCG(1, 2))
	repos := []string{"a", "b", "c/d", "repo-1"}
	tags := []string{"latest", "v1", "v2"}
	var images []v1.Image
	for i := range 6 {
		images = append(images, randomImage(t, int64(100+i), 300))
	}
	for step := range 60 {
		repo := repos[rng.IntN(len(repos))]
		tag := tags[rng.IntN(len(tags))]
		op := rng.IntN(10)
		what := ""
		switch {
		case op < 5:
			img := images[rng.IntN(len(images))]
			what = "push " + repo + ":" + tag
			if err := remote.Write(o.ref(t, "example/"+repo+":"+tag), img, o.opts()...); err != nil {
				t.Fatalf("step %d: %s: %v", step, what, err)
			}
		case op < 7:
			what = "API delete tag " + repo + ":" + tag
			_, _ = o.c.RegistriesDeleteRepositoryTagWithResponse(ctx, "example", repo, tag)
		case op < 8:
			what = "registry delete tag " + repo + ":" + tag
			_ = remote.Delete(o.ref(t, "example/"+repo+":"+tag), o.opts()...)
		default:
			m, err := o.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", repo, nil)
			if err != nil || m.JSON200 == nil || len(*m.JSON200.Manifests) == 0 {
				continue
			}
			ms := *m.JSON200.Manifests
			d := *ms[rng.IntN(len(ms))].Digest
			if op == 8 {
				what = "API delete manifest " + repo + "@" + d
				_, _ = o.c.RegistriesDeleteRepositoryManifestWithResponse(ctx, "example", repo, d)
			} else {
				what = "registry delete manifest " + repo + "@" + d
				if err := remote.Delete(o.ref(t, "example/"+repo+"@"+d), o.opts()...); err != nil {
					t.Fatalf("step %d: %s: %v", step, what, err)
				}
			}
		}
		agree(t, o, ic, fmt.Sprintf("step %d (%s)", step, what))
	}
}

// agree checks every API listing of registry "example" against the
// registry itself.
func agree(t *testing.T, o *ociFixture, ic docrtest.IssuedCredential, when string) {
	t.Helper()
	cat, err := remote.Catalog(ctx, o.ref(t, "example/x:y").Context().Registry, o.opts()...)
	if err != nil {
		t.Fatalf("%s: catalog: %v", when, err)
	}
	l, err := o.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", &gen.RegistriesListRepositoriesV2Params{PerPage: ptr(200)})
	check(t, err, l.HTTPResponse, 200)
	var apiRepos []string
	for _, r := range *l.JSON200.Repositories {
		apiRepos = append(apiRepos, "example/"+*r.Name)
	}
	equal(t, when+": catalog", cat, apiRepos)
	for _, r := range *l.JSON200.Repositories {
		repo := *r.Name
		regTags, err := remote.List(o.ref(t, "example/"+repo+":x").Context(), o.opts()...)
		if err != nil {
			t.Fatalf("%s: tags of %s: %v", when, repo, err)
		}
		tl, err := o.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", repo, &gen.RegistriesListRepositoryTagsParams{PerPage: ptr(200)})
		check(t, err, tl.HTTPResponse, 200)
		var apiTags []string
		for _, tg := range *tl.JSON200.Tags {
			apiTags = append(apiTags, *tg.Tag)
			desc, err := remote.Head(o.ref(t, "example/"+repo+":"+*tg.Tag), o.opts()...)
			if err != nil {
				t.Fatalf("%s: HEAD %s:%s: %v", when, repo, *tg.Tag, err)
			}
			equal(t, when+": digest of "+repo+":"+*tg.Tag, desc.Digest.String(), *tg.ManifestDigest)
		}
		slices.Sort(apiTags)
		if regTags == nil {
			regTags = []string{}
		}
		if apiTags == nil {
			apiTags = []string{}
		}
		equal(t, when+": tags of "+repo, regTags, apiTags)
		equal(t, when+": tag_count of "+repo, *r.TagCount, len(apiTags))
		ml, err := o.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", repo, &gen.RegistriesListRepositoryManifestsParams{PerPage: ptr(200)})
		check(t, err, ml.HTTPResponse, 200)
		equal(t, when+": manifest_count of "+repo, *r.ManifestCount, len(*ml.JSON200.Manifests))
		for _, m := range *ml.JSON200.Manifests {
			desc, err := remote.Head(o.ref(t, "example/"+repo+"@"+*m.Digest), o.opts()...)
			if err != nil {
				t.Fatalf("%s: HEAD %s@%s: %v", when, repo, *m.Digest, err)
			}
			equal(t, when+": manifest size", int(desc.Size), *m.SizeBytes-*m.CompressedSizeBytes)
			for _, b := range *m.Blobs {
				resp, _ := registryCall(t, "HEAD", o.srv.URL+"/v2/example/"+repo+"/blobs/"+*b.Digest, ic.Username, ic.Password)
				equal(t, when+": blob "+*b.Digest, resp.StatusCode, 200)
			}
		}
	}
}

// wantTokenFlow checks, in the fake's request log, that a client went
// through DOCR's token flow: the token endpoint granted a token, registry
// requests carried it, and none sent basic auth to the registry.
func wantTokenFlow(t *testing.T, srv *docrtest.Server, what string) {
	t.Helper()
	granted, bearer := 0, 0
	for _, r := range srv.Requests() {
		switch {
		case r.Operation == docrtest.OpRegistryAuth && r.Status == 200:
			granted++
		case r.Operation == docrtest.OpDockerRegistry && r.Header.Get("Authorization") == "Bearer REDACTED" && r.Status < 300:
			bearer++
		case r.Operation == docrtest.OpDockerRegistry && strings.HasPrefix(r.Header.Get("Authorization"), "Basic"):
			t.Fatalf("%s sent basic auth to the registry: %s %s", what, r.Method, r.Path)
		}
	}
	if granted == 0 || bearer == 0 {
		t.Fatalf("%s: %d tokens granted, %d registry requests with a token; want both", what, granted, bearer)
	}
}

func TestDockerManifestInspect(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI on PATH; skipping docker manifest inspect")
	}
	o := newOCIFixture(t)
	o.login(t, "example", false)
	cmd := exec.CommandContext(context.Background(), docker, "manifest", "inspect", "--insecure", o.host+"/example/repo-1:v1")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+o.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker manifest inspect: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"mediaType": "application/vnd.oci.image.manifest.v1+json"`) ||
		!strings.Contains(string(out), `"mediaType": "application/vnd.oci.image.layer.v1.tar"`) {
		t.Fatalf("docker manifest inspect printed:\n%s", out)
	}
	wantTokenFlow(t, o.srv, "docker manifest inspect")
}

func TestRequestLogAndRateLimitOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithRequestLog(3), docrtest.WithRateLimit(0, 0))
	for i := range 6 {
		r, err := f.c.RegistriesGetWithResponse(ctx, "example")
		check(t, err, r.HTTPResponse, 200)
		equal(t, fmt.Sprintf("call %d: ratelimit-limit", i), r.HTTPResponse.Header.Get("Ratelimit-Limit"), "")
	}
	r, err := f.c.RegistriesListWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	reqs := f.srv.Requests()
	equal(t, "kept", names(&reqs, func(r docrtest.RecordedRequest) string { return r.Method + " " + r.Path }),
		[]string{"GET /v2/registries/example", "GET /v2/registries/example", "GET /v2/registries"})
}
