// Package stepclock is a clock for tests of time-driven Kubernetes code: it
// runs with the wall clock, and Step moves it forward at once. Timers fire
// when their duration has passed on the wall clock or when a Step reaches
// their deadline, whichever comes first, so that a workqueue built on it
// (workqueue.TypedRateLimitingQueueConfig.Clock) retries after a few
// milliseconds as usual while a requeue due in an hour runs as soon as a
// test steps an hour ahead.
//
// It implements k8s.io/utils/clock.WithTicker.
package stepclock

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Clock is the wall clock plus an offset that only grows. The zero value is
// not usable; call [New].
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	timers map[*timer]struct{}
}

var _ clock.WithTicker = (*Clock)(nil)

// New returns a clock that reads the wall clock until the first Step.
func New() *Clock { return &Clock{timers: map[*timer]struct{}{}} }

// Now returns the wall clock's time plus every Step so far (without a
// monotonic reading, so that times compare by their wall value).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time { return time.Now().Add(c.offset).Round(0) }

// Offset returns the sum of the Steps so far.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Step moves the clock d forward (d <= 0 does nothing) and fires every timer
// whose deadline it reaches.
func (c *Clock) Step(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.offset += d
	now := c.nowLocked()
	var due []*timer
	for t := range c.timers {
		if !t.deadline.After(now) {
			due = append(due, t)
		}
	}
	c.mu.Unlock()
	for _, t := range due {
		t.fire(now)
	}
}

// Since returns Now().Sub(t).
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// After returns the channel of a new timer.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// NewTimer returns a timer that fires once after d, by the wall clock or by
// Steps.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	t := &timer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	t.arm(d)
	return t
}

// Sleep blocks until d has passed by the wall clock or by Steps.
func (c *Clock) Sleep(d time.Duration) { <-c.After(d) }

// Tick returns the channel of a new ticker.
func (c *Clock) Tick(d time.Duration) <-chan time.Time { return c.NewTicker(d).C() }

// NewTicker returns a ticker on the wall clock (Steps do not make it tick;
// workqueues use tickers only for periodic housekeeping).
func (c *Clock) NewTicker(d time.Duration) clock.Ticker {
	return &ticker{t: time.NewTicker(d)}
}

type timer struct {
	c        *Clock
	ch       chan time.Time
	deadline time.Time
	real     *time.Timer
}

// arm registers t to fire after d; the caller holds t.c.mu.
func (t *timer) arm(d time.Duration) {
	t.deadline = t.c.nowLocked().Add(d)
	t.c.timers[t] = struct{}{}
	t.real = time.AfterFunc(max(d, 0), func() { t.fire(t.c.Now()) })
}

func (t *timer) fire(now time.Time) {
	t.c.mu.Lock()
	_, live := t.c.timers[t]
	delete(t.c.timers, t)
	real := t.real
	t.c.mu.Unlock()
	if !live {
		return
	}
	real.Stop()
	select {
	case t.ch <- now:
	default:
	}
}

func (t *timer) C() <-chan time.Time { return t.ch }

// Stop prevents the timer from firing; it reports whether it was pending.
func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, live := t.c.timers[t]
	delete(t.c.timers, t)
	t.real.Stop()
	return live
}

// Reset re-arms the timer for d from now.
func (t *timer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, was := t.c.timers[t]
	t.real.Stop()
	t.arm(d)
	return was
}

type ticker struct{ t *time.Ticker }

func (t *ticker) C() <-chan time.Time { return t.t.C }
func (t *ticker) Stop()               { t.t.Stop() }
