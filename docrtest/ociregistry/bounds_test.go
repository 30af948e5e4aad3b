package ociregistry_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += k
	return k, err
}

// A refused request's body is never read.
func TestRefusedRequestBodiesAreNotRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	ro := e.bearer(t, "ro", "ro-pass", "repository:acme/app:pull")
	for _, tc := range []struct{ method, path, auth string }{
		{"POST", "/v2/acme/app/blobs/uploads/?digest=" + sha256Digest(nil), ""},
		{"PUT", "/v2/acme/app/manifests/v1", ""},
		{"PUT", "/v2/acme/app/manifests/v1", ro},
		{"PATCH", "/v2/acme/app/blobs/uploads/abc", "Bearer forged"},
		{"POST", "/v2/acme/app/nothing", ""},
	} {
		body := &countingReader{r: bytes.NewReader(make([]byte, 1<<20))}
		req := httptest.NewRequest(tc.method, tc.path, body)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		e.reg.ServeHTTP(rec, req)
		equal(t, tc.method+" "+tc.path, []int{rec.Code, body.n}, []int{401, 0})
	}
}

// Everything the registry holds counts against the cap: blobs (once),
// manifests, tags and uploads in progress; a push past it gets 413 and
// leaves the upload as it was.
func TestCapCountsBlobsManifestsTagsAndUploads(t *testing.T) {
	t.Parallel()
	const capBytes = 64 << 10
	e := newEnv(t, ociregistry.Options{StorageCap: capBytes, CapAdvice: "make room"})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push", "repository:acme/copy:pull,push")
	equal(t, "empty", e.reg.Held(), int64(0))
	cfg := []byte(`{}`)
	layer := bytes.Repeat([]byte("L"), 10_000)
	e.pushBlob(t, rw, "acme/app", cfg)
	e.pushBlob(t, rw, "acme/app", layer)
	e.pushBlob(t, rw, "acme/copy", layer) // the same blob: stored once
	blobs := int64(len(cfg) + len(layer))
	equal(t, "blobs", e.reg.Held(), blobs)
	m := imageManifest(cfg, layer)
	e.do(t, "PUT", "/v2/acme/app/manifests/v1", rw, m, "Content-Type", "application/vnd.oci.image.manifest.v1+json")
	withManifest := e.reg.Held()
	if withManifest <= blobs+int64(len(m)) {
		t.Fatalf("held %d after a manifest of %d bytes, want more than %d", withManifest, len(m), blobs+int64(len(m)))
	}
	// An upload in progress holds its bytes.
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	e.do(t, "PATCH", loc, rw, bytes.Repeat([]byte("u"), 20_000))
	if e.reg.Held() < withManifest+20_000 {
		t.Fatalf("held %d with a 20,000-byte upload, want at least %d", e.reg.Held(), withManifest+20_000)
	}
	// A chunk past the cap: 413, and the upload stays as it was.
	c := e.do(t, "PATCH", loc, rw, bytes.Repeat([]byte("u"), 40_000))
	wantError(t, "past the cap", c, 413, "DENIED")
	if !strings.Contains(string(c.body), "storage cap reached") || !strings.Contains(string(c.body), "make room") {
		t.Fatalf("413 body %s does not name the cap and the advice", c.body)
	}
	equal(t, "upload after the 413", e.do(t, "GET", loc, rw, nil).header.Get("Range"), "0-19999")
	// A monolithic push past the cap, and a manifest past it.
	wantError(t, "monolithic past the cap", e.do(t, "POST", "/v2/acme/app/blobs/uploads/?digest="+sha256Digest(make([]byte, 40_000)), rw, make([]byte, 40_000)), 413, "DENIED")
	big := bytes.Repeat([]byte(" "), 40_000)
	big = append(append([]byte(nil), m[:len(m)-1]...), append(big, '}')...)
	wantError(t, "manifest past the cap", e.do(t, "PUT", "/v2/acme/app/manifests/big", rw, big, "Content-Type", "application/vnd.oci.image.manifest.v1+json"), 413, "DENIED")
	// Cancelling gives the bytes back.
	e.do(t, "DELETE", loc, rw, nil)
	equal(t, "after the cancellation", e.reg.Held(), withManifest)
}

// An upload idle for the upload timeout expires and gives back its bytes,
// so that an abandoned upload cannot hold the cap forever.
func TestIdleUploadsExpire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{StorageCap: 64 << 10, UploadTimeout: time.Hour})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	equal(t, "fill", e.do(t, "PATCH", loc, rw, make([]byte, 60<<10)).status, 202)
	orw := e.bearer(t, "other", "other-pass", "repository:other/x:pull,push")
	wantError(t, "another registry's push meanwhile", e.do(t, "POST", "/v2/other/x/blobs/uploads/?digest="+sha256Digest(make([]byte, 8<<10)), orw, make([]byte, 8<<10)), 413, "DENIED")
	e.clock.Advance(59 * time.Minute)
	rw = e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push") // tokens last five minutes
	equal(t, "touched at 59 minutes", e.do(t, "GET", loc, rw, nil).status, 204)
	e.clock.Advance(59 * time.Minute)
	equal(t, "still there", e.reg.Uploads(), 1)
	e.clock.Advance(time.Minute)
	equal(t, "expired", e.reg.Uploads(), 0)
	equal(t, "held", e.reg.Held(), int64(0))
	rw = e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	wantError(t, "the expired upload", e.do(t, "PATCH", loc, rw, []byte("x")), 404, "BLOB_UPLOAD_UNKNOWN")
	orw = e.bearer(t, "other", "other-pass", "repository:other/x:pull,push")
	equal(t, "another registry's push now", e.do(t, "POST", "/v2/other/x/blobs/uploads/?digest="+sha256Digest(make([]byte, 8<<10)), orw, make([]byte, 8<<10)).status, 201)
}

// With a storage directory, uploads in progress are files there, not
// memory, and a finished blob moves into the directory.
func TestStorageDirStagesUploadsOnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, ociregistry.Options{StorageDir: dir})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	data := bytes.Repeat([]byte("d"), 3<<20)
	e.do(t, "PATCH", loc, rw, data)
	staged, err := os.ReadDir(filepath.Join(dir, "_uploads"))
	if err != nil || len(staged) != 1 {
		t.Fatalf("staged files: %v, %v", staged, err)
	}
	info, err := staged[0].Info()
	if err != nil || info.Size() != int64(len(data)) {
		t.Fatalf("staged file: %v, %v, want %d bytes", info, err, len(data))
	}
	d := sha256Digest(data)
	equal(t, "finish", e.do(t, "PUT", loc+"?digest="+d, rw, nil).status, 201)
	if _, err := os.Stat(filepath.Join(dir, "sha256", strings.TrimPrefix(d, "sha256:"))); err != nil {
		t.Fatalf("the blob is not in the directory: %v", err)
	}
	staged, _ = os.ReadDir(filepath.Join(dir, "_uploads"))
	equal(t, "staged after", len(staged), 0)
	loc = e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	e.do(t, "PATCH", loc, rw, data)
	e.do(t, "DELETE", loc, rw, nil)
	staged, _ = os.ReadDir(filepath.Join(dir, "_uploads"))
	equal(t, "staged after a cancellation", len(staged), 0)
	equal(t, "pull", len(e.do(t, "GET", "/v2/acme/app/blobs/"+d, rw, nil).body), len(data))
}

func TestGarbageCollectionEndsUploadsAndFreesBlobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{StorageCap: 1 << 20})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:*")
	orw := e.bearer(t, "other", "other-pass", "repository:other/x:pull,push")
	cfg := []byte(`{}`)
	e.pushBlob(t, rw, "acme/app", cfg)
	orphan := e.pushBlob(t, rw, "acme/app", []byte("orphan"))
	m := imageManifest(cfg)
	e.do(t, "PUT", "/v2/acme/app/manifests/v1", rw, m, "Content-Type", "application/vnd.oci.image.manifest.v1+json")
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	e.do(t, "PATCH", loc, rw, make([]byte, 1000))
	oloc := e.do(t, "POST", "/v2/other/x/blobs/uploads/", orw, nil).header.Get("Location")
	res := e.reg.CollectGarbage("acme", true, true, t0)
	equal(t, "collected", res, ociregistry.GCResult{BlobsDeleted: 1, FreedBytes: int64(len("orphan"))})
	wantError(t, "acme's upload", e.do(t, "GET", loc, rw, nil), 404, "BLOB_UPLOAD_UNKNOWN")
	equal(t, "other's upload", e.do(t, "GET", oloc, orw, nil).status, 204)
	wantError(t, "the orphan", e.do(t, "GET", "/v2/acme/app/blobs/"+orphan, rw, nil), 404, "BLOB_UNKNOWN")
	equal(t, "the referenced blob", e.do(t, "HEAD", "/v2/acme/app/blobs/"+sha256Digest(cfg), rw, nil).status, 200)
	usage, _ := e.reg.Usage("acme")
	equal(t, "usage", usage, int64(len(cfg)))
}

func TestMaxUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{MaxUploads: 2})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	for range 2 {
		equal(t, "start", e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).status, 202)
	}
	wantError(t, "a third", e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil), 429, "TOOMANYREQUESTS")
}

func TestErrStorageFull(t *testing.T) {
	t.Parallel()
	reg, err := ociregistry.New(ociregistry.Options{StorageCap: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, err = reg.Put("acme", "app", [][]byte{make([]byte, 100)}, imageManifest(make([]byte, 100)), "", nil, t0)
	if !errors.Is(err, ociregistry.ErrStorageFull) {
		t.Fatalf("Put past the cap: %v", err)
	}
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/acme/app/tags/list", nil))
	equal(t, "nothing stored", rec.Code, 404)
}
