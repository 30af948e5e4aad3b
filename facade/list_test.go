package facade

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/docr-dev/docr/gen"
)

func TestRegistries(t *testing.T) {
	t.Parallel()
	mt, rec := mock(t, always(200, `{"registries":[{"name":"a","region":"fra1"},{"name":"b"}]}`))
	c, _ := newTest(t, mt)
	regs, err := c.Registries(context.Background())
	if err != nil || len(regs) != 2 || *regs[0].Name != "a" || *regs[1].Name != "b" {
		t.Fatalf("regs = %v, %v", regs, err)
	}
	s := rec.all()[0]
	if s.Method != "GET" || s.Path != "/v2/registries" || s.Query != "" {
		t.Errorf("sent %s %s?%s", s.Method, s.Path, s.Query)
	}
	assertAPIHeaders(t, s)

	for body, wantErr := range map[string]bool{`{}`: false, `[`: true} {
		mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) { return reply(200, body), nil })
		c, _ := newTest(t, mt)
		regs, err := c.Registries(context.Background())
		if (err != nil) != wantErr || (!wantErr && (regs == nil || len(regs) != 0)) {
			t.Errorf("%s: %v %v", body, regs, err)
		}
	}
	mt, _ = mock(t, always(401, `{"id":"unauthorized","message":"no"}`))
	c, _ = newTest(t, mt)
	if _, err := c.Registries(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("err = %v", err)
	}
}

func TestRepositoriesPageToken(t *testing.T) {
	t.Parallel()
	pages := []string{
		`{"repositories":[{"name":"r1"},{"name":"r2"}],"links":{"pages":{"next":"https://api.digitalocean.com/v2/registries/example/repositoriesV2?page=2&page_token=TOKEN2&per_page=2","last":"x"}},"meta":{"total":5}}`,
		`{"repositories":[{"name":"r3"},{"name":"r4"}],"links":{"pages":{"next":"https://api.digitalocean.com/v2/registries/example/repositoriesV2?page=3&page_token=TOKEN%2F3%3D&per_page=2"}},"meta":{"total":5}}`,
		`{"repositories":[{"name":"r5"}],"links":{"pages":{"first":"x","prev":"y"}},"meta":{"total":5}}`,
	}
	mt, rec := mock(t, func(n int, _ *http.Request) (*http.Response, error) { return jsonReply(200, pages[n]), nil })
	c, _ := newTest(t, mt, WithPerPage(2))
	var names []string
	for repo, err := range c.Repositories(context.Background(), "example") {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, *repo.Name)
	}
	if strings.Join(names, ",") != "r1,r2,r3,r4,r5" {
		t.Errorf("names = %v", names)
	}
	wantQ := []string{"per_page=2", "per_page=2&page=2&page_token=TOKEN2", "per_page=2&page=3&page_token=TOKEN%2F3%3D"}
	reqs := rec.all()
	if len(reqs) != len(wantQ) {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, s := range reqs {
		if s.Method != "GET" || s.RawPath != "/v2/registries/example/repositoriesV2" || s.Query != wantQ[i] {
			t.Errorf("request %d: %s %s?%s, want query %s", i, s.Method, s.RawPath, s.Query, wantQ[i])
		}
		assertAPIHeaders(t, s)
	}
}

func TestIteratorBreakSendsNothingMore(t *testing.T) {
	t.Parallel()
	page := `{"repositories":[{"name":"r1"},{"name":"r2"}],"tags":[{"tag":"t1"},{"tag":"t2"}],"manifests":[{"digest":"d1"},{"digest":"d2"}],"garbage_collections":[{"uuid":"g1"},{"uuid":"g2"}],"links":{"pages":{"next":"https://api.digitalocean.com/x?page=2&page_token=T"}}}`
	mt, rec := mock(t, always(200, page))
	c, _ := newTest(t, mt, WithPerPage(2))
	ctx := context.Background()
	counts := map[string]int{}
	for range c.Repositories(ctx, "example") {
		counts["repos"]++
		break
	}
	for range c.Tags(ctx, "example", "web") {
		counts["tags"]++
		break
	}
	for range c.Manifests(ctx, "example", "web") {
		counts["manifests"]++
		break
	}
	for range c.GarbageCollections(ctx, "example") {
		counts["gcs"]++
		break
	}
	if rec.count() != 4 || fmt.Sprint(counts) != "map[gcs:1 manifests:1 repos:1 tags:1]" {
		t.Errorf("requests %d, counts %v", rec.count(), counts)
	}
}

func TestTagsAndManifestsPageNumbers(t *testing.T) {
	t.Parallel()
	type call struct {
		name string
		run  func(c *Client) ([]string, error)
		path string
	}
	collect := func(seq func(yield func(string, error) bool)) ([]string, error) {
		var out []string
		for v, err := range seq {
			if err != nil {
				return out, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	ctx := context.Background()
	calls := []call{
		{"tags", func(c *Client) ([]string, error) {
			return collect(func(yield func(string, error) bool) {
				for tag, err := range c.Tags(ctx, "example", "team/web") {
					name := ""
					if tag.Tag != nil {
						name = *tag.Tag
					}
					if !yield(name, err) {
						return
					}
				}
			})
		}, "/v2/registries/example/repositories/team%2Fweb/tags"},
		{"manifests", func(c *Client) ([]string, error) {
			return collect(func(yield func(string, error) bool) {
				for m, err := range c.Manifests(ctx, "example", "team/web") {
					name := ""
					if m.Digest != nil {
						name = *m.Digest
					}
					if !yield(name, err) {
						return
					}
				}
			})
		}, "/v2/registries/example/repositories/team%2Fweb/digests"},
	}
	for _, tc := range calls {
		key, field := "tags", "tag"
		if tc.name == "manifests" {
			key, field = "manifests", "digest"
		}
		pages := []string{
			fmt.Sprintf(`{%q:[{%q:"a"},{%q:"b"}],"links":{"pages":{"next":"https://api.digitalocean.com/p?page=2&per_page=2"}},"meta":{"total":3}}`, key, field, field),
			fmt.Sprintf(`{%q:[{%q:"c"}],"links":{},"meta":{"total":3}}`, key, field),
		}
		mt, rec := mock(t, func(n int, _ *http.Request) (*http.Response, error) { return jsonReply(200, pages[n]), nil })
		c, _ := newTest(t, mt, WithPerPage(2))
		got, err := tc.run(c)
		if err != nil || strings.Join(got, "") != "abc" {
			t.Errorf("%s: %v %v", tc.name, got, err)
		}
		reqs := rec.all()
		if len(reqs) != 2 || reqs[0].Query != "per_page=2" || reqs[1].Query != "per_page=2&page=2" {
			t.Fatalf("%s: requests %+v", tc.name, reqs)
		}
		for _, s := range reqs {
			if s.RawPath != tc.path {
				t.Errorf("%s: path %s, want %s", tc.name, s.RawPath, tc.path)
			}
		}
	}
}

func TestGarbageCollectionsWithoutLinks(t *testing.T) {
	t.Parallel()
	gc := func(ids ...string) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, `{"uuid":"`+id+`"}`)
		}
		return `[` + strings.Join(parts, ",") + `]`
	}
	cases := []struct {
		name   string
		pages  []string
		want   string
		nQuery int
	}{
		{"short page ends", []string{`{"garbage_collections":` + gc("1", "2") + `}`, `{"garbage_collections":` + gc("3") + `}`}, "123", 2},
		{"empty page ends", []string{`{"garbage_collections":` + gc("1", "2") + `}`, `{"garbage_collections":[]}`}, "12", 2},
		{"meta total ends", []string{`{"garbage_collections":` + gc("1", "2") + `,"meta":{"total":2}}`}, "12", 1},
		{"links followed", []string{`{"garbage_collections":` + gc("1", "2") + `,"links":{"pages":{"next":"https://x/y?page=2"}}}`, `{"garbage_collections":` + gc("3", "4") + `,"links":{"pages":{"prev":"p"}}}`}, "1234", 2},
	}
	for _, tc := range cases {
		mt, rec := mock(t, func(n int, _ *http.Request) (*http.Response, error) { return jsonReply(200, tc.pages[n]), nil })
		c, _ := newTest(t, mt, WithPerPage(2))
		var got string
		for g, err := range c.GarbageCollections(context.Background(), "example") {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got += *g.Uuid
		}
		if got != tc.want || rec.count() != tc.nQuery {
			t.Errorf("%s: got %q in %d requests", tc.name, got, rec.count())
		}
		for i, s := range rec.all() {
			want := "per_page=2"
			if i > 0 {
				want += fmt.Sprintf("&page=%d", i+1)
			}
			if s.Path != "/v2/registries/example/garbage-collections" || s.Query != want {
				t.Errorf("%s: request %d %s?%s", tc.name, i, s.Path, s.Query)
			}
		}
	}
}

func TestIteratorErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first := func(seq func(func(gen.RepositoryV2, error) bool)) (n int, errs []error) {
		for _, err := range seq {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
		return n, errs
	}
	cases := []struct {
		name  string
		pages []string
		items int
		check func(error) bool
	}{
		{"404", nil, 0, func(err error) bool { return errors.Is(err, ErrNotFound) }},
		{"bad json", []string{`{"repositories":[`}, 0, func(err error) bool { return err != nil }},
		{"bad items", []string{`{"repositories":{}}`}, 0, func(err error) bool { return err != nil }},
		{"bad links", []string{`{"repositories":[{}],"links":[]}`}, 0, func(err error) bool { return err != nil }},
		{"error on page 2", []string{`{"repositories":[{"name":"a"}],"links":{"pages":{"next":"https://x/?page=2&page_token=t"}}}`}, 1, func(err error) bool { return errors.Is(err, ErrNotFound) }},
		{"next does not advance", []string{`{"repositories":[{"name":"a"}],"links":{"pages":{"next":"https://x/?page=1"}}}`}, 1, func(err error) bool { return strings.Contains(err.Error(), "does not advance") }},
		{"next unparsable", []string{`{"repositories":[{"name":"a"}],"links":{"pages":{"next":"%zz"}}}`}, 1, func(err error) bool { return strings.Contains(err.Error(), "next page link") }},
		{"next page not a number", []string{`{"repositories":[{"name":"a"}],"links":{"pages":{"next":"https://x/?page=two&page_token=t"}}}`}, 1, func(err error) bool { return err.Error() == "docr: unusable next page link" }},
	}
	for _, tc := range cases {
		mt, _ := mock(t, func(n int, _ *http.Request) (*http.Response, error) {
			if n < len(tc.pages) {
				return jsonReply(200, tc.pages[n]), nil
			}
			return jsonReply(404, `{"id":"not_found","message":"gone"}`), nil
		})
		c, _ := newTest(t, mt)
		n, errs := first(c.Repositories(ctx, "example"))
		if n != tc.items || len(errs) != 1 || !tc.check(errs[0]) {
			t.Errorf("%s: %d items, errors %v", tc.name, n, errs)
		}
	}
	// Empty names are refused before any request.
	mt, rec := mock(t, always(200, `{}`))
	c, _ := newTest(t, mt)
	for _, err := range []error{
		firstErr(c.Repositories(ctx, "")),
		firstErr(c.Tags(ctx, "example", "")),
		firstErr(c.Manifests(ctx, "", "web")),
		firstErr(c.GarbageCollections(ctx, "")),
	} {
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("err = %v", err)
		}
	}
	if rec.count() != 0 {
		t.Errorf("%d requests", rec.count())
	}
	// Errors from every listing are typed.
	mt, _ = mock(t, always(403, `{"id":"forbidden","message":"no"}`))
	c, _ = newTest(t, mt)
	for _, err := range []error{
		firstErr(c.Tags(ctx, "example", "web")),
		firstErr(c.Manifests(ctx, "example", "web")),
		firstErr(c.GarbageCollections(ctx, "example")),
	} {
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("err = %v", err)
		}
	}
}

func firstErr[T any](seq func(func(T, error) bool)) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// A transport error and a body over the size limit end the iteration with
// that error.
func TestIteratorTransportErrorAndTooLarge(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	mt, _ := mock(t, func(int, *http.Request) (*http.Response, error) { return nil, boom })
	c, _ := newTest(t, mt, WithRetry(RetryPolicy{MaxAttempts: 1}))
	if err := firstErr(c.Repositories(context.Background(), "example")); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	mt, _ = mock(t, always(200, `{"repositories":[{"name":"`+strings.Repeat("a", 200)+`"}]}`))
	c, _ = newTest(t, mt)
	c.doer.MaxBody = 100
	if err := firstErr(c.Repositories(context.Background(), "example")); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("err = %v", err)
	}
}
