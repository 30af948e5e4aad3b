package controller

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docr-dev/docr/facade"
)

// TestMainBadFlagsAndValues: a bad flag or value exits 2 with one line on
// stderr naming it, before anything starts; -h prints the usage and exits
// 0.
func TestMainBadFlagsAndValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad-kubeconfig")
	if err := os.WriteFile(bad, []byte("not: [a kubeconfig"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in the one line of stderr
	}{
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined: -nope"},
		{"argument", []string{"run"}, nil, `unexpected argument "run"`},
		{"bad namespace", []string{"--namespace", "Docr_System"}, nil, `--namespace "Docr_System" is not a namespace name`},
		{"bad metrics address", []string{"--metrics-bind-address", "8080"}, nil, `--metrics-bind-address "8080"`},
		{"bad probe port", []string{"--health-probe-bind-address", ":http99999"}, nil, "--health-probe-bind-address"},
		{"leader-elect with a value", []string{"--leader-elect=maybe"}, nil, "invalid boolean value"},
		{"bad API URL", nil, map[string]string{facade.EnvAPIURL: "ftp://example.com"}, "$DIGITALOCEAN_API_URL: scheme must be http or https"},
		{"API URL with user info", nil, map[string]string{facade.EnvAPIURL: "https://user:secret-pass@example.com"}, "$DIGITALOCEAN_API_URL: URL must not contain user info"},
		{"bad revoke URL", nil, map[string]string{facade.EnvRevokeURL: "example.com/revoke"}, "$DOCR_REVOKE_URL"},
		{"bad registry host", nil, map[string]string{facade.EnvRegistryHost: "registry\x00host"}, "$DOCR_REGISTRY_HOST"},
		{"missing kubeconfig", []string{"--kubeconfig", filepath.Join(dir, "absent")}, nil, "--kubeconfig " + filepath.Join(dir, "absent")},
		{"bad kubeconfig", []string{"--kubeconfig", bad}, nil, "--kubeconfig " + bad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			code := Main(context.Background(), tc.args, &stdout, &stderr, getenv)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr.String())
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "docr-controller: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr = %q, want one line naming %q", stderr.String(), tc.want)
			}
			if strings.Contains(stderr.String(), "secret-pass") {
				t.Errorf("stderr repeats user info from the URL")
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"-h"}, &stdout, &stderr, func(string) string { return "" }); code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		for _, flag := range []string{"--kubeconfig", "--namespace", "--leader-elect", "--metrics-bind-address", "--health-probe-bind-address", facade.EnvAPIURL, facade.EnvRegistryHost, facade.EnvRevokeURL} {
			if !strings.Contains(stdout.String(), flag) {
				t.Errorf("usage does not mention %s", flag)
			}
		}
	})
}

// TestParseDefaults: without flags the controller serves metrics on :8080
// and probes on :8081, in namespace docr-system outside a pod, for
// registry.digitalocean.com; "0" turns either server off; the registry
// host is lower-cased.
func TestParseDefaults(t *testing.T) {
	t.Parallel()
	o, err := parse(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.MetricsAddr != ":8080" || o.cfg.ProbeAddr != ":8081" || o.cfg.Namespace != "docr-system" || o.cfg.RegistryHost != "registry.digitalocean.com" || o.cfg.LeaderElection {
		t.Errorf("defaults = %+v", o.cfg)
	}
	env := map[string]string{facade.EnvRegistryHost: " Registry.Example.COM ", facade.EnvAPIURL: "http://127.0.0.1:1", facade.EnvRevokeURL: "http://127.0.0.1:1/v1/oauth/revoke"}
	o, err = parse([]string{"--metrics-bind-address=0", "--health-probe-bind-address", "0", "--namespace", "ops", "--leader-elect"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.MetricsAddr != "0" || o.cfg.ProbeAddr != "0" || o.cfg.Namespace != "ops" || !o.cfg.LeaderElection ||
		o.cfg.RegistryHost != "registry.example.com" || o.cfg.APIURL != env[facade.EnvAPIURL] || o.cfg.RevokeURL != env[facade.EnvRevokeURL] {
		t.Errorf("parsed = %+v", o.cfg)
	}
}
