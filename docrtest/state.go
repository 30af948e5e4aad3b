package docrtest

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

// state is the fake account. Server.mu guards it. The content of its
// registries (repositories, manifests, tags, blobs) lives in the OCI
// registry engine, eng, one namespace per registry.
type state struct {
	tier       string
	subCreated time.Time
	subUpdated time.Time
	registries map[string]*registry
	taken      map[string]bool
	creds      []credRecord
	eng        *ociregistry.Registry
	// lastCred and lastIncarnation number issued credentials and created
	// registries, so that neither number is ever reused.
	lastCred, lastIncarnation uint64
}

type registry struct {
	name      string
	region    string
	createdAt time.Time
	// incarnation tells this registry from an earlier one of the same
	// name: a credential opens only the incarnation it was issued for.
	incarnation uint64
	gcs         []*gcRun // oldest first
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

func (reg *registry) activeGC() *gcRun {
	for _, g := range reg.gcs {
		if g.active() {
			return g
		}
	}
	return nil
}

// finish completes a running garbage collection of reg at the given time:
// the engine deletes untagged manifests (except those an index of the
// repository references) and unreferenced blobs, as its type says, and ends
// the registry's uploads in progress.
func (st *state) finish(reg *registry, g *gcRun, at time.Time) {
	res := st.eng.CollectGarbage(reg.name,
		g.typ == gcTypeUntagged || g.typ == gcTypeBoth,
		g.typ == gcTypeBlobs || g.typ == gcTypeBoth, at)
	g.blobsDeleted = res.BlobsDeleted
	g.freedBytes = int(res.FreedBytes)
	g.status = "succeeded"
	g.updated = at
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
		n += len(st.eng.RepositoryNames(r.name))
	}
	return n
}

// usage returns the bytes of the blobs a registry holds and when that last
// changed.
func (st *state) usage(reg *registry) (int, time.Time) {
	n, at := st.eng.Usage(reg.name)
	return int(n), maxTime(reg.createdAt, at)
}

func (st *state) storageUsage() int {
	n := 0
	for _, r := range st.registries {
		u, _ := st.usage(r)
		n += u
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
