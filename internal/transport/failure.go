package transport

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docr-dev/docr/gen"
)

// Redacted replaces a secret in every error docr builds.
const Redacted = "[REDACTED]"

// Failure is an answer with a status outside 2xx, as facade.APIError
// reports it (see there for the fields).
type Failure struct {
	StatusCode                           int
	Method, Path, ID, Message, RequestID string
	RateLimit                            RateLimit
	RetryAfter                           time.Duration
	Attempts                             int
	Body                                 []byte
}

// errorBody is the error document of the API (gen.Error: id, message,
// request_id) and of OAuth endpoints (RFC 6749 §5.2: error,
// error_description, which are not part of the API spec).
type errorBody struct {
	gen.Error
	OAuthError       string `json:"error"`
	OAuthDescription string `json:"error_description"`
}

// Describe reads resp and its body (already read; only the first
// MaxErrorBody bytes are kept) into a Failure. When resp came through a
// Doer, the Failure has its attempts and none of its secrets.
func Describe(resp *http.Response, body []byte) *Failure {
	f := &Failure{StatusCode: resp.StatusCode, Attempts: 1}
	if resp.Request != nil {
		f.Method = resp.Request.Method
		if resp.Request.URL != nil {
			f.Path = resp.Request.URL.EscapedPath()
		}
	}
	var secrets []string
	if rb, ok := resp.Body.(*responseBody); ok {
		f.Attempts = max(rb.attempts, 1)
		secrets = rb.secrets
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		f.ID, f.Message = eb.Id, eb.Message
		if eb.RequestId != nil {
			f.RequestID = *eb.RequestId
		}
		if f.ID == "" {
			f.ID = eb.OAuthError
		}
		if f.Message == "" {
			f.Message = eb.OAuthDescription
		}
	}
	if f.RequestID == "" {
		f.RequestID = resp.Header.Get("x-request-id")
	}
	f.RateLimit, _ = ParseRateLimit(resp.Header)
	if v := resp.Header.Get("Retry-After"); v != "" {
		f.RetryAfter, _ = ParseRetryAfter(v, time.Now())
	}
	if len(body) > MaxErrorBody {
		body = body[:MaxErrorBody]
	}
	f.Body = bytes.Clone(body)
	f.scrub(secrets)
	return f
}

// scrub removes every occurrence of a secret from the fields a server could
// echo it into. That includes Path: a redirect chooses the path of the last
// request, and a clumsy caller may pass a secret as a registry name.
func (f *Failure) scrub(secrets []string) {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		f.Path = strings.ReplaceAll(strings.ReplaceAll(f.Path, s, Redacted), url.PathEscape(s), Redacted)
		f.ID = strings.ReplaceAll(f.ID, s, Redacted)
		f.Message = strings.ReplaceAll(f.Message, s, Redacted)
		f.RequestID = strings.ReplaceAll(f.RequestID, s, Redacted)
		f.Body = bytes.ReplaceAll(f.Body, []byte(s), []byte(Redacted))
	}
}

// RedactURL returns scheme://host/path of raw, without user info, query or
// fragment, or Redacted when raw does not parse.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redacted
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// RedactError rewrites every *url.Error in err's chain that net/http builds
// (they carry the full request URL, query string included) so that only
// scheme, host and path remain. Unwrap still reaches the cause, so
// errors.Is(err, context.DeadlineExceeded) and errors.As(err, *net.OpError)
// keep working. Secrets (token, password) are removed from the message too.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		err = &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, Redacted)
		}
	}
	if clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

// scrubbedError is an error whose message had a secret removed.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
