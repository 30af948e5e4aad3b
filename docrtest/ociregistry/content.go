package ociregistry

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Bytes the registry counts against the cap for what it keeps beside the
// content itself, so that no push is free: a manifest (beside its bytes), a
// tag (beside its name) and an upload in progress (beside its bytes).
const (
	manifestOverhead = 512
	tagOverhead      = 256
	uploadOverhead   = 1024
)

// namespace is one DOCR registry: its repositories and the blobs it holds.
type namespace struct {
	repos map[string]*repository
	// held are the blobs the namespace holds, by digest: linked into one
	// of its repositories at some time, until a garbage collection (or the
	// namespace's deletion) lets them go.
	held    map[string]*heldBlob
	updated time.Time
}

// heldBlob is a blob a namespace holds.
type heldBlob struct {
	size int64
	refs int // manifests of the namespace that reference it
}

type repository struct {
	blobs     map[string]bool // blobs linked into the repository
	manifests map[string]*manifest
	tags      map[string]*tag
}

type manifest struct {
	digest       string
	mediaType    string
	content      []byte
	blobs        []BlobInfo // config and layers the namespace holds
	children     []string   // the manifests of an index
	subject      string
	artifactType string
	annotations  map[string]string
	updated      time.Time
}

func (m *manifest) cost() int64 { return int64(len(m.content)) + manifestOverhead }

type tag struct {
	digest  string
	updated time.Time
}

func tagCost(name string) int64 { return int64(len(name)) + tagOverhead }

// touch records a change of a namespace's content at the given time; its
// time never goes back.
func touch(n *namespace, at time.Time) {
	if at.After(n.updated) {
		n.updated = at
	}
}

// ns returns a namespace, creating it if create. g.mu must be held.
func (g *Registry) ns(name string, create bool) *namespace {
	n := g.namespaces[name]
	if n == nil && create {
		n = &namespace{repos: make(map[string]*repository), held: make(map[string]*heldBlob)}
		g.namespaces[name] = n
	}
	return n
}

// repo returns a repository, creating it (and its namespace) if create.
// g.mu must be held.
func (g *Registry) repo(ns, name string, create bool) *repository {
	n := g.ns(ns, create)
	if n == nil {
		return nil
	}
	r := n.repos[name]
	if r == nil && create {
		r = &repository{blobs: make(map[string]bool), manifests: make(map[string]*manifest), tags: make(map[string]*tag)}
		n.repos[name] = r
	}
	return r
}

// linked reports whether a repository holds a blob. g.mu must be held.
func (g *Registry) linked(ns, repo, digest string) bool {
	r := g.repo(ns, repo, false)
	return r != nil && r.blobs[digest]
}

// link links a stored blob into a repository, the namespace holding it
// from now on. g.mu must be held.
func (g *Registry) link(ns, repo, digest string, at time.Time) {
	size, ok := g.store.size(digest)
	if !ok {
		return
	}
	n := g.ns(ns, true)
	g.repo(ns, repo, true).blobs[digest] = true
	if n.held[digest] == nil {
		n.held[digest] = &heldBlob{size: size}
		g.store.hold(digest)
	}
	touch(n, at)
}

// putManifest stores a parsed manifest under a reference (its digest, or a
// tag), after checking that the repository holds what it references. g.mu
// must be held. It returns the error code and message of a refusal.
func (g *Registry) putManifest(ns, repoName, ref string, m *manifest, at time.Time) (code, msg string, err error) {
	r := g.repo(ns, repoName, false)
	for _, b := range m.blobs {
		if r == nil || !r.blobs[b.Digest] {
			return codeManifestBlobUnknown, "blob unknown to the repository: " + b.Digest, nil
		}
	}
	for _, c := range m.children {
		if r == nil || r.manifests[c] == nil {
			return codeManifestBlobUnknown, "manifest unknown to the repository: " + c, nil
		}
	}
	r = g.repo(ns, repoName, true)
	n := g.namespaces[ns]
	old := r.manifests[m.digest]
	var cost int64
	if old == nil {
		cost += m.cost()
	}
	var oldTag *tag
	if ref != m.digest {
		oldTag = r.tags[ref]
		if oldTag == nil {
			cost += tagCost(ref)
		}
	}
	if err := g.quota.take(cost); err != nil {
		return "", "", err
	}
	m.updated = at
	if old == nil {
		r.manifests[m.digest] = m
		for _, b := range m.blobs {
			n.held[b.Digest].refs++
		}
	} else {
		old.updated = at
	}
	if ref != m.digest {
		r.tags[ref] = &tag{digest: m.digest, updated: at}
	}
	touch(n, at)
	return "", "", nil
}

// dropManifest removes a manifest and the tags pointing at it. g.mu must
// be held.
func (g *Registry) dropManifest(n *namespace, r *repository, digest string, at time.Time) {
	m := r.manifests[digest]
	if m == nil {
		return
	}
	for name, t := range r.tags {
		if t.digest == digest {
			delete(r.tags, name)
			g.quota.give(tagCost(name))
		}
	}
	delete(r.manifests, digest)
	g.quota.give(m.cost())
	for _, b := range m.blobs {
		if h := n.held[b.Digest]; h != nil && h.refs > 0 {
			h.refs--
		}
	}
	touch(n, at)
}

// dropTag removes a tag. g.mu must be held.
func (g *Registry) dropTag(n *namespace, r *repository, name string, at time.Time) bool {
	if r.tags[name] == nil {
		return false
	}
	delete(r.tags, name)
	g.quota.give(tagCost(name))
	touch(n, at)
	return true
}

// BlobInfo is a blob a manifest references.
type BlobInfo struct {
	// Digest of the blob.
	Digest string
	// Size in bytes, as the manifest gives it.
	Size int64
}

// ManifestInfo describes a manifest of a repository.
type ManifestInfo struct {
	// Digest and MediaType of the manifest.
	Digest, MediaType string
	// Size is the size of the manifest itself, in bytes.
	Size int64
	// Blobs are the config and the layers an image manifest references
	// (layers that may not be distributed left out).
	Blobs []BlobInfo
	// Children are the manifests an index references.
	Children []string
	// Tags pointing at it, sorted.
	Tags []string
	// UpdatedAt is when it was last pushed.
	UpdatedAt time.Time
}

// TagInfo describes a tag.
type TagInfo struct {
	// Name of the tag and Digest of the manifest it points at.
	Name, Digest string
	// UpdatedAt is when it was last pushed.
	UpdatedAt time.Time
}

// RepositoryInfo describes a repository that holds at least one manifest.
type RepositoryInfo struct {
	// Name of the repository within its namespace.
	Name string
	// Manifests, newest first (then by digest).
	Manifests []ManifestInfo
	// Tags, newest first (then by name).
	Tags []TagInfo
}

func repoInfo(name string, r *repository) RepositoryInfo {
	ri := RepositoryInfo{Name: name}
	tagsOf := map[string][]string{}
	for tn, t := range r.tags {
		tagsOf[t.digest] = append(tagsOf[t.digest], tn)
		ri.Tags = append(ri.Tags, TagInfo{Name: tn, Digest: t.digest, UpdatedAt: t.updated})
	}
	for _, m := range r.manifests {
		ts := tagsOf[m.digest]
		slices.Sort(ts)
		ri.Manifests = append(ri.Manifests, ManifestInfo{
			Digest: m.digest, MediaType: m.mediaType, Size: int64(len(m.content)),
			Blobs: slices.Clone(m.blobs), Children: slices.Clone(m.children), Tags: ts, UpdatedAt: m.updated,
		})
	}
	slices.SortFunc(ri.Manifests, func(a, b ManifestInfo) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Digest, b.Digest)
	})
	slices.SortFunc(ri.Tags, func(a, b TagInfo) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return ri
}

// Repositories returns the repositories of a namespace that hold at least
// one manifest, sorted by name.
func (g *Registry) Repositories(ns string) []RepositoryInfo {
	_, all := g.RepositoryPage(ns, func(names []string) (int, int) { return 0, len(names) })
	return all
}

// RepositoryNames returns the names of a namespace's repositories that hold
// at least one manifest, sorted.
func (g *Registry) RepositoryNames(ns string) []string {
	names, _ := g.RepositoryPage(ns, func([]string) (int, int) { return 0, 0 })
	return names
}

// RepositoryPage returns the sorted names of a namespace's repositories
// that hold at least one manifest, and the descriptions of names[lo:hi]
// only, where pick chooses lo and hi (clamped to the names) from the names.
// One lock covers both, so the page matches the names. A listing of N
// repositories served in pages describes each repository once, not N/page
// times.
func (g *Registry) RepositoryPage(ns string, pick func(names []string) (lo, hi int)) (names []string, page []RepositoryInfo) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.namespaces[ns]
	if n == nil {
		return nil, nil
	}
	for name, r := range n.repos {
		if len(r.manifests) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	lo, hi := pick(names)
	hi = min(max(hi, 0), len(names))
	lo = min(max(lo, 0), hi)
	if hi > lo {
		page = make([]RepositoryInfo, 0, hi-lo)
	}
	for _, name := range names[lo:hi] {
		page = append(page, repoInfo(name, n.repos[name]))
	}
	return names, page
}

// Repository returns one repository of a namespace, if it holds at least
// one manifest.
func (g *Registry) Repository(ns, name string) (RepositoryInfo, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repo(ns, name, false)
	if r == nil || len(r.manifests) == 0 {
		return RepositoryInfo{}, false
	}
	return repoInfo(name, r), true
}

// Usage returns the bytes of the distinct blobs a namespace holds and when
// its content last changed (zero if never).
func (g *Registry) Usage(ns string) (bytes int64, updated time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.namespaces[ns]
	if n == nil {
		return 0, time.Time{}
	}
	for _, h := range n.held {
		bytes += h.size
	}
	return bytes, n.updated
}

// DeleteTag deletes a tag, leaving its manifest; it reports whether the tag
// existed.
func (g *Registry) DeleteTag(ns, repo, name string, at time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repo(ns, repo, false)
	return r != nil && g.dropTag(g.namespaces[ns], r, name, at)
}

// DeleteManifest deletes a manifest and the tags pointing at it; the blobs
// it referenced stay held until a garbage collection. It reports whether
// the manifest existed.
func (g *Registry) DeleteManifest(ns, repo, digest string, at time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.repo(ns, repo, false)
	if r == nil || r.manifests[digest] == nil {
		return false
	}
	g.dropManifest(g.namespaces[ns], r, digest, at)
	return true
}

// DeleteRepository deletes every manifest and tag of a repository and its
// blob links; it reports whether it held a manifest.
func (g *Registry) DeleteRepository(ns, name string, at time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.namespaces[ns]
	r := g.repo(ns, name, false)
	if r == nil {
		return false
	}
	had := len(r.manifests) > 0
	for d := range r.manifests {
		g.dropManifest(n, r, d, at)
	}
	delete(n.repos, name)
	touch(n, at)
	return had
}

// GCResult is what a garbage collection removed.
type GCResult struct {
	// ManifestsDeleted counts the untagged manifests it deleted.
	ManifestsDeleted int
	// BlobsDeleted and FreedBytes count the blobs it deleted.
	BlobsDeleted int
	FreedBytes   int64
}

// CollectGarbage runs a garbage collection of a namespace: with manifests,
// it deletes untagged manifests (except those an index of the same
// repository references); with blobs, it deletes the blobs no manifest of
// the namespace references, unlinking them from every repository. Either
// way it ends the namespace's uploads in progress, as a registry in
// read-only mode for its collection would.
func (g *Registry) CollectGarbage(ns string, manifests, blobs bool, at time.Time) GCResult {
	g.mu.Lock()
	defer g.mu.Unlock()
	var res GCResult
	for id, u := range g.uploads {
		if u.ns == ns {
			g.removeUpload(id, u)
		}
	}
	n := g.namespaces[ns]
	if n == nil {
		return res
	}
	if manifests {
		for _, name := range slices.Sorted(maps.Keys(n.repos)) {
			r := n.repos[name]
			inIndex := map[string]bool{}
			for _, m := range r.manifests {
				for _, c := range m.children {
					inIndex[c] = true
				}
			}
			tagged := map[string]bool{}
			for _, t := range r.tags {
				tagged[t.digest] = true
			}
			for _, d := range slices.Sorted(maps.Keys(r.manifests)) {
				if !tagged[d] && !inIndex[d] {
					g.dropManifest(n, r, d, at)
					res.ManifestsDeleted++
				}
			}
		}
	}
	if blobs {
		for _, d := range slices.Sorted(maps.Keys(n.held)) {
			h := n.held[d]
			if h.refs > 0 {
				continue
			}
			res.BlobsDeleted++
			res.FreedBytes += h.size
			delete(n.held, d)
			for _, r := range n.repos {
				delete(r.blobs, d)
			}
			g.store.release(d)
		}
	}
	for name, r := range n.repos {
		if len(r.manifests) == 0 && len(r.blobs) == 0 {
			delete(n.repos, name)
		}
	}
	touch(n, at)
	return res
}

// DeleteNamespace deletes a namespace with everything it holds and its
// uploads in progress.
func (g *Registry) DeleteNamespace(ns string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, u := range g.uploads {
		if u.ns == ns {
			g.removeUpload(id, u)
		}
	}
	n := g.namespaces[ns]
	if n == nil {
		return
	}
	for _, r := range n.repos {
		for d := range r.manifests {
			g.dropManifest(n, r, d, time.Time{})
		}
	}
	for d := range n.held {
		g.store.release(d)
	}
	delete(g.namespaces, ns)
}

// Put stores an image or index the registry's owner provides (seed
// content): each blob, then the manifest under its digest and each tag,
// dated at. It returns the manifest's digest.
func (g *Registry) Put(ns, repo string, blobs [][]byte, content []byte, mediaType string, tags []string, at time.Time) (string, error) {
	if !ValidName(ns + "/" + repo) {
		return "", fmt.Errorf("ociregistry: invalid repository name %q", ns+"/"+repo)
	}
	for _, t := range tags {
		if !tagRE.MatchString(t) {
			return "", fmt.Errorf("ociregistry: invalid tag %q", t)
		}
	}
	digest := digestOf("sha256", content)
	m, code, msg := parseManifest(content, mediaType, digest)
	if code != "" {
		return "", errors.New("ociregistry: " + strings.ToLower(code) + ": " + msg)
	}
	for _, b := range blobs {
		d := digestOf("sha256", b)
		if err := g.store.put(d, b); err != nil {
			return "", err
		}
		g.mu.Lock()
		g.link(ns, repo, d, at)
		g.mu.Unlock()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ref := range append([]string{digest}, tags...) {
		code, msg, err := g.putManifest(ns, repo, ref, m, at)
		if err != nil {
			return "", err
		}
		if code != "" {
			return "", errors.New("ociregistry: " + strings.ToLower(code) + ": " + msg)
		}
	}
	return digest, nil
}
