// Package cli implements the docr command. cmd/docr/main.go only calls Run
// (adding the commands of package fakecmd, which link the fake API); every
// command calls the facade, dockerconfig, kubesecret and credhelper
// packages and holds no API logic of its own. The credential helper is
// package credhelper: "docr credential-helper" and docr linked as
// docker-credential-docr run it. This package never imports docrtest:
// only cmd/docr links the fake, through fakecmd.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/minted"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// Env is what the command sees of the outside world; tests and the demo
// substitute their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable (os.Getenv when nil).
	Getenv func(string) string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Transport is the base HTTP transport of API and revocation requests
	// (net/http's default when nil); tests observe requests with it.
	Transport http.RoundTripper
}

func (e *Env) getenv(k string) string {
	if e.Getenv == nil {
		return os.Getenv(k)
	}
	return e.Getenv(k)
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// app holds the global flags and the environment of one invocation.
type app struct {
	env       *Env
	extra     []*command // commands added by the program (Main's extra)
	token     string
	tokenFile string
	apiURL    string
	timeout   time.Duration
	// apiToken is the token client read, kept so that it is never
	// revoked as if it were a registry credential.
	apiToken string
	// warnedRevokeURL is set once the revocation URL was checked for
	// the plain-http warning, which is given once a run.
	warnedRevokeURL bool
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// command is one docr subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	example string
	// setup registers the command's flags on fs and returns its action,
	// which receives the positional arguments.
	setup func(a *app, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

// commands is the table of docr's commands, those the program added before
// version.
func (a *app) commands() []*command {
	cmds := []*command{
		loginCmd(), logoutCmd(), dockerConfigCmd(), kubernetesManifestCmd(),
		credentialHelperCmd(),
	}
	cmds = append(cmds, a.extra...)
	return append(cmds, versionCmd())
}

func (a *app) findCommand(name string) *command {
	for _, c := range a.commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Run is the docr program: it runs [Main] with the process's arguments and
// standard streams, and turns SIGINT and SIGTERM into a cancelled context.
// A command that was interrupted cleans up (a credential minted but not yet
// stored is revoked on a fresh, bounded context) and Run returns 130 after
// SIGINT or 143 after SIGTERM, as a shell reports a process killed by them.
// A second signal exits at once with that code. extra adds the program's
// own commands, as for [Main].
func Run(extra ...*Command) int {
	return runInterruptible(func(ctx context.Context, env *Env) int {
		return Main(ctx, os.Args, env, extra...)
	})
}

// runInterruptible runs main with a context that SIGINT and SIGTERM cancel.
func runInterruptible(main func(context.Context, *Env) int) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	got := make(chan int, 1)
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		got <- signalExitCode(sig)
		cancel(fmt.Errorf("interrupted (%v)", sig))
		if sig2, ok := <-sigs; ok {
			os.Exit(signalExitCode(sig2))
		}
	}()
	code := main(ctx, &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	select {
	case sc := <-got:
		if code != exitOK {
			return sc
		}
	default:
	}
	return code
}

// signalExitCode is 128 plus the signal's number.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFail
}

// Main runs the docr command with args (args[0] is the program name) and
// returns its exit code: 0 success, 1 failure, 2 usage. extra adds the
// program's own commands (see [Command]).
func Main(ctx context.Context, args []string, env *Env, extra ...*Command) int {
	prog := "docr"
	if len(args) > 0 {
		prog = filepath.Base(args[0])
		args = args[1:]
	}
	prog = strings.TrimSuffix(prog, ".exe")
	a := &app{env: env}
	for _, c := range extra {
		if c != nil {
			a.extra = append(a.extra, c.command())
		}
	}
	if prog == helperProgram {
		return helperMain(ctx, a, args)
	}

	top := flag.NewFlagSet("docr", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	a.globalFlags(top)
	if err := parseFlags(top, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.mainUsage(env.Stdout)
			return exitOK
		}
		return a.finish(usagef("%v; run 'docr --help'", err))
	}
	rest := top.Args()
	if len(rest) == 0 {
		a.mainUsage(env.Stderr)
		return exitUsage
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			if c := a.findCommand(rest[1]); c != nil {
				fs := flag.NewFlagSet("docr "+c.name, flag.ContinueOnError)
				a.globalFlags(fs)
				c.setup(a, fs)
				commandUsage(env.Stdout, c, fs)
				return exitOK
			}
			return a.finish(usagef("unknown command %s; run 'docr help'", showArg(rest[1])))
		}
		a.mainUsage(env.Stdout)
		return exitOK
	}
	c := a.findCommand(name)
	if c == nil {
		return a.finish(usagef("unknown command %s; run 'docr help'", showArg(name)))
	}
	return a.finish(a.runCommand(ctx, c, rest[1:]))
}

// runCommand parses the command's flags (global flags are accepted after the
// command too) and runs it.
func (a *app) runCommand(ctx context.Context, c *command, args []string) error {
	fs := flag.NewFlagSet("docr "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globalFlags(fs)
	run := c.setup(a, fs)
	if _, err := facade.RegistryHostFromEnv(a.env.getenv); err != nil {
		return usagef("%s", errorLine(err))
	}
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(a.env.Stdout, c, fs)
			return nil
		}
		return usagef("%v; run 'docr %s --help'", err, c.name)
	}
	return run(ctx, fs.Args())
}

// finish prints err as one line on stderr and maps it to an exit code.
func (a *app) finish(err error) int {
	if err == nil {
		return exitOK
	}
	if msg := errorLine(err); msg != "" {
		fmt.Fprintf(a.env.Stderr, "docr: %s\n", msg)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFail
}

// errorLine is err's message on one line, without the "docr: " prefix the
// facade's errors carry (the caller adds its own).
func errorLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	for strings.HasPrefix(msg, "docr: ") {
		msg = strings.TrimPrefix(msg, "docr: ")
	}
	return msg
}

func (a *app) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.token, "token", a.token, "API token (default $DIGITALOCEAN_TOKEN, then $DIGITALOCEAN_ACCESS_TOKEN)")
	fs.StringVar(&a.tokenFile, "token-file", a.tokenFile, "read the API token from this file (- for stdin)")
	fs.StringVar(&a.apiURL, "api-url", a.apiURL, "API base URL (default $DIGITALOCEAN_API_URL, then "+facade.DefaultBaseURL+")")
	if a.timeout == 0 {
		a.timeout = 30 * time.Second
	}
	fs.DurationVar(&a.timeout, "timeout", a.timeout, "timeout of each API request")
}

// showArg quotes a stray command-line word in an error only when it looks
// like a command or file name (at most 32 of a-z, 0-9, '-', '.', starting
// with a letter): a token typed in the wrong place is never echoed.
func showArg(s string) string {
	ok := s != "" && len(s) <= 32 && s[0] >= 'a' && s[0] <= 'z'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.'
	}
	if ok {
		return strconv.Quote(s)
	}
	return "(not shown: it does not look like a command name)"
}

// noArgs wraps an action that takes no positional arguments.
func noArgs(name string, run func(ctx context.Context) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %s; run 'docr %s --help'", showArg(args[0]), name)
		}
		return run(ctx)
	}
}

// readToken finds the API token: --token, --token-file, then the
// environment (facade.TokenFromEnv: $DOCR_TOKEN_FILE, $DIGITALOCEAN_TOKEN,
// $DIGITALOCEAN_ACCESS_TOKEN). A file is read by facade.ReadTokenFile's
// rule; "-" reads standard input. Reading a file or standard input stops
// when ctx is done (Ctrl-C while a pipe or FIFO gives nothing).
func (a *app) readToken(ctx context.Context) (string, error) {
	if a.token != "" && a.tokenFile != "" {
		return "", usagef("give --token or --token-file, not both")
	}
	if a.token != "" {
		return a.token, nil
	}
	if a.tokenFile == "" {
		tok, _, err := facade.TokenFromEnv(a.env.getenv)
		switch {
		case errors.Is(err, facade.ErrNoToken):
			return "", fmt.Errorf("no API token: pass --token or --token-file, or set %s, %s or %s", facade.EnvTokenFile, facade.EnvToken, facade.EnvAccessToken)
		case err != nil:
			return "", tokenFileError(err, strings.TrimSpace(a.env.getenv(facade.EnvTokenFile)), "$"+facade.EnvTokenFile)
		}
		return tok, nil
	}
	type read struct {
		tok string
		err error
	}
	done := make(chan read, 1)
	// Opening a FIFO and reading a pipe block in the kernel, out of reach
	// of ctx: read on a goroutine and stop waiting when ctx is done (the
	// process is about to exit; the goroutine ends with it).
	go func() {
		var r read
		if a.tokenFile == "-" {
			if r.tok, r.err = facade.ReadToken(a.env.Stdin); r.err != nil {
				r.err = fmt.Errorf("--token-file - %w", r.err)
			}
		} else if r.tok, r.err = facade.ReadTokenFile(a.tokenFile); r.err != nil {
			r.err = tokenFileError(r.err, a.tokenFile, "--token-file")
		}
		done <- r
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("read --token-file: %w", context.Cause(ctx))
	}
}

// knownTokens are the API tokens docr can see without reading a file:
// --token and the environment. A credential equal to one of them is never
// sent to the revocation endpoint.
func (a *app) knownTokens() []string {
	var out []string
	for _, v := range []string{a.token, a.env.getenv(facade.EnvToken), a.env.getenv(facade.EnvAccessToken), a.apiToken} {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// baseURL is --api-url, else $DIGITALOCEAN_API_URL, else the default.
func (a *app) baseURL() string {
	if a.apiURL != "" {
		return a.apiURL
	}
	if v := a.env.getenv(facade.EnvAPIURL); v != "" {
		return v
	}
	return facade.DefaultBaseURL
}

// transportOptions are the facade options shared by API and revocation calls.
func (a *app) transportOptions() []facade.Option {
	opts := []facade.Option{
		facade.WithTimeout(a.timeout),
		facade.WithUserAgent(fmt.Sprintf("docr-cli/%s (+github.com/docr-dev/docr)", facade.Version)),
	}
	if a.env.Transport != nil {
		opts = append(opts, facade.WithTransport(a.env.Transport))
	}
	return opts
}

// client builds an API client from the global flags; extra options come
// last, so they override the global ones (the credential helper's own
// timeout and retry limits).
func (a *app) client(ctx context.Context, extra ...facade.Option) (*facade.Client, error) {
	if a.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	if err := a.checkEndpoint(a.apiURL, "--api-url", facade.EnvAPIURL); err != nil {
		return nil, err
	}
	tok, err := a.readToken(ctx)
	if err != nil {
		return nil, err
	}
	a.apiToken = tok
	a.warnPlainHTTP(a.baseURL(), "API URL", "the API token")
	opts := append(a.transportOptions(), facade.WithBaseURL(a.baseURL()))
	c, err := facade.New(tok, append(opts, extra...)...)
	if err != nil && !errors.Is(err, facade.ErrInvalidToken) {
		return nil, fmt.Errorf("API client: %w", err)
	}
	return c, err
}

// warnPlainHTTP warns on stderr, in one line, when endpoint (the API URL,
// the revocation URL) is plain http to a host that is not loopback: secret
// (what is sent there) would cross the network unencrypted. An empty
// endpoint is the https default.
func (a *app) warnPlainHTTP(endpoint, name, secret string) {
	if host, ok := facade.Cleartext(endpoint); ok {
		fmt.Fprintf(a.env.Stderr, "Warning: the %s is plain http to %s, not a loopback address: %s crosses the network unencrypted\n", name, host, secret)
	}
}

// checkEndpoint checks an endpoint URL given by flag (flagValue) or, when
// that is empty, by the environment variable env, with the one endpoint
// rule (facade.CheckEndpoint). A bad flag is a usage error (exit 2). The
// message does not repeat the URL, which may hold user info.
func (a *app) checkEndpoint(flagValue, flagName, env string) error {
	raw, src := flagValue, flagName
	if raw == "" {
		raw, src = a.env.getenv(env), "$"+env
	}
	if raw == "" {
		return nil
	}
	if _, err := facade.CheckEndpoint(raw); err != nil {
		msg := src + " must be an absolute http or https URL without user info, query or fragment (" + err.Error() + ")"
		if src == flagName {
			return usagef("%s", msg)
		}
		return errors.New(msg)
	}
	return nil
}

// record opens docr's record of the credentials it minted.
func (a *app) record() (*minted.Record, error) {
	dir, err := minted.Dir(a.env.getenv)
	if err != nil {
		return nil, err
	}
	return minted.Open(dir, a.env.now)
}

// registryHost is the Docker host docr logs in to: $DOCR_REGISTRY_HOST or
// registry.digitalocean.com (facade.RegistryHostFromEnv; runCommand has
// checked the variable already).
func (a *app) registryHost() string {
	h, err := facade.RegistryHostFromEnv(a.env.getenv)
	if err != nil {
		return facade.DefaultRegistryHost
	}
	return h
}

// maxExpirySeconds is the longest lifetime a time.Duration holds.
const maxExpirySeconds = math.MaxInt64 / int64(time.Second)

// expiryFlags are --expiry-seconds and --never-expire, shared by the
// commands that mint credentials.
type expiryFlags struct {
	fs          *flag.FlagSet
	seconds     int64
	neverExpire bool
}

func addExpiryFlags(fs *flag.FlagSet, defaultNote string) *expiryFlags {
	e := &expiryFlags{fs: fs}
	fs.Int64Var(&e.seconds, "expiry-seconds", 0, "credentials expire after N seconds ("+defaultNote+")")
	fs.BoolVar(&e.neverExpire, "never-expire", false, "credentials never expire")
	return e
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// request fills the expiry of r; def applies when neither flag is given.
func (e *expiryFlags) request(r *facade.CredentialsRequest, def time.Duration) error {
	secondsSet := isSet(e.fs, "expiry-seconds")
	switch {
	case secondsSet && e.neverExpire:
		return usagef("--expiry-seconds and --never-expire cannot be used together")
	case secondsSet && e.seconds < 1:
		return usagef("--expiry-seconds must be at least 1 (use --never-expire for credentials that do not expire)")
	case secondsSet && e.seconds > maxExpirySeconds:
		// More would overflow time.Duration and silently ask for another lifetime.
		return usagef("--expiry-seconds must be at most %d (use --never-expire for credentials that do not expire)", int64(maxExpirySeconds))
	case secondsSet:
		r.Expiry = time.Duration(e.seconds) * time.Second
	case e.neverExpire:
		r.NeverExpire = true
	case def == 0:
		r.NeverExpire = true
	default:
		r.Expiry = def
	}
	return nil
}

func (a *app) mainUsage(w io.Writer) {
	fmt.Fprintf(w, `docr gets and uses DigitalOcean Container Registry credentials.

Usage:
  docr [global flags] <command> [flags]

Commands:
`)
	for _, c := range a.commands() {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Global flags (before or after the command):
  --token TOKEN        API token (default $DIGITALOCEAN_TOKEN, then $DIGITALOCEAN_ACCESS_TOKEN)
  --token-file PATH    read the API token from PATH (- for stdin)
  --api-url URL        API base URL (default $DIGITALOCEAN_API_URL, then %s)
  --timeout DURATION   timeout of each API request (default 30s)

Run 'docr <command> --help' for a command's flags and an example.
Try it without an account: docr demo
`, facade.DefaultBaseURL)
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  docr %s %s\n\nFlags:\n", c.summary, c.name, c.args)
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		if isGlobal(f.Name) {
			return
		}
		typ, usage := flag.UnquoteUsage(&flag.Flag{Name: f.Name, Usage: f.Usage, Value: innerValue(f.Value), DefValue: f.DefValue})
		name := "--" + f.Name
		if typ != "" {
			name += " " + typ
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, fmt.Sprintf("  %-28s %s", name, usage))
	})
	sort.Strings(lines)
	if len(lines) == 0 {
		lines = []string{"  (none)"}
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
	fmt.Fprintf(w, "\nGlobal flags: --token, --token-file, --api-url, --timeout (see 'docr --help').\n\nExample:\n%s\n", c.example)
}

func isGlobal(name string) bool {
	switch name {
	case "token", "token-file", "api-url", "timeout":
		return true
	}
	return false
}
