package docrtest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct{ name, header string }{
		{"no header", ""},
		{"wrong token", "Bearer wrong"},
		{"basic scheme", "Basic " + f.srv.Token},
		{"empty bearer", "Bearer "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hdr []string
			if tc.header != "" {
				hdr = []string{"Authorization", tc.header}
			}
			resp, body := do(t, "GET", f.srv.URL+"/v2/registry/docker-credentials", "", nil, hdr...)
			equal(t, "status", resp.StatusCode, 401)
			var e gen.Error
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			equal(t, "body", e, gen.Error{Id: "unauthorized", Message: "Unable to authenticate you.", RequestId: ptr(resp.Header.Get("X-Request-Id"))})
		})
	}
	t.Run("lower-case scheme", func(t *testing.T) {
		t.Parallel()
		resp, _ := do(t, "GET", f.srv.URL+"/v2/registry", "", nil, "Authorization", "bearer "+f.srv.Token)
		equal(t, "status", resp.StatusCode, 200)
	})
	// After every parallel subtest above has finished (not after a guessed
	// 10 ms): none of the rejected requests issued a credential.
	t.Cleanup(func() {
		for _, c := range f.srv.Credentials() {
			t.Errorf("credential issued without a valid token: %+v", c)
		}
	})
}

func TestEveryResponseCarriesRateLimitAndRequestID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.AllowInvalidRequests())
	_, user, _ := issue(t, f, false, 0)
	resetAt := strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)
	for _, tc := range []struct {
		name, method, path, token string
		want                      int
		remaining                 string
	}{
		{"api call", "GET", "/v2/registries", f.srv.Token, 200, "4998"},
		{"unauthorized", "GET", "/v2/registries", "", 401, "4998"},
		{"unknown api path", "GET", "/v2/registries/example/nothing/here", f.srv.Token, 404, "4998"},
		{"docker endpoint", "GET", "/v2/", "", 401, "4998"},
		{"revoke", "POST", "/v1/oauth/revoke", "", 401, "4998"},
		{"elsewhere", "GET", "/favicon.ico", "", 404, "4998"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			if tc.name == "docker endpoint" {
				resp, _ = registryCall(t, tc.method, f.srv.URL+tc.path, user, "wrong")
			} else {
				resp, _ = do(t, tc.method, f.srv.URL+tc.path, tc.token, nil)
			}
			equal(t, "status", resp.StatusCode, tc.want)
			h := resp.Header
			equal(t, "rate limit headers", []string{h.Get("Ratelimit-Limit"), h.Get("Ratelimit-Remaining"), h.Get("Ratelimit-Reset")},
				[]string{"5000", tc.remaining, resetAt})
			if len(h.Get("X-Request-Id")) != 36 {
				t.Fatalf("x-request-id = %q", h.Get("X-Request-Id"))
			}
		})
	}
}

func TestUnknownAPIPathsAreViolations(t *testing.T) {
	t.Parallel()
	var got collector
	f := newFixture(t, docrtest.WithViolationHandler(got.add))
	resp, body := do(t, "GET", f.srv.URL+"/v2/registries/example/nothing/here", f.srv.Token, nil)
	equal(t, "status", resp.StatusCode, 404)
	if !strings.Contains(string(body), `"id":"not_found"`) {
		t.Fatalf("body %s", body)
	}
	resp, body = do(t, "PATCH", f.srv.URL+"/v2/registry", f.srv.Token, nil)
	equal(t, "status", resp.StatusCode, 405)
	if !strings.Contains(string(body), `"id":"method_not_allowed"`) {
		t.Fatalf("body %s", body)
	}
	vs := got.all()
	equal(t, "violations", len(vs), 2)
	equal(t, "violation", vs[0], docrtest.Violation{Kind: docrtest.RequestViolation, Method: "GET", Path: "/v2/registries/example/nothing/here",
		Rule: "no operation of the spec matches GET /v2/registries/example/nothing/here"})
	equal(t, "recorded operation", f.srv.Requests()[0].Operation, "")
}

func TestScopedTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithScopedToken("read-only", docrtest.ScopeRead),
		docrtest.WithScopedToken("read-update", docrtest.ScopeRead, docrtest.ScopeUpdate))
	ro := newClient(t, f.srv.URL, "read-only")
	ru := newClient(t, f.srv.URL, "read-update")

	r, err := ro.RegistriesListWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	c, err := ro.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(false)})
	check(t, err, c.HTTPResponse, 200)
	c, err = ro.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(true)})
	checkError(t, err, c.HTTPResponse, c.Body, 403, "forbidden")
	g, err := ro.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
	checkError(t, err, g.HTTPResponse, g.Body, 403, "forbidden")

	c, err = ru.RegistriesGetDockerCredentialsWithResponse(ctx, "example", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(true)})
	check(t, err, c.HTTPResponse, 200)
	d, err := ru.RegistriesDeleteWithResponse(ctx, "example")
	checkError(t, err, d.HTTPResponse, d.Body, 403, "forbidden")

	creds := f.srv.Credentials()
	equal(t, "issued", []bool{creds[0].ReadWrite, creds[1].ReadWrite}, []bool{false, true})

	for _, bad := range []docrtest.Option{
		docrtest.WithScopedToken("x", "registry:everything"),
		docrtest.WithScopedToken(""),
		docrtest.WithToken("has space"),
	} {
		if _, err := docrtest.New(bad); err == nil {
			t.Error("New accepted an invalid token option")
		}
	}
	if _, err := docrtest.New(docrtest.WithToken("same"), docrtest.WithScopedToken("same", docrtest.ScopeRead)); err == nil {
		t.Error("New accepted a scoped token equal to the API token")
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithRateLimit(2, time.Minute))
	for i, want := range []int{200, 200, 429, 429} {
		r, err := f.c.RegistriesGetSubscriptionWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "status of call "+strconv.Itoa(i), r.StatusCode(), want)
		h := r.HTTPResponse.Header
		equal(t, "headers of call "+strconv.Itoa(i), []string{h.Get("Ratelimit-Remaining"), h.Get("Ratelimit-Reset")},
			[]string{strconv.Itoa(max(0, 1-i)), strconv.FormatInt(t0.Add(time.Minute).Unix(), 10)})
		if want == 429 {
			checkError(t, err, r.HTTPResponse, r.Body, 429, "too_many_requests")
			if r.JSON429 == nil {
				t.Fatal("429 not parsed as the spec's too_many_requests response")
			}
		}
	}
	f.clock.Advance(time.Minute)
	r, err := f.c.RegistriesGetSubscriptionWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	equal(t, "new window", r.HTTPResponse.Header.Get("Ratelimit-Reset"), strconv.FormatInt(t0.Add(2*time.Minute).Unix(), 10))
}

func TestGarbageCollectionRunsByTheClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithGCDuration(time.Minute))
	// An orphan blob: delete a manifest whose blobs no other manifest uses.
	d, err := f.c.RegistriesDeleteRepositoryManifestWithResponse(ctx, "example", "repo-1", digestV1)
	check(t, err, d.HTTPResponse, 204)
	typ := gen.GarbageCollectionTypeUntaggedManifestsAndUnreferencedBlobs
	s, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{Type: &typ})
	check(t, err, s.HTTPResponse, 201)
	before, err := f.c.RegistriesGetWithResponse(ctx, "example")
	check(t, err, before.HTTPResponse, 200)
	equal(t, "storage still holds the orphans", *before.JSON200.Registry.StorageUsageBytes, seedStorage)

	f.clock.Advance(59 * time.Second)
	g, err := f.c.RegistriesGetGarbageCollectionWithResponse(ctx, "example")
	check(t, err, g.HTTPResponse, 200)
	f.clock.Advance(time.Second)
	g, err = f.c.RegistriesGetGarbageCollectionWithResponse(ctx, "example")
	checkError(t, err, g.HTTPResponse, g.Body, 404, "not_found")

	l, err := f.c.RegistriesListGarbageCollectionsWithResponse(ctx, "example", nil)
	check(t, err, l.HTTPResponse, 200)
	done := (*l.JSON200.GarbageCollections)[0]
	equal(t, "finished", []any{*done.Status, *done.UpdatedAt, *done.BlobsDeleted}, []any{gen.GarbageCollectionStatusSucceeded, t0.Add(time.Minute), 4})
	m, err := f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
	check(t, err, m.HTTPResponse, 200)
	equal(t, "the untagged manifest is gone", m.JSON200.Meta.Total, 1)
	after, err := f.c.RegistriesGetWithResponse(ctx, "example")
	check(t, err, after.HTTPResponse, 200)
	equal(t, "storage freed", *after.JSON200.Registry.StorageUsageBytes, seedStorage-*done.FreedBytes)
}

func TestMultiRegistrySeed(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "second", Region: "nyc3",
		Repositories: []docrtest.SeedRepository{{Name: "app", Manifests: []docrtest.SeedManifest{{
			Tags: []string{"stable"}, FileBytes: 100,
		}}}}})
	f := newFixture(t, docrtest.WithSeed(seed))
	r, err := f.c.RegistriesListWithResponse(ctx)
	check(t, err, r.HTTPResponse, 200)
	equal(t, "registries", names(r.JSON200.Registries, func(x gen.Registry) string { return *x.Name + "@" + *x.Region }),
		[]string{"example@fra1", "second@nyc3"})
	m, err := f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "second", "app", nil)
	check(t, err, m.HTTPResponse, 200)
	man := (*m.JSON200.Manifests)[0]
	blobs := *man.Blobs
	// A ustar layer holding a 100-byte file: a header block, a data block
	// and two end blocks.
	equal(t, "layer size", *blobs[1].CompressedSizeBytes, 4*512)
	equal(t, "manifest", []any{len(blobs), *man.CompressedSizeBytes, man.Tags},
		[]any{2, *blobs[0].CompressedSizeBytes + *blobs[1].CompressedSizeBytes, &[]string{"stable"}})
	g, err := f.c.RegistriesGetWithResponse(ctx, "second")
	check(t, err, g.HTTPResponse, 200)
	equal(t, "storage", *g.JSON200.Registry.StorageUsageBytes, *man.CompressedSizeBytes)

	// Credentials of one registry do not open another.
	c, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "second", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(true)})
	check(t, err, c.HTTPResponse, 200)
	ic := f.srv.Credentials()[0]
	resp, _ := registryCall(t, "POST", f.srv.URL+"/v2/example/repo-1/blobs/uploads/", ic.Username, ic.Password)
	equal(t, "push to the other registry (refused at the token endpoint)", resp.StatusCode, 401)
	resp, _ = registryCall(t, "POST", f.srv.URL+"/v2/second/app/blobs/uploads/", ic.Username, ic.Password)
	equal(t, "push to its registry", resp.StatusCode, 202)
}

func TestInvalidSeeds(t *testing.T) {
	t.Parallel()
	reg := func(mut func(*docrtest.SeedRegistry)) docrtest.Seed {
		s := docrtest.DefaultSeed()
		mut(&s.Registries[0])
		return s
	}
	for name, seed := range map[string]docrtest.Seed{
		"unknown tier":       {Tier: "gold"},
		"bad registry name":  {Registries: []docrtest.SeedRegistry{{Name: "Upper"}}},
		"duplicate registry": {Registries: []docrtest.SeedRegistry{{Name: "a"}, {Name: "a"}}},
		"duplicate repo": reg(func(r *docrtest.SeedRegistry) {
			r.Repositories = append(r.Repositories, docrtest.SeedRepository{Name: "repo-1"})
		}),
		"negative file size": reg(func(r *docrtest.SeedRegistry) { r.Repositories[0].Manifests[0].FileBytes = -1 }),
		"digest as tag": reg(func(r *docrtest.SeedRegistry) {
			r.Repositories[0].Manifests[0].Tags = []string{"sha256:" + strings.Repeat("0", 64)}
		}),
		"duplicate tag": reg(func(r *docrtest.SeedRegistry) { r.Repositories[0].Manifests[1].Tags = []string{"latest"} }),
		"bad repository name": reg(func(r *docrtest.SeedRegistry) {
			r.Repositories = append(r.Repositories, docrtest.SeedRepository{Name: "a//b"})
		}),
		"bad gc status": reg(func(r *docrtest.SeedRegistry) { r.GarbageCollections[0].Status = "done" }),
		"bad gc type":   reg(func(r *docrtest.SeedRegistry) { r.GarbageCollections[0].Type = "everything" }),
		"two active gcs": reg(func(r *docrtest.SeedRegistry) {
			r.GarbageCollections = []docrtest.SeedGarbageCollection{{Status: "requested"}, {Status: "requested"}}
		}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := docrtest.New(docrtest.WithSeed(seed)); err == nil {
				t.Fatal("New accepted the seed")
			}
		})
	}
}
