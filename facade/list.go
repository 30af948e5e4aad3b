package facade

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"

	"github.com/docr-dev/docr/gen"
)

// Registries returns every registry of the account (GET /v2/registries,
// which is not paginated).
func (c *Client) Registries(ctx context.Context) ([]gen.Registry, error) {
	resp, err := Check(c.api.RegistriesListWithResponse(ctx))
	if err != nil {
		return nil, err
	}
	var body gen.AllRegistriesInfoResponse
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("docr: decoding registries: %w", err)
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
	perPage := c.s.perPage
	return paginate(ctx, perPage, true, func(ctx context.Context, p pageRequest) (pageResult[gen.RepositoryV2], error) {
		if err := needNames("registry", registry); err != nil {
			return pageResult[gen.RepositoryV2]{}, err
		}
		params := &gen.RegistriesListRepositoriesV2Params{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		if p.token != "" {
			params.PageToken = new(p.token)
		}
		resp, err := Check(c.api.RegistriesListRepositoriesV2WithResponse(ctx, registry, params))
		if err != nil {
			return pageResult[gen.RepositoryV2]{}, err
		}
		return decodePage[gen.RepositoryV2](resp.Body, "repositories")
	})
}

// Tags iterates over the tags of a repository (GET
// /v2/registries/{registry}/repositories/{repository}/tags), page by page;
// see [Client.Repositories] for the iteration rules. A repository name with
// a slash is sent with the slash escaped, as the API requires.
func (c *Client) Tags(ctx context.Context, registry, repository string) iter.Seq2[gen.RepositoryTag, error] {
	perPage := c.s.perPage
	return paginate(ctx, perPage, true, func(ctx context.Context, p pageRequest) (pageResult[gen.RepositoryTag], error) {
		if err := needNames("registry", registry, "repository", repository); err != nil {
			return pageResult[gen.RepositoryTag]{}, err
		}
		params := &gen.RegistriesListRepositoryTagsParams{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		resp, err := Check(c.api.RegistriesListRepositoryTagsWithResponse(ctx, registry, repository, params))
		if err != nil {
			return pageResult[gen.RepositoryTag]{}, err
		}
		return decodePage[gen.RepositoryTag](resp.Body, "tags")
	})
}

// Manifests iterates over the manifests of a repository (GET
// /v2/registries/{registry}/repositories/{repository}/digests), page by
// page; see [Client.Repositories] for the iteration rules.
func (c *Client) Manifests(ctx context.Context, registry, repository string) iter.Seq2[gen.RepositoryManifest, error] {
	perPage := c.s.perPage
	return paginate(ctx, perPage, true, func(ctx context.Context, p pageRequest) (pageResult[gen.RepositoryManifest], error) {
		if err := needNames("registry", registry, "repository", repository); err != nil {
			return pageResult[gen.RepositoryManifest]{}, err
		}
		params := &gen.RegistriesListRepositoryManifestsParams{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		resp, err := Check(c.api.RegistriesListRepositoryManifestsWithResponse(ctx, registry, repository, params))
		if err != nil {
			return pageResult[gen.RepositoryManifest]{}, err
		}
		return decodePage[gen.RepositoryManifest](resp.Body, "manifests")
	})
}

// GarbageCollections iterates over the garbage collections of a registry
// (GET /v2/registries/{registry}/garbage-collections), page by page; see
// [Client.Repositories] for the iteration rules. The spec declares no page
// links for this listing, so docr follows links when the API sends them and
// otherwise asks for the next page while pages come back full (and below
// meta.total, when present).
func (c *Client) GarbageCollections(ctx context.Context, registry string) iter.Seq2[gen.GarbageCollection, error] {
	perPage := c.s.perPage
	return paginate(ctx, perPage, false, func(ctx context.Context, p pageRequest) (pageResult[gen.GarbageCollection], error) {
		if err := needNames("registry", registry); err != nil {
			return pageResult[gen.GarbageCollection]{}, err
		}
		params := &gen.RegistriesListGarbageCollectionsParams{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		resp, err := Check(c.api.RegistriesListGarbageCollectionsWithResponse(ctx, registry, params))
		if err != nil {
			return pageResult[gen.GarbageCollection]{}, err
		}
		return decodePage[gen.GarbageCollection](resp.Body, "garbage_collections")
	})
}

// needNames checks that path parameters are not empty (pairs of what, value).
func needNames(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			return fmt.Errorf("%w: empty %s name", ErrInvalidRequest, kv[i])
		}
	}
	return nil
}

// pageRequest says which page to fetch.
type pageRequest struct {
	page  int    // 1-based; page 1 is requested without a page parameter
	token string // page_token, for page-token listings
}

// pageResult is one decoded page.
type pageResult[T any] struct {
	items    []T
	hasPages bool    // links.pages was present
	next     *string // links.pages.next
	total    *int    // meta.total
}

func decodePage[T any](body []byte, key string) (pageResult[T], error) {
	var pr pageResult[T]
	var doc struct {
		Links *gen.PageLinks      `json:"links"`
		Meta  *gen.MetaProperties `json:"meta"`
	}
	var items map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return pr, fmt.Errorf("docr: decoding %s page: %w", key, err)
	}
	if err := json.Unmarshal(body, &items); err != nil {
		return pr, fmt.Errorf("docr: decoding %s page: %w", key, err)
	}
	if raw, ok := items[key]; ok {
		if err := json.Unmarshal(raw, &pr.items); err != nil {
			return pr, fmt.Errorf("docr: decoding %s page: %w", key, err)
		}
	}
	if doc.Links != nil && doc.Links.Pages != nil {
		pr.hasPages = true
		if n := doc.Links.Pages.Next; n != nil && *n != "" {
			pr.next = n
		}
	}
	if doc.Meta != nil {
		pr.total = doc.Meta.Total
	}
	return pr, nil
}

// advance decides the page after cur. linked says whether the listing
// documents page links (then no next link means the end).
func advance[T any](cur pageRequest, pr pageResult[T], perPage, seen int, linked bool) (pageRequest, bool, error) {
	if len(pr.items) == 0 {
		return cur, false, nil
	}
	if pr.next != nil {
		u, err := url.Parse(*pr.next)
		if err != nil {
			return cur, false, fmt.Errorf("docr: unusable next page link")
		}
		q := u.Query()
		next := pageRequest{page: cur.page + 1, token: q.Get("page_token")}
		if p, err := strconv.Atoi(q.Get("page")); err == nil {
			next.page = p
		}
		if next.page <= cur.page && (next.token == "" || next.token == cur.token) {
			return cur, false, fmt.Errorf("docr: next page link does not advance (page %d)", next.page)
		}
		return next, true, nil
	}
	if linked || pr.hasPages {
		return cur, false, nil
	}
	if pr.total != nil {
		return pageRequest{page: cur.page + 1}, seen < *pr.total, nil
	}
	return pageRequest{page: cur.page + 1}, len(pr.items) >= perPage, nil
}

// paginate turns a page fetcher into an iterator: items in order; on error
// one (zero, err) and stop; nothing more after the consumer stops.
func paginate[T any](ctx context.Context, perPage int, linked bool, fetch func(context.Context, pageRequest) (pageResult[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		cur := pageRequest{page: 1}
		seen := 0
		for {
			pr, err := fetch(ctx, cur)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range pr.items {
				if !yield(it, nil) {
					return
				}
			}
			seen += len(pr.items)
			next, more, err := advance(cur, pr, perPage, seen, linked)
			if err != nil {
				yield(zero, err)
				return
			}
			if !more {
				return
			}
			cur = next
		}
	}
}
