// Package paging walks the paginated listings of the API for facade's
// iterators: it asks for page after page (following the page_token or page
// of each page's next link, or, for a listing without links, the next page
// number while pages come back full), streams each page's items out of the
// body without holding it whole, and stops at the first error.
//
// It knows no JSON key and no API path: the facade's iterators fetch each
// page with gen's request builders and name the fields of gen's response
// types that hold the items and the links.
package paging

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

// Request says which page to fetch.
type Request struct {
	Page  int    // 1-based; page 1 is requested without a page parameter
	Token string // page_token, for page-token listings
}

// PageParam is the page parameter for r: nil for page 1.
func (r Request) PageParam() *int {
	if r.Page > 1 {
		return new(r.Page)
	}
	return nil
}

// TokenParam is the page_token parameter for r: nil when r has none.
func (r Request) TokenParam() *string {
	if r.Token != "" {
		return new(r.Token)
	}
	return nil
}

// Listing is one paginated listing: P is gen's response type of a page, T
// the type of its items.
type Listing[P, T any] struct {
	// What names a page in errors ("tags page").
	What    string
	PerPage int
	// Linked says the spec documents page links: a page without a next
	// link is the last. Otherwise links are followed when the API sends
	// them, and the next page is asked for while pages come back full
	// (and below the total, when the page has one).
	Linked bool
	// Err, when set, is yielded at once and nothing is sent (arguments
	// refused).
	Err error
	// Fetch sends the request for one page.
	Fetch func(ctx context.Context, r Request) (*http.Response, error)
	// Fields returns the fields of a page that hold the items, the links
	// and the total (nil when the page type has none).
	Fields func(*P) (items **[]T, links *gen.PageLinks, total *int)
	// Fail is the error for an answer outside 2xx and its body.
	Fail func(resp *http.Response, body []byte) error
}

// page is one decoded page.
type page[T any] struct {
	items    []T
	hasPages bool    // links.pages was present
	next     *string // links.pages.next
	total    *int    // meta.total
}

// All yields the items in order; on an error one (zero, err), then it
// stops. Nothing more is sent after the consumer stops.
func (l Listing[P, T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if l.Err != nil {
			yield(zero, l.Err)
			return
		}
		cur := Request{Page: 1}
		seen := 0
		for {
			pr, err := l.fetch(ctx, cur)
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
			next, more, err := advance(cur, pr, l.PerPage, seen, l.Linked)
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

// fetch sends the request for one page and reads its answer. A non-2xx
// answer becomes Fail's error (its body was already buffered, bounded, by
// the Doer). The body, bounded by the Doer, is closed; on a decoding error
// the rest of it is drained first, so that the connection can be reused.
func (l Listing[P, T]) fetch(ctx context.Context, r Request) (page[T], error) {
	resp, err := l.Fetch(ctx, r)
	if err != nil {
		return page[T]{}, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := transport.ReadAtMost(resp.Body, transport.ErrorBodyRead)
		return page[T]{}, l.Fail(resp, body)
	}
	var p P
	itemsOf := func(p *P) **[]T {
		items, _, _ := l.Fields(p)
		return items
	}
	if err := decodePage(resp.Body, &p, itemsOf, l.PerPage); err != nil {
		transport.Discard(resp.Body)
		return page[T]{}, fmt.Errorf("docr: decoding %s: %w", l.What, err)
	}
	_ = resp.Body.Close()
	pr := page[T]{}
	items, links, total := l.Fields(&p)
	if *items != nil {
		pr.items = **items
	}
	pr.total = total
	if links != nil && links.Pages != nil {
		pr.hasPages = true
		if n := links.Pages.Next; n != nil && *n != "" {
			pr.next = n
		}
	}
	return pr, nil
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
func advance[T any](cur Request, pr page[T], perPage, seen int, linked bool) (Request, bool, error) {
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
		next := Request{Page: cur.Page + 1}
		if q.Page != nil {
			next.Page = *q.Page
		}
		if q.PageToken != nil {
			next.Token = *q.PageToken
		}
		if next.Page <= cur.Page && (next.Token == "" || next.Token == cur.Token) {
			return cur, false, fmt.Errorf("docr: next page link does not advance (page %d)", next.Page)
		}
		return next, true, nil
	}
	if linked || pr.hasPages {
		return cur, false, nil
	}
	if pr.total != nil {
		return Request{Page: cur.Page + 1}, seen < *pr.total, nil
	}
	return Request{Page: cur.Page + 1}, len(pr.items) >= perPage, nil
}
