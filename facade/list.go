package facade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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
		resp, err := c.api.RegistriesListRepositoriesV2(ctx, registry, params)
		return readPage[gen.RepositoryV2](resp, err, "repositories", perPage)
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
		resp, err := c.api.RegistriesListRepositoryTags(ctx, registry, repository, params)
		return readPage[gen.RepositoryTag](resp, err, "tags", perPage)
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
		resp, err := c.api.RegistriesListRepositoryManifests(ctx, registry, repository, params)
		return readPage[gen.RepositoryManifest](resp, err, "manifests", perPage)
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
		resp, err := c.api.RegistriesListGarbageCollections(ctx, registry, params)
		return readPage[gen.GarbageCollection](resp, err, "garbage_collections", perPage)
	})
}

// needNames checks that path parameters are not empty (pairs of what, value).
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

// readPage turns the raw response of a listing into a page: a non-2xx
// answer becomes an [*APIError] (its body was already buffered, bounded, by
// the doer), a 2xx body is decoded as it streams in (see decodePage). The
// body is closed; on a decoding error the rest of it is drained first, so
// that the connection can be reused.
func readPage[T any](resp *http.Response, err error, key string, perPage int) (pageResult[T], error) {
	if err != nil {
		return pageResult[T]{}, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := readAtMost(resp.Body, errorBodyRead)
		return pageResult[T]{}, CheckResponse(resp, body)
	}
	pr, err := decodePage[T](resp.Body, key, perPage)
	if err != nil {
		discard(resp.Body)
		return pageResult[T]{}, fmt.Errorf("docr: decoding %s page: %w", key, err)
	}
	_ = resp.Body.Close()
	return pr, nil
}

// decodePage decodes one page, {"<key>": [items...], "links": {...},
// "meta": {...}}, with one json.Decoder streaming from r: the items are
// decoded one by one into a slice of capacity perPage, so that neither the
// whole body nor a copy of the items is ever held in memory. It accepts
// what json.Unmarshal into
//
//	struct {
//		Items []T                 `json:"<key>"` // exact key
//		Links *gen.PageLinks      `json:"links"`
//		Meta  *gen.MetaProperties `json:"meta"`
//	}
//
// accepts (a null document or items are an empty page; other keys are
// skipped; the last of duplicate keys wins), and like json.Unmarshal it
// refuses anything after the top-level value.
func decodePage[T any](r io.Reader, key string, perPage int) (pageResult[T], error) {
	var (
		pr    pageResult[T]
		links *gen.PageLinks
		meta  *gen.MetaProperties
	)
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	switch {
	case err != nil:
		return pr, unexpectedEOF(err)
	case tok == nil: // null
	case tok != json.Delim('{'):
		return pr, errors.New("page is not a JSON object")
	default:
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return pr, unexpectedEOF(err)
			}
			name, _ := tok.(string) // a key: More and Token guarantee a string
			switch {
			case name == key:
				pr.items, err = decodeItems[T](dec, perPage)
			case strings.EqualFold(name, "links"):
				err = dec.Decode(&links)
			case strings.EqualFold(name, "meta"):
				err = dec.Decode(&meta)
			default:
				var skip json.RawMessage
				err = dec.Decode(&skip)
			}
			if err != nil {
				return pr, unexpectedEOF(err)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return pr, unexpectedEOF(err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level value")
		}
		return pr, err
	}
	if links != nil && links.Pages != nil {
		pr.hasPages = true
		if n := links.Pages.Next; n != nil && *n != "" {
			pr.next = n
		}
	}
	if meta != nil {
		pr.total = meta.Total
	}
	return pr, nil
}

// decodeItems decodes a JSON array (or null) of T, element by element, in
// place.
func decodeItems[T any](dec *json.Decoder, perPage int) ([]T, error) {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return nil, err
	case tok == nil: // null
		return nil, nil
	case tok != json.Delim('['):
		return nil, errors.New("items are not a JSON array")
	}
	items := make([]T, 0, perPage)
	for dec.More() {
		var zero T
		items = append(items, zero)
		if err := dec.Decode(&items[len(items)-1]); err != nil {
			return nil, err
		}
	}
	_, err = dec.Token() // the closing bracket
	return items, err
}

// unexpectedEOF turns the io.EOF of a document that ends too early into
// io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
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
