// Package fakecmd holds the docr commands that run the fake DigitalOcean
// API of package docrtest: "fake-api" and "demo". Only cmd/docr links it
// (cli.Main's extra commands), so that internal/cli, which the Docker
// credential helper links, never links the fake, kin-openapi or jsonschema.
package fakecmd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/internal/cli"
)

// Commands returns the commands to add to docr with cli.Main: fake-api and
// demo.
func Commands() []*cli.Command {
	return []*cli.Command{fakeAPICmd(), demoCmd()}
}

func fakeAPICmd() *cli.Command {
	return &cli.Command{
		Name:    "fake-api",
		Args:    "[--addr 127.0.0.1:0] [--token T] [--registry-host H]",
		Summary: "Run the fake DigitalOcean registry API (for integration tests) until interrupted",
		Example: `  docr fake-api --addr 127.0.0.1:8080 --token test-token
  curl -H "Authorization: Bearer test-token" http://127.0.0.1:8080/v2/registry`,
		Setup: func(inv *cli.Invocation, fs *flag.FlagSet) func(context.Context, []string) error {
			var addr, host string
			fs.StringVar(&addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
			// --token (and --token-file) are the global flags: here they set
			// the API token the fake accepts (default: a random one, printed).
			// $DIGITALOCEAN_TOKEN is not used.
			fs.StringVar(&host, "registry-host", "", `auths key of issued credentials (default registry.digitalocean.com; "self" for the fake's own address, so docker can log in to it)`)
			return cli.NoArgs("fake-api", func(ctx context.Context) error {
				var opts []docrtest.Option
				if inv.TokenGiven() {
					token, err := inv.Token()
					if err != nil {
						return err
					}
					opts = append(opts, docrtest.WithToken(strings.TrimSpace(token)))
				}
				switch host {
				case "":
				case "self":
					opts = append(opts, docrtest.WithSelfRegistryHost())
				default:
					opts = append(opts, docrtest.WithRegistryHost(host))
				}
				return docrtest.Serve(ctx, addr, inv.Env().Stdout, opts...)
			})
		},
	}
}

func demoCmd() *cli.Command {
	return &cli.Command{
		Name:    "demo",
		Summary: "Run a whole login journey against the built-in fake API (no account needed)",
		Example: "  go run ./cmd/docr demo",
		Setup: func(inv *cli.Invocation, fs *flag.FlagSet) func(context.Context, []string) error {
			return cli.NoArgs("demo", func(ctx context.Context) error { return demo(ctx, inv) })
		},
	}
}

// demo starts the fake API in-process and runs the real commands against it:
// login, a look at config.json, a registry request with the credential,
// kubernetes-manifest, logout, and the same request refused.
func demo(ctx context.Context, inv *cli.Invocation) error {
	env0 := inv.Env()
	out := env0.Stdout
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithSelfRegistryHost(),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return fmt.Errorf("start the fake API: %w", err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "docr-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfgDir := filepath.Join(dir, "docker")
	host := srv.RegistryHost()

	fmt.Fprintln(out, "docr demo: a full journey against docr's built-in fake DigitalOcean API (no account, no network).")
	fmt.Fprintf(out, "[1/6] Started the fake API at %s; DOCKER_CONFIG is %s\n", srv.URL, cfgDir)

	// The demo runs the same commands a user types, against the fake.
	env := map[string]string{
		cli.EnvAPIURL:       srv.URL,
		cli.EnvRegistryHost: host,
		cli.EnvRevokeURL:    srv.URL + "/v1/oauth/revoke",
		"DOCKER_CONFIG":     cfgDir,
	}
	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		sub := &cli.Env{
			Stdin:  strings.NewReader(""),
			Stdout: &stdout,
			Stderr: &stderr,
			Getenv: func(k string) string {
				if v, ok := env[k]; ok {
					return v
				}
				return inv.Getenv(k)
			},
			Now: env0.Now,
		}
		code := cli.Main(ctx, append([]string{"docr", "--token", srv.Token}, args...), sub)
		if code != 0 {
			return stdout.String(), stderr.String(), fmt.Errorf("docr %s failed: %s", strings.Join(args, " "), strings.TrimSpace(stderr.String()))
		}
		return stdout.String(), stderr.String(), nil
	}

	stdout, stderr, err := run("login", "--config", cfgDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[2/6] docr login: %s", stdout)
	fmt.Fprintf(out, "      %s", stderr)

	cfgPath := filepath.Join(cfgDir, dockerconfig.ConfigFileName)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[3/6] %s now holds (secret masked):\n%s", cfgPath, indent(maskAuth(data), "      "))

	w, err := dockerconfig.New(dockerconfig.Options{Dir: cfgDir})
	if err != nil {
		return err
	}
	cred, ok, err := w.Lookup(ctx, host)
	if err != nil || !ok {
		return fmt.Errorf("read back the stored credential: found=%v, %v", ok, err)
	}
	status, err := registryPing(ctx, srv.URL, cred.Username, cred.Password)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[4/6] GET %s/v2/ with that credential: %s, so the registry accepts it\n", srv.URL, status)
	if !strings.HasPrefix(status, "200") {
		return fmt.Errorf("the registry refused a fresh credential: %s", status)
	}

	manifest, _, err := run("kubernetes-manifest")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[5/6] docr kubernetes-manifest (for kubectl apply -f -; data masked):\n%s", indent(maskManifest(manifest), "      "))

	stdout, _, err = run("logout", "--config", cfgDir)
	if err != nil {
		return err
	}
	status, err = registryPing(ctx, srv.URL, cred.Username, cred.Password)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[6/6] docr logout: %s", indent(stdout, "      ")[6:])
	fmt.Fprintf(out, "      GET %s/v2/ with the old credential: %s, so it is revoked\n", srv.URL, status)
	if !strings.HasPrefix(status, "401") {
		return fmt.Errorf("the registry still accepts a revoked credential: %s", status)
	}
	fmt.Fprintln(out, "Done. With a real account: export DIGITALOCEAN_TOKEN=dop_v1_... and run docr login.")
	return nil
}

// registryPing asks the registry's GET /v2/ with basic auth and returns the
// status line.
func registryPing(ctx context.Context, base, user, pass string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/", nil)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(user, pass)
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET /v2/: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Status, nil
}

var authValue = regexp.MustCompile(`("auth"\s*:\s*")([^"]*)(")`)

// maskAuth hides all but the first four characters of each auth value.
func maskAuth(data []byte) string {
	return authValue.ReplaceAllStringFunc(string(data), func(m string) string {
		p := authValue.FindStringSubmatch(m)
		return p[1] + mask(p[2]) + p[3]
	})
}

var dataValue = regexp.MustCompile(`(?m)^(\s*\.dockerconfigjson:\s*)(\S+)$`)

func maskManifest(s string) string {
	return dataValue.ReplaceAllStringFunc(s, func(m string) string {
		p := dataValue.FindStringSubmatch(m)
		return p[1] + mask(p[2])
	})
}

func mask(s string) string {
	if len(s) <= 8 {
		return "****"
	}
	return s[:4] + "…(" + fmt.Sprint(len(s)) + " characters, masked)"
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString(prefix + line)
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
