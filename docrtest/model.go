package docrtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docr-dev/docr/docrtest/internal/server"
	"github.com/docr-dev/docr/docrtest/ociregistry"
	"github.com/docr-dev/docr/gen"
)

// The shared behaviour of the operations. Each function takes s.mu, works on
// the state, and returns the body of a generated response type, built from
// copies so that nothing aliases the state once the lock is released.

func ptr[T any](v T) *T { return &v }

// alloc makes *p point at a zero T if it is nil and returns it; it builds
// the anonymous structs of generated response bodies without naming them.
func alloc[T any](p **T) *T {
	if *p == nil {
		*p = new(T)
	}
	return *p
}

// appendNew appends a zero T to the slice *s points at and returns it.
func appendNew[T any](s **[]T) *T {
	if *s == nil {
		*s = new([]T)
	}
	**s = append(**s, *new(T))
	return &(**s)[len(**s)-1]
}

// stamp renders a time as the API does: UTC, whole seconds.
func stamp(t time.Time) *time.Time {
	u := t.UTC().Truncate(time.Second)
	return &u
}

// lock takes s.mu and brings garbage collections up to the current time,
// which it returns. The caller unlocks.
func (s *Server) lock() time.Time {
	now := s.now()
	s.mu.Lock()
	s.st.settle(now, s.cfg.gcDuration)
	return now
}

const msgMultiRegistry = "The account has more than one registry; use the /v2/registries endpoints, which name the registry."

// single returns the account's registry for the operations that name none.
func (st *state) single() (*registry, error) {
	switch len(st.registries) {
	case 0:
		return nil, errNotFound("The account has no registry.")
	case 1:
		for _, r := range st.registries {
			return r, nil
		}
	}
	return nil, errPrecondition(msgMultiRegistry)
}

func (st *state) registry(name string) (*registry, error) {
	if r := st.registries[name]; r != nil {
		return r, nil
	}
	return nil, errNotFound("The registry " + strconv.Quote(name) + " was not found.")
}

func (st *state) repository(regName, repoName string) (*registry, ociregistry.RepositoryInfo, error) {
	reg, err := st.registry(regName)
	if err != nil {
		return nil, ociregistry.RepositoryInfo{}, err
	}
	if r, ok := st.eng.Repository(reg.name, repoName); ok {
		return reg, r, nil
	}
	return nil, ociregistry.RepositoryInfo{}, errNotFound("The repository " + strconv.Quote(repoName) + " was not found.")
}

// nameTaken reports whether a registry name is unavailable.
func (st *state) nameTaken(name string) bool {
	return st.taken[name] || st.registries[name] != nil
}

func tierBase(t tierInfo) gen.SubscriptionTierBase {
	return gen.SubscriptionTierBase{
		Slug:                       ptr(t.slug),
		Name:                       ptr(t.name),
		IncludedRepositories:       ptr(t.repos),
		IncludedStorageBytes:       ptr(t.storage),
		IncludedBandwidthBytes:     ptr(t.bandwidth),
		MonthlyPriceInCents:        ptr(t.price),
		StorageOveragePriceInCents: ptr(t.overagePrice),
		AllowStorageOverage:        ptr(t.overageAllowed),
	}
}

func (st *state) subscriptionJSON() gen.Subscription {
	t, _ := tierBySlug(st.tier)
	return gen.Subscription{
		Tier:      ptr(tierBase(t)),
		CreatedAt: stamp(st.subCreated),
		UpdatedAt: stamp(st.subUpdated),
	}
}

func (st *state) baseJSON(reg *registry) gen.RegistryBase {
	usage, at := st.usage(reg)
	return gen.RegistryBase{
		Uuid:                       ptr(registryUUID(reg.name)),
		Name:                       ptr(reg.name),
		Region:                     ptr(reg.region),
		CreatedAt:                  stamp(reg.createdAt),
		StorageUsageBytes:          ptr(usage),
		StorageUsageBytesUpdatedAt: stamp(at),
	}
}

func (st *state) registryJSON(reg *registry) gen.Registry {
	b := st.baseJSON(reg)
	return gen.Registry{
		Uuid:                       b.Uuid,
		Name:                       b.Name,
		Region:                     b.Region,
		CreatedAt:                  b.CreatedAt,
		StorageUsageBytes:          b.StorageUsageBytes,
		StorageUsageBytesUpdatedAt: b.StorageUsageBytesUpdatedAt,
		Subscription:               ptr(st.subscriptionJSON()),
	}
}

// --- registries --------------------------------------------------------

func (s *Server) listRegistries() server.AllRegistriesInfoResponseJSONResponse {
	s.lock()
	defer s.mu.Unlock()
	var out server.AllRegistriesInfoResponseJSONResponse
	list := []gen.Registry{}
	var total int64
	for _, reg := range s.st.sortedRegistries() {
		list = append(list, s.st.registryJSON(reg))
		u, _ := s.st.usage(reg)
		total += int64(u)
	}
	out.Body.Registries = &list
	out.Body.TotalStorageUsageBytes = &total
	return out
}

// createRegistry adds a registry. single is true for registry_create, which
// fails if the account already has one. s.mu must be held.
func (s *Server) createRegistry(now time.Time, name string, region *string, tier *string, single bool) (*registry, error) {
	if single && len(s.st.registries) > 0 {
		return nil, errConflict("The account already has a registry.")
	}
	if s.st.nameTaken(name) {
		return nil, errConflict("The registry name " + strconv.Quote(name) + " is not available.")
	}
	if tier != nil && *tier != s.st.tier {
		if err := s.changeTier(*tier, now); err != nil {
			return nil, err
		}
	}
	s.st.lastIncarnation++
	reg := &registry{
		name:        name,
		region:      "fra1",
		createdAt:   now,
		incarnation: s.st.lastIncarnation,
	}
	if region != nil {
		reg.region = *region
	}
	s.st.registries[name] = reg
	return reg, nil
}

// changeTier moves the account to another subscription tier.
func (s *Server) changeTier(slug string, now time.Time) error {
	t, ok := tierBySlug(slug)
	if !ok {
		return errBadRequest("Unknown subscription tier " + strconv.Quote(slug) + ".")
	}
	if reasons := s.st.ineligibility(t); len(reasons) > 0 {
		return errPrecondition("registry is not eligible for tier because: [" + strings.Join(reasons, " ") + "]")
	}
	if s.st.tier != slug {
		s.st.tier = slug
		s.st.subUpdated = now
	}
	return nil
}

func (s *Server) deleteRegistry(name *string) error {
	s.lock()
	defer s.mu.Unlock()
	var reg *registry
	var err error
	if name == nil {
		reg, err = s.st.single()
	} else {
		reg, err = s.st.registry(*name)
	}
	if err != nil {
		return err
	}
	delete(s.st.registries, reg.name)
	s.st.eng.DeleteNamespace(reg.name)
	return nil
}

func (s *Server) options() server.RegistryOptionsResponseJSONResponse {
	s.lock()
	defer s.mu.Unlock()
	var out server.RegistryOptionsResponseJSONResponse
	o := alloc(&out.Body.Options)
	o.AvailableRegions = ptr([]string{"nyc3", "sfo3", "sfo2", "ams3", "sgp1", "fra1", "blr1", "syd1"})
	for _, t := range tiers {
		e := appendNew(&o.SubscriptionTiers)
		b := tierBase(t)
		e.Slug, e.Name, e.IncludedRepositories = b.Slug, b.Name, b.IncludedRepositories
		e.IncludedStorageBytes, e.IncludedBandwidthBytes = b.IncludedStorageBytes, b.IncludedBandwidthBytes
		e.MonthlyPriceInCents, e.StorageOveragePriceInCents = b.MonthlyPriceInCents, b.StorageOveragePriceInCents
		e.AllowStorageOverage = b.AllowStorageOverage
		reasons := s.st.ineligibility(t)
		e.Eligible = ptr(len(reasons) == 0)
		if len(reasons) > 0 {
			rs := make([]gen.SubscriptionTierEligibilityReason, len(reasons))
			for i, r := range reasons {
				rs[i] = gen.SubscriptionTierEligibilityReason(r)
			}
			e.EligibilityReasons = &rs
		}
	}
	return out
}

func (s *Server) subscription() server.SubscriptionResponseJSONResponse {
	s.lock()
	defer s.mu.Unlock()
	var out server.SubscriptionResponseJSONResponse
	out.Body.Subscription = ptr(s.st.subscriptionJSON())
	return out
}

func (s *Server) updateSubscription(slug *string) (server.SubscriptionResponseJSONResponse, error) {
	now := s.lock()
	defer s.mu.Unlock()
	var out server.SubscriptionResponseJSONResponse
	if slug == nil {
		return out, errBadRequest("tier_slug is required.")
	}
	if err := s.changeTier(*slug, now); err != nil {
		return out, err
	}
	out.Body.Subscription = ptr(s.st.subscriptionJSON())
	return out, nil
}

func (s *Server) validateName(name string) error {
	s.lock()
	defer s.mu.Unlock()
	if s.st.nameTaken(name) {
		return errConflict("The registry name " + strconv.Quote(name) + " is not available.")
	}
	return nil
}

// --- credentials -------------------------------------------------------

// issue mints Docker credentials for a registry (nil name: the account's
// single registry).
func (s *Server) issue(op string, name *string, readWrite *bool, expiry *int) (server.DockerCredentialsResponseJSONResponse, error) {
	now := s.lock()
	defer s.mu.Unlock()
	var out server.DockerCredentialsResponseJSONResponse
	var reg *registry
	var err error
	if name == nil {
		reg, err = s.st.single()
	} else {
		reg, err = s.st.registry(*name)
	}
	if err != nil {
		return out, err
	}
	ic := IssuedCredential{
		Operation: op,
		Registry:  reg.name,
		Host:      s.regHost,
		ReadWrite: readWrite != nil && *readWrite,
		IssuedAt:  now,
	}
	if expiry != nil {
		if *expiry < 0 {
			return out, errBadRequest("expiry_seconds must not be negative.")
		}
		ic.ExpirySeconds = *expiry
		if *expiry > 0 {
			ic.ExpiresAt = now.Add(time.Duration(*expiry) * time.Second)
		}
	}
	s.st.lastCred++
	secret := s.mintHex(32)
	ic.Username = "dop_v1_" + secret
	ic.Password = ic.Username
	if s.cfg.colon {
		ic.Password = "dop_v1_" + secret[:32] + ":" + secret[32:]
	}
	s.st.creds = append(s.st.creds, credRecord{IssuedCredential: ic, id: s.st.lastCred, incarnation: reg.incarnation})
	if s.keep > 0 && len(s.st.creds) >= 2*max(s.keep, 1000) {
		// A standalone fake forgets credentials that open nothing any more.
		s.st.creds = slices.DeleteFunc(s.st.creds, func(c credRecord) bool {
			return c.Revoked || (!c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt))
		})
	}
	auth := base64.StdEncoding.EncodeToString([]byte(ic.Username + ":" + ic.Password))
	out.Body.Auths = map[string]gen.DockerAuth{ic.Host: {Auth: &auth}}
	return out, nil
}

// --- garbage collection ------------------------------------------------

func gcJSON(regName string, g *gcRun) gen.GarbageCollection {
	return gen.GarbageCollection{
		Uuid:         ptr(g.uuid),
		RegistryName: ptr(regName),
		Status:       ptr(gen.GarbageCollectionStatus(g.status)),
		CreatedAt:    stamp(g.created),
		UpdatedAt:    stamp(g.updated),
		BlobsDeleted: ptr(g.blobsDeleted),
		FreedBytes:   ptr(g.freedBytes),
		Type:         ptr(gen.GarbageCollectionType(g.typ)),
	}
}

func (s *Server) activeGC(name string) (server.GarbageCollectionResponseJSONResponse, error) {
	s.lock()
	defer s.mu.Unlock()
	var out server.GarbageCollectionResponseJSONResponse
	reg, err := s.st.registry(name)
	if err != nil {
		return out, err
	}
	g := reg.activeGC()
	if g == nil {
		return out, errNotFound("The registry has no active garbage collection.")
	}
	out.Body.GarbageCollection = ptr(gcJSON(reg.name, g))
	return out, nil
}

func (s *Server) startGC(name string, body *gen.RegistryRunGc) (server.GarbageCollectionResponseJSONResponse, error) {
	now := s.lock()
	defer s.mu.Unlock()
	var out server.GarbageCollectionResponseJSONResponse
	reg, err := s.st.registry(name)
	if err != nil {
		return out, err
	}
	if reg.activeGC() != nil {
		return out, errConflict("A garbage collection is already running on the registry.")
	}
	g := &gcRun{uuid: s.mintUUID(), typ: gcTypeBlobs, status: "requested", created: now, updated: now}
	if body != nil && body.Type != nil {
		g.typ = string(*body.Type)
	}
	reg.gcs = append(reg.gcs, g)
	out.Body.GarbageCollection = ptr(gcJSON(reg.name, g))
	return out, nil
}

func (s *Server) updateGC(name, id string, body *gen.UpdateRegistry) (server.GarbageCollectionResponseJSONResponse, error) {
	now := s.lock()
	defer s.mu.Unlock()
	var out server.GarbageCollectionResponseJSONResponse
	reg, err := s.st.registry(name)
	if err != nil {
		return out, err
	}
	i := slices.IndexFunc(reg.gcs, func(g *gcRun) bool { return g.uuid == id })
	if i < 0 {
		return out, errNotFound("The garbage collection " + strconv.Quote(id) + " was not found.")
	}
	g := reg.gcs[i]
	if body != nil && body.Cancel != nil && *body.Cancel {
		if !g.active() {
			return out, errConflict("The garbage collection is not running.")
		}
		g.status, g.updated = "cancelled", now
	}
	out.Body.GarbageCollection = ptr(gcJSON(reg.name, g))
	return out, nil
}

func (s *Server) listGCs(ctx context.Context, name string, page, perPage *int) (server.GarbageCollectionsResponseJSONResponse, error) {
	s.lock()
	defer s.mu.Unlock()
	var out server.GarbageCollectionsResponseJSONResponse
	reg, err := s.st.registry(name)
	if err != nil {
		return out, err
	}
	p := newPager(page, perPage)
	lo, hi := p.bounds(len(reg.gcs))
	list := []gen.GarbageCollection{}
	// Newest first.
	for i := len(reg.gcs) - 1 - lo; i >= len(reg.gcs)-hi; i-- {
		list = append(list, gcJSON(reg.name, reg.gcs[i]))
	}
	out.Body.GarbageCollections = &list
	out.Body.Meta = &gen.MetaProperties{Total: ptr(len(reg.gcs))}
	out.Body.Links = p.links(ctx, len(reg.gcs))
	return out, nil
}

// --- repositories --------------------------------------------------------

// pager pages a listing by page number.
type pager struct{ page, perPage int }

func newPager(page, perPage *int) pager {
	p := pager{page: 1, perPage: 20}
	if page != nil && *page > 0 {
		p.page = *page
	}
	if perPage != nil && *perPage > 0 {
		p.perPage = *perPage
	}
	return p
}

func (p pager) bounds(total int) (lo, hi int) {
	lo = min((p.page-1)*p.perPage, total)
	return lo, min(lo+p.perPage, total)
}

// pageOf converts the items of page p with conv (never nil, so an empty
// page encodes as []).
func pageOf[T, J any](items []T, p pager, conv func(T) J) []J {
	lo, hi := p.bounds(len(items))
	out := make([]J, 0, hi-lo)
	for _, it := range items[lo:hi] {
		out = append(out, conv(it))
	}
	return out
}

func (p pager) lastPage(total int) int { return max(1, (total+p.perPage-1)/p.perPage) }

// links returns the page links of a page-number listing, pointing at the
// fake itself: first and prev after the first page, next and last before
// the last.
func (p pager) links(ctx context.Context, total int) *gen.PageLinks {
	ri := infoFrom(ctx)
	at := func(n int) *string {
		return ptr(pageURL(ri, url.Values{"page": {strconv.Itoa(n)}, "per_page": {strconv.Itoa(p.perPage)}}))
	}
	links := &gen.PageLinks{}
	last := p.lastPage(total)
	if p.page > 1 {
		pg := alloc(&links.Pages)
		pg.First, pg.Prev = at(1), at(min(p.page-1, last))
	}
	if p.page < last {
		pg := alloc(&links.Pages)
		pg.Next, pg.Last = at(p.page+1), at(last)
	}
	return links
}

// compressed is the size of the blobs a manifest references.
func compressed(m ociregistry.ManifestInfo) int {
	n := 0
	for _, b := range m.Blobs {
		n += int(b.Size)
	}
	return n
}

func manifestJSON(regName, repoName string, m ociregistry.ManifestInfo) gen.RepositoryManifest {
	blobs := make([]gen.RepositoryBlob, len(m.Blobs))
	for i, b := range m.Blobs {
		blobs[i] = gen.RepositoryBlob{Digest: ptr(b.Digest), CompressedSizeBytes: ptr(int(b.Size))}
	}
	tags := slices.Clone(m.Tags)
	if tags == nil {
		tags = []string{}
	}
	return gen.RepositoryManifest{
		RegistryName:        ptr(regName),
		Repository:          ptr(repoName),
		Digest:              ptr(m.Digest),
		CompressedSizeBytes: ptr(compressed(m)),
		SizeBytes:           ptr(int(m.Size) + compressed(m)),
		UpdatedAt:           stamp(m.UpdatedAt),
		Tags:                &tags,
		Blobs:               &blobs,
	}
}

func tagJSON(regName string, repo ociregistry.RepositoryInfo, t ociregistry.TagInfo) gen.RepositoryTag {
	var m ociregistry.ManifestInfo
	for _, mi := range repo.Manifests {
		if mi.Digest == t.Digest {
			m = mi
		}
	}
	return gen.RepositoryTag{
		RegistryName:        ptr(regName),
		Repository:          ptr(repo.Name),
		Tag:                 ptr(t.Name),
		ManifestDigest:      ptr(t.Digest),
		CompressedSizeBytes: ptr(compressed(m)),
		SizeBytes:           ptr(int(m.Size) + compressed(m)),
		UpdatedAt:           stamp(t.UpdatedAt),
	}
}

func (s *Server) listRepositories(ctx context.Context, name string, page, perPage *int) (server.AllRepositoriesResponseJSONResponse, error) {
	s.lock()
	defer s.mu.Unlock()
	var out server.AllRepositoriesResponseJSONResponse
	reg, err := s.st.registry(name)
	if err != nil {
		return out, err
	}
	p := newPager(page, perPage)
	names, repos := s.st.eng.RepositoryPage(reg.name, func(names []string) (int, int) { return p.bounds(len(names)) })
	list := make([]gen.Repository, 0, len(repos))
	for _, repo := range repos {
		r := gen.Repository{RegistryName: ptr(reg.name), Name: ptr(repo.Name), TagCount: ptr(len(repo.Tags))}
		if len(repo.Tags) > 0 {
			r.LatestTag = ptr(tagJSON(reg.name, repo, repo.Tags[0]))
		}
		list = append(list, r)
	}
	out.Body.Repositories = &list
	out.Body.Meta.Total = len(names)
	out.Body.Links = p.links(ctx, len(names))
	return out, nil
}

// pageToken is the opaque page_token of the V2 repository listing: the
// name of the last repository already returned and the number of the page
// it starts.
type pageToken struct {
	After string `json:"a"`
	Page  int    `json:"p"`
}

func (t pageToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (pageToken, bool) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Page < 2 || t.After == "" {
		return pageToken{}, false
	}
	return t, true
}

func (s *Server) listRepositoriesV2(ctx context.Context, name string, page, perPage *int, token *string) (server.AllRepositoriesV2ResponseJSONResponse, error) {
	s.lock()
	defer s.mu.Unlock()
	var out server.AllRepositoriesV2ResponseJSONResponse
	reg, err := s.st.registry(name)
	if err != nil {
		return out, err
	}
	p := newPager(page, perPage)
	var after *pageToken
	if token != nil && *token != "" {
		t, ok := decodePageToken(*token)
		if !ok {
			return out, errBadRequest("The page_token is invalid.")
		}
		p.page = t.Page
		after = &t
	}
	var hi int // the end of the page in names
	names, repos := s.st.eng.RepositoryPage(reg.name, func(names []string) (int, int) {
		lo, _ := p.bounds(len(names))
		if after != nil {
			// The first name after the token's: After+"\x00" is the
			// smallest string greater than After.
			lo, _ = slices.BinarySearch(names, after.After+"\x00")
		}
		hi = min(lo+p.perPage, len(names))
		return lo, hi
	})
	list := []gen.RepositoryV2{}
	for _, repo := range repos {
		r := gen.RepositoryV2{
			RegistryName:  ptr(reg.name),
			Name:          ptr(repo.Name),
			TagCount:      ptr(len(repo.Tags)),
			ManifestCount: ptr(len(repo.Manifests)),
		}
		if len(repo.Manifests) > 0 {
			r.LatestManifest = ptr(manifestJSON(reg.name, repo.Name, repo.Manifests[0]))
		}
		list = append(list, r)
	}
	out.Body.Repositories = &list
	out.Body.Meta.Total = len(names)
	out.Body.Links = &gen.PageLinks{}
	if hi < len(names) {
		ri := infoFrom(ctx)
		pg := alloc(&out.Body.Links.Pages)
		pg.Next = ptr(pageURL(ri, url.Values{
			"page":       {strconv.Itoa(p.page + 1)},
			"per_page":   {strconv.Itoa(p.perPage)},
			"page_token": {pageToken{After: names[hi-1], Page: p.page + 1}.encode()},
		}))
		pg.Last = ptr(pageURL(ri, url.Values{
			"page":     {strconv.Itoa(p.lastPage(len(names)))},
			"per_page": {strconv.Itoa(p.perPage)},
		}))
	}
	return out, nil
}

func (s *Server) listTags(ctx context.Context, regName, repoName string, page, perPage *int) (server.RepositoryTagsResponseJSONResponse, error) {
	s.lock()
	defer s.mu.Unlock()
	var out server.RepositoryTagsResponseJSONResponse
	reg, repo, err := s.st.repository(regName, repoName)
	if err != nil {
		return out, err
	}
	tags := repo.Tags
	p := newPager(page, perPage)
	list := pageOf(tags, p, func(t ociregistry.TagInfo) gen.RepositoryTag { return tagJSON(reg.name, repo, t) })
	out.Body.Tags = &list
	out.Body.Meta.Total = len(tags)
	out.Body.Links = p.links(ctx, len(tags))
	return out, nil
}

func (s *Server) listManifests(ctx context.Context, regName, repoName string, page, perPage *int) (server.RepositoryManifestsResponseJSONResponse, error) {
	s.lock()
	defer s.mu.Unlock()
	var out server.RepositoryManifestsResponseJSONResponse
	reg, repo, err := s.st.repository(regName, repoName)
	if err != nil {
		return out, err
	}
	ms := repo.Manifests
	p := newPager(page, perPage)
	list := pageOf(ms, p, func(m ociregistry.ManifestInfo) gen.RepositoryManifest { return manifestJSON(reg.name, repo.Name, m) })
	out.Body.Manifests = &list
	out.Body.Meta.Total = len(ms)
	out.Body.Links = p.links(ctx, len(ms))
	return out, nil
}

func (s *Server) deleteTag(regName, repoName, tagName string) error {
	now := s.lock()
	defer s.mu.Unlock()
	reg, repo, err := s.st.repository(regName, repoName)
	if err != nil {
		return err
	}
	if !s.st.eng.DeleteTag(reg.name, repo.Name, tagName, now) {
		return errNotFound("The tag " + strconv.Quote(tagName) + " was not found.")
	}
	return nil
}

func (s *Server) deleteManifest(regName, repoName, digest string) error {
	now := s.lock()
	defer s.mu.Unlock()
	reg, repo, err := s.st.repository(regName, repoName)
	if err != nil {
		return err
	}
	if !s.st.eng.DeleteManifest(reg.name, repo.Name, digest, now) {
		return errNotFound("The manifest " + strconv.Quote(digest) + " was not found.")
	}
	return nil
}

func (s *Server) deleteRepository(regName, repoName string) error {
	now := s.lock()
	defer s.mu.Unlock()
	reg, repo, err := s.st.repository(regName, repoName)
	if err != nil {
		return err
	}
	s.st.eng.DeleteRepository(reg.name, repo.Name, now)
	return nil
}

// registryUUID derives a stable UUID-shaped identifier from a registry name,
// so that seeded fakes are deterministic.
func registryUUID(name string) string {
	h := sha256.Sum256([]byte("docrtest registry " + name))
	h[6] = h[6]&0x0f | 0x50 // version 5 layout
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
