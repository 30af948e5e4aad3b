package facade

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// specNameAllowlist holds the only names from the spec that facade's
// handwritten code may spell out, each with why it is not an API path, JSON
// key or query parameter built by hand. Keep it short.
var specNameAllowlist = map[string]string{
	// needNames("registry", ...) and ("repository", ...) name the argument
	// in the message "empty registry name"; "registry" is also an attribute
	// key of Credentials.LogValue. Nothing is sent or decoded with them.
	"registry":   "word in an error message; slog attribute key",
	"repository": "word in an error message",
	// Credentials.LogValue logs whether the credentials are read-write
	// under the same name as the request parameter, on purpose; the request
	// itself is built by gen from gen's parameter type.
	"read_write": "slog attribute key",
	// DefaultRegistryHost is the host of every DOCR registry, a fact of the
	// service; credentials are decoded into gen's map of hosts, never by
	// this key.
	"registry.digitalocean.com": "DefaultRegistryHost",
}

// specNames collects from spec/registry.yaml (and the overlay, which adds
// properties) every property name of every schema, every parameter name
// and every path template.
func specNames(t *testing.T) (names map[string]bool, paths []string) {
	t.Helper()
	names = map[string]bool{}
	for _, file := range []string{"registry.yaml", "overlay.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "spec", file))
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		walkYAML(&doc, func(key string, value *yaml.Node) {
			switch {
			case key == "properties" && value.Kind == yaml.MappingNode:
				for i := 0; i+1 < len(value.Content); i += 2 {
					names[value.Content[i].Value] = true
				}
			case key == "parameters" && value.Kind == yaml.SequenceNode:
				for _, p := range value.Content {
					if n := mapValue(p, "name"); n != nil {
						names[n.Value] = true
					}
				}
			case key == "parameters" && value.Kind == yaml.MappingNode: // components.parameters
				for i := 1; i < len(value.Content); i += 2 {
					if n := mapValue(value.Content[i], "name"); n != nil {
						names[n.Value] = true
					}
				}
			case key == "paths" && value.Kind == yaml.MappingNode && file == "registry.yaml":
				for i := 0; i+1 < len(value.Content); i += 2 {
					paths = append(paths, value.Content[i].Value)
				}
			}
		})
	}
	return names, paths
}

func walkYAML(n *yaml.Node, visit func(key string, value *yaml.Node)) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			visit(n.Content[i].Value, n.Content[i+1])
		}
	}
	for _, c := range n.Content {
		walkYAML(c, visit)
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// pathPieces returns what marks a literal as an API path: "/v2" and every
// fixed segment of a path template with its slash ("/docker-credentials").
func pathPieces(paths []string) []string {
	pieces := []string{"/v2"}
	for _, p := range paths {
		for seg := range strings.SplitSeq(p, "/") {
			if seg != "" && !strings.HasPrefix(seg, "{") && !slices.Contains(pieces, "/"+seg) {
				pieces = append(pieces, "/"+seg)
			}
		}
	}
	return pieces
}

// specLiteralFindings returns, for the Go files given, every string literal
// (struct tags included) that is or holds an API path, property name or
// parameter name of the spec, as "file:line: why".
func specLiteralFindings(t *testing.T, files []string, names map[string]bool, pieces []string) []string {
	t.Helper()
	var found []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		tags := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			var (
				lit *ast.BasicLit
				tag bool
			)
			switch n := n.(type) {
			case *ast.ImportSpec:
				return false // "math/rand/v2" is no API path
			case *ast.Field:
				if n.Tag != nil {
					lit, tag = n.Tag, true
					tags[n.Tag] = true
				}
			case *ast.BasicLit:
				if !tags[n] {
					lit = n
				}
			}
			if lit == nil || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			var why []string
			if tag {
				st := reflect.StructTag(s)
				for _, k := range []string{"json", "form", "yaml", "query"} {
					name, _, _ := strings.Cut(st.Get(k), ",")
					if names[name] {
						why = append(why, k+" tag name "+strconv.Quote(name))
					}
				}
			} else {
				for _, p := range pieces {
					if strings.Contains(s, p) {
						why = append(why, "API path piece "+strconv.Quote(p))
					}
				}
				if names[s] && specNameAllowlist[s] == "" {
					why = append(why, "spec name "+strconv.Quote(s))
				}
				for name := range names {
					if strings.Contains(s, strconv.Quote(name)) {
						why = append(why, "quoted JSON key "+strconv.Quote(name))
					}
				}
			}
			for _, w := range why {
				found = append(found, fset.Position(lit.Pos()).String()+": "+w)
			}
			return true
		})
	}
	slices.Sort(found)
	return found
}

// facadeDirs returns "." and the directory of every internal package the
// facade's own files import: the packages that do its work.
func facadeDirs(t *testing.T) []string {
	t.Helper()
	const internal = "github.com/docr-dev/docr/internal/"
	dirs := []string{"."}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if dir, ok := strings.CutPrefix(path, internal); ok && !slices.Contains(dirs, "../internal/"+dir) {
				dirs = append(dirs, "../internal/"+dir)
			}
		}
	}
	if len(dirs) < 4 {
		t.Fatalf("facade imports only %v of internal/", dirs)
	}
	return dirs
}

// Facade's handwritten code (with the internal packages it delegates to)
// spells out no API path and no JSON property or
// parameter name of the spec: every request is built by gen's request
// builders and every body decoded into gen's types, so that a renamed path
// or property in the spec changes gen and breaks the facade's build instead
// of silently sending or decoding the wrong thing.
func TestNoSpecNamesInFacade(t *testing.T) {
	t.Parallel()
	names, paths := specNames(t)
	// The collection itself must work, or the test could not fail.
	for _, want := range []string{"auths", "auth", "repositories", "links", "meta", "total", "next", "id", "message", "request_id", "expiry_seconds", "read_write", "page_token"} {
		if !names[want] {
			t.Fatalf("spec names lack %q: the spec walk is broken", want)
		}
	}
	if !slices.Contains(paths, "/v2/registry/docker-credentials") || !slices.Contains(paths, "/v2/registries/{registry_name}/docker-credentials") {
		t.Fatalf("paths %v lack the docker-credentials paths", paths)
	}
	for word := range specNameAllowlist {
		if !names[word] {
			t.Errorf("allowlisted %q is not a spec name: drop it from specNameAllowlist", word)
		}
	}
	// The facade and the internal packages it delegates to.
	var files []string
	for _, dir := range facadeDirs(t) {
		found, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		found = slices.DeleteFunc(found, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
		if len(found) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		files = append(files, found...)
	}
	if len(files) < 15 {
		t.Fatalf("only %v to scan", files)
	}
	for _, f := range specLiteralFindings(t, files, names, pathPieces(paths)) {
		t.Error(f)
	}
}

// The scan finds what it must: the hand-built URL and keyed decoding docr
// had before it used gen for everything.
func TestNoSpecNamesScanFindsHandwrittenKeys(t *testing.T) {
	t.Parallel()
	names, paths := specNames(t)
	src := `package x

type doc struct {
	Auths map[string]struct {
		Auth string ` + "`json:\"auth\"`" + `
	} ` + "`json:\"auths\"`" + `
}

var (
	creds = "./v2/registry/docker-credentials"
	sub   = "/docker-credentials"
	key   = "repositories"
	body  = ` + "`{\"links\":{}}`" + `
	query = "page_token"
	fine  = "docr: decoding repositories page"
	word  = "registry"
)
`
	file := filepath.Join(t.TempDir(), "x.go")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := specLiteralFindings(t, []string{file}, names, pathPieces(paths))
	want := []string{
		file + ":5:15: json tag name \"auth\"",
		file + ":6:4: json tag name \"auths\"",
		file + ":10:10: API path piece \"/v2\"",
		file + ":10:10: API path piece \"/docker-credentials\"",
		file + ":10:10: API path piece \"/registry\"",
		file + ":11:10: API path piece \"/docker-credentials\"",
		file + ":12:10: spec name \"repositories\"",
		file + ":13:10: quoted JSON key \"links\"",
		file + ":14:10: spec name \"page_token\"",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
