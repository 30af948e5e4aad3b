package ociregistry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// upload is a blob upload in progress. It belongs to the namespace and
// repository that started it.
type upload struct {
	id, ns, repo string
	touched      time.Time
	// busy is set while a request writes or completes the upload; gone
	// once it was removed meanwhile (cancelled, expired, collected), so
	// that the request discards its bytes when it is done. g.mu guards
	// both.
	busy, gone bool
	// st is touched only by the request that set busy, or under g.mu
	// while the upload is not busy.
	st *staging
}

// removeUpload ends an upload and gives its bytes back (or leaves that to
// the request writing it). g.mu must be held.
func (g *Registry) removeUpload(id string, u *upload) {
	delete(g.uploads, id)
	if u.busy {
		u.gone = true
		return
	}
	u.st.discard()
	g.quota.give(uploadOverhead)
}

// sweep ends the uploads idle for longer than the upload timeout. g.mu
// must be held.
func (g *Registry) sweep(now time.Time) {
	for id, u := range g.uploads {
		if !u.busy && !now.Before(u.touched.Add(g.opts.UploadTimeout)) {
			g.removeUpload(id, u)
		}
	}
}

// Uploads returns how many uploads are in progress.
func (g *Registry) Uploads() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(g.now())
	return len(g.uploads)
}

// acquire finds an upload of the route's repository and marks it busy. It
// answers the request itself and returns nil if it cannot.
func (g *Registry) acquire(w http.ResponseWriter, rt route) *upload {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.sweep(now)
	u := g.uploads[rt.target]
	if u == nil || u.ns != rt.ns || u.repo != rt.repo {
		writeError(w, http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry")
		return nil
	}
	if u.busy {
		writeError(w, http.StatusRequestedRangeNotSatisfiable, codeBlobUploadInvalid, "another request is writing this upload")
		return nil
	}
	u.busy = true
	u.touched = now
	return u
}

// done ends a request's work on an upload.
func (g *Registry) done(u *upload) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u.busy = false
	u.touched = g.now()
	if u.gone {
		u.st.discard()
		g.quota.give(uploadOverhead)
	}
}

// uploadHeaders sets the headers of an upload's status.
func uploadHeaders(w http.ResponseWriter, rt route, u *upload) {
	h := w.Header()
	h.Set("Location", "/v2/"+rt.name()+"/blobs/uploads/"+u.id)
	h.Set("Range", fmt.Sprintf("0-%d", max(u.st.size-1, 0)))
	h.Set("Docker-Upload-UUID", u.id)
	h.Set("Content-Length", "0")
}

// serveUpload serves the upload endpoints: POST (start, monolithic or
// mount), PATCH (a chunk), PUT (completion), GET (status) and DELETE
// (cancellation).
func (g *Registry) serveUpload(w http.ResponseWriter, r *http.Request, rt route, gr *Grant) {
	if rt.target == "" {
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "start an upload with POST")
			return
		}
		g.startUpload(w, r, rt, gr)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		u := g.acquire(w, rt)
		if u == nil {
			return
		}
		uploadHeaders(w, rt, u)
		g.done(u)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		g.mu.Lock()
		u := g.uploads[rt.target]
		found := u != nil && u.ns == rt.ns && u.repo == rt.repo
		if found {
			g.removeUpload(rt.target, u)
		}
		g.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry")
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		u := g.acquire(w, rt)
		if u == nil {
			return
		}
		defer g.done(u)
		if !g.writeChunk(w, r, rt, u) {
			return
		}
		uploadHeaders(w, rt, u)
		w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		g.finishUpload(w, r, rt)
	default:
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use PATCH, PUT, GET or DELETE on an upload")
	}
}

// parseContentRange reads Content-Range "<start>-<end>" (also with a
// "bytes " or "bytes=" prefix).
func parseContentRange(v string) (start, end int64, ok bool) {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "bytes "), "bytes=")
	a, b, found := strings.Cut(v, "-")
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseInt(a, 10, 64)
	e, err2 := strconv.ParseInt(strings.TrimSuffix(b, "/*"), 10, 64)
	if err1 != nil || err2 != nil || s < 0 || e < s {
		return 0, 0, false
	}
	return s, e, true
}

// writeChunk appends a request's body to an upload. A chunk out of order
// gets 416; a chunk past the cap gets 413 and leaves the upload as it was.
// It reports whether the chunk was taken.
func (g *Registry) writeChunk(w http.ResponseWriter, r *http.Request, rt route, u *upload) bool {
	if cr := r.Header.Get("Content-Range"); cr != "" {
		start, end, ok := parseContentRange(cr)
		if !ok {
			writeError(w, http.StatusBadRequest, codeBlobUploadInvalid, "malformed Content-Range")
			return false
		}
		if start != u.st.size || (r.ContentLength >= 0 && r.ContentLength != end-start+1) {
			uploadHeaders(w, rt, u)
			w.Header().Del("Content-Length")
			writeErrorKeep(w, http.StatusRequestedRangeNotSatisfiable, codeRangeInvalid,
				fmt.Sprintf("the chunk must start at byte %d and match its Content-Length", u.st.size))
			return false
		}
	}
	m := u.st.mark()
	if err := g.copyBody(u.st, r.Body); err != nil {
		u.st.rewind(m)
		if errors.Is(err, ErrStorageFull) {
			g.capError(w, err)
		} else if !errors.Is(err, errClientGone) {
			writeError(w, http.StatusInternalServerError, "UNKNOWN", "the upload could not be stored")
		}
		return false
	}
	return true
}

// errClientGone marks a body that could not be read to its end.
var errClientGone = errors.New("ociregistry: the request body ended early")

// copyBody appends a request body to st, piece by piece, each taken from
// the quota before it is kept. At the cap it sweeps idle uploads once and
// tries again.
func (g *Registry) copyBody(st *staging, body io.Reader) error {
	buf := make([]byte, 256<<10)
	swept := false
	for {
		k, rerr := io.ReadFull(body, buf)
		if k > 0 {
			err := st.write(buf[:k])
			if errors.Is(err, ErrStorageFull) && !swept {
				swept = true
				g.mu.Lock()
				g.sweep(g.now())
				g.mu.Unlock()
				err = st.write(buf[:k])
			}
			if err != nil {
				return err
			}
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return nil
		case rerr != nil:
			return errClientGone
		}
	}
}

// writeErrorKeep is writeError that keeps the upload headers already set
// (a 416 says where the upload stands).
func writeErrorKeep(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`+"\n", code, msg)
}

// startUpload serves POST on .../blobs/uploads/: a mount, a monolithic
// upload (?digest=) or the start of an upload.
func (g *Registry) startUpload(w http.ResponseWriter, r *http.Request, rt route, gr *Grant) {
	q := r.URL.Query()
	if d := q.Get("mount"); d != "" {
		if g.mount(rt, d, q.Get("from"), gr) {
			h := w.Header()
			h.Set("Location", "/v2/"+rt.name()+"/blobs/"+d)
			h.Set("Docker-Content-Digest", d)
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusCreated)
			return
		}
		// Not mountable here: the spec lets the registry start an upload
		// instead.
	} else if d := q.Get("digest"); d != "" {
		g.monolithic(w, r, rt, d)
		return
	}
	id, err := randomID()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	g.mu.Lock()
	now := g.now()
	g.sweep(now)
	if len(g.uploads) >= g.opts.MaxUploads {
		g.mu.Unlock()
		writeError(w, http.StatusTooManyRequests, codeTooManyRequests,
			fmt.Sprintf("%d uploads are in progress, the most the registry keeps; finish or cancel some", len(g.uploads)))
		return
	}
	if err := g.quota.take(uploadOverhead); err != nil {
		g.mu.Unlock()
		g.capError(w, err)
		return
	}
	st, err := newStaging(g.opts.StorageDir, g.quota)
	if err != nil {
		g.quota.give(uploadOverhead)
		g.mu.Unlock()
		writeError(w, http.StatusInternalServerError, "UNKNOWN", "the upload could not be staged")
		return
	}
	u := &upload{id: id, ns: rt.ns, repo: rt.repo, touched: now, st: st}
	g.uploads[id] = u
	g.mu.Unlock()
	uploadHeaders(w, rt, u)
	w.WriteHeader(http.StatusAccepted)
}

// mount links a blob of the namespace into the route's repository: from
// another repository of the same namespace that holds it, or, without
// from, any blob the namespace holds. It reports whether it did.
func (g *Registry) mount(rt route, digest, from string, gr *Grant) bool {
	if _, _, ok := parseDigest(digest); !ok {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.namespaces[rt.ns]
	if n == nil || n.held[digest] == nil {
		return false
	}
	if from != "" {
		fns, frepo, ok := strings.Cut(from, "/")
		if !ok || fns != rt.ns || (gr != nil && gr.Namespace != fns) || !g.linked(fns, frepo, digest) {
			return false
		}
	}
	if _, ok := g.store.size(digest); !ok {
		return false
	}
	g.link(rt.ns, rt.repo, digest, g.now())
	return true
}

// monolithic serves POST ?digest=: the whole blob in one request.
func (g *Registry) monolithic(w http.ResponseWriter, r *http.Request, rt route, digest string) {
	alg, _, ok := parseDigest(digest)
	if !ok {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
		return
	}
	st, err := newStaging(g.opts.StorageDir, g.quota)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", "the upload could not be staged")
		return
	}
	if err := g.copyBody(st, r.Body); err != nil {
		st.discard()
		if errors.Is(err, ErrStorageFull) {
			g.capError(w, err)
		}
		return
	}
	g.commitBlob(w, rt, st, alg, digest)
}

// commitBlob verifies staged bytes against a digest and stores them as a
// blob of the repository, answering 201.
func (g *Registry) commitBlob(w http.ResponseWriter, rt route, st *staging, alg, digest string) {
	got, err := st.digest(alg)
	if err != nil || got != digest {
		st.discard()
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "the content does not match the digest "+digest)
		return
	}
	g.mu.Lock()
	err = g.store.commit(digest, st)
	if err == nil {
		g.link(rt.ns, rt.repo, digest, g.now())
	}
	g.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", "the blob could not be stored")
		return
	}
	h := w.Header()
	h.Set("Location", "/v2/"+rt.name()+"/blobs/"+digest)
	h.Set("Docker-Content-Digest", digest)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// finishUpload serves PUT ?digest= on an upload: an optional last chunk,
// then the blob is verified and stored and the upload ends.
func (g *Registry) finishUpload(w http.ResponseWriter, r *http.Request, rt route) {
	u := g.acquire(w, rt)
	if u == nil {
		return
	}
	digest := r.URL.Query().Get("digest")
	alg, _, ok := parseDigest(digest)
	if !ok {
		g.done(u)
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "PUT needs ?digest= with a valid digest")
		return
	}
	if (r.ContentLength > 0 || r.ContentLength < 0 || r.Header.Get("Content-Range") != "") && !g.writeChunk(w, r, rt, u) {
		g.done(u)
		return
	}
	g.mu.Lock()
	gone := u.gone
	if !gone {
		delete(g.uploads, u.id)
	}
	u.busy = false
	g.mu.Unlock()
	if gone {
		u.st.discard()
		g.quota.give(uploadOverhead)
		writeError(w, http.StatusNotFound, codeBlobUploadUnknown, "the upload was cancelled or expired meanwhile")
		return
	}
	g.quota.give(uploadOverhead)
	g.commitBlob(w, rt, u.st, alg, digest)
}

// serveBlob serves GET, HEAD and DELETE of a blob.
func (g *Registry) serveBlob(w http.ResponseWriter, r *http.Request, rt route) {
	if _, _, ok := parseDigest(rt.target); !ok {
		writeError(w, http.StatusBadRequest, codeDigestInvalid, "invalid digest")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		g.mu.Lock()
		linked := g.linked(rt.ns, rt.repo, rt.target)
		g.mu.Unlock()
		var rd blobReader
		var size int64
		var err error
		if linked {
			rd, size, err = g.store.open(rt.target)
		}
		if !linked || err != nil {
			writeError(w, http.StatusNotFound, codeBlobUnknown, "blob unknown to registry")
			return
		}
		defer rd.Close()
		serveContent(w, r, rd, size, rt.target)
	case http.MethodDelete:
		g.mu.Lock()
		rp := g.repo(rt.ns, rt.repo, false)
		found := rp != nil && rp.blobs[rt.target]
		if found {
			delete(rp.blobs, rt.target)
			touch(g.namespaces[rt.ns], g.now())
		}
		g.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, codeBlobUnknown, "blob unknown to registry")
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	default:
		writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use GET, HEAD or DELETE")
	}
}

// serveContent writes a blob, or the one byte range a Range header asks
// for.
func serveContent(w http.ResponseWriter, r *http.Request, rd io.ReaderAt, size int64, digest string) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", digest)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Etag", `"`+digest+`"`)
	start, end := int64(0), size-1
	status := http.StatusOK
	if v := r.Header.Get("Range"); v != "" && size > 0 {
		s, e, ok := parseByteRange(v, size)
		if !ok {
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			writeErrorKeep(w, http.StatusRequestedRangeNotSatisfiable, codeRangeInvalid, "the range is not satisfiable")
			return
		}
		start, end, status = s, e, http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	}
	n := end - start + 1
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead || n <= 0 {
		return
	}
	_, _ = io.CopyBuffer(w, io.NewSectionReader(rd, start, n), make([]byte, 256<<10))
}

// parseByteRange reads a single range "bytes=a-b", "bytes=a-" or
// "bytes=-n" of a blob of size bytes.
func parseByteRange(v string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	switch {
	case a == "":
		k, err := strconv.ParseInt(b, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false
		}
		return max(size-k, 0), size - 1, true
	default:
		s, err := strconv.ParseInt(a, 10, 64)
		if err != nil || s < 0 || s >= size {
			return 0, 0, false
		}
		e := size - 1
		if b != "" {
			if e, err = strconv.ParseInt(b, 10, 64); err != nil || e < s {
				return 0, 0, false
			}
			e = min(e, size-1)
		}
		return s, e, true
	}
}
