package facade

import (
	"time"

	"github.com/docr-dev/docr/internal/transport"
)

// RetryPolicy says how docr retries a failed request. A request is retried
// on 429, 500, 502, 503 and 504 answers and on transport errors, if its
// method is idempotent (GET, HEAD, DELETE, PUT; also OPTIONS and TRACE) or
// it is a POST and RetryPOST is set, and if its body can be sent again.
//
// The wait before a retry is, in order of preference: the Retry-After header
// (seconds or HTTP date); for 429, the ratelimit-reset header when it is
// sooner than MaxDelay; else exponential backoff from BaseDelay with jitter.
// No single wait is longer than MaxDelay: when Retry-After asks for more,
// docr does not retry and returns the error at once. A cancelled context
// stops the wait immediately.
//
// Zero fields take the defaults (4 attempts, 250ms, 15s). Use MaxAttempts 1
// to disable retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff delay; each retry doubles it.
	BaseDelay time.Duration
	// MaxDelay caps every single wait.
	MaxDelay time.Duration
	// RetryPOST allows retrying POST requests, which might not be
	// idempotent; off by default.
	RetryPOST bool
}

// Default retry settings.
const (
	// DefaultMaxAttempts is the number of attempts, the first included: 4.
	DefaultMaxAttempts = transport.DefaultMaxAttempts
	// DefaultBaseDelay is the first backoff delay: 250ms.
	DefaultBaseDelay = transport.DefaultBaseDelay
	// DefaultMaxDelay caps every wait between attempts: 15s.
	DefaultMaxDelay = transport.DefaultMaxDelay
)

// RateLimit is the API's rate limit state as reported by the
// ratelimit-limit, ratelimit-remaining and ratelimit-reset headers.
type RateLimit struct {
	// Limit is the number of requests allowed per window.
	Limit int
	// Remaining is the number of requests left in the current window.
	Remaining int
	// Reset is when the window resets (zero if the header was absent).
	Reset time.Time
}

// IsZero reports whether no rate limit header has been seen.
func (r RateLimit) IsZero() bool {
	return r.Limit == 0 && r.Remaining == 0 && r.Reset.IsZero()
}
