package ociregistry_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

func TestChunkedUploadStatusAndOutOfOrderChunks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	data := []byte("0123456789abcdef")
	c := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil)
	loc := c.header.Get("Location")
	id := strings.TrimPrefix(loc, "/v2/acme/app/blobs/uploads/")
	equal(t, "start", []string{fmt.Sprint(c.status), c.header.Get("Range"), c.header.Get("Docker-Upload-Uuid")},
		[]string{"202", "0-0", id})
	if len(id) != 32 {
		t.Fatalf("upload id %q, want 32 hex digits", id)
	}
	c = e.do(t, "PATCH", loc, rw, data[:5], "Content-Range", "0-4", "Content-Type", "application/octet-stream")
	equal(t, "chunk 1", []any{c.status, c.header.Get("Range"), c.header.Get("Location")}, []any{202, "0-4", loc})
	c = e.do(t, "PATCH", loc, rw, data[10:], "Content-Range", "10-15")
	equal(t, "chunk out of order", []any{c.status, c.header.Get("Range"), c.header.Get("Location")}, []any{416, "0-4", loc})
	c = e.do(t, "GET", loc, rw, nil)
	equal(t, "status", []any{c.status, c.header.Get("Range"), c.header.Get("Location")}, []any{204, "0-4", loc})
	c = e.do(t, "PATCH", loc, rw, data[5:10], "Content-Range", "5-9")
	equal(t, "chunk 2", []any{c.status, c.header.Get("Range")}, []any{202, "0-9"})
	// The last chunk comes with the PUT, and the digest is sha512.
	d := sha512Digest(data)
	c = e.do(t, "PUT", loc+"?digest="+d, rw, data[10:], "Content-Range", "10-15")
	equal(t, "finish", []any{c.status, c.header.Get("Location"), c.header.Get("Docker-Content-Digest")},
		[]any{201, "/v2/acme/app/blobs/" + d, d})
	c = e.do(t, "GET", "/v2/acme/app/blobs/"+d, rw, nil)
	equal(t, "pull", []any{c.status, string(c.body), c.header.Get("Content-Length"), c.header.Get("Docker-Content-Digest")},
		[]any{200, string(data), "16", d})
	wantError(t, "the finished upload", e.do(t, "GET", loc, rw, nil), 404, "BLOB_UPLOAD_UNKNOWN")
}

func TestStreamedUploadAndCancellation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{StorageCap: 1 << 20})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	base := e.reg.Held()
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	c := e.do(t, "PATCH", loc, rw, bytes.Repeat([]byte("x"), 5000))
	equal(t, "stream", []any{c.status, c.header.Get("Range")}, []any{202, "0-4999"})
	if e.reg.Held() < base+5000 {
		t.Fatalf("held %d, want at least %d", e.reg.Held(), base+5000)
	}
	c = e.do(t, "DELETE", loc, rw, nil)
	equal(t, "cancel", c.status, 204)
	equal(t, "held after the cancellation", e.reg.Held(), base)
	equal(t, "uploads", e.reg.Uploads(), 0)
	wantError(t, "status after", e.do(t, "GET", loc, rw, nil), 404, "BLOB_UPLOAD_UNKNOWN")
	wantError(t, "finish after", e.do(t, "PUT", loc+"?digest="+sha256Digest(nil), rw, nil), 404, "BLOB_UPLOAD_UNKNOWN")
	wantError(t, "cancel twice", e.do(t, "DELETE", loc, rw, nil), 404, "BLOB_UPLOAD_UNKNOWN")
}

func TestUploadDigestMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	base := e.reg.Held()
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	e.do(t, "PATCH", loc, rw, []byte("abc"))
	wantError(t, "wrong digest", e.do(t, "PUT", loc+"?digest="+sha256Digest([]byte("abd")), rw, nil), 400, "DIGEST_INVALID")
	equal(t, "held after", e.reg.Held(), base)
	wantError(t, "no digest", e.do(t, "POST", "/v2/acme/app/blobs/uploads/?digest=sha256:abc", rw, []byte("abc")), 400, "DIGEST_INVALID")
	wantError(t, "monolithic mismatch", e.do(t, "POST", "/v2/acme/app/blobs/uploads/?digest="+sha256Digest([]byte("x")), rw, []byte("y")), 400, "DIGEST_INVALID")
	wantError(t, "blob unknown", e.do(t, "GET", "/v2/acme/app/blobs/"+sha256Digest([]byte("y")), rw, nil), 404, "BLOB_UNKNOWN")
}

// An upload belongs to the namespace and repository that started it: any
// other path, with any credential, gets 404 BLOB_UPLOAD_UNKNOWN, and the
// upload is left as it was.
func TestUploadBelongsToItsRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push", "repository:acme/other:pull,push")
	other := e.bearer(t, "other", "other-pass", "repository:other/app:pull,push")
	loc := e.do(t, "POST", "/v2/acme/app/blobs/uploads/", rw, nil).header.Get("Location")
	id := strings.TrimPrefix(loc, "/v2/acme/app/blobs/uploads/")
	e.do(t, "PATCH", loc, rw, []byte("secret layer"))
	for _, tc := range []struct{ path, auth string }{
		{"/v2/other/app/blobs/uploads/" + id, other},
		{"/v2/acme/other/blobs/uploads/" + id, rw},
	} {
		for _, m := range []string{"GET", "PATCH", "PUT", "DELETE"} {
			path := tc.path
			if m == "PUT" {
				path += "?digest=" + sha256Digest([]byte("secret layer"))
			}
			wantError(t, m+" "+tc.path, e.do(t, m, path, tc.auth, []byte("more")), 404, "BLOB_UPLOAD_UNKNOWN")
		}
	}
	c := e.do(t, "GET", loc, rw, nil)
	equal(t, "the upload is intact", []any{c.status, c.header.Get("Range")}, []any{204, "0-11"})
	d := sha256Digest([]byte("secret layer"))
	equal(t, "its owner finishes it", e.do(t, "PUT", loc+"?digest="+d, rw, nil).status, 201)
}

func TestMounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push", "repository:acme/copy:pull,push", "repository:acme/anon:pull,push")
	d := e.pushBlob(t, rw, "acme/app", []byte("layer"))
	c := e.do(t, "POST", "/v2/acme/copy/blobs/uploads/?mount="+d+"&from=acme/app", rw, nil)
	equal(t, "mount", []any{c.status, c.header.Get("Location"), c.header.Get("Docker-Content-Digest")},
		[]any{201, "/v2/acme/copy/blobs/" + d, d})
	equal(t, "mounted blob", e.do(t, "HEAD", "/v2/acme/copy/blobs/"+d, rw, nil).status, 200)
	c = e.do(t, "POST", "/v2/acme/anon/blobs/uploads/?mount="+d, rw, nil)
	equal(t, "mount without from", c.status, 201)
	// From another registry, or of a blob the source lacks: an upload
	// starts instead.
	orw := e.bearer(t, "other", "other-pass", "repository:other/x:pull,push")
	c = e.do(t, "POST", "/v2/other/x/blobs/uploads/?mount="+d+"&from=acme/app", orw, nil)
	equal(t, "mount from another registry", []any{c.status, strings.HasPrefix(c.header.Get("Location"), "/v2/other/x/blobs/uploads/")}, []any{202, true})
	c = e.do(t, "POST", "/v2/other/x/blobs/uploads/?mount="+d, orw, nil)
	equal(t, "anonymous mount of another registry's blob", c.status, 202)
	equal(t, "not mounted", e.do(t, "HEAD", "/v2/other/x/blobs/"+d, orw, nil).status, 404)
}

func TestBlobRanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:pull,push")
	d := e.pushBlob(t, rw, "acme/app", []byte("0123456789"))
	for _, tc := range []struct {
		rng, body, contentRange string
		status                  int
	}{
		{"bytes=2-5", "2345", "bytes 2-5/10", 206},
		{"bytes=7-", "789", "bytes 7-9/10", 206},
		{"bytes=-3", "789", "bytes 7-9/10", 206},
		{"bytes=8-100", "89", "bytes 8-9/10", 206},
		{"bytes=10-", "", "bytes */10", 416},
		{"bytes=1-2,4-5", "", "bytes */10", 416},
	} {
		c := e.do(t, "GET", "/v2/acme/app/blobs/"+d, rw, nil, "Range", tc.rng)
		if tc.status == 206 {
			equal(t, tc.rng, []any{c.status, string(c.body), c.header.Get("Content-Range")}, []any{206, tc.body, tc.contentRange})
		} else {
			equal(t, tc.rng, []any{c.status, c.header.Get("Content-Range")}, []any{416, tc.contentRange})
		}
	}
	c := e.do(t, "HEAD", "/v2/acme/app/blobs/"+d, rw, nil)
	equal(t, "head", []any{c.status, c.header.Get("Content-Length"), c.header.Get("Accept-Ranges"), len(c.body)},
		[]any{200, "10", "bytes", 0})
	// A blob DELETE unlinks it from the repository.
	del := e.bearer(t, "rw", "rw-pass", "repository:acme/app:delete")
	equal(t, "delete", e.do(t, "DELETE", "/v2/acme/app/blobs/"+d, del, nil).status, 202)
	wantError(t, "deleted", e.do(t, "GET", "/v2/acme/app/blobs/"+d, rw, nil), 404, "BLOB_UNKNOWN")
}

func TestManifestRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ociregistry.Options{})
	rw := e.bearer(t, "rw", "rw-pass", "repository:acme/app:*")
	cfg, layer := []byte(`{"os":"linux"}`), []byte("layer bytes")
	m := imageManifest(cfg, layer)
	ct := "application/vnd.oci.image.manifest.v1+json"
	wantError(t, "blobs missing", e.do(t, "PUT", "/v2/acme/app/manifests/v1", rw, m, "Content-Type", ct), 400, "MANIFEST_BLOB_UNKNOWN")
	e.pushBlob(t, rw, "acme/app", cfg)
	e.pushBlob(t, rw, "acme/app", layer)
	wantError(t, "not JSON", e.do(t, "PUT", "/v2/acme/app/manifests/v1", rw, []byte("{"), "Content-Type", ct), 400, "MANIFEST_INVALID")
	wantError(t, "wrong digest", e.do(t, "PUT", "/v2/acme/app/manifests/"+sha256Digest([]byte("x")), rw, m, "Content-Type", ct), 400, "DIGEST_INVALID")
	wantError(t, "bad tag", e.do(t, "PUT", "/v2/acme/app/manifests/-bad", rw, m, "Content-Type", ct), 400, "TAG_INVALID")
	wantError(t, "type mismatch", e.do(t, "PUT", "/v2/acme/app/manifests/v1", rw, m, "Content-Type", "application/vnd.oci.image.index.v1+json"), 400, "MANIFEST_INVALID")
	d := sha256Digest(m)
	c := e.do(t, "PUT", "/v2/acme/app/manifests/v1", rw, m, "Content-Type", ct)
	equal(t, "push", []any{c.status, c.header.Get("Location"), c.header.Get("Docker-Content-Digest")},
		[]any{201, "/v2/acme/app/manifests/" + d, d})
	c = e.do(t, "GET", "/v2/acme/app/manifests/v1", rw, nil)
	equal(t, "pull", []any{c.status, c.header.Get("Content-Type"), c.header.Get("Docker-Content-Digest"), string(c.body)},
		[]any{200, ct, d, string(m)})

	// An artifact with a subject: OCI-Subject, and the referrers API.
	art := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/x-sbom",` +
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + sha256Digest(cfg) + `","size":` + fmt.Sprint(len(cfg)) + `},` +
		`"layers":[],"subject":{"mediaType":"` + ct + `","digest":"` + d + `","size":` + fmt.Sprint(len(m)) + `},"annotations":{"k":"v"}}`)
	ad := sha512Digest(art)
	c = e.do(t, "PUT", "/v2/acme/app/manifests/"+ad+"?tag=sbom", rw, art, "Content-Type", ct)
	equal(t, "artifact", []any{c.status, c.header.Get("OCI-Subject"), c.header.Get("OCI-Tag")}, []any{201, d, "sbom"})
	for _, q := range []string{"", "?artifactType=application/x-sbom", "?artifactType=application/x-other"} {
		c = e.do(t, "GET", "/v2/acme/app/referrers/"+d+q, rw, nil)
		var idx struct {
			MediaType string
			Manifests []map[string]any
		}
		if err := json.Unmarshal(c.body, &idx); err != nil || c.status != 200 || idx.MediaType != "application/vnd.oci.image.index.v1+json" {
			t.Fatalf("referrers%s: %d %s", q, c.status, c.body)
		}
		want := []map[string]any{{"mediaType": ct, "digest": ad, "size": float64(len(art)), "artifactType": "application/x-sbom",
			"annotations": map[string]any{"k": "v"}}}
		if strings.Contains(q, "x-other") {
			want = []map[string]any{}
		}
		equal(t, "referrers"+q, idx.Manifests, want)
		equal(t, "filters applied"+q, c.header.Get("OCI-Filters-Applied"), map[bool]string{true: "artifactType", false: ""}[q != ""])
	}

	// Tags, paginated; a tag delete leaves the manifest; a digest delete
	// takes its tags along.
	for _, tag := range []string{"a", "b", "c"} {
		equal(t, "tag "+tag, e.do(t, "PUT", "/v2/acme/app/manifests/"+tag, rw, m, "Content-Type", ct).status, 201)
	}
	c = e.do(t, "GET", "/v2/acme/app/tags/list?n=2&last=a", rw, nil)
	equal(t, "tags page", []string{string(c.body), c.header.Get("Link")},
		[]string{`{"name":"acme/app","tags":["b","c"]}` + "\n", `</v2/acme/app/tags/list?last=c&n=2>; rel="next"`})
	equal(t, "delete tag", e.do(t, "DELETE", "/v2/acme/app/manifests/a", rw, nil).status, 202)
	equal(t, "manifest stays", e.do(t, "HEAD", "/v2/acme/app/manifests/"+d, rw, nil).status, 200)
	equal(t, "delete digest", e.do(t, "DELETE", "/v2/acme/app/manifests/"+d, rw, nil).status, 202)
	wantError(t, "tag gone with it", e.do(t, "GET", "/v2/acme/app/manifests/b", rw, nil), 404, "MANIFEST_UNKNOWN")
	c = e.do(t, "GET", "/v2/acme/app/tags/list", rw, nil)
	equal(t, "tags left", string(c.body), `{"name":"acme/app","tags":["sbom"]}`+"\n")
}
