package testctx

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestDeadline: Err, and the Err of a child made by the context package,
// follow whichever of Expire, Stop or the parent ends the context first.
func TestDeadline(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		end  func(d *Deadline, cancelParent context.CancelFunc)
		want error
	}{
		"expire":        {func(d *Deadline, _ context.CancelFunc) { d.Expire(); d.Stop() }, context.DeadlineExceeded},
		"stop":          {func(d *Deadline, _ context.CancelFunc) { d.Stop(); d.Expire() }, context.Canceled},
		"parent cancel": {func(d *Deadline, cancel context.CancelFunc) { cancel(); d.Expire() }, context.Canceled},
	} {
		t.Run(name, func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			d := WithDeadline(parent)
			defer d.Stop()
			child, cancelChild := context.WithTimeout(d, time.Hour)
			defer cancelChild()
			if d.Err() != nil || child.Err() != nil {
				t.Fatalf("ended before anything happened: %v %v", d.Err(), child.Err())
			}
			tc.end(d, cancel)
			<-child.Done()
			if !errors.Is(d.Err(), tc.want) || !errors.Is(child.Err(), tc.want) {
				t.Errorf("Err = %v, child Err = %v, want %v", d.Err(), child.Err(), tc.want)
			}
		})
	}
}

// TestWithin returns f's value, and reports a hang only when f hangs (not
// tested: it takes HangGuard).
func TestWithin(t *testing.T) {
	t.Parallel()
	if got := Within(t.Fatal, "f", func() int { return 42 }); got != 42 {
		t.Errorf("Within = %d", got)
	}
}
