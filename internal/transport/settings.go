package transport

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Settings are what a facade.Client's options say about HTTP. Its setters
// check their argument as the option of the same name documents; their
// errors name that option.
type Settings struct {
	BaseURL    *url.URL
	RevokeURL  *url.URL
	HTTPClient *http.Client      // WithHTTPClient's; never modified
	Transport  http.RoundTripper // WithTransport's; wins over HTTPClient.Transport
	UserAgent  string
	Timeout    time.Duration
	TimeoutSet bool // WithTimeout was given: it wins over HTTPClient.Timeout
	Retry      RetryPolicy
	Clock      Clock
}

// NewSettings returns the settings of a Client without options: the given
// defaults, the default retry policy and the real clock. The URLs must
// pass [CheckEndpoint].
func NewSettings(baseURL, revokeURL, userAgent string, timeout time.Duration) Settings {
	base, _ := CheckEndpoint(baseURL)
	revoke, _ := CheckEndpoint(revokeURL)
	retry, _ := RetryPolicy{}.Validate()
	return Settings{BaseURL: base, RevokeURL: revoke, UserAgent: userAgent, Timeout: timeout, Retry: retry, Clock: RealClock()}
}

// SetBaseURL is WithBaseURL: raw must pass [CheckEndpoint].
func (s *Settings) SetBaseURL(raw string) error { return setEndpoint(&s.BaseURL, "WithBaseURL", raw) }

// SetRevokeURL is WithRevokeURL: raw must pass [CheckEndpoint].
func (s *Settings) SetRevokeURL(raw string) error {
	return setEndpoint(&s.RevokeURL, "WithRevokeURL", raw)
}

func setEndpoint(dst **url.URL, opt, raw string) error {
	u, err := CheckEndpoint(raw)
	if err != nil {
		return fmt.Errorf("docr: %s: %w", opt, err)
	}
	*dst = u
	return nil
}

// SetHTTPClient is WithHTTPClient: hc must not be nil.
func (s *Settings) SetHTTPClient(hc *http.Client) error {
	if hc == nil {
		return errors.New("docr: WithHTTPClient: nil *http.Client")
	}
	s.HTTPClient = hc
	return nil
}

// SetTransport is WithTransport: rt must not be nil.
func (s *Settings) SetTransport(rt http.RoundTripper) error {
	if rt == nil {
		return errors.New("docr: WithTransport: nil http.RoundTripper")
	}
	s.Transport = rt
	return nil
}

// SetUserAgent is WithUserAgent: ua, trimmed, must be non-empty and free
// of control characters (a header must not be split).
func (s *Settings) SetUserAgent(ua string) error {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return errors.New("docr: WithUserAgent: empty")
	}
	for i := 0; i < len(ua); i++ {
		if ua[i] < ' ' || ua[i] == 0x7f {
			return errors.New("docr: WithUserAgent: contains a control character")
		}
	}
	s.UserAgent = ua
	return nil
}

// SetTimeout is WithTimeout: d must be positive.
func (s *Settings) SetTimeout(d time.Duration) error {
	if d <= 0 {
		return errors.New("docr: WithTimeout: must be positive")
	}
	s.Timeout, s.TimeoutSet = d, true
	return nil
}

// SetRetry is WithRetry: p is validated and its zero fields take the
// defaults.
func (s *Settings) SetRetry(p RetryPolicy) error {
	v, err := p.Validate()
	s.Retry = v
	return err
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

// Cleartext reports the host of endpoint when it is a plain-http URL to a
// host that is neither localhost nor a loopback address.
func Cleartext(endpoint string) (host string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || u.Scheme != "http" {
		return "", false
	}
	host = u.Hostname()
	if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback() {
		return "", false
	}
	return host, true
}
