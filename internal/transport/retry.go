package transport

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// RetryPolicy has the fields of facade.RetryPolicy (which converts to it);
// see there for their meaning.
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	RetryPOST   bool
}

// Default retry settings (facade's DefaultMaxAttempts and the others).
const (
	DefaultMaxAttempts = 4
	DefaultBaseDelay   = 250 * time.Millisecond
	DefaultMaxDelay    = 15 * time.Second
)

// Validate checks p and fills its zero fields with the defaults.
func (p RetryPolicy) Validate() (RetryPolicy, error) {
	if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 {
		return p, errors.New("docr: WithRetry: negative MaxAttempts, BaseDelay or MaxDelay")
	}
	if p.MaxAttempts > 100 {
		return p, errors.New("docr: WithRetry: MaxAttempts above 100")
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(DefaultMaxDelay, p.BaseDelay)
	}
	if p.BaseDelay > p.MaxDelay {
		return p, errors.New("docr: WithRetry: BaseDelay above MaxDelay")
	}
	return p, nil
}

// backoff is the wait after the given failed attempt (1-based):
// BaseDelay·2^(attempt-1), capped at MaxDelay, with "equal jitter" (half
// fixed, half random).
func (p RetryPolicy) backoff(attempt int, jitter func(time.Duration) time.Duration) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + jitter(d-d/2)
}

func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// SleepCtx waits d, or until ctx ends (then it returns ctx.Err()).
func SleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Clock is what the retry logic needs from time; tests replace it.
type Clock struct {
	Now    func() time.Time
	Sleep  func(context.Context, time.Duration) error
	Jitter func(time.Duration) time.Duration
	// Deadline bounds one attempt; nil means context.WithTimeout.
	Deadline func(context.Context, time.Duration) (context.Context, context.CancelFunc)
}

// RealClock is the clock of time itself.
func RealClock() Clock {
	return Clock{Now: time.Now, Sleep: SleepCtx, Jitter: randomJitter, Deadline: context.WithTimeout}
}

// withTimeout bounds ctx by d with the clock's deadline.
func (c Clock) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if c.Deadline == nil {
		return context.WithTimeout(ctx, d)
	}
	return c.Deadline(ctx, d)
}

func retryableMethod(method string, retryPOST bool) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodPut, http.MethodOptions, http.MethodTrace:
		return true
	case http.MethodPost:
		return retryPOST
	}
	return false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
