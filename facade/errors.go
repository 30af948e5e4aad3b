package facade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docr-dev/docr/gen"
)

// Sentinel errors. An [*APIError] matches the one for its status code with
// errors.Is, so callers can branch without looking at numbers:
//
//	if errors.Is(err, facade.ErrNotFound) { ... }
var (
	// ErrUnauthorized matches an API answer of 401 Unauthorized: the token is
	// wrong, expired or revoked.
	ErrUnauthorized = errors.New("docr: unauthorized")
	// ErrForbidden matches 403 Forbidden: the token lacks a scope the call
	// needs (for example registry:update for read-write credentials).
	ErrForbidden = errors.New("docr: forbidden")
	// ErrNotFound matches 404 Not Found.
	ErrNotFound = errors.New("docr: not found")
	// ErrRateLimited matches 429 Too Many Requests (after retries, if any).
	ErrRateLimited = errors.New("docr: rate limited")
	// ErrServer matches any 5xx answer (after retries, if any).
	ErrServer = errors.New("docr: server error")

	// ErrInvalidToken is returned by [New] and [NewFromEnv] for a missing or
	// malformed API token. Its messages never contain the token.
	ErrInvalidToken = errors.New("docr: invalid API token")
	// ErrInvalidRequest wraps every error about arguments that docr refuses
	// before sending anything (for example a [CredentialsRequest] with both
	// Expiry and NeverExpire).
	ErrInvalidRequest = errors.New("docr: invalid request")
	// ErrInvalidCredentials wraps every error of [ParseCredentials]: the
	// Docker config the API returned is not usable. Its messages never
	// contain a credential.
	ErrInvalidCredentials = errors.New("docr: invalid credentials")
	// ErrResponseTooLarge is returned when a response body exceeds docr's
	// limit (1 MiB for credentials, 32 MiB for other API responses).
	ErrResponseTooLarge = errors.New("docr: response body too large")
)

const (
	// errorBodyRead is how much of an error response docr reads; the rest
	// is drained (up to drainLimit) and discarded.
	errorBodyRead = 64 << 10
	// maxErrorBody is how much of an error body an APIError keeps.
	maxErrorBody = 4 << 10
	// drainLimit bounds how much of an unwanted body is read so that the
	// connection can be reused; longer bodies cost a new connection instead.
	drainLimit = 256 << 10
	redacted   = "[REDACTED]"
)

// APIError is a response with a status outside 2xx, from the DigitalOcean API
// or from the token revocation endpoint. Its Error method shows the method,
// path, status, message and request id; it never contains the API token, a
// credential or a query string.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Method and Path identify the request (the path without query string).
	Method, Path string
	// ID is the machine-readable error id from the body, e.g. "not_found".
	ID string
	// Message is the human-readable message from the body.
	Message string
	// RequestID is request_id from the body, else the x-request-id header.
	RequestID string
	// RateLimit holds the ratelimit-* headers of the response, if any.
	RateLimit RateLimit
	// RetryAfter is the wait the response's Retry-After header asked for
	// (seconds or an HTTP date), 0 when it has none. With RateLimit it
	// tells a caller that backs off on its own how long to wait.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent (1 without retries).
	Attempts int
	// Body is the start of the response body (at most 4 KiB), kept whether
	// or not it is JSON.
	Body []byte
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("docr: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.ID != "" {
		b.WriteString(" (")
		b.WriteString(printable(e.ID))
		b.WriteByte(')')
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(printable(e.Message))
	}
	if e.RequestID != "" {
		b.WriteString(" [request id ")
		b.WriteString(printable(e.RequestID))
		b.WriteByte(']')
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " [after %d attempts]", e.Attempts)
	}
	return b.String()
}

// printable returns s, which a server chose, safe to print on a terminal or
// in a log line: line breaks and tabs become spaces, and other control
// characters (escape sequences could rewrite the terminal), bidirectional
// overrides and invalid UTF-8 become U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// Is reports whether e matches one of the sentinel errors [ErrUnauthorized],
// [ErrForbidden], [ErrNotFound], [ErrRateLimited] or [ErrServer].
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

// CheckResponse returns nil when resp has a 2xx status, else an [*APIError]
// built from resp and body (the response body, already read; only the first
// 4 KiB are kept). It is what [Check] uses; call it directly when working
// with the raw *http.Response methods of the generated client.
func CheckResponse(resp *http.Response, body []byte) error {
	if resp == nil {
		return errors.New("docr: no HTTP response")
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	return newAPIError(resp, body)
}

// Check turns any response of the generated client (gen.*Response) whose
// status is not 2xx into an [*APIError], so callers never have to look at
// JSON200 to find a failure:
//
//	resp, err := facade.Check(c.API().RegistriesGetWithResponse(ctx, "example"))
//	if err != nil { ... }          // transport error or non-2xx status
//	fmt.Println(*resp.JSON200.Registry.Name)
//
// The response is returned as well, also on error. Check uses the exported
// Body and HTTPResponse fields the generated responses have.
func Check[R interface{ StatusCode() int }](r R, err error) (R, error) {
	if err != nil {
		return r, err
	}
	rv := reflect.ValueOf(r)
	if !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return r, errors.New("docr: no response")
	}
	code := r.StatusCode()
	if code >= 200 && code <= 299 {
		return r, nil
	}
	var body []byte
	if b, ok := any(r).(interface{ GetBody() []byte }); ok {
		body = b.GetBody()
	}
	hr := httpResponseOf(rv)
	if hr == nil {
		hr = &http.Response{StatusCode: code, Header: http.Header{}}
	}
	return r, newAPIError(hr, body)
}

// httpResponseOf returns the HTTPResponse field of a generated response.
func httpResponseOf(rv reflect.Value) *http.Response {
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	f := rv.FieldByName("HTTPResponse")
	if !f.IsValid() || !f.CanInterface() {
		return nil
	}
	hr, _ := f.Interface().(*http.Response)
	return hr
}

// errorBody is the error document of the API (gen.Error: id, message,
// request_id) and of OAuth endpoints (RFC 6749 §5.2: error,
// error_description, which are not part of the API spec).
type errorBody struct {
	gen.Error
	OAuthError       string `json:"error"`
	OAuthDescription string `json:"error_description"`
}

func newAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Attempts: 1}
	if resp.Request != nil {
		e.Method = resp.Request.Method
		if resp.Request.URL != nil {
			e.Path = resp.Request.URL.EscapedPath()
		}
	}
	var secrets []string
	if rb, ok := resp.Body.(*responseBody); ok {
		e.Attempts = max(rb.attempts, 1)
		secrets = rb.secrets
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.ID, e.Message = eb.Id, eb.Message
		if eb.RequestId != nil {
			e.RequestID = *eb.RequestId
		}
		if e.ID == "" {
			e.ID = eb.OAuthError
		}
		if e.Message == "" {
			e.Message = eb.OAuthDescription
		}
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("x-request-id")
	}
	e.RateLimit, _ = parseRateLimit(resp.Header)
	if v := resp.Header.Get("Retry-After"); v != "" {
		e.RetryAfter, _ = ParseRetryAfter(v, time.Now())
	}
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e.Body = bytes.Clone(body)
	e.scrub(secrets)
	return e
}

// scrub removes every occurrence of a secret from the fields a server could
// echo it into. That includes Path: a redirect chooses the path of the last
// request, and a clumsy caller may pass a secret as a registry name.
func (e *APIError) scrub(secrets []string) {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		e.Path = strings.ReplaceAll(strings.ReplaceAll(e.Path, s, redacted), url.PathEscape(s), redacted)
		e.ID = strings.ReplaceAll(e.ID, s, redacted)
		e.Message = strings.ReplaceAll(e.Message, s, redacted)
		e.RequestID = strings.ReplaceAll(e.RequestID, s, redacted)
		e.Body = bytes.ReplaceAll(e.Body, []byte(s), []byte(redacted))
	}
}

// redactURL returns scheme://host/path of raw, without user info, query or
// fragment, or "[REDACTED]" when raw does not parse.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// redactError rewrites every *url.Error in err's chain that net/http builds
// (they carry the full request URL, query string included) so that only
// scheme, host and path remain. Unwrap still reaches the cause, so
// errors.Is(err, context.DeadlineExceeded) and errors.As(err, *net.OpError)
// keep working. Secrets (token, password) are removed from the message too.
func redactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		err = &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		if s != "" {
			clean = strings.ReplaceAll(clean, s, redacted)
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
