package transport

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Settings are what a facade.Client's options say about HTTP.
type Settings struct {
	BaseURL    *url.URL
	HTTPClient *http.Client      // WithHTTPClient's; never modified
	Transport  http.RoundTripper // WithTransport's; wins over HTTPClient.Transport
	UserAgent  string
	Timeout    time.Duration
	TimeoutSet bool // WithTimeout was given: it wins over HTTPClient.Timeout
	Retry      RetryPolicy
	Clock      Clock
}

// base is the transport under docr's own layers.
func (s *Settings) base() http.RoundTripper {
	switch {
	case s.Transport != nil:
		return s.Transport
	case s.HTTPClient != nil && s.HTTPClient.Transport != nil:
		return s.HTTPClient.Transport
	}
	return http.DefaultTransport
}

// RequestTimeout bounds each attempt: WithTimeout's, else the
// HTTPClient's Timeout, else the default.
func (s *Settings) RequestTimeout() time.Duration {
	if !s.TimeoutSet && s.HTTPClient != nil && s.HTTPClient.Timeout > 0 {
		return s.HTTPClient.Timeout
	}
	return s.Timeout
}

// NewDoer returns the Doer for the API at s.BaseURL that authenticates with
// token; success bodies are bounded by maxBody.
func (s *Settings) NewDoer(token string, maxBody int64, asError func(*Failure) error) *Doer {
	var (
		next func(*http.Request, []*http.Request) error
		jar  http.CookieJar
	)
	if s.HTTPClient != nil {
		next, jar = s.HTTPClient.CheckRedirect, s.HTTPClient.Jar
	}
	api := OriginOf(s.BaseURL)
	// No Timeout: the doer bounds each attempt with a context deadline
	// (RequestTimeout) that also covers redirects and the body.
	hc := &http.Client{
		Transport:     &authTransport{base: s.base(), token: token, api: api, userAgent: s.UserAgent},
		CheckRedirect: checkRedirect(api, next),
		Jar:           jar,
	}
	return &Doer{
		Client: hc, Policy: s.Retry, Clock: s.Clock, MaxBody: maxBody, Timeout: s.RequestTimeout(),
		Secrets: []string{token}, API: api, AsError: asError,
	}
}

// PlainClient returns a client without the API token and without
// redirects, for token revocation.
func (s *Settings) PlainClient() *http.Client {
	return &http.Client{
		Transport:     &uaTransport{base: s.base(), userAgent: s.UserAgent},
		CheckRedirect: noRedirect,
		Timeout:       s.RequestTimeout(),
	}
}

// CheckEndpoint applies the one rule for endpoint URLs (see
// facade.CheckEndpoint). Errors never repeat the URL.
func CheckEndpoint(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("URL has no host")
	case u.User != nil:
		return nil, errors.New("URL must not contain user info")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("URL must not have a query")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("URL must not have a fragment")
	}
	return u, nil
}
