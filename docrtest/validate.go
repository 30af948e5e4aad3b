package docrtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/docr-dev/docr/docrtest/internal/embeddedspec"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// ViolationKind says whether a [Violation] is the client's or the fake's.
type ViolationKind string

// The kinds of [Violation].
const (
	// RequestViolation: a request does not match the spec (a client bug,
	// or a test that sends bad input on purpose). The fake answers 400.
	RequestViolation ViolationKind = "request"
	// ResponseViolation: the fake's own response does not match the spec
	// (a bug in the fake or a gap in the spec). The fake answers 500.
	ResponseViolation ViolationKind = "response"
)

// Violation is a request or response that does not match the registry API
// spec (the overlaid spec of package embeddedspec).
type Violation struct {
	Kind ViolationKind
	// Operation is the upstream operationId, or "" if no operation matched.
	Operation string
	// Method and Path (escaped) of the request.
	Method, Path string
	// Rule says which rule was broken. It names parameters, properties and
	// schema rules but never the values, which may be secrets.
	Rule string
}

// String returns a one-line description naming the operation and the rule.
func (v Violation) String() string {
	op := v.Operation
	if op == "" {
		op = "no operation"
	}
	verb := "request to"
	if v.Kind == ResponseViolation {
		verb = "response of"
	}
	return fmt.Sprintf("docrtest: %s %s (%s %s) violates the spec: %s", verb, op, v.Method, v.Path, v.Rule)
}

func (s *Server) violate(v Violation) {
	s.mu.Lock()
	s.violations = append(s.violations, v)
	if s.keep > 0 && len(s.violations) >= 2*s.keep {
		s.violations = slices.Clone(s.violations[len(s.violations)-s.keep:])
	}
	s.mu.Unlock()
	s.report(v)
}

// specIndex holds the loaded spec and its router. Validation only reads
// them, so every Server of the process shares one.
type specIndex struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

var loadSpec = sync.OnceValues(func() (*specIndex, error) {
	doc, err := embeddedspec.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("docrtest: loading the embedded spec: %w", err)
	}
	// Match any host: the fake serves on whatever address it listens on.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("docrtest: routing the embedded spec: %w", err)
	}
	opts := &openapi3filter.Options{
		// The fake checks tokens itself, before validation.
		AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:               true,
		RejectWhenRequestBodyNotSpecified: true,
		IncludeResponseStatus:             true,
		// Keep values (credentials!) out of error messages.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	return &specIndex{doc: doc, router: router, opts: opts}, nil
})

// find returns the operation a request calls. It routes on the escaped
// path, so that a repository name sent as team%2Fapi stays one segment.
func (x *specIndex) find(r *http.Request) (*routers.Route, map[string]string, error) {
	u := *r.URL
	u.Path, u.RawPath = r.URL.EscapedPath(), ""
	rr := r.Clone(r.Context())
	rr.URL = &u
	return x.router.FindRoute(rr)
}

func (x *specIndex) validateRequest(r *http.Request, body []byte, route *routers.Route,
	params map[string]string) (*openapi3filter.RequestValidationInput, error) {
	rr := r.Clone(r.Context())
	rr.Body = io.NopCloser(bytes.NewReader(body))
	rr.ContentLength = int64(len(body))
	in := &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: x.opts}
	if err := openapi3filter.ValidateRequest(rr.Context(), in); err != nil {
		return nil, err
	}
	return in, nil
}

func (x *specIndex) validateResponse(in *openapi3filter.RequestValidationInput, c *capture) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 c.status,
		Header:                 c.header,
		Body:                   io.NopCloser(bytes.NewReader(c.body.Bytes())),
		Options:                x.opts,
	}
	return openapi3filter.ValidateResponse(in.Request.Context(), out)
}

// describe renders a validation error without the values involved.
func describe(err error) string {
	var reqErr *openapi3filter.RequestError
	var respErr *openapi3filter.ResponseError
	switch {
	case errors.As(err, &reqErr):
		reason := joinReason(reqErr.Reason, reqErr.Err)
		switch {
		case reqErr.Parameter != nil:
			return fmt.Sprintf("parameter %q in %s: %s", reqErr.Parameter.Name, reqErr.Parameter.In, reason)
		case reqErr.RequestBody != nil:
			return "request body: " + reason
		}
		return reason
	case errors.As(err, &respErr):
		return joinReason(respErr.Reason, respErr.Err)
	}
	return reasonOf(err)
}

func joinReason(reason string, err error) string {
	if err == nil {
		return reason
	}
	inner := reasonOf(err)
	if reason == "" || reason == inner {
		return inner
	}
	return reason + ": " + inner
}

// reasonOf describes an error from validation, leaving out values.
func reasonOf(err error) string {
	var (
		me     openapi3.MultiError
		schErr *openapi3.SchemaError
		parse  *openapi3filter.ParseError
	)
	switch {
	case errors.As(err, &me):
		parts := make([]string, 0, len(me))
		for _, e := range me {
			parts = append(parts, reasonOf(e))
		}
		return strings.Join(parts, "; ")
	case errors.As(err, &schErr):
		// With DisableSchemaErrorDetails the message holds the JSON
		// pointer and the reason only.
		return schErr.Error()
	case errors.As(err, &parse):
		reason := parse.Reason
		for p := parse; reason == ""; {
			var next *openapi3filter.ParseError
			if !errors.As(p.Cause, &next) {
				break
			}
			p, reason = next, next.Reason
		}
		detail := jsonDetail(parse.RootCause())
		switch {
		case reason != "" && detail != "":
			return reason + ": " + detail
		case reason != "":
			return reason
		case detail != "":
			return detail
		}
		return "cannot be parsed"
	}
	if d := jsonDetail(err); d != "" {
		return d
	}
	return err.Error()
}

// jsonDetail describes a JSON decoding error without quoting the input; it
// returns "" for other errors.
func jsonDetail(err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at offset %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("JSON value of the wrong type at %q", typ.Field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON input"
	case errors.Is(err, io.EOF):
		return "empty JSON input"
	}
	return ""
}

// capture buffers a response so that it can be validated before it is
// sent.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newCapture(h http.Header) *capture { return &capture{header: h.Clone()} }

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(p)
}

// reset drops what the handler wrote, keeping the headers the fake set
// before it ran.
func (c *capture) reset() {
	c.status = 0
	c.body.Reset()
	c.header.Del("Content-Type")
	c.header.Del("Content-Length")
}

// flushTo sends the buffered response.
func (c *capture) flushTo(w http.ResponseWriter) {
	h := w.Header()
	for k := range h {
		if _, ok := c.header[k]; !ok {
			delete(h, k)
		}
	}
	for k, v := range c.header {
		h[k] = v
	}
	if c.status == 0 {
		c.status = http.StatusOK
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body.Bytes())
}
