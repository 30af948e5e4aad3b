package docrtest

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docr-dev/docr/docrtest/internal/server"
	"github.com/docr-dev/docr/docrtest/ociregistry"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/gen"
	"github.com/getkin/kin-openapi/routers"
)

// Server is a fake DigitalOcean registry API. Create one with [NewServer] in
// a Go test, [Start] for a standalone process, or [New] to serve its
// [Server.Handler] yourself. All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the API, such as http://127.0.0.1:41234
	// (empty for a Server made by New). Point clients' API endpoint at it.
	URL string
	// Token is a full-access API token the fake accepts as
	// "Authorization: Bearer <Token>".
	Token string

	cfg    config
	eng    *ociregistry.Registry
	spec   *specIndex
	api    http.Handler
	report func(Violation)
	log    *slog.Logger

	mu         sync.Mutex
	st         *state
	rng        *rand.Rand // tokens, passwords, UUIDs
	ridRng     *rand.Rand // request IDs, apart so that they don't shift the above
	regHost    string
	requests   []*RecordedRequest
	logBytes   int64 // what the kept requests hold, by recordSize
	keep       int   // how many requests to keep; 0: all
	violations []Violation
	faults     []*pendingFault
	rlStart    time.Time
	rlCount    int

	closing   chan struct{}
	closeOnce sync.Once
	ts        *httptest.Server
	alt       *httptest.Server
	altURL    string
}

// IssuedCredential is a Docker credential the fake issued, as
// [Server.Credentials] reports it.
type IssuedCredential struct {
	// Operation is the operationId that issued it.
	Operation string
	// Registry is the name of the registry it grants access to.
	Registry string
	// Host is the auths key the response named.
	Host string
	// ReadWrite reports whether it may push.
	ReadWrite bool
	// ExpirySeconds is the lifetime asked for (0: never expires).
	ExpirySeconds int
	// IssuedAt is when it was issued, by the fake's clock.
	IssuedAt time.Time
	// ExpiresAt is IssuedAt plus ExpirySeconds (zero if it never expires).
	ExpiresAt time.Time
	// Revoked reports whether POST /v1/oauth/revoke revoked it.
	Revoked bool
	// RevokedAt is when it was revoked.
	RevokedAt time.Time
	// Username and Password are what base64("<username>:<password>")
	// encodes.
	Username, Password string
}

// credRecord is an issued credential as the fake keeps it: with its number
// (tokens name it) and the incarnation of the registry it was issued for.
type credRecord struct {
	IssuedCredential
	id, incarnation uint64
}

// RecordedRequest is one request the fake received, as [Server.Requests]
// reports it.
type RecordedRequest struct {
	// Time is when it arrived, by the fake's clock.
	Time time.Time
	// Method, Host, Path (escaped, as sent) and RawQuery of the request,
	// each cut to 4 KiB; in RawQuery the values of parameters whose names
	// suggest a secret (token, password, secret, key, signature, auth,
	// credential) are "REDACTED".
	Method, Host, Path, RawQuery string
	// Header holds the request headers. Authorization and
	// Proxy-Authorization keep only their scheme ("Bearer REDACTED",
	// "Basic REDACTED"; "REDACTED" for a value without one); Cookie,
	// X-Registry-Auth, X-Auth-Token and X-Api-Key are "REDACTED". A value
	// longer than 1 KiB is cut, and at most 64 fields are kept.
	Header http.Header
	// Body is the request body of spec operations that passed
	// authentication, at most 64 KiB of it (nil for refused calls and for
	// the revoke, token and registry endpoints, whose bodies may hold
	// secrets).
	Body []byte
	// Operation is the upstream operationId ("registries_list"),
	// OpOAuthRevoke, OpRegistryAuth, OpDockerRegistry, or "" if no
	// operation matched.
	Operation string
	// Status is the status code of the response (0 if the connection was
	// dropped before one was sent).
	Status int
	// RequestID is the x-request-id the fake sent back.
	RequestID string
}

// New returns a Server that does not listen: serve [Server.Handler]
// yourself. Its violations are logged (see [WithLogger]).
func New(opts ...Option) (*Server, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.selfHost {
		return nil, errors.New("docrtest: WithSelfRegistryHost needs a listening server (NewServer or Start)")
	}
	return newServer(cfg, nil)
}

// TB is the part of testing.TB that [NewServer] uses. *testing.T,
// *testing.B and *testing.F satisfy it; docrtest takes this interface
// rather than importing package testing, so that a program linking the
// fake (such as "docr fake-api") does not link the test framework.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// NewServer starts a fake on 127.0.0.1 for the test t and shuts it down
// when the test ends. A spec violation fails the test with t.Errorf (see
// [AllowInvalidRequests] and [WithViolationHandler]); invalid options fail
// it with t.Fatalf.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	cfg, err := buildConfig(opts)
	if err != nil {
		t.Fatalf("docrtest.NewServer: %v", err)
	}
	report := func(v Violation) {
		if v.Kind == RequestViolation && cfg.allowInvalid {
			t.Logf("%s (allowed)", v)
			return
		}
		t.Errorf("%s", v)
	}
	s, err := newServer(cfg, report)
	if err != nil {
		t.Fatalf("docrtest.NewServer: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("docrtest.NewServer: %v", err)
	}
	s.listen(l)
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake listening on addr (such as "127.0.0.1:0") for a
// standalone process; [Server.Close] stops it. Violations are logged (see
// [WithLogger]).
func Start(addr string, opts ...Option) (*Server, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	s, err := newServer(cfg, nil)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("docrtest: %w", err)
	}
	s.listen(l)
	return s, nil
}

// MaxHeaderBytes bounds the header block of a request to a listening fake
// ([NewServer], [Start], [Serve]); a larger one gets 431 before the fake
// sees it, as registries and APIs behind a front end answer.
const MaxHeaderBytes = 64 << 10

// ServeMemoryHeadroom is what [Serve] allows the process beyond the storage
// cap when it sets the Go memory limit.
const ServeMemoryHeadroom = 64 << 20

// Serve runs a fake on addr until ctx is done, for a command such as
// "docr fake-api". Unless GOMEMLIMIT is set, it sets the process's Go
// memory limit (runtime/debug.SetMemoryLimit) to the storage cap plus
// [ServeMemoryHeadroom], so that the heap stays near the content held. Once
// it listens it writes to out, one per line, DIGITALOCEAN_API_URL=<URL>,
// DIGITALOCEAN_TOKEN=<token>, DOCR_REGISTRY_HOST=<auths key of issued
// credentials> and DOCR_REVOKE_URL=<URL>/v1/oauth/revoke, a form a shell can
// eval. It returns nil after a clean shutdown.
func Serve(ctx context.Context, addr string, out io.Writer, opts ...Option) error {
	s, err := Start(addr, opts...)
	if err != nil {
		return err
	}
	defer s.Close()
	if c := s.eng.StorageCap(); c > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// The process is the fake's: let the garbage collector keep the
		// heap near what the registry holds, not twice that.
		debug.SetMemoryLimit(c + ServeMemoryHeadroom)
	}
	if _, err := fmt.Fprintf(out, "%s=%s\n%s=%s\n%s=%s\n%s=%s/v1/oauth/revoke\n",
		facade.EnvAPIURL, s.URL, facade.EnvToken, s.Token, facade.EnvRegistryHost, s.RegistryHost(), facade.EnvRevokeURL, s.URL); err != nil {
		return fmt.Errorf("docrtest: %w", err)
	}
	<-ctx.Done()
	return nil
}

func buildConfig(opts []Option) (config, error) {
	cfg := config{
		now:          time.Now,
		registryHost: DefaultRegistryHost,
		rateLimit:    5000,
		rateWindow:   time.Hour,
		logBytes:     DefaultRequestLogBytes,
	}
	for _, o := range opts {
		if o == nil {
			return cfg, errors.New("docrtest: nil Option")
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func newServer(cfg config, report func(Violation)) (*Server, error) {
	spec, err := loadSpec()
	if err != nil {
		return nil, err
	}
	var seed1, seed2 uint64
	if cfg.randSeed != nil {
		seed1, seed2 = *cfg.randSeed, *cfg.randSeed^0x9e3779b97f4a7c15
	} else {
		var b [16]byte
		_, _ = crand.Read(b[:])
		seed1, seed2 = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	}
	s := &Server{
		cfg:     cfg,
		spec:    spec,
		rng:     rand.New(rand.NewPCG(seed1, seed2)),
		ridRng:  rand.New(rand.NewPCG(seed2, seed1)),
		regHost: cfg.registryHost,
		closing: make(chan struct{}),
		log:     cfg.logger,
	}
	var key []byte
	if cfg.randSeed != nil {
		// Deterministic, from a source of its own, so that it does not
		// shift the tokens and ids minted from s.rng.
		kr := rand.New(rand.NewPCG(seed1^0x6b65792d746f6b65, seed2))
		key = make([]byte, 32)
		for i := range key {
			key[i] = byte(kr.Uint32())
		}
	}
	if s.eng, err = s.newEngine(cfg, key); err != nil {
		return nil, err
	}
	seed := DefaultSeed()
	if cfg.seed != nil {
		seed = *cfg.seed
	}
	if s.st, err = buildState(seed, s.mintUUID, s.eng); err != nil {
		return nil, err
	}
	s.Token = cfg.token
	if s.Token == "" {
		s.Token = "dop_v1_" + s.mintHex(32)
	}
	if _, clash := cfg.scoped[s.Token]; clash {
		return nil, errors.New("docrtest: a scoped token equals the full-access token")
	}
	if cfg.requestLog > 0 {
		s.keep = cfg.requestLog
	}
	if report == nil {
		// A standalone fake: log by default and keep memory bounded.
		if s.keep == 0 {
			s.keep = DefaultRequestLog
		}
		if s.log == nil {
			s.log = slog.Default()
		}
	}
	switch {
	case cfg.onViolation != nil:
		s.report = cfg.onViolation
	case report != nil:
		s.report = report
	default:
		s.report = func(v Violation) {
			s.log.Warn("docrtest: spec violation", "kind", string(v.Kind), "operation", v.Operation,
				"method", v.Method, "path", v.Path, "rule", v.Rule)
		}
	}
	strict := server.NewStrictHandlerWithOptions(&api{s: s}, cfg.strictMiddlewares, server.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, http.StatusBadRequest, "bad_request", "The request body could not be decoded.")
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			var ae *apiError
			if errors.As(err, &ae) {
				writeError(w, r, ae.status, ae.id, ae.msg)
				return
			}
			writeError(w, r, http.StatusInternalServerError, "server_error", "Server was unable to give you a response.")
		},
	})
	s.api = server.HandlerWithOptions(strict, server.StdHTTPServerOptions{
		BaseRouter: http.NewServeMux(),
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, http.StatusBadRequest, "bad_request", "A parameter could not be decoded.")
		},
	})
	return s, nil
}

// listen serves the fake on l.
func (s *Server) listen(l net.Listener) {
	ts := httptest.NewUnstartedServer(s)
	_ = ts.Listener.Close()
	ts.Listener = l
	ts.Config.ReadHeaderTimeout = 30 * time.Second
	ts.Config.MaxHeaderBytes = MaxHeaderBytes
	ts.Start()
	s.ts = ts
	host, port, _ := net.SplitHostPort(l.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.URL = "http://" + net.JoinHostPort(host, port)
	if s.cfg.selfHost {
		s.mu.Lock()
		s.regHost = net.JoinHostPort(host, port)
		s.mu.Unlock()
	}
}

// Close stops the fake (and the second host that redirect faults point
// at), waiting for the requests in progress. It may be called more than
// once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		if s.ts != nil {
			s.ts.Close()
		}
		s.mu.Lock()
		alt := s.alt
		s.mu.Unlock()
		if alt != nil {
			alt.Close()
		}
	})
}

// Handler returns the fake as an http.Handler: the registry API under
// /v2/registry and /v2/registries, POST /v1/oauth/revoke, and the Docker
// registry endpoint under /v2/.
func (s *Server) Handler() http.Handler { return s }

// RegistryHost returns the auths key of the Docker credentials the fake
// issues.
func (s *Server) RegistryHost() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.regHost
}

// Credentials returns a copy of every Docker credential issued so far,
// oldest first.
func (s *Server) Credentials() []IssuedCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]IssuedCredential, len(s.st.creds))
	for i, c := range s.st.creds {
		out[i] = c.IssuedCredential
	}
	return out
}

// Requests returns a copy of every request received so far, in order of
// arrival, within two bounds: the count (a Server made by New or Start
// keeps the latest [DefaultRequestLog] only; see [WithRequestLog]) and the
// bytes the log holds ([DefaultRequestLogBytes]; see
// [WithRequestLogBytes]), so that a long-running fake does not grow
// without bound. The oldest requests go first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := s.requests
	out := make([]RecordedRequest, len(reqs))
	for i, r := range reqs {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = bytes.Clone(r.Body)
	}
	return out
}

// Violations returns every spec violation seen so far, whether or not it
// failed the test (a Server made by New or Start keeps as many as it keeps
// requests).
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.violations
	if s.keep > 0 && len(vs) > s.keep {
		vs = vs[len(vs)-s.keep:]
	}
	return slices.Clone(vs)
}

func (s *Server) now() time.Time { return s.cfg.now() }

// mintHex returns n random bytes as hex. s.mu must be held, or s not yet
// shared.
func (s *Server) mintHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return hex.EncodeToString(b)
}

// mintUUID returns a random (version 4) UUID. s.mu must be held, or s not
// yet shared.
func (s *Server) mintUUID() string { return uuidFrom(s.rng) }

func uuidFrom(r *rand.Rand) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

type ctxKey struct{}

// reqInfo travels in the request context to the operation handlers.
type reqInfo struct {
	id   string
	base string // scheme://host of the request, for page links
	path string // escaped request path
}

func infoFrom(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type endpoint int

const (
	endpointNone endpoint = iota
	endpointAPI
	endpointRevoke
	endpointToken
	endpointDocker
)

// classify decides which part of the fake serves a path. The token
// endpoint is /v2/registry/auth; the API owns the rest of /v2/registry and
// /v2/registries and everything under them; the Docker registry endpoint
// owns the rest of /v2/.
func classify(p string) endpoint {
	switch {
	case p == "/v1/oauth/revoke":
		return endpointRevoke
	case p == TokenPath:
		return endpointToken
	case p == "/v2/registry", p == "/v2/registries",
		strings.HasPrefix(p, "/v2/registry/"), strings.HasPrefix(p, "/v2/registries/"):
		return endpointAPI
	case p == "/v2" || strings.HasPrefix(p, "/v2/"):
		return endpointDocker
	}
	return endpointNone
}

// maxBody caps the request bodies the fake reads.
const maxBody = 1 << 20

// ServeHTTP implements http.Handler; see [Server.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	s.mu.Lock()
	rid := uuidFrom(s.ridRng)
	s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Request-Id", rid)
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	ri := &reqInfo{id: rid, base: scheme + r.Host, path: r.URL.EscapedPath()}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))

	kind := classify(r.URL.Path)
	var (
		op       string
		route    *routers.Route
		params   map[string]string
		routeErr error
		body     []byte
	)
	switch kind {
	case endpointAPI:
		route, params, routeErr = s.spec.find(r)
		if route != nil {
			op, _ = canonicalOp(route.Operation.OperationID)
			// Only a call that authenticates has its body read (and
			// recorded): a refused one costs nothing that stays.
			if status, _, _ := s.authorize(r, op, route); status == 0 {
				var err error
				body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
				if err != nil {
					return // the client went away
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
		}
	case endpointRevoke:
		op = OpOAuthRevoke
	case endpointToken:
		op = OpRegistryAuth
	case endpointDocker:
		op = OpDockerRegistry
	}
	rec := s.record(r, op, rid, body)

	switch kind {
	case endpointAPI:
		s.serveAPI(sw, r, op, route, params, routeErr, body)
	case endpointRevoke:
		s.peekRate(sw.Header())
		s.serveWithFaults(sw, r, op, s.serveRevoke)
	case endpointToken:
		s.peekRate(sw.Header())
		s.serveToken(sw, r, op)
	case endpointDocker:
		s.peekRate(sw.Header())
		s.serveRegistry(sw, r, op)
	default:
		s.peekRate(sw.Header())
		writeError(sw, r, http.StatusNotFound, "not_found", "The resource you were accessing could not be found.")
	}

	s.mu.Lock()
	rec.Status = sw.status
	s.mu.Unlock()
	if s.log != nil {
		s.log.Info("docrtest: request", "method", r.Method, "host", r.Host, "path", r.URL.EscapedPath(),
			"operation", op, "status", sw.status, "duration", time.Since(started))
	}
}

func (s *Server) record(r *http.Request, op, rid string, body []byte) *RecordedRequest {
	rec := &RecordedRequest{
		Time:      s.now(),
		Method:    cut(r.Method, maxLoggedField),
		Host:      cut(r.Host, maxLoggedField),
		Path:      cut(r.URL.EscapedPath(), maxLoggedField),
		RawQuery:  cut(redactQuery(r.URL.RawQuery), maxLoggedField),
		Header:    loggedHeader(r.Header),
		Operation: op,
		RequestID: rid,
	}
	if len(body) > 0 {
		rec.Body = bytes.Clone(body[:min(len(body), maxLoggedBody)])
	}
	size := recordSize(rec)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
	s.logBytes += size
	for len(s.requests) > 1 && ((s.keep > 0 && len(s.requests) > s.keep) || s.logBytes > s.cfg.logBytes) {
		s.logBytes -= recordSize(s.requests[0])
		s.requests[0] = nil
		s.requests = s.requests[1:]
	}
	if cap(s.requests) > 2*len(s.requests)+64 {
		s.requests = slices.Clone(s.requests)
	}
	return rec
}

// Bounds of one entry of the request log.
const (
	maxLoggedField  = 4 << 10  // method, host, path, query
	maxLoggedValue  = 1 << 10  // one header value
	maxLoggedFields = 64       // header fields
	maxLoggedBody   = 64 << 10 // an API call's body
)

// cut shortens s to n bytes, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(cut)"
}

// recordSize estimates the bytes an entry of the request log holds.
func recordSize(rec *RecordedRequest) int64 {
	n := 256 + len(rec.Method) + len(rec.Host) + len(rec.Path) + len(rec.RawQuery) + len(rec.Body) + len(rec.RequestID)
	for k, vs := range rec.Header {
		n += len(k) + 32
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return int64(n)
}

// redactedHeaders are replaced whole in the request log.
var redactedHeaders = []string{"Cookie", "X-Registry-Auth", "X-Auth-Token", "X-Api-Key"}

// loggedHeader copies the headers the log keeps: secrets redacted, values
// and the number of fields bounded.
func loggedHeader(in http.Header) http.Header {
	out := make(http.Header, min(len(in), maxLoggedFields))
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if len(out) == maxLoggedFields {
			break
		}
		vs := in[k]
		kept := make([]string, 0, min(len(vs), 4))
		for _, v := range vs[:min(len(vs), 4)] {
			switch {
			case k == "Authorization" || k == "Proxy-Authorization":
				v = redactAuth(v)
			case slices.Contains(redactedHeaders, k):
				v = "REDACTED"
			}
			kept = append(kept, cut(v, maxLoggedValue))
		}
		out[cut(k, 128)] = kept
	}
	return out
}

// redactAuth keeps only the scheme of an Authorization value: a scheme is
// a word of letters followed by white space. Anything else is all secret.
func redactAuth(v string) string {
	i := strings.IndexAny(v, " \t")
	if i <= 0 || i > 32 {
		return "REDACTED"
	}
	for _, c := range v[:i] {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && c != '-' {
			return "REDACTED"
		}
	}
	return v[:i] + " REDACTED"
}

// secretParams are words that, in a query parameter's name, make its value
// a secret for the request log.
var secretParams = []string{"token", "password", "passwd", "secret", "key", "signature", "sig", "auth", "credential"}

// redactQuery replaces the values of query parameters whose names suggest
// a secret. The API's page_token holds a position, not a secret.
func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		name = strings.ToLower(name)
		if !hasValue || name == "page_token" {
			continue
		}
		for _, w := range secretParams {
			if strings.Contains(name, w) {
				parts[i] = k + "=REDACTED"
				break
			}
		}
	}
	return strings.Join(parts, "&")
}

// serveAPI serves one call of the registry API: route, authenticate, count
// against the rate limit, validate the request, apply faults, run the
// generated strict handler and validate its response.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, op string, route *routers.Route,
	params map[string]string, routeErr error, body []byte) {
	if route == nil {
		s.peekRate(w.Header())
		status, id, msg := http.StatusNotFound, "not_found", "The resource you were accessing could not be found."
		var re *routers.RouteError
		if errors.As(routeErr, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
			status, id, msg = http.StatusMethodNotAllowed, "method_not_allowed", "The method is not allowed for this resource."
		}
		s.violate(Violation{Kind: RequestViolation, Method: r.Method, Path: r.URL.EscapedPath(),
			Rule: "no operation of the spec matches " + r.Method + " " + r.URL.EscapedPath()})
		writeError(w, r, status, id, msg)
		return
	}
	if status, id, msg := s.authorize(r, op, route); status != 0 {
		s.peekRate(w.Header())
		writeError(w, r, status, id, msg)
		return
	}
	if !s.countCall(w.Header()) {
		writeError(w, r, http.StatusTooManyRequests, "too_many_requests", "API Rate limit exceeded.")
		return
	}
	if len(body) > maxBody {
		s.violate(Violation{Kind: RequestViolation, Operation: op, Method: r.Method, Path: r.URL.EscapedPath(),
			Rule: "request body exceeds 1 MiB"})
		writeError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", "The request body is too large.")
		return
	}
	reqInput, err := s.spec.validateRequest(r, body, route, params)
	if err != nil {
		rule := describe(err)
		s.violate(Violation{Kind: RequestViolation, Operation: op, Method: r.Method, Path: r.URL.EscapedPath(), Rule: rule})
		writeError(w, r, http.StatusBadRequest, "bad_request", rule)
		return
	}
	s.serveWithFaults(w, r, op, func(c *capture, r *http.Request) {
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.api.ServeHTTP(c, r)
		if err := s.spec.validateResponse(reqInput, c); err != nil {
			s.violate(Violation{Kind: ResponseViolation, Operation: op, Method: r.Method, Path: r.URL.EscapedPath(), Rule: describe(err)})
			c.reset()
			writeError(c, r, http.StatusInternalServerError, "server_error",
				"The fake produced a response that violates the spec; see the test log.")
		}
	})
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// authorize checks the API token and its scopes. It returns a zero status
// if the call may proceed.
func (s *Server) authorize(r *http.Request, op string, route *routers.Route) (int, string, string) {
	tok, ok := bearer(r)
	if !ok {
		return http.StatusUnauthorized, "unauthorized", "Unable to authenticate you."
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.Token)) == 1 {
		return 0, "", ""
	}
	scopes, ok := s.cfg.scoped[tok]
	if !ok {
		return http.StatusUnauthorized, "unauthorized", "Unable to authenticate you."
	}
	var need []string
	if strings.HasSuffix(op, "_get_dockerCredentials") {
		need = []string{ScopeRead}
		if rw, _ := strconv.ParseBool(r.URL.Query().Get("read_write")); rw {
			need = append(need, ScopeUpdate)
		}
	} else if sec := route.Operation.Security; sec != nil && len(*sec) > 0 {
		need = (*sec)[0]["bearer_auth"]
	}
	for _, sc := range need {
		if !slices.Contains(scopes, sc) {
			return http.StatusForbidden, "forbidden", "You are not authorized to perform this operation."
		}
	}
	return 0, "", ""
}

// rateWindow returns the start of the current rate-limit window, opening a
// new one if the last has ended. s.mu must be held.
func (s *Server) rateWindow(now time.Time) (start time.Time) {
	if s.rlStart.IsZero() || !now.Before(s.rlStart.Add(s.cfg.rateWindow)) {
		s.rlStart, s.rlCount = now, 0
	}
	return s.rlStart
}

func (s *Server) setRateHeaders(h http.Header, remaining int, reset time.Time) {
	h.Set("Ratelimit-Limit", strconv.Itoa(s.cfg.rateLimit))
	h.Set("Ratelimit-Remaining", strconv.Itoa(remaining))
	h.Set("Ratelimit-Reset", strconv.FormatInt(ceilUnix(reset), 10))
}

func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.Nanosecond() > 0 {
		u++
	}
	return u
}

// countCall counts an API call against the rate limit and sets the
// rate-limit headers. It reports false if the window is used up.
func (s *Server) countCall(h http.Header) bool {
	if s.cfg.rateLimit == 0 {
		return true
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	start := s.rateWindow(now)
	ok := s.rlCount < s.cfg.rateLimit
	if ok {
		s.rlCount++
	}
	s.setRateHeaders(h, s.cfg.rateLimit-s.rlCount, start.Add(s.cfg.rateWindow))
	return ok
}

// peekRate sets the rate-limit headers without counting a call.
func (s *Server) peekRate(h http.Header) {
	if s.cfg.rateLimit == 0 {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	start := s.rateWindow(now)
	s.setRateHeaders(h, s.cfg.rateLimit-s.rlCount, start.Add(s.cfg.rateWindow))
}

// apiError is an error response of the API.
type apiError struct {
	status  int
	id, msg string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.id, e.msg) }

func errNotFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, id: "not_found", msg: msg}
}

func errConflict(msg string) *apiError {
	return &apiError{status: http.StatusConflict, id: "conflict", msg: msg}
}

func errBadRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, id: "bad_request", msg: msg}
}

func errPrecondition(msg string) *apiError {
	return &apiError{status: http.StatusPreconditionFailed, id: "precondition_failed", msg: msg}
}

// writeError writes the API's error body {id, message, request_id}.
func writeError(w http.ResponseWriter, r *http.Request, status int, id, msg string) {
	rid := infoFrom(r.Context()).id
	e := gen.Error{Id: id, Message: msg}
	if rid != "" {
		e.RequestId = &rid
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageURL returns a URL of the listing a request asked for, with the
// given query, for its page links.
func pageURL(ri *reqInfo, q url.Values) string {
	return ri.base + ri.path + "?" + q.Encode()
}
