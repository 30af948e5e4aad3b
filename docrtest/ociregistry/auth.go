package ociregistry

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Actions of the token specification.
const (
	actionPull   = "pull"
	actionPush   = "push"
	actionDelete = "delete"
	actionAll    = "*"
)

// access is one entry of a token's access list (the token specification's
// resource scope).
type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
	// optional marks access a challenge offers but a request does not
	// need (pull on the source of a mount).
	optional bool
}

// String renders the access as a scope: repository:<name>:<actions>.
func (a access) String() string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// allows reports whether the list holds action on the resource.
func allows(list []access, typ, name, action string) bool {
	for _, a := range list {
		if a.Type == typ && a.Name == name && (slices.Contains(a.Actions, action) || slices.Contains(a.Actions, actionAll)) {
			return true
		}
	}
	return false
}

// neededAccess is what a request needs: nil for the version check, which
// needs a valid token and nothing more.
func neededAccess(r *http.Request, rt route) []access {
	switch rt.kind {
	case kindPing:
		return nil
	case kindCatalog:
		return []access{{Type: "registry", Name: "catalog", Actions: []string{actionAll}}}
	}
	action := actionPull
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if rt.kind == kindUploads {
			action = actionPush // upload status belongs to the upload
		}
	case http.MethodDelete:
		action = actionDelete
		if rt.kind == kindUploads {
			action = actionPush
		}
	default:
		action = actionPush
	}
	a := access{Type: "repository", Name: rt.name(), Actions: []string{action}}
	if action == actionPush {
		// Clients ask for pull and push together; so does the challenge.
		a.Actions = []string{actionPull, actionPush}
	}
	need := []access{a}
	if from := r.URL.Query().Get("from"); rt.kind == kindUploads && r.Method == http.MethodPost &&
		r.URL.Query().Get("mount") != "" && from != rt.name() && ValidName(from) {
		need = append(need, access{Type: "repository", Name: from, Actions: []string{actionPull}, optional: true})
	}
	return need
}

// claims is the payload of a token: the registered claims of RFC 7519 and
// the access list of the token specification.
type claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	ExpiresAt int64    `json:"exp"`
	NotBefore int64    `json:"nbf"`
	IssuedAt  int64    `json:"iat"`
	ID        string   `json:"jti"`
	Access    []access `json:"access"`
}

const tokenIssuer = "docrtest"

// jwtHeader is the fixed header of every token: HMAC-SHA256.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// mint signs a token for c.
func (g *Registry) mint(c claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + base64.RawURLEncoding.EncodeToString(g.sign(signing)), nil
}

func (g *Registry) sign(s string) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// maxTokenBytes bounds what verify reads of a presented token.
const maxTokenBytes = 16 << 10

// verify checks a token's signature and times and returns its claims.
func (g *Registry) verify(tok string, now time.Time) (claims, bool) {
	var c claims
	if len(tok) > maxTokenBytes {
		return c, false
	}
	i := strings.LastIndexByte(tok, '.')
	// Go's base64 decoders skip \r and \n: refuse them, so that no second
	// spelling of a token verifies.
	if i < 0 || !strings.HasPrefix(tok, jwtHeader+".") || strings.ContainsAny(tok, "\r\n") {
		return c, false
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, g.sign(tok[:i])) {
		return c, false
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(tok[len(jwtHeader)+1 : i])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, false
	}
	t := now.Unix()
	if c.Issuer != tokenIssuer || t >= c.ExpiresAt || t < c.NotBefore {
		return c, false
	}
	return c, true
}

// service returns the service name for a request.
func (g *Registry) service(r *http.Request) string {
	if g.opts.Service != nil {
		return g.opts.Service()
	}
	return r.Host
}

// realm returns the token endpoint's URL for a request.
func (g *Registry) realm(r *http.Request) string {
	if g.opts.Realm != nil {
		return g.opts.Realm(r)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/v2/registry/auth"
}

// authScheme splits an Authorization value into its scheme and
// credentials (any white space between).
func authScheme(v string) (scheme, rest string) {
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		return v, ""
	}
	return v[:i], strings.TrimLeft(v[i:], " \t")
}

// authorize checks the request's token (or, with BasicAuth, its Docker
// credential) against what it needs. It answers the request itself and
// returns false if it may not proceed. Nothing of the request body has
// been read.
func (g *Registry) authorize(w http.ResponseWriter, r *http.Request, rt route, need []access) (Grant, bool) {
	scheme, cred := authScheme(r.Header.Get("Authorization"))
	failure := "" // "" (no credentials), invalid_token or insufficient_scope
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		c, ok := g.verify(cred, g.now())
		if !ok || c.Audience != g.service(r) {
			failure = "invalid_token"
			break
		}
		gr, ok := g.opts.Accounts.Current(c.Subject)
		if !ok {
			failure = "invalid_token"
			break
		}
		held := permitted(gr, c.Access)
		for _, n := range need {
			if n.optional {
				continue
			}
			for _, act := range n.Actions {
				if act == actionPull && slices.Contains(n.Actions, actionPush) {
					continue // a push needs push; pull comes with the challenge only
				}
				if !allows(held, n.Type, n.Name, act) {
					failure = "insufficient_scope"
				}
			}
		}
		if failure == "" {
			return gr, true
		}
	case g.opts.BasicAuth && strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			break
		}
		gr, ok := g.opts.Accounts.Authenticate(user, pass)
		if !ok {
			break
		}
		held := permitted(gr, need)
		for _, n := range need {
			if n.optional {
				continue
			}
			for _, act := range n.Actions {
				if act == actionPull && slices.Contains(n.Actions, actionPush) {
					continue
				}
				if !allows(held, n.Type, n.Name, act) {
					writeError(w, http.StatusForbidden, codeDenied, "requested access to the resource is denied")
					return Grant{}, false
				}
			}
		}
		return gr, true
	}
	g.challenge(w, r, need, failure)
	return Grant{}, false
}

// challenge answers 401 with the challenge for what the request needed.
func (g *Registry) challenge(w http.ResponseWriter, r *http.Request, need []access, failure string) {
	var b strings.Builder
	if g.opts.BasicAuth {
		b.WriteString(`Basic realm=` + strconv.Quote(g.service(r)))
	} else {
		b.WriteString(`Bearer realm=` + strconv.Quote(g.realm(r)) + `,service=` + strconv.Quote(g.service(r)))
		if len(need) > 0 {
			scopes := make([]string, len(need))
			for i, n := range need {
				scopes[i] = n.String()
			}
			b.WriteString(`,scope=` + strconv.Quote(strings.Join(scopes, " ")))
		}
		if failure != "" {
			b.WriteString(`,error=` + strconv.Quote(failure))
		}
	}
	w.Header().Set("WWW-Authenticate", b.String())
	msg := "authentication required"
	if failure == "insufficient_scope" {
		msg = "the token does not grant the access the request needs"
	} else if failure == "invalid_token" {
		msg = "the token is invalid or has expired"
	}
	writeError(w, http.StatusUnauthorized, codeUnauthorized, msg)
}

// permitted returns, of the access asked for, what a grant allows: pull on
// its own namespace for any credential, push and delete for a read-write
// one, and the catalog.
func permitted(gr Grant, asked []access) []access {
	var out []access
	for _, a := range asked {
		var acts []string
		switch {
		case a.Type == "registry" && a.Name == "catalog":
			if slices.Contains(a.Actions, actionAll) {
				acts = []string{actionAll}
			}
		case a.Type == "repository":
			ns, _, _ := strings.Cut(a.Name, "/")
			if ns != gr.Namespace || !ValidName(a.Name) {
				break
			}
			for _, act := range a.Actions {
				switch act {
				case actionPull:
					acts = append(acts, act)
				case actionPush, actionDelete:
					if gr.ReadWrite {
						acts = append(acts, act)
					}
				case actionAll:
					acts = append(acts, actionPull)
					if gr.ReadWrite {
						acts = append(acts, actionPush, actionDelete)
					}
				}
			}
		}
		if len(acts) > 0 {
			slices.Sort(acts)
			out = append(out, access{Type: a.Type, Name: a.Name, Actions: slices.Compact(acts)})
		}
	}
	return out
}

// maxScopes bounds the scopes one token request may ask for.
const maxScopes = 16

// parseScopes reads the scope parameters of a token request: repeated,
// space separated, each type:name:actions (a resource class in the type,
// as in repository(plugin), is ignored).
func parseScopes(values []string) ([]access, bool) {
	var out []access
	for _, v := range values {
		for _, s := range strings.Fields(v) {
			i, j := strings.IndexByte(s, ':'), strings.LastIndexByte(s, ':')
			if i <= 0 || j <= i {
				return nil, false
			}
			typ, name, acts := s[:i], s[i+1:j], s[j+1:]
			if k := strings.IndexByte(typ, '('); k > 0 && strings.HasSuffix(typ, ")") {
				typ = typ[:k]
			}
			a := access{Type: typ, Name: name}
			for act := range strings.SplitSeq(acts, ",") {
				if act != "" {
					a.Actions = append(a.Actions, act)
				}
			}
			out = append(out, a)
			if len(out) > maxScopes {
				return nil, false
			}
		}
	}
	return out, true
}

// tokenResponse is the token endpoint's answer, as the token specification
// defines it.
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// maxTokenForm bounds the body of a POST to the token endpoint.
const maxTokenForm = 16 << 10

// ServeToken serves the token endpoint (DOCR's /v2/registry/auth): GET
// with the Docker credential as Basic auth, or POST with the OAuth2 form
// grant_type=password&username=&password=, and the scopes asked for. See
// the package documentation.
func (g *Registry) ServeToken(w http.ResponseWriter, r *http.Request) {
	apiError := g.opts.WriteAPIError
	if apiError == nil {
		apiError = func(w http.ResponseWriter, _ *http.Request, status int, id, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "message": msg})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if g.opts.Accounts == nil {
		apiError(w, r, http.StatusNotFound, "not_found", "This registry is open; it issues no tokens.")
		return
	}
	q := r.URL.Query()
	user, pass, ok := r.BasicAuth()
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "password" {
			apiError(w, r, http.StatusBadRequest, "bad_request", "Send grant_type=password with username and password, or use GET with basic auth.")
			return
		}
		user, pass, ok = r.PostForm.Get("username"), r.PostForm.Get("password"), true
		for k, vs := range r.PostForm {
			if k == "scope" || k == "service" {
				q[k] = append(q[k], vs...)
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		apiError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "Use GET or POST.")
		return
	}
	var gr Grant
	if ok {
		gr, ok = g.opts.Accounts.Authenticate(user, pass)
	}
	if !ok {
		apiError(w, r, http.StatusUnauthorized, "unauthorized", "Unable to authenticate you.")
		return
	}
	if svc := q.Get("service"); svc != "" && svc != g.service(r) {
		apiError(w, r, http.StatusBadRequest, "bad_request", "Unknown service "+strconv.Quote(svc)+".")
		return
	}
	asked, ok := parseScopes(q["scope"])
	if !ok {
		apiError(w, r, http.StatusBadRequest, "bad_request", "A scope is malformed, or there are more than "+strconv.Itoa(maxScopes)+".")
		return
	}
	granted := permitted(gr, asked)
	if granted == nil {
		granted = []access{}
	}
	if len(asked) > 0 && len(granted) == 0 {
		apiError(w, r, http.StatusUnauthorized, "unauthorized", "The credential grants none of the requested access.")
		return
	}
	now := g.now()
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	tok, err := g.mint(claims{
		Issuer:    tokenIssuer,
		Subject:   gr.Credential,
		Audience:  g.service(r),
		ExpiresAt: now.Add(g.opts.TokenTTL).Unix(),
		NotBefore: now.Unix(),
		IssuedAt:  now.Unix(),
		ID:        hex.EncodeToString(jti),
		Access:    granted,
	})
	if err != nil {
		apiError(w, r, http.StatusInternalServerError, "server_error", "Server was unable to give you a response.")
		return
	}
	var body bytes.Buffer
	_ = json.NewEncoder(&body).Encode(tokenResponse{
		Token:       tok,
		AccessToken: tok,
		ExpiresIn:   int(g.opts.TokenTTL / time.Second),
		IssuedAt:    now.UTC().Format(time.RFC3339),
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body.Bytes())
}

// Scopes returns the scopes a token grants, as repository:<name>:<actions>
// strings, or false if it is not a valid token of this registry now. It is
// for tests and tools that inspect tokens; it does not consult Accounts.
func (g *Registry) Scopes(token string) ([]string, bool) {
	c, ok := g.verify(token, g.now())
	if !ok {
		return nil, false
	}
	out := make([]string, len(c.Access))
	for i, a := range c.Access {
		out[i] = a.String()
	}
	return out, true
}
