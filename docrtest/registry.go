package docrtest

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

// The registry side of the fake: the OCI distribution registry of package
// ociregistry (engine, token gate, token endpoint, blob store), one
// namespace per registry of the account, behind the fake's request log and
// faults. The fake is its Accounts: the Docker credentials the API issued.

// accounts lets the registry check the Docker credentials the fake issued.
type accounts struct{ s *Server }

var _ ociregistry.Accounts = accounts{}

func grantOf(ic *credRecord) ociregistry.Grant {
	return ociregistry.Grant{Credential: strconv.FormatUint(ic.id, 10), Namespace: ic.Registry, ReadWrite: ic.ReadWrite}
}

// Authenticate implements ociregistry.Accounts.
func (a accounts) Authenticate(user, pass string) (ociregistry.Grant, bool) {
	s := a.s
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ic := s.validCredential(func(ic *credRecord) bool {
		return subtle.ConstantTimeCompare([]byte(ic.Username), []byte(user)) == 1 &&
			subtle.ConstantTimeCompare([]byte(ic.Password), []byte(pass)) == 1
	}, now)
	if ic == nil {
		return ociregistry.Grant{}, false
	}
	return grantOf(ic), true
}

// Current implements ociregistry.Accounts.
func (a accounts) Current(id string) (ociregistry.Grant, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return ociregistry.Grant{}, false
	}
	s := a.s
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ic := s.validCredential(func(ic *credRecord) bool { return ic.id == n }, now)
	if ic == nil {
		return ociregistry.Grant{}, false
	}
	return grantOf(ic), true
}

// newEngine makes the fake's registry engine.
// key signs tokens (nil: a random key).
func (s *Server) newEngine(cfg config, key []byte) (*ociregistry.Registry, error) {
	capBytes := cfg.storageCap
	if capBytes == 0 && cfg.storageDir == "" {
		capBytes = DefaultStorageCap
	}
	if capBytes < 0 {
		capBytes = 0
	}
	return ociregistry.New(ociregistry.Options{
		Accounts: accounts{s},
		Service:  s.RegistryHost,
		Realm: func(r *http.Request) string {
			if s.URL != "" {
				return s.URL + TokenPath
			}
			scheme := "http://"
			if r.TLS != nil {
				scheme = "https://"
			}
			return scheme + r.Host + TokenPath
		},
		TokenTTL:      cfg.tokenTTL,
		TokenKey:      key,
		BasicAuth:     cfg.basicAuth,
		StorageDir:    cfg.storageDir,
		StorageCap:    capBytes,
		CapAdvice:     "raise it with docrtest.WithStorageCap (docr fake-api --storage-cap) or garbage-collect",
		UploadTimeout: cfg.uploadTimeout,
		Now:           cfg.now,
		WriteAPIError: writeError,
	})
}

// TokenPath is the path of the fake's token endpoint, as DOCR's realm
// https://api.digitalocean.com/v2/registry/auth names it.
const TokenPath = "/v2/registry/auth"

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
		s.serveWithFaults(w, r, op, func(c *capture, r *http.Request) { s.eng.ServeHTTP(c, r) })
		return
	}
	s.eng.ServeHTTP(w, r)
}

// serveToken serves the token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, op string) {
	s.serveWithFaults(w, r, op, func(c *capture, r *http.Request) { s.eng.ServeToken(c, r) })
}

// validCredential returns the first issued credential that matches and is
// unexpired, unrevoked and for the registry it was issued for: one that
// still exists, not a later one of the same name. s.mu must be held.
func (s *Server) validCredential(match func(*credRecord) bool, now time.Time) *credRecord {
	for i := range s.st.creds {
		ic := &s.st.creds[i]
		if !match(ic) || ic.Revoked || (!ic.ExpiresAt.IsZero() && !now.Before(ic.ExpiresAt)) {
			continue
		}
		if reg := s.st.registries[ic.Registry]; reg == nil || reg.incarnation != ic.incarnation {
			continue
		}
		return ic
	}
	return nil
}

// DefaultStorageCap is how many bytes the registry holds in memory unless
// [WithStorageCap] says otherwise.
const DefaultStorageCap = 1 << 30

// ErrStorageFull is the error a push meets once the fake's storage cap is
// reached; the registry answers it with 413 and the code DENIED.
var ErrStorageFull = ociregistry.ErrStorageFull
