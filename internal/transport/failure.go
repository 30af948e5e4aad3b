package transport

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

// String is the message of facade.APIError: method, path, status, id,
// message, request id and attempts, with the text the server chose made
// safe to print.
func (f *Failure) String() string {
	var b strings.Builder
	b.WriteString("docr: ")
	if f.Method != "" {
		b.WriteString(f.Method)
		b.WriteByte(' ')
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(f.StatusCode))
	if t := http.StatusText(f.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if f.ID != "" {
		b.WriteString(" (")
		b.WriteString(printable(f.ID))
		b.WriteByte(')')
	}
	if f.Message != "" {
		b.WriteString(": ")
		b.WriteString(printable(f.Message))
	}
	if f.RequestID != "" {
		b.WriteString(" [request id ")
		b.WriteString(printable(f.RequestID))
		b.WriteByte(']')
	}
	if f.Attempts > 1 {
		fmt.Fprintf(&b, " [after %d attempts]", f.Attempts)
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

// Inspect is facade.Check's work on r, a generated response (gen's
// *Response types have StatusCode, Body and HTTPResponse): an error for a
// nil r, nothing for a 2xx status, else the Failure of its HTTPResponse
// (or of the bare status) and Body.
func Inspect(r interface{ StatusCode() int }) (*Failure, error) {
	rv := reflect.ValueOf(r)
	if !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		return nil, errors.New("docr: no response")
	}
	code := r.StatusCode()
	if code >= 200 && code <= 299 {
		return nil, nil
	}
	var body []byte
	if b, ok := r.(interface{ GetBody() []byte }); ok {
		body = b.GetBody()
	}
	hr := httpResponseOf(rv)
	if hr == nil {
		hr = &http.Response{StatusCode: code, Header: http.Header{}}
	}
	return Describe(hr, body), nil
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
