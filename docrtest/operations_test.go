package docrtest_test

import (
	"context"
	"encoding/base64"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/docrtest/internal/embeddedspec"
	"github.com/docr-dev/docr/gen"
	"github.com/getkin/kin-openapi/openapi3"
)

// opCase exercises one operation against a fresh fixture.
type opCase func(t *testing.T, f *fixture)

// operationCases returns the test of every operation, keyed by upstream
// operationId. TestEveryOperationIsTested holds it against the spec.
func operationCases() map[string]opCase {
	m := maps.Clone(multiRegistryCases)
	maps.Copy(m, singleRegistryCases)
	return m
}

func TestOperations(t *testing.T) {
	t.Parallel()
	for op, tc := range operationCases() {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tc(t, f)
			for _, r := range f.srv.Requests() {
				if got := r.Operation; got != op && !slices.Contains(allowedExtra[op], got) {
					t.Errorf("request %s %s recorded as %q; the case of %s should call only it (or %v)",
						r.Method, r.Path, got, op, allowedExtra[op])
				}
			}
		})
	}
}

// allowedExtra lists the other operations a case calls to observe the
// effect of its own.
var allowedExtra = map[string][]string{
	"registries_create":                    {"registries_list"},
	"registries_update_subscription":       {"registries_get_subscription"},
	"registries_delete":                    {"registries_get"},
	"registries_get_garbageCollection":     {"registries_run_garbageCollection"},
	"registries_update_garbageCollection":  {"registries_run_garbageCollection"},
	"registries_list_garbageCollections":   {"registries_run_garbageCollection"},
	"registries_delete_repository":         {"registries_list_repositoriesV2"},
	"registries_list_repositoriesV2":       {"registries_delete_repository"},
	"registries_delete_repositoryManifest": {"registries_list_repositoryManifests"},
	"registries_delete_repositoryTag":      {"registries_list_repositoryTags", "registries_list_repositoryManifests"},
	"registries_list":                      {"registries_create"},
	"registry_create":                      {"registry_get"},
	"registry_delete":                      {"registry_get"},
	"registry_get":                         {"registries_create"},
	"registry_get_dockerCredentials":       {"registries_create"},
	"registry_update_subscription":         {"registry_get_subscription"},
	"registry_get_garbageCollection":       {"registry_run_garbageCollection"},
	"registry_update_garbageCollection":    {"registry_run_garbageCollection"},
	"registry_list_garbageCollections":     {"registry_run_garbageCollection"},
	"registry_delete_repositoryManifest":   {"registry_list_repositoryManifests"},
	"registry_delete_repositoryTag":        {"registry_list_repositoryTags"},
}

// sameOps fails naming the operations only one side has.
func sameOps(t *testing.T, what string, got, want []string) {
	t.Helper()
	var extra, missing []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	if len(extra)+len(missing) > 0 || len(got) != len(want) {
		t.Fatalf("%s: operations only in the first %v, only in the test cases %v (lengths %d and %d)", what, extra, missing, len(got), len(want))
	}
}

// TestEveryOperationIsTested reads the operation list from the spec (the
// extracted spec/registry.yaml and the embedded, overlaid spec the fake
// validates against) and fails for any operation without a test case, and
// any case without an operation.
func TestEveryOperationIsTested(t *testing.T) {
	t.Parallel()
	cases := slices.Sorted(maps.Keys(operationCases()))

	doc, err := openapi3.NewLoader().LoadFromFile("../spec/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fromFile []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			fromFile = append(fromFile, op.OperationID)
		}
	}
	slices.Sort(fromFile)
	sameOps(t, "operations of spec/registry.yaml vs the test cases", fromFile, cases)
	sameOps(t, "docrtest.Operations() vs the test cases", docrtest.Operations(), cases)

	embedded, err := embeddedspec.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	// oapi-codegen may store the Go name of an operation in the embedded
	// spec (RegistriesGetDockerCredentials); map it back.
	goNames := make(map[string]string)
	for _, op := range cases {
		var b strings.Builder
		for part := range strings.SplitSeq(op, "_") {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
		goNames[b.String()] = op
	}
	var fromEmbedded []string
	for _, item := range embedded.Paths.Map() {
		for _, op := range item.Operations() {
			id := op.OperationID
			if up, ok := goNames[id]; ok {
				id = up
			}
			fromEmbedded = append(fromEmbedded, id)
		}
	}
	slices.Sort(fromEmbedded)
	sameOps(t, "operations of the embedded spec vs the test cases", fromEmbedded, cases)
}

// Facts of the default seed.
const (
	digestV1      = "sha256:977b4d2203a78392ec01780712e98f1ce6487e06cfae3cba2055c3feff598d13"
	digestTeamAPI = "sha256:6d53f16aa57c0a4f1f73c7c19ae7bfae0cf6cda79b93a6f66850417def1d3477"
	seedStorage   = 22209
)

var ctx = context.Background()

var multiRegistryCases = map[string]opCase{
	"registries_list": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesListWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "names", names(r.JSON200.Registries, func(x gen.Registry) string { return *x.Name }), []string{"example"})
		reg := (*r.JSON200.Registries)[0]
		equal(t, "region", *reg.Region, "fra1")
		equal(t, "tier", *reg.Subscription.Tier.Slug, "basic")
		equal(t, "created_at", *reg.CreatedAt, time.Date(2020, 3, 21, 16, 2, 37, 0, time.UTC))
		equal(t, "total storage", *r.JSON200.TotalStorageUsageBytes, int64(*reg.StorageUsageBytes))

		c, err := f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "aaa"})
		check(t, err, c.HTTPResponse, 201)
		r, err = f.c.RegistriesListWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "names", names(r.JSON200.Registries, func(x gen.Registry) string { return *x.Name }), []string{"aaa", "example"})
	},
	"registries_create": func(t *testing.T, f *fixture) {
		region := gen.MultiregistryCreateRegionNyc3
		r, err := f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "second", Region: &region})
		check(t, err, r.HTTPResponse, 201)
		equal(t, "registry", *r.JSON201.Registry, gen.Multiregistry{
			Uuid: ptr("492da094-8931-5836-b50e-7d032f8fe4b3"), Name: ptr("second"), Region: ptr("nyc3"), CreatedAt: ptr(t0), StorageUsageBytes: ptr(0),
			StorageUsageBytesUpdatedAt: ptr(t0),
		})
		l, err := f.c.RegistriesListWithResponse(ctx)
		check(t, err, l.HTTPResponse, 200)
		equal(t, "names", names(l.JSON200.Registries, func(x gen.Registry) string { return *x.Name }), []string{"example", "second"})

		for _, name := range []string{"second", "example", "taken"} {
			r, err = f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: name})
			checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
		}
	},
	"registries_get_options": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesGetOptionsWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		o := r.JSON200.Options
		equal(t, "regions", *o.AvailableRegions, []string{"nyc3", "sfo3", "sfo2", "ams3", "sgp1", "fra1", "blr1", "syd1"})
		var got []string
		for _, tier := range *o.SubscriptionTiers {
			got = append(got, *tier.Slug+" "+strings.Join(names(tier.EligibilityReasons,
				func(r gen.SubscriptionTierEligibilityReason) string { return string(r) }), ","))
			equal(t, "eligible of "+*tier.Slug, *tier.Eligible, tier.EligibilityReasons == nil)
		}
		equal(t, "tiers", got, []string{"starter OverRepositoryLimit", "basic ", "professional "})
		equal(t, "starter storage", *(*o.SubscriptionTiers)[0].IncludedStorageBytes, 500<<20)
		equal(t, "professional price", *(*o.SubscriptionTiers)[2].MonthlyPriceInCents, 2000)
	},
	"registries_get_subscription": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesGetSubscriptionWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		sub := r.JSON200.Subscription
		equal(t, "tier", *sub.Tier.Slug, "basic")
		equal(t, "repos", *sub.Tier.IncludedRepositories, 5)
		equal(t, "created_at", *sub.CreatedAt, time.Date(2020, 1, 23, 21, 19, 12, 0, time.UTC))
	},
	"registries_update_subscription": func(t *testing.T, f *fixture) {
		f.clock.Advance(time.Hour)
		slug := gen.RegistriesUpdateSubscriptionJSONBodyTierSlugProfessional
		r, err := f.c.RegistriesUpdateSubscriptionWithResponse(ctx, gen.RegistriesUpdateSubscriptionJSONRequestBody{TierSlug: &slug})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "tier", *r.JSON200.Subscription.Tier.Slug, "professional")
		equal(t, "updated_at", *r.JSON200.Subscription.UpdatedAt, t0.Add(time.Hour))
		g, err := f.c.RegistriesGetSubscriptionWithResponse(ctx)
		check(t, err, g.HTTPResponse, 200)
		equal(t, "tier after update", *g.JSON200.Subscription.Tier.Slug, "professional")

		slug = gen.RegistriesUpdateSubscriptionJSONBodyTierSlugStarter
		r, err = f.c.RegistriesUpdateSubscriptionWithResponse(ctx, gen.RegistriesUpdateSubscriptionJSONRequestBody{TierSlug: &slug})
		checkError(t, err, r.HTTPResponse, r.Body, 412, "precondition_failed")
		equal(t, "message", r.JSONDefault.Message, "registry is not eligible for tier because: [OverRepositoryLimit]")
	},
	"registries_validate_name": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesValidateNameWithResponse(ctx, gen.ValidateRegistry{Name: "fresh-name"})
		check(t, err, r.HTTPResponse, 204)
		for _, name := range []string{"example", "taken"} {
			r, err = f.c.RegistriesValidateNameWithResponse(ctx, gen.ValidateRegistry{Name: name})
			checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
			if r.JSON409 == nil {
				t.Fatal("409 not parsed as the spec's conflict response")
			}
		}
	},
	"registries_delete": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesDeleteWithResponse(ctx, "example")
		check(t, err, r.HTTPResponse, 204)
		g, err := f.c.RegistriesGetWithResponse(ctx, "example")
		checkError(t, err, g.HTTPResponse, g.Body, 404, "not_found")
		r, err = f.c.RegistriesDeleteWithResponse(ctx, "example")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_get": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesGetWithResponse(ctx, "example")
		check(t, err, r.HTTPResponse, 200)
		equal(t, "registry", *r.JSON200.Registry, gen.Multiregistry{
			Uuid: ptr("764bb5cf-cde0-544e-acbb-6bf182484537"), Name: ptr("example"), Region: ptr("fra1"),
			CreatedAt:                  ptr(time.Date(2020, 3, 21, 16, 2, 37, 0, time.UTC)),
			StorageUsageBytes:          ptr(seedStorage),
			StorageUsageBytesUpdatedAt: ptr(time.Date(2020, 4, 20, 16, 2, 37, 0, time.UTC)),
		})
		r, err = f.c.RegistriesGetWithResponse(ctx, "nope")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
		if r.JSON404 == nil {
			t.Fatal("404 not parsed as the spec's not_found response")
		}
	},
	"registries_get_dockerCredentials": func(t *testing.T, f *fixture) {
		f.clock.Advance(time.Minute)
		r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example",
			&gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(true), ExpirySeconds: ptr(3600)})
		check(t, err, r.HTTPResponse, 200)
		if got := slices.Collect(maps.Keys(r.JSON200.Auths)); !slices.Equal(got, []string{"registry.digitalocean.com"}) {
			t.Fatalf("auths keys = %v", got)
		}
		creds := f.srv.Credentials()
		if len(creds) != 1 {
			t.Fatalf("%d credentials recorded, want 1", len(creds))
		}
		ic := creds[0]
		equal(t, "auth", *r.JSON200.Auths["registry.digitalocean.com"].Auth,
			base64.StdEncoding.EncodeToString([]byte(ic.Username+":"+ic.Password)))
		equal(t, "credential", ic, docrtest.IssuedCredential{
			Operation: "registries_get_dockerCredentials", Registry: "example", Host: "registry.digitalocean.com",
			ReadWrite: true, ExpirySeconds: 3600, IssuedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Minute + time.Hour),
			Username: ic.Username, Password: ic.Username,
		})
		if !strings.HasPrefix(ic.Password, "dop_v1_") || len(ic.Password) != 71 {
			t.Fatalf("password %q does not look like a DigitalOcean token", ic.Password)
		}
		equal(t, "query sent", f.srv.Requests()[0].RawQuery, "expiry_seconds=3600&read_write=true")

		r, err = f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", nil)
		check(t, err, r.HTTPResponse, 200)
		creds = f.srv.Credentials()
		if creds[1].Password == creds[0].Password || creds[1].ReadWrite || creds[1].ExpirySeconds != 0 || !creds[1].ExpiresAt.IsZero() {
			t.Fatalf("second credential %+v: want a fresh read-only one that never expires", creds[1])
		}

		r, err = f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "nope", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
		equal(t, "credentials after the 404", len(f.srv.Credentials()), 2)
	},
	"registries_get_garbageCollection": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesGetGarbageCollectionWithResponse(ctx, "example")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
		s, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, s.HTTPResponse, 201)
		r, err = f.c.RegistriesGetGarbageCollectionWithResponse(ctx, "example")
		check(t, err, r.HTTPResponse, 200)
		equal(t, "active", *r.JSON200.GarbageCollection, *s.JSON201.GarbageCollection)
		r, err = f.c.RegistriesGetGarbageCollectionWithResponse(ctx, "nope")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_run_garbageCollection": func(t *testing.T, f *fixture) {
		typ := gen.GarbageCollectionTypeUntaggedManifestsAndUnreferencedBlobs
		r, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{Type: &typ})
		check(t, err, r.HTTPResponse, 201)
		g := *r.JSON201.GarbageCollection
		if len(*g.Uuid) != 36 {
			t.Fatalf("uuid %q", *g.Uuid)
		}
		equal(t, "gc", g, gen.GarbageCollection{
			Uuid: g.Uuid, Type: &typ, RegistryName: ptr("example"), Status: ptr(gen.GarbageCollectionStatusRequested),
			CreatedAt: ptr(t0), UpdatedAt: ptr(t0), BlobsDeleted: ptr(0), FreedBytes: ptr(0),
		})
		r, err = f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
		// The overlay makes the body optional; none is fine.
		r, err = f.c.RegistriesRunGarbageCollectionWithBodyWithResponse(ctx, "nope", "application/json", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_update_garbageCollection": func(t *testing.T, f *fixture) {
		s, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, s.HTTPResponse, 201)
		id := *s.JSON201.GarbageCollection.Uuid
		f.clock.Advance(time.Second)
		r, err := f.c.RegistriesUpdateGarbageCollectionWithResponse(ctx, "example", id, gen.UpdateRegistry{Cancel: ptr(true)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "status", *r.JSON200.GarbageCollection.Status, gen.GarbageCollectionStatusCancelled)
		equal(t, "updated_at", *r.JSON200.GarbageCollection.UpdatedAt, t0.Add(time.Second))
		r, err = f.c.RegistriesUpdateGarbageCollectionWithResponse(ctx, "example", id, gen.UpdateRegistry{Cancel: ptr(true)})
		checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
		r, err = f.c.RegistriesUpdateGarbageCollectionWithResponse(ctx, "example", id, gen.UpdateRegistry{})
		check(t, err, r.HTTPResponse, 200)
		r, err = f.c.RegistriesUpdateGarbageCollectionWithResponse(ctx, "example", "no-such-uuid", gen.UpdateRegistry{Cancel: ptr(true)})
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_list_garbageCollections": func(t *testing.T, f *fixture) {
		s, err := f.c.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, s.HTTPResponse, 201)
		r, err := f.c.RegistriesListGarbageCollectionsWithResponse(ctx, "example", nil)
		check(t, err, r.HTTPResponse, 200)
		uuid := func(g gen.GarbageCollection) string { return *g.Uuid + " " + string(*g.Status) }
		equal(t, "gcs", names(r.JSON200.GarbageCollections, uuid),
			[]string{*s.JSON201.GarbageCollection.Uuid + " requested", "eff0feee-49c7-4e8f-ba5c-a320c109c8a8 succeeded"})
		r, err = f.c.RegistriesListGarbageCollectionsWithResponse(ctx, "example", &gen.RegistriesListGarbageCollectionsParams{PerPage: ptr(1), Page: ptr(2)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 2", names(r.JSON200.GarbageCollections, uuid), []string{"eff0feee-49c7-4e8f-ba5c-a320c109c8a8 succeeded"})
		equal(t, "query sent", f.srv.Requests()[2].RawQuery, "per_page=1&page=2")
		r, err = f.c.RegistriesListGarbageCollectionsWithResponse(ctx, "nope", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_delete_repository": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesDeleteRepositoryWithResponse(ctx, "example", "team/api")
		check(t, err, r.HTTPResponse, 204)
		equal(t, "path sent", f.srv.Requests()[0].Path, "/v2/registries/example/repositories/team%2Fapi")
		l, err := f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", nil)
		check(t, err, l.HTTPResponse, 200)
		equal(t, "repos", names(l.JSON200.Repositories, func(r gen.RepositoryV2) string { return *r.Name }), []string{"repo-1", "repo-2"})
		r, err = f.c.RegistriesDeleteRepositoryWithResponse(ctx, "example", "team/api")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_list_repositoryManifests": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "total", r.JSON200.Meta.Total, 3)
		tags := func(m gen.RepositoryManifest) string { return strings.Join(*m.Tags, ",") }
		equal(t, "manifests, newest first", names(r.JSON200.Manifests, tags), []string{"latest,v2", "v1", ""})
		m := (*r.JSON200.Manifests)[1]
		equal(t, "manifest v1", m.Digest, ptr(digestV1))
		equal(t, "blobs", len(*m.Blobs), 2)
		sum := 0
		for _, b := range *m.Blobs {
			sum += *b.CompressedSizeBytes
		}
		equal(t, "compressed size", *m.CompressedSizeBytes, sum)
		// size_bytes counts the manifest too: OCI JSON of 397 bytes.
		equal(t, "size", *m.SizeBytes, sum+397)

		r, err = f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1",
			&gen.RegistriesListRepositoryManifestsParams{PerPage: ptr(1), Page: ptr(2)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 2", names(r.JSON200.Manifests, tags), []string{"v1"})
		base := f.srv.URL + "/v2/registries/example/repositories/repo-1/digests?"
		pages := r.JSON200.Links.Pages
		equal(t, "links", []string{*pages.First, *pages.Prev, *pages.Next, *pages.Last}, []string{
			base + "page=1&per_page=1", base + "page=1&per_page=1", base + "page=3&per_page=1", base + "page=3&per_page=1",
		})
		r, err = f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "nope", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_delete_repositoryManifest": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesDeleteRepositoryManifestWithResponse(ctx, "example", "repo-1", digestV1)
		check(t, err, r.HTTPResponse, 204)
		l, err := f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, l.HTTPResponse, 200)
		equal(t, "manifests", names(l.JSON200.Manifests, func(m gen.RepositoryManifest) string { return strings.Join(*m.Tags, ",") }),
			[]string{"latest,v2", ""})
		r, err = f.c.RegistriesDeleteRepositoryManifestWithResponse(ctx, "example", "repo-1", digestV1)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
		// Deleting the last manifest of a repository removes it.
		r, err = f.c.RegistriesDeleteRepositoryManifestWithResponse(ctx, "example", "team/api", digestTeamAPI)
		check(t, err, r.HTTPResponse, 204)
		l, err = f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "team/api", nil)
		checkError(t, err, l.HTTPResponse, l.Body, 404, "not_found")
	},
	"registries_list_repositoryTags": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "total", r.JSON200.Meta.Total, 3)
		tagName := func(x gen.RepositoryTag) string { return *x.Tag }
		equal(t, "tags, newest first", names(r.JSON200.Tags, tagName), []string{"latest", "v2", "v1"})
		v1 := (*r.JSON200.Tags)[2]
		equal(t, "tag v1", gen.RepositoryTag{
			RegistryName: v1.RegistryName, Repository: v1.Repository, Tag: v1.Tag, ManifestDigest: v1.ManifestDigest,
			UpdatedAt: v1.UpdatedAt,
		}, gen.RepositoryTag{
			RegistryName: ptr("example"), Repository: ptr("repo-1"), Tag: ptr("v1"), ManifestDigest: ptr(digestV1),
			UpdatedAt: ptr(time.Date(2020, 3, 31, 16, 2, 37, 0, time.UTC)),
		})
		r, err = f.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "team/api", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "tags of team/api", names(r.JSON200.Tags, tagName), []string{"latest"})
		equal(t, "links of a single page", *r.JSON200.Links, gen.PageLinks{})
		r, err = f.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "repo-1", &gen.RegistriesListRepositoryTagsParams{PerPage: ptr(2)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 1", names(r.JSON200.Tags, tagName), []string{"latest", "v2"})
		equal(t, "next", *r.JSON200.Links.Pages.Next, f.srv.URL+"/v2/registries/example/repositories/repo-1/tags?page=2&per_page=2")
		r, err = f.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "nope", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_delete_repositoryTag": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesDeleteRepositoryTagWithResponse(ctx, "example", "repo-1", "v1")
		check(t, err, r.HTTPResponse, 204)
		l, err := f.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, l.HTTPResponse, 200)
		equal(t, "tags", names(l.JSON200.Tags, func(x gen.RepositoryTag) string { return *x.Tag }), []string{"latest", "v2"})
		m, err := f.c.RegistriesListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, m.HTTPResponse, 200)
		equal(t, "the manifest stays, untagged", names(m.JSON200.Manifests, func(m gen.RepositoryManifest) string { return strings.Join(*m.Tags, ",") }),
			[]string{"latest,v2", "", ""})
		r, err = f.c.RegistriesDeleteRepositoryTagWithResponse(ctx, "example", "repo-1", "v1")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registries_list_repositoriesV2": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", &gen.RegistriesListRepositoriesV2Params{PerPage: ptr(2)})
		check(t, err, r.HTTPResponse, 200)
		name := func(x gen.RepositoryV2) string { return *x.Name }
		equal(t, "page 1", names(r.JSON200.Repositories, name), []string{"repo-1", "repo-2"})
		equal(t, "total", r.JSON200.Meta.Total, 3)
		repo1 := (*r.JSON200.Repositories)[0]
		equal(t, "counts", []int{*repo1.TagCount, *repo1.ManifestCount}, []int{3, 3})
		equal(t, "latest manifest", *repo1.LatestManifest.Tags, []string{"latest", "v2"})
		next, err := url.Parse(*r.JSON200.Links.Pages.Next)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "last", *r.JSON200.Links.Pages.Last, f.srv.URL+"/v2/registries/example/repositoriesV2?page=2&per_page=2")
		token := next.Query().Get("page_token")
		equal(t, "next page", next.Query().Get("page"), "2")

		r, err = f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example",
			&gen.RegistriesListRepositoriesV2Params{PerPage: ptr(2), Page: ptr(2), PageToken: &token})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 2", names(r.JSON200.Repositories, name), []string{"team/api"})
		equal(t, "no next page", r.JSON200.Links.Pages, nil)
		equal(t, "query sent", f.srv.Requests()[1].RawQuery, "per_page=2&page=2&page_token="+token)

		// The token names the last repository seen, so the listing goes on
		// after it even once that repository is gone.
		d, err := f.c.RegistriesDeleteRepositoryWithResponse(ctx, "example", "repo-2")
		check(t, err, d.HTTPResponse, 204)
		r, err = f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example",
			&gen.RegistriesListRepositoriesV2Params{PerPage: ptr(2), Page: ptr(2), PageToken: &token})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 2 after repo-2 went", names(r.JSON200.Repositories, name), []string{"team/api"})
		equal(t, "total after repo-2 went", r.JSON200.Meta.Total, 2)

		r, err = f.c.RegistriesListRepositoriesV2WithResponse(ctx, "example", &gen.RegistriesListRepositoriesV2Params{PageToken: ptr("garbage!")})
		checkError(t, err, r.HTTPResponse, r.Body, 400, "bad_request")
		if r.JSON400 == nil {
			t.Fatal("400 not parsed as the spec's bad_request response")
		}
		r, err = f.c.RegistriesListRepositoriesV2WithResponse(ctx, "nope", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
}
