package docrtest

import (
	"crypto/subtle"
	"net/http"
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
		ok = s.validCredential(func(ic *credRecord) bool { return ic.Password == bt }, now) != nil
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
		ic := &s.st.creds[i].IssuedCredential
		if ic.Password == tok && !ic.Revoked {
			ic.Revoked, ic.RevokedAt = true, now
		}
	}
	s.mu.Unlock()
	c.WriteHeader(http.StatusOK)
}
