// Package fakecmd holds the docr commands that run the fake DigitalOcean
// API of package docrtest: "fake-api" and "demo". Only cmd/docr links it
// (cli.Main's extra commands), so that internal/programs/cli, which the Docker
// credential helper links, never links the fake, kin-openapi or jsonschema.
package fakecmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/docrtest/ociregistry"
	"github.com/docr-dev/docr/facade"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/docr-dev/docr/internal/programs/cli"
)

// Commands returns the commands to add to docr with cli.Main: fake-api and
// demo.
func Commands() []*cli.Command {
	return []*cli.Command{fakeAPICmd(), demoCmd()}
}

func fakeAPICmd() *cli.Command {
	return &cli.Command{
		Name: "fake-api",
		Args: "[--addr 127.0.0.1:0] [--token T] [--registry-host H] [--storage-dir D] [--storage-cap N] [--rate-limit N] [--request-log N]" +
			" [--token-ttl D] [--registry-basic-auth] [--upload-timeout D] [--gc-duration D]",
		Summary: "Run the fake DigitalOcean registry API (for integration tests) until interrupted",
		Example: `  docr fake-api --addr 127.0.0.1:8080 --token test-token
  curl -H "Authorization: Bearer test-token" http://127.0.0.1:8080/v2/registry`,
		Setup: func(inv *cli.Invocation, fs *flag.FlagSet) func(context.Context, []string) error {
			var addr, host, storageDir, storageCap string
			var rateLimit, requestLog int
			var tokenTTL, uploadTimeout, gcDuration time.Duration
			var basicAuth bool
			fs.StringVar(&addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
			fs.StringVar(&storageDir, "storage-dir", "", "keep the registry's blobs and uploads in progress in this directory instead of in memory")
			fs.StringVar(&storageCap, "storage-cap", "", `cap on what the registry holds (blobs, manifests, tags, uploads in progress), such as 512MiB or 2GiB (default 1GiB in memory, none with --storage-dir; "off" for none)`)
			fs.IntVar(&rateLimit, "rate-limit", 5000, "API calls allowed per hour, as the real API (0 turns the limit off)")
			fs.IntVar(&requestLog, "request-log", docrtest.DefaultRequestLog, "how many of the most recent requests to keep")
			fs.DurationVar(&tokenTTL, "token-ttl", ociregistry.DefaultTokenTTL, "lifetime of the registry's tokens (its token endpoint is <URL>/v2/registry/auth)")
			fs.BoolVar(&basicAuth, "registry-basic-auth", false, "challenge with Basic and take Docker credentials on every registry request, for tools that cannot follow the token flow")
			fs.DurationVar(&uploadTimeout, "upload-timeout", ociregistry.DefaultUploadTimeout, "how long an upload in progress may stay idle before it expires")
			fs.DurationVar(&gcDuration, "gc-duration", DefaultGCDuration, "how long a garbage collection runs before it succeeds")
			// --token (and --token-file) are the global flags: here they set
			// the API token the fake accepts (default: a random one, printed).
			// $DIGITALOCEAN_TOKEN is not used.
			fs.StringVar(&host, "registry-host", "", `auths key of issued credentials (default registry.digitalocean.com; "self" for the fake's own address, so docker can log in to it)`)
			return cli.NoArgs("fake-api", func(ctx context.Context) error {
				var opts []docrtest.Option
				if inv.TokenGiven() {
					token, err := inv.Token(ctx)
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
				if storageDir != "" {
					opts = append(opts, docrtest.WithStorageDir(storageDir))
				}
				if storageCap != "" {
					n, err := parseBytes(storageCap)
					if err != nil {
						return cli.Usagef("--storage-cap: %v", err)
					}
					opts = append(opts, docrtest.WithStorageCap(n))
				}
				if rateLimit < 0 {
					return cli.Usagef("--rate-limit must be 0 (off) or more")
				}
				if requestLog <= 0 {
					return cli.Usagef("--request-log must be at least 1")
				}
				if tokenTTL < time.Second {
					return cli.Usagef("--token-ttl must be at least 1s")
				}
				if uploadTimeout <= 0 {
					return cli.Usagef("--upload-timeout must be positive")
				}
				if gcDuration <= 0 {
					return cli.Usagef("--gc-duration must be positive")
				}
				opts = append(opts, docrtest.WithRateLimit(rateLimit, time.Hour), docrtest.WithRequestLog(requestLog),
					docrtest.WithTokenTTL(tokenTTL), docrtest.WithUploadTimeout(uploadTimeout), docrtest.WithGCDuration(gcDuration))
				if basicAuth {
					opts = append(opts, docrtest.WithRegistryBasicAuth())
				}
				err := docrtest.Serve(ctx, addr, inv.Env().Stdout, opts...)
				return withoutValues(err, "--addr", addr, "--registry-host", host, "--storage-dir", storageDir)
			})
		},
	}
}

// DefaultGCDuration is how long a garbage collection of "docr fake-api"
// runs before it succeeds unless --gc-duration says otherwise.
const DefaultGCDuration = time.Second

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
	fmt.Fprintf(out, "[1/8] Started the fake API at %s; DOCKER_CONFIG is %s\n", srv.URL, cfgDir)

	// The demo runs the same commands a user types, against the fake.
	env := map[string]string{
		facade.EnvAPIURL:       srv.URL,
		facade.EnvRegistryHost: host,
		facade.EnvRevokeURL:    srv.URL + "/v1/oauth/revoke",
		"DOCKER_CONFIG":        cfgDir,
		// The record of minted credentials, too, stays in the demo's directory.
		"XDG_STATE_HOME": filepath.Join(dir, "state"),
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
	fmt.Fprintf(out, "[2/8] docr login: %s", stdout)
	fmt.Fprintf(out, "      %s", stderr)

	cfgPath := filepath.Join(cfgDir, dockerconfig.ConfigFileName)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[3/8] %s now holds (secret masked):\n%s", cfgPath, indent(maskAuth(data), "      "))

	w, err := dockerconfig.New(dockerconfig.Options{Dir: cfgDir})
	if err != nil {
		return err
	}
	cred, ok, err := w.Lookup(ctx, host)
	if err != nil || !ok {
		return fmt.Errorf("read back the stored credential: found=%v, %v", ok, err)
	}

	// Push and pull with go-containerregistry, which finds the credential
	// the way docker does: DOCKER_CONFIG, config.json, credential helpers.
	restore := setenv("DOCKER_CONFIG", cfgDir)
	defer restore()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	watch := &flowWatch{base: tr}
	keychain := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithTransport(watch), remote.WithContext(ctx)}
	ref, err := name.ParseReference(host+"/example/demo:v1", name.Insecure)
	if err != nil {
		return err
	}
	img, err := random.Image(64<<10, 1, random.WithSource(mrand.NewSource(1)))
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, keychain...); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[4/8] Pushed %s (%s) with go-containerregistry; authn.DefaultKeychain found the credential in DOCKER_CONFIG\n", ref, short(digest.String()))
	flow, err := watch.summary()
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	fmt.Fprintf(out, "      %s\n", flow)

	api, err := facade.New(srv.Token, facade.WithBaseURL(srv.URL))
	if err != nil {
		return err
	}
	list, err := facade.Check(api.API().RegistriesListRepositoriesV2WithResponse(ctx, "example", nil))
	if err != nil {
		return fmt.Errorf("list repositories: %w", err)
	}
	fmt.Fprintln(out, "[5/8] The API lists the registry's repositories (GET /v2/registries/example/repositoriesV2):")
	for _, r := range *list.JSON200.Repositories {
		line := fmt.Sprintf("%-10s %d tag(s)", *r.Name, *r.TagCount)
		if m := r.LatestManifest; m != nil {
			line += fmt.Sprintf(", latest %s, %d bytes, tags %s", short(*m.Digest), *m.CompressedSizeBytes, strings.Join(*m.Tags, ","))
		}
		fmt.Fprintf(out, "      %s\n", line)
	}

	pulled, err := remote.Image(ref, keychain...)
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	pd, err := pulled.Digest()
	if err != nil {
		return err
	}
	n, err := imageBytes(pulled)
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	fmt.Fprintf(out, "[6/8] Pulled it back: %s, %d layer bytes, digest verified\n", short(pd.String()), n)
	if pd != digest {
		return fmt.Errorf("pulled %s, pushed %s", pd, digest)
	}

	manifest, _, err := run("kubernetes-manifest")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[7/8] docr kubernetes-manifest (for kubectl apply -f -; data masked):\n%s", indent(maskManifest(manifest), "      "))

	stdout, _, err = run("logout", "--config", cfgDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "[8/8] docr logout: %s", indent(stdout, "      ")[6:])
	old := []remote.Option{remote.WithAuth(&authn.Basic{Username: cred.Username, Password: cred.Secret}), remote.WithTransport(tr), remote.WithContext(ctx)}
	_, err = remote.Image(ref, old...)
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("the registry still accepts a revoked credential: %v", err)
	}
	where := "the registry"
	if strings.Contains(err.Error(), docrtest.TokenPath+"?") {
		where = "the token endpoint"
	}
	fmt.Fprintf(out, "      Pull with the old credential: %d from %s, so it is revoked\n", te.StatusCode, where)
	fmt.Fprintln(out, "Done. With a real account: export DIGITALOCEAN_TOKEN=dop_v1_... and run docr login.")
	return nil
}

// flowWatch is a client transport that notes what its requests show of
// DOCR's token flow: a Bearer challenge, a token granted by the realm, and
// a registry request the token opened.
type flowWatch struct {
	base http.RoundTripper

	mu         sync.Mutex
	realm      string   // the realm of the first Bearer challenge
	scopes     []string // scopes of the tokens the realm granted
	tokenTaken bool     // a request with a token succeeded
}

func (f *flowWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := resp.Header.Get("WWW-Authenticate")
	switch {
	case r.URL.Path == docrtest.TokenPath:
		if resp.StatusCode == http.StatusOK {
			f.scopes = append(f.scopes, r.URL.Query()["scope"]...)
		}
	case resp.StatusCode == http.StatusUnauthorized && strings.HasPrefix(ch, "Bearer ") && f.realm == "":
		if m := realmParam.FindStringSubmatch(ch); m != nil {
			f.realm = m[1]
		}
	case strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && resp.StatusCode < 300:
		f.tokenTaken = true
	}
	return resp, nil
}

var realmParam = regexp.MustCompile(`realm="([^"]*)"`)

// summary says how the requests went through the token flow, or fails if
// they did not.
func (f *flowWatch) summary() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.realm == "" || len(f.scopes) == 0 || !f.tokenTaken {
		return "", errors.New("the push did not go through the registry token flow")
	}
	return fmt.Sprintf("The push went through DOCR's token flow: the registry answered 401 with a Bearer challenge, "+
		"the token endpoint %s granted %s for the credential, and the registry took the token.",
		f.realm, strings.Join(slices.Compact(slices.Sorted(slices.Values(f.scopes))), " and ")), nil
}

// setenv sets an environment variable of the process and returns a
// function that restores it.
func setenv(k, v string) func() {
	old, had := os.LookupEnv(k)
	_ = os.Setenv(k, v)
	return func() {
		if had {
			_ = os.Setenv(k, old)
		} else {
			_ = os.Unsetenv(k)
		}
	}
}

// short abbreviates a digest for display.
func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

// imageBytes reads every layer of an image (which verifies their digests)
// and returns the bytes read.
func imageBytes(img v1.Image) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return 0, err
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
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

// withoutValues is err with every occurrence of the flag values given
// (flag name, value, ...) replaced by the flag's name: no error repeats a
// value, which could be a token typed after the wrong flag.
func withoutValues(err error, flagValues ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for i := 0; i+1 < len(flagValues); i += 2 {
		if v := flagValues[i+1]; v != "" {
			msg = strings.ReplaceAll(msg, v, "("+flagValues[i]+")")
		}
	}
	return &scrubbedError{msg: msg, err: err}
}

// scrubbedError is an error with another message; errors.Is and errors.As
// still see the original.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// parseBytes reads a byte count such as 1048576, 512MiB, 2GiB or 10KiB, or
// "off" (no cap, -1).
func parseBytes(s string) (int64, error) {
	if s == "off" {
		return -1, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, errors.New("want a positive byte count (such as 1048576, 512MiB, 2GiB) or off (the value given is not repeated, in case it is a secret)")
	}
	return n * mult, nil
}
