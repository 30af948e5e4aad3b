package docrtest

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// state is the fake account. Server.mu guards it.
type state struct {
	tier       string
	subCreated time.Time
	subUpdated time.Time
	registries map[string]*registry
	taken      map[string]bool
	creds      []IssuedCredential
}

type registry struct {
	name      string
	region    string
	createdAt time.Time
	usageAt   time.Time
	repos     map[string]*repository
	// orphans are blobs no manifest references any more, by digest, with
	// their compressed size; a garbage collection that removes blobs
	// deletes them.
	orphans map[string]int
	gcs     []*gcRun // oldest first
}

type repository struct {
	name      string
	manifests map[string]*manifest
	tags      map[string]*tag
}

type manifest struct {
	digest    string
	size      int
	updatedAt time.Time
	blobs     []blob
}

type blob struct {
	digest string
	size   int
}

type tag struct {
	name      string
	digest    string
	updatedAt time.Time
}

type gcRun struct {
	uuid         string
	typ          string
	status       string
	created      time.Time
	updated      time.Time
	blobsDeleted int
	freedBytes   int
}

const (
	gcTypeUntagged = "untagged manifests only"
	gcTypeBlobs    = "unreferenced blobs only"
	gcTypeBoth     = "untagged manifests and unreferenced blobs"
)

var (
	gcTypes    = []string{gcTypeUntagged, gcTypeBlobs, gcTypeBoth}
	gcStatuses = []string{
		"requested", "waiting for write JWTs to expire", "scanning manifests",
		"deleting unreferenced blobs", "cancelling", "failed", "succeeded", "cancelled",
	}
)

func (g *gcRun) active() bool {
	switch g.status {
	case "failed", "succeeded", "cancelled":
		return false
	}
	return true
}

func (m *manifest) compressed() int {
	n := 0
	for _, b := range m.blobs {
		n += b.size
	}
	return n
}

// tags returns the names of the tags pointing at m, sorted.
func (r *repository) tagsOf(digest string) []string {
	var out []string
	for _, t := range r.tags {
		if t.digest == digest {
			out = append(out, t.name)
		}
	}
	slices.Sort(out)
	return out
}

// sortedRepos returns the registry's repositories sorted by name.
func (reg *registry) sortedRepos() []*repository {
	return slices.SortedFunc(maps.Values(reg.repos), func(a, b *repository) int { return cmp.Compare(a.name, b.name) })
}

// sortedManifests returns a repository's manifests, newest first.
func (r *repository) sortedManifests() []*manifest {
	return slices.SortedFunc(maps.Values(r.manifests), func(a, b *manifest) int {
		if c := b.updatedAt.Compare(a.updatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.digest, b.digest)
	})
}

// sortedTags returns a repository's tags, newest first, then by name.
func (r *repository) sortedTags() []*tag {
	return slices.SortedFunc(maps.Values(r.tags), func(a, b *tag) int {
		if c := b.updatedAt.Compare(a.updatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
}

// referenced reports whether any manifest of the registry references the
// blob.
func (reg *registry) referenced(digest string) bool {
	for _, r := range reg.repos {
		for _, m := range r.manifests {
			for _, b := range m.blobs {
				if b.digest == digest {
					return true
				}
			}
		}
	}
	return false
}

// storageUsage is the size of every distinct blob the registry stores.
func (reg *registry) storageUsage() int {
	seen := make(map[string]bool)
	n := 0
	for _, r := range reg.repos {
		for _, m := range r.manifests {
			for _, b := range m.blobs {
				if !seen[b.digest] {
					seen[b.digest] = true
					n += b.size
				}
			}
		}
	}
	for d, size := range reg.orphans {
		if !seen[d] {
			n += size
		}
	}
	return n
}

// deleteManifest removes a manifest and the tags pointing at it; blobs no
// other manifest references become orphans. A repository left without
// manifests disappears.
func (reg *registry) deleteManifest(r *repository, m *manifest, now time.Time) {
	delete(r.manifests, m.digest)
	if len(r.manifests) == 0 {
		delete(reg.repos, r.name)
	}
	for name, t := range r.tags {
		if t.digest == m.digest {
			delete(r.tags, name)
		}
	}
	for _, b := range m.blobs {
		if !reg.referenced(b.digest) {
			reg.orphans[b.digest] = b.size
		}
	}
	reg.usageAt = now
}

func (reg *registry) deleteRepository(r *repository, now time.Time) {
	delete(reg.repos, r.name)
	for _, m := range r.manifests {
		for _, b := range m.blobs {
			if !reg.referenced(b.digest) {
				reg.orphans[b.digest] = b.size
			}
		}
	}
	reg.usageAt = now
}

func (reg *registry) activeGC() *gcRun {
	for _, g := range reg.gcs {
		if g.active() {
			return g
		}
	}
	return nil
}

// finish completes a running garbage collection at the given time.
func (reg *registry) finish(g *gcRun, at time.Time) {
	if g.typ == gcTypeUntagged || g.typ == gcTypeBoth {
		for _, r := range reg.sortedRepos() {
			for _, m := range r.sortedManifests() {
				if len(r.tagsOf(m.digest)) == 0 {
					reg.deleteManifest(r, m, at)
				}
			}
		}
	}
	if g.typ == gcTypeBlobs || g.typ == gcTypeBoth {
		for d, size := range reg.orphans {
			g.blobsDeleted++
			g.freedBytes += size
			delete(reg.orphans, d)
		}
	}
	g.status = "succeeded"
	g.updated = at
	reg.usageAt = at
}

// settle advances running garbage collections to the given time.
func (st *state) settle(now time.Time, gcDuration time.Duration) {
	if gcDuration <= 0 {
		return
	}
	for _, reg := range st.registries {
		for _, g := range reg.gcs {
			if g.active() && !now.Before(g.created.Add(gcDuration)) {
				reg.finish(g, g.created.Add(gcDuration))
			}
		}
	}
}

// sortedRegistries returns the account's registries sorted by name.
func (st *state) sortedRegistries() []*registry {
	return slices.SortedFunc(maps.Values(st.registries), func(a, b *registry) int { return cmp.Compare(a.name, b.name) })
}

func (st *state) repoCount() int {
	n := 0
	for _, r := range st.registries {
		n += len(r.repos)
	}
	return n
}

func (st *state) storageUsage() int {
	n := 0
	for _, r := range st.registries {
		n += r.storageUsage()
	}
	return n
}

// tierInfo describes a subscription tier. The numbers are DigitalOcean's
// published tiers, as the spec's options example also shows them.
type tierInfo struct {
	slug, name     string
	repos          int // 0 means unlimited
	storage        int
	bandwidth      int
	price          int
	overagePrice   int
	overageAllowed bool
}

const mib = 1 << 20

var tiers = []tierInfo{
	{slug: "starter", name: "Starter", repos: 1, storage: 500 * mib, bandwidth: 500 * mib},
	{slug: "basic", name: "Basic", repos: 5, storage: 5 << 30, bandwidth: 5 << 30, price: 500, overagePrice: 2, overageAllowed: true},
	{slug: "professional", name: "Professional", storage: 100 << 30, bandwidth: 100 << 30, price: 2000, overagePrice: 2, overageAllowed: true},
}

func tierBySlug(slug string) (tierInfo, bool) {
	for _, t := range tiers {
		if t.slug == slug {
			return t, true
		}
	}
	return tierInfo{}, false
}

// ineligibility lists why the account cannot move to tier t.
func (st *state) ineligibility(t tierInfo) []string {
	var reasons []string
	if t.repos > 0 && st.repoCount() > t.repos {
		reasons = append(reasons, "OverRepositoryLimit")
	}
	if !t.overageAllowed && st.storageUsage() > t.storage {
		reasons = append(reasons, "OverStorageLimit")
	}
	return reasons
}
