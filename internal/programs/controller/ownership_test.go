package controller

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRestoresDeletedAndTamperedSecrets: a managed Secret that is deleted,
// edited, or stripped of its managed-by label comes back as it was,
// without a new mint.
func TestRestoresDeletedAndTamperedSecrets(t *testing.T) {
	h := newHarness(t)
	nss := h.namespaces(3, nil)
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitNamespaces(h.id, 3)
	want := h.secret(nss[0], "docr-example").Data[corev1.DockerConfigJsonKey]
	ctx := context.Background()

	restored := func(ns string) func() (bool, error) {
		return func() (bool, error) {
			s := h.secret(ns, "docr-example")
			return s != nil && string(s.Data[corev1.DockerConfigJsonKey]) == string(want) && len(s.Data) == 1 &&
				s.Labels[LabelManagedBy] == ManagedBy && s.Annotations[AnnotationPullSecret] == h.id, nil
		}
	}
	tests := []struct {
		name string
		ns   string
		edit func(s *corev1.Secret) error
	}{
		{"deleted", nss[0], func(s *corev1.Secret) error { return h.k.Delete(ctx, s) }},
		{"data replaced", nss[1], func(s *corev1.Secret) error {
			s.Data[corev1.DockerConfigJsonKey] = []byte(`{"auths":{}}`)
			return h.k.Update(ctx, s)
		}},
		{"key added", nss[1], func(s *corev1.Secret) error {
			s.Data["extra"] = []byte("x")
			return h.k.Update(ctx, s)
		}},
		{"managed-by label removed", nss[2], func(s *corev1.Secret) error {
			delete(s.Labels, LabelManagedBy)
			return h.k.Update(ctx, s)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.edit(h.secret(tc.ns, "docr-example")); err != nil {
				t.Fatal(err)
			}
			if tc.name == "managed-by label removed" {
				// Out of the controller's cache now; a namespace event makes
				// it look (the label is how its cache finds Secrets).
				var ns corev1.Namespace
				_ = h.k.Get(ctx, clientKey("", tc.ns), &ns)
				ns.Labels["touched"] = "1"
				if err := h.k.Update(ctx, &ns); err != nil {
					t.Fatal(err)
				}
			}
			h.waitFor("Secret restored", restored(tc.ns))
		})
	}
	if n := len(h.mints()); n != 1 {
		t.Errorf("the fake issued %d credentials, want 1", n)
	}
}

// TestUnownedSecretIsLeftAlone: a Secret of the same name that docr did not
// create is never touched; Ready names its namespace and says why; the
// namespace's service account gains no entry; the other namespaces are
// served.
func TestUnownedSecretIsLeftAlone(t *testing.T) {
	h := newHarness(t)
	nss := h.namespaces(3, nil)
	theirs := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: nss[1], Name: "docr-example", Labels: map[string]string{"owner": "someone"}},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"registry.digitalocean.com":{"auth":"dGhlaXI6c2VjcmV0"}}}`)},
	}
	h.create(theirs)
	h.start(h.config())
	h.apply(h.pullSecret())
	ps := h.waitReady(h.id, metav1.ConditionFalse, ReasonSecretConflict)
	c := meta.FindStatusCondition(ps.Status.Conditions, ConditionReady)
	if !strings.Contains(c.Message, nss[1]) || !strings.Contains(c.Message, "did not create") {
		t.Errorf("Ready message %q does not name namespace %s and why", c.Message, nss[1])
	}
	h.waitFor("two namespaces served", func() (bool, error) { return h.get(h.id).Status.Namespaces == 2, nil })
	got := h.secret(nss[1], "docr-example")
	if string(got.Data[corev1.DockerConfigJsonKey]) != string(theirs.Data[corev1.DockerConfigJsonKey]) || got.Labels["owner"] != "someone" || got.Annotations[AnnotationPullSecret] != "" {
		t.Errorf("the unowned Secret was changed: %v %v", got.Labels, got.Annotations)
	}
	if sa := h.serviceAccount(nss[1], "default"); len(sa.ImagePullSecrets) != 0 {
		t.Errorf("%s/default gained %v, want no entry", nss[1], sa.ImagePullSecrets)
	}
	for _, ns := range []string{nss[0], nss[2]} {
		if h.secret(ns, "docr-example").Annotations[AnnotationPullSecret] != h.id {
			t.Errorf("namespace %s was not served", ns)
		}
	}
	// Once its owner deletes it, docr's takes its place at the next look
	// (every ConflictRecheck while a conflict lasts).
	if err := h.k.Delete(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	h.step(ConflictRecheck)
	h.waitNamespaces(h.id, 3)
}

// TestSelectorExcludesThenIncludes: a namespace that leaves the selection
// loses the Secret and the service-account entry (keeping entries docr did
// not add); back in the selection it gets them again, without a mint.
func TestSelectorExcludesThenIncludes(t *testing.T) {
	h := newHarness(t)
	nss := h.namespaces(2, nil)
	ctx := context.Background()
	sa := h.serviceAccount(nss[1], "default")
	sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "their-own"}}
	if err := h.k.Update(ctx, sa); err != nil {
		t.Fatal(err)
	}
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitNamespaces(h.id, 2)
	if got := h.serviceAccount(nss[1], "default").ImagePullSecrets; len(got) != 2 || got[0].Name != "their-own" || got[1].Name != "docr-example" {
		t.Fatalf("imagePullSecrets = %v, want [their-own docr-example]", got)
	}

	relabel := func(value string) {
		var ns corev1.Namespace
		if err := h.k.Get(ctx, clientKey("", nss[1]), &ns); err != nil {
			t.Fatal(err)
		}
		ns.Labels["test"] = value
		if err := h.k.Update(ctx, &ns); err != nil {
			t.Fatal(err)
		}
	}
	relabel("elsewhere")
	h.waitFor("Secret removed from the excluded namespace", func() (bool, error) { return h.secret(nss[1], "docr-example") == nil, nil })
	h.waitFor("entry removed", func() (bool, error) {
		sa := h.serviceAccount(nss[1], "default")
		return len(sa.ImagePullSecrets) == 1 && sa.ImagePullSecrets[0].Name == "their-own" && sa.Annotations[AnnotationServiceAccount] == "", nil
	})
	h.waitNamespaces(h.id, 1)
	relabel(h.id)
	h.waitNamespaces(h.id, 2)
	if got := h.serviceAccount(nss[1], "default").ImagePullSecrets; len(got) != 2 {
		t.Errorf("imagePullSecrets = %v, want their-own and docr-example", got)
	}
	if n := len(h.mints()); n != 1 {
		t.Errorf("the fake issued %d credentials, want 1", n)
	}
}
