package ociregistry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Media types of manifests.
const (
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

func isIndexType(mt string) bool { return mt == mtOCIIndex || mt == mtDockerList }

func isManifestType(mt string) bool {
	return mt == mtOCIManifest || mt == mtDockerManifest || isIndexType(mt)
}

// distributable reports whether a layer of this media type must be in the
// registry: non-distributable (foreign) layers are fetched from elsewhere.
func distributable(mt string) bool {
	return !strings.Contains(mt, "nondistributable") && !strings.Contains(mt, ".foreign.")
}

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// manifestJSON is what the registry reads of a manifest or index.
type manifestJSON struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *descriptor       `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Manifests     []descriptor      `json:"manifests"`
	Subject       *descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// parseManifest reads a pushed manifest whose digest is digest. It returns
// the error code and message of a refusal.
func parseManifest(content []byte, contentType, digest string) (*manifest, string, string) {
	var mj manifestJSON
	if err := json.Unmarshal(content, &mj); err != nil {
		return nil, codeManifestInvalid, "the manifest is not JSON: " + jsonProblem(err)
	}
	ct, _, _ := mime.ParseMediaType(contentType)
	mt := mj.MediaType
	switch {
	case mt != "" && ct != "" && isManifestType(ct) && mt != ct:
		return nil, codeManifestInvalid, "the manifest's mediaType " + strconv.Quote(mt) + " differs from its Content-Type " + strconv.Quote(ct)
	case mt == "" && isManifestType(ct):
		mt = ct
	case mt == "" && mj.Manifests != nil:
		mt = mtOCIIndex
	case mt == "" && mj.Config != nil:
		mt = mtOCIManifest
	}
	if !isManifestType(mt) {
		return nil, codeManifestInvalid, "unsupported manifest media type " + strconv.Quote(mt)
	}
	if mj.SchemaVersion == nil || *mj.SchemaVersion != 2 {
		return nil, codeManifestInvalid, "schemaVersion must be 2"
	}
	m := &manifest{digest: digest, mediaType: mt, content: content, artifactType: mj.ArtifactType, annotations: mj.Annotations}
	check := func(what string, d descriptor) string {
		if _, _, ok := parseDigest(d.Digest); !ok || d.Size < 0 {
			return what + " has an invalid digest or size"
		}
		return ""
	}
	if isIndexType(mt) {
		if mj.Config != nil || mj.Layers != nil {
			return nil, codeManifestInvalid, "an index has no config or layers"
		}
		for _, d := range mj.Manifests {
			if p := check("a manifest of the index", d); p != "" {
				return nil, codeManifestInvalid, p
			}
			if isManifestType(d.MediaType) {
				m.children = append(m.children, d.Digest)
			}
		}
	} else {
		if mj.Config == nil {
			return nil, codeManifestInvalid, "an image manifest needs a config"
		}
		if mj.Manifests != nil {
			return nil, codeManifestInvalid, "an image manifest has no manifests"
		}
		if p := check("the config", *mj.Config); p != "" {
			return nil, codeManifestInvalid, p
		}
		m.blobs = append(m.blobs, BlobInfo{Digest: mj.Config.Digest, Size: mj.Config.Size})
		for _, l := range mj.Layers {
			if p := check("a layer", l); p != "" {
				return nil, codeManifestInvalid, p
			}
			if distributable(l.MediaType) && !slices.ContainsFunc(m.blobs, func(b BlobInfo) bool { return b.Digest == l.Digest }) {
				m.blobs = append(m.blobs, BlobInfo{Digest: l.Digest, Size: l.Size})
			}
		}
		if m.artifactType == "" {
			m.artifactType = mj.Config.MediaType
		}
	}
	if mj.Subject != nil {
		if p := check("the subject", *mj.Subject); p != "" {
			return nil, codeManifestInvalid, p
		}
		m.subject = mj.Subject.Digest
	}
	return m, "", ""
}

// jsonProblem describes a JSON error without quoting the document.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "a value of the wrong type for " + te.Field
	}
	return "invalid"
}

// serveManifest serves GET, HEAD, PUT and DELETE of a manifest.
func (g *Registry) serveManifest(w http.ResponseWriter, r *http.Request, rt route) {
	ref := rt.target
	byDigest := strings.Contains(ref, ":")
	if byDigest {
		if _, _, ok := parseDigest(ref); !ok {
			writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
			return
		}
	} else if !tagRE.MatchString(ref) {
		writeError(w, http.StatusBadRequest, codeTagInvalid, "invalid tag")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		g.mu.Lock()
		rp := g.repo(rt.ns, rt.repo, false)
		var m *manifest
		if rp != nil {
			d := ref
			if !byDigest {
				if t := rp.tags[ref]; t != nil {
					d = t.digest
				}
			}
			m = rp.manifests[d]
		}
		g.mu.Unlock()
		if m == nil {
			writeError(w, http.StatusNotFound, codeManifestUnknown, "manifest unknown")
			return
		}
		h := w.Header()
		h.Set("Content-Type", m.mediaType)
		h.Set("Content-Length", strconv.Itoa(len(m.content)))
		h.Set("Docker-Content-Digest", m.digest)
		h.Set("Etag", `"`+m.digest+`"`)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(m.content)
		}
	case http.MethodPut:
		g.putManifestRequest(w, r, rt, ref, byDigest)
	case http.MethodDelete:
		g.mu.Lock()
		defer g.mu.Unlock()
		n := g.namespaces[rt.ns]
		rp := g.repo(rt.ns, rt.repo, false)
		switch {
		case rp == nil:
			writeError(w, http.StatusNotFound, codeManifestUnknown, "manifest unknown")
		case byDigest && rp.manifests[ref] != nil:
			g.dropManifest(n, rp, ref, g.now())
			w.WriteHeader(http.StatusAccepted)
		case !byDigest && g.dropTag(n, rp, ref, g.now()):
			w.WriteHeader(http.StatusAccepted)
		default:
			writeError(w, http.StatusNotFound, codeManifestUnknown, "manifest unknown")
		}
	default:
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use GET, HEAD, PUT or DELETE")
	}
}

func (g *Registry) putManifestRequest(w http.ResponseWriter, r *http.Request, rt route, ref string, byDigest bool) {
	if r.ContentLength > MaxManifestBytes {
		writeError(w, http.StatusRequestEntityTooLarge, codeSizeInvalid, fmt.Sprintf("a manifest holds at most %d bytes", MaxManifestBytes))
		return
	}
	content, err := io.ReadAll(io.LimitReader(r.Body, MaxManifestBytes+1))
	if err != nil {
		return // the client went away
	}
	if len(content) > MaxManifestBytes {
		writeError(w, http.StatusRequestEntityTooLarge, codeSizeInvalid, fmt.Sprintf("a manifest holds at most %d bytes", MaxManifestBytes))
		return
	}
	alg := "sha256"
	if byDigest {
		alg, _, _ = parseDigest(ref)
	}
	digest := digestOf(alg, content)
	if byDigest && digest != ref {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "the manifest does not match the digest "+ref)
		return
	}
	m, code, msg := parseManifest(content, r.Header.Get("Content-Type"), digest)
	if code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	// A push by digest may name tags as well (?tag=, OCI 1.1+dev).
	refs := []string{ref}
	if byDigest {
		for _, t := range r.URL.Query()["tag"] {
			if !tagRE.MatchString(t) {
				writeError(w, http.StatusBadRequest, codeTagInvalid, "invalid tag parameter")
				return
			}
			refs = append(refs, t)
		}
	}
	g.mu.Lock()
	now := g.now()
	for _, rf := range refs {
		if code, msg, err = g.putManifest(rt.ns, rt.repo, rf, m, now); err != nil || code != "" {
			break
		}
	}
	g.mu.Unlock()
	switch {
	case err != nil:
		g.capError(w, err)
		return
	case code != "":
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	h := w.Header()
	h.Set("Location", "/v2/"+rt.name()+"/manifests/"+digest)
	h.Set("Docker-Content-Digest", digest)
	if m.subject != "" {
		h.Set("OCI-Subject", m.subject)
	}
	for _, t := range refs[1:] {
		h.Add("OCI-Tag", t)
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// capError answers a push that met the storage cap.
func (g *Registry) capError(w http.ResponseWriter, err error) {
	msg := err.Error()
	if g.opts.CapAdvice != "" {
		msg += "; " + g.opts.CapAdvice
	}
	writeError(w, http.StatusRequestEntityTooLarge, codeDenied, msg)
}

// pageParams reads n and last; n < 0 means no limit.
func pageParams(q url.Values) (n int, last string, ok bool) {
	n = -1
	if v := q.Get("n"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 0 {
			return 0, "", false
		}
		n = k
	}
	return n, q.Get("last"), true
}

// page cuts a sorted list after last and to n entries, and sets the Link
// header to the next page when one follows.
func page(w http.ResponseWriter, path string, list []string, n int, last string) []string {
	if last != "" {
		i, _ := slices.BinarySearch(list, last)
		for i < len(list) && list[i] <= last {
			i++
		}
		list = list[i:]
	}
	if n >= 0 && n < len(list) {
		list = list[:n]
		if n > 0 {
			w.Header().Set("Link", fmt.Sprintf(`<%s?last=%s&n=%d>; rel="next"`, path, url.QueryEscape(list[n-1]), n))
		}
	}
	if list == nil {
		list = []string{}
	}
	return list
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

// serveTags serves tags/list with n and last.
func (g *Registry) serveTags(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use GET")
		return
	}
	n, last, ok := pageParams(r.URL.Query())
	if !ok {
		writeError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "n must be a non-negative integer")
		return
	}
	g.mu.Lock()
	rp := g.repo(rt.ns, rt.repo, false)
	var tags []string
	if rp != nil {
		tags = slices.Sorted(maps.Keys(rp.tags))
	}
	g.mu.Unlock()
	if rp == nil || len(rp.manifests) == 0 {
		writeError(w, http.StatusNotFound, codeNameUnknown, "repository name not known to registry")
		return
	}
	writeJSON(w, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.name(), page(w, "/v2/"+rt.name()+"/tags/list", tags, n, last)})
}

// serveCatalog lists the repositories of the grant's namespace (of every
// namespace when the registry is open) that hold a manifest.
func (g *Registry) serveCatalog(w http.ResponseWriter, r *http.Request, gr *Grant) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use GET")
		return
	}
	n, last, ok := pageParams(r.URL.Query())
	if !ok {
		writeError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "n must be a non-negative integer")
		return
	}
	var list []string
	g.mu.Lock()
	for nsName, ns := range g.namespaces {
		if gr != nil && nsName != gr.Namespace {
			continue
		}
		for name, rp := range ns.repos {
			if len(rp.manifests) > 0 {
				list = append(list, nsName+"/"+name)
			}
		}
	}
	g.mu.Unlock()
	slices.Sort(list)
	writeJSON(w, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{page(w, "/v2/_catalog", list, n, last)})
}

// serveReferrers lists the manifests of a repository whose subject is the
// digest, filtered by artifactType if asked.
func (g *Registry) serveReferrers(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use GET")
		return
	}
	if _, _, ok := parseDigest(rt.target); !ok {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
		return
	}
	filter := r.URL.Query().Get("artifactType")
	list := []descriptor{}
	g.mu.Lock()
	if rp := g.repo(rt.ns, rt.repo, false); rp != nil {
		for _, m := range rp.manifests {
			if m.subject != rt.target || (filter != "" && m.artifactType != filter) {
				continue
			}
			list = append(list, descriptor{MediaType: m.mediaType, Digest: m.digest, Size: int64(len(m.content)),
				ArtifactType: m.artifactType, Annotations: maps.Clone(m.annotations)})
		}
	}
	g.mu.Unlock()
	slices.SortFunc(list, func(a, b descriptor) int { return strings.Compare(a.Digest, b.Digest) })
	if filter != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	writeJSON(w, mtOCIIndex, struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []descriptor `json:"manifests"`
	}{2, mtOCIIndex, list})
}
