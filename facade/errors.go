package facade

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docr-dev/docr/internal/transport"
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
	ErrResponseTooLarge = transport.ErrResponseTooLarge
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
	return r, failed(hr, body)
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

// failed is the [*APIError] of resp, whose status is not 2xx, and its
// body (already read).
func failed(resp *http.Response, body []byte) error { return apiError(transport.Describe(resp, body)) }

// apiError is the APIError of f.
func apiError(f *transport.Failure) *APIError {
	return &APIError{
		StatusCode: f.StatusCode, Method: f.Method, Path: f.Path, ID: f.ID, Message: f.Message,
		RequestID: f.RequestID, RateLimit: RateLimit(f.RateLimit), RetryAfter: f.RetryAfter,
		Attempts: f.Attempts, Body: f.Body,
	}
}
