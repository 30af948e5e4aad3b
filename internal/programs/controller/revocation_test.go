package controller

import (
	"slices"
	"testing"
	"time"

	"github.com/docr-dev/docr/docrtest"
)

// revokeRequests returns the status of every revocation request the fake
// received, in order.
func (h *harness) revokeRequests() []int {
	var out []int
	for _, r := range h.fake.Requests() {
		if r.Operation == docrtest.OpOAuthRevoke {
			out = append(out, r.Status)
		}
	}
	return out
}

// TestRevocationFailuresRetried (issue 21, behaviour 6): a replaced
// credential whose revocation fails stays in the record and is tried again
// after the backoff (5 s, then 10 s: the clock is stepped past each) until
// the revocation succeeds.
func TestRevocationFailuresRetried(t *testing.T) {
	h := newHarness(t)
	_, old := h.rotateOnce(1, 5*time.Minute)
	if err := h.fake.Inject(docrtest.Fault{Op: docrtest.OpOAuthRevoke, Status: 503, Times: 2}); err != nil {
		t.Fatal(err)
	}

	h.step(5 * time.Minute) // revokeAfter: the first attempt, refused
	h.waitFor("a first refused revocation", func() (bool, error) { return len(h.revokeRequests()) == 1, nil })
	if e := h.event(h.id, ReasonRevokeFailed); e.Type != "Warning" {
		t.Errorf("Event type %s, want Warning", e.Type)
	}
	h.step(5 * time.Second)
	h.waitFor("a second refused revocation", func() (bool, error) { return len(h.revokeRequests()) == 2, nil })
	if n := len(h.pending()); n != 1 {
		t.Fatalf("%d credentials await revocation after two refusals, want 1", n)
	}
	h.step(10 * time.Second)
	h.waitFor("the replaced credential revoked", func() (bool, error) { return h.issued(old.Password).Revoked, nil })
	h.waitFor("the record without it", func() (bool, error) { return len(h.pending()) == 0, nil })
	if got, want := h.revokeRequests(), []int{503, 503, 200}; !slices.Equal(got, want) {
		t.Errorf("revocation requests answered %v, want %v", got, want)
	}
	if n := len(h.mints()); n != 2 {
		t.Errorf("%d mints, want 2: revocation failures mint nothing", n)
	}
}

// TestRevocationGivesUpOnceExpired: a replaced credential whose revocation
// keeps failing is retried until it expires, then dropped from the record
// (an expired credential opens nothing) and counted as expired.
func TestRevocationGivesUpOnceExpired(t *testing.T) {
	h := newHarness(t)
	_, old := h.rotateOnce(1, 5*time.Minute)
	if err := h.fake.Inject(docrtest.Fault{Op: docrtest.OpOAuthRevoke, Status: 503, Times: -1}); err != nil {
		t.Fatal(err)
	}
	// The PullSecret's deletion when the test ends revokes the current
	// credential: let it (cleanups run last first, so this one before the
	// deletion that rotateOnce's apply registered).
	t.Cleanup(h.fake.ClearFaults)

	h.step(5 * time.Minute)
	h.waitFor("a refused revocation", func() (bool, error) { return len(h.revokeRequests()) >= 1, nil })
	if n := len(h.pending()); n != 1 {
		t.Fatalf("%d credentials await revocation after a refusal, want 1", n)
	}
	h.step(16 * time.Minute) // past the replaced credential's expiry (60 minutes)
	h.waitFor("the expired credential dropped from the record", func() (bool, error) { return len(h.pending()) == 0, nil })
	if h.issued(old.Password).Revoked {
		t.Error("the fake says the credential was revoked, though every revocation was refused")
	}
	for i, s := range h.revokeRequests() {
		if s != 503 {
			t.Errorf("revocation request %d answered %d, want 503", i, s)
		}
	}
	if n := len(h.mints()); n != 2 {
		t.Errorf("%d mints, want 2", n)
	}
}
