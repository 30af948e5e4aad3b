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
// Its Err is context.DeadlineExceeded after Expire, context.Canceled after
// its parent is cancelled, nil before. Children created from it with the
// context package see the same errors.
type Deadline struct {
	context.Context
	cancel context.CancelCauseFunc
	once   sync.Once
}

// WithDeadline returns a context derived from parent whose deadline passes
// when Expire is called. Call Stop (or Expire) when done with it.
func WithDeadline(parent context.Context) *Deadline {
	ctx, cancel := context.WithCancelCause(parent)
	return &Deadline{Context: ctx, cancel: cancel}
}

// Expire makes the deadline pass now. Calling it again does nothing.
func (d *Deadline) Expire() {
	d.once.Do(func() { d.cancel(context.DeadlineExceeded) })
}

// Stop releases the context's resources; Err becomes context.Canceled
// unless the deadline passed first.
func (d *Deadline) Stop() { d.cancel(context.Canceled) }

// Err reports context.DeadlineExceeded once Expire was called.
func (d *Deadline) Err() error {
	if d.Context.Err() == nil {
		return nil
	}
	if context.Cause(d.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return d.Context.Err()
}

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
