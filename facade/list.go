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

	"github.com/oapi-codegen/runtime"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/transport"
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
	perPage := c.s.perPage
	return paginate(ctx, perPage, true, func(ctx context.Context, p pageRequest) (pageResult[gen.RepositoryV2], error) {
		var page gen.AllRepositoriesV2Response
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
		err = readPage(resp, err, "repositories page", &page, func(p *gen.AllRepositoriesV2Response) **[]gen.RepositoryV2 { return &p.Repositories }, perPage)
		return newPage(page.Repositories, page.Links, nil), err
	})
}

// Tags iterates over the tags of a repository (GET
// /v2/registries/{registry}/repositories/{repository}/tags), page by page;
// see [Client.Repositories] for the iteration rules. A repository name with
// a slash is sent with the slash escaped, as the API requires.
func (c *Client) Tags(ctx context.Context, registry, repository string) iter.Seq2[gen.RepositoryTag, error] {
	perPage := c.s.perPage
	return paginate(ctx, perPage, true, func(ctx context.Context, p pageRequest) (pageResult[gen.RepositoryTag], error) {
		var page gen.RepositoryTagsResponse
		if err := needNames("registry", registry, "repository", repository); err != nil {
			return pageResult[gen.RepositoryTag]{}, err
		}
		params := &gen.RegistriesListRepositoryTagsParams{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		resp, err := c.api.RegistriesListRepositoryTags(ctx, registry, repository, params)
		err = readPage(resp, err, "tags page", &page, func(p *gen.RepositoryTagsResponse) **[]gen.RepositoryTag { return &p.Tags }, perPage)
		return newPage(page.Tags, page.Links, nil), err
	})
}

// Manifests iterates over the manifests of a repository (GET
// /v2/registries/{registry}/repositories/{repository}/digests), page by
// page; see [Client.Repositories] for the iteration rules.
func (c *Client) Manifests(ctx context.Context, registry, repository string) iter.Seq2[gen.RepositoryManifest, error] {
	perPage := c.s.perPage
	return paginate(ctx, perPage, true, func(ctx context.Context, p pageRequest) (pageResult[gen.RepositoryManifest], error) {
		var page gen.RepositoryManifestsResponse
		if err := needNames("registry", registry, "repository", repository); err != nil {
			return pageResult[gen.RepositoryManifest]{}, err
		}
		params := &gen.RegistriesListRepositoryManifestsParams{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		resp, err := c.api.RegistriesListRepositoryManifests(ctx, registry, repository, params)
		err = readPage(resp, err, "manifests page", &page, func(p *gen.RepositoryManifestsResponse) **[]gen.RepositoryManifest { return &p.Manifests }, perPage)
		return newPage(page.Manifests, page.Links, nil), err
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
		var page gen.GarbageCollectionsResponse
		if err := needNames("registry", registry); err != nil {
			return pageResult[gen.GarbageCollection]{}, err
		}
		params := &gen.RegistriesListGarbageCollectionsParams{PerPage: new(perPage)}
		if p.page > 1 {
			params.Page = new(p.page)
		}
		resp, err := c.api.RegistriesListGarbageCollections(ctx, registry, params)
		err = readPage(resp, err, "garbage collections page", &page, func(p *gen.GarbageCollectionsResponse) **[]gen.GarbageCollection { return &p.GarbageCollections }, perPage)
		var total *int
		if page.Meta != nil {
			total = page.Meta.Total
		}
		return newPage(page.GarbageCollections, page.Links, total), err
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

// newPage makes a pageResult from the fields of a generated listing
// response.
func newPage[T any](items *[]T, links *gen.PageLinks, total *int) pageResult[T] {
	pr := pageResult[T]{total: total}
	if items != nil {
		pr.items = *items
	}
	if links != nil && links.Pages != nil {
		pr.hasPages = true
		if n := links.Pages.Next; n != nil && *n != "" {
			pr.next = n
		}
	}
	return pr
}

// readPage reads the answer of a generated listing method into page (see
// decodePage). A non-2xx answer becomes an [*APIError] (its body was
// already buffered, bounded, by the doer). The body, bounded by the doer,
// is closed; on a decoding error the rest of it is drained first, so that
// the connection can be reused.
func readPage[P, T any](resp *http.Response, err error, what string, page *P, items func(*P) **[]T, perPage int) error {
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := transport.ReadAtMost(resp.Body, transport.ErrorBodyRead)
		return failed(resp, body)
	}
	if err := decodePage(resp.Body, page, items, perPage); err != nil {
		transport.Discard(resp.Body)
		return fmt.Errorf("docr: decoding %s: %w", what, err)
	}
	_ = resp.Body.Close()
	return nil
}

// decodePage decodes one page of a listing from r into page, a generated
// response type, with the result and errors of json.Unmarshal, but without
// holding the whole body: one json.Decoder streams from r, and the items
// (the field that items returns, e.g. &page.Repositories) are decoded one
// by one into a slice of capacity perPage. Every other member is decoded
// into page by json.Unmarshal itself, so that the generated struct tags
// decide which field it fills. Which member holds the items is asked of
// json.Unmarshal too (see itemsMember): decodePage knows no JSON key.
func decodePage[P, T any](r io.Reader, page *P, items func(*P) **[]T, perPage int) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	switch {
	case err != nil:
		return unexpectedEOF(err)
	case tok == nil: // null
	case tok != json.Delim('{'):
		return errors.New("page is not a JSON object")
	default:
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return unexpectedEOF(err)
			}
			name, _ := tok.(string) // a key: More and Token guarantee a string
			if itemsMember(name, items) {
				f := items(page)
				*f, err = decodeItems(dec, *f, perPage)
			} else {
				var raw json.RawMessage
				if err = dec.Decode(&raw); err == nil {
					err = json.Unmarshal(member(name, raw), page)
				}
			}
			if err != nil {
				return unexpectedEOF(err)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return unexpectedEOF(err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level value")
		}
		return err
	}
	return nil
}

// itemsMember reports whether json.Unmarshal puts the object member name
// into the items field of P.
func itemsMember[P, T any](name string, items func(*P) **[]T) bool {
	var probe P
	return json.Unmarshal(member(name, []byte("[]")), &probe) == nil && *items(&probe) != nil
}

// member returns the JSON object {name: value}.
func member(name string, value []byte) []byte {
	key, _ := json.Marshal(name) // a string always marshals
	b := make([]byte, 0, len(key)+len(value)+3)
	b = append(append(append(append(b, '{'), key...), ':'), value...)
	return append(b, '}')
}

// decodeItems decodes a JSON array (or null) of T element by element, in
// place: into *old, like json.Unmarshal for a repeated member, else into a
// new slice of capacity perPage.
func decodeItems[T any](dec *json.Decoder, old *[]T, perPage int) (*[]T, error) {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return nil, err
	case tok == nil: // null
		return nil, nil
	case tok != json.Delim('['):
		return nil, errors.New("items are not a JSON array")
	}
	if old == nil {
		old = new(make([]T, 0, perPage))
	}
	items, n := *old, 0
	for ; dec.More(); n++ {
		if n == len(items) {
			var zero T
			items = append(items, zero)
		}
		if err := dec.Decode(&items[n]); err != nil {
			return nil, err
		}
	}
	*old = items[:n]
	_, err = dec.Token() // the closing bracket
	return old, err
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
		// The link's query, read as the token listing's parameters (the
		// superset of every listing's) by the generated form binding.
		var q gen.RegistriesListRepositoriesV2Params
		u, err := url.Parse(*pr.next)
		if err == nil {
			err = runtime.BindForm(&q, u.Query(), nil, nil)
		}
		if err != nil {
			return cur, false, fmt.Errorf("docr: unusable next page link")
		}
		next := pageRequest{page: cur.page + 1}
		if q.Page != nil {
			next.page = *q.Page
		}
		if q.PageToken != nil {
			next.token = *q.PageToken
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
