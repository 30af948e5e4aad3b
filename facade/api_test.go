package facade

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docr-dev/docr/gen"
)

// apiOp is one operation of the generated client, called through API().
type apiOp struct {
	name, method, path string
	call               func(ctx context.Context, api *gen.ClientWithResponses) error
}

// apiOps lists every operation of the generated client, current and
// deprecated. The deprecated ones are called on purpose: API() must still
// reach them.
func apiOps() []apiOp {
	ck := func(_ any, err error) error { return err }
	gc := gen.RegistryRunGc{}
	up := gen.UpdateRegistry{Cancel: new(true)}
	p := &gen.RegistriesListRepositoryTagsParams{}
	return []apiOp{
		{"RegistriesList", "GET", "/v2/registries", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesListWithResponse(ctx)))
		}},
		{"RegistriesCreate", "POST", "/v2/registries", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "r"})))
		}},
		{"RegistriesGetOptions", "GET", "/v2/registries/options", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesGetOptionsWithResponse(ctx)))
		}},
		{"RegistriesGetSubscription", "GET", "/v2/registries/subscription", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesGetSubscriptionWithResponse(ctx)))
		}},
		{"RegistriesUpdateSubscription", "POST", "/v2/registries/subscription", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesUpdateSubscriptionWithResponse(ctx, gen.RegistriesUpdateSubscriptionJSONRequestBody{})))
		}},
		{"RegistriesValidateName", "POST", "/v2/registries/validate-name", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesValidateNameWithResponse(ctx, gen.ValidateRegistry{Name: "r"})))
		}},
		{"RegistriesDelete", "DELETE", "/v2/registries/r", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesDeleteWithResponse(ctx, "r")))
		}},
		{"RegistriesGet", "GET", "/v2/registries/r", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesGetWithResponse(ctx, "r")))
		}},
		{"RegistriesGetDockerCredentials", "GET", "/v2/registries/r/docker-credentials", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesGetDockerCredentialsWithResponse(ctx, "r", nil)))
		}},
		{"RegistriesGetGarbageCollection", "GET", "/v2/registries/r/garbage-collection", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesGetGarbageCollectionWithResponse(ctx, "r")))
		}},
		{"RegistriesRunGarbageCollection", "POST", "/v2/registries/r/garbage-collection", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesRunGarbageCollectionWithResponse(ctx, "r", gc)))
		}},
		{"RegistriesUpdateGarbageCollection", "PUT", "/v2/registries/r/garbage-collection/u", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesUpdateGarbageCollectionWithResponse(ctx, "r", "u", up)))
		}},
		{"RegistriesListGarbageCollections", "GET", "/v2/registries/r/garbage-collections", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesListGarbageCollectionsWithResponse(ctx, "r", nil)))
		}},
		{"RegistriesDeleteRepository", "DELETE", "/v2/registries/r/repositories/o%2Fp", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesDeleteRepositoryWithResponse(ctx, "r", "o/p")))
		}},
		{"RegistriesListRepositoryManifests", "GET", "/v2/registries/r/repositories/p/digests", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesListRepositoryManifestsWithResponse(ctx, "r", "p", nil)))
		}},
		{"RegistriesDeleteRepositoryManifest", "DELETE", "/v2/registries/r/repositories/p/digests/sha256:d", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesDeleteRepositoryManifestWithResponse(ctx, "r", "p", "sha256:d")))
		}},
		{"RegistriesListRepositoryTags", "GET", "/v2/registries/r/repositories/p/tags", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesListRepositoryTagsWithResponse(ctx, "r", "p", p)))
		}},
		{"RegistriesDeleteRepositoryTag", "DELETE", "/v2/registries/r/repositories/p/tags/t", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesDeleteRepositoryTagWithResponse(ctx, "r", "p", "t")))
		}},
		{"RegistriesListRepositoriesV2", "GET", "/v2/registries/r/repositoriesV2", func(ctx context.Context, a *gen.ClientWithResponses) error {
			return ck(Check(a.RegistriesListRepositoriesV2WithResponse(ctx, "r", nil)))
		}},
		// Deprecated single-registry operations.
		{"RegistryDelete", "DELETE", "/v2/registry", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryDeleteWithResponse(ctx)))
		}},
		{"RegistryGet", "GET", "/v2/registry", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryGetWithResponse(ctx)))
		}},
		{"RegistryCreate", "POST", "/v2/registry", func(ctx context.Context, a *gen.ClientWithResponses) error {
			// Deprecated too, but oapi-codegen v2.8.2 omits the blank line before its Deprecated: note here, so staticcheck does not see it.
			return ck(Check(a.RegistryCreateWithResponse(ctx, gen.RegistryCreate{Name: "r", SubscriptionTierSlug: "basic"})))
		}},
		{"RegistryGetDockerCredentials", "GET", "/v2/registry/docker-credentials", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryGetDockerCredentialsWithResponse(ctx, nil)))
		}},
		{"RegistryGetOptions", "GET", "/v2/registry/options", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryGetOptionsWithResponse(ctx)))
		}},
		{"RegistryGetSubscription", "GET", "/v2/registry/subscription", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryGetSubscriptionWithResponse(ctx)))
		}},
		{"RegistryUpdateSubscription", "POST", "/v2/registry/subscription", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryUpdateSubscriptionWithResponse(ctx, gen.RegistryUpdateSubscriptionJSONRequestBody{})))
		}},
		{"RegistryValidateName", "POST", "/v2/registry/validate-name", func(ctx context.Context, a *gen.ClientWithResponses) error {
			// Deprecated too, but oapi-codegen v2.8.2 omits the blank line before its Deprecated: note here, so staticcheck does not see it.
			return ck(Check(a.RegistryValidateNameWithResponse(ctx, gen.ValidateRegistry{Name: "r"})))
		}},
		{"RegistryGetGarbageCollection", "GET", "/v2/registry/r/garbage-collection", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryGetGarbageCollectionWithResponse(ctx, "r")))
		}},
		{"RegistryRunGarbageCollection", "POST", "/v2/registry/r/garbage-collection", func(ctx context.Context, a *gen.ClientWithResponses) error {
			// Deprecated too, but oapi-codegen v2.8.2 omits the blank line before its Deprecated: note here, so staticcheck does not see it.
			return ck(Check(a.RegistryRunGarbageCollectionWithResponse(ctx, "r", gc)))
		}},
		{"RegistryUpdateGarbageCollection", "PUT", "/v2/registry/r/garbage-collection/u", func(ctx context.Context, a *gen.ClientWithResponses) error {
			// Deprecated too, but oapi-codegen v2.8.2 omits the blank line before its Deprecated: note here, so staticcheck does not see it.
			return ck(Check(a.RegistryUpdateGarbageCollectionWithResponse(ctx, "r", "u", up)))
		}},
		{"RegistryListGarbageCollections", "GET", "/v2/registry/r/garbage-collections", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryListGarbageCollectionsWithResponse(ctx, "r", nil)))
		}},
		{"RegistryListRepositories", "GET", "/v2/registry/r/repositories", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryListRepositoriesWithResponse(ctx, "r", nil)))
		}},
		{"RegistryListRepositoryManifests", "GET", "/v2/registry/r/repositories/p/digests", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryListRepositoryManifestsWithResponse(ctx, "r", "p", nil)))
		}},
		{"RegistryDeleteRepositoryManifest", "DELETE", "/v2/registry/r/repositories/p/digests/sha256:d", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryDeleteRepositoryManifestWithResponse(ctx, "r", "p", "sha256:d")))
		}},
		{"RegistryListRepositoryTags", "GET", "/v2/registry/r/repositories/p/tags", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryListRepositoryTagsWithResponse(ctx, "r", "p", nil)))
		}},
		{"RegistryDeleteRepositoryTag", "DELETE", "/v2/registry/r/repositories/p/tags/t", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryDeleteRepositoryTagWithResponse(ctx, "r", "p", "t")))
		}},
		{"RegistryListRepositoriesV2", "GET", "/v2/registry/r/repositoriesV2", func(ctx context.Context, a *gen.ClientWithResponses) error {
			//lint:ignore SA1019 deprecated operations must stay reachable through API()
			return ck(Check(a.RegistryListRepositoriesV2WithResponse(ctx, "r", nil)))
		}},
	}
}

// Every operation of the generated client goes through API() with the
// token, the User-Agent and the retry layer.
func TestAPIAllOperations(t *testing.T) {
	t.Parallel()
	ops := apiOps()
	// The table covers exactly the operations the generated client has.
	var want []string
	ct := reflect.TypeFor[*gen.ClientWithResponses]()
	for i := range ct.NumMethod() {
		name := ct.Method(i).Name
		if strings.HasSuffix(name, "WithResponse") && !strings.HasSuffix(name, "WithBodyWithResponse") {
			want = append(want, strings.TrimSuffix(name, "WithResponse"))
		}
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		var missing, extra []string
		for _, w := range want {
			if !slices.Contains(got, w) {
				missing = append(missing, w)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				extra = append(extra, g)
			}
		}
		t.Fatalf("the table and the generated client differ: add %v to apiOps (new in the client), remove %v (gone from the client)", missing, extra)
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			// First answer 503 to GET/PUT/DELETE (retried), then success.
			mt, rec := mock(t, func(n int, req *http.Request) (*http.Response, error) {
				if n == 0 && req.Method != http.MethodPost {
					return jsonReply(503, `{"id":"unavailable","message":"later"}`), nil
				}
				return jsonReply(200, `{}`, "ratelimit-remaining", "42"), nil
			})
			c, _ := newTest(t, mt)
			if err := op.call(context.Background(), c.API()); err != nil {
				t.Fatal(err)
			}
			reqs := rec.all()
			wantN := 2
			if op.method == http.MethodPost {
				wantN = 1
			}
			if len(reqs) != wantN {
				t.Fatalf("%d requests, want %d", len(reqs), wantN)
			}
			for _, s := range reqs {
				if s.Method != op.method || s.RawPath != op.path || s.Host != "api.digitalocean.com" {
					t.Errorf("sent %s %s%s, want %s %s", s.Method, s.Host, s.RawPath, op.method, op.path)
				}
				assertAPIHeaders(t, s)
			}
			if c.RateLimit().Remaining != 42 {
				t.Errorf("RateLimit = %+v", c.RateLimit())
			}
		})
	}
}
