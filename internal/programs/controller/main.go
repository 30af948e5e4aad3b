package controller

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/docr-dev/docr/facade"
)

// Defaults of the flags.
const (
	DefaultNamespace   = "docr-system"
	DefaultMetricsAddr = ":8080"
	DefaultProbeAddr   = ":8081"
)

// serviceAccountNamespace is where a pod finds its own namespace.
var serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

const usage = `Usage: docr-controller [flags]

docr-controller keeps one short-lived DigitalOcean Container Registry
credential per PullSecret (docr.dev/v1alpha1) fresh in every selected
namespace, and revokes each credential it replaces. See docs/controller.md.

Flags:
  --kubeconfig PATH                 kubeconfig to use (default: in-cluster config)
  --namespace NAME                  the controller's namespace: credential records and the
                                    leader-election Lease (default: the pod's, else docr-system)
  --leader-elect                    elect one active replica on a Lease
  --metrics-bind-address ADDR       serve Prometheus metrics at ADDR (default :8080; 0: off)
  --health-probe-bind-address ADDR  serve /healthz and /readyz at ADDR (default :8081; 0: off)

Environment:
  DIGITALOCEAN_API_URL   the API's base URL (default https://api.digitalocean.com)
  DOCR_REGISTRY_HOST     the registry host the pull Secrets name (default registry.digitalocean.com)
  DOCR_REVOKE_URL        the token revocation endpoint (default https://cloud.digitalocean.com/v1/oauth/revoke)

Exit status: 0 after a clean shutdown, 1 on a runtime error, 2 on a bad flag or value.
`

// usageError is a bad flag or value: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badf(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// options are the parsed flags and environment.
type options struct {
	kubeconfig string
	cfg        Config
}

// parse reads the flags and the environment. It returns flag.ErrHelp for
// -h and --help.
func parse(args []string, getenv func(string) string) (*options, error) {
	fs := flag.NewFlagSet("docr-controller", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{}
	var nsFlag string
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "")
	fs.StringVar(&nsFlag, "namespace", "", "")
	fs.BoolVar(&o.cfg.LeaderElection, "leader-elect", false, "")
	fs.StringVar(&o.cfg.MetricsAddr, "metrics-bind-address", DefaultMetricsAddr, "")
	fs.StringVar(&o.cfg.ProbeAddr, "health-probe-bind-address", DefaultProbeAddr, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, badf("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, badf("unexpected argument %q (the controller takes flags only)", fs.Arg(0))
	}
	switch {
	case nsFlag != "":
		o.cfg.Namespace = nsFlag
	default:
		o.cfg.Namespace = DefaultNamespace
		if data, err := os.ReadFile(serviceAccountNamespace); err == nil && strings.TrimSpace(string(data)) != "" {
			o.cfg.Namespace = strings.TrimSpace(string(data))
		}
	}
	if errs := validation.IsDNS1123Label(o.cfg.Namespace); len(errs) > 0 {
		return nil, badf("--namespace %q is not a namespace name (1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit)", o.cfg.Namespace)
	}
	for _, f := range []struct{ name, value string }{{"--metrics-bind-address", o.cfg.MetricsAddr}, {"--health-probe-bind-address", o.cfg.ProbeAddr}} {
		if err := checkBindAddress(f.value); err != nil {
			return nil, badf("%s %q: %v", f.name, f.value, err)
		}
	}
	for _, e := range []struct {
		name string
		to   *string
	}{{facade.EnvAPIURL, &o.cfg.APIURL}, {facade.EnvRevokeURL, &o.cfg.RevokeURL}} {
		if u := strings.TrimSpace(getenv(e.name)); u != "" {
			if _, err := facade.CheckEndpoint(u); err != nil {
				return nil, badf("$%s: %v", e.name, err)
			}
			*e.to = u
		}
	}
	h, err := facade.RegistryHostFromEnv(getenv)
	if err != nil {
		return nil, badf("%v", err)
	}
	o.cfg.RegistryHost = h
	return o, nil
}

// checkBindAddress accepts "0" (off) and host:port.
func checkBindAddress(addr string) error {
	if addr == "0" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, :port or 0 (off)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("the port must be a number from 0 to 65535")
	}
	return nil
}

// restConfig loads --kubeconfig, else the in-cluster config.
func restConfig(path string) (*rest.Config, error) {
	if path != "" {
		c, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, badf("--kubeconfig %s: %v", path, err)
		}
		return c, nil
	}
	c, err := rest.InClusterConfig()
	if err != nil {
		return nil, badf("no --kubeconfig, and not running in a cluster: %v", err)
	}
	return c, nil
}

// Main runs docr-controller with the arguments after the program name and
// returns its exit status: 0 after a clean shutdown (ctx done), 1 on a
// runtime error, 2 on a bad flag or value (one line on stderr). Logs are
// JSON lines on stderr and never hold a secret.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err == nil {
		var rc *rest.Config
		if rc, err = restConfig(o.kubeconfig); err == nil {
			logger := logr.FromSlogHandler(slog.NewJSONHandler(stderr, nil))
			ctrl.SetLogger(logger)
			klog.SetLogger(logger)
			o.cfg.Logger = logger
			return run(ctx, rc, o.cfg, stderr)
		}
	}
	fmt.Fprintf(stderr, "docr-controller: %s\n", oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func run(ctx context.Context, rc *rest.Config, cfg Config, stderr io.Writer) int {
	mgr, err := NewManager(rc, cfg)
	if err == nil {
		err = mgr.Start(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "docr-controller: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

// oneLine keeps a message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
