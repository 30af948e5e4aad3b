package docrtest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// serveRevoke serves POST /v1/oauth/revoke: form token=<password>,
// "Authorization: Bearer <password>" (or the API token).
//
//   - a method other than POST: 405;
//   - a bearer token that is neither the API token nor an issued,
//     unexpired, unrevoked credential password: 401 {"id":"unauthorized"};
//   - no token in the form: 400 {"id":"bad_request"};
//   - otherwise 200 with an empty body; the credential whose password is
//     the form token is marked revoked. As RFC 7009 prescribes, a token
//     that is unknown or already revoked also gets 200.
func (s *Server) serveRevoke(c *capture, r *http.Request) {
	if r.Method != http.MethodPost {
		c.header.Set("Allow", http.MethodPost)
		writeError(c, r, http.StatusMethodNotAllowed, "method_not_allowed", "Use POST.")
		return
	}
	bt, ok := bearer(r)
	now := s.now()
	if ok && subtle.ConstantTimeCompare([]byte(bt), []byte(s.Token)) != 1 {
		s.mu.Lock()
		ok = s.validCredential(func(ic *IssuedCredential) bool { return ic.Password == bt }, now) != nil
		s.mu.Unlock()
	}
	if !ok {
		writeError(c, r, http.StatusUnauthorized, "unauthorized", "Unable to authenticate you.")
		return
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeError(c, r, http.StatusBadRequest, "bad_request", "The form could not be parsed.")
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		writeError(c, r, http.StatusBadRequest, "bad_request", "The token to revoke is missing.")
		return
	}
	s.mu.Lock()
	for i := range s.st.creds {
		ic := &s.st.creds[i]
		if ic.Password == tok && !ic.Revoked {
			ic.Revoked, ic.RevokedAt = true, now
		}
	}
	s.mu.Unlock()
	c.WriteHeader(http.StatusOK)
}

// validCredential returns the first issued credential that matches and is
// unexpired, unrevoked and for a registry that still exists. s.mu must be
// held.
func (s *Server) validCredential(match func(*IssuedCredential) bool, now time.Time) *IssuedCredential {
	for i := range s.st.creds {
		ic := &s.st.creds[i]
		if !match(ic) || ic.Revoked || (!ic.ExpiresAt.IsZero() && !now.Before(ic.ExpiresAt)) {
			continue
		}
		if s.st.registries[ic.Registry] == nil {
			continue
		}
		return ic
	}
	return nil
}

// dockerError is the error body of the Docker registry HTTP API.
type dockerError struct {
	Errors []dockerErrorItem `json:"errors"`
}

type dockerErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeDocker(c *capture, status int, v any) {
	c.header.Set("Content-Type", "application/json")
	c.header.Set("Docker-Distribution-Api-Version", "registry/2.0")
	c.WriteHeader(status)
	_ = json.NewEncoder(c).Encode(v)
}

func writeDockerError(c *capture, status int, code, msg string) {
	writeDocker(c, status, dockerError{Errors: []dockerErrorItem{{Code: code, Message: msg}}})
}

// serveDocker serves the Docker registry endpoint, with HTTP basic auth
// checked against the issued credentials:
//
//   - GET or HEAD /v2/: 200 for a valid credential;
//   - POST /v2/<registry>/<repository>/blobs/uploads/ (the start of a push):
//     202 for a read-write credential of that registry, 403 DENIED for a
//     read-only one or another registry's;
//   - GET /v2/<registry>/<repository>/tags/list (a pull): the repository's
//     tags, 403 DENIED for another registry's credential, 404 NAME_UNKNOWN;
//   - anything else: 404 UNSUPPORTED.
//
// A missing, wrong, expired or revoked credential (or one for a deleted
// registry) gets 401 with WWW-Authenticate: Basic.
func (s *Server) serveDocker(c *capture, r *http.Request) {
	user, pass, hasAuth := r.BasicAuth()
	now := s.lock()
	defer s.mu.Unlock()
	var ic *IssuedCredential
	if hasAuth {
		ic = s.validCredential(func(ic *IssuedCredential) bool {
			return subtle.ConstantTimeCompare([]byte(ic.Username), []byte(user)) == 1 &&
				subtle.ConstantTimeCompare([]byte(ic.Password), []byte(pass)) == 1
		}, now)
	}
	if ic == nil {
		c.header.Set("WWW-Authenticate", `Basic realm="`+s.regHost+`"`)
		writeDockerError(c, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/v2")
	if p == "" || p == "/" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeDockerError(c, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET or HEAD")
			return
		}
		writeDocker(c, http.StatusOK, struct{}{})
		return
	}
	name, action, ok := splitDockerPath(p)
	if !ok {
		writeDockerError(c, http.StatusNotFound, "UNSUPPORTED", "the fake serves /v2/, blob upload start and tags/list only")
		return
	}
	regName, repoName, _ := strings.Cut(name, "/")
	if regName != ic.Registry {
		writeDockerError(c, http.StatusForbidden, "DENIED", "requested access to the resource is denied")
		return
	}
	switch {
	case action == "blobs/uploads/" && r.Method == http.MethodPost:
		if !ic.ReadWrite {
			writeDockerError(c, http.StatusForbidden, "DENIED", "requested access to the resource is denied")
			return
		}
		id := s.mintUUID()
		c.header.Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
		c.header.Set("Docker-Upload-Uuid", id)
		c.header.Set("Range", "0-0")
		c.header.Set("Docker-Distribution-Api-Version", "registry/2.0")
		c.WriteHeader(http.StatusAccepted)
	case action == "tags/list" && r.Method == http.MethodGet:
		repo := s.st.registries[regName].repos[repoName]
		if repo == nil {
			writeDockerError(c, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
			return
		}
		tags := make([]string, 0, len(repo.tags))
		for t := range repo.tags {
			tags = append(tags, t)
		}
		slices.Sort(tags)
		writeDocker(c, http.StatusOK, struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		}{name, tags})
	default:
		writeDockerError(c, http.StatusNotFound, "UNSUPPORTED", "the fake serves /v2/, blob upload start and tags/list only")
	}
}

// splitDockerPath splits /<name>/blobs/uploads/ and /<name>/tags/list into
// the repository name (registry/repository, which may hold more slashes)
// and the action.
func splitDockerPath(p string) (name, action string, ok bool) {
	p = strings.TrimPrefix(p, "/")
	for _, a := range []string{"blobs/uploads/", "tags/list"} {
		if n, found := strings.CutSuffix(p, "/"+a); found && strings.Contains(n, "/") {
			return n, a, true
		}
	}
	return "", "", false
}
