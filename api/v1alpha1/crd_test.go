package v1alpha1_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/internal/testsupport/kubeenv"
)

var (
	env    *kubeenv.Env
	envErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard
	root, err := kubeenv.ModuleRoot()
	if err == nil {
		env, err = kubeenv.Start(ctx, root)
	}
	envErr = err
	code := m.Run()
	if env != nil {
		_ = env.Stop()
	}
	cancel()
	os.Exit(code)
}

func dur(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: d}
}

func valid(name string) *docrv1.PullSecret {
	return &docrv1.PullSecret{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: docrv1.PullSecretSpec{
			Registry:       "example",
			TokenSecretRef: docrv1.TokenSecretRef{Namespace: "docr-system", Name: "do-token"},
		},
	}
}

// TestCRDDefaults creates a minimal PullSecret on the real API server and
// reads back the defaults the CRD sets.
func TestCRDDefaults(t *testing.T) {
	kubeenv.Require(t, envErr)
	ctx := t.Context()
	ps := valid("crd-defaults")
	if err := env.Client.Create(ctx, ps); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ps) })
	var got docrv1.PullSecret
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ps), &got); err != nil {
		t.Fatal(err)
	}
	s := got.Spec
	if s.Expiry == nil || s.Expiry.Duration != 24*time.Hour {
		t.Errorf("expiry = %v, want 24h", s.Expiry)
	}
	if s.RevokeAfter == nil || s.RevokeAfter.Duration != 5*time.Minute {
		t.Errorf("revokeAfter = %v, want 5m", s.RevokeAfter)
	}
	if s.RenewBefore != nil {
		t.Errorf("renewBefore = %v, want unset (the controller uses a third of expiry)", s.RenewBefore)
	}
	if s.TokenSecretRef.Key != "token" {
		t.Errorf("tokenSecretRef.key = %q, want token", s.TokenSecretRef.Key)
	}
	if s.ServiceAccounts != docrv1.ServiceAccountsDefault {
		t.Errorf("serviceAccounts = %q, want Default", s.ServiceAccounts)
	}
	if s.ReadWrite || s.SecretName != "" || s.NamespaceSelector != nil {
		t.Errorf("readWrite, secretName, namespaceSelector = %v, %q, %v; want false, empty, nil", s.ReadWrite, s.SecretName, s.NamespaceSelector)
	}
}

// TestCRDValidation sends PullSecrets the API must refuse, and edge cases it
// must accept, to the real API server.
func TestCRDValidation(t *testing.T) {
	kubeenv.Require(t, envErr)
	tests := []struct {
		name    string
		edit    func(*docrv1.PullSecret)
		wantErr string // "" for accepted
	}{
		{"minimal", func(*docrv1.PullSecret) {}, ""},
		{"all fields", func(p *docrv1.PullSecret) {
			p.Spec.ReadWrite = true
			p.Spec.Expiry, p.Spec.RenewBefore, p.Spec.RevokeAfter = dur("2m"), dur("1m59s"), dur("0s")
			p.Spec.SecretName = "pull.secret"
			p.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
			p.Spec.ServiceAccounts = docrv1.ServiceAccountsAll
			p.Spec.TokenSecretRef.Key = "do_token.v1"
		}, ""},
		{"longest expiry", func(p *docrv1.PullSecret) { p.Spec.Expiry = dur("2160h") }, ""},
		{"registry ending in a hyphen with a secretName", func(p *docrv1.PullSecret) { p.Spec.Registry, p.Spec.SecretName = "ex-", "pull" }, ""},
		{"registry ending in a hyphen", func(p *docrv1.PullSecret) { p.Spec.Registry = "ex-" }, "secretName is required when registry ends with a hyphen"},
		{"empty registry", func(p *docrv1.PullSecret) { p.Spec.Registry = "" }, "spec.registry"},
		{"upper-case registry", func(p *docrv1.PullSecret) { p.Spec.Registry = "Example" }, "spec.registry"},
		{"registry of 64 bytes", func(p *docrv1.PullSecret) { p.Spec.Registry = strings.Repeat("a", 64) }, "spec.registry"},
		{"expiry under 2m", func(p *docrv1.PullSecret) { p.Spec.Expiry = dur("119s") }, "expiry must be at least 2m"},
		{"expiry over 90 days", func(p *docrv1.PullSecret) { p.Spec.Expiry = dur("2161h") }, "at most 90 days"},
		{"expiry with a fraction of a second", func(p *docrv1.PullSecret) { p.Spec.Expiry = dur("150500ms") }, "whole number of seconds"},
		{"renewBefore equal to expiry", func(p *docrv1.PullSecret) { p.Spec.RenewBefore = dur("24h") }, "renewBefore must be less than expiry"},
		{"renewBefore zero", func(p *docrv1.PullSecret) { p.Spec.RenewBefore = dur("0s") }, "renewBefore must be positive"},
		{"revokeAfter over 90 days", func(p *docrv1.PullSecret) { p.Spec.RevokeAfter = dur("2200h") }, "revokeAfter must be at most 90 days"},
		{"bad serviceAccounts", func(p *docrv1.PullSecret) { p.Spec.ServiceAccounts = "Some" }, "spec.serviceAccounts"},
		{"bad secretName", func(p *docrv1.PullSecret) { p.Spec.SecretName = "Docr_Example" }, "spec.secretName"},
		{"no token Secret name", func(p *docrv1.PullSecret) { p.Spec.TokenSecretRef.Name = "" }, "spec.tokenSecretRef.name"},
		{"bad token namespace", func(p *docrv1.PullSecret) { p.Spec.TokenSecretRef.Namespace = "a.b" }, "spec.tokenSecretRef.namespace"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := valid("crd-validation-" + string(rune('a'+i)))
			tc.edit(ps)
			err := env.Client.Create(t.Context(), ps, client.DryRunAll)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("accepted, want an error naming %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q does not name %q", err, tc.wantErr)
			}
		})
	}
	// A duration the typed client cannot even send.
	raw := valid("crd-validation-raw")
	raw.Spec.Expiry = nil
	if err := env.Client.Create(t.Context(), raw, client.DryRunAll); err != nil {
		t.Errorf("no expiry (defaulted): %v", err)
	}
}

// TestCRDPrinterColumns checks that kubectl get pullsecrets shows Ready,
// Expires and Namespaces, and that the resource is cluster-scoped.
func TestCRDPrinterColumns(t *testing.T) {
	kubeenv.Require(t, envErr)
	var crd apiextensionsv1.CustomResourceDefinition
	if err := env.Client.Get(t.Context(), client.ObjectKey{Name: "pullsecrets.docr.dev"}, &crd); err != nil {
		t.Fatal(err)
	}
	if crd.Spec.Scope != apiextensionsv1.ClusterScoped {
		t.Errorf("scope = %s, want Cluster", crd.Spec.Scope)
	}
	var cols []string
	for _, c := range crd.Spec.Versions[0].AdditionalPrinterColumns {
		cols = append(cols, c.Name+":"+c.JSONPath)
	}
	want := []string{`Ready:.status.conditions[?(@.type=="Ready")].status`, "Expires:.status.expiresAt", "Namespaces:.status.namespaces"}
	if strings.Join(cols, " ") != strings.Join(want, " ") {
		t.Errorf("printer columns = %q, want %q", cols, want)
	}
}
