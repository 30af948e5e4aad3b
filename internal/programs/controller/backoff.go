package controller

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/docr-dev/docr/facade"
)

// Backoff after a failed mint: exponential from BaseDelay, capped at
// MaxDelay, with "equal jitter" (half fixed, half random), and never sooner
// than the API asked: Retry-After, or for 429 the rate-limit window's end.
const (
	// DefaultBaseDelay is the wait after the first failure.
	DefaultBaseDelay = 5 * time.Second
	// DefaultMaxDelay caps the exponential wait (an API's Retry-After or
	// rate-limit reset may ask for longer, and is honoured).
	DefaultMaxDelay = 10 * time.Minute
)

// backoffPolicy computes waits after failures.
type backoffPolicy struct {
	base, max time.Duration
	// jitter returns a random duration in [0, d]; rand.N by default.
	jitter func(d time.Duration) time.Duration
}

func (p backoffPolicy) withDefaults() backoffPolicy {
	if p.base <= 0 {
		p.base = DefaultBaseDelay
	}
	if p.max <= 0 {
		p.max = DefaultMaxDelay
	}
	if p.jitter == nil {
		p.jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d + 1)
		}
	}
	return p
}

// delay is the wait after the failures-th consecutive failure (1-based),
// given the error and the wait the API asked for (0: none).
func (p backoffPolicy) delay(failures int, asked time.Duration) time.Duration {
	d := p.base
	for i := 1; i < failures && d < p.max; i++ {
		d *= 2
	}
	d = min(d, p.max)
	d = d/2 + p.jitter(d-d/2)
	return max(d, asked)
}

// askedWait is how long the API asked the client to wait (0 when it did
// not): the larger of the answer's Retry-After and, for a 429, the time
// left until the rate-limit window resets.
func askedWait(err error, now time.Time) time.Duration {
	var ae *facade.APIError
	if !errors.As(err, &ae) {
		return 0
	}
	wait := ae.RetryAfter
	if ae.StatusCode == 429 && !ae.RateLimit.Reset.IsZero() {
		wait = max(wait, ae.RateLimit.Reset.Sub(now))
	}
	return max(wait, 0)
}

// gate holds, per PullSecret, when the next mint may be tried after a
// failure, and for which inputs: a change of the inputs (the token Secret,
// the registry, the access) opens the gate at once, so that fixing the
// cause is tried immediately, while any other event (a new namespace, a
// spec change that needs no new credential) does not turn a failure into a
// mint storm.
type gate struct {
	mu      sync.Mutex
	entries map[string]gateEntry
}

type gateEntry struct {
	failures int
	next     time.Time
	inputs   string
}

// blocked reports whether a mint for inputs must wait, and until when.
func (g *gate) blocked(id, inputs string, now time.Time) (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.entries[id]
	if !ok || e.inputs != inputs || !now.Before(e.next) {
		return time.Time{}, false
	}
	return e.next, true
}

// fail records a failure for inputs and returns when to try again.
func (g *gate) fail(id, inputs string, now time.Time, p backoffPolicy, asked time.Duration) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entries == nil {
		g.entries = map[string]gateEntry{}
	}
	e := g.entries[id]
	if e.inputs != inputs {
		e = gateEntry{inputs: inputs}
	}
	e.failures++
	e.next = now.Add(p.delay(e.failures, asked))
	g.entries[id] = e
	return e.next
}

// reset forgets the failures of id.
func (g *gate) reset(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.entries, id)
}
