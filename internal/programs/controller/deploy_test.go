package controller

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	"github.com/docr-dev/docr/internal/testsupport/kubeenv"
)

// TestDeployDryRun: every object of deploy/ passes a server-side dry-run
// apply on the real API server (kubeenv applied all but the Deployment for
// real already), and kubectl kustomize, where kubectl is installed, builds
// the same objects from the base.
func TestDeployDryRun(t *testing.T) {
	kubeenv.Require(t, envErr)
	kinds := map[string]bool{}
	for _, o := range env.Deploy {
		kinds[o.GetKind()] = true
		if err := kubeenv.Apply(context.Background(), env.Client, o, true); err != nil {
			t.Errorf("dry-run apply: %v", err)
		}
	}
	for _, k := range []string{"CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment"} {
		if !kinds[k] {
			t.Errorf("deploy/ has no %s", k)
		}
	}
	dep := find(env.Deploy, "Deployment", "docr-controller")
	if dep == nil {
		t.Fatal("no Deployment docr-controller")
	}
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"spec", "replicas"}, int64(2)},
		{[]string{"metadata", "namespace"}, "docr-system"},
		{[]string{"spec", "template", "spec", "serviceAccountName"}, "docr-controller"},
		{[]string{"spec", "template", "spec", "securityContext", "runAsNonRoot"}, true},
	}
	for _, c := range checks {
		got, _, _ := unstructured.NestedFieldNoCopy(dep.Object, c.path...)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Deployment %s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers, want 1", len(containers))
	}
	ctr := containers[0].(map[string]any)
	if ctr["image"] != "ko://github.com/docr-dev/docr/cmd/docr-controller" {
		t.Errorf("image = %v", ctr["image"])
	}
	sc := ctr["securityContext"].(map[string]any)
	if sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false || sc["runAsNonRoot"] != true {
		t.Errorf("container securityContext = %v", sc)
	}
	args, _ := ctr["args"].([]any)
	if !slices.Contains(args, any("--leader-elect")) {
		t.Errorf("args %v lack --leader-elect", args)
	}
	for _, k := range []string{"livenessProbe", "readinessProbe", "resources"} {
		if ctr[k] == nil {
			t.Errorf("container has no %s", k)
		}
	}

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Logf("kubectl not installed: kustomize build not checked")
		return
	}
	out, err := exec.Command(kubectl, "kustomize", "../../../deploy").Output()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy: %v", err)
	}
	var built []string
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		built = append(built, u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName())
	}
	var listed []string
	for _, o := range env.Deploy {
		listed = append(listed, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	slices.Sort(built)
	slices.Sort(listed)
	if !slices.Equal(built, listed) {
		t.Errorf("kubectl kustomize builds %q, the files list %q", built, listed)
	}
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// TestMetricsNames: the controller's metrics have exactly the names and
// labels the issue lists, and hold this test's fan-out.
func TestMetricsNames(t *testing.T) {
	h := newHarness(t)
	h.namespaces(2, nil)
	h.start(h.config())
	h.apply(h.pullSecret())
	h.waitNamespaces(h.id, 2)
	want := map[string][]string{
		"docr_credential_expiry_timestamp_seconds": {"pullsecret"},
		"docr_credential_mints_total":              {"pullsecret"},
		"docr_credential_revocations_total":        {"pullsecret", "result"},
		"docr_managed_secrets":                     {"pullsecret"},
		"docr_api_requests_total":                  {"code"},
	}
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		labels, ok := want[f.GetName()]
		if !ok {
			continue
		}
		seen[f.GetName()] = true
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName())
			}
			if !slices.Equal(got, labels) {
				t.Errorf("%s has labels %v, want %v", f.GetName(), got, labels)
			}
		}
	}
	for name := range want {
		if !seen[name] && name != "docr_credential_revocations_total" { // no revocation yet
			t.Errorf("metric %s not registered", name)
		}
	}
	if got := testutil.ToFloat64(metricMints.WithLabelValues(h.id)); got != 1 {
		t.Errorf("docr_credential_mints_total{pullsecret=%q} = %v, want 1", h.id, got)
	}
	if got := testutil.ToFloat64(metricManaged.WithLabelValues(h.id)); got != 2 {
		t.Errorf("docr_managed_secrets = %v, want 2", got)
	}
	if got := testutil.ToFloat64(metricExpiry.WithLabelValues(h.id)); got != float64(h.get(h.id).Status.ExpiresAt.Unix()) && got-float64(h.get(h.id).Status.ExpiresAt.Unix()) >= 1 {
		t.Errorf("docr_credential_expiry_timestamp_seconds = %v, want %d", got, h.get(h.id).Status.ExpiresAt.Unix())
	}
	if got := testutil.ToFloat64(metricAPIRequests.WithLabelValues("200")); got < 1 {
		t.Errorf(`docr_api_requests_total{code="200"} = %v, want at least 1`, got)
	}
}
