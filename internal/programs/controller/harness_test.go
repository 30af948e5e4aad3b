package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/go-logr/logr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/internal/testsupport/kubeenv"
	"github.com/docr-dev/docr/internal/testsupport/stepclock"
)

// The integration tests run against one real kube-apiserver and etcd
// (kubeenv), started once for the package, and the docr fake API
// (docrtest) in-process. Each test runs its own controller (as the
// service account of deploy/, with exactly its RBAC) with its own fake and
// a step clock, one test at a time: controllers are cluster-wide.

var (
	env    *kubeenv.Env
	envErr error
)

func TestMain(m *testing.M) {
	// The informers' own logs (the controller's go to each test's buffer).
	ctrllog.SetLogger(logr.Discard())
	code := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // hang guard
		defer cancel()
		root, err := kubeenv.ModuleRoot()
		if err == nil {
			env, err = kubeenv.Start(ctx, root)
		}
		envErr = err
		if env != nil {
			defer func() { _ = env.Stop() }()
		}
		return m.Run()
	}()
	os.Exit(code)
}

// controllerNS is the controller's namespace in the tests (deploy/'s).
const controllerNS = "docr-system"

// hangGuard bounds every wait; it is far above what the work takes.
const hangGuard = 90 * time.Second

// harness is one test's controller, fake API, clock and names.
type harness struct {
	t       *testing.T
	k       client.Client
	clock   *stepclock.Clock
	fake    *docrtest.Server
	id      string // unique per test: labels, names
	token   string // the token Secret's name in controllerNS
	logs    *syncBuffer
	stopMu  sync.Mutex
	stop    func()
	started bool
	// external is set while controllers run as programs.
	external bool
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newHarness starts a fake API (self registry host, the step clock) and a
// token Secret for it; start the controller with h.start.
func newHarness(t *testing.T, opts ...docrtest.Option) *harness {
	t.Helper()
	kubeenv.Require(t, envErr)
	clk := stepclock.New()
	h := &harness{
		t:     t,
		k:     env.Client,
		clock: clk,
		fake:  docrtest.NewServer(t, append([]docrtest.Option{docrtest.WithSelfRegistryHost(), docrtest.WithClock(clk.Now)}, opts...)...),
		id:    strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())),
		logs:  &syncBuffer{},
	}
	if len(h.id) > 40 {
		h.id = h.id[:40]
	}
	h.id = strings.TrimRight(h.id, "-")
	h.token = "token-" + h.id
	h.create(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: h.token},
		Data:       map[string][]byte{"token": []byte(h.fake.Token)},
	})
	t.Cleanup(h.checkNoSecretsLeaked)
	t.Cleanup(func() {
		if t.Failed() {
			logs := h.logs.String()
			if len(logs) > 8000 {
				logs = "..." + logs[len(logs)-8000:]
			}
			t.Logf("controller logs:\n%s", logs)
		}
	})
	return h
}

// config is the controller configuration of the tests.
func (h *harness) config() Config {
	return Config{
		Namespace:          controllerNS,
		APIURL:             h.fake.URL,
		RevokeURL:          h.fake.URL + "/v1/oauth/revoke",
		RegistryHost:       h.fake.RegistryHost(),
		MetricsAddr:        "0",
		ProbeAddr:          "0",
		Clock:              h.clock,
		SkipNameValidation: true,
		Logger:             logr.FromSlogHandler(slog.NewJSONHandler(h.logs, nil)),
		// Jitter off: the waits are the policy's upper bounds.
		backoff: backoffPolicy{jitter: func(d time.Duration) time.Duration { return d }},
	}
}

// start runs a controller until the test ends (or h.stopController).
func (h *harness) start(cfg Config) {
	h.t.Helper()
	mgr, err := NewManager(env.Controller, cfg)
	if err != nil {
		h.t.Fatalf("NewManager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				h.t.Errorf("manager: %v", err)
			}
		case <-time.After(hangGuard):
			h.t.Errorf("manager did not stop")
		}
	}
	h.stopMu.Lock()
	first := !h.started
	h.stop, h.started = stop, true
	h.stopMu.Unlock()
	if first {
		// Registered once, before any PullSecret's cleanup, so that
		// PullSecrets are deleted while a controller still runs.
		h.t.Cleanup(h.stopController)
	}
}

// stopController stops the running controller, if any.
func (h *harness) stopController() {
	h.stopMu.Lock()
	stop := h.stop
	h.stop = nil
	h.stopMu.Unlock()
	if stop != nil {
		stop()
	}
}

func (h *harness) create(obj client.Object) {
	h.t.Helper()
	if err := h.k.Create(context.Background(), obj); err != nil {
		h.t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
}

// namespaces creates n namespaces labelled for this test (test=<id>),
// each with a "default" service account (envtest runs no controller that
// would make one), and returns their names.
func (h *harness) namespaces(n int, extra map[string]string) []string {
	h.t.Helper()
	var names []string
	for i := range n {
		ns := fmt.Sprintf("%s-%d", h.id, i)
		h.namespace(ns, extra)
		names = append(names, ns)
	}
	return names
}

// namespace creates one namespace labelled for this test and its default
// service account.
func (h *harness) namespace(ns string, extra map[string]string) {
	h.t.Helper()
	labels := map[string]string{"test": h.id}
	for k, v := range extra {
		labels[k] = v
	}
	h.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}})
	h.create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}})
}

// pullSecret returns a PullSecret of registry "example" with this test's
// token and namespace selector; edit it before h.apply.
func (h *harness) pullSecret() *docrv1.PullSecret {
	return &docrv1.PullSecret{
		ObjectMeta: metav1.ObjectMeta{Name: h.id},
		Spec: docrv1.PullSecretSpec{
			Registry:          "example",
			TokenSecretRef:    docrv1.TokenSecretRef{Namespace: controllerNS, Name: h.token},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"test": h.id}},
		},
	}
}

// apply creates ps and deletes it when the test ends (waiting for the
// finalizer while the controller runs, else removing it).
func (h *harness) apply(ps *docrv1.PullSecret) {
	h.t.Helper()
	h.create(ps)
	h.t.Cleanup(func() { h.deletePullSecret(ps.Name) })
}

// deletePullSecret deletes the PullSecret name and waits until it is gone;
// with no controller running, it removes the finalizer itself.
func (h *harness) deletePullSecret(name string) {
	ctx := context.Background()
	ps := &docrv1.PullSecret{}
	if err := h.k.Get(ctx, client.ObjectKey{Name: name}, ps); err != nil {
		return
	}
	_ = h.k.Delete(ctx, ps)
	h.stopMu.Lock()
	running := h.stop != nil || h.external
	h.stopMu.Unlock()
	if !running {
		_ = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if err := h.k.Get(ctx, client.ObjectKey{Name: name}, ps); err != nil {
				return client.IgnoreNotFound(err)
			}
			ps.Finalizers = nil
			return h.k.Update(ctx, ps)
		})
	}
	h.waitFor("PullSecret "+name+" gone", func() (bool, error) {
		err := h.k.Get(ctx, client.ObjectKey{Name: name}, &docrv1.PullSecret{})
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	})
}

// waitFor polls cond until it holds; the hang guard fails the test.
func (h *harness) waitFor(what string, cond func() (bool, error)) {
	h.t.Helper()
	deadline := time.Now().Add(hangGuard)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("waiting for %s: gave up after %v (last error: %v)", what, hangGuard, last)
}

// get reads the PullSecret name.
func (h *harness) get(name string) *docrv1.PullSecret {
	h.t.Helper()
	var ps docrv1.PullSecret
	if err := h.k.Get(context.Background(), client.ObjectKey{Name: name}, &ps); err != nil {
		h.t.Fatalf("get PullSecret %s: %v", name, err)
	}
	return &ps
}

// waitReady waits until the PullSecret's Ready condition has status and,
// if reason is not empty, that reason, for its current generation; it
// returns the PullSecret.
func (h *harness) waitReady(name string, status metav1.ConditionStatus, reason string) *docrv1.PullSecret {
	h.t.Helper()
	var ps *docrv1.PullSecret
	h.waitFor(fmt.Sprintf("PullSecret %s Ready=%s %s", name, status, reason), func() (bool, error) {
		ps = h.get(name)
		c := meta.FindStatusCondition(ps.Status.Conditions, ConditionReady)
		return c != nil && ps.Status.ObservedGeneration == ps.Generation && c.Status == status && (reason == "" || c.Reason == reason), nil
	})
	return ps
}

// waitNamespaces waits until the PullSecret reports n namespaces and Ready.
func (h *harness) waitNamespaces(name string, n int) *docrv1.PullSecret {
	h.t.Helper()
	var ps *docrv1.PullSecret
	h.waitFor(fmt.Sprintf("PullSecret %s ready in %d namespaces", name, n), func() (bool, error) {
		ps = h.get(name)
		c := meta.FindStatusCondition(ps.Status.Conditions, ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && ps.Status.ObservedGeneration == ps.Generation && int(ps.Status.Namespaces) == n, nil
	})
	return ps
}

// waitRotated waits, as waitNamespaces does, for a status that reports a
// rotation after before's: a rotation changes no generation, so the status
// of the credential it replaced would otherwise pass the wait.
func (h *harness) waitRotated(name string, n int, before *docrv1.PullSecret) *docrv1.PullSecret {
	h.t.Helper()
	var ps *docrv1.PullSecret
	h.waitFor(fmt.Sprintf("PullSecret %s rotated after %v, ready in %d namespaces", name, before.Status.RotatedAt, n), func() (bool, error) {
		ps = h.get(name)
		c := meta.FindStatusCondition(ps.Status.Conditions, ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && int(ps.Status.Namespaces) == n &&
			ps.Status.RotatedAt != nil && before.Status.RotatedAt != nil && ps.Status.RotatedAt.After(before.Status.RotatedAt.Time), nil
	})
	return ps
}

// secret reads ns/name; nil if it does not exist.
func (h *harness) secret(ns, name string) *corev1.Secret {
	h.t.Helper()
	var s corev1.Secret
	err := h.k.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		h.t.Fatalf("get Secret %s/%s: %v", ns, name, err)
	}
	return &s
}

// serviceAccount reads ns/name.
func (h *harness) serviceAccount(ns, name string) *corev1.ServiceAccount {
	h.t.Helper()
	var sa corev1.ServiceAccount
	if err := h.k.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &sa); err != nil {
		h.t.Fatalf("get ServiceAccount %s/%s: %v", ns, name, err)
	}
	return &sa
}

// mints returns the credentials the fake issued.
func (h *harness) mints() []docrtest.IssuedCredential { return h.fake.Credentials() }

// mintRequests counts the docker-credentials requests the fake received.
func (h *harness) mintRequests() []docrtest.RecordedRequest {
	var out []docrtest.RecordedRequest
	for _, r := range h.fake.Requests() {
		if r.Operation == "registries_get_dockerCredentials" {
			out = append(out, r)
		}
	}
	return out
}

// pull pulls example/repo-1:latest from the fake's registry with the
// credential a pull Secret holds (parsed by docker/cli's config code, as
// go-containerregistry's keychain does). It returns the error of the pull.
func (h *harness) pull(s *corev1.Secret) error {
	h.t.Helper()
	cf := configfile.New("")
	if err := cf.LoadFromReader(bytes.NewReader(s.Data[corev1.DockerConfigJsonKey])); err != nil {
		h.t.Fatalf("Secret %s/%s: .dockerconfigjson: %v", s.Namespace, s.Name, err)
	}
	ac, err := cf.GetAuthConfig(h.fake.RegistryHost())
	if err != nil || ac.Password == "" {
		h.t.Fatalf("Secret %s/%s holds no credential for %s (%v)", s.Namespace, s.Name, h.fake.RegistryHost(), err)
	}
	ref, err := name.ParseReference(h.fake.RegistryHost()+"/example/repo-1:latest", name.Insecure)
	if err != nil {
		h.t.Fatal(err)
	}
	img, err := remote.Image(ref, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: ac.Username, Password: ac.Password})), remote.WithContext(context.Background()))
	if err != nil {
		return err
	}
	_, err = img.Digest()
	return err
}

// refused reports whether err is the registry refusing a credential.
func refused(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && (te.StatusCode == 401 || te.StatusCode == 403)
}

// step moves the clock and lets the controller act on it.
func (h *harness) step(d time.Duration) { h.clock.Step(d) }

// checkNoSecretsLeaked fails the test if the controller's logs, the
// PullSecrets' status or their Events hold the API token or a credential.
func (h *harness) checkNoSecretsLeaked() {
	secrets := []string{h.fake.Token}
	for _, c := range h.mints() {
		secrets = append(secrets, c.Password)
	}
	var evs corev1.EventList
	_ = env.Client.List(context.Background(), &evs)
	var text strings.Builder
	text.WriteString(h.logs.String())
	for _, e := range evs.Items {
		text.WriteString(e.Message + "\n")
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(text.String(), s) {
			h.t.Errorf("a secret appears in the controller's logs or events")
		}
	}
}

// pending returns the record's credentials awaiting revocation.
func (h *harness) pending() []recordEntry {
	h.t.Helper()
	s := h.secret(controllerNS, recordName(h.id))
	if s == nil {
		h.t.Fatal("no credential record")
	}
	var d recordData
	if err := json.Unmarshal(s.Data[recordKey], &d); err != nil {
		h.t.Fatal(err)
	}
	return d.Pending
}

// rotateOnce starts a controller and creates a PullSecret (expiry 1h,
// renewBefore 20m, revokeAfter as given) selecting n new namespaces, steps
// the clock to its rotation and waits until the rotation is reported. It
// returns the namespaces and the replaced credential, which awaits
// revocation revokeAfter later (of the test's clock).
func (h *harness) rotateOnce(n int, revokeAfter time.Duration) ([]string, docrtest.IssuedCredential) {
	h.t.Helper()
	nss := h.namespaces(n, nil)
	h.start(h.config())
	ps := h.pullSecret()
	ps.Spec.Expiry, ps.Spec.RenewBefore, ps.Spec.RevokeAfter = duration(time.Hour), duration(20*time.Minute), duration(revokeAfter)
	h.apply(ps)
	first := h.waitNamespaces(h.id, n)
	old := h.credentialOf(h.secret(nss[0], "docr-example"))
	h.step(40 * time.Minute)
	h.waitFor("a rotation", func() (bool, error) { return len(h.mints()) == 2, nil })
	h.waitRotated(h.id, n, first)
	if got := len(h.pending()); got != 1 {
		h.t.Fatalf("%d credentials await revocation after the rotation, want 1", got)
	}
	return nss, old
}
