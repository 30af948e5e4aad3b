package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/docrtest"
)

// event waits for an Event about the PullSecret name with reason.
func (h *harness) event(name, reason string) *eventsv1.Event {
	h.t.Helper()
	var found *eventsv1.Event
	h.waitFor("an Event "+reason, func() (bool, error) {
		var list eventsv1.EventList
		if err := h.k.List(context.Background(), &list, client.InNamespace("default")); err != nil {
			return false, err
		}
		for i := range list.Items {
			e := &list.Items[i]
			if e.Regarding.Kind == "PullSecret" && e.Regarding.Name == name && e.Reason == reason {
				found = e
				return true, nil
			}
		}
		return false, nil
	})
	return found
}

// nothingWritten fails the test if any pull Secret or a record exists for
// this test's PullSecret.
func (h *harness) nothingWritten(nss []string) {
	h.t.Helper()
	for _, ns := range nss {
		if h.secret(ns, "docr-example") != nil {
			h.t.Errorf("a Secret was written into %s after a failed mint", ns)
		}
	}
	if h.secret(controllerNS, recordName(h.id)) != nil {
		h.t.Errorf("a credential record was written after a failed mint")
	}
}

// TestMintFailures: a missing token Secret, a refused token, an unknown
// registry, an API error and a timeout each set Ready=False with their
// reason, emit an Event, write nothing, and back off: further events
// (here a spec change) send no new request until the backoff has passed.
func TestMintFailures(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(h *harness, ps *docrv1.PullSecret)
		fault    *docrtest.Fault
		timeout  time.Duration
		reason   string
		message  string
		requests int // docker-credentials requests before the backoff ends
	}{
		{name: "missing token Secret", edit: func(h *harness, ps *docrv1.PullSecret) { ps.Spec.TokenSecretRef.Name = "absent" },
			reason: ReasonTokenMissing, message: "token Secret docr-system/absent not found"},
		{name: "token key missing", edit: func(h *harness, ps *docrv1.PullSecret) { ps.Spec.TokenSecretRef.Key = "other" },
			reason: ReasonTokenMissing, message: "has no key other"},
		{name: "refused token", edit: func(h *harness, ps *docrv1.PullSecret) {
			h.setToken("dop_v1_" + strings.Repeat("0", 64))
		}, reason: ReasonTokenRefused, message: "401 Unauthorized", requests: 1},
		{name: "forbidden", fault: &docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 403, Times: -1},
			reason: ReasonTokenRefused, message: "403 Forbidden", requests: 1},
		{name: "unknown registry", edit: func(h *harness, ps *docrv1.PullSecret) { ps.Spec.Registry = "nope" },
			reason: ReasonRegistryNotFound, message: "registry nope", requests: 1},
		{name: "server error", fault: &docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 503, Times: -1},
			reason: ReasonAPIError, message: "503 Service Unavailable", requests: 1},
		{name: "timeout", fault: &docrtest.Fault{Op: "registries_get_dockerCredentials", Latency: time.Minute, Times: -1},
			timeout: time.Second, reason: ReasonAPITimeout, requests: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			nss := h.namespaces(1, nil)
			ps := h.pullSecret()
			if tc.edit != nil {
				tc.edit(h, ps)
				if ps.Spec.Registry != "example" {
					ps.Spec.SecretName = "docr-example"
				}
			}
			if tc.fault != nil {
				if err := h.fake.Inject(*tc.fault); err != nil {
					t.Fatal(err)
				}
			}
			cfg := h.config()
			if tc.timeout > 0 {
				cfg.APITimeout = tc.timeout
			}
			h.start(cfg)
			h.apply(ps)
			got := h.waitReady(h.id, metav1.ConditionFalse, tc.reason)
			c := meta.FindStatusCondition(got.Status.Conditions, ConditionReady)
			if !strings.Contains(c.Message, tc.message) {
				t.Errorf("Ready message %q does not say %q", c.Message, tc.message)
			}
			e := h.event(h.id, tc.reason)
			if e.Type != corev1.EventTypeWarning {
				t.Errorf("Event type %s, want Warning", e.Type)
			}
			h.touch(h.id)
			h.touch(h.id)
			if n := len(h.mintRequests()); n != tc.requests {
				t.Errorf("%d docker-credentials requests after two more events, want %d (backoff)", n, tc.requests)
			}
			h.nothingWritten(nss)
			if n := len(h.mints()); n != 0 && tc.name != "timeout" {
				t.Errorf("the fake issued %d credentials, want none", n)
			}
		})
	}
}

// setToken writes token into this test's token Secret.
func (h *harness) setToken(token string) {
	h.t.Helper()
	var s corev1.Secret
	if err := h.k.Get(context.Background(), client.ObjectKey{Namespace: controllerNS, Name: h.token}, &s); err != nil {
		h.t.Fatal(err)
	}
	s.Data = map[string][]byte{"token": []byte(token)}
	if err := h.k.Update(context.Background(), &s); err != nil {
		h.t.Fatal(err)
	}
}

// TestFixedTokenIsTriedAtOnce: a refused token backs off, but a new token
// in the Secret is tried at once (the backoff is for the old inputs).
func TestFixedTokenIsTriedAtOnce(t *testing.T) {
	h := newHarness(t)
	h.namespaces(1, nil)
	h.setToken("dop_v1_" + strings.Repeat("0", 64))
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitReady(h.id, metav1.ConditionFalse, ReasonTokenRefused)
	h.setToken(h.fake.Token)
	h.waitNamespaces(h.id, 1)
	if n := len(h.mintRequests()); n != 2 {
		t.Errorf("%d requests, want 2 (the refused one and the fixed one)", n)
	}
}

// TestRateLimitStorm: while the API answers every mint with 429 and
// Retry-After: 30s (and a rate-limit window resetting in 30s), events keep coming (spec changes) and time passes; the
// controller sends at most one request per Retry-After, never two within
// 30 seconds of the fake's clock, and mints exactly once when the storm
// ends.
func TestRateLimitStorm(t *testing.T) {
	h := newHarness(t)
	nss := h.namespaces(2, nil)
	if err := h.fake.Inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 429, RetryAfter: 30 * time.Second, ResetIn: 30 * time.Second, Times: -1}); err != nil {
		t.Fatal(err)
	}
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitReady(h.id, metav1.ConditionFalse, ReasonRateLimited)
	h.event(h.id, ReasonRateLimited)
	start := h.clock.Now()
	const rounds = 12 // two minutes in steps of 10 seconds, an event each
	for range rounds {
		h.step(10 * time.Second)
		h.touch(h.id)
	}
	elapsed := h.clock.Now().Sub(start)
	reqs := h.mintRequests()
	if max := 1 + int(elapsed/(30*time.Second)); len(reqs) > max || len(reqs) < 2 {
		t.Errorf("%d requests in %v of storm with %d events, want 2 to %d", len(reqs), elapsed, rounds, max)
	}
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].Time.Sub(reqs[i-1].Time); gap < 30*time.Second {
			t.Errorf("requests %d and %d only %v apart, want at least the Retry-After (30s)", i-1, i, gap)
		}
	}
	h.nothingWritten(nss)

	h.fake.ClearFaults()
	h.step(30 * time.Second)
	h.waitNamespaces(h.id, 2)
	if n := len(h.mints()); n != 1 {
		t.Errorf("the fake issued %d credentials, want 1", n)
	}
}

// TestRateLimitResetIsHonoured: a 429 without Retry-After but with
// ratelimit-reset an hour away is not retried before the window resets.
func TestRateLimitResetIsHonoured(t *testing.T) {
	h := newHarness(t)
	h.namespaces(1, nil)
	if err := h.fake.Inject(docrtest.Fault{Op: "registries_get_dockerCredentials", Status: 429, ResetIn: time.Hour}); err != nil {
		t.Fatal(err)
	}
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitReady(h.id, metav1.ConditionFalse, ReasonRateLimited)
	h.step(30 * time.Minute)
	h.touch(h.id)
	if n := len(h.mintRequests()); n != 1 {
		t.Fatalf("%d requests half-way to the reset, want 1", n)
	}
	h.step(31 * time.Minute)
	h.waitNamespaces(h.id, 1)
	if n := len(h.mintRequests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestTokenSecretElsewhereAppears: a token Secret outside the controller's
// namespace is not watched (the cache holds no such Secrets); once it
// exists, the next look after the backoff finds it.
func TestTokenSecretElsewhereAppears(t *testing.T) {
	h := newHarness(t)
	ns := h.namespaces(1, nil)[0]
	h.start(h.config())
	ps := h.pullSecret()
	ps.Spec.TokenSecretRef = docrv1.TokenSecretRef{Namespace: ns, Name: "do-token"}
	h.apply(ps)
	h.waitReady(h.id, metav1.ConditionFalse, ReasonTokenMissing)
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "do-token"}, Data: map[string][]byte{"token": []byte(h.fake.Token)}})
	h.step(DefaultBaseDelay)
	h.waitNamespaces(h.id, 1)
	if n := len(h.mints()); n != 1 {
		t.Errorf("minted %d, want 1", n)
	}
}
