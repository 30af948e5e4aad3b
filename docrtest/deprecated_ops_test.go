//lint:file-ignore SA1019 the fake must keep serving the deprecated single-registry operations, so their tests call the deprecated client methods.

package docrtest_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
)

var singleRegistryCases = map[string]opCase{
	"registry_get": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryGetWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		reg := *r.JSON200.Registry
		equal(t, "registry", []any{*reg.Name, *reg.Region, *reg.StorageUsageBytes, *reg.Subscription.Tier.Slug},
			[]any{"example", "fra1", seedStorage, "basic"})
		c, err := f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "second"})
		check(t, err, c.HTTPResponse, 201)
		r, err = f.c.RegistryGetWithResponse(ctx)
		checkError(t, err, r.HTTPResponse, r.Body, 412, "precondition_failed")
		if r.JSON412 == nil {
			t.Fatal("412 not parsed as the spec's precondition response")
		}
	},
	"registry_create": func(t *testing.T, f *fixture) {
		region := gen.RegistryCreateRegionAms3
		body := gen.RegistryCreate{Name: "mine", Region: &region, SubscriptionTierSlug: gen.RegistryCreateSubscriptionTierSlugStarter}
		r, err := f.c.RegistryCreateWithResponse(ctx, body)
		checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")

		empty := newFixture(t, docrtest.WithSeed(docrtest.Seed{}))
		r, err = empty.c.RegistryCreateWithResponse(ctx, body)
		check(t, err, r.HTTPResponse, 201)
		reg := *r.JSON201.Registry
		equal(t, "registry", []any{*reg.Name, *reg.Region, *reg.CreatedAt, *reg.StorageUsageBytes, *reg.Subscription.Tier.Slug, *reg.Subscription.UpdatedAt},
			[]any{"mine", "ams3", t0, 0, "starter", t0})
		g, err := empty.c.RegistryGetWithResponse(ctx)
		check(t, err, g.HTTPResponse, 200)
		equal(t, "registry_get after create", *g.JSON200.Registry, reg)
	},
	"registry_delete": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryDeleteWithResponse(ctx)
		check(t, err, r.HTTPResponse, 204)
		g, err := f.c.RegistryGetWithResponse(ctx)
		checkError(t, err, g.HTTPResponse, g.Body, 404, "not_found")
		r, err = f.c.RegistryDeleteWithResponse(ctx)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registry_get_dockerCredentials": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryGetDockerCredentialsWithResponse(ctx, &gen.RegistryGetDockerCredentialsParams{ExpirySeconds: ptr(0)})
		check(t, err, r.HTTPResponse, 200)
		ic := f.srv.Credentials()[0]
		equal(t, "credential", ic, docrtest.IssuedCredential{
			Operation: "registry_get_dockerCredentials", Registry: "example", Host: "registry.digitalocean.com",
			IssuedAt: t0, Username: ic.Username, Password: ic.Password,
		})
		equal(t, "auths", r.JSON200.Auths, map[string]gen.DockerAuth{
			"registry.digitalocean.com": {Auth: ptr(base64.StdEncoding.EncodeToString([]byte(ic.Username + ":" + ic.Password)))},
		})
		c, err := f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "second"})
		check(t, err, c.HTTPResponse, 201)
		r, err = f.c.RegistryGetDockerCredentialsWithResponse(ctx, nil)
		checkError(t, err, r.HTTPResponse, r.Body, 412, "precondition_failed")
	},
	"registry_get_options": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryGetOptionsWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "tiers", names(r.JSON200.Options.SubscriptionTiers, func(x struct {
			AllowStorageOverage        *bool                                    `json:"allow_storage_overage,omitempty"`
			EligibilityReasons         *[]gen.SubscriptionTierEligibilityReason `json:"eligibility_reasons,omitempty"`
			Eligible                   *bool                                    `json:"eligible,omitempty"`
			IncludedBandwidthBytes     *int                                     `json:"included_bandwidth_bytes,omitempty"`
			IncludedRepositories       *int                                     `json:"included_repositories,omitempty"`
			IncludedStorageBytes       *int                                     `json:"included_storage_bytes,omitempty"`
			MonthlyPriceInCents        *int                                     `json:"monthly_price_in_cents,omitempty"`
			Name                       *string                                  `json:"name,omitempty"`
			Slug                       *string                                  `json:"slug,omitempty"`
			StorageOveragePriceInCents *int                                     `json:"storage_overage_price_in_cents,omitempty"`
		}) string {
			return *x.Name
		}), []string{"Starter", "Basic", "Professional"})
	},
	"registry_get_subscription": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryGetSubscriptionWithResponse(ctx)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "tier", *r.JSON200.Subscription.Tier.Name, "Basic")
	},
	"registry_update_subscription": func(t *testing.T, f *fixture) {
		slug := gen.RegistryUpdateSubscriptionJSONBodyTierSlugStarter
		r, err := f.c.RegistryUpdateSubscriptionWithResponse(ctx, gen.RegistryUpdateSubscriptionJSONRequestBody{TierSlug: &slug})
		checkError(t, err, r.HTTPResponse, r.Body, 412, "precondition_failed")
		if r.JSON412 == nil || !strings.Contains(r.JSON412.Message, "OverRepositoryLimit") {
			t.Fatalf("412 body %s", r.Body)
		}
		slug = gen.RegistryUpdateSubscriptionJSONBodyTierSlugProfessional
		r, err = f.c.RegistryUpdateSubscriptionWithResponse(ctx, gen.RegistryUpdateSubscriptionJSONRequestBody{TierSlug: &slug})
		check(t, err, r.HTTPResponse, 200)
		g, err := f.c.RegistryGetSubscriptionWithResponse(ctx)
		check(t, err, g.HTTPResponse, 200)
		equal(t, "tier", *g.JSON200.Subscription.Tier.Slug, "professional")
		r, err = f.c.RegistryUpdateSubscriptionWithResponse(ctx, gen.RegistryUpdateSubscriptionJSONRequestBody{})
		checkError(t, err, r.HTTPResponse, r.Body, 400, "bad_request")
	},
	"registry_validate_name": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryValidateNameWithResponse(ctx, gen.ValidateRegistry{Name: "available"})
		check(t, err, r.HTTPResponse, 204)
		r, err = f.c.RegistryValidateNameWithResponse(ctx, gen.ValidateRegistry{Name: "example"})
		checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
	},
	"registry_get_garbageCollection": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryGetGarbageCollectionWithResponse(ctx, "example")
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
		s, err := f.c.RegistryRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, s.HTTPResponse, 201)
		r, err = f.c.RegistryGetGarbageCollectionWithResponse(ctx, "example")
		check(t, err, r.HTTPResponse, 200)
		equal(t, "active", *r.JSON200.GarbageCollection, *s.JSON201.GarbageCollection)
	},
	"registry_run_garbageCollection": func(t *testing.T, f *fixture) {
		typ := gen.GarbageCollectionTypeUntaggedManifestsOnly
		r, err := f.c.RegistryRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{Type: &typ})
		check(t, err, r.HTTPResponse, 201)
		equal(t, "status", *r.JSON201.GarbageCollection.Status, gen.GarbageCollectionStatusRequested)
		r, err = f.c.RegistryRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
	},
	"registry_update_garbageCollection": func(t *testing.T, f *fixture) {
		s, err := f.c.RegistryRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, s.HTTPResponse, 201)
		r, err := f.c.RegistryUpdateGarbageCollectionWithResponse(ctx, "example", *s.JSON201.GarbageCollection.Uuid, gen.UpdateRegistry{Cancel: ptr(true)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "status", *r.JSON200.GarbageCollection.Status, gen.GarbageCollectionStatusCancelled)
		r, err = f.c.RegistryUpdateGarbageCollectionWithResponse(ctx, "example", "eff0feee-49c7-4e8f-ba5c-a320c109c8a8", gen.UpdateRegistry{Cancel: ptr(true)})
		checkError(t, err, r.HTTPResponse, r.Body, 409, "conflict")
	},
	"registry_list_garbageCollections": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryListGarbageCollectionsWithResponse(ctx, "example", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "gcs", *r.JSON200.GarbageCollections, []gen.GarbageCollection{{
			Uuid: ptr("eff0feee-49c7-4e8f-ba5c-a320c109c8a8"), RegistryName: ptr("example"),
			Status:    ptr(gen.GarbageCollectionStatusSucceeded),
			CreatedAt: ptr(time.Date(2020, 10, 30, 21, 3, 24, 0, time.UTC)), UpdatedAt: ptr(time.Date(2020, 10, 30, 21, 3, 44, 0, time.UTC)),
			BlobsDeleted: ptr(42), FreedBytes: ptr(667), Type: ptr(gen.GarbageCollectionTypeUnreferencedBlobsOnly),
		}})
		equal(t, "meta", *r.JSON200.Meta.Total, 1)
		s, err := f.c.RegistryRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{})
		check(t, err, s.HTTPResponse, 201)
		r, err = f.c.RegistryListGarbageCollectionsWithResponse(ctx, "example", &gen.RegistryListGarbageCollectionsParams{PerPage: ptr(1)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "newest first", *r.JSON200.GarbageCollections, []gen.GarbageCollection{*s.JSON201.GarbageCollection})
	},
	"registry_list_repositories": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryListRepositoriesWithResponse(ctx, "example", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "total", r.JSON200.Meta.Total, 3)
		summary := func(x gen.Repository) string {
			return *x.Name + " " + *x.LatestTag.Tag + " " + string(rune('0'+*x.TagCount))
		}
		equal(t, "repositories", names(r.JSON200.Repositories, summary), []string{"repo-1 latest 3", "repo-2 1.0.0 1", "team/api latest 1"})
		r, err = f.c.RegistryListRepositoriesWithResponse(ctx, "example", &gen.RegistryListRepositoriesParams{Page: ptr(3), PerPage: ptr(1)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 3", names(r.JSON200.Repositories, summary), []string{"team/api latest 1"})
		pages := r.JSON200.Links.Pages
		equal(t, "links", []*string{pages.Next, pages.Last}, []*string{nil, nil})
		equal(t, "prev", *pages.Prev, f.srv.URL+"/v2/registry/example/repositories?page=2&per_page=1")
		r, err = f.c.RegistryListRepositoriesWithResponse(ctx, "nope", nil)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registry_list_repositoriesV2": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryListRepositoriesV2WithResponse(ctx, "example", &gen.RegistryListRepositoriesV2Params{PerPage: ptr(1)})
		check(t, err, r.HTTPResponse, 200)
		equal(t, "page 1", names(r.JSON200.Repositories, func(x gen.RepositoryV2) string { return *x.Name }), []string{"repo-1"})
		if !strings.HasPrefix(*r.JSON200.Links.Pages.Next, f.srv.URL+"/v2/registry/example/repositoriesV2?page=2&page_token=") {
			t.Fatalf("next = %s", *r.JSON200.Links.Pages.Next)
		}
	},
	"registry_list_repositoryManifests": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryListRepositoryManifestsWithResponse(ctx, "example", "team/api", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "digests", names(r.JSON200.Manifests, func(m gen.RepositoryManifest) string { return *m.Digest }), []string{digestTeamAPI})
		equal(t, "path sent", f.srv.Requests()[0].Path, "/v2/registry/example/repositories/team%2Fapi/digests")
	},
	"registry_delete_repositoryManifest": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryDeleteRepositoryManifestWithResponse(ctx, "example", "repo-1", digestV1)
		check(t, err, r.HTTPResponse, 204)
		l, err := f.c.RegistryListRepositoryManifestsWithResponse(ctx, "example", "repo-1", nil)
		check(t, err, l.HTTPResponse, 200)
		equal(t, "total", l.JSON200.Meta.Total, 2)
		r, err = f.c.RegistryDeleteRepositoryManifestWithResponse(ctx, "other", "repo-1", digestV1)
		checkError(t, err, r.HTTPResponse, r.Body, 404, "not_found")
	},
	"registry_list_repositoryTags": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryListRepositoryTagsWithResponse(ctx, "example", "repo-2", nil)
		check(t, err, r.HTTPResponse, 200)
		equal(t, "tags", names(r.JSON200.Tags, func(x gen.RepositoryTag) string { return *x.Tag }), []string{"1.0.0"})
	},
	"registry_delete_repositoryTag": func(t *testing.T, f *fixture) {
		r, err := f.c.RegistryDeleteRepositoryTagWithResponse(ctx, "example", "repo-2", "1.0.0")
		check(t, err, r.HTTPResponse, 204)
		l, err := f.c.RegistryListRepositoryTagsWithResponse(ctx, "example", "repo-2", nil)
		check(t, err, l.HTTPResponse, 200)
		equal(t, "tags", *l.JSON200.Tags, []gen.RepositoryTag{})
		equal(t, "total", l.JSON200.Meta.Total, 0)
	},
}
