package main

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// upstreamCopy copies the parts of an upstream snapshot that the extractor
// reads (the root file, the registry resources and the shared files) into a
// temp dir, so that a test can change them.
func upstreamCopy(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	spec := filepath.Join(src, "specification")
	for _, part := range []string{"DigitalOcean-public.v2.yaml", "resources/registry", "shared"} {
		root := filepath.Join(spec, filepath.FromSlash(part))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(spec, p)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out := filepath.Join(dst, "specification", rel)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			return os.WriteFile(out, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// edit replaces old with new in one file of an upstream copy, and fails the
// test when old is not there (so that a mutation never silently does nothing).
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, "specification", filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("mutation: %s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, dir, file, body string) {
	t.Helper()
	p := filepath.Join(dir, "specification", filepath.FromSlash(file))
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const reg = "resources/registry/"

// mutations are simulated upstream changes, applied to a copy of the pinned
// snapshot. Each has a golden diff in testdata/<name>.golden.
var mutations = []struct {
	name  string
	apply func(t *testing.T, dir string)
}{
	{"new-optional-parameter", func(t *testing.T, dir string) {
		edit(t, dir, reg+"registries_list_repositoriesV2.yml", "\nparameters:\n", "\nparameters:\n  - name: label\n    in: query\n    required: false\n    schema:\n      type: string\n")
	}},
	{"first-optional-parameter", func(t *testing.T, dir string) {
		edit(t, dir, reg+"registries_get_all.yml", "\nresponses:\n", "\nparameters:\n  - name: label\n    in: query\n    required: false\n    schema:\n      type: string\n\nresponses:\n")
	}},
	{"new-operation", func(t *testing.T, dir string) {
		edit(t, dir, "DigitalOcean-public.v2.yaml", `      $ref: "resources/registry/registries_get_dockerCredentials.yml"
`, `      $ref: "resources/registry/registries_get_dockerCredentials.yml"

  /v2/registries/{registry_name}/usage:
    get:
      $ref: "resources/registry/registries_get_usage.yml"
`)
		write(t, dir, reg+"registries_get_usage.yml", `operationId: registries_get_usage
tags:
  - Container Registries
parameters:
  - $ref: 'parameters.yml#/registry_name'
responses:
  '200':
    description: usage
    content:
      application/json:
        schema:
          type: object
          properties:
            storage_bytes:
              type: integer
  '401':
    $ref: '../../shared/responses/unauthorized.yml'
security:
  - bearer_auth:
    - 'registry:read'
`)
	}},
	{"new-property-and-enum-value", func(t *testing.T, dir string) {
		edit(t, dir, reg+"models/garbage_collection.yml", "properties:\n", "properties:\n  freed_objects:\n    type: integer\n\n")
		edit(t, dir, reg+"models/registry_run_gc.yml", "      - untagged manifests and unreferenced blobs\n", "      - untagged manifests and unreferenced blobs\n      - unreferenced blobs and empty repositories\n")
	}},
	{"removed-operation", func(t *testing.T, dir string) {
		edit(t, dir, "DigitalOcean-public.v2.yaml", `  /v2/registries/{registry_name}/docker-credentials:
    get:
      $ref: "resources/registry/registries_get_dockerCredentials.yml"
`, "")
	}},
	{"renamed-request-and-response-property", func(t *testing.T, dir string) {
		edit(t, dir, reg+"models/multiregistry_create.yml", "\n  region:\n", "\n  region_slug:\n")
		edit(t, dir, reg+"responses/all_repositories_v2.yml", "            repositories:\n", "            items:\n")
	}},
	{"upstream-makes-overlay-fix", func(t *testing.T, dir string) {
		edit(t, dir, reg+"registries_get_dockerCredentials.yml", "  - $ref: 'parameters.yml#/registry_name'\n", "  - $ref: 'parameters.yml#/registry_name'\n  - $ref: 'parameters.yml#/registry_expiry_seconds'\n  - $ref: 'parameters.yml#/registry_read_write'\n")
	}},
}

// report is what the golden files hold: the classified diff and what the
// overlay guards say about the new upstream.
func report(t *testing.T, oldSpec, newSpec []byte) string {
	t.Helper()
	rep, err := Diff(oldSpec, newSpec)
	if err != nil {
		t.Fatal(err)
	}
	guard := "overlay: spec/overlay.yaml applies cleanly\n"
	if err := CheckOverlay(newSpec, "../../../spec/overlay.yaml"); err != nil {
		guard = "overlay: " + err.Error() + "\n"
	}
	return rep.String() + guard
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("diff differs from %s (go test -update rewrites it after review):\n--- got\n%s--- want\n%s", p, got, want)
	}
}

func TestDiffGoldenMutations(t *testing.T) {
	t.Parallel()
	base := snapshot(t, current)
	committed := mustRead(t, "../../../spec/registry.yaml")
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			dir := upstreamCopy(t, base)
			m.apply(t, dir)
			fresh, err := Extract(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, m.name, report(t, committed, fresh))
		})
	}
}

func TestDiffGoldenSnapshots(t *testing.T) {
	t.Parallel()
	oldSpec, err := Extract(context.Background(), snapshot(t, older))
	if err != nil {
		t.Fatal(err)
	}
	newSpec, err := Extract(context.Background(), snapshot(t, current))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "snapshots-8e1310c1-to-7c1300c4", report(t, oldSpec, newSpec))
	golden(t, "snapshots-7c1300c4-to-8e1310c1", report(t, newSpec, oldSpec))
}

// TestClassification pins the rules for single changes, so that a golden
// file rewritten with -update cannot quietly change a verdict.
func TestClassification(t *testing.T) {
	t.Parallel()
	committed := mustRead(t, "../../../spec/registry.yaml")
	s := string(committed)
	tests := []struct {
		name, old, new string
		want           string // the one change line expected
	}{
		{"first optional parameter added", "  /v2/registries:\n    get:\n", "  /v2/registries:\n    get:\n      parameters:\n        - {in: query, name: label, schema: {type: string}}\n",
			"+ registries_list: query label: string [breaking: client]"},
		{"required parameter added", "  /v2/registries:\n    get:\n", "  /v2/registries:\n    get:\n      parameters:\n        - {in: query, name: label, required: true, schema: {type: string}}\n",
			"+ registries_list: query label: string, required [breaking: client, fake]"},
		{"enum value removed", "            - untagged manifests only\n", "",
			"- registry_run_gc.type = untagged manifests only [breaking: client, fake]"},
		{"scope added", "            - registry:read\n", "            - registry:read\n            - registry:admin\n",
			"+ registries_list: bearer_auth registry:admin [breaking: client]"},
		{"required parameter of a new operation", "  /v2/registries:\n", "  /v2/registries/{registry_name}/usage:\n    get:\n      operationId: registries_get_usage\n      parameters:\n        - $ref: '#/components/parameters/registry_name'\n      responses:\n        \"204\":\n          description: No Content\n  /v2/registries:\n",
			"+ GET /v2/registries/{registry_name}/usage: registries_get_usage [breaking: fake]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(s, tt.old) {
				t.Fatalf("committed spec lacks %q", tt.old)
			}
			rep, err := Diff(committed, []byte(strings.Replace(s, tt.old, tt.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tt.name, "new operation") {
				// Its parameter and response are new with it: compatible.
				if b := rep.Breaking(); len(b) != 1 || b[0].Line() != tt.want {
					t.Fatalf("breaking changes = %v, want only %q", b, tt.want)
				}
				return
			}
			if len(rep.Changes) != 1 || rep.Changes[0].Line() != tt.want {
				t.Fatalf("changes = %q, want exactly %q", rep.String(), tt.want)
			}
		})
	}
}
