package compat_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/docr-dev/docr/docrtest"
)

var ctx = context.Background()

// bearer adds the API token to every request, as godo's oauth2 client
// would.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// newGodo starts a fake (which fails the test on any request that breaks
// the spec) and returns a godo client pointed at it.
func newGodo(t *testing.T, opts ...docrtest.Option) (*godo.Client, *docrtest.Server) {
	t.Helper()
	srv := docrtest.NewServer(t, append([]docrtest.Option{docrtest.WithRandSeed(1)}, opts...)...)
	c, err := godo.New(&http.Client{Transport: bearer{srv.Token}, Timeout: 10 * time.Second}, godo.SetBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// result holds what a godo call returned; get fails the test unless the
// call succeeded.
type result[T any] struct {
	v    T
	resp *godo.Response
	err  error
}

func must[T any](v T, resp *godo.Response, err error) result[T] { return result[T]{v, resp, err} }

func (r result[T]) get(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("godo: %v", r.err)
	}
	if r.resp == nil || r.resp.StatusCode/100 != 2 {
		t.Fatalf("godo response %+v", r.resp)
	}
	return r.v
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// decodeConfig checks a Docker config.json from godo against the
// credential the fake recorded.
func decodeConfig(t *testing.T, raw []byte, want docrtest.IssuedCredential) {
	t.Helper()
	var cfg struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatalf("config.json %q: %v", raw, err)
	}
	entry, ok := cfg.Auths["registry.digitalocean.com"]
	if !ok || len(cfg.Auths) != 1 {
		t.Fatalf("auths = %v", cfg.Auths)
	}
	dec, err := base64.StdEncoding.DecodeString(entry.Auth)
	if err != nil {
		t.Fatal(err)
	}
	user, pass, _ := strings.Cut(string(dec), ":")
	equal(t, "user:password", []string{user, pass}, []string{want.Username, want.Password})
}

func TestGodoRegistryService(t *testing.T) {
	t.Parallel()
	c, srv := newGodo(t)

	reg := must(c.Registry.Get(ctx)).get(t)
	equal(t, "registry", []any{reg.Name, reg.Region}, []any{"example", "fra1"})

	dc := must(c.Registry.DockerCredentials(ctx, &godo.RegistryDockerCredentialsRequest{ReadWrite: true, ExpirySeconds: godo.PtrTo(3600)})).get(t)
	creds := srv.Credentials()
	if len(creds) != 1 || !creds[0].ReadWrite || creds[0].ExpirySeconds != 3600 || creds[0].Operation != "registry_get_dockerCredentials" {
		t.Fatalf("recorded %+v", creds)
	}
	decodeConfig(t, dc.DockerConfigJSON, creds[0])
	equal(t, "query godo sent", srv.Requests()[1].RawQuery, "expiry_seconds=3600&read_write=true")

	// Page through the repositories by page token, as godo users do.
	var names []string
	opt := &godo.TokenListOptions{PerPage: 2}
	for {
		repos, resp, err := c.Registry.ListRepositoriesV2(ctx, "example", opt)
		must(repos, resp, err).get(t)
		for _, r := range repos {
			names = append(names, r.Name)
		}
		equal(t, "meta total", resp.Meta.Total, 3)
		if resp.Links == nil || resp.Links.IsLastPage() {
			break
		}
		tok, err := resp.Links.NextPageToken()
		if err != nil || tok == "" {
			t.Fatalf("next page token %q: %v", tok, err)
		}
		page, err := resp.Links.CurrentPage()
		if err != nil {
			t.Fatal(err)
		}
		opt.Token, opt.Page = tok, page+1
	}
	equal(t, "repositories", names, []string{"repo-1", "repo-2", "team/api"})

	tags := must(c.Registry.ListRepositoryTags(ctx, "example", "team/api", nil)).get(t)
	equal(t, "tags of team/api", len(tags), 1)
	equal(t, "tag", []string{tags[0].Tag, tags[0].Repository}, []string{"latest", "team/api"})

	gc := must(c.Registry.StartGarbageCollection(ctx, "example")).get(t)
	equal(t, "gc", []string{gc.Status, gc.RegistryName}, []string{"requested", "example"})
	active := must(c.Registry.GetGarbageCollection(ctx, "example")).get(t)
	equal(t, "active gc", active.UUID, gc.UUID)
	gcs := must(c.Registry.ListGarbageCollections(ctx, "example", &godo.ListOptions{PerPage: 10})).get(t)
	equal(t, "gcs", []string{gcs[0].UUID, gcs[1].UUID}, []string{gc.UUID, "eff0feee-49c7-4e8f-ba5c-a320c109c8a8"})
	cancelled := must(c.Registry.UpdateGarbageCollection(ctx, "example", gc.UUID, &godo.UpdateGarbageCollectionRequest{Cancel: true})).get(t)
	equal(t, "cancelled", cancelled.Status, "cancelled")

	sub := must(c.Registry.GetSubscription(ctx)).get(t)
	equal(t, "tier", sub.Tier.Slug, "basic")
	opts := must(c.Registry.GetOptions(ctx)).get(t)
	equal(t, "starter eligible", []any{opts.SubscriptionTiers[0].Slug, opts.SubscriptionTiers[0].Eligible, opts.SubscriptionTiers[0].EligibilityReasons},
		[]any{"starter", false, []string{"OverRepositoryLimit"}})
	if resp, err := c.Registry.ValidateName(ctx, &godo.RegistryValidateNameRequest{Name: "free-name"}); err != nil || resp.StatusCode != 204 {
		t.Fatalf("validate name: %v", err)
	}
}

func TestGodoRegistriesService(t *testing.T) {
	t.Parallel()
	c, srv := newGodo(t)

	created := must(c.Registries.Create(ctx, &godo.RegistryCreateRequest{Name: "second", Region: "ams3"})).get(t)
	equal(t, "created", []string{created.Name, created.Region}, []string{"second", "ams3"})
	regs := must(c.Registries.List(ctx)).get(t)
	equal(t, "registries", []string{regs[0].Name, regs[1].Name}, []string{"example", "second"})
	got := must(c.Registries.Get(ctx, "example")).get(t)
	equal(t, "get", got.Name, "example")

	dc := must(c.Registries.DockerCredentials(ctx, "second", &godo.RegistryDockerCredentialsRequest{})).get(t)
	creds := srv.Credentials()
	if len(creds) != 1 || creds[0].Registry != "second" || creds[0].ReadWrite || creds[0].Operation != "registries_get_dockerCredentials" {
		t.Fatalf("recorded %+v", creds)
	}
	decodeConfig(t, dc.DockerConfigJSON, creds[0])

	repos, resp, err := c.Registries.ListRepositoriesV2(ctx, "example", &godo.TokenListOptions{PerPage: 5})
	must(repos, resp, err).get(t)
	equal(t, "repositories", len(repos), 3)
	equal(t, "latest manifest of repo-1", repos[0].LatestManifest.Tags, []string{"latest", "v2"})

	tags := must(c.Registries.ListRepositoryTags(ctx, "example", "repo-1", &godo.ListOptions{PerPage: 2})).get(t)
	equal(t, "tags", []string{tags[0].Tag, tags[1].Tag}, []string{"latest", "v2"})
	manifests := must(c.Registries.ListRepositoryManifests(ctx, "example", "repo-1", nil)).get(t)
	equal(t, "manifests", len(manifests), 3)

	gc := must(c.Registries.StartGarbageCollection(ctx, "example", &godo.StartGarbageCollectionRequest{Type: godo.GCTypeUntaggedManifestsOnly})).get(t)
	active := must(c.Registries.GetGarbageCollection(ctx, "example")).get(t)
	equal(t, "active gc", active.UUID, gc.UUID)
	gcs := must(c.Registries.ListGarbageCollections(ctx, "example", nil)).get(t)
	equal(t, "gcs", len(gcs), 2)
	cancelled := must(c.Registries.UpdateGarbageCollection(ctx, "example", gc.UUID, &godo.UpdateGarbageCollectionRequest{Cancel: true})).get(t)
	equal(t, "cancelled", cancelled.Status, "cancelled")

	if resp, err := c.Registries.DeleteTag(ctx, "example", "repo-1", "v1"); err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete tag: %v", err)
	}
	if resp, err := c.Registries.Delete(ctx, "second"); err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete registry: %v", err)
	}
	equal(t, "requests", len(srv.Requests()), 13)
	equal(t, "violations", len(srv.Violations()), 0)
}

func TestGodoSeesErrorsAndRateLimits(t *testing.T) {
	t.Parallel()
	c, srv := newGodo(t)

	_, resp, err := c.Registries.Get(ctx, "nope")
	var er *godo.ErrorResponse
	if !errors.As(err, &er) || resp.StatusCode != 404 || er.Message == "" || er.RequestID != resp.Header.Get("X-Request-Id") {
		t.Fatalf("404: %v", err)
	}

	if err := srv.Inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 429, ResetIn: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, resp, err = c.Registries.DockerCredentials(ctx, "example", &godo.RegistryDockerCredentialsRequest{})
	if !errors.As(err, &er) || resp.StatusCode != 429 {
		t.Fatalf("429: %v", err)
	}
	if resp.Rate.Limit != 5000 || resp.Rate.Remaining != 0 || resp.Rate.Reset.IsZero() {
		t.Fatalf("rate = %+v", resp.Rate)
	}
	_, resp, err = c.Registries.DockerCredentials(ctx, "example", &godo.RegistryDockerCredentialsRequest{})
	must(resp, resp, err).get(t)
	if resp.Rate.Remaining != 4997 {
		t.Fatalf("rate after the fault = %+v", resp.Rate)
	}

	bad, err := godo.New(&http.Client{Transport: bearer{"wrong"}}, godo.SetBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err = bad.Registry.Get(ctx)
	if !errors.As(err, &er) || resp.StatusCode != 401 || er.Message != "Unable to authenticate you." {
		t.Fatalf("401: %v", err)
	}
}
