//go:build unix

package controller

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/testsupport/kubeenv"
)

// replica is one docr-controller process.
type replica struct {
	cmd     *exec.Cmd
	metrics string // http://host:port
	probes  string
	stderr  *syncBuffer
	done    chan error
}

// freeAddr returns a loopback address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildController builds cmd/docr-controller into dir.
func buildController(t *testing.T, dir string) string {
	t.Helper()
	root, err := kubeenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "docr-controller")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/docr-controller")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startReplica runs the controller program with the controller's
// kubeconfig, leader election and its servers on free ports.
func (h *harness) startReplica(bin, kubeconfig string) *replica {
	h.t.Helper()
	r := &replica{metrics: "http://" + freeAddr(h.t), probes: "http://" + freeAddr(h.t), stderr: &syncBuffer{}, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, "--kubeconfig", kubeconfig, "--namespace", controllerNS, "--leader-elect",
		"--metrics-bind-address", strings.TrimPrefix(r.metrics, "http://"), "--health-probe-bind-address", strings.TrimPrefix(r.probes, "http://"))
	r.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		facade.EnvAPIURL + "=" + h.fake.URL,
		facade.EnvRevokeURL + "=" + h.fake.URL + "/v1/oauth/revoke",
		facade.EnvRegistryHost + "=" + h.fake.RegistryHost(),
	}
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	h.t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		if h.t.Failed() {
			h.t.Logf("replica %d stderr (tail):\n%s", r.cmd.Process.Pid, tail(r.stderr.String(), 4000))
		}
	})
	return r
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// scrape returns the value of the metric line that starts with prefix
// (name and labels), or "" when absent or unreachable.
func scrape(url, prefix string) string {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, prefix+" ") {
			return strings.TrimPrefix(line, prefix+" ")
		}
	}
	return ""
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

const leaderMetric = `leader_election_master_status{name="` + LeaderElectionID + `"}`

// TestTwoReplicasLeaderKilled runs the real program twice with leader
// election, as the Deployment does: one leads and mints once; the leader
// is killed (SIGKILL: no lease release); the other takes over when the
// Lease expires and continues from the record, with no new mint; SIGTERM
// stops it cleanly.
func TestTwoReplicasLeaderKilled(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	bin := buildController(t, dir)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.ControllerKubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	nss := h.namespaces(2, nil)
	h.external = true // deletePullSecret waits for the replicas' finalizer
	a, b := h.startReplica(bin, kubeconfig), h.startReplica(bin, kubeconfig)
	for _, r := range []*replica{a, b} {
		h.waitFor("probes", func() (bool, error) {
			return status(r.probes+"/healthz") == 200 && status(r.probes+"/readyz") == 200, nil
		})
	}
	var leader, other *replica
	h.waitFor("a leader", func() (bool, error) {
		switch {
		case scrape(a.metrics, leaderMetric) == "1":
			leader, other = a, b
		case scrape(b.metrics, leaderMetric) == "1":
			leader, other = b, a
		}
		return leader != nil, nil
	})
	if scrape(other.metrics, leaderMetric) == "1" {
		t.Fatal("both replicas lead")
	}
	h.apply(h.pullSecret())
	h.waitNamespaces(h.id, 2)
	if n := len(h.mints()); n != 1 {
		t.Fatalf("minted %d, want 1", n)
	}
	mints := fmt.Sprintf(`docr_credential_mints_total{pullsecret=%q}`, h.id)
	if got := scrape(leader.metrics, mints); got != "1" {
		t.Errorf("leader's %s = %q, want 1", mints, got)
	}

	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-leader.done
	h.waitFor("the other replica to lead", func() (bool, error) { return scrape(other.metrics, leaderMetric) == "1", nil })
	// It acts: a new namespace gets the Secret, a deleted one comes back,
	// all with the recorded credential.
	late := h.id + "-late"
	h.namespace(late, nil)
	h.waitFor("Secret in a namespace made after the takeover", func() (bool, error) { return h.secret(late, "docr-example") != nil, nil })
	if err := h.k.Delete(context.Background(), h.secret(nss[0], "docr-example")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Secret restored by the new leader", func() (bool, error) { return h.secret(nss[0], "docr-example") != nil, nil })
	h.waitNamespaces(h.id, 3)
	if n := len(h.mints()); n != 1 {
		t.Errorf("minted %d after the takeover, want 1", n)
	}
	if err := h.pull(h.secret(late, "docr-example")); err != nil {
		t.Errorf("pull with the Secret written after the takeover: %v", err)
	}

	h.deletePullSecret(h.id)
	if !h.mints()[0].Revoked {
		t.Error("the new leader's cleanup did not revoke the credential")

	}
	if err := other.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-other.done:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("no exit after SIGTERM")
	}
	for _, r := range []*replica{a, b} {
		for _, c := range h.mints() {
			if strings.Contains(r.stderr.String(), c.Password) || strings.Contains(r.stderr.String(), h.fake.Token) {
				t.Error("a secret appears in a replica's logs")
			}
		}
	}
}
