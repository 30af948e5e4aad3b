package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// rootFile is the upstream entry point, relative to the checkout.
const rootFile = "specification/DigitalOcean-public.v2.yaml"

// pathPrefixes are the registry portion of the API.
var pathPrefixes = []string{"/v2/registry", "/v2/registries"}

// methods are the HTTP methods an OpenAPI 3.0 path item can hold.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// header is written at the top of the extracted spec. It is the project's own
// text; the upstream prose is dropped.
const header = `# Registry portion of the DigitalOcean public API, extracted from
# github.com/digitalocean/openapi (Apache-2.0) by internal/buildtools/specextract.
# Facts only (paths, parameters, schemas, enums); upstream prose and examples are dropped.
# Do not edit: run "make bump UPSTREAM=/path/to/openapi". Fixes go in spec/overlay.yaml.
`

// isRegistryPath reports whether p belongs to the registry portion.
func isRegistryPath(p string) bool {
	for _, pre := range pathPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// Extract reads the upstream checkout at dir and returns the self-contained
// registry spec, byte-identical for the same input.
func Extract(ctx context.Context, dir string) ([]byte, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	rootPath := filepath.Join(absDir, filepath.FromSlash(rootFile))
	raw, err := os.ReadFile(rootPath)
	if err != nil {
		return nil, fmt.Errorf("read upstream root spec: %w (pass the directory that holds %s)", err, rootFile)
	}
	pre, declared, err := prepass(raw, filepath.Dir(rootPath))
	if err != nil {
		return nil, err
	}

	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.Context = ctx
	doc, err := loader.LoadFromDataWithPath(pre, &url.URL{Path: filepath.ToSlash(rootPath)})
	if err != nil {
		return nil, fmt.Errorf("load registry paths: %w", err)
	}
	if err := checkOperations(doc, declared); err != nil {
		return nil, err
	}

	names := newNamer()
	doc.InternalizeRefs(ctx, names.resolve)
	if err := names.err(); err != nil {
		return nil, err
	}

	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("decode spec: %w", err)
	}
	stripProse(tree, ctxObject)
	describeResponses(tree)
	if err := checkRefs(tree); err != nil {
		return nil, err
	}
	prune(tree)
	if err := checkGoNames(tree); err != nil {
		return nil, err
	}

	// The result must itself load and validate as OpenAPI 3.0.
	out, err := encode(tree)
	if err != nil {
		return nil, err
	}
	check, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		return nil, fmt.Errorf("extracted spec does not load: %w", err)
	}
	if err := check.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("extracted spec is not valid OpenAPI: %w", err)
	}
	if err := checkOperations(check, declared); err != nil {
		return nil, fmt.Errorf("extracted spec: %w", err)
	}
	return out, nil
}

// prepass keeps the registry paths of the root document and inlines each
// operation file referenced as `get: {$ref: file}`, which is not valid
// OpenAPI 3.0 and which kin-openapi would otherwise turn into empty operations.
// It returns the new root document and the operations it declares
// ("METHOD path" → operationId).
func prepass(raw []byte, specDir string) ([]byte, map[string]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, nil, fmt.Errorf("parse root spec: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, nil, errors.New("root spec is not a YAML document")
	}
	top := root.Content[0]
	paths := mapGet(top, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		return nil, nil, errors.New("root spec has no paths")
	}
	declared := map[string]string{}
	kept := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		p, item := paths.Content[i].Value, paths.Content[i+1]
		if !isRegistryPath(p) {
			continue
		}
		if item.Kind != yaml.MappingNode {
			return nil, nil, fmt.Errorf("path %s: path item is not a mapping", p)
		}
		if mapGet(item, "$ref") != nil {
			return nil, nil, fmt.Errorf("path %s: path-item $ref is not supported; inline it in the extractor", p)
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			key, val := item.Content[j].Value, item.Content[j+1]
			if !slices.Contains(methods, key) {
				continue
			}
			if ref := mapGet(val, "$ref"); ref != nil {
				file := path.Clean(ref.Value)
				if strings.Contains(file, "#") || strings.Contains(file, "://") {
					return nil, nil, fmt.Errorf("%s %s: operation $ref %q must name a local file", strings.ToUpper(key), p, ref.Value)
				}
				op, err := loadOperationFile(specDir, file)
				if err != nil {
					return nil, nil, fmt.Errorf("%s %s: %w", strings.ToUpper(key), p, err)
				}
				item.Content[j+1] = op
				val = op
			}
			dropKeys(val, "x-codeSamples")
			id := mapGet(val, "operationId")
			if id == nil || id.Value == "" {
				return nil, nil, fmt.Errorf("%s %s: operation has no operationId", strings.ToUpper(key), p)
			}
			declared[strings.ToUpper(key)+" "+p] = id.Value
		}
		kept.Content = append(kept.Content, paths.Content[i], item)
	}
	if len(declared) == 0 {
		return nil, nil, fmt.Errorf("no operations under %v in the root spec", pathPrefixes)
	}

	newRoot := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		newRoot.Content = append(newRoot.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	add("openapi", mapGet(top, "openapi"))
	add("info", infoNode(mapGet(top, "info")))
	if s := mapGet(top, "servers"); s != nil {
		add("servers", s)
	}
	add("tags", registryTags(mapGet(top, "tags"), kept))
	add("paths", kept)
	if comps := mapGet(top, "components"); comps != nil {
		if ss := mapGet(comps, "securitySchemes"); ss != nil {
			c := &yaml.Node{Kind: yaml.MappingNode}
			c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "securitySchemes"}, ss)
			add("components", c)
		}
	}
	if sec := mapGet(top, "security"); sec != nil {
		add("security", sec)
	}
	out, err := yaml.Marshal(newRoot)
	if err != nil {
		return nil, nil, err
	}
	return out, declared, nil
}

// loadOperationFile reads an operation file and rewrites its relative $refs so
// that they resolve from the root document's directory.
func loadOperationFile(specDir, rel string) (*yaml.Node, error) {
	data, err := os.ReadFile(filepath.Join(specDir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("read operation file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", rel, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s is not an operation object", rel)
	}
	op := doc.Content[0]
	dropKeys(op, "x-codeSamples")
	var rerr error
	walk(op, func(n *yaml.Node) {
		ref := mapGet(n, "$ref")
		if ref == nil || ref.Kind != yaml.ScalarNode || rerr != nil {
			return
		}
		target, frag, _ := strings.Cut(ref.Value, "#")
		switch {
		case strings.Contains(target, "://"):
			rerr = fmt.Errorf("%s: remote $ref %q is not allowed", rel, ref.Value)
		case target == "":
			target = rel
		default:
			target = path.Join(path.Dir(rel), target)
		}
		if frag != "" {
			target += "#" + frag
		}
		ref.Value = target
	})
	return op, rerr
}

// infoNode keeps the facts of the info object and replaces its prose.
func infoNode(in *yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	set := func(k, v string) {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle})
	}
	set("title", "DigitalOcean Container Registry API")
	version := "2.0"
	if in != nil {
		if v := mapGet(in, "version"); v != nil {
			version = v.Value
		}
	}
	set("version", version)
	if in != nil {
		if lic := mapGet(in, "license"); lic != nil {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "license"}, lic)
		}
	}
	return n
}

// registryTags keeps the tags used by the kept operations, names only.
func registryTags(tags, paths *yaml.Node) *yaml.Node {
	used := map[string]bool{}
	walk(paths, func(n *yaml.Node) {
		if t := mapGet(n, "tags"); t != nil && t.Kind == yaml.SequenceNode && mapGet(n, "operationId") != nil {
			for _, s := range t.Content {
				used[s.Value] = true
			}
		}
	})
	out := &yaml.Node{Kind: yaml.SequenceNode}
	if tags == nil {
		return out
	}
	for _, t := range tags.Content {
		name := mapGet(t, "name")
		if name != nil && used[name.Value] {
			m := &yaml.Node{Kind: yaml.MappingNode}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "name"}, name)
			out.Content = append(out.Content, m)
		}
	}
	return out
}

// checkOperations fails when the loaded document lost any declared operation
// or holds one without responses, which is how kin-openapi shows an operation
// it could not resolve.
func checkOperations(doc *openapi3.T, declared map[string]string) error {
	found := map[string]string{}
	for p, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			key := m + " " + p
			if op == nil || op.OperationID == "" || op.Responses == nil || op.Responses.Len() == 0 {
				return fmt.Errorf("operation %s resolved to an empty operation", key)
			}
			found[key] = op.OperationID
		}
	}
	var missing []string
	for k, id := range declared {
		if found[k] != id {
			missing = append(missing, fmt.Sprintf("%s (%s)", k, id))
		}
	}
	for k := range found {
		if _, ok := declared[k]; !ok {
			missing = append(missing, "unexpected "+k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("operations lost while loading: %s", strings.Join(missing, ", "))
	}
	return nil
}

// namer gives internalized components readable names: the file's base name,
// or the last segment of the JSON pointer when the ref points into a file.
// Responses get a "_response" suffix so that they never share a Go name with
// the schema of the same file. Two different targets with one name fail.
type namer struct {
	seen     map[string]string // collection/name → target
	problems []string
}

func newNamer() *namer { return &namer{seen: map[string]string{}} }

var invalidName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (n *namer) resolve(_ *openapi3.T, ref openapi3.ComponentRef) string {
	u := ref.RefPath()
	if u == nil {
		n.problems = append(n.problems, fmt.Sprintf("unresolvable $ref %q", ref.RefString()))
		return "unresolved"
	}
	target := u.Path + "#" + u.Fragment
	name := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	if u.Fragment != "" && u.Fragment != "/" {
		name = path.Base(u.Fragment)
	}
	name = invalidName.ReplaceAllString(name, "_")
	coll := ref.CollectionName()
	switch coll {
	case "responses":
		if !strings.HasSuffix(name, "_response") {
			name += "_response"
		}
	case "requestBodies":
		name += "_body"
	case "examples":
		name += "_example"
	}
	key := coll + "/" + name
	if prev, ok := n.seen[key]; ok && prev != target {
		n.problems = append(n.problems, fmt.Sprintf("components/%s: %s and %s", key, short(prev), short(target)))
	}
	n.seen[key] = target
	return name
}

func short(target string) string {
	if i := strings.Index(target, "/specification/"); i >= 0 {
		return target[i+len("/specification/"):]
	}
	return target
}

func (n *namer) err() error {
	if len(n.problems) == 0 {
		return nil
	}
	sort.Strings(n.problems)
	return fmt.Errorf("component name collisions: %s", strings.Join(slices.Compact(n.problems), "; "))
}

// JSON contexts for stripProse: which maps are OpenAPI objects (where
// "description" and "summary" are prose) and which are maps of user names.
type jsonCtx int

const (
	ctxObject jsonCtx = iota // an OpenAPI object: drop prose keys
	ctxNames                 // a map from names to objects: keep every key
	ctxValue                 // example, default, enum: literal data, leave alone
)

// nameMaps are the keys whose values map names to OpenAPI objects.
var nameMaps = map[string]bool{
	"paths": true, "properties": true, "responses": true, "headers": true,
	"content": true, "examples": true, "schemas": true, "parameters": false,
	"securitySchemes": true, "requestBodies": true, "links": true,
	"callbacks": true, "encoding": true, "variables": true, "mapping": false,
}

// valueKeys hold literal data.
var valueKeys = map[string]bool{"example": true, "default": true, "enum": true, "value": true, "mapping": true}

// stripProse removes description, summary, x-codeSamples and the example
// values from OpenAPI objects, leaving names and literal values intact.
// Upstream examples hold upstream sentences (error messages, for one), and
// an example becomes a doc comment in gen/, so none is kept: the project's
// own examples, where it wants any, live in spec/overlay.yaml.
func stripProse(v any, c jsonCtx) {
	switch t := v.(type) {
	case map[string]any:
		if c == ctxValue {
			return
		}
		if c == ctxObject {
			delete(t, "description")
			delete(t, "summary")
			delete(t, "x-codeSamples")
			delete(t, "example")
			delete(t, "examples")
		}
		for k, child := range t {
			switch {
			case c == ctxNames:
				stripProse(child, ctxObject)
			case valueKeys[k] || strings.HasPrefix(k, "x-"):
				// literal data
			case k == "components":
				for _, coll := range child.(map[string]any) {
					stripProse(coll, ctxNames)
				}
			case nameMaps[k]:
				stripProse(child, ctxNames)
			default:
				stripProse(child, ctxObject)
			}
		}
	case []any:
		for _, child := range t {
			stripProse(child, c)
		}
	}
}

// describeResponses gives every response the short description OpenAPI
// requires, in the project's words: the HTTP status text.
func describeResponses(tree map[string]any) {
	setDesc := func(code string, r any) {
		m, ok := r.(map[string]any)
		if !ok || m["$ref"] != nil {
			return
		}
		text := "Error"
		var n int
		if _, err := fmt.Sscan(code, &n); err == nil && http.StatusText(n) != "" {
			text = http.StatusText(n)
		}
		m["description"] = text
	}
	for _, item := range asMap(tree["paths"]) {
		for _, op := range asMap(item) {
			for code, r := range asMap(asMap(op)["responses"]) {
				setDesc(code, r)
			}
		}
	}
	for name, r := range asMap(asMap(tree["components"])["responses"]) {
		m := asMap(r)
		if m == nil {
			continue
		}
		m["description"] = strings.ReplaceAll(strings.TrimSuffix(name, "_response"), "_", " ")
	}
}

// checkRefs fails on any $ref that does not point into components.
func checkRefs(tree map[string]any) error {
	var bad []string
	visitRefs(tree, func(ref string) {
		if !strings.HasPrefix(ref, "#/components/") {
			bad = append(bad, ref)
		}
	})
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("unresolved external $refs remain: %s", strings.Join(slices.Compact(bad), ", "))
	}
	comps := asMap(tree["components"])
	var missing []string
	visitRefs(tree, func(ref string) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if len(parts) != 2 || asMap(comps[parts[0]])[parts[1]] == nil {
			missing = append(missing, ref)
		}
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("$refs to missing components: %s", strings.Join(slices.Compact(missing), ", "))
	}
	return nil
}

// prune drops components that nothing reachable from the paths references.
func prune(tree map[string]any) {
	comps := asMap(tree["components"])
	reach := map[string]bool{}
	var queue []string
	mark := func(ref string) {
		if !reach[ref] {
			reach[ref] = true
			queue = append(queue, ref)
		}
	}
	visitRefs(tree["paths"], mark)
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		visitRefs(asMap(comps[parts[0]])[parts[1]], mark)
	}
	var visitSec func(v any)
	visitSec = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				if k == "security" {
					for _, req := range asSlice(c) {
						for name := range asMap(req) {
							reach["#/components/securitySchemes/"+name] = true
						}
					}
					continue
				}
				visitSec(c)
			}
		case []any:
			for _, c := range t {
				visitSec(c)
			}
		}
	}
	visitSec(map[string]any{"security": tree["security"], "paths": tree["paths"]})
	for coll, items := range comps {
		m := asMap(items)
		for name := range m {
			if !reach["#/components/"+coll+"/"+name] {
				delete(m, name)
			}
		}
		if len(m) == 0 {
			delete(comps, coll)
		}
	}
}

// checkGoNames fails when two components would get the same Go type name,
// which oapi-codegen puts in one namespace.
func checkGoNames(tree map[string]any) error {
	seen := map[string]string{}
	var clash []string
	for _, coll := range []string{"schemas", "parameters", "responses", "requestBodies", "headers"} {
		for name := range asMap(asMap(tree["components"])[coll]) {
			g := strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(name))
			if prev, ok := seen[g]; ok {
				clash = append(clash, prev+" and "+coll+"/"+name)
			}
			seen[g] = coll + "/" + name
		}
	}
	if len(clash) > 0 {
		sort.Strings(clash)
		return fmt.Errorf("components that would share a Go name: %s", strings.Join(clash, "; "))
	}
	return nil
}

func visitRefs(v any, f func(string)) {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$ref"].(string); ok {
			f(r)
		}
		for k, c := range t {
			if k != "example" && k != "enum" {
				visitRefs(c, f)
			}
		}
	case []any:
		for _, c := range t {
			visitRefs(c, f)
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// topOrder is the key order of the output's top level; other maps are sorted.
var topOrder = []string{"openapi", "info", "servers", "tags", "security", "paths", "components"}

// encode writes tree as YAML with a stable key order.
func encode(tree map[string]any) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range topOrder {
		if v, ok := tree[k]; ok {
			root.Content = append(root.Content, keyNode(k), toNode(v))
		}
	}
	var rest []string
	for k := range tree {
		if !slices.Contains(topOrder, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		root.Content = append(root.Content, keyNode(k), toNode(tree[k]))
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func keyNode(k string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
}

func toNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, keyNode(k), toNode(t[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range t {
			n.Content = append(n.Content, toNode(c))
		}
		return n
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(t)}
	}
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func dropKeys(n *yaml.Node, keys ...string) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	out := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !slices.Contains(keys, n.Content[i].Value) {
			out = append(out, n.Content[i], n.Content[i+1])
		}
	}
	n.Content = out
}

func walk(n *yaml.Node, f func(*yaml.Node)) {
	if n == nil {
		return
	}
	f(n)
	for _, c := range n.Content {
		walk(c, f)
	}
}
