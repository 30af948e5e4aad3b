package transport

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Origin is scheme, host and port of a URL, normalised for comparison.
type Origin struct{ scheme, host, port string }

// OriginOf returns the origin of u (the zero Origin for nil).
func OriginOf(u *url.URL) Origin {
	if u == nil {
		return Origin{}
	}
	o := Origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "http":
			o.port = "80"
		case "https":
			o.port = "443"
		}
	}
	return o
}

// String is "scheme://host:port", the port always present.
func (o Origin) String() string { return o.scheme + "://" + o.host + ":" + o.port }

// leftAPIKey marks, in a request's context, a redirect hop that comes after
// a hop to another origin. Such a request never gets the API token, even
// when it goes back to the API origin.
type leftAPIKey struct{}

// authTransport adds "Authorization: Bearer <token>" to requests for the API
// origin (scheme, host and port of the base URL) and removes any
// Authorization header from every other request, including every hop of a
// redirect chain after one that left the API origin. It also sets the
// User-Agent. Like golang.org/x/oauth2's Transport it works on a clone and
// never modifies the caller's request.
type authTransport struct {
	base      http.RoundTripper
	token     string
	api       Origin
	userAgent string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.userAgent)
	}
	if t.authorize(req) {
		r.Header.Set("Authorization", "Bearer "+t.token)
	} else {
		r.Header.Del("Authorization")
	}
	return t.base.RoundTrip(r)
}

// authorize reports whether req may carry the API token.
func (t *authTransport) authorize(req *http.Request) bool {
	if t.token == "" || OriginOf(req.URL) != t.api {
		return false
	}
	if req.Context().Value(leftAPIKey{}) != nil {
		return false
	}
	// Walk the redirect chain too (net/http links each hop to the response
	// that caused it), in case the request did not come through
	// checkRedirect.
	for resp := req.Response; resp != nil && resp.Request != nil; resp = resp.Request.Response {
		if OriginOf(resp.Request.URL) != t.api {
			return false
		}
	}
	return true
}

// uaTransport sets the User-Agent (on a clone) and nothing else.
type uaTransport struct {
	base      http.RoundTripper
	userAgent string
}

func (t *uaTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.userAgent)
	}
	return t.base.RoundTrip(r)
}

// ErrTooManyRedirects stops a redirect chain, as net/http's default policy.
var ErrTooManyRedirects = errors.New("docr: stopped after 10 redirects")

// checkRedirect returns the http.Client CheckRedirect of the API client. It
// marks a hop that follows a hop off the API origin, so that authTransport
// never sends the token on it (the CVE-2024-45336 pattern: once a chain has
// left the API host, no later hop gets the credential, not even one back on
// the API host). next is the caller's own CheckRedirect, if any.
func checkRedirect(api Origin, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return ErrTooManyRedirects
		}
		for _, v := range via {
			if OriginOf(v.URL) != api {
				*req = *req.WithContext(context.WithValue(req.Context(), leftAPIKey{}, true))
				break
			}
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// noRedirect refuses to follow redirects (used for token revocation: the
// credential in its Authorization header must not travel anywhere else).
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
