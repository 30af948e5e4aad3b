package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/minted"
	"github.com/docr-dev/docr/internal/programs/credhelper"
	"github.com/docr-dev/docr/kubesecret"
)

// loginExpiry is the default lifetime of docr login credentials (30 days).
const loginExpiry = 30 * 24 * time.Hour

func loginCmd() *command {
	return &command{
		name:    "login",
		args:    "[--registry NAME] [--read-only] [--expiry-seconds N | --never-expire] [--config DIR] [--helper]",
		summary: "Log Docker in to the registry (read-write, 30 days by default)",
		example: `  export DIGITALOCEAN_TOKEN=dop_v1_...
  docr login                         # read-write, expires in 30 days
  docr login --read-only --expiry-seconds 3600
  docr login --helper                # no stored secret: Docker asks docker-credential-docr`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var o loginOptions
			fs.StringVar(&o.registry, "registry", "", "registry name (default: the account's registry)")
			fs.BoolVar(&o.readOnly, "read-only", false, "pull-only credentials")
			o.expiry = addExpiryFlags(fs, "default 2592000, 30 days")
			fs.StringVar(&o.configDir, "config", "", "Docker config directory (default $DOCKER_CONFIG, then ~/.docker)")
			fs.BoolVar(&o.helper, "helper", false, "store no credential; make Docker ask docker-credential-docr for short-lived ones")
			return noArgs("login", func(ctx context.Context) error {
				if err := checkRegistryFlag(o.registry); err != nil {
					return err
				}
				return a.login(ctx, o)
			})
		},
	}
}

type loginOptions struct {
	registry  string
	readOnly  bool
	expiry    *expiryFlags
	configDir string
	helper    bool
}

// checkRegistryFlag applies the API's registry name rule to --registry
// before anything is read or sent: a usage error (exit 2) that names the
// first bad character, never the value.
func checkRegistryFlag(registry string) error {
	if registry == "" {
		return nil
	}
	if err := facade.CheckRegistryName(registry); err != nil {
		return usagef("--registry: %s", strings.TrimPrefix(err.Error(), facade.ErrInvalidRequest.Error()+": "))
	}
	return nil
}

func (a *app) login(ctx context.Context, o loginOptions) error {
	if o.helper {
		for _, f := range []string{"read-only", "expiry-seconds", "never-expire"} {
			if isSet(o.expiry.fs, f) {
				return usagef("--helper cannot be combined with --%s: the helper mints credentials on demand (see %s and %s)", f, credhelper.EnvExpiry, credhelper.EnvReadWrite)
			}
		}
		return a.loginHelper(ctx, o)
	}
	req := facade.CredentialsRequest{Registry: o.registry, ReadWrite: !o.readOnly}
	if err := o.expiry.request(&req, loginExpiry); err != nil {
		return err
	}
	// A missing or bad token is reported before anything about the config.
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	if err := a.checkEndpoint("", "--revoke-url", facade.EnvRevokeURL); err != nil {
		return err
	}
	w, err := a.writer(o.configDir)
	if err != nil {
		return err
	}
	host := a.registryHost()
	docr, err := asksDocr(ctx, w, host)
	if err != nil {
		return err
	}
	if docr {
		// docr's own helper refuses store: minting now would only create a
		// credential to revoke again.
		return fmt.Errorf("nothing to store: Docker already asks %s for %s (set up by 'docr login --helper'); to store a credential instead, run 'docr logout' first, or remove credHelpers[%q] from %s", helperProgram, host, host, w.Path())
	}
	rec, err := a.record()
	if err != nil {
		return err
	}
	// Look up the credential this login replaces, mint, record and store,
	// all under the config's lock: concurrent logins then run one after
	// another, and each knows exactly which credential it replaced.
	var creds *facade.Credentials
	res, old, oldFound, err := w.Replace(ctx, host, func(ctx context.Context, _ facade.Credential, _ bool) (facade.Credential, error) {
		var err error
		if creds, err = c.DockerCredentials(ctx, req); err != nil {
			return facade.Credential{}, err
		}
		if err := onlyHost(creds, host); err != nil {
			return facade.Credential{}, err
		}
		cred, _ := creds.For(host)
		if err := rec.Add(ctx, host, cred.Secret, creds.ExpiresAt); err != nil {
			return facade.Credential{}, fmt.Errorf("record the minted credential (nothing was stored): %w", err)
		}
		return cred, nil
	})
	if err != nil {
		if creds != nil {
			// Minted but not stored: of no use now; do not leave it valid.
			return a.discard(ctx, rec, creds, err)
		}
		return err
	}
	mode := "read-only"
	if creds.ReadWrite {
		mode = "read-write"
	}
	for _, s := range res.Hosts {
		fmt.Fprintf(a.env.Stdout, "Logged in to %s (%s); credential stored in %s\n", s.Host, mode, where(s, res.Path))
	}
	if res.InPlace {
		fmt.Fprintf(a.env.Stderr, "Warning: %s could not be replaced atomically (bind mount?) and was rewritten in place.\n", res.Path)
	}
	a.expiryNotice(creds)
	cred, _ := creds.For(host)
	if oldFound && old.Secret != "" && old.Secret != cred.Secret {
		if err := a.revokeReplaced(ctx, rec, host, old.Secret, ""); err != nil {
			return fmt.Errorf("logged in, but the credential previously stored for %s could not be revoked: %w", host, err)
		}
	}
	return nil
}

// onlyHost checks that creds are for host and nothing else: a broken or
// hostile answer must not replace the user's credentials for other
// registries. The error names at most three of the other hosts, quoted and
// cut short (a server chose them).
func onlyHost(creds *facade.Credentials, host string) error {
	return onlyHostOr(creds, host, "nothing was stored")
}

// onlyHostOr is onlyHost with what the refusal means (outcome: "nothing
// was stored", "nothing was printed").
func onlyHostOr(creds *facade.Credentials, host, outcome string) error {
	hosts := creds.Hosts()
	if len(hosts) == 1 && hosts[0] == host {
		return nil
	}
	var others []string
	for _, h := range hosts {
		if h != host {
			others = append(others, h)
		}
	}
	named := make([]string, 0, 3)
	for _, h := range others[:min(len(others), 3)] {
		if len(h) > 64 {
			h = h[:64] + "..."
		}
		named = append(named, fmt.Sprintf("%q", h))
	}
	list := strings.Join(named, ", ")
	if len(others) > len(named) {
		list += fmt.Sprintf(" and %d more", len(others)-len(named))
	}
	return fmt.Errorf("the API issued credentials for %s, not only for %s (set %s if that is the registry host); refused, %s", list, host, facade.EnvRegistryHost, outcome)
}

// revokeTimeout bounds a revocation that runs after the command failed or
// was interrupted, on a context of its own.
const revokeTimeout = 15 * time.Second

// revocationContext is the context of revocations that must not be cut
// short: of a credential docr has already dropped from the config or
// replaced (once gone from there, nothing can find it to revoke it later)
// or minted and will not keep. It is not cancelled with ctx (Ctrl-C) and is
// bounded by revokeTimeout. If ctx ends while it is in use, docr says on
// stderr that it finishes the revocation first (a second signal still
// exits at once). Call done when the revocations are over.
func (a *app) revocationContext(ctx context.Context) (rctx context.Context, done func()) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	said := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(said)
		fmt.Fprintf(a.env.Stderr, "docr: interrupted; finishing the revocation first (at most %s; interrupt again to stop at once, and the credential stays valid until it expires)\n", revokeTimeout)
	})
	return rctx, func() {
		if !stop() {
			<-said // the notice is being written: let it finish first
		}
		cancel()
	}
}

// discard revokes every credential in creds, which docr minted but will not
// keep, on a revocationContext (ctx may be cancelled: Ctrl-C), forgets
// them in the record, and returns cause with what revocation did.
func (a *app) discard(ctx context.Context, rec *minted.Record, creds *facade.Credentials, cause error) error {
	rctx, done := a.revocationContext(ctx)
	defer done()
	var errs []error
	seen := map[string]bool{}
	for _, h := range creds.Hosts() {
		p := creds.Config.Auths[h].Secret
		if p == "" || seen[p] || slices.Contains(a.knownTokens(), strings.TrimSpace(p)) {
			continue
		}
		seen[p] = true
		if err := facade.RevokeCredential(rctx, p, a.revokeOptions("")...); err != nil {
			errs = append(errs, err)
			continue
		}
		if rec != nil {
			_ = rec.Remove(rctx, p)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w; revoking the minted credential failed too: %w", cause, errors.Join(errs...))
	}
	return fmt.Errorf("%w (the minted credential was revoked)", cause)
}

// revokeIfMinted revokes password if docr's record says docr minted it, and
// then forgets it. It never sends a known API token. revoked is false when
// the credential is not docr's.
func (a *app) revokeIfMinted(ctx context.Context, rec *minted.Record, password, revokeURL string) (revoked bool, err error) {
	password = strings.TrimSpace(password)
	if password == "" || slices.Contains(a.knownTokens(), password) {
		return false, nil
	}
	ours, err := rec.Has(password)
	if err != nil || !ours {
		return false, err
	}
	if err := facade.RevokeCredential(ctx, password, a.revokeOptions(revokeURL)...); err != nil {
		return false, err
	}
	if err := rec.Remove(ctx, password); err != nil {
		fmt.Fprintf(a.env.Stderr, "Warning: could not update the record of minted credentials: %s\n", errorLine(err))
	}
	return true, nil
}

// revokeReplaced revokes a credential that was just replaced or dropped for
// host, if docr minted it, on a revocationContext, and says what it did.
func (a *app) revokeReplaced(ctx context.Context, rec *minted.Record, host, password, revokeURL string) error {
	rctx, done := a.revocationContext(ctx)
	defer done()
	revoked, err := a.revokeIfMinted(rctx, rec, password, revokeURL)
	switch {
	case err != nil:
		return err
	case revoked:
		fmt.Fprintf(a.env.Stdout, "Revoked the credential previously stored for %s.\n", host)
	default:
		fmt.Fprintf(a.env.Stdout, "The credential previously stored for %s was not minted by docr (or has expired); it was not revoked.\n", host)
	}
	return nil
}

// expiryNotice prints the one-line expiry notice on stderr.
func (a *app) expiryNotice(creds *facade.Credentials) {
	if creds.NeverExpires() {
		fmt.Fprintln(a.env.Stderr, "Notice: these credentials never expire; revoke them with 'docr logout' (or use --expiry-seconds N).")
		return
	}
	fmt.Fprintf(a.env.Stderr, "Notice: these credentials expire at %s (in %s); change with --expiry-seconds N or --never-expire.\n",
		creds.ExpiresAt.UTC().Format(time.RFC3339), humanDuration(creds.ExpiresAt.Sub(a.env.now())))
}

// humanDuration renders d in days when it is long and within a minute of
// whole days (the expiry is computed from when the request was sent, so it
// is a little short of the lifetime asked for), else as Go does.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	const day = 24 * time.Hour
	if days := (d + day/2) / day; days >= 2 && (d-days*day).Abs() < time.Minute {
		return fmt.Sprintf("%d days", days)
	}
	return d.String()
}

func where(s dockerconfig.Stored, path string) string {
	if s.Route == dockerconfig.RouteFile {
		return path
	}
	return fmt.Sprintf("%s (%s), not in %s", s.Helper, s.Route, path)
}

func (a *app) writer(dir string) (*dockerconfig.Writer, error) {
	return dockerconfig.New(dockerconfig.Options{Dir: dir, HelperStderr: a.env.Stderr, Logger: a.warnLogger()})
}

// warnLogger prints the writer's warnings (a world-readable config holding
// a secret, an in-place write of a bind-mounted file) on stderr, one
// "Warning: ..." line each.
func (a *app) warnLogger() *slog.Logger {
	return slog.New(&warnHandler{w: a.env.Stderr})
}

// warnHandler is a slog.Handler for people: "Warning: <msg> (k=v, ...)".
type warnHandler struct {
	w     io.Writer
	attrs []slog.Attr
}

func (h *warnHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *warnHandler) Handle(_ context.Context, r slog.Record) error {
	var kv []string
	add := func(at slog.Attr) bool {
		kv = append(kv, at.Key+"="+at.Value.String())
		return true
	}
	for _, at := range h.attrs {
		add(at)
	}
	r.Attrs(add)
	line := "Warning: " + r.Message
	if len(kv) > 0 {
		line += " (" + strings.Join(kv, ", ") + ")"
	}
	_, err := fmt.Fprintln(h.w, line)
	return err
}

func (h *warnHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &warnHandler{w: h.w, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *warnHandler) WithGroup(string) slog.Handler { return h }

func (a *app) loginHelper(ctx context.Context, o loginOptions) error {
	w, err := a.writer(o.configDir)
	if err != nil {
		return err
	}
	host := a.registryHost()
	var old facade.Credential
	var found bool
	// When Docker already asks docr's own helper there is no stored secret;
	// asking the helper would only mint a credential (and revoking it would
	// leave the helper's cache serving a dead one).
	docr, err := asksDocr(ctx, w, host)
	if err != nil {
		return err
	}
	if !docr {
		if old, found, err = w.Lookup(ctx, host); err != nil {
			return err
		}
	}
	rec, err := a.record()
	if err != nil {
		return err
	}
	if found && old.Secret != "" {
		if err := a.checkRevokeURL(""); err != nil {
			return err
		}
	}
	if _, err := exec.LookPath(helperProgram); err != nil {
		return fmt.Errorf("%s is not in PATH; install it with: ln -s \"$(command -v docr)\" \"$(dirname \"$(command -v docr)\")/%s\"", helperProgram, helperProgram)
	}
	if err := w.SetCredHelper(ctx, host, "docr"); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Docker now asks %s for %s credentials (credHelpers in %s); no secret is stored.\n", helperProgram, host, w.Path())
	if found && old.Secret != "" {
		if err := a.revokeReplaced(ctx, rec, host, old.Secret, ""); err != nil {
			return fmt.Errorf("dropped the old stored credential for %s but could not revoke it: %w", host, err)
		}
	}
	return nil
}

func logoutCmd() *command {
	return &command{
		name:    "logout",
		args:    "[--registry NAME] [--config DIR] [--revoke-url URL] [--no-revoke]",
		summary: "Remove the registry login and revoke its credential",
		example: `  docr logout
  docr logout --no-revoke           # only forget it locally`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var registry, configDir, revokeURL string
			var noRevoke bool
			fs.StringVar(&registry, "registry", "", "registry name (all registries share one Docker host; accepted for symmetry with login)")
			fs.StringVar(&configDir, "config", "", "Docker config directory (default $DOCKER_CONFIG, then ~/.docker)")
			fs.StringVar(&revokeURL, "revoke-url", "", "OAuth revocation endpoint (default $DOCR_REVOKE_URL, then "+facade.DefaultRevokeURL+")")
			fs.BoolVar(&noRevoke, "no-revoke", false, "remove the entry but do not revoke the credential")
			return noArgs("logout", func(ctx context.Context) error {
				if err := checkRegistryFlag(registry); err != nil {
					return err
				}
				if noRevoke && revokeURL != "" {
					return usagef("--no-revoke and --revoke-url cannot be used together")
				}
				return a.logout(ctx, configDir, revokeURL, noRevoke)
			})
		},
	}
}

// checkRevokeURL checks the revocation endpoint (flagURL, else
// $DOCR_REVOKE_URL) before a command drops a credential: once removed from
// the config, a credential can no longer be revoked.
func (a *app) checkRevokeURL(flagURL string) error {
	return a.checkEndpoint(flagURL, "--revoke-url", facade.EnvRevokeURL)
}

func (a *app) revokeOptions(url string) []facade.Option {
	if url == "" {
		url = a.env.getenv(facade.EnvRevokeURL)
	}
	if !a.warnedRevokeURL {
		a.warnedRevokeURL = true
		a.warnPlainHTTP(url, "revocation URL", "the credential being revoked")
	}
	opts := a.transportOptions()
	if url != "" {
		opts = append(opts, facade.WithRevokeURL(url))
	}
	return opts
}

func (a *app) logout(ctx context.Context, configDir, revokeURL string, noRevoke bool) error {
	if !noRevoke {
		if err := a.checkRevokeURL(revokeURL); err != nil {
			return err
		}
	}
	w, err := a.writer(configDir)
	if err != nil {
		return err
	}
	host := a.registryHost()
	docr, err := asksDocr(ctx, w, host)
	if err != nil {
		return err
	}
	if docr {
		// Docker asks docr's own helper for this host: forget and revoke its
		// cached credential instead of asking the helper (which would mint
		// one), then undo 'docr login --helper'.
		n, err := a.helperErase(ctx, host, revokeURL, noRevoke)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "Dropped %d cached credential(s) of %s for %s.\n", n, helperProgram, host)
		removed, err := w.UnsetCredHelper(ctx, host, "docr")
		if err != nil {
			return err
		}
		if removed {
			fmt.Fprintf(a.env.Stdout, "Removed credHelpers[%q] from %s; Docker no longer asks %s.\n", host, w.Path(), helperProgram)
		}
		return nil
	}
	removed, err := w.Remove(ctx, host)
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		fmt.Fprintf(a.env.Stdout, "Not logged in to %s; nothing to remove from %s.\n", host, w.Path())
		return nil
	}
	fmt.Fprintf(a.env.Stdout, "Removed %s from %s.\n", host, w.Path())
	if noRevoke {
		fmt.Fprintln(a.env.Stdout, "The credential was not revoked (--no-revoke); it stays valid until it expires.")
		return nil
	}
	rec, err := a.record()
	if err != nil {
		return fmt.Errorf("removed %s from the config, but cannot tell whether docr minted its credential: %w", host, err)
	}
	// The entry is gone: from here on, an interrupted revocation would
	// leave a valid credential that no later command can find.
	rctx, done := a.revocationContext(ctx)
	defer done()
	var errs []error
	for _, c := range removed {
		revoked, err := a.revokeIfMinted(rctx, rec, c.Secret, revokeURL)
		switch {
		case err != nil:
			errs = append(errs, err)
		case revoked:
			fmt.Fprintf(a.env.Stdout, "Revoked the credential for %s.\n", c.Host)
		default:
			fmt.Fprintf(a.env.Stdout, "The credential for %s was not minted by docr (or has expired); it was not revoked.\n", c.Host)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("removed %s from the config, but revoking its credential failed: %w", host, errors.Join(errs...))
	}
	return nil
}

// asksDocr reports whether Docker asks docr's own helper for host.
func asksDocr(ctx context.Context, w *dockerconfig.Writer, host string) (bool, error) {
	name, _, err := w.Helper(ctx, host)
	return name == "docr", err
}

func dockerConfigCmd() *command {
	return &command{
		name:    "docker-config",
		args:    "[--registry NAME] [--read-write] [--expiry-seconds N | --never-expire]",
		summary: "Print a Docker config.json with credentials (read-only, never expires by default)",
		example: `  docr docker-config --expiry-seconds 3600 > config.json`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var registry string
			var readWrite bool
			fs.StringVar(&registry, "registry", "", "registry name (default: the account's registry)")
			fs.BoolVar(&readWrite, "read-write", false, "push (read-write) credentials")
			expiry := addExpiryFlags(fs, "default: never expires")
			return noArgs("docker-config", func(ctx context.Context) error {
				if err := checkRegistryFlag(registry); err != nil {
					return err
				}
				req := facade.CredentialsRequest{Registry: registry, ReadWrite: readWrite}
				if err := expiry.request(&req, 0); err != nil {
					return err
				}
				c, err := a.client(ctx)
				if err != nil {
					return err
				}
				creds, err := c.DockerCredentials(ctx, req)
				if err != nil {
					return err
				}
				out, err := a.registryConfig(ctx, creds)
				if err != nil {
					return err
				}
				_, err = a.env.Stdout.Write(append(out, '\n'))
				return err
			})
		},
	}
}

func kubernetesManifestCmd() *command {
	return &command{
		name:    "kubernetes-manifest",
		args:    "[--registry NAME] [--name NAME] [--namespace NS] [--expiry-seconds N | --never-expire] [--output yaml|json] [--dosecret-annotation=true|false]",
		summary: "Print a Kubernetes Secret for pulling from the registry (read-only, never expires by default)",
		example: `  docr kubernetes-manifest | kubectl apply -f -
  docr kubernetes-manifest --namespace apps --name pull-secret --output json`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var registry, name, namespace, output string
			var annotate bool
			fs.StringVar(&registry, "registry", "", "registry name (default: looked up with GET /v2/registry)")
			fs.StringVar(&name, "name", "", "Secret name (default registry-<registry name>)")
			fs.StringVar(&namespace, "namespace", "kube-system", "Secret namespace")
			expiry := addExpiryFlags(fs, "default: never expires")
			fs.StringVar(&output, "output", "yaml", "output format: yaml or json")
			fs.BoolVar(&annotate, "dosecret-annotation", true, "add digitalocean.com/dosecret-identifier so DOSecret copies the Secret to every namespace (default true in kube-system, else false)")
			return noArgs("kubernetes-manifest", func(ctx context.Context) error {
				if err := checkRegistryFlag(registry); err != nil {
					return err
				}
				if output != "yaml" && output != "json" {
					return usagef("--output must be yaml or json (the value given is not repeated, in case it is a secret)")
				}
				if !isSet(fs, "dosecret-annotation") {
					annotate = namespace == "kube-system"
				}
				if err := kubesecret.ValidateNamespace(namespace); err != nil {
					return usagef("--namespace %s", ruleOnly(err))
				}
				if name != "" {
					if err := kubesecret.ValidateName(name); err != nil {
						return usagef("--name %s", ruleOnly(err))
					}
				}
				req := facade.CredentialsRequest{Registry: registry}
				if err := expiry.request(&req, 0); err != nil {
					return err
				}
				c, err := a.client(ctx)
				if err != nil {
					return err
				}
				regName := registry
				if regName == "" {
					if regName, err = accountRegistry(ctx, c); err != nil {
						return err
					}
				}
				opts := kubesecret.Options{Name: name, RegistryName: regName, Namespace: namespace, DOSecretAnnotation: annotate}
				if name == "" {
					if err := kubesecret.ValidateName(kubesecret.DefaultNamePrefix + regName); err != nil {
						return usagef("the default Secret name %s<registry name> is not valid: it %s; set --name", kubesecret.DefaultNamePrefix, ruleOnly(err))
					}
				}
				creds, err := c.DockerCredentials(ctx, req)
				if err != nil {
					return err
				}
				config, err := a.registryConfig(ctx, creds)
				if err != nil {
					return err
				}
				return a.printSecret(config, opts, output)
			})
		},
	}
}

// ruleOnly is the rule a kubesecret validation error states ("must be a
// DNS-1123 label (...)"), without the value it quotes.
func ruleOnly(err error) string {
	if _, rule, ok := strings.Cut(err.Error(), ": must be "); ok {
		return "must be " + rule + " (the value given is not repeated, in case it is a secret)"
	}
	return "is not valid (the value given is not repeated, in case it is a secret)"
}

// registryConfig is the Docker config docr prints for creds: exactly
// {"auths":{<registry host>:{"auth":...}}}, encoded anew as
// gen.DockerCredentials (facade.DockerConfig), never the API's answer as
// received, which could carry other hosts, credsStore, credHelpers,
// proxies or characters chosen by the server. An answer for any host but
// the registry host is refused, and every credential in it revoked.
func (a *app) registryConfig(ctx context.Context, creds *facade.Credentials) ([]byte, error) {
	host := a.registryHost()
	if err := onlyHostOr(creds, host, "nothing was printed"); err != nil {
		return nil, a.discard(ctx, nil, creds, err)
	}
	cred, _ := creds.For(host)
	out, err := json.Marshal(facade.DockerConfig{Auths: map[string]facade.Credential{host: cred}})
	if err != nil {
		return nil, fmt.Errorf("encode the Docker config: %w", err)
	}
	return out, nil
}

// printSecret writes the whole manifest of a Secret holding config or
// nothing.
func (a *app) printSecret(config []byte, opts kubesecret.Options, output string) error {
	s, err := kubesecret.New(config, opts)
	if err != nil {
		return err
	}
	var out []byte
	if output == "json" {
		out, err = s.JSON()
	} else {
		out, err = s.YAML()
	}
	if err != nil {
		return err
	}
	_, err = a.env.Stdout.Write(out)
	return err
}

// accountRegistry returns the name of the account's registry.
func accountRegistry(ctx context.Context, c *facade.Client) (string, error) {
	//lint:ignore SA1019 GET /v2/registry is how doctl finds the account's registry; it still works
	resp, err := facade.Check(c.API().RegistryGetWithResponse(ctx))
	if err != nil {
		return "", fmt.Errorf("look up the registry name (pass --registry to skip): %w", err)
	}
	if resp.JSON200 == nil || resp.JSON200.Registry == nil || resp.JSON200.Registry.Name == nil || *resp.JSON200.Registry.Name == "" {
		return "", errors.New("look up the registry name: the API returned no registry; pass --registry")
	}
	return *resp.JSON200.Registry.Name, nil
}

func versionCmd() *command {
	return &command{
		name:    "version",
		summary: "Print the docr version",
		example: "  docr version",
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			return noArgs("version", func(context.Context) error {
				fmt.Fprintf(a.env.Stdout, "docr %s\n", facade.Version)
				return nil
			})
		},
	}
}
