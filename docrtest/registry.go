package docrtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The registry side of the fake: go-containerregistry's OCI distribution
// registry (pkg/registry) behind a gate that admits only the Docker
// credentials the fake issued, and that keeps the state's listings in step
// with what the registry holds.
//
// Served, for a credential of registry R on R/<repository>:
//   - GET/HEAD /v2/ (the version check);
//   - GET/HEAD manifests by tag or digest, GET/HEAD blobs (with Range);
//   - pushes: monolithic (POST ?digest=) and chunked or streamed
//     (POST, PATCH..., PUT ?digest=) blob uploads, cross-repository mounts
//     within R (POST ?mount=&from=), PUT manifests by tag or digest (image
//     manifests and indexes, Docker and OCI media types);
//   - DELETE manifests by tag or digest (a digest takes its tags along);
//   - GET tags/list (with n and last), GET /v2/_catalog (R's repositories,
//     with n, last and a Link header), GET referrers/<digest>.
//
// Not served: blob DELETE (405 UNSUPPORTED: a garbage collection removes
// blobs), upload status (GET on an upload) and cancelling an upload
// (DELETE on an upload), and token (Bearer) authentication: the fake
// answers Basic challenges only, as DOCR does for Docker credentials.

// maxManifest caps the size of a pushed manifest.
const maxManifest = 4 << 20

type gateKey struct{}

// gateState travels in the context of a request the gate admitted.
type gateState struct {
	reg    string
	capErr error
}

// ociBackend is the registry library and its blob store.
type ociBackend struct {
	h     http.Handler
	store *blobStore

	mu      sync.Mutex
	uploads map[string]int64 // upload id -> bytes the library holds for it
}

func newOCIBackend(cfg config) (*ociBackend, error) {
	capBytes := cfg.storageCap
	if capBytes == 0 && cfg.storageDir == "" {
		capBytes = DefaultStorageCap
	}
	if capBytes < 0 {
		capBytes = 0
	}
	store, err := newBlobStore(cfg.storageDir, capBytes)
	if err != nil {
		return nil, err
	}
	h := ggcrregistry.New(
		ggcrregistry.Logger(log.New(io.Discard, "", 0)),
		ggcrregistry.WithBlobHandler(store),
		ggcrregistry.WithReferrersSupport(true),
	)
	return &ociBackend{h: h, store: store, uploads: make(map[string]int64)}, nil
}

// do sends one request to the registry library in process.
func (o *ociBackend) do(ctx context.Context, method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		rec := httptest.NewRecorder()
		rec.WriteHeader(http.StatusBadRequest)
		return rec
	}
	req.ContentLength = int64(len(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	o.h.ServeHTTP(rec, req)
	return rec
}

// deleteRef deletes a manifest reference (tag or digest) in the library.
func (o *ociBackend) deleteRef(reg, repo, ref string) {
	o.do(context.Background(), http.MethodDelete, "/v2/"+reg+"/"+repo+"/manifests/"+ref, nil, nil)
}

// ociRoute is a parsed /v2/<name>/<kind>/<target> path.
type ociRoute struct {
	reg, repo string
	kind      string // blobs, uploads, manifests, tags, referrers
	target    string
}

func (rt ociRoute) name() string { return rt.reg + "/" + rt.repo }

// parseOCIPath splits the path after /v2/.
func parseOCIPath(rest string) (ociRoute, bool) {
	var rt ociRoute
	var name string
	if n, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		name, rt.kind = n, "tags"
	} else if i := strings.LastIndex(rest, "/blobs/uploads"); i > 0 &&
		(len(rest) == i+len("/blobs/uploads") || rest[i+len("/blobs/uploads")] == '/') {
		name, rt.kind = rest[:i], "uploads"
		rt.target = strings.Trim(rest[i+len("/blobs/uploads"):], "/")
	} else {
		for _, k := range []string{"blobs", "manifests", "referrers"} {
			if i := strings.LastIndex(rest, "/"+k+"/"); i > 0 {
				name, rt.kind, rt.target = rest[:i], k, rest[i+len(k)+2:]
				break
			}
		}
	}
	if rt.kind == "" || strings.Contains(rt.target, "/") || (rt.kind != "tags" && rt.kind != "uploads" && rt.target == "") {
		return ociRoute{}, false
	}
	var ok bool
	rt.reg, rt.repo, ok = strings.Cut(name, "/")
	if !ok || !registryNameRE.MatchString(rt.reg) || !repoNameRE.MatchString(rt.repo) {
		return ociRoute{}, false
	}
	return rt, true
}

// repoNameRE is the distribution spec's grammar of repository name
// components.
var repoNameRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

func isDigest(s string) bool { return digestRE.MatchString(s) }

func writeDockerError(w http.ResponseWriter, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Docker-Distribution-Api-Version", "registry/2.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(dockerError{Errors: []dockerErrorItem{{Code: code, Message: msg}}})
}

// dockerError is the error body of the OCI distribution API.
type dockerError struct {
	Errors []dockerErrorItem `json:"errors"`
}

type dockerErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

const msgDenied = "requested access to the resource is denied"

// faultPending reports whether a fault waits for op.
func (s *Server) faultPending(op string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Op == "" || f.Op == op {
			return true
		}
	}
	return false
}

// serveRegistry serves the registry endpoint. Responses stream; only a
// call that meets a fault is buffered, so that the fault can cut it.
func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request, op string) {
	if s.faultPending(op) {
		s.serveWithFaults(w, r, op, func(c *capture, r *http.Request) { s.gate(c, r) })
		return
	}
	s.gate(w, r)
}

// gate checks the credential and the access a request needs, then hands
// it to the registry library.
//
// A missing, wrong, expired or revoked credential (or one for a deleted
// registry) gets 401 UNAUTHORIZED with WWW-Authenticate: Basic. A
// credential of another registry gets 403 DENIED, and so does a push or
// delete with a read-only credential.
func (s *Server) gate(w http.ResponseWriter, r *http.Request) {
	user, pass, hasAuth := r.BasicAuth()
	s.lock()
	var ic IssuedCredential
	found := false
	if hasAuth {
		if p := s.validCredential(func(ic *IssuedCredential) bool {
			return subtle.ConstantTimeCompare([]byte(ic.Username), []byte(user)) == 1 &&
				subtle.ConstantTimeCompare([]byte(ic.Password), []byte(pass)) == 1
		}, s.now()); p != nil {
			ic, found = *p, true
		}
	}
	realm := s.regHost
	s.mu.Unlock()
	if !found {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
		writeDockerError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return
	}
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	rest, _ := strings.CutPrefix(r.URL.Path, "/v2/")
	if r.URL.Path == "/v2" || rest == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeDockerError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET or HEAD")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, "{}\n")
		}
		return
	}
	if rest == "_catalog" {
		s.catalog(w, r, ic.Registry)
		return
	}
	rt, ok := parseOCIPath(rest)
	if !ok {
		writeDockerError(w, http.StatusNotFound, "NAME_INVALID", "not a repository endpoint of the OCI distribution API")
		return
	}
	if rt.reg != ic.Registry {
		writeDockerError(w, http.StatusForbidden, "DENIED", msgDenied)
		return
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	if write && !ic.ReadWrite {
		writeDockerError(w, http.StatusForbidden, "DENIED", msgDenied)
		return
	}
	gs := &gateState{reg: rt.reg}
	r = r.WithContext(context.WithValue(r.Context(), gateKey{}, gs))
	switch rt.kind {
	case "blobs":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			if !s.holds(rt.reg, rt.target) {
				writeDockerError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry")
				return
			}
			s.forward(w, r, gs)
		case http.MethodDelete:
			writeDockerError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "blobs are deleted by a garbage collection, not by DELETE")
		default:
			writeDockerError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "the operation is unsupported")
		}
	case "uploads":
		s.upload(w, r, rt, gs)
	case "manifests":
		switch r.Method {
		case http.MethodPut:
			s.putManifest(w, r, rt, gs)
		case http.MethodDelete:
			s.deleteManifestRef(w, r, rt, gs)
		default:
			s.forward(w, r, gs)
		}
	default:
		s.forward(w, r, gs)
	}
}

// holds reports whether registry reg holds the blob.
func (s *Server) holds(reg, digest string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rg := s.st.registries[reg]
	return rg != nil && rg.blobs[digest] != nil && s.oci.store.has(digest)
}

// capGuard swallows what the library writes once the blob store reported
// the cap reached, so that the gate can answer with its own error.
type capGuard struct {
	http.ResponseWriter
	gs               *gateState
	wrote, swallowed bool
	status           int
}

func (g *capGuard) WriteHeader(code int) {
	if g.wrote || g.swallowed {
		return
	}
	if g.gs.capErr != nil {
		g.swallowed = true
		return
	}
	g.wrote, g.status = true, code
	g.ResponseWriter.WriteHeader(code)
}

func (g *capGuard) Write(p []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	if g.swallowed {
		return len(p), nil
	}
	return g.ResponseWriter.Write(p)
}

func (g *capGuard) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// forward hands an admitted request to the library and returns the status
// it answered (0 if the gate answered a cap error instead).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, gs *gateState) int {
	g := &capGuard{ResponseWriter: w, gs: gs}
	s.oci.h.ServeHTTP(g, r)
	if gs.capErr != nil && !g.wrote {
		s.capError(w, gs.capErr)
		return 0
	}
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	return g.status
}

func (s *Server) capError(w http.ResponseWriter, err error) {
	for _, k := range []string{"Location", "Range", "Docker-Content-Digest", "Content-Length", "Docker-Upload-Uuid"} {
		w.Header().Del(k)
	}
	writeDockerError(w, http.StatusRequestEntityTooLarge, "DENIED",
		err.Error()+"; raise it with docrtest.WithStorageCap (docr fake-api --storage-cap) or garbage-collect")
}

// quotaReader reserves the bytes of an upload chunk as they arrive.
type quotaReader struct {
	r     io.Reader
	store *blobStore
	gs    *gateState
	n     int64
}

func (q *quotaReader) Read(p []byte) (int, error) {
	k, err := q.r.Read(p)
	if k > 0 {
		if rerr := q.store.reserve(int64(k)); rerr != nil {
			q.gs.capErr = rerr
			return 0, rerr
		}
		q.n += int64(k)
	}
	return k, err
}

// upload serves the blob upload endpoints: start (with mount), chunks and
// completion. The library holds an upload's bytes in memory until it
// completes; they count against the storage cap meanwhile.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, rt ociRoute, gs *gateState) {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		if d := q.Get("mount"); d != "" && rt.target == "" {
			from := q.Get("from")
			if (from == "" || strings.HasPrefix(from, rt.reg+"/")) && s.holds(rt.reg, d) {
				w.Header().Set("Location", "/v2/"+rt.name()+"/blobs/"+d)
				w.Header().Set("Docker-Content-Digest", d)
				w.WriteHeader(http.StatusCreated)
				return
			}
			// Not mountable: the spec lets the registry start an upload
			// instead.
			q.Del("mount")
			q.Del("from")
			r.URL.RawQuery = q.Encode()
		}
		if s.forward(w, r, gs) == http.StatusCreated {
			s.noteBlob(rt.reg, q.Get("digest"))
		}
	case http.MethodPatch:
		if r.ContentLength > 0 {
			if err := s.oci.store.reserve(r.ContentLength); err != nil {
				s.capError(w, err)
				return
			}
			_ = s.oci.store.reserve(-r.ContentLength)
		}
		qr := &quotaReader{r: r.Body, store: s.oci.store, gs: gs}
		r.Body = io.NopCloser(qr)
		status := s.forward(w, r, gs)
		s.oci.mu.Lock()
		if status == http.StatusAccepted || status == 0 {
			// The library keeps what it read, even after a cap error.
			s.oci.uploads[rt.target] += qr.n
		} else {
			_ = s.oci.store.reserve(-qr.n)
		}
		s.oci.mu.Unlock()
	case http.MethodPut:
		if s.forward(w, r, gs) == http.StatusCreated {
			s.oci.mu.Lock()
			n := s.oci.uploads[rt.target]
			delete(s.oci.uploads, rt.target)
			s.oci.mu.Unlock()
			_ = s.oci.store.reserve(-n)
			s.noteBlob(rt.reg, q.Get("digest"))
		}
	default:
		writeDockerError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "upload status and cancellation are not supported")
	}
}

// noteBlob records that registry reg now holds a pushed blob.
func (s *Server) noteBlob(reg, digest string) {
	size, ok := s.oci.store.size(digest)
	if !ok {
		return
	}
	now := s.lock()
	defer s.mu.Unlock()
	rg := s.st.registries[reg]
	if rg == nil {
		return
	}
	if rg.blobs[digest] == nil {
		rg.blobs[digest] = &heldBlob{size: int(size)}
		rg.usageAt = now
	}
}

// parsedManifest is what the state needs of a pushed manifest.
type parsedManifest struct {
	mediaType string
	blobs     []blob   // config and layers of an image manifest
	children  []string // manifests of an index
}

func parseManifest(body []byte, contentType string) (parsedManifest, error) {
	pm := parsedManifest{mediaType: contentType}
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return pm, err
	}
	mt := types.MediaType(contentType)
	if probe.MediaType != "" {
		mt = probe.MediaType
	}
	if mt.IsIndex() {
		im, err := v1.ParseIndexManifest(bytes.NewReader(body))
		if err != nil {
			return pm, err
		}
		for _, d := range im.Manifests {
			pm.children = append(pm.children, d.Digest.String())
		}
		return pm, nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(body))
	if err != nil {
		return pm, err
	}
	if m.SchemaVersion != 2 {
		return pm, fmt.Errorf("schemaVersion %d is not supported", m.SchemaVersion)
	}
	pm.blobs = append(pm.blobs, blob{digest: m.Config.Digest.String(), size: int(m.Config.Size)})
	for _, l := range m.Layers {
		if l.MediaType.IsDistributable() {
			pm.blobs = append(pm.blobs, blob{digest: l.Digest.String(), size: int(l.Size)})
		}
	}
	return pm, nil
}

// putManifest checks a pushed manifest (its digest, that the registry
// holds its blobs), stores it through the library and records it.
func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, rt ociRoute, gs *gateState) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil {
		return
	}
	if len(body) > maxManifest {
		writeDockerError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", "the manifest is larger than 4 MiB")
		return
	}
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if isDigest(rt.target) && rt.target != digest {
		writeDockerError(w, http.StatusBadRequest, "DIGEST_INVALID", "the manifest does not match the digest "+rt.target)
		return
	}
	pm, err := parseManifest(body, r.Header.Get("Content-Type"))
	if err != nil {
		writeDockerError(w, http.StatusBadRequest, "MANIFEST_INVALID", "manifest invalid: "+err.Error())
		return
	}
	now := s.lock()
	defer s.mu.Unlock()
	reg := s.st.registries[rt.reg]
	if reg == nil {
		writeDockerError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	for _, b := range pm.blobs {
		if reg.blobs[b.digest] == nil || !s.oci.store.has(b.digest) {
			writeDockerError(w, http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry: "+b.digest)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if s.forward(w, r, gs) != http.StatusCreated {
		return
	}
	reg.recordManifest(rt.repo, rt.target, digest, len(body), pm, now)
}

// recordManifest adds a pushed manifest (and its tag) to the listings.
// s.mu must be held.
func (reg *registry) recordManifest(repoName, ref, digest string, size int, pm parsedManifest, now time.Time) {
	repo := reg.repos[repoName]
	if repo == nil {
		repo = &repository{name: repoName, manifests: make(map[string]*manifest), tags: make(map[string]*tag)}
		reg.repos[repoName] = repo
	}
	m := repo.manifests[digest]
	if m == nil {
		m = &manifest{digest: digest, mediaType: pm.mediaType, blobs: pm.blobs, children: pm.children}
		m.size = size + m.compressed()
		repo.manifests[digest] = m
		for _, b := range m.blobs {
			hb := reg.blobs[b.digest]
			if hb == nil {
				hb = &heldBlob{size: b.size}
				reg.blobs[b.digest] = hb
			}
			hb.refs++
		}
	}
	m.updatedAt = now
	if !isDigest(ref) {
		repo.tags[ref] = &tag{name: ref, digest: digest, updatedAt: now}
	}
	reg.usageAt = now
}

// deleteManifestRef deletes a manifest by digest (with its tags) or a tag.
func (s *Server) deleteManifestRef(w http.ResponseWriter, r *http.Request, rt ociRoute, gs *gateState) {
	now := s.lock()
	defer s.mu.Unlock()
	reg := s.st.registries[rt.reg]
	var repo *repository
	if reg != nil {
		repo = reg.repos[rt.repo]
	}
	if s.forward(w, r, gs) != http.StatusAccepted || repo == nil {
		return
	}
	if isDigest(rt.target) {
		if m := repo.manifests[rt.target]; m != nil {
			reg.deleteManifest(repo, m, now)
		}
		return
	}
	if repo.tags[rt.target] != nil {
		delete(repo.tags, rt.target)
		reg.usageAt = now
	}
}

// catalogBody is the body of GET /v2/_catalog.
type catalogBody struct {
	Repositories []string `json:"repositories"`
}

// catalog lists the repositories of the credential's registry, sorted,
// paginated with n and last.
func (s *Server) catalog(w http.ResponseWriter, r *http.Request, regName string) {
	if r.Method != http.MethodGet {
		writeDockerError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET")
		return
	}
	q := r.URL.Query()
	n := -1
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			writeDockerError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "n must be a non-negative integer")
			return
		}
	}
	rec := s.oci.do(r.Context(), http.MethodGet, "/v2/_catalog?n=100000000", nil, nil)
	var all catalogBody
	if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil {
		writeDockerError(w, http.StatusInternalServerError, "UNKNOWN", "the catalog could not be read")
		return
	}
	s.mu.Lock()
	reg := s.st.registries[regName]
	list := []string{}
	for _, name := range all.Repositories {
		repo, ok := strings.CutPrefix(name, regName+"/")
		// The library keeps the name of a repository whose manifests are
		// all deleted; the registry no longer has it.
		if ok && reg != nil && reg.repos[repo] != nil {
			list = append(list, name)
		}
	}
	s.mu.Unlock()
	slices.Sort(list)
	if last := q.Get("last"); last != "" {
		i, _ := slices.BinarySearch(list, last)
		for i < len(list) && list[i] <= last {
			i++
		}
		list = list[i:]
	}
	if n >= 0 && n < len(list) {
		list = list[:n]
		if n > 0 {
			w.Header().Set("Link", fmt.Sprintf(`</v2/_catalog?last=%s&n=%d>; rel="next"`, url.QueryEscape(list[n-1]), n))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(catalogBody{Repositories: list})
}
