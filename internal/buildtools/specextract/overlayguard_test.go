package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The committed overlay fits the committed spec: every record matches and
// nothing is redundant. This needs no upstream snapshot.
func TestOverlayFitsCommittedSpec(t *testing.T) {
	t.Parallel()
	if err := CheckOverlay(mustRead(t, "../../../spec/registry.yaml"), "../../../spec/overlay.yaml"); err != nil {
		t.Fatal(err)
	}
}

const guardSpec = `openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /v2/things/{name}:
    get:
      operationId: things_get
      parameters:
        - {in: path, name: name, required: true, schema: {type: string}}
      responses:
        "200": {description: OK}
components:
  schemas:
    run:
      type: object
      properties:
        type: {type: string, enum: [a, b]}
    holder:
      type: object
      properties:
        inner:
          allOf:
            - readOnly: true
            - $ref: '#/components/schemas/run'
`

func TestCheckOverlay(t *testing.T) {
	t.Parallel()
	const head = "overlay: 1.0.0\nx-speakeasy-jsonpath: rfc9535\ninfo: {title: t, version: \"1\"}\nactions:\n"
	tests := []struct {
		name     string
		spec     string // edits of guardSpec: old => new
		actions  string
		wantErrs []string // empty: the overlay fits
	}{
		{"records match", "", `
  - target: $.components.schemas.run.properties.type
    description: Own the type enum.
    x-docr-replaces: {type: string, enum: [a, b]}
    remove: true
  - target: $.paths['/v2/things/{name}'].get.parameters
    description: Add the limit parameter.
    update:
      - {in: query, name: limit, schema: {type: integer}}
`, nil},
		{"enum value added upstream", "enum: [a, b]=>enum: [a, b, c]", `
  - target: $.components.schemas.run.properties.type
    description: Own the type enum.
    x-docr-replaces: {type: string, enum: [a, b]}
    remove: true
`, []string{`overlay action 1 ("Own the type enum.") replaces $.components.schemas.run.properties.type, and upstream changed it: enum: upstream added "c"; review the action, then record the new upstream value in its x-docr-replaces`}},
		{"schema changed upstream", "- readOnly: true=>- nullable: true", `
  - target: $.components.schemas.holder.properties.inner
    description: Drop the readOnly allOf.
    x-docr-replaces:
      allOf:
        - readOnly: true
        - $ref: '#/components/schemas/run'
    remove: true
`, []string{`overlay action 1 ("Drop the readOnly allOf.") replaces $.components.schemas.holder.properties.inner, and upstream changed it: allOf: upstream added nullable: true; upstream removed readOnly: true`}},
		{"remove without a record", "", `
  - target: $.components.schemas.run.properties.type
    description: Own the type enum.
    remove: true
`, []string{`overlay action 1 ("Own the type enum.") removes upstream content at $.components.schemas.run.properties.type without recording it in x-docr-replaces`}},
		{"parameter upstream now has", "required: true, schema: {type: string}}=>required: true, schema: {type: string}}\n        - {in: query, name: limit, schema: {type: integer}}", `
  - target: $.paths['/v2/things/{name}'].get.parameters
    description: Add the limit parameter.
    update:
      - {in: query, name: limit, schema: {type: integer}}
`, []string{`overlay action 1 ("Add the limit parameter.") is redundant: upstream now has the parameter query limit itself in $.paths['/v2/things/{name}'].get.parameters; delete the action`}},
		{"property upstream now declares", "", `
  - target: $.components.schemas.run.properties
    description: Add type.
    update:
      type: {type: integer}
`, []string{`overlay action 1 ("Add type.") adds type to $.components.schemas.run.properties, which upstream now declares differently (type.enum: upstream added [a b]; type.type: overlay expects "integer", upstream has "string"); review the action`}},
		{"operation gone", "/v2/things/{name}:=>/v2/others/{name}:", `
  - target: $.paths['/v2/things/{name}'].get.parameters
    description: Add the limit parameter.
    update:
      - {in: query, name: limit, schema: {type: integer}}
  - target: $.paths.*[?(@.operationId == 'things_list')]
    description: Summarise things_list.
    update: {summary: List things.}
  - target: $.components.schemas.gone.properties
    description: Add to gone.
    update: {x: {type: string}}
`, []string{
			`overlay action 1 ("Add the limit parameter.") targets $.paths['/v2/things/{name}'].get.parameters, which matches nothing: upstream no longer has the path /v2/things/{name}`,
			`overlay action 2 ("Summarise things_list.") targets $.paths.*[?(@.operationId == 'things_list')], which matches nothing: no operation has operationId things_list any more`,
			`overlay action 3 ("Add to gone.") targets $.components.schemas.gone.properties, which matches nothing: upstream no longer has the component schemas/gone`,
		}},
		{"method gone", "    get:\n      operationId=>    put:\n      operationId", `
  - target: $.paths['/v2/things/{name}'].get.parameters
    description: Add the limit parameter.
    update:
      - {in: query, name: limit, schema: {type: integer}}
`, []string{`upstream no longer has the operation GET /v2/things/{name}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := guardSpec
			if tt.spec != "" {
				old, new, _ := strings.Cut(tt.spec, "=>")
				if !strings.Contains(spec, old) {
					t.Fatalf("spec lacks %q", old)
				}
				spec = strings.Replace(spec, old, new, 1)
			}
			ov := filepath.Join(t.TempDir(), "overlay.yaml")
			if err := os.WriteFile(ov, []byte(head+tt.actions), 0o644); err != nil {
				t.Fatal(err)
			}
			err := CheckOverlay([]byte(spec), ov)
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("overlay accepted")
			}
			for _, w := range tt.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks\n  %s\ngot\n  %v", w, err)
				}
			}
		})
	}
}

func TestRunDiffFlags(t *testing.T) {
	t.Parallel()
	up := fakeUpstream(t, miniFiles())
	dir := t.TempDir()
	out := filepath.Join(dir, "registry.yaml")
	ctx := context.Background()
	var buf bytes.Buffer
	if err := run(ctx, []string{"-upstream", up, "-out", out}, &buf); err != nil {
		t.Fatal(err)
	}
	// The committed spec loses the enum value "pro": the fresh extraction
	// adds it back, which is compatible; removing "basic" is breaking.
	spec := mustRead(t, out)
	if err := os.WriteFile(out, regexp.MustCompile(`(?m)^ *- pro\n`).ReplaceAll(spec, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := run(ctx, []string{"-upstream", up, "-out", out, "-diff", "-fail-on-breaking"}, &buf); err != nil {
		t.Fatalf("compatible change: %v\n%s", err, buf.String())
	}
	if !strings.Contains(buf.String(), "+ tier_base.slug = pro [compatible]") {
		t.Errorf("diff output:\n%s", buf.String())
	}
	if err := os.WriteFile(out, regexp.MustCompile(`(?m)^( *)- basic\n`).ReplaceAll(spec, []byte("$1- basic\n$1- premium\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	err := run(ctx, []string{"-upstream", up, "-out", out, "-diff", "-fail-on-breaking"}, &buf)
	if !errors.Is(err, errBreaking) || !strings.Contains(buf.String(), "- tier_base.slug = premium [breaking: client, fake]") {
		t.Fatalf("breaking change: err %v\n%s", err, buf.String())
	}
	// -changelog appends an entry and writes the spec.
	log := filepath.Join(dir, "CHANGES.md")
	buf.Reset()
	if err := run(ctx, []string{"-upstream", up, "-out", out, "-changelog", log, "-heading", "v2 (from v1)"}, &buf); err != nil {
		t.Fatal(err)
	}
	want := changelogHead + "\n## v2 (from v1)\n\n1 change: 1 breaking for the Go client, 1 breaking for the fake.\n\n### Breaking\n\n- Enum values: `- tier_base.slug = premium` [breaking: client, fake]\n"
	if got := string(mustRead(t, log)); got != want {
		t.Errorf("changelog =\n%s\nwant\n%s", got, want)
	}
	if !bytes.Equal(mustRead(t, out), spec) {
		t.Error("-changelog did not write the fresh spec")
	}
	for _, bad := range [][]string{
		{"-upstream", up, "-out", out, "-fail-on-breaking"},
		{"-upstream", up, "-out", out, "-diff", "-changelog", log},
	} {
		if err := run(ctx, bad, &buf); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
