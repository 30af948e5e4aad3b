package controller_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	docrv1 "github.com/docr-dev/docr/api/v1alpha1"
	"github.com/docr-dev/docr/docrtest"
	ctl "github.com/docr-dev/docr/internal/programs/controller"
	"github.com/docr-dev/docr/internal/testsupport/kubeenv"
	"github.com/docr-dev/docr/internal/testsupport/stepclock"
)

const (
	controllerNS = "docr-system"
	namespaces   = 1000
	unrelated    = 10000
	hangGuard    = 15 * time.Minute
)

func init() { ctrllog.SetLogger(logr.Discard()) }

// startEnv starts a fresh kube-apiserver and etcd for one benchmark.
func startEnv(b *testing.B) *kubeenv.Env {
	b.Helper()
	root, err := kubeenv.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	env, err := kubeenv.Start(context.Background(), root)
	kubeenv.Require(b, err)
	b.Cleanup(func() { _ = env.Stop() })
	return env
}

// parallel runs fn(i) for i in [0, n) on 16 goroutines.
func parallel(b *testing.B, n int, fn func(i int) error) {
	b.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		b.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
}

// makeNamespaces creates n namespaces labelled set=<set>, each with a
// default service account (envtest runs no controller-manager), and per
// namespace `secrets` unrelated Secrets of 1 KiB.
func makeNamespaces(b *testing.B, k client.Client, set string, n, secrets int) {
	b.Helper()
	ctx := context.Background()
	parallel(b, n, func(i int) error {
		ns := fmt.Sprintf("%s-%d", set, i)
		if err := k.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"set": set}}}); err != nil {
			return err
		}
		if err := k.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}}); err != nil {
			return err
		}
		for j := range secrets {
			s := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("app-%d", j)},
				Data:       map[string][]byte{"config": []byte(strings.Repeat(strconv.Itoa(i*secrets+j), 1024)[:1024])},
			}
			if err := k.Create(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

func tokenSecret(b *testing.B, k client.Client, name, token string) {
	b.Helper()
	if err := k.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controllerNS, Name: name},
		Data:       map[string][]byte{"token": []byte(token)},
	}); err != nil {
		b.Fatal(err)
	}
}

func pullSecret(name, set, token string) *docrv1.PullSecret {
	return &docrv1.PullSecret{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: docrv1.PullSecretSpec{
			Registry:          "example",
			SecretName:        name,
			TokenSecretRef:    docrv1.TokenSecretRef{Namespace: controllerNS, Name: token},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"set": set}},
		},
	}
}

// waitConverged waits until the PullSecret is Ready in n namespaces.
func waitConverged(b *testing.B, k client.Client, name string, n int) {
	b.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		var ps docrv1.PullSecret
		if err := k.Get(context.Background(), client.ObjectKey{Name: name}, &ps); err == nil {
			c := meta.FindStatusCondition(ps.Status.Conditions, ctl.ConditionReady)
			if c != nil && c.Status == metav1.ConditionTrue && int(ps.Status.Namespaces) == n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("PullSecret %s did not converge on %d namespaces", name, n)
}

// deletePullSecret deletes it and waits until the finalizer let it go.
func deletePullSecret(b *testing.B, k client.Client, name string) {
	b.Helper()
	ps := &docrv1.PullSecret{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k.Delete(context.Background(), ps); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		if err := k.Get(context.Background(), client.ObjectKey{Name: name}, ps); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("PullSecret %s not deleted", name)
}

// runManager runs the controller in-process until the benchmark ends.
func runManager(b *testing.B, env *kubeenv.Env, cfg ctl.Config) {
	b.Helper()
	mgr, err := ctl.NewManager(env.Controller, cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mgr.Start(ctx)
	}()
	b.Cleanup(func() { cancel(); <-done })
}

// BenchmarkConvergence measures the time from a PullSecret's creation to
// 1,000 namespaces holding its Secret (and their default service accounts
// the entry), on the real API server; mints/op must be 1.
func BenchmarkConvergence(b *testing.B) {
	env := startEnv(b)
	fake := docrtest.NewServer(b, docrtest.WithSelfRegistryHost(), docrtest.WithRateLimit(0, 0))
	tokenSecret(b, env.Client, "bench-token", fake.Token)
	makeNamespaces(b, env.Client, "conv", namespaces, 0)
	runManager(b, env, ctl.Config{
		Namespace: controllerNS, APIURL: fake.URL, RevokeURL: fake.URL + "/v1/oauth/revoke", RegistryHost: fake.RegistryHost(),
		MetricsAddr: "0", ProbeAddr: "0", SkipNameValidation: true, Logger: logr.Discard(),
	})
	before := len(fake.Credentials())
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("conv-%d", i)
		if err := env.Client.Create(context.Background(), pullSecret(name, "conv", "bench-token")); err != nil {
			b.Fatal(err)
		}
		waitConverged(b, env.Client, name, namespaces)
		b.StopTimer()
		deletePullSecret(b, env.Client, name)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(fake.Credentials())-before)/float64(b.N), "mints/op")
	b.ReportMetric(namespaces, "namespaces")
}

// BenchmarkRSS runs the controller program (as the Deployment would) on a
// fresh cluster of 1,000 namespaces, with and without 10,000 unrelated
// Secrets, and reports its resident memory once converged.
func BenchmarkRSS(b *testing.B) {
	root, err := kubeenv.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "docr-controller")
	build := exec.Command("go", "build", "-o", bin, "./cmd/docr-controller")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, extra := range []int{0, unrelated} {
		b.Run(fmt.Sprintf("unrelated=%d", extra), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				rss, hwm, ctlRSS := rssRun(b, bin, extra)
				b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
				b.ReportMetric(float64(hwm)/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(ctlRSS)/(1<<20), "control-rss-MiB")
				b.ReportMetric(0, "ns/op") // memory, not time
			}
		})
	}
}

// envControl names the kubeconfig of TestCacheAllSecretsControl.
const envControl = "DOCR_BENCH_CONTROL_KUBECONFIG"

// TestCacheAllSecretsControl is the control of BenchmarkRSS, run by it as
// a child process: an informer cache of every Secret, namespace and
// service account of the cluster (what a controller without label-selected
// Secrets would hold). It prints "synced" and waits for stdin to close.
func TestCacheAllSecretsControl(t *testing.T) {
	path := os.Getenv(envControl)
	if path == "" {
		t.Skip("run by BenchmarkRSS")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := ctl.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, o := range []client.Object{&corev1.Secret{}, &corev1.Namespace{}, &corev1.ServiceAccount{}} {
		if _, err := c.GetInformer(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("cache not synced")
	}
	fmt.Println("synced")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// controlRSS runs TestCacheAllSecretsControl in a child process against
// the cluster of kubeconfig and returns its RSS once synced.
func controlRSS(b *testing.B, kubeconfig string) int64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCacheAllSecretsControl$", "-test.v")
	cmd.Env = append(os.Environ(), envControl+"="+kubeconfig)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "synced" {
			return procStatus(b, cmd.Process.Pid, "VmRSS:")
		}
	}
	b.Fatal("the control process ended before its cache synced")
	return 0
}

func rssRun(b *testing.B, bin string, extra int) (rss, hwm, control int64) {
	env := startEnv(b)
	defer func() { _ = env.Stop() }()
	fake := docrtest.NewServer(b, docrtest.WithSelfRegistryHost(), docrtest.WithRateLimit(0, 0))
	tokenSecret(b, env.Client, "bench-token", fake.Token)
	makeNamespaces(b, env.Client, "rss", namespaces, extra/namespaces)
	dir := b.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.ControllerKubeconfig, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--namespace", controllerNS, "--metrics-bind-address", "0", "--health-probe-bind-address", "0")
	cmd.Env = []string{"DIGITALOCEAN_API_URL=" + fake.URL, "DOCR_REVOKE_URL=" + fake.URL + "/v1/oauth/revoke", "DOCR_REGISTRY_HOST=" + fake.RegistryHost()}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := env.Client.Create(context.Background(), pullSecret("rss", "rss", "bench-token")); err != nil {
		b.Fatal(err)
	}
	waitConverged(b, env.Client, "rss", namespaces)
	rss, hwm = procStatus(b, cmd.Process.Pid, "VmRSS:"), procStatus(b, cmd.Process.Pid, "VmHWM:")
	return rss, hwm, controlRSS(b, kubeconfig)
}

// procStatus reads a kB field of /proc/<pid>/status, in bytes.
func procStatus(b *testing.B, pid int, field string) int64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == field {
			kb, err := strconv.ParseInt(fs[1], 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatalf("%s not in /proc/%d/status", field, pid)
	return 0
}

// BenchmarkRotation counts the API calls of one rotation of a PullSecret
// in 10 namespaces: step the clock to the renewal, wait for every
// namespace to hold the new credential, step past revokeAfter, wait for the
// revocation.
func BenchmarkRotation(b *testing.B) {
	env := startEnv(b)
	clk := stepclock.New()
	fake := docrtest.NewServer(b, docrtest.WithSelfRegistryHost(), docrtest.WithClock(clk.Now), docrtest.WithRateLimit(0, 0))
	tokenSecret(b, env.Client, "bench-token", fake.Token)
	makeNamespaces(b, env.Client, "rot", 10, 0)
	runManager(b, env, ctl.Config{
		Namespace: controllerNS, APIURL: fake.URL, RevokeURL: fake.URL + "/v1/oauth/revoke", RegistryHost: fake.RegistryHost(),
		MetricsAddr: "0", ProbeAddr: "0", SkipNameValidation: true, Clock: clk,
		Logger: logr.FromSlogHandler(slog.DiscardHandler),
	})
	ps := pullSecret("rot", "rot", "bench-token")
	ps.Spec.Expiry = &metav1.Duration{Duration: time.Hour}
	ps.Spec.RenewBefore = &metav1.Duration{Duration: 20 * time.Minute}
	ps.Spec.RevokeAfter = &metav1.Duration{Duration: 5 * time.Minute}
	if err := env.Client.Create(context.Background(), ps); err != nil {
		b.Fatal(err)
	}
	waitConverged(b, env.Client, "rot", 10)
	count := func() (mints, revokes int) {
		for _, r := range fake.Requests() {
			switch r.Operation {
			case "registries_get_dockerCredentials":
				mints++
			case docrtest.OpOAuthRevoke:
				revokes++
			}
		}
		return
	}
	m0, r0 := count()
	b.ResetTimer()
	for range b.N {
		n := len(fake.Credentials())
		clk.Step(40 * time.Minute)
		waitFor(b, func() bool { return len(fake.Credentials()) == n+1 })
		waitConverged(b, env.Client, "rot", 10)
		clk.Step(5 * time.Minute)
		waitFor(b, func() bool { return fake.Credentials()[n-1].Revoked })
	}
	b.StopTimer()
	m, r := count()
	b.ReportMetric(float64(m-m0)/float64(b.N), "mints/rotation")
	b.ReportMetric(float64(r-r0)/float64(b.N), "revocations/rotation")
	b.ReportMetric(float64(m-m0+r-r0)/float64(b.N), "api-calls/rotation")
}

func waitFor(b *testing.B, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("condition not met before the hang guard")
}
