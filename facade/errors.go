package facade

import (
	"errors"
	"net/http"
	"time"

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

// Error implements error. It shows method, path, status, id, message,
// request id and attempts, with the text the server chose made safe to
// print (no control characters, no bidirectional overrides).
func (e *APIError) Error() string {
	return (&transport.Failure{StatusCode: e.StatusCode, Method: e.Method, Path: e.Path, ID: e.ID,
		Message: e.Message, RequestID: e.RequestID, Attempts: e.Attempts}).String()
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

// Check turns a response of the generated client (gen.*Response) whose
// status is not 2xx into an [*APIError], returning the response too, so
// callers never look at JSON200 to find a failure:
//
//	resp, err := facade.Check(c.API().RegistriesGetWithResponse(ctx, "example"))
func Check[R interface{ StatusCode() int }](r R, err error) (R, error) {
	if err != nil {
		return r, err
	}
	f, err := transport.Inspect(r)
	if f != nil {
		return r, apiError(f)
	}
	return r, err
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
