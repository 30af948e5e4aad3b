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
	// blobs are the blobs the registry holds, by digest: pushed, mounted
	// or seeded. One that no manifest references is an orphan, which a
	// garbage collection that removes blobs deletes.
	blobs map[string]*heldBlob
	gcs   []*gcRun // oldest first
	// oci is the registry library that holds the content.
	oci *ociBackend
}

// heldBlob is a blob a registry holds.
type heldBlob struct {
	size int // bytes
	refs int // manifests of the registry that reference it
}

type repository struct {
	name      string
	manifests map[string]*manifest
	tags      map[string]*tag
}

type manifest struct {
	digest    string
	mediaType string
	size      int // the manifest and its blobs
	updatedAt time.Time
	blobs     []blob   // config and layers
	children  []string // the manifests of an index
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

// storageUsage is the size of every blob the registry holds.
func (reg *registry) storageUsage() int {
	n := 0
	for _, b := range reg.blobs {
		n += b.size
	}
	return n
}

// deleteManifest removes a manifest and the tags pointing at it, in the
// listings and in the registry library; blobs no other manifest references
// become orphans. A repository left without manifests disappears.
func (reg *registry) deleteManifest(r *repository, m *manifest, now time.Time) {
	for _, name := range r.tagsOf(m.digest) {
		delete(r.tags, name)
		reg.oci.deleteRef(reg.name, r.name, name)
	}
	reg.oci.deleteRef(reg.name, r.name, m.digest)
	delete(r.manifests, m.digest)
	if len(r.manifests) == 0 {
		delete(reg.repos, r.name)
	}
	for _, b := range m.blobs {
		if hb := reg.blobs[b.digest]; hb != nil && hb.refs > 0 {
			hb.refs--
		}
	}
	reg.usageAt = now
}

func (reg *registry) deleteRepository(r *repository, now time.Time) {
	for _, m := range r.sortedManifests() {
		reg.deleteManifest(r, m, now)
	}
	delete(reg.repos, r.name)
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

// finish completes a running garbage collection of reg at the given time:
// it deletes untagged manifests (except those an index of the repository
// references) and orphaned blobs, as its type says, and removes from the
// blob store every blob no registry holds any more.
func (st *state) finish(reg *registry, g *gcRun, at time.Time) {
	if g.typ == gcTypeUntagged || g.typ == gcTypeBoth {
		for _, r := range reg.sortedRepos() {
			inIndex := make(map[string]bool)
			for _, m := range r.manifests {
				for _, c := range m.children {
					inIndex[c] = true
				}
			}
			for _, m := range r.sortedManifests() {
				if len(r.tagsOf(m.digest)) == 0 && !inIndex[m.digest] {
					reg.deleteManifest(r, m, at)
				}
			}
		}
	}
	if g.typ == gcTypeBlobs || g.typ == gcTypeBoth {
		for _, d := range slices.Sorted(maps.Keys(reg.blobs)) {
			hb := reg.blobs[d]
			if hb.refs > 0 {
				continue
			}
			g.blobsDeleted++
			g.freedBytes += hb.size
			delete(reg.blobs, d)
			if !st.held(d) {
				reg.oci.store.remove(d)
			}
		}
	}
	g.status = "succeeded"
	g.updated = at
	reg.usageAt = at
}

// held reports whether any registry holds the blob.
func (st *state) held(digest string) bool {
	for _, r := range st.registries {
		if r.blobs[digest] != nil {
			return true
		}
	}
	return false
}

// purge removes a deleted registry's content from the registry library
// and the blob store.
func (st *state) purge(reg *registry) {
	for _, r := range reg.sortedRepos() {
		for _, m := range r.sortedManifests() {
			for _, name := range r.tagsOf(m.digest) {
				reg.oci.deleteRef(reg.name, r.name, name)
			}
			reg.oci.deleteRef(reg.name, r.name, m.digest)
		}
	}
	for d := range reg.blobs {
		if !st.held(d) {
			reg.oci.store.remove(d)
		}
	}
}

// settle advances running garbage collections to the given time.
func (st *state) settle(now time.Time, gcDuration time.Duration) {
	if gcDuration <= 0 {
		return
	}
	for _, reg := range st.registries {
		for _, g := range reg.gcs {
			if g.active() && !now.Before(g.created.Add(gcDuration)) {
				st.finish(reg, g, g.created.Add(gcDuration))
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
