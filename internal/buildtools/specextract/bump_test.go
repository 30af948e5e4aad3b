package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// moduleCopy copies the module (without .git) into a temp dir, so that the
// bump and watch scripts can run on it as on a maintainer's checkout.
func moduleCopy(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("tar not installed")
	}
	dst := t.TempDir()
	cmd := exec.Command("bash", "-c", `tar -C ../../.. --exclude=./.git -cf - . | tar -C "$0" -xf -`, dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copy module: %v\n%s", err, out)
	}
	return dst
}

// tree hashes every file under the given dirs of root, by relative path.
func tree(t *testing.T, root string, dirs ...string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[rel] = sha256.Sum256(b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func changedFiles(before, after map[string][32]byte) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k+" (deleted)")
		}
	}
	slices.Sort(out)
	return out
}

// script runs one of internal/buildtools/scripts' scripts in the module copy. The
// timeout only guards against a hang: a run takes well under a minute.
func script(t *testing.T, mod, name string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(mod, "internal", "buildtools", "scripts", name)}, args...)...)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s hung:\n%s", name, out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestUpstreamWatch runs the watch job's script (and through it make bump's)
// against the two snapshots and a mutated copy of the pinned one.
func TestUpstreamWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerates and builds a copy of the module")
	}
	cur, err := filepath.Abs(snapshot(t, current))
	if err != nil {
		t.Fatal(err)
	}
	old, err := filepath.Abs(snapshot(t, older))
	if err != nil {
		t.Fatal(err)
	}
	mod := moduleCopy(t)
	watched := []string{"spec", "gen", filepath.Join("docrtest", "internal")}

	t.Run("pinned snapshot: nothing to do", func(t *testing.T) {
		ghout := filepath.Join(t.TempDir(), "out")
		before := tree(t, mod, watched...)
		out, code := script(t, mod, "upstream-watch.sh", []string{"GITHUB_OUTPUT=" + ghout}, cur)
		if code != 0 || !strings.Contains(out, "no changes\n") || !strings.Contains(out, "nothing to do") {
			t.Fatalf("status %d:\n%s", code, out)
		}
		if got := string(mustRead(t, ghout)); got != "changed=false\n" {
			t.Errorf("outputs = %q", got)
		}
		if c := changedFiles(before, tree(t, mod, watched...)); len(c) > 0 {
			t.Errorf("files changed: %v", c)
		}
	})

	t.Run("older snapshot: breaking, overlay does not fit, nothing changes", func(t *testing.T) {
		before := tree(t, mod, watched...)
		out, code := script(t, mod, "upstream-watch.sh", []string{"WATCH_OUT=" + filepath.Join(t.TempDir(), "body.md")}, old)
		if code != 1 {
			t.Fatalf("status %d, want 1:\n%s", code, out)
		}
		for _, want := range []string{
			"- GET /v2/registries: registries_list [breaking: client, fake]",
			"overlay action 1 (\"Add read_write and expiry_seconds to registries_get_dockerCredentials.\") targets",
			"upstream no longer has the path /v2/registries/{registry_name}/docker-credentials",
			"bump: FAILED at: extraction and overlay guards; nothing in",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if c := changedFiles(before, tree(t, mod, watched...)); len(c) > 0 {
			t.Errorf("a failed bump changed %v", c)
		}
	})

	t.Run("new optional parameter: bumped", func(t *testing.T) {
		// This one regenerates and builds a copy of the whole module: a few
		// minutes on a busy 2-core machine, too long for go test's default
		// timeout beside everything else. make test-bump runs it.
		if os.Getenv("DOCR_TEST_BUMP") == "" {
			t.Skip("set DOCR_TEST_BUMP=1 (make test-bump) to regenerate and build a module copy")
		}
		up := filepath.Join(t.TempDir(), "digitalocean-openapi-0000abcd")
		if err := os.Rename(upstreamCopy(t, cur), up); err != nil {
			t.Fatal(err)
		}
		mutations[0].apply(t, up) // new-optional-parameter
		ghout := filepath.Join(t.TempDir(), "out")
		body := filepath.Join(t.TempDir(), "body.md")
		before := tree(t, mod, watched...)
		out, code := script(t, mod, "upstream-watch.sh", []string{"GITHUB_OUTPUT=" + ghout, "WATCH_OUT=" + body, "BUMP_DATE=2026-12-01"}, up)
		if code != 0 {
			t.Fatalf("status %d:\n%s", code, out)
		}
		got := changedFiles(before, tree(t, mod, watched...))
		want := []string{"docrtest/internal/embeddedspec/spec.gen.go", "docrtest/internal/server/server.gen.go", "gen/registry.gen.go", "spec/CHANGES.md", "spec/registry.yaml", "spec/upstream.txt"}
		if !slices.Equal(got, want) {
			t.Errorf("changed files = %v, want %v\n%s", got, want, out)
		}
		if g := string(mustRead(t, ghout)); g != "changed=true\nbreaking=false\nbuilds=true\n" {
			t.Errorf("outputs = %q\n%s", g, out)
		}
		pin, err := filepath.Rel(mod, up)
		if err != nil {
			t.Fatal(err)
		}
		if u := string(mustRead(t, filepath.Join(mod, "spec", "upstream.txt"))); !strings.HasSuffix(u, "\n"+pin+"\n") {
			t.Errorf("spec/upstream.txt = %q, want the pin %s", u, pin)
		}
		entry := "## digitalocean-openapi-0000abcd (from digitalocean-openapi-7c1300c4), 2026-12-01\n\n" +
			"1 change: 0 breaking for the Go client, 0 breaking for the fake.\n\n" +
			"### Compatible\n\n- Parameters: `+ registries_list_repositoriesV2: query label: string` [compatible]\n"
		if c := string(mustRead(t, filepath.Join(mod, "spec", "CHANGES.md"))); !strings.HasPrefix(c, "# API changes\n") || !strings.HasSuffix(c, "\n"+entry) {
			t.Errorf("spec/CHANGES.md =\n%s\nwant it to end with\n%s", c, entry)
		}
		if b := string(mustRead(t, body)); !strings.HasPrefix(b, entry) || !strings.Contains(b, "The module builds against the new generated code.") {
			t.Errorf("pull request body =\n%s", b)
		}
		gen := mustRead(t, filepath.Join(mod, "gen", "registry.gen.go"))
		if !regexp.MustCompile("\\n\\tLabel +\\*string +`form:\"label,omitempty\" json:\"label,omitempty\"`\\n").Match(gen) {
			t.Error("gen/registry.gen.go has no Label field in RegistriesListRepositoriesV2Params")
		}
		// The spec in place is a fresh extraction of the new pin: check-spec passes.
		fresh, err := Extract(context.Background(), up)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, mustRead(t, filepath.Join(mod, "spec", "registry.yaml"))) {
			t.Error("spec/registry.yaml is not a fresh extraction of the new pin")
		}
	})
}
