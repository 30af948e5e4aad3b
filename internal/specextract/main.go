// Command specextract extracts the registry portion of DigitalOcean's public
// OpenAPI spec into one self-contained file, and reports how a fresh
// extraction differs from the committed one.
//
// Usage:
//
//	go run ./internal/specextract [-upstream DIR] [-out spec/registry.yaml] [-diff | -check]
//
// With no flag it extracts from the newest snapshot in ../shared/upstream and
// writes -out. With -diff it prints what changed between -out and a fresh
// extraction (operations, parameters, schemas, properties, enum values) and
// writes nothing. With -check it fails when -out differs from a fresh
// extraction.
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
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("specextract", flag.ContinueOnError)
	upstream := fs.String("upstream", "", "upstream github.com/digitalocean/openapi checkout (default: newest snapshot in ../shared/upstream)")
	out := fs.String("out", "spec/registry.yaml", "extracted spec file")
	diff := fs.Bool("diff", false, "print the changes between -out and a fresh extraction; write nothing")
	check := fs.Bool("check", false, "fail when -out differs from a fresh extraction; write nothing")
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
	fresh, err := Extract(ctx, dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
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
		_, err = io.WriteString(stdout, rep.String())
		return err
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
