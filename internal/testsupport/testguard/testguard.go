// Package testguard makes a test binary fail when its tests changed the real
// user's Docker configuration or docr's credential helper cache.
//
// Packages whose tests touch Docker config files call it from TestMain,
// before anything changes $HOME or $DOCKER_CONFIG:
//
//	func TestMain(m *testing.M) {
//		os.Exit(testguard.Main(m.Run))
//	}
//
// Main records the state of the real locations first (see [Snapshot]), runs
// the tests, and turns a passing run into exit code 1, with a message on
// standard error naming what changed, if any of them differs afterwards.
package testguard

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// stderr receives Main's report; tests replace it.
var stderr io.Writer = os.Stderr

// Main snapshots the real Docker config and docr's cache, calls run (usually
// m.Run, or a function around it that returns the exit code) and returns its
// exit code, or 1 if run returned 0 but a guarded path changed.
func Main(run func() int) int {
	g := Snapshot()
	code := run()
	if err := g.Verify(); err != nil {
		fmt.Fprintf(stderr, "testguard: FAIL: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Guard holds the recorded state of a set of paths.
type Guard struct {
	paths []string
	state map[string]string
}

// Snapshot records the state of the locations a test of docr could damage
// on a developer's machine, as the environment names them now:
//
//   - $HOME/.docker and $HOME/.docker/config.json (and its lock file);
//   - $DOCKER_CONFIG and $DOCKER_CONFIG/config.json, when set;
//   - docr's credential helper cache, <user cache dir>/docr/credential-helper.json,
//     and its directory.
//
// A path that does not exist is recorded as absent: creating it is a change.
func Snapshot() *Guard {
	var paths []string
	addDocker := func(dir string) {
		if dir == "" {
			return
		}
		paths = append(paths, dir, filepath.Join(dir, "config.json"), filepath.Join(dir, "config.json.lock"))
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		addDocker(filepath.Join(home, ".docker"))
	}
	addDocker(os.Getenv("DOCKER_CONFIG"))
	if cache, err := os.UserCacheDir(); err == nil && cache != "" {
		dir := filepath.Join(cache, "docr")
		paths = append(paths, dir, filepath.Join(dir, "credential-helper.json"))
	}
	return SnapshotPaths(paths...)
}

// SnapshotPaths records the state of the given paths: for each, whether it
// exists, its type, mode, owner, size and modification time, the SHA-256 of
// a regular file's content, the names in a directory, a link's target.
// Symbolic links are not followed.
func SnapshotPaths(paths ...string) *Guard {
	g := &Guard{state: map[string]string{}}
	for _, p := range paths {
		p = filepath.Clean(p)
		if _, dup := g.state[p]; dup {
			continue
		}
		g.paths = append(g.paths, p)
		g.state[p] = describe(p)
	}
	return g
}

// Paths returns the guarded paths.
func (g *Guard) Paths() []string { return slices.Clone(g.paths) }

// Verify returns an error naming every guarded path whose state differs
// from the snapshot, or nil.
func (g *Guard) Verify() error {
	var changes []string
	for _, p := range g.paths {
		if now := describe(p); now != g.state[p] {
			changes = append(changes, fmt.Sprintf("%s: was %s, is now %s", p, g.state[p], now))
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return errors.New("tests changed the real user's files (they must use t.TempDir, $HOME and $DOCKER_CONFIG of their own):\n\t" +
		strings.Join(changes, "\n\t"))
}

// describe returns a one-line description of p's state.
func describe(p string) string {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "absent"
	}
	if err != nil {
		return "unreadable (" + err.Error() + ")"
	}
	d := fmt.Sprintf("%s size=%d mtime=%d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
	d += owner(fi)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			target = "?" + err.Error()
		}
		d += " -> " + target
	case fi.IsDir():
		ents, err := os.ReadDir(p)
		if err != nil {
			return d + " entries=?" + err.Error()
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name())
		}
		d += " entries=[" + strings.Join(names, " ") + "]"
	case fi.Mode().IsRegular():
		f, err := os.Open(p)
		if err != nil {
			return d + " sha256=?" + err.Error()
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return d + " sha256=?" + err.Error()
		}
		d += " sha256=" + hex.EncodeToString(h.Sum(nil))
	}
	return d
}
