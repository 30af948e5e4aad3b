package controller

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
)

// TestBackoffDelay: exponential from the base, capped, with equal jitter,
// never below what the API asked for.
func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	none := func(time.Duration) time.Duration { return 0 }
	full := func(d time.Duration) time.Duration { return d }
	tests := []struct {
		failures int
		jitter   func(time.Duration) time.Duration
		asked    time.Duration
		want     time.Duration
	}{
		{1, full, 0, 5 * time.Second},
		{1, none, 0, 2500 * time.Millisecond}, // half fixed
		{2, full, 0, 10 * time.Second},
		{4, full, 0, 40 * time.Second},
		{8, full, 0, 10 * time.Minute},  // 640s capped
		{30, full, 0, 10 * time.Minute}, // no overflow
		{30, none, 0, 5 * time.Minute},
		{1, full, time.Minute, time.Minute}, // Retry-After above the backoff
		{8, full, time.Hour, time.Hour},     // and above the cap
	}
	p := backoffPolicy{}.withDefaults()
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d failures, asked %v", tc.failures, tc.asked), func(t *testing.T) {
			p := p
			p.jitter = tc.jitter
			if got := p.delay(tc.failures, tc.asked); got != tc.want {
				t.Errorf("delay = %v, want %v", got, tc.want)
			}
		})
	}
	// The default jitter stays within [d/2, d].
	for range 100 {
		if d := p.delay(3, 0); d < 10*time.Second || d > 20*time.Second {
			t.Fatalf("jittered delay %v outside [10s, 20s]", d)
		}
	}
}

// TestAskedWait: Retry-After, and for a 429 the time left until the
// rate-limit window resets, whichever is longer.
func TestAskedWait(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	rl := func(code int, reset time.Time) error {
		return &facade.APIError{StatusCode: code, RateLimit: facade.RateLimit{Reset: reset}}
	}
	tests := []struct {
		name       string
		err        error
		retryAfter time.Duration
		want       time.Duration
	}{
		{"nothing asked", rl(http.StatusServiceUnavailable, time.Time{}), 0, 0},
		{"Retry-After", rl(http.StatusServiceUnavailable, time.Time{}), 30 * time.Second, 30 * time.Second},
		{"429 reset later", rl(http.StatusTooManyRequests, now.Add(time.Hour)), 30 * time.Second, time.Hour},
		{"429 reset sooner", rl(http.StatusTooManyRequests, now.Add(time.Second)), 30 * time.Second, 30 * time.Second},
		{"429 reset past", rl(http.StatusTooManyRequests, now.Add(-time.Hour)), 0, 0},
		{"reset of a 500 ignored", rl(http.StatusInternalServerError, now.Add(time.Hour)), 0, 0},
		{"not an API error", fmt.Errorf("dial: refused"), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ae *facade.APIError
			if errors.As(tc.err, &ae) {
				ae.RetryAfter = tc.retryAfter
			}
			if got := askedWait(tc.err, now); got != tc.want {
				t.Errorf("askedWait = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestGate: a failure closes the gate for its inputs until the backoff
// ends; other inputs pass at once; reset opens it.
func TestGate(t *testing.T) {
	t.Parallel()
	var g gate
	p := backoffPolicy{jitter: func(d time.Duration) time.Duration { return d }}.withDefaults()
	now := time.Unix(1_800_000_000, 0)
	if _, blocked := g.blocked("ps", "a", now); blocked {
		t.Fatal("blocked before any failure")
	}
	until := g.fail("ps", "a", now, p, 0)
	if want := now.Add(5 * time.Second); !until.Equal(want) {
		t.Errorf("first failure: until %v, want %v", until, want)
	}
	if _, blocked := g.blocked("ps", "a", now.Add(4*time.Second)); !blocked {
		t.Error("not blocked within the backoff")
	}
	if _, blocked := g.blocked("ps", "b", now); blocked {
		t.Error("new inputs blocked")
	}
	if _, blocked := g.blocked("other", "a", now); blocked {
		t.Error("another PullSecret blocked")
	}
	if until := g.fail("ps", "a", now, p, 0); !until.Equal(now.Add(10 * time.Second)) {
		t.Errorf("second failure: until %v, want +10s", until)
	}
	if until := g.fail("ps", "b", now, p, 0); !until.Equal(now.Add(5 * time.Second)) {
		t.Errorf("failure with new inputs: until %v, want +5s (counted afresh)", until)
	}
	g.reset("ps")
	if _, blocked := g.blocked("ps", "b", now); blocked {
		t.Error("blocked after reset")
	}
}

// TestRecordName: record Secret names stay valid and distinct for long
// PullSecret names.
func TestRecordName(t *testing.T) {
	t.Parallel()
	if got := recordName("example"); got != "docr-record-example" {
		t.Errorf("recordName = %q", got)
	}
	long := make([]byte, 253)
	for i := range long {
		long[i] = 'a'
	}
	a, b := recordName(string(long)), recordName(string(long[:252])+"b")
	if len(a) > 253 || len(b) > 253 || a == b {
		t.Errorf("long names: %d and %d bytes, equal %t", len(a), len(b), a == b)
	}
}
