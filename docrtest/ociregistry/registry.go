package ociregistry

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Defaults of [Options].
const (
	// DefaultTokenTTL is how long an issued token lasts unless
	// [Options.TokenTTL] says otherwise. DOCR's own lifetime is not
	// documented; five minutes is common for registry tokens.
	DefaultTokenTTL = 5 * time.Minute
	// DefaultUploadTimeout is how long an upload may stay idle before it
	// expires unless [Options.UploadTimeout] says otherwise.
	DefaultUploadTimeout = time.Hour
	// DefaultMaxUploads is how many uploads may be in progress at once
	// unless [Options.MaxUploads] says otherwise.
	DefaultMaxUploads = 10_000
	// MaxManifestBytes is the largest manifest the registry takes.
	MaxManifestBytes = 4 << 20
)

// ErrStorageFull is the error a push meets once the storage cap is
// reached; the registry answers it with 413 and the code DENIED.
var ErrStorageFull = errors.New("storage cap reached")

// A Grant is what a Docker credential opens.
type Grant struct {
	// Credential identifies the credential. It goes into tokens, so it
	// must not be its secret, and it must not be reused by another
	// credential.
	Credential string
	// Namespace is the one namespace (DOCR registry name) it opens.
	Namespace string
	// ReadWrite reports whether it may push and delete.
	ReadWrite bool
}

// Accounts knows the Docker credentials a registry accepts. Its methods
// are called from request goroutines, concurrently.
type Accounts interface {
	// Authenticate returns the grant of the credential with this username
	// and password, if it exists and holds now (issued, unexpired,
	// unrevoked, its namespace present).
	Authenticate(username, password string) (Grant, bool)
	// Current returns the grant of the credential a token names, if it
	// still holds now.
	Current(credential string) (Grant, bool)
}

// Options configure a [Registry]. The zero value is an open, uncapped,
// in-memory registry.
type Options struct {
	// Accounts checks Docker credentials. Nil serves the registry open: no
	// authentication, every namespace writable (a bare engine).
	Accounts Accounts
	// Service names the registry in challenges and tokens (the registry
	// host, such as registry.digitalocean.com). It is called per request,
	// so that it can follow a listener chosen late. Nil means the
	// request's Host.
	Service func() string
	// Realm returns the URL of the token endpoint for a request. Nil
	// means <scheme>://<request host>/v2/registry/auth.
	Realm func(r *http.Request) string
	// TokenTTL is how long an issued token lasts (default
	// [DefaultTokenTTL]).
	TokenTTL time.Duration
	// TokenKey signs tokens (at least 32 bytes; default a random key).
	TokenKey []byte
	// BasicAuth makes the registry challenge with Basic and take Docker
	// credentials on every request; tokens are still accepted.
	BasicAuth bool
	// StorageDir keeps blobs and uploads in progress in files under this
	// directory (created if missing) instead of in memory.
	StorageDir string
	// StorageCap caps the bytes the registry holds: blobs, manifests,
	// tags and uploads in progress (0: no cap).
	StorageCap int64
	// CapAdvice ends the message of a 413 answer, saying how to make room.
	CapAdvice string
	// UploadTimeout is how long an upload may stay idle before it expires
	// (default [DefaultUploadTimeout]).
	UploadTimeout time.Duration
	// MaxUploads caps the uploads in progress (default
	// [DefaultMaxUploads]); a new one past it gets 429 TOOMANYREQUESTS.
	MaxUploads int
	// Now is the clock (default time.Now): token issue and expiry, upload
	// idle time and the times of content. It must be safe for concurrent
	// use.
	Now func() time.Time
	// WriteAPIError writes an error of the token endpoint (default: JSON
	// {"id", "message"}), so that it can match the API it stands beside.
	WriteAPIError func(w http.ResponseWriter, r *http.Request, status int, id, message string)
}

// Registry is an OCI distribution registry; see the package
// documentation. Its methods are safe for concurrent use.
type Registry struct {
	opts  Options
	key   []byte
	store *blobStore
	quota *quota

	// mu guards the content and the uploads. It is never held while an
	// Accounts method runs or while a request body is read.
	mu         sync.Mutex
	namespaces map[string]*namespace
	uploads    map[string]*upload
}

// New returns a Registry. It fails on an invalid option or an unusable
// storage directory.
func New(opts Options) (*Registry, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.UploadTimeout == 0 {
		opts.UploadTimeout = DefaultUploadTimeout
	}
	if opts.MaxUploads == 0 {
		opts.MaxUploads = DefaultMaxUploads
	}
	switch {
	case opts.TokenTTL < time.Second:
		return nil, errors.New("ociregistry: TokenTTL must be at least a second")
	case opts.UploadTimeout < 0:
		return nil, errors.New("ociregistry: UploadTimeout must not be negative")
	case opts.MaxUploads < 0:
		return nil, errors.New("ociregistry: MaxUploads must not be negative")
	case opts.StorageCap < 0:
		return nil, errors.New("ociregistry: StorageCap must not be negative (0: no cap)")
	case opts.TokenKey != nil && len(opts.TokenKey) < 32:
		return nil, errors.New("ociregistry: TokenKey must hold at least 32 bytes")
	}
	key := opts.TokenKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("ociregistry: token key: %w", err)
		}
	}
	q := &quota{limit: opts.StorageCap}
	store, err := newBlobStore(opts.StorageDir, q)
	if err != nil {
		return nil, err
	}
	return &Registry{
		opts:       opts,
		key:        key,
		store:      store,
		quota:      q,
		namespaces: make(map[string]*namespace),
		uploads:    make(map[string]*upload),
	}, nil
}

// Held returns the bytes the registry holds against its cap: stored blobs,
// manifests, tags and uploads in progress.
func (g *Registry) Held() int64 { return g.quota.used() }

// StorageCap returns the cap on [Registry.Held] (0: none).
func (g *Registry) StorageCap() int64 { return g.opts.StorageCap }

func (g *Registry) now() time.Time { return g.opts.Now() }

// route is a parsed request path under /v2/.
type route struct {
	kind   string // ping, catalog, blobs, uploads, manifests, tags, referrers
	ns     string // namespace
	repo   string // repository within the namespace
	target string // digest, reference or upload id
}

func (rt route) name() string { return rt.ns + "/" + rt.repo }

// Route kinds.
const (
	kindPing      = "ping"
	kindCatalog   = "catalog"
	kindBlobs     = "blobs"
	kindUploads   = "uploads"
	kindManifests = "manifests"
	kindTags      = "tags"
	kindReferrers = "referrers"
)

var (
	// nameRE is the distribution spec's grammar of repository names.
	nameRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	// tagRE is the spec's grammar of tags.
	tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// ValidName reports whether name is a repository name the registry
// serves: <namespace>/<repository> in the distribution spec's grammar.
func ValidName(name string) bool {
	ns, repo, ok := strings.Cut(name, "/")
	return ok && ns != "" && repo != "" && len(name) <= 255 && nameRE.MatchString(name)
}

// parseRoute splits a request path. ok is false for a path that names no
// endpoint of the spec.
func parseRoute(path string) (rt route, ok bool) {
	rest, found := strings.CutPrefix(path, "/v2/")
	if path == "/v2" || (found && rest == "") {
		return route{kind: kindPing}, true
	}
	if !found {
		return route{}, false
	}
	if rest == "_catalog" {
		return route{kind: kindCatalog}, true
	}
	var name string
	switch {
	case strings.HasSuffix(rest, "/tags/list"):
		name, rt.kind = strings.TrimSuffix(rest, "/tags/list"), kindTags
	case strings.HasSuffix(rest, "/blobs/uploads"), strings.HasSuffix(rest, "/blobs/uploads/"):
		name, rt.kind = rest[:strings.LastIndex(rest, "/blobs/uploads")], kindUploads
	default:
		i := strings.LastIndex(rest, "/")
		if i < 0 {
			return route{}, false
		}
		head, last := rest[:i], rest[i+1:]
		if last == "" {
			return route{}, false
		}
		rt.target = last
		switch {
		case strings.HasSuffix(head, "/blobs/uploads"):
			name, rt.kind = strings.TrimSuffix(head, "/blobs/uploads"), kindUploads
		case strings.HasSuffix(head, "/blobs"):
			name, rt.kind = strings.TrimSuffix(head, "/blobs"), kindBlobs
		case strings.HasSuffix(head, "/manifests"):
			name, rt.kind = strings.TrimSuffix(head, "/manifests"), kindManifests
		case strings.HasSuffix(head, "/referrers"):
			name, rt.kind = strings.TrimSuffix(head, "/referrers"), kindReferrers
		default:
			return route{}, false
		}
	}
	if !ValidName(name) {
		return route{}, false
	}
	rt.ns, rt.repo, _ = strings.Cut(name, "/")
	return rt, true
}

// Error codes of the distribution spec (and two of CNCF distribution's).
const (
	codeBlobUnknown         = "BLOB_UNKNOWN"
	codeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	codeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	codeDigestInvalid       = "DIGEST_INVALID"
	codeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	codeManifestInvalid     = "MANIFEST_INVALID"
	codeManifestUnknown     = "MANIFEST_UNKNOWN"
	codeNameInvalid         = "NAME_INVALID"
	codeNameUnknown         = "NAME_UNKNOWN"
	codeSizeInvalid         = "SIZE_INVALID"
	codeUnauthorized        = "UNAUTHORIZED"
	codeDenied              = "DENIED"
	codeUnsupported         = "UNSUPPORTED"
	codeTooManyRequests     = "TOOMANYREQUESTS"
	codeRangeInvalid        = "RANGE_INVALID"
	codeTagInvalid          = "TAG_INVALID"
)

// errorBody is the error body of the distribution API.
type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers a distribution error. Headers a success would have
// carried (Location, Range, digests) are dropped.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	h := w.Header()
	for _, k := range []string{"Location", "Range", "Docker-Content-Digest", "Docker-Upload-Uuid", "Content-Length", "Oci-Subject"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []errorItem{{Code: code, Message: msg}}})
}

// ServeHTTP serves the distribution API: the paths under /v2/ (see the
// package documentation). The token endpoint is [Registry.ServeToken].
func (g *Registry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		// Nothing is read from a request that names no endpoint, and it
		// learns nothing before it authenticates.
		if g.opts.Accounts != nil {
			if _, ok := g.authorize(w, r, route{kind: kindPing}, nil); !ok {
				return
			}
		}
		writeError(w, http.StatusNotFound, codeNameInvalid, "not an endpoint of the OCI distribution API, or an invalid repository name")
		return
	}
	need := neededAccess(r, rt)
	var gr *Grant
	if g.opts.Accounts != nil {
		a, ok := g.authorize(w, r, rt, need)
		if !ok {
			return
		}
		gr = &a
	}
	switch rt.kind {
	case kindPing:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, codeUnsupported, "use GET or HEAD")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte("{}\n"))
		}
	case kindCatalog:
		g.serveCatalog(w, r, gr)
	case kindBlobs:
		g.serveBlob(w, r, rt)
	case kindUploads:
		g.serveUpload(w, r, rt, gr)
	case kindManifests:
		g.serveManifest(w, r, rt)
	case kindTags:
		g.serveTags(w, r, rt)
	case kindReferrers:
		g.serveReferrers(w, r, rt)
	}
}
