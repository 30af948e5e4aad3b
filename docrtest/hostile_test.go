package docrtest_test

// The fake under hostile use: items 1-5 of "Round three of hostile use"
// (issue 22). Each test here failed on the fake before the registry moved
// to package ociregistry. The clients authenticate as Docker clients do,
// through whatever challenge the registry sends.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/gen"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// regClient talks to a fake's registry with a Docker credential, for the
// scopes, following the registry's challenge as a Docker client does.
type regClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	err  error // the client could not authenticate (nil if it could)
}

func newRegClient(t *testing.T, srv *docrtest.Server, user, pass string, scopes ...string) *regClient {
	t.Helper()
	reg, err := name.NewRegistry(srv.RegistryHost(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	rt, err := transport.NewWithContext(ctx, reg, &authn.Basic{Username: user, Password: pass}, base, scopes)
	c := &regClient{t: t, base: "http://" + srv.RegistryHost(), err: err}
	if err == nil {
		c.hc = &http.Client{Transport: rt}
	}
	return c
}

// do sends a request and returns the status and body.
func (c *regClient) do(method, path string, body []byte, header ...string) (int, []byte) {
	c.t.Helper()
	if c.err != nil {
		c.t.Fatalf("%s %s: no client: %v", method, path, c.err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		c.t.Logf("%s %s: %d, Location %s", method, path, resp.StatusCode, loc)
	}
	return resp.StatusCode, b
}

// start begins an upload and returns its Location path.
func (c *regClient) start(repo string) string {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v2/"+repo+"/blobs/uploads/", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		c.t.Fatalf("start an upload in %s: %d", repo, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// errorCode returns the first distribution error code of a body.
func errorCode(body []byte) string {
	var e struct{ Errors []struct{ Code string } }
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

func rwCredential(t *testing.T, f *fixture, reg string) docrtest.IssuedCredential {
	t.Helper()
	r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, reg, &gen.RegistriesGetDockerCredentialsParams{ReadWrite: ptr(true)})
	check(t, err, r.HTTPResponse, 200)
	creds := f.srv.Credentials()
	return creds[len(creds)-1]
}

func pushScope(repo string) string { return "repository:" + repo + ":pull,push" }

// Item 1: a refused request costs no retained memory. Neither an
// unauthenticated call's body nor its huge headers stay in the request
// log, which holds a bounded amount per entry and in all.
func TestRefusedRequestsCostNoRetainedMemory(t *testing.T) {
	t.Parallel()
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithRateLimit(0, 0),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mib := bytes.Repeat([]byte("b"), 1<<20)
	send := func(method, path string, body []byte, header ...string) int {
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, bytes.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0 // the fake may close a connection whose body it did not read
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 40 {
		if code := send("POST", "/v2/registries/example/garbage-collection", mib, "Content-Type", "application/json"); code != 401 && code != 0 {
			t.Fatalf("unauthenticated API call %d: %d", i, code)
		}
		if code := send("PATCH", "/v2/example/app/blobs/uploads/x", mib); code != 401 && code != 0 {
			t.Fatalf("unauthenticated registry call %d: %d", i, code)
		}
	}
	for _, r := range srv.Requests() {
		if len(r.Body) > 0 {
			t.Fatalf("a refused %s %s (%d) kept %d bytes of body", r.Method, r.Path, r.Status, len(r.Body))
		}
	}
	// A header block past docrtest.MaxHeaderBytes is refused before the
	// fake sees it; one just under it is answered and logged, cut.
	for i, size := range []int{512 << 10, 60 << 10} {
		for range 20 {
			code := send("GET", "/v2/", nil, "X-Big", strings.Repeat("h", size))
			if want := []int{http.StatusRequestHeaderFieldsTooLarge, 401}[i]; code != want {
				t.Fatalf("GET /v2/ with a %d-byte header: %d, want %d", size, code, want)
			}
		}
	}
	// Many header fields, authenticated: still bounded per entry and in all.
	hdr := []string{"Authorization", "Bearer " + srv.Token}
	for k := range 100 {
		hdr = append(hdr, fmt.Sprintf("X-F%d", k), strings.Repeat("v", 600))
	}
	for range 1000 {
		if code := send("GET", "/v2/registries", nil, hdr...); code != 200 {
			t.Fatalf("GET /v2/registries with 100 header fields: %d", code)
		}
	}
	var kept int
	for _, r := range srv.Requests() {
		kept += len(r.Body) + len(r.Path) + len(r.RawQuery)
		for k, vs := range r.Header {
			kept += len(k)
			for _, v := range vs {
				kept += len(v)
			}
		}
		if r.Status == 401 && len(r.Body) > 0 {
			t.Fatalf("a refused %s %s kept %d bytes of body", r.Method, r.Path, len(r.Body))
		}
		if len(r.Header.Get("X-Big")) > 4<<10 {
			t.Fatalf("an entry kept a %d-byte header value", len(r.Header.Get("X-Big")))
		}
	}
	if kept > 16<<20 {
		t.Fatalf("the request log holds %d bytes, want at most 16 MiB", kept)
	}
}

// Item 1: redaction covers the whole Authorization value (a bare token,
// Bearer<TAB>token), Proxy-Authorization, and secrets in query strings.
func TestRequestLogRedactsEveryCredential(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const secret = "dop_v1_hostilesecret0123456789"
	for _, h := range [][]string{
		{"Authorization", secret},
		{"Authorization", "Bearer\t" + secret},
		{"Authorization", "bearer  " + secret},
		{"Authorization", "Basic " + secret},
		{"Proxy-Authorization", "Basic " + secret},
		{"Cookie", "session=" + secret},
		{"X-Registry-Auth", secret},
	} {
		do(t, "GET", f.srv.URL+"/v2/registries", "", nil, h...)
		do(t, "GET", f.srv.URL+"/v2/", "", nil, h...)
	}
	do(t, "GET", f.srv.URL+"/v2/registries?token="+secret+"&access_token="+secret+"&x_password="+secret+"&page=1", "", nil)
	do(t, "GET", f.srv.URL+"/v2/registry/auth?service=x&scope=repository:example/a:pull&client_secret="+secret, "", nil)
	all := fmt.Sprintf("%+v", f.srv.Requests())
	if strings.Contains(all, "hostilesecret") {
		t.Fatalf("the request log holds a secret:\n%s", all)
	}
	var auths []string
	for _, r := range f.srv.Requests() {
		if v := r.Header.Get("Authorization"); v != "" && r.Path == "/v2/registries" {
			auths = append(auths, v)
		}
	}
	equal(t, "Authorization as logged", auths, []string{"REDACTED", "Bearer REDACTED", "bearer REDACTED", "Basic REDACTED"})
}

// Item 2: manifests count against the storage cap.
func TestManifestsCountAgainstTheStorageCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithSelfRegistryHost(), docrtest.WithStorageCap(seedStorage+2<<20))
	ic := rwCredential(t, f, "example")
	c := newRegClient(t, f.srv, ic.Username, ic.Password, pushScope("example/idx"))
	refused := -1
	for i := range 8 {
		// An index of no manifests, padded to 600 KiB with an annotation.
		body, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
			"manifests": []any{}, "annotations": map[string]string{"pad": fmt.Sprint(i) + strings.Repeat("p", 600<<10)}})
		code, resp := c.do("PUT", "/v2/example/idx/manifests/t"+fmt.Sprint(i), body, "Content-Type", "application/vnd.oci.image.index.v1+json")
		if code == http.StatusRequestEntityTooLarge {
			equal(t, "code", errorCode(resp), "DENIED")
			refused = i
			break
		}
		if code != http.StatusCreated {
			t.Fatalf("index %d: %d %s", i, code, resp)
		}
	}
	if refused < 0 || refused > 4 {
		t.Fatalf("8 indexes of 600 KiB under a 2 MiB cap: refused at %d, want by the 4th", refused)
	}
}

// Item 2: bytes of uploads in progress count with stored blobs: a push
// cannot take what an upload holds.
func TestUploadsInProgressCountAgainstTheStorageCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithSelfRegistryHost(), docrtest.WithStorageCap(seedStorage+1<<20))
	ic := rwCredential(t, f, "example")
	c := newRegClient(t, f.srv, ic.Username, ic.Password, pushScope("example/app"))
	loc := c.start("example/app")
	if code, body := c.do("PATCH", loc, make([]byte, 700<<10)); code != http.StatusAccepted {
		t.Fatalf("PATCH: %d %s", code, body)
	}
	blob := bytes.Repeat([]byte("m"), 600<<10)
	code, body := c.do("POST", "/v2/example/app/blobs/uploads/?digest="+sha256Of(blob), blob)
	if code != http.StatusRequestEntityTooLarge || errorCode(body) != "DENIED" {
		t.Fatalf("a 600 KiB push beside a 700 KiB upload under a 1 MiB cap: %d %s, want 413 DENIED", code, body)
	}
}

// Item 2: with a storage directory, an upload in progress is a file there,
// not memory.
func TestUploadsAreStagedInTheStorageDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := newFixture(t, docrtest.WithSelfRegistryHost(), docrtest.WithStorageDir(dir))
	ic := rwCredential(t, f, "example")
	c := newRegClient(t, f.srv, ic.Username, ic.Password, pushScope("example/app"))
	loc := c.start("example/app")
	const size = 2<<20 + 7
	if code, body := c.do("PATCH", loc, make([]byte, size)); code != http.StatusAccepted {
		t.Fatalf("PATCH: %d %s", code, body)
	}
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil && info.Size() == size {
				found = true
			}
		}
		return nil
	})
	if !found {
		t.Fatalf("no file of the upload's %d bytes under the storage directory", size)
	}
}

// Item 2: an upload can be cancelled (DELETE), which gives its bytes back.
func TestUploadsCanBeCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithSelfRegistryHost(), docrtest.WithStorageCap(seedStorage+1<<20))
	ic := rwCredential(t, f, "example")
	c := newRegClient(t, f.srv, ic.Username, ic.Password, pushScope("example/app"))
	loc := c.start("example/app")
	c.do("PATCH", loc, make([]byte, 800<<10))
	if code, body := c.do("DELETE", loc, nil); code != http.StatusNoContent {
		t.Fatalf("DELETE on the upload: %d %s, want 204", code, body)
	}
	if code, body := c.do("GET", loc, nil); code != http.StatusNotFound || errorCode(body) != "BLOB_UPLOAD_UNKNOWN" {
		t.Fatalf("the cancelled upload: %d %s", code, body)
	}
	blob := bytes.Repeat([]byte("n"), 800<<10)
	if code, body := c.do("POST", "/v2/example/app/blobs/uploads/?digest="+sha256Of(blob), blob); code != http.StatusCreated {
		t.Fatalf("a push into the room the cancellation made: %d %s", code, body)
	}
}

// Item 2: an abandoned upload expires after an hour idle (by the fake's
// clock), and another registry's pushes work again.
func TestAbandonedUploadsExpire(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "second"})
	f := newFixture(t, docrtest.WithSelfRegistryHost(), docrtest.WithSeed(seed), docrtest.WithStorageCap(seedStorage+1<<20))
	a := rwCredential(t, f, "example")
	b := rwCredential(t, f, "second")
	ca := newRegClient(t, f.srv, a.Username, a.Password, pushScope("example/app"))
	loc := ca.start("example/app")
	ca.do("PATCH", loc, make([]byte, 900<<10))
	blob := bytes.Repeat([]byte("s"), 500<<10)
	// A chunked push: start, PATCH, PUT. It returns the first failure or
	// the final status.
	push := func() int {
		cb := newRegClient(t, f.srv, b.Username, b.Password, pushScope("second/app"))
		loc := cb.start("second/app")
		if code, _ := cb.do("PATCH", loc, blob); code != http.StatusAccepted {
			cb.do("DELETE", loc, nil)
			return code
		}
		code, _ := cb.do("PUT", loc+"?digest="+sha256Of(blob), nil)
		return code
	}
	equal(t, "second's push beside the upload", push(), http.StatusRequestEntityTooLarge)
	f.clock.Advance(59 * time.Minute)
	equal(t, "after 59 minutes", push(), http.StatusRequestEntityTooLarge)
	f.clock.Advance(2 * time.Minute)
	equal(t, "after 61 minutes", push(), http.StatusCreated)
}

// Item 3: an upload belongs to the registry and repository that started
// it. Another registry's credential, through a path of its own registry,
// can neither read it (by completing it), corrupt it nor abort it.
func TestUploadBelongsToTheRegistryAndRepositoryThatStartedIt(t *testing.T) {
	t.Parallel()
	seed := docrtest.DefaultSeed()
	seed.Registries = append(seed.Registries, docrtest.SeedRegistry{Name: "second"})
	f := newFixture(t, docrtest.WithSelfRegistryHost(), docrtest.WithSeed(seed))
	a := rwCredential(t, f, "example")
	b := rwCredential(t, f, "second")
	ca := newRegClient(t, f.srv, a.Username, a.Password, pushScope("example/app"), pushScope("example/other"))
	cb := newRegClient(t, f.srv, b.Username, b.Password, pushScope("second/app"))
	loc := ca.start("example/app")
	id := loc[strings.LastIndex(loc, "/")+1:]
	secret := []byte("registry A's private layer")
	if code, body := ca.do("PATCH", loc, secret); code != http.StatusAccepted {
		t.Fatalf("PATCH: %d %s", code, body)
	}
	for _, tc := range []struct {
		who  *regClient
		path string
	}{
		{cb, "/v2/second/app/blobs/uploads/" + id},
		{ca, "/v2/example/other/blobs/uploads/" + id},
	} {
		code, body := tc.who.do("PUT", tc.path+"?digest="+sha256Of(secret), nil)
		if code != http.StatusNotFound || errorCode(body) != "BLOB_UPLOAD_UNKNOWN" {
			t.Fatalf("PUT %s: %d %s, want 404 BLOB_UPLOAD_UNKNOWN", tc.path, code, body)
		}
		for _, m := range []string{"PATCH", "DELETE"} {
			if code, body := tc.who.do(m, tc.path, []byte("junk")); code != http.StatusNotFound || errorCode(body) != "BLOB_UPLOAD_UNKNOWN" {
				t.Fatalf("%s %s: %d %s, want 404 BLOB_UPLOAD_UNKNOWN", m, tc.path, code, body)
			}
		}
	}
	if code, _ := cb.do("GET", "/v2/second/app/blobs/"+sha256Of(secret), nil); code != http.StatusNotFound {
		t.Fatalf("registry B reads A's layer: %d", code)
	}
	if code, body := ca.do("PUT", loc+"?digest="+sha256Of(secret), nil); code != http.StatusCreated {
		t.Fatalf("the owner finishes its upload: %d %s", code, body)
	}
}

// Item 4: a registry deleted and created again under the same name does
// not bring back the old registry's credentials.
func TestRecreatedRegistryDoesNotReviveCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t, docrtest.WithSelfRegistryHost())
	old := rwCredential(t, f, "example")
	d, err := f.c.RegistriesDeleteWithResponse(ctx, "example")
	check(t, err, d.HTTPResponse, 204)
	cr, err := f.c.RegistriesCreateWithResponse(ctx, gen.MultiregistryCreate{Name: "example"})
	check(t, err, cr.HTTPResponse, 201)
	c := newRegClient(t, f.srv, old.Username, old.Password, pushScope("example/app"))
	if c.err == nil {
		if code, _ := c.do("GET", "/v2/", nil); code == http.StatusOK {
			t.Fatal("the deleted registry's credential opens the new registry of its name")
		}
	}
	fresh := rwCredential(t, f, "example")
	if c := newRegClient(t, f.srv, fresh.Username, fresh.Password, pushScope("example/app")); c.err != nil {
		t.Fatalf("a credential of the new registry: %v", c.err)
	} else if code, _ := c.do("GET", "/v2/", nil); code != http.StatusOK {
		t.Fatalf("a credential of the new registry: %d", code)
	}
}
