package docrtest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

// Seed is the account state a [Server] starts with. [DefaultSeed] describes
// the default; [WithSeed] replaces it. Zero fields get the defaults their
// comments name.
type Seed struct {
	// Tier is the slug of the account's subscription tier: "starter",
	// "basic" or "professional" ("" means "basic").
	Tier string
	// SubscriptionCreatedAt is when the subscription began (zero means
	// 2020-01-23T21:19:12Z).
	SubscriptionCreatedAt time.Time
	// Registries are the account's registries. More than one makes the
	// deprecated single-registry operations that name no registry answer
	// 412, as the real API does for multi-registry accounts.
	Registries []SeedRegistry
	// TakenNames are registry names other accounts hold: validate-name
	// answers 409 for them and creating a registry with one fails with 409.
	TakenNames []string
}

// SeedRegistry is one registry of a [Seed].
type SeedRegistry struct {
	// Name must match ^[a-z0-9-]{1,63}$ and be unique.
	Name string
	// Region is the region slug ("" means "fra1").
	Region string
	// CreatedAt is when the registry was created (zero means
	// 2020-03-21T16:02:37Z).
	CreatedAt time.Time
	// Repositories are the registry's repositories; names may contain '/'.
	Repositories []SeedRepository
	// GarbageCollections are past (or running) garbage collections, in any
	// order.
	GarbageCollections []SeedGarbageCollection
}

// SeedRepository is one repository of a [SeedRegistry].
type SeedRepository struct {
	// Name of the repository, unique within its registry.
	Name string
	// Manifests of the repository; a tag may point at one manifest only.
	// None means one image tagged "latest": a registry has no empty
	// repositories.
	Manifests []SeedManifest
}

// SeedManifest is one manifest of a [SeedRepository]. The fake pushes it
// into its registry as a real image, generated deterministically from the
// registry name, the repository name and the manifest's position: an OCI
// image manifest with a config and one uncompressed tar layer holding one
// file. Its digest, sizes and blobs in the API listings are those of the
// image, which a client can pull.
type SeedManifest struct {
	// Tags pointing at the manifest; none makes it an untagged manifest,
	// which a garbage collection of type "untagged manifests only" or
	// "untagged manifests and unreferenced blobs" deletes.
	Tags []string
	// FileBytes is the size of the file in the image's layer (0 means a
	// size between 1,000 and 4,000 bytes derived from the names).
	FileBytes int
	// UpdatedAt is when the manifest (and its tags) were pushed (zero means
	// the registry's CreatedAt plus one day per manifest position).
	UpdatedAt time.Time
}

// SeedGarbageCollection is one garbage collection of a [SeedRegistry].
type SeedGarbageCollection struct {
	// UUID identifies it ("" means one minted from the random source).
	UUID string
	// Type is the spec's registry_run_gc type ("" means "unreferenced blobs
	// only"); it matters only for one still running.
	Type string
	// Status is one of the spec's garbage_collection statuses ("" means
	// "succeeded").
	Status string
	// CreatedAt and UpdatedAt (zero means the registry's CreatedAt).
	CreatedAt, UpdatedAt time.Time
	// BlobsDeleted and FreedBytes report what it removed.
	BlobsDeleted, FreedBytes int
}

var (
	defaultSubscriptionCreatedAt = time.Date(2020, 1, 23, 21, 19, 12, 0, time.UTC)
	defaultRegistryCreatedAt     = time.Date(2020, 3, 21, 16, 2, 37, 0, time.UTC)
	registryNameRE               = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)
	digestRE                     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// DefaultSeed returns the seed a [Server] starts with unless [WithSeed] is
// given; change the copy and pass it to [WithSeed] to start from something
// close to it. It holds a "basic" subscription and one registry, "example"
// in fra1, with three repositories:
//
//   - repo-1: a manifest tagged "latest" and "v2", one tagged "v1", and an
//     untagged one;
//   - repo-2: one manifest tagged "1.0.0";
//   - team/api (a name with a slash, sent as team%2Fapi): one manifest
//     tagged "latest";
//
// and one succeeded garbage collection
// (eff0feee-49c7-4e8f-ba5c-a320c109c8a8, 42 blobs, 667 bytes). The name
// "taken" belongs to another account.
func DefaultSeed() Seed {
	day := 24 * time.Hour
	base := defaultRegistryCreatedAt
	return Seed{
		Tier:                  "basic",
		SubscriptionCreatedAt: defaultSubscriptionCreatedAt,
		TakenNames:            []string{"taken"},
		Registries: []SeedRegistry{{
			Name:      "example",
			Region:    "fra1",
			CreatedAt: base,
			Repositories: []SeedRepository{
				{Name: "repo-1", Manifests: []SeedManifest{
					{Tags: []string{"latest", "v2"}, UpdatedAt: base.Add(20 * day)},
					{Tags: []string{"v1"}, UpdatedAt: base.Add(10 * day)},
					{UpdatedAt: base.Add(5 * day)},
				}},
				{Name: "repo-2", Manifests: []SeedManifest{
					{Tags: []string{"1.0.0"}, UpdatedAt: base.Add(15 * day)},
				}},
				{Name: "team/api", Manifests: []SeedManifest{
					{Tags: []string{"latest"}, UpdatedAt: base.Add(30 * day)},
				}},
			},
			GarbageCollections: []SeedGarbageCollection{{
				UUID:         "eff0feee-49c7-4e8f-ba5c-a320c109c8a8",
				Status:       "succeeded",
				CreatedAt:    time.Date(2020, 10, 30, 21, 3, 24, 0, time.UTC),
				UpdatedAt:    time.Date(2020, 10, 30, 21, 3, 44, 0, time.UTC),
				BlobsDeleted: 42,
				FreedBytes:   667,
			}},
		}},
	}
}

func (s Seed) clone() Seed {
	out := s
	out.TakenNames = slices.Clone(s.TakenNames)
	out.Registries = make([]SeedRegistry, len(s.Registries))
	for i, r := range s.Registries {
		r.GarbageCollections = slices.Clone(r.GarbageCollections)
		repos := make([]SeedRepository, len(r.Repositories))
		for j, repo := range r.Repositories {
			ms := make([]SeedManifest, len(repo.Manifests))
			for k, m := range repo.Manifests {
				m.Tags = slices.Clone(m.Tags)
				ms[k] = m
			}
			repo.Manifests = ms
			repos[j] = repo
		}
		r.Repositories = repos
		out.Registries[i] = r
	}
	return out
}

// derivedDigest returns a stable sha256 digest for a seed object without one.
func derivedDigest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// derivedSize returns a stable size between lo and lo+span from a digest.
func derivedSize(digest string, lo, span int) int {
	sum := sha256.Sum256([]byte(digest))
	return lo + int(binary.BigEndian.Uint32(sum[:4])%uint32(span))
}

// buildState turns a seed into the fake's state, checking it on the way.
func buildState(seed Seed, mintUUID func() string, eng *ociregistry.Registry) (*state, error) {
	st := &state{
		tier:       seed.Tier,
		subCreated: seed.SubscriptionCreatedAt,
		registries: make(map[string]*registry),
		taken:      make(map[string]bool),
		eng:        eng,
	}
	if st.tier == "" {
		st.tier = "basic"
	}
	if _, ok := tierBySlug(st.tier); !ok {
		return nil, fmt.Errorf("docrtest: seed: unknown tier %q", seed.Tier)
	}
	if st.subCreated.IsZero() {
		st.subCreated = defaultSubscriptionCreatedAt
	}
	st.subUpdated = st.subCreated
	for _, n := range seed.TakenNames {
		st.taken[n] = true
	}
	for _, sr := range seed.Registries {
		if !registryNameRE.MatchString(sr.Name) {
			return nil, fmt.Errorf("docrtest: seed: invalid registry name %q", sr.Name)
		}
		if st.registries[sr.Name] != nil {
			return nil, fmt.Errorf("docrtest: seed: duplicate registry %q", sr.Name)
		}
		st.lastIncarnation++
		reg := &registry{
			name:        sr.Name,
			region:      sr.Region,
			createdAt:   sr.CreatedAt,
			incarnation: st.lastIncarnation,
		}
		if reg.region == "" {
			reg.region = "fra1"
		}
		if reg.createdAt.IsZero() {
			reg.createdAt = defaultRegistryCreatedAt
		}
		for _, srepo := range sr.Repositories {
			if err := seedRepository(eng, reg, srepo); err != nil {
				return nil, err
			}
		}
		for _, sg := range sr.GarbageCollections {
			g := &gcRun{
				uuid:         sg.UUID,
				typ:          sg.Type,
				status:       sg.Status,
				created:      sg.CreatedAt,
				updated:      sg.UpdatedAt,
				blobsDeleted: sg.BlobsDeleted,
				freedBytes:   sg.FreedBytes,
			}
			if g.uuid == "" {
				g.uuid = mintUUID()
			}
			if g.typ == "" {
				g.typ = gcTypeBlobs
			}
			if !slices.Contains(gcTypes, g.typ) {
				return nil, fmt.Errorf("docrtest: seed: unknown garbage collection type %q", sg.Type)
			}
			if g.status == "" {
				g.status = "succeeded"
			}
			if !slices.Contains(gcStatuses, g.status) {
				return nil, fmt.Errorf("docrtest: seed: unknown garbage collection status %q", sg.Status)
			}
			if g.created.IsZero() {
				g.created = reg.createdAt
			}
			if g.updated.IsZero() {
				g.updated = g.created
			}
			reg.gcs = append(reg.gcs, g)
		}
		slices.SortStableFunc(reg.gcs, func(a, b *gcRun) int { return a.created.Compare(b.created) })
		active := 0
		for _, g := range reg.gcs {
			if g.active() {
				active++
			}
		}
		if active > 1 {
			return nil, fmt.Errorf("docrtest: seed: registry %q has more than one running garbage collection", sr.Name)
		}
		st.registries[reg.name] = reg
	}
	return st, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
