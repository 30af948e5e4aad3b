package controller

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestFanOutFiftyNamespacesOneMint: one PullSecret selecting 50
// namespaces mints exactly one credential; every namespace holds the same
// kubernetes.io/dockerconfigjson Secret, labelled and annotated as docr's,
// whose credential pulls from the fake's registry; each default service
// account gains the one entry.
func TestFanOutFiftyNamespacesOneMint(t *testing.T) {
	h := newHarness(t)
	nss := h.namespaces(50, nil)
	h.namespace(h.id+"-other", map[string]string{"test": "someone-else"}) // not selected
	h.start(h.config())
	h.apply(h.pullSecret())
	ps := h.waitNamespaces(h.id, 50)

	if got := h.mints(); len(got) != 1 {
		t.Fatalf("the fake issued %d credentials, want 1", len(got))
	}
	issued := h.mints()[0]
	if issued.Registry != "example" || issued.ReadWrite || issued.ExpirySeconds != 86400 {
		t.Errorf("issued %s read-write=%t expiry=%ds, want example, read-only, 86400s", issued.Registry, issued.ReadWrite, issued.ExpirySeconds)
	}
	if ps.Status.ExpiresAt == nil || ps.Status.RotatedAt == nil || ps.Status.ExpiresAt.Sub(ps.Status.RotatedAt.Time).Hours() != 24 {
		t.Errorf("status expiresAt %v rotatedAt %v, want 24h apart", ps.Status.ExpiresAt, ps.Status.RotatedAt)
	}
	var first []byte
	for _, ns := range nss {
		s := h.secret(ns, "docr-example")
		if s == nil {
			t.Fatalf("namespace %s has no Secret docr-example", ns)
		}
		if s.Type != corev1.SecretTypeDockerConfigJson || s.Labels[LabelManagedBy] != ManagedBy || s.Annotations[AnnotationPullSecret] != h.id {
			t.Errorf("Secret %s/docr-example: type %s, labels %v, annotations %v", ns, s.Type, s.Labels, s.Annotations)
		}
		if first == nil {
			first = s.Data[corev1.DockerConfigJsonKey]
		} else if !bytes.Equal(first, s.Data[corev1.DockerConfigJsonKey]) {
			t.Errorf("Secret %s/docr-example holds another credential than %s's", ns, nss[0])
		}
		sa := h.serviceAccount(ns, "default")
		if len(sa.ImagePullSecrets) != 1 || sa.ImagePullSecrets[0].Name != "docr-example" {
			t.Errorf("%s/default imagePullSecrets = %v, want [docr-example]", ns, sa.ImagePullSecrets)
		}
	}
	if s := h.secret(h.id+"-other", "docr-example"); s != nil {
		t.Errorf("an unselected namespace got the Secret")
	}
	if err := h.pull(h.secret(nss[0], "docr-example")); err != nil {
		t.Errorf("pull with the managed Secret's credential: %v", err)
	}
	if n := len(h.mints()); n != 1 {
		t.Errorf("the fake issued %d credentials by the end, want 1", n)
	}

	// A new namespace gets the Secret at once (by its watch event: the next
	// requeue is hours away on the test's clock, which does not move), and
	// its default service account, created after it, gains the entry.
	late := h.id + "-late"
	h.create(&corev1.Namespace{ObjectMeta: metaName(late, map[string]string{"test": h.id})})
	h.waitFor("Secret in the new namespace", func() (bool, error) { return h.secret(late, "docr-example") != nil, nil })
	h.create(&corev1.ServiceAccount{ObjectMeta: namespacedMeta(late, "default")})
	h.waitFor("entry on the new namespace's default service account", func() (bool, error) {
		sa := h.serviceAccount(late, "default")
		return len(sa.ImagePullSecrets) == 1 && sa.ImagePullSecrets[0].Name == "docr-example", nil
	})
	h.waitNamespaces(h.id, 51)
	if n := len(h.mints()); n != 1 {
		t.Errorf("the fake issued %d credentials after a new namespace, want 1", n)
	}
}
