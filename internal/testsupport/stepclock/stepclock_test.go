package stepclock_test

import (
	"testing"
	"time"

	"github.com/docr-dev/docr/internal/testsupport/stepclock"
)

func TestStepFiresTimersAtTheirDeadline(t *testing.T) {
	t.Parallel()
	c := stepclock.New()
	start := c.Now()
	hour := c.NewTimer(time.Hour)
	day := c.NewTimer(24 * time.Hour)
	c.Step(2 * time.Hour)
	select {
	case got := <-hour.C():
		if got.Sub(start) < 2*time.Hour {
			t.Errorf("timer fired at %v after start, want at least 2h", got.Sub(start))
		}
	case <-time.After(time.Minute): // hang guard
		t.Fatal("the hour timer did not fire after a 2h step")
	}
	select {
	case <-day.C():
		t.Fatal("the day timer fired after a 2h step")
	default:
	}
	if !day.Stop() {
		t.Error("Stop of a pending timer reported false")
	}
	c.Step(48 * time.Hour)
	select {
	case <-day.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	if got := c.Offset(); got != 50*time.Hour {
		t.Errorf("Offset = %v, want 50h", got)
	}
}

func TestTimersAlsoFireByTheWallClock(t *testing.T) {
	t.Parallel()
	c := stepclock.New()
	select {
	case <-c.After(time.Millisecond):
	case <-time.After(time.Minute): // hang guard
		t.Fatal("a 1ms timer did not fire by the wall clock")
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Reset(time.Millisecond) {
		t.Error("Reset of a pending timer reported false")
	}
	select {
	case <-tm.C():
	case <-time.After(time.Minute): // hang guard
		t.Fatal("a timer reset to 1ms did not fire")
	}
}
