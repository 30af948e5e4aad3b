// Command specextract extracts the registry portion of DigitalOcean's public
// OpenAPI spec into one self-contained file, and reports how a fresh
// extraction differs from the committed one.
//
// Usage:
//
//	go run ./internal/buildtools/specextract [-upstream DIR] [-out spec/registry.yaml] [-overlay spec/overlay.yaml]
//	    [-diff [-fail-on-breaking] | -check | -changelog spec/CHANGES.md -heading TEXT]
//
// With no mode flag it extracts from -upstream (default: the newest snapshot
// in ../shared/upstream) and writes -out. Before it writes anything it checks
// the overlay's guards against the fresh extraction (-overlay; see
// overlayguard.go), so a stale overlay stops it with the action's name.
//
// Modes:
//   - -diff prints every change between -out and a fresh extraction
//     (operations, parameters, request bodies, responses, headers, security
//     scopes, components, properties, required, enum values), each classified
//     as breaking or compatible for the Go client and for the fake, and
//     writes nothing. With -fail-on-breaking it exits with status 2 when a
//     change is breaking.
//   - -check fails when -out is not byte for byte a fresh extraction (make
//     check-spec: the committed spec matches the pinned snapshot).
//   - -changelog FILE (with the write mode) also appends the classified
//     changes between the old -out and the fresh extraction to FILE, under
//     the heading -heading.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "specextract:", err)
		if errors.Is(err, errBreaking) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("specextract", flag.ContinueOnError)
	upstream := fs.String("upstream", "", "upstream github.com/digitalocean/openapi checkout (default: newest snapshot in ../shared/upstream)")
	out := fs.String("out", "spec/registry.yaml", "extracted spec file")
	diff := fs.Bool("diff", false, "print the changes between -out and a fresh extraction; write nothing")
	check := fs.Bool("check", false, "fail when -out differs from a fresh extraction; write nothing")
	failBreaking := fs.Bool("fail-on-breaking", false, "with -diff: exit with status 2 when a change is breaking")
	overlay := fs.String("overlay", "", "check this overlay's guards against the fresh extraction before anything else")
	changelog := fs.String("changelog", "", "when writing -out, append the classified changes to this Markdown file")
	heading := fs.String("heading", "", "heading of the -changelog entry (default: the upstream directory's name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	dir := *upstream
	if dir == "" {
		var err error
		if dir, err = newestSnapshot(filepath.Join("..", "shared", "upstream")); err != nil {
			return err
		}
	}
	if *failBreaking && !*diff {
		return errors.New("-fail-on-breaking needs -diff")
	}
	if *changelog != "" && (*diff || *check) {
		return errors.New("-changelog works only when writing -out")
	}
	fresh, err := Extract(ctx, dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if *overlay != "" && !*diff {
		if err := CheckOverlay(fresh, *overlay); err != nil {
			return fmt.Errorf("%s against a fresh extraction of %s: %w", *overlay, dir, err)
		}
	}
	switch {
	case *diff:
		old, err := os.ReadFile(*out)
		if err != nil {
			return err
		}
		rep, err := Diff(old, fresh)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "spec diff: %s -> fresh extraction of %s\n", *out, dir)
		if _, err := io.WriteString(stdout, rep.String()); err != nil {
			return err
		}
		if *overlay != "" {
			if err := CheckOverlay(fresh, *overlay); err != nil {
				fmt.Fprintf(stdout, "overlay: %v\n", err)
			} else {
				fmt.Fprintf(stdout, "overlay: %s applies cleanly\n", *overlay)
			}
		}
		if b := rep.Breaking(); *failBreaking && len(b) > 0 {
			return fmt.Errorf("%d breaking changes: %w", len(b), errBreaking)
		}
		return nil
	case *check:
		old, err := os.ReadFile(*out)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, fresh) {
			rep, derr := Diff(old, fresh)
			if derr != nil {
				return derr
			}
			return fmt.Errorf("%s is not a fresh extraction of %s; run make spec UPSTREAM=%s\n%s", *out, dir, dir, rep)
		}
		fmt.Fprintf(stdout, "%s matches a fresh extraction of %s\n", *out, dir)
		return nil
	default:
		if *changelog != "" {
			old, err := os.ReadFile(*out)
			if err != nil {
				return fmt.Errorf("changelog needs the previous spec: %w", err)
			}
			rep, err := Diff(old, fresh)
			if err != nil {
				return err
			}
			h := *heading
			if h == "" {
				h = filepath.Base(dir)
			}
			if err := appendChangelog(*changelog, rep.Markdown(h)); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: %s\n", *changelog, rep.Summary())
		}
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*out, fresh, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bytes) from %s\n", *out, len(fresh), dir)
		return nil
	}
}

// errBreaking marks a -diff -fail-on-breaking run that found breaking changes.
var errBreaking = errors.New("the upstream change breaks the Go client or the fake")

// changelogHead starts a new changelog file.
const changelogHead = `# API changes

Changes of the extracted registry spec (spec/registry.yaml) between the
upstream snapshots it was pinned to, newest last. Written by "make bump";
"breaking" means that code written against the previous spec stops
compiling or working: "client" for Go code using package gen or facade,
"fake" for the fake API in docrtest.
`

// appendChangelog adds entry to the Markdown file at p, creating it with a
// short introduction when it does not exist yet.
func appendChangelog(p, entry string) error {
	old, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		old, err = []byte(changelogHead), nil
	}
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(old, []byte("\n")) {
		old = append(old, '\n')
	}
	return os.WriteFile(p, append(append(old, '\n'), entry...), 0o644)
}

var snapshotRow = regexp.MustCompile(`^\|\s*([A-Za-z0-9._-]+)\s*\|\s*[0-9a-f]{7,40}\s*\|\s*(\d{4}-\d{2}-\d{2})\s*\|`)

// newestSnapshot picks the newest snapshot under base: by the dates in its
// README.md table when there is one, else the single snapshot present.
func newestSnapshot(base string) (string, error) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return "", fmt.Errorf("no -upstream given and %s is unreadable: %w", base, err)
	}
	var dirs []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(base, e.Name(), rootFile)); err == nil {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		return "", fmt.Errorf("no -upstream given and no snapshot under %s", base)
	}
	dates := map[string]string{}
	if readme, err := os.ReadFile(filepath.Join(base, "README.md")); err == nil {
		for _, line := range strings.Split(string(readme), "\n") {
			if m := snapshotRow.FindStringSubmatch(line); m != nil {
				dates[m[1]] = m[2]
			}
		}
	}
	sort.Slice(dirs, func(i, j int) bool {
		if dates[dirs[i]] != dates[dirs[j]] {
			return dates[dirs[i]] > dates[dirs[j]]
		}
		return dirs[i] < dirs[j]
	})
	if len(dirs) > 1 && dates[dirs[0]] == "" {
		return "", errors.New("several snapshots under " + base + " and no dated README.md table; pass -upstream")
	}
	return filepath.Join(base, dirs[0]), nil
}
