package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// older is the 2025-05-30 snapshot, from before the multi-registry API; the
// golden diff tests compare it with the pinned one.
const older = "../../../../shared/upstream/digitalocean-openapi-8e1310c1"

// current is the pinned upstream snapshot, read from spec/upstream.txt as
// the Makefile reads it (the one non-comment line, relative to the module
// root).
var current = func() string {
	raw, err := os.ReadFile("../../../spec/upstream.txt")
	if err != nil {
		return "spec/upstream.txt unreadable: " + err.Error()
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			if filepath.IsAbs(l) {
				return l
			}
			return filepath.Join("..", "..", "..", l)
		}
	}
	return "spec/upstream.txt has no pin"
}()

// snapshot returns the upstream snapshot dir, or skips when it is absent (as
// on a user's clone, which has no ../shared).
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, rootFile)); err != nil {
		t.Skipf("upstream snapshot %s not present: %v", dir, err)
	}
	return dir
}

func TestExtractIsDeterministicAndMatchesCommitted(t *testing.T) {
	t.Parallel()
	dir := snapshot(t, current)
	a, err := Extract(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Extract(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two extractions of the same snapshot differ")
	}
	committed, err := os.ReadFile("../../../spec/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, committed) {
		t.Fatal("spec/registry.yaml is not a fresh extraction of the pinned snapshot; run make spec")
	}
}

func TestCommittedSpecHasAllOperationsAndNoProse(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../../spec/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for p, item := range doc.Paths.Map() {
		if !isRegistryPath(p) {
			t.Errorf("unexpected path %s", p)
		}
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
			if op.Deprecated {
				if !strings.HasPrefix(op.OperationID, "registry_") {
					t.Errorf("deprecated operation %s is not a registry_* one", op.OperationID)
				}
			}
			if op.Summary != "" || op.Description != "" {
				t.Errorf("%s keeps upstream prose", op.OperationID)
			}
		}
	}
	if len(ids) == 0 {
		t.Error("no operations")
	}
	for _, s := range []string{"x-codeSamples", "summary:", "example:", "examples:", "In order to access", "kubectl create secret", "could not be found"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("spec/registry.yaml contains %q", s)
		}
	}
	// Names are readable and responses are kept apart from schemas.
	for _, name := range []string{"docker_credentials", "garbage_collection", "error", "registry"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	for _, name := range []string{"docker_credentials_response", "garbage_collection_response", "unauthorized_response"} {
		if doc.Components.Responses[name] == nil {
			t.Errorf("response %s missing", name)
		}
	}
}

func TestDiffOlderSnapshotNamesMultiRegistryOperations(t *testing.T) {
	t.Parallel()
	oldSpec, err := Extract(context.Background(), snapshot(t, older))
	if err != nil {
		t.Fatal(err)
	}
	newSpec, err := os.ReadFile("../../../spec/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diff(oldSpec, newSpec)
	if err != nil {
		t.Fatal(err)
	}
	text := rep.String()
	for _, want := range []string{
		"+ GET /v2/registries: registries_list [breaking: fake]",
		"+ GET /v2/registries/{registry_name}/docker-credentials: registries_get_dockerCredentials [breaking: fake]",
		"+ POST /v2/registries/{registry_name}/garbage-collection: registries_run_garbageCollection [breaking: fake]",
		"~ GET /v2/registry/docker-credentials: registry_get_dockerCredentials -> registry_get_dockerCredentials deprecated [compatible]",
		"+ multiregistry_create.region = ams3 [compatible]",
		"+ registry_get: 412: $ref registries_precondition_fail_response [compatible]",
		"~ schemas/registry: object -> object, allOf(2) [breaking: client, fake]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	same, err := Diff(newSpec, newSpec)
	if err != nil || !same.Empty() || same.String() != "no changes\n" {
		t.Errorf("diff of a spec with itself = %q, %v", same.String(), err)
	}
}

// fakeUpstream writes a small upstream checkout into a temp dir.
func fakeUpstream(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, "specification", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const miniRoot = `openapi: "3.0.0"
info: {title: x, version: "2.0", description: upstream prose}
tags:
  - name: Container Registry
    description: {$ref: "description.yml#/registry"}
  - name: Droplets
paths:
  /v2/registry:
    get:
      $ref: "resources/registry/registry_get.yml"
  /v2/registry-not-ours:
    get:
      $ref: "resources/other.yml"
  /v2/droplets:
    get:
      $ref: "resources/droplets/broken.yml"
components:
  securitySchemes:
    bearer_auth: {type: http, scheme: bearer, description: prose}
    unused_auth: {type: http, scheme: bearer}
security:
  - bearer_auth: []
`

const miniOp = `operationId: registry_get
summary: Upstream summary words
description: Upstream description words
tags: [Container Registry]
x-codeSamples:
  - $ref: 'examples/curl/registry_get.yml'
responses:
  '200':
    $ref: 'responses/registry_info.yml'
  '401':
    $ref: '../../shared/responses/unauthorized.yml'
`

func miniFiles() map[string]string {
	return map[string]string{
		"DigitalOcean-public.v2.yaml":         miniRoot,
		"resources/registry/registry_get.yml": miniOp,
		"resources/droplets/broken.yml":       "::: not yaml :::",
		"resources/registry/responses/registry_info.yml": `description: upstream words
content:
  application/json:
    schema:
      properties:
        registry: {$ref: '../models/registry.yml'}
`,
		"resources/registry/models/registry.yml": `type: object
description: prose about the model
properties:
  name: {type: string, description: prose, example: example}
  description: {type: string, format: a-property-named-description}
  example: {type: string, example: "an upstream sentence"}
  tier: {$ref: 'tier.yml#/tier_base'}
`,
		"resources/registry/models/tier.yml": `tier_base:
  type: object
  properties:
    slug: {type: string, enum: [basic, pro]}
unused_model:
  type: object
`,
		"shared/responses/unauthorized.yml": `description: upstream words
content:
  application/json:
    schema: {$ref: '../models/error.yml'}
`,
		"shared/models/error.yml": `type: object
properties:
  id: {type: string}
  message: {type: string}
`,
	}
}

func TestExtractMiniUpstream(t *testing.T) {
	t.Parallel()
	out, err := Extract(context.Background(), fakeUpstream(t, miniFiles()))
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, banned := range []string{"description: prose", "prose about", "upstream words", "Upstream summary", "x-codeSamples", "an upstream sentence", "unused_auth", "unused_model", "Droplets", "/v2/droplets", "registry-not-ours"} {
		if strings.Contains(s, banned) {
			t.Errorf("output contains %q:\n%s", banned, s)
		}
	}
	for _, want := range []string{
		"$ref: '#/components/responses/registry_info_response'",
		"$ref: '#/components/responses/unauthorized_response'",
		"$ref: '#/components/schemas/tier_base'",
		"description:\n          format: a-property-named-description", // a property called description survives
		"example:\n          type: string",                             // so does one called example
		"- basic\n",
		"description: registry info\n",
		"bearer_auth:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestExtractFailsLoudly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(map[string]string)
		wantErr string
	}{
		{"missing operation file", func(f map[string]string) {
			delete(f, "resources/registry/registry_get.yml")
		}, "read operation file"},
		{"broken model ref", func(f map[string]string) {
			delete(f, "resources/registry/models/tier.yml")
		}, "load registry paths"},
		{"path item ref", func(f map[string]string) {
			f["DigitalOcean-public.v2.yaml"] = strings.Replace(miniRoot, "    get:\n      $ref: \"resources/registry/registry_get.yml\"", "    $ref: \"resources/registry/item.yml\"", 1)
		}, "path-item $ref is not supported"},
		{"no registry paths", func(f map[string]string) {
			f["DigitalOcean-public.v2.yaml"] = strings.Replace(miniRoot, "/v2/registry:", "/v2/other:", 1)
		}, "no operations under"},
		{"operation without id", func(f map[string]string) {
			f["resources/registry/registry_get.yml"] = strings.Replace(miniOp, "operationId: registry_get\n", "", 1)
		}, "has no operationId"},
		{"remote ref", func(f map[string]string) {
			f["resources/registry/registry_get.yml"] = strings.Replace(miniOp, "'responses/registry_info.yml'", "'https://example.com/x.yml'", 1)
		}, "remote $ref"},
		{"name collision", func(f map[string]string) {
			f["resources/registry/models/registry.yml"] += "  other: {$ref: '../../../shared/models/registry.yml'}\n"
			f["shared/models/registry.yml"] = "type: string\n"
		}, "component name collisions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := miniFiles()
			tt.edit(files)
			_, err := Extract(context.Background(), fakeUpstream(t, files))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunModes(t *testing.T) {
	t.Parallel()
	up := fakeUpstream(t, miniFiles())
	out := filepath.Join(t.TempDir(), "spec", "registry.yaml")
	var buf bytes.Buffer
	if err := run(context.Background(), []string{"-upstream", up, "-out", out}, &buf); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := run(context.Background(), []string{"-upstream", up, "-out", out, "-check"}, &buf); err != nil {
		t.Fatalf("check after write: %v", err)
	}
	buf.Reset()
	if err := run(context.Background(), []string{"-upstream", up, "-out", out, "-diff"}, &buf); err != nil || !strings.Contains(buf.String(), "no changes") {
		t.Fatalf("diff after write = %q, %v", buf.String(), err)
	}
	if err := os.WriteFile(out, bytes.Replace(mustRead(t, out), []byte("- pro\n"), []byte("- premium\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-upstream", up, "-out", out, "-check"}, &buf)
	if err == nil || !strings.Contains(err.Error(), "tier_base.slug = pro") {
		t.Fatalf("check of a stale spec = %v", err)
	}
	if err := run(context.Background(), []string{"-out", out, "extra"}, &buf); err == nil {
		t.Fatal("extra argument accepted")
	}
}

func TestNewestSnapshot(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	for _, d := range []string{"openapi-aaaa", "openapi-bbbb"} {
		if err := os.MkdirAll(filepath.Join(base, d, "specification"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, d, rootFile), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := newestSnapshot(base); err == nil {
		t.Fatal("two undated snapshots: want an error asking for -upstream")
	}
	readme := "| folder | commit | date |\n|---|---|---|\n| openapi-aaaa | aaaaaaaa | 2026-08-07 |\n| openapi-bbbb | bbbbbbbb | 2025-05-30 |\n"
	if err := os.WriteFile(filepath.Join(base, "README.md"), []byte(readme), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := newestSnapshot(base)
	if err != nil || filepath.Base(got) != "openapi-aaaa" {
		t.Fatalf("newestSnapshot = %q, %v", got, err)
	}
	if _, err := newestSnapshot(filepath.Join(base, "missing")); err == nil {
		t.Fatal("missing base accepted")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
