// Package testctx gives tests contexts whose deadline passes when the test
// says so, not when a wall clock does. A test that checks what code does
// when its deadline expires fires the deadline on an event (the slow side
// has reached the point where it blocks) instead of guessing how long the
// fast side takes on a busy machine.
package testctx

import (
	"context"
	"sync"
	"time"
)

// Deadline is a context whose deadline expires only when Expire is called.
// Its Err is context.DeadlineExceeded after Expire, its parent's error after
// the parent ends, context.Canceled after Stop, nil before. Contexts derived
// from it with the context package see the same error.
type Deadline struct {
	parent context.Context
	done   chan struct{}
	stop   func() bool

	mu  sync.Mutex
	err error
}

// WithDeadline returns a context derived from parent whose deadline passes
// when Expire is called. Call Stop when done with it.
func WithDeadline(parent context.Context) *Deadline {
	d := &Deadline{parent: parent, done: make(chan struct{})}
	d.stop = context.AfterFunc(parent, func() { d.end(parent.Err()) })
	return d
}

// end ends the context with err unless it has ended already. A parent
// that has ended wins, even before the AfterFunc callback has run.
func (d *Deadline) end(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		if perr := d.parent.Err(); perr != nil {
			err = perr
		}
		d.err = err
		close(d.done)
	}
}

// Expire makes the deadline pass now. Calling it again does nothing.
func (d *Deadline) Expire() { d.end(context.DeadlineExceeded) }

// Stop ends the context with context.Canceled (unless it has ended
// already) and releases its resources.
func (d *Deadline) Stop() {
	d.stop()
	d.end(context.Canceled)
}

// Deadline reports the parent's deadline: this one has no time.
func (d *Deadline) Deadline() (time.Time, bool) { return d.parent.Deadline() }

// Done is closed when the context ends.
func (d *Deadline) Done() <-chan struct{} { return d.done }

// Err reports why the context ended, nil while it has not.
func (d *Deadline) Err() error {
	if d.parent.Err() != nil {
		d.end(nil) // the parent's error, now rather than when AfterFunc runs
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Value returns the parent's value for key.
func (d *Deadline) Value(key any) any { return d.parent.Value(key) }

// HangGuard is how long a test waits for something that should happen at
// once before it declares a hang: far above what any step needs on a
// loaded machine, far below the go test default timeout.
const HangGuard = 60 * time.Second

// Within runs f in a goroutine and returns its result, or calls fatal with
// a message if f has not returned within HangGuard.
func Within[T any](fatal func(args ...any), what string, f func() T) T {
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(HangGuard):
		fatal(what + ": did not return within " + HangGuard.String() + " (hang)")
		var zero T
		return zero
	}
}
