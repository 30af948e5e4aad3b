package dockerconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/registryhost"
)

// Default timeouts used when Options leaves them zero.
const (
	DefaultLockTimeout   = 10 * time.Second
	DefaultHelperTimeout = 30 * time.Second
)

// ConfigFileName is the name of Docker's client configuration file.
const ConfigFileName = "config.json"

// Route says where the secret for a host is kept.
type Route string

// The three places Docker keeps a secret, in the order it consults them.
const (
	// RouteCredHelper: credHelpers[host] names a helper for this host.
	RouteCredHelper Route = "credHelpers"
	// RouteCredsStore: credsStore names the default helper.
	RouteCredsStore Route = "credsStore"
	// RouteFile: no helper applies; auths[host].auth holds base64("user:password").
	RouteFile Route = "file"
)

// Stored says where the secret for one host went.
type Stored struct {
	Host  string
	Route Route
	// Helper is the helper's program name (e.g. "docker-credential-desktop"),
	// empty when Route is RouteFile.
	Helper string
}

// String describes s for people, e.g. "registry.example.com: credsStore docker-credential-pass".
func (s Stored) String() string {
	if s.Route == RouteFile {
		return s.Host + ": config file (plaintext)"
	}
	return s.Host + ": " + string(s.Route) + " " + s.Helper
}

// Result reports what Store did.
type Result struct {
	// Path is the config file that was read (symbolic links resolved).
	Path string
	// Written reports whether Path was rewritten; false when its content
	// would not have changed, in which case the file was not touched.
	Written bool
	// InPlace reports that Path could not be replaced by rename (EBUSY or
	// EXDEV: typically a bind-mounted config.json) and was rewritten in place.
	InPlace bool
	// Hosts has one entry per stored credential, in the order given.
	Hosts []Stored
}

// Options configures a Writer. The zero value is ready to use.
type Options struct {
	// Dir is the Docker config directory. Empty means $DOCKER_CONFIG, else ~/.docker.
	Dir string
	// LockTimeout bounds the wait for the config lock (config.json.lock, or
	// the lock beside a symbolic link's target). Zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// HelperTimeout bounds each credential helper run; a helper still running
	// then is killed. Zero means DefaultHelperTimeout.
	HelperTimeout time.Duration
	// Logger receives warnings (bind-mount fallback, world-readable file with
	// plaintext secrets) and debug lines. Nil discards them. No log line holds a secret.
	Logger *slog.Logger
	// HelperStderr receives the helpers' standard error, e.g. os.Stderr in a CLI so
	// that prompts reach the user (docker does the same). docr reads it from a
	// pipe and forwards it (at most 64 KiB a run); the helper never gets this
	// writer's file itself. Nil discards it. It is never copied into errors or
	// logs. It must be safe for concurrent use if the Writer is used from
	// several goroutines.
	HelperStderr io.Writer
}

// Writer reads and updates one Docker config.json. It is safe for concurrent
// use, including by several processes: every read-modify-write holds an
// advisory lock beside the file really written (config.json.lock, or the
// lock beside a symbolic link's target), so writers through other links to
// the same file wait too.
type Writer struct {
	path          string
	lockTimeout   time.Duration
	helperTimeout time.Duration
	log           *slog.Logger
	helperStderr  io.Writer

	// testHook, when set by tests, is called after each step of a write and
	// can fail it (fault injection).
	testHook func(step string) error
	// geteuid is os.Geteuid; tests replace it to act as a non-root user.
	geteuid func() int
	// helperDeadline, when set by tests, replaces context.WithTimeout for
	// the helperTimeout bound of each helper run, so that a test decides
	// when a hung helper's time is up.
	helperDeadline func(context.Context, time.Duration) (context.Context, context.CancelFunc)
}

// Path returns the config.json path: Join(dir, "config.json") when dir is not
// empty, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func Path(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("DOCKER_CONFIG")
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return "", errors.New("cannot find the Docker config directory: no home directory; set DOCKER_CONFIG or pass a directory")
		}
		dir = filepath.Join(home, ".docker")
	}
	return filepath.Join(dir, ConfigFileName), nil
}

// New returns a Writer for the config file chosen by opts.Dir (see Path).
// It checks the options but touches no file.
func New(opts Options) (*Writer, error) {
	if opts.LockTimeout < 0 {
		return nil, fmt.Errorf("dockerconfig: negative LockTimeout %s", opts.LockTimeout)
	}
	if opts.HelperTimeout < 0 {
		return nil, fmt.Errorf("dockerconfig: negative HelperTimeout %s", opts.HelperTimeout)
	}
	p, err := Path(opts.Dir)
	if err != nil {
		return nil, err
	}
	if p, err = filepath.Abs(p); err != nil {
		return nil, fmt.Errorf("dockerconfig: %w", err)
	}
	w := &Writer{
		path:          p,
		lockTimeout:   opts.LockTimeout,
		helperTimeout: opts.HelperTimeout,
		log:           opts.Logger,
		helperStderr:  opts.HelperStderr,
		geteuid:       os.Geteuid,
	}
	if w.lockTimeout == 0 {
		w.lockTimeout = DefaultLockTimeout
	}
	if w.helperTimeout == 0 {
		w.helperTimeout = DefaultHelperTimeout
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.helperStderr == nil {
		w.helperStderr = io.Discard
	}
	return w, nil
}

// Path returns the config.json path the Writer uses (before following symbolic links).
func (w *Writer) Path() string { return w.path }

// step runs the test hook for a named step of a write.
func (w *Writer) step(name string) error {
	if w.testHook != nil {
		return w.testHook(name)
	}
	return nil
}

// validHost checks a host given by the caller with docr's one host rule
// (package registryhost): hosts are keys in the file and lines on a helper's
// stdin, and a look-alike of a real host must not pass for it.
func validHost(host string) error {
	if err := registryhost.Check(host); err != nil {
		return fmt.Errorf("dockerconfig: %w", err)
	}
	return nil
}

// validCredential checks c. Its messages name the host only: the user name
// of a DigitalOcean registry login is a token too.
func validCredential(c facade.Credential) error {
	if err := validHost(c.Host); err != nil {
		return err
	}
	switch {
	case c.Username == "":
		return fmt.Errorf("dockerconfig: empty user name for %s", c.Host)
	case c.Secret == "":
		return fmt.Errorf("dockerconfig: empty password for %s", c.Host)
	case strings.Contains(c.Username, ":"):
		return fmt.Errorf("dockerconfig: user name for %s contains ':', which the auth field cannot represent", c.Host)
	case !utf8.ValidString(c.Username) || !utf8.ValidString(c.Secret):
		return fmt.Errorf("dockerconfig: user name or password for %s is not valid UTF-8", c.Host)
	case strings.IndexFunc(c.Username, unicode.IsControl) >= 0:
		return fmt.Errorf("dockerconfig: user name for %s contains control characters", c.Host)
	}
	return nil
}

// validCredentials checks every credential and rejects a host given twice.
func validCredentials(creds []facade.Credential) error {
	seen := make(map[string]bool, len(creds))
	for _, c := range creds {
		if err := validCredential(c); err != nil {
			return err
		}
		if seen[c.Host] {
			return fmt.Errorf("dockerconfig: host %s given twice", c.Host)
		}
		seen[c.Host] = true
	}
	return nil
}

// validHelperName checks a helper name (the part after "docker-credential-").
func validHelperName(name string) error {
	if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, `/\`) ||
		strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("invalid credential helper name %q: want a name like \"desktop\" for docker-credential-desktop", name)
	}
	return nil
}
