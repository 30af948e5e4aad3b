// Package credhelper is docr's Docker credential helper: the program
// docker-credential-docr, which Docker runs as "docker-credential-docr get"
// (and store, erase, list) with a server URL on stdin whenever
// config.json's credHelpers name "docr" for the registry host. The same
// helper runs as "docr credential-helper ACTION" and as docr linked under
// the name docker-credential-docr.
//
// The protocol is docker-credential-helpers' own: the helper is a
// credentials.Helper served by credentials.HandleCommand.
//
//   - get is a [facade.Source]: it mints a short-lived credential on demand
//     and reuses it until facade.DefaultRenewBefore its expiry (ten minutes
//     for the default hour), the one renewal rule. Between processes
//     it is kept in a file cache (a [facade.Cache] and [facade.Locker])
//     under the Source's key, which holds a fingerprint of the API origin
//     and token: a credential minted with one token is never served for
//     another.
//   - store refuses: docr mints on demand and stores nothing.
//   - erase drops the host's cached credentials and revokes them.
//   - list names the registry host.
//
// It runs on every pull and push, so it links the facade and the protocol
// only: never kubesecret, a YAML library or the fake API
// (internal/testsupport/leandeps checks).
package credhelper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docr-dev/docr/facade"
)

// Program is the helper's program name: Docker runs
// docker-credential-<name> for the credHelpers value "docr".
const Program = "docker-credential-docr"

// The environment variables of the helper; those every docr program reads
// are the facade's (facade.EnvToken and the others).
const (
	// EnvExpiry is the lifetime of the credentials get mints, in whole
	// seconds from 1 to 86400 (default 3600).
	EnvExpiry = "DOCR_HELPER_EXPIRY_SECONDS"
	// EnvReadWrite, when true, makes get mint push (read-write)
	// credentials; the default is read-only.
	EnvReadWrite = "DOCR_HELPER_READ_WRITE"
	// EnvCache is "on" (the default) or "off": off keeps no file at all,
	// so every get mints.
	EnvCache = "DOCR_HELPER_CACHE"
	// EnvCacheDir is the directory of the cache file, an absolute path
	// (default <user cache dir>/docr). docr keeps it private (0700).
	EnvCacheDir = "DOCR_HELPER_CACHE_DIR"
	// EnvLog names a file the helper appends its failures to, one line
	// each, never a secret; it is created with mode 0600.
	EnvLog = "DOCR_HELPER_LOG"
)

// The helper's own limits.
const (
	defaultExpiry = time.Hour
	// maxExpiry bounds EnvExpiry: the helper never mints long-lived
	// credentials, and no cached entry may expire later than this from now.
	maxExpiry = 24 * time.Hour
	// requestTimeout and attempts bound how long docker pull waits on an
	// unreachable API: at most about 2 x 15 s plus one backoff.
	requestTimeout = 15 * time.Second
	attempts       = 2
	// maxRequest bounds what is read from stdin: a server URL, or the
	// JSON that store refuses.
	maxRequest = 64 << 10
)

// EnvironmentHelp lists the variables the helper reads, for usage texts.
const EnvironmentHelp = `Environment:
  ` + facade.EnvToken + ` (or ` + facade.EnvAccessToken + `, or ` + facade.EnvTokenFile + `)  the API token
  ` + facade.EnvAPIURL + `, ` + facade.EnvRevokeURL + `  the API and revocation endpoints
  ` + facade.EnvRegistryHost + `  the registry host served (default ` + facade.DefaultRegistryHost + `)
  ` + EnvExpiry + `  credential lifetime (default 3600, at most 86400)
  ` + EnvReadWrite + `=true  push (read-write) credentials
  ` + EnvCache + `=off  keep no cache file: every get mints
  ` + EnvCacheDir + `=DIR  the cache directory (default <user cache dir>/docr)
  ` + EnvLog + `=FILE  append failures to FILE, one line each, never a secret`

// usage is the standalone program's --help.
const usage = `Usage: ` + Program + ` get|store|erase|list|version

docr's Docker credential helper. Docker runs it with the registry host on
standard input; get mints a short-lived credential and caches it, erase drops
and revokes it, store is refused (docr mints on demand), list names the host.
Set it up with: docr login --helper

` + EnvironmentHelp + "\n"

func init() {
	// What credentials.HandleCommand prints for "version"; the library
	// leaves these to be filled at link time.
	credentials.Name = Program
	credentials.Package = "github.com/docr-dev/docr"
	credentials.Version = facade.Version
}

// Env is what the helper sees of the outside world; tests substitute their
// own. Nil fields are the process's: os.Stdin, os.Stdout, os.Stderr,
// os.Getenv, time.Now and net/http's default transport.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	// Transport is the base transport of API and revocation requests.
	Transport http.RoundTripper
}

func (e *Env) withDefaults() *Env {
	out := Env{}
	if e != nil {
		out = *e
	}
	if out.Stdin == nil {
		out.Stdin = os.Stdin
	}
	if out.Stdout == nil {
		out.Stdout = os.Stdout
	}
	if out.Stderr == nil {
		out.Stderr = os.Stderr
	}
	if out.Getenv == nil {
		out.Getenv = os.Getenv
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	return &out
}

// Options are what the docr command's global flags add to a run; the zero
// value, the standalone program's, takes everything from the environment.
type Options struct {
	// Token is the API token (--token, or read from --token-file); ""
	// reads it with facade.TokenFromEnv.
	Token string
	// APIURL is the API's base URL (--api-url, already checked); "" means
	// $DIGITALOCEAN_API_URL, then facade.DefaultBaseURL.
	APIURL string
	// Timeout bounds each API request (--timeout); the helper never
	// waits longer than 15 s per attempt.
	Timeout time.Duration
}

// Main runs the helper as the program docker-credential-docr: args[0] is
// the program's name and args[1] the action (get, store, erase, list or
// version), with the request on env.Stdin. It returns the exit code: 0; 1
// for a failure, written as [Run] does; 2 for a usage error. --help prints
// the usage, --version the version.
func Main(ctx context.Context, args []string, env *Env) int {
	env = env.withDefaults()
	if len(args) > 0 {
		args = args[1:]
	}
	if len(args) == 1 {
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprint(env.Stdout, usage)
			return 0
		case "-v", "--version":
			args[0] = credentials.ActionVersion
		}
	}
	var err error
	if len(args) != 1 {
		err = errors.New("credential-helper takes one action: get, store, erase, list or version")
	} else {
		err = CheckAction(args[0])
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "docr: %s (run '%s --help')\n", err, Program)
		newLogger(env).failure("usage", err)
		return 2
	}
	return Run(ctx, args[0], env, Options{})
}

// CheckAction returns an error, which never repeats the action, unless
// action is one the helper knows.
func CheckAction(action string) error {
	switch action {
	case credentials.ActionGet, credentials.ActionStore, credentials.ActionErase, credentials.ActionList, credentials.ActionVersion:
		return nil
	}
	return errors.New("unknown credential-helper action: want get, store, erase, list or version")
}

// Run runs one action (see [CheckAction]) with credentials.HandleCommand,
// the request on env.Stdin and the answer on env.Stdout, and returns the
// exit code, 0 or 1. A failure is written on stdout, which Docker shows:
// the protocol's own messages ("credentials not found in native keychain",
// "no credentials server URL", store's refusal) as they are, any other as
// one "docr: " line, also on stderr. Failures other than "not found" are
// appended to $DOCR_HELPER_LOG when it is set.
func Run(ctx context.Context, action string, env *Env, o Options) int {
	env = env.withDefaults()
	h := &helper{ctx: ctx, env: env, opts: o, log: newLogger(env)}
	err := credentials.HandleCommand(h, action, io.LimitReader(env.Stdin, maxRequest), env.Stdout)
	if err == nil {
		return 0
	}
	switch {
	case credentials.IsErrCredentialsNotFound(err):
		// The protocol's answer for another host: not a failure to log.
		fmt.Fprintln(env.Stdout, err)
		return 1
	case credentials.IsCredentialsMissingServerURL(err), credentials.IsCredentialsMissingUsername(err), errors.Is(err, errStoreRefused):
		fmt.Fprintln(env.Stdout, err)
	default:
		line := "docr: " + oneLine(err)
		fmt.Fprintln(env.Stdout, line)
		fmt.Fprintln(env.Stderr, line)
	}
	h.log.failure(action, err)
	return 1
}

// errStoreRefused is store's answer, whatever it is given.
var errStoreRefused = errors.New("docr mints credentials on demand and stores none; use 'docr login' to store a credential")

// helper is the credentials.Helper of one run. Its methods take no
// context (the protocol's interface); they use the run's.
type helper struct {
	ctx  context.Context
	env  *Env
	opts Options
	log  *logger
}

// Add refuses: docr mints on demand.
func (h *helper) Add(*credentials.Credentials) error { return errStoreRefused }

// List names the registry host.
func (h *helper) List() (map[string]string, error) {
	host, err := facade.RegistryHostFromEnv(h.env.Getenv)
	if err != nil {
		return nil, err
	}
	return map[string]string{host: "docr"}, nil
}

// Get returns a credential for the registry host, cached or minted; any
// other server gets the protocol's "not found", before anything is read
// or sent.
func (h *helper) Get(serverURL string) (string, string, error) {
	host, err := facade.RegistryHostFromEnv(h.env.Getenv)
	if err != nil {
		return "", "", err
	}
	if !serves(serverURL, host) {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	c, err := h.credential(host)
	if err != nil {
		return "", "", err
	}
	return c.Username, c.Secret, nil
}

// Delete drops and revokes the cached credentials of the registry host
// (see [Erase]); another server has nothing to erase.
func (h *helper) Delete(serverURL string) error {
	host, err := facade.RegistryHostFromEnv(h.env.Getenv)
	if err != nil {
		return err
	}
	if !serves(serverURL, host) {
		return nil
	}
	_, err = Erase(h.ctx, h.env, host, EraseOptions{KnownTokens: []string{h.opts.Token}})
	return err
}

// oneLine is err's message on one line, without the "docr: " prefixes the
// facade's errors carry, and with every character that is not printable
// (control characters, bidirectional marks) shown as '?'.
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	for strings.HasPrefix(msg, "docr: ") {
		msg = strings.TrimPrefix(msg, "docr: ")
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, msg)
}
