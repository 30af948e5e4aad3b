package dockerconfig

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docr-dev/docr/facade"
)

const (
	helperPrefix = "docker-credential-"
	// helperWaitDelay bounds how long a helper's pipes may stay open after it
	// exits or is killed (a child it left behind may hold them).
	helperWaitDelay = 2 * time.Second
	// maxHelperOutput caps what is kept of a helper's stdout.
	maxHelperOutput = 1 << 20
	// maxHelperStderr caps what is forwarded of one helper run's stderr to
	// Options.HelperStderr; the rest is read and dropped.
	maxHelperStderr = 64 << 10
	// maxDetail caps the helper message quoted in an error.
	maxDetail = 200
)

// ErrHelperTimeout is the cause (errors.Is) of a HelperError for a helper
// that did not finish within Options.HelperTimeout and was killed.
var ErrHelperTimeout = errors.New("credential helper timed out")

// ErrHelperReply is the cause of a HelperError for a helper that exited
// successfully but printed something that is not a credentials JSON object.
var ErrHelperReply = errors.New("credential helper printed an invalid reply")

// HelperError reports a credential helper that is missing, failed, hung, or
// printed garbage. docr never falls back to plaintext after one. Its message
// names the helper and the config setting that chose it and never holds a
// secret: helpers' stderr is never included, and their stdout only for get
// and erase (whose input holds no secret), with any known secret redacted.
type HelperError struct {
	Helper  string // program, e.g. "docker-credential-desktop"
	Action  string // "store", "get" or "erase"
	Host    string
	Setting string // the config key that chose the helper: credsStore or credHelpers["host"]
	Path    string // the config file
	Err     error  // cause: exec.ErrNotFound, ErrHelperTimeout, ErrHelperReply, *exec.ExitError, a context error
	detail  string // the helper's own message, sanitized; empty for store
}

// Error describes the failure for people; it names the helper, the action,
// the host and the config setting, and never holds a secret.
func (e *HelperError) Error() string {
	who := fmt.Sprintf("credential helper %s (%s in %s)", e.Helper, e.Setting, e.Path)
	var msg string
	switch {
	case errors.Is(e.Err, exec.ErrNotFound):
		return fmt.Sprintf("%s was not found in PATH; install it or change %s (docr never falls back to storing the password in the file)", who, e.Setting)
	case e.Action == "find":
		return fmt.Sprintf("%s cannot be used: %v", who, e.Err)
	case errors.Is(e.Err, ErrHelperTimeout):
		msg = fmt.Sprintf("%s did not finish %s for %s in time and was killed", who, e.Action, e.Host)
	case errors.Is(e.Err, ErrHelperReply):
		msg = fmt.Sprintf("%s printed a reply to %s for %s that is not a credentials JSON object", who, e.Action, e.Host)
		if e.Err != ErrHelperReply {
			msg += " (" + e.Err.Error() + ")"
		}
	default:
		msg = fmt.Sprintf("%s failed to %s credentials for %s: %v", who, e.Action, e.Host, e.Err)
	}
	if e.detail != "" {
		msg += "; it said " + e.detail
	}
	return msg
}

// Unwrap returns the cause.
func (e *HelperError) Unwrap() error { return e.Err }

// helper runs one configured credential helper through the
// docker-credential-helpers client package.
type helper struct {
	w       *Writer
	ctx     context.Context
	prog    string // docker-credential-<name>
	bin     string // resolved path
	setting string
	cfgPath string
	last    *helperProgram
}

// newHelper resolves the helper program a route names. A missing helper is a
// HelperError (exec.ErrNotFound).
func (w *Writer) newHelper(ctx context.Context, route Route, name, host, cfgPath string) (*helper, error) {
	setting := keyCredsStore
	if route == RouteCredHelper {
		setting = fmt.Sprintf("%s[%q]", keyCredHelpers, host)
	}
	h := &helper{w: w, ctx: ctx, prog: helperPrefix + name, setting: setting, cfgPath: cfgPath}
	if err := validHelperName(name); err != nil {
		return nil, &HelperError{Helper: h.prog, Action: "find", Host: host, Setting: setting, Path: cfgPath, Err: err}
	}
	bin, err := exec.LookPath(h.prog)
	if err != nil {
		cause := err
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, exec.ErrDot) {
			cause = exec.ErrNotFound
		}
		return nil, &HelperError{Helper: h.prog, Action: "find", Host: host, Setting: setting, Path: cfgPath, Err: cause}
	}
	h.bin = bin
	return h, nil
}

// program is the client.ProgramFunc: unlike client.NewShellProgramFunc it
// honours the context and HelperTimeout, and captures stdout and stderr.
func (h *helper) program(args ...string) client.Program {
	p := &helperProgram{h: h, args: args}
	h.last = p
	return p
}

// store saves c in the helper.
func (h *helper) store(c facade.Credential) error {
	h.w.log.Debug("running credential helper", "helper", h.prog, "action", "store", "host", c.Host)
	h.last = nil
	err := client.Store(h.program, &credentials.Credentials{ServerURL: c.Host, Username: c.Username, Secret: c.Secret})
	if err != nil {
		return h.fail("store", c.Host, false)
	}
	return nil
}

// get reads the credential for host; found is false when the helper has none.
func (h *helper) get(host string) (facade.Credential, bool, error) {
	h.w.log.Debug("running credential helper", "helper", h.prog, "action", "get", "host", host)
	h.last = nil
	got, err := client.Get(h.program, host)
	if err != nil {
		if credentials.IsErrCredentialsNotFound(err) {
			return facade.Credential{}, false, nil
		}
		return facade.Credential{}, false, h.fail("get", host, true)
	}
	if got.Username == "" && got.Secret == "" {
		return facade.Credential{}, false, nil
	}
	return facade.Credential{Host: host, Username: got.Username, Secret: got.Secret}, true, nil
}

// erase removes the credential for host; a helper that has none is fine.
// known is redacted from any helper message.
func (h *helper) erase(host string, known *facade.Credential) error {
	h.w.log.Debug("running credential helper", "helper", h.prog, "action", "erase", "host", host)
	h.last = nil
	if err := client.Erase(h.program, host); err != nil {
		if p := h.last; p != nil && p.err != nil && p.ctxErr == nil &&
			credentials.IsErrCredentialsNotFoundMessage(p.stdout.String()) {
			return nil
		}
		var secrets []string
		if known != nil {
			secrets = secretForms(*known)
		}
		return h.fail("erase", host, true, secrets...)
	}
	return nil
}

// fail builds the HelperError for the last run. It never uses the client
// package's error text, which quotes the helper's stdout verbatim.
func (h *helper) fail(action, host string, quote bool, secrets ...string) error {
	e := &HelperError{Helper: h.prog, Action: action, Host: host, Setting: h.setting, Path: h.cfgPath}
	p := h.last
	switch {
	case p == nil:
		e.Err = errors.New("the request could not be prepared")
	case p.parentErr != nil:
		e.Err = p.parentErr
	case errors.Is(p.ctxErr, context.DeadlineExceeded):
		e.Err = fmt.Errorf("%w after %s", ErrHelperTimeout, h.w.helperTimeout)
	case errors.Is(p.err, exec.ErrWaitDelay):
		e.Err = errors.New("it exited but a process it started kept its output open")
	case p.err != nil:
		e.Err = p.err // *exec.ExitError: "exit status N"
		if quote {
			e.detail = sanitize(p.stdout.Bytes(), secrets)
		}
	case p.stdout.overflow:
		e.Err = fmt.Errorf("%w: more than %d bytes", ErrHelperReply, maxHelperOutput)
	default:
		e.Err = ErrHelperReply
	}
	return e
}

// secretForms lists the ways c's secrets could show up in a helper message.
func secretForms(c facade.Credential) []string {
	forms := []string{c.Secret, c.Username,
		base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Secret)),
		base64.StdEncoding.EncodeToString([]byte(c.Secret))}
	if q, err := json.Marshal(c.Secret); err == nil {
		forms = append(forms, string(q[1:len(q)-1]))
	}
	return forms
}

// sanitize turns a helper's stdout into a short quoted string without the
// given secrets; "" when there is nothing to say.
func sanitize(out []byte, secrets []string) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(out), "\uFFFD"))
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	if s == "" {
		return ""
	}
	if len(s) > maxDetail {
		cut := maxDetail
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

// helperProgram is one run of a helper (client.Program).
type helperProgram struct {
	h      *helper
	args   []string
	stdin  io.Reader
	stdout cappedBuffer

	err       error // from exec
	ctxErr    error // the timeout context's error after the run
	parentErr error // the caller's context error after the run
}

// Input sets the helper's stdin.
func (p *helperProgram) Input(in io.Reader) { p.stdin = in }

// Output runs the helper and returns its stdout. The helper runs in a
// process group of its own (on Unix), with stdin, stdout and stderr on pipes
// that docr reads: its stderr is forwarded to Options.HelperStderr (at most
// maxHelperStderr bytes), never handed docr's own, so nothing the helper
// starts can hold docr's output open. When the caller's context ends or
// HelperTimeout passes, the whole group is killed (the helper and whatever
// it started that stayed in its group). A helper that exits while a process
// it started keeps its pipes open is given helperWaitDelay, then its group
// is killed and the pipes closed. The helper's environment is docr's minus
// the API token variables (see helperEnv).
func (p *helperProgram) Output() ([]byte, error) {
	withTimeout := context.WithTimeout
	if p.h.w.helperDeadline != nil {
		withTimeout = p.h.w.helperDeadline
	}
	ctx, cancel := withTimeout(p.h.ctx, p.h.w.helperTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.h.bin, p.args...)
	cmd.Stdin = p.stdin
	cmd.Stdout = &p.stdout
	cmd.Stderr = &forwarder{w: p.h.w.helperStderr, left: maxHelperStderr}
	cmd.Env = helperEnv(strings.TrimPrefix(p.h.prog, helperPrefix), os.Environ())
	cmd.WaitDelay = helperWaitDelay
	ownProcessGroup(cmd)
	p.err = cmd.Run()
	if errors.Is(p.err, exec.ErrWaitDelay) {
		// The helper exited; what it left behind holds the pipes.
		_ = killGroup(cmd)
	}
	if p.err != nil {
		p.ctxErr = ctx.Err()
		p.parentErr = p.h.ctx.Err()
		return p.stdout.Bytes(), p.err
	}
	if p.stdout.overflow {
		// Fail the client call; fail() reports it without quoting stdout,
		// which for a successful get holds the secret.
		return nil, ErrHelperReply
	}
	return p.stdout.Bytes(), nil
}

// helperEnv is the environment a helper runs with: env without the
// variables that hold or name the DigitalOcean API token
// (facade.EnvToken, facade.EnvAccessToken, facade.EnvTokenFile), which a
// credential store has no use for. docr's own helper (name "docr") keeps
// them: it mints credentials with that token.
func helperEnv(name string, env []string) []string {
	if name == "docr" {
		return env
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.EqualFold(k, facade.EnvToken), strings.EqualFold(k, facade.EnvAccessToken), strings.EqualFold(k, facade.EnvTokenFile):
			continue
		}
		out = append(out, kv)
	}
	return out
}

// forwarder passes what a helper writes on stderr on to w, up to left
// bytes, then one line saying the rest was dropped. It reports everything
// as written, so that the helper is never blocked or failed by the cap.
// Errors of w are ignored for the same reason.
type forwarder struct {
	w    io.Writer
	left int
	cut  bool
}

func (f *forwarder) Write(p []byte) (int, error) {
	switch {
	case len(p) <= f.left:
		_, _ = f.w.Write(p)
		f.left -= len(p)
	case !f.cut:
		if f.left > 0 {
			_, _ = f.w.Write(p[:f.left])
		}
		f.left, f.cut = 0, true
		_, _ = io.WriteString(f.w, "\n[docr: the rest of the credential helper's standard error was dropped]\n")
	}
	return len(p), nil
}

// cappedBuffer keeps the first maxHelperOutput bytes written to it and
// drops the rest, so a runaway helper cannot exhaust memory. It does not
// embed bytes.Buffer: io.Copy would use its ReadFrom and bypass the cap.
type cappedBuffer struct {
	buf      bytes.Buffer
	overflow bool
}

// Write keeps what fits and reports everything as written.
func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxHelperOutput - b.buf.Len(); len(p) > room {
		b.overflow = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// Bytes returns what was kept.
func (b *cappedBuffer) Bytes() []byte { return b.buf.Bytes() }

// String returns what was kept as a string.
func (b *cappedBuffer) String() string { return b.buf.String() }
