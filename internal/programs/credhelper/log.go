package credhelper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// logger writes a run's notes and warnings on stderr, and its failures,
// notes and warnings to $DOCR_HELPER_LOG when that is set: one line each,
// "<time> docker-credential-docr[<pid>] <message>". Messages are docr's own
// and the facade's errors, which never hold a secret; characters that are
// not printable are shown as '?'.
type logger struct {
	env  *Env
	path string
}

func newLogger(env *Env) *logger { return &logger{env: env, path: env.Getenv(EnvLog)} }

// failure logs a failed action (not on stderr: Run has written it there).
func (l *logger) failure(action string, err error) { l.append(action + ": " + oneLine(err)) }

// note writes "docr: <msg>" on stderr and logs it.
func (l *logger) note(msg string) {
	fmt.Fprintln(l.env.Stderr, "docr: "+msg)
	l.append(msg)
}

// warn writes "docr: warning: <msg>" on stderr and logs it.
func (l *logger) warn(msg string) { l.note("warning: " + msg) }

func (l *logger) append(msg string) {
	if l.path == "" {
		return
	}
	if !filepath.IsAbs(l.path) {
		fmt.Fprintf(l.env.Stderr, "docr: warning: $%s must be an absolute path; nothing was logged\n", EnvLog)
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintf(l.env.Stderr, "docr: warning: $%s: %s\n", EnvLog, oneLine(err))
		return
	}
	defer f.Close()
	// One write per line: with O_APPEND, concurrent helpers never
	// interleave within a line.
	line := fmt.Sprintf("%s %s[%d] %s\n", l.env.Now().UTC().Format(time.RFC3339), Program, os.Getpid(), oneLine(errors.New(msg)))
	if _, err := f.WriteString(line); err != nil {
		fmt.Fprintf(l.env.Stderr, "docr: warning: $%s: %s\n", EnvLog, oneLine(err))
	}
}

// slogHandler gives the facade.Source's warnings (a credential the cache
// could not keep) to a logger: the message, then its error attribute.
type slogHandler struct{ l *logger }

func (h slogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (h slogHandler) Handle(_ context.Context, r slog.Record) error {
	msg := strings.TrimPrefix(r.Message, "docr: ")
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	h.l.warn(msg)
	return nil
}

func (h slogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h slogHandler) WithGroup(string) slog.Handler { return h }
