package facade

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/paging"
)

// Registries returns every registry of the account (GET /v2/registries,
// which is not paginated).
func (c *Client) Registries(ctx context.Context) ([]gen.Registry, error) {
	resp, err := Check(c.api.RegistriesListWithResponse(ctx))
	if err != nil {
		return nil, err
	}
	// Decoded here rather than taken from JSON200, which the generated
	// parser fills only for a JSON Content-Type.
	var body gen.AllRegistriesInfoResponse
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("docr: decoding registry list: %w", err)
	}
	if body.Registries == nil {
		return []gen.Registry{}, nil
	}
	return *body.Registries, nil
}

// Repositories iterates over the repositories of a registry (GET
// /v2/registries/{registry}/repositoriesV2), page by page, following the
// page_token of each page's next link. On an error it yields the zero value
// and the error, then stops; breaking out of the loop sends no further
// request.
//
//	for repo, err := range c.Repositories(ctx, "example") {
//		if err != nil { return err }
//		fmt.Println(*repo.Name)
//	}
func (c *Client) Repositories(ctx context.Context, registry string) iter.Seq2[gen.RepositoryV2, error] {
	type page = gen.AllRepositoriesV2Response
	return paging.Listing[page, gen.RepositoryV2]{
		What: "repositories page", PerPage: c.s.perPage, Linked: true, Fail: failed,
		Err: needNames("registry", registry),
		Fetch: func(ctx context.Context, r paging.Request) (*http.Response, error) {
			return c.api.RegistriesListRepositoriesV2(ctx, registry, &gen.RegistriesListRepositoriesV2Params{
				PerPage: new(c.s.perPage), Page: r.PageParam(), PageToken: r.TokenParam()})
		},
		Fields: func(p *page) (**[]gen.RepositoryV2, *gen.PageLinks, *int) { return &p.Repositories, p.Links, nil },
	}.All(ctx)
}

// Tags iterates over the tags of a repository (GET
// /v2/registries/{registry}/repositories/{repository}/tags), page by page;
// see [Client.Repositories] for the iteration rules. A repository name with
// a slash is sent with the slash escaped, as the API requires.
func (c *Client) Tags(ctx context.Context, registry, repository string) iter.Seq2[gen.RepositoryTag, error] {
	type page = gen.RepositoryTagsResponse
	return paging.Listing[page, gen.RepositoryTag]{
		What: "tags page", PerPage: c.s.perPage, Linked: true, Fail: failed,
		Err: needNames("registry", registry, "repository", repository),
		Fetch: func(ctx context.Context, r paging.Request) (*http.Response, error) {
			return c.api.RegistriesListRepositoryTags(ctx, registry, repository, &gen.RegistriesListRepositoryTagsParams{
				PerPage: new(c.s.perPage), Page: r.PageParam()})
		},
		Fields: func(p *page) (**[]gen.RepositoryTag, *gen.PageLinks, *int) { return &p.Tags, p.Links, nil },
	}.All(ctx)
}

// Manifests iterates over the manifests of a repository (GET
// /v2/registries/{registry}/repositories/{repository}/digests), page by
// page; see [Client.Repositories] for the iteration rules.
func (c *Client) Manifests(ctx context.Context, registry, repository string) iter.Seq2[gen.RepositoryManifest, error] {
	type page = gen.RepositoryManifestsResponse
	return paging.Listing[page, gen.RepositoryManifest]{
		What: "manifests page", PerPage: c.s.perPage, Linked: true, Fail: failed,
		Err: needNames("registry", registry, "repository", repository),
		Fetch: func(ctx context.Context, r paging.Request) (*http.Response, error) {
			return c.api.RegistriesListRepositoryManifests(ctx, registry, repository, &gen.RegistriesListRepositoryManifestsParams{
				PerPage: new(c.s.perPage), Page: r.PageParam()})
		},
		Fields: func(p *page) (**[]gen.RepositoryManifest, *gen.PageLinks, *int) { return &p.Manifests, p.Links, nil },
	}.All(ctx)
}

// GarbageCollections iterates over the garbage collections of a registry
// (GET /v2/registries/{registry}/garbage-collections), page by page; see
// [Client.Repositories] for the iteration rules. The spec declares no page
// links for this listing, so docr follows links when the API sends them and
// otherwise asks for the next page while pages come back full (and below
// meta.total, when present).
func (c *Client) GarbageCollections(ctx context.Context, registry string) iter.Seq2[gen.GarbageCollection, error] {
	type page = gen.GarbageCollectionsResponse
	return paging.Listing[page, gen.GarbageCollection]{
		What: "garbage collections page", PerPage: c.s.perPage, Fail: failed,
		Err: needNames("registry", registry),
		Fetch: func(ctx context.Context, r paging.Request) (*http.Response, error) {
			return c.api.RegistriesListGarbageCollections(ctx, registry, &gen.RegistriesListGarbageCollectionsParams{
				PerPage: new(c.s.perPage), Page: r.PageParam()})
		},
		Fields: func(p *page) (**[]gen.GarbageCollection, *gen.PageLinks, *int) {
			if p.Meta == nil {
				return &p.GarbageCollections, p.Links, nil
			}
			return &p.GarbageCollections, p.Links, p.Meta.Total
		},
	}.All(ctx)
}

// needNames checks that path parameters are not empty (pairs of what,
// value) and that a registry name follows the API's rule.
func needNames(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			return fmt.Errorf("%w: empty %s name", ErrInvalidRequest, kv[i])
		}
		if kv[i] == "registry" {
			if err := CheckRegistryName(kv[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}
