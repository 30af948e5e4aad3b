package controller

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/docrtest"
)

func duration(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// credentialOf returns the issued credential a pull Secret holds.
func (h *harness) credentialOf(s *corev1.Secret) docrtest.IssuedCredential {
	h.t.Helper()
	for _, c := range h.mints() {
		if h.pullsWith(s, c) {
			return c
		}
	}
	h.t.Fatalf("Secret %s/%s holds no credential the fake issued", s.Namespace, s.Name)
	return docrtest.IssuedCredential{}
}

// pullsWith reports whether s's auth decodes to c (Data holds base64).
func (h *harness) pullsWith(s *corev1.Secret, c docrtest.IssuedCredential) bool {
	return bytes.Contains(s.Data[corev1.DockerConfigJsonKey], []byte(b64(c.Username+":"+c.Password)))
}

// issued returns the fake's record of the credential with password p.
func (h *harness) issued(p string) docrtest.IssuedCredential {
	for _, c := range h.mints() {
		if c.Password == p {
			return c
		}
	}
	h.t.Fatalf("no issued credential with that password")
	return docrtest.IssuedCredential{}
}

// TestRotationRevokesReplacedCredential: with expiry 1h, renewBefore 20m
// and revokeAfter 5m, the credential is replaced 40 minutes after it was
// minted, in every namespace; the replaced one keeps working for 5 more
// minutes, then is revoked and refused by the registry. Two mints, one
// revocation: the API calls of one rotation.
func TestRotationRevokesReplacedCredential(t *testing.T) {
	h := newHarness(t)
	nss := h.namespaces(3, nil)
	h.start(h.config())
	ps := h.pullSecret()
	ps.Spec.Expiry, ps.Spec.RenewBefore, ps.Spec.RevokeAfter = duration(time.Hour), duration(20*time.Minute), duration(5*time.Minute)
	h.apply(ps)
	first := h.waitNamespaces(h.id, 3)
	old := h.credentialOf(h.secret(nss[0], "docr-example"))
	if old.ExpirySeconds != 3600 {
		t.Errorf("expiry_seconds = %d, want 3600", old.ExpirySeconds)
	}

	h.step(39 * time.Minute)
	// Not yet due: nothing changes (checked after a spec touch that the
	// controller has acted on).
	h.touch(h.id)
	if n := len(h.mints()); n != 1 {
		t.Fatalf("minted %d credentials 39 minutes in, want 1", n)
	}
	h.step(time.Minute) // 40 minutes: renewBefore the expiry
	h.waitFor("a second credential in every namespace", func() (bool, error) {
		if len(h.mints()) != 2 {
			return false, nil
		}
		for _, ns := range nss {
			if h.pullsWith(h.secret(ns, "docr-example"), old) {
				return false, nil
			}
		}
		return true, nil
	})
	second := h.waitRotated(h.id, 3, first)
	// The clock runs with the wall clock between steps: the rotation is
	// due 40 minutes after the first mint, and comes within seconds of it.
	if got := second.Status.RotatedAt.Sub(first.Status.RotatedAt.Time); got < 40*time.Minute || got > 45*time.Minute {
		t.Errorf("rotatedAt %v is %v after %v, want 40m (renewBefore 20m of 1h)", second.Status.RotatedAt, got, first.Status.RotatedAt)
	}
	if h.issued(old.Password).Revoked {
		t.Fatal("the replaced credential was revoked at once, before revokeAfter")
	}
	oldSecret := secretWith(nss[0], old)
	if err := h.pull(oldSecret); err != nil {
		t.Errorf("the replaced credential stopped working within its grace: %v", err)
	}

	h.step(5 * time.Minute)
	h.waitFor("the replaced credential revoked", func() (bool, error) { return h.issued(old.Password).Revoked, nil })
	if err := h.pull(oldSecret); !refused(err) {
		t.Errorf("pull with the revoked credential: %v, want 401/403", err)
	}
	if err := h.pull(h.secret(nss[1], "docr-example")); err != nil {
		t.Errorf("pull with the new credential: %v", err)
	}
	mints, revokes := 0, 0
	for _, r := range h.fake.Requests() {
		switch r.Operation {
		case "registries_get_dockerCredentials":
			mints++
		case docrtest.OpOAuthRevoke:
			revokes++
		}
	}
	if mints != 2 || revokes != 1 {
		t.Errorf("API calls: %d mints, %d revocations; want 2 and 1", mints, revokes)
	}
}

// secretWith is a pull Secret holding credential c (for pulls with an old
// credential after the namespaces moved on).
func secretWith(ns string, c docrtest.IssuedCredential) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "old"},
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"` + c.Host + `":{"auth":"` + b64(c.Username+":"+c.Password) + `"}}}`)},
	}
}

// touch changes the PullSecret's spec in a way that needs no new
// credential (revokeAfter), and waits until the controller has acted on it.
func (h *harness) touch(name string) {
	h.t.Helper()
	var gen int64
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ps := h.get(name)
		ra := 5 * time.Minute
		if ps.Spec.RevokeAfter != nil && ps.Spec.RevokeAfter.Duration == ra {
			ra++
		}
		ps.Spec.RevokeAfter = duration(ra)
		if err := h.k.Update(context.Background(), ps); err != nil {
			return err
		}
		gen = ps.Generation // the new generation (Update fills ps in)
		return nil
	})
	if err != nil {
		h.t.Fatalf("touch: %v", err)
	}
	h.waitFor("the controller to act on generation "+itoa(gen), func() (bool, error) {
		return h.get(name).Status.ObservedGeneration >= gen, nil
	})
}

// TestSpecChanges: a change the current credential satisfies (selector,
// secretName) mints nothing; one it does not (readWrite, registry) replaces
// it like a rotation: the old one is revoked after revokeAfter.
func TestSpecChanges(t *testing.T) {
	h := newHarness(t, docrtest.WithSeed(twoRegistries()))
	nss := h.namespaces(2, nil)
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitNamespaces(h.id, 2)

	ps := h.get(h.id)
	ps.Spec.SecretName = "pull"
	if err := h.k.Update(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Secrets renamed", func() (bool, error) {
		return h.secret(nss[0], "pull") != nil && h.secret(nss[0], "docr-example") == nil, nil
	})
	h.waitFor("entry renamed", func() (bool, error) {
		got := h.serviceAccount(nss[0], "default").ImagePullSecrets
		return len(got) == 1 && got[0].Name == "pull", nil
	})
	if n := len(h.mints()); n != 1 {
		t.Fatalf("a new secretName minted: %d credentials, want 1", n)
	}
	old := h.credentialOf(h.secret(nss[0], "pull"))

	ps = h.get(h.id)
	ps.Spec.ReadWrite = true
	if err := h.k.Update(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a read-write credential in both namespaces", func() (bool, error) {
		for _, ns := range nss {
			s := h.secret(ns, "pull")
			if s == nil || h.pullsWith(s, old) {
				return false, nil
			}
		}
		return true, nil
	})
	if got := h.mints(); len(got) != 2 || !got[1].ReadWrite {
		t.Fatalf("mints = %d (last read-write: %t), want 2 with a read-write one", len(got), len(got) == 2 && got[1].ReadWrite)
	}
	h.step(5 * time.Minute)
	h.waitFor("the read-only credential revoked", func() (bool, error) { return h.issued(old.Password).Revoked, nil })

	ps = h.get(h.id)
	ps.Spec.Registry = "other"
	if err := h.k.Update(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a credential of registry other", func() (bool, error) {
		got := h.mints()
		return len(got) == 3 && got[2].Registry == "other" && h.pullsWith(h.secret(nss[1], "pull"), got[2]), nil
	})
}

// twoRegistries is the default seed plus a second registry, "other".
func twoRegistries() docrtest.Seed {
	s := docrtest.DefaultSeed()
	r := s.Registries[0]
	r.Name, r.Repositories = "other", nil
	s.Registries = append(s.Registries, r)
	return s
}

// TestServiceAccountModes: Default adds the entry to the default service
// account only, All to every one (also one created later), None to none;
// switching modes takes back what is no longer wanted, and entries docr
// did not add stay.
func TestServiceAccountModes(t *testing.T) {
	h := newHarness(t)
	ns := h.namespaces(1, nil)[0]
	h.create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "builder"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "mine"}}})
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitNamespaces(h.id, 1)

	entries := func(name string) []string {
		var out []string
		for _, r := range h.serviceAccount(ns, name).ImagePullSecrets {
			out = append(out, r.Name)
		}
		return out
	}
	want := func(mode docrv1.ServiceAccountMode, sas map[string][]string) {
		t.Helper()
		h.waitFor("service accounts in mode "+string(mode), func() (bool, error) {
			for sa, w := range sas {
				if !slices.Equal(entries(sa), w) {
					return false, nil
				}
			}
			return true, nil
		})
	}
	setMode := func(mode docrv1.ServiceAccountMode) {
		t.Helper()
		ps := h.get(h.id)
		ps.Spec.ServiceAccounts = mode
		if err := h.k.Update(context.Background(), ps); err != nil {
			t.Fatal(err)
		}
	}
	want(docrv1.ServiceAccountsDefault, map[string][]string{"default": {"docr-example"}, "builder": {"mine"}})
	setMode(docrv1.ServiceAccountsAll)
	want(docrv1.ServiceAccountsAll, map[string][]string{"default": {"docr-example"}, "builder": {"mine", "docr-example"}})
	h.create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late"}})
	want(docrv1.ServiceAccountsAll, map[string][]string{"late": {"docr-example"}})
	setMode(docrv1.ServiceAccountsNone)
	want(docrv1.ServiceAccountsNone, map[string][]string{"default": nil, "builder": {"mine"}, "late": nil})
	for _, sa := range []string{"default", "builder", "late"} {
		if a := h.serviceAccount(ns, sa).Annotations[AnnotationServiceAccount]; a != "" {
			t.Errorf("%s keeps annotation %q in mode None", sa, a)
		}
	}
	setMode(docrv1.ServiceAccountsDefault)
	want(docrv1.ServiceAccountsDefault, map[string][]string{"default": {"docr-example"}, "builder": {"mine"}, "late": nil})
	if h.secret(ns, "docr-example") == nil {
		t.Error("the Secret is gone")
	}
	if n := len(h.mints()); n != 1 {
		t.Errorf("mode changes minted: %d credentials, want 1", n)
	}
}

// TestDeletionCleansUp: deleting a PullSecret removes its Secrets and
// service-account entries, revokes every credential it minted (the current
// one and one awaiting revocation), deletes its record, then lets it go.
func TestDeletionCleansUp(t *testing.T) {
	h := newHarness(t)
	nss, _ := h.rotateOnce(2, 5*time.Minute) // one current, one pending
	if got := h.get(h.id).Finalizers; !slices.Contains(got, Finalizer) {
		t.Fatalf("finalizers = %v, want %s", got, Finalizer)
	}

	h.deletePullSecret(h.id)
	for _, ns := range nss {
		if h.secret(ns, "docr-example") != nil {
			t.Errorf("Secret in %s left behind", ns)
		}
		sa := h.serviceAccount(ns, "default")
		if len(sa.ImagePullSecrets) != 0 || sa.Annotations[AnnotationServiceAccount] != "" {
			t.Errorf("%s/default keeps %v %v", ns, sa.ImagePullSecrets, sa.Annotations)
		}
	}
	for i, c := range h.mints() {
		if !c.Revoked {
			t.Errorf("credential %d not revoked", i)
		}
	}
	if h.secret(controllerNS, recordName(h.id)) != nil {
		t.Error("the credential record is left behind")
	}
}

// TestRestartResumesFromRecord: a controller stopped while a replaced
// credential awaits revocation leaves it in the record; a new controller
// (another process, nothing in memory) mints nothing while the current
// credential is valid and revokes the pending one when due, though the
// namespaces that held it are gone.
func TestRestartResumesFromRecord(t *testing.T) {
	h := newHarness(t)
	nss, old := h.rotateOnce(2, 10*time.Minute)
	h.stopController()

	for _, ns := range nss {
		if err := h.k.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	h.start(h.config())
	h.touch(h.id)
	if n := len(h.mints()); n != 2 {
		t.Fatalf("the restarted controller minted: %d credentials, want 2", n)
	}
	if h.issued(old.Password).Revoked {
		t.Fatal("revoked before revokeAfter")
	}
	h.step(10 * time.Minute)
	h.waitFor("the pending credential revoked by the new controller", func() (bool, error) { return h.issued(old.Password).Revoked, nil })
	if n := len(h.mints()); n != 2 {
		t.Errorf("minted %d credentials in all, want 2", n)
	}
}

// TestRecordWriteFailureRevokesAtOnce: when the record cannot be written
// (here: the controller's namespace does not exist), the credential just
// minted is revoked at once and nothing is fanned out.
func TestRecordWriteFailureRevokesAtOnce(t *testing.T) {
	h := newHarness(t)
	ns := h.namespaces(1, nil)[0]
	cfg := h.config()
	cfg.Namespace = "docr-missing-" + itoa(time.Now().UnixNano()%100000)
	h.start(cfg)
	h.apply(h.pullSecret())
	h.waitReady(h.id, metav1.ConditionFalse, ReasonRecordFailed)
	got := h.mints()
	if len(got) != 1 || !got[0].Revoked {
		t.Fatalf("issued %d credentials (revoked: %v), want 1, revoked", len(got), len(got) > 0 && got[0].Revoked)
	}
	if h.secret(ns, "docr-example") != nil {
		t.Error("a credential whose record failed was fanned out")
	}
	var list corev1.SecretList
	if err := h.k.List(context.Background(), &list, client.MatchingLabels{LabelManagedBy: ManagedBy}, client.InNamespace(ns)); err != nil || len(list.Items) != 0 {
		t.Errorf("managed Secrets in %s: %d (%v)", ns, len(list.Items), err)
	}
}
