package main

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/speakeasy-api/openapi/overlay"
	"github.com/speakeasy-api/openapi/overlay/loader"
	"gopkg.in/yaml.v3"
)

// replacesKey is the overlay action extension that records the upstream
// value an action replaces or removes. The guard compares it with what
// upstream has now, so that an upstream change under an overlay fix (a new
// enum value, a new parameter, a changed schema) stops the regeneration
// instead of vanishing under the fix.
const replacesKey = "x-docr-replaces"

// ownWords are update keys that hold the project's own text; upstream's are
// dropped by the extractor, so they never collide.
var ownWords = map[string]bool{"description": true, "summary": true}

// CheckOverlay applies the overlay at overlayPath to spec one action at a
// time, in order, as oapi-codegen does, and fails with every problem found,
// each naming the action (its number and description):
//   - the action's target matches nothing, with the reason: the path,
//     operation or component it names is gone upstream;
//   - a remove action does not record what it removes (x-docr-replaces);
//   - the upstream value under an action differs from its x-docr-replaces
//     record: upstream changed what the action replaces, and the difference
//     is listed;
//   - an update adds what upstream now has itself (a parameter of the same
//     name, a property or component of the same name): the fix is redundant
//     or collides with upstream's.
func CheckOverlay(spec []byte, overlayPath string) error {
	o, err := loader.LoadOverlay(overlayPath)
	if err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return fmt.Errorf("invalid overlay: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(spec, &root); err != nil {
		return fmt.Errorf("parse spec: %w", err)
	}
	var problems []string
	for i, a := range o.Actions {
		name := fmt.Sprintf("overlay action %d (%q)", i+1, a.Description)
		q, err := o.NewPath(a.Target, nil)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: target %s: %v", name, a.Target, err))
			continue
		}
		nodes := q.Query(&root)
		if len(nodes) == 0 {
			problems = append(problems, fmt.Sprintf("%s targets %s, which matches nothing: %s", name, a.Target, whyMissing(o, &root, a.Target)))
			continue
		}
		rec, recorded := a.Extensions[replacesKey]
		var clash []string
		if !a.Update.IsZero() {
			for _, n := range nodes {
				clash = append(clash, collisions(name, a.Target, &root, n, &a.Update, recorded)...)
			}
		}
		problems = append(problems, clash...)
		switch {
		case a.Remove && !recorded:
			problems = append(problems, fmt.Sprintf("%s removes upstream content at %s without recording it in %s", name, a.Target, replacesKey))
		case recorded && len(clash) == 0:
			for _, n := range nodes {
				var got any
				if err := n.Decode(&got); err != nil {
					return fmt.Errorf("%s: decode target: %w", name, err)
				}
				if d := valueDiff("", rec, got); len(d) > 0 {
					problems = append(problems, fmt.Sprintf("%s replaces %s, and upstream changed it: %s; review the action, then record the new upstream value in its %s",
						name, a.Target, strings.Join(d, "; "), replacesKey))
				}
			}
		}
		one := *o
		one.Actions = []overlay.Action{a}
		if err := one.ApplyTo(&root); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(problems) > 0 {
		return errors.New("overlay no longer fits upstream:\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}

// collisions reports what an update adds that the target already holds.
// With recorded set, a key upstream declares differently is left to the
// record's comparison.
func collisions(name, target string, root, n, update *yaml.Node, recorded bool) []string {
	var out []string
	switch {
	case n.Kind == yaml.SequenceNode && update.Kind == yaml.SequenceNode:
		have := map[string]bool{}
		for _, e := range n.Content {
			have[identity(root, e)] = true
		}
		for _, e := range update.Content {
			if id := identity(root, e); have[id] {
				out = append(out, fmt.Sprintf("%s is redundant: upstream now has %s itself in %s; delete the action", name, id, target))
			}
		}
	case n.Kind == yaml.MappingNode && update.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(update.Content); i += 2 {
			k := update.Content[i].Value
			if ownWords[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			have := mapValue(n, k)
			if have == nil {
				continue
			}
			var a, b any
			_ = have.Decode(&a)
			_ = update.Content[i+1].Decode(&b)
			if reflect.DeepEqual(a, b) {
				out = append(out, fmt.Sprintf("%s is redundant: upstream now has the same %s in %s; delete the action", name, k, target))
			} else if !recorded {
				out = append(out, fmt.Sprintf("%s adds %s to %s, which upstream now declares differently (%s); review the action and record upstream's value in %s",
					name, k, target, strings.Join(valueDiff(k, b, a), "; "), replacesKey))
			}
		}
	}
	return out
}

// identity names a list element: "in name" for a parameter (resolving a
// $ref to components.parameters), else the element as YAML.
func identity(root, e *yaml.Node) string {
	p := e
	if ref := mapValue(e, "$ref"); ref != nil {
		if t := resolveRef(root, ref.Value); t != nil {
			p = t
		}
	}
	in, nm := mapValue(p, "in"), mapValue(p, "name")
	if in != nil && nm != nil {
		return "the parameter " + in.Value + " " + nm.Value
	}
	b, _ := yaml.Marshal(e)
	return strings.TrimSpace(string(b))
}

// resolveRef follows a local "#/a/b/c" reference in root.
func resolveRef(root *yaml.Node, ref string) *yaml.Node {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, seg := range strings.Split(rest, "/") {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		if n = mapValue(n, seg); n == nil {
			return nil
		}
	}
	return n
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
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

// valueDiff lists how got differs from want, path by path.
func valueDiff(at string, want, got any) []string {
	label := at
	if label == "" {
		label = "the value"
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: overlay expects an object, upstream has %s", label, brief(got))}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(joinKeys(w, g))) {
			wv, inW := w[k]
			gv, inG := g[k]
			sub := strings.TrimPrefix(at+"."+k, ".")
			switch {
			case !inG:
				out = append(out, fmt.Sprintf("%s: upstream dropped it (overlay expects %s)", sub, brief(wv)))
			case !inW:
				out = append(out, fmt.Sprintf("%s: upstream added %s", sub, brief(gv)))
			default:
				out = append(out, valueDiff(sub, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: overlay expects a list, upstream has %s", label, brief(got))}
		}
		if reflect.DeepEqual(w, g) {
			return nil
		}
		var added, removed []string
		for _, e := range g {
			if !slices.ContainsFunc(w, func(x any) bool { return reflect.DeepEqual(x, e) }) {
				added = append(added, brief(e))
			}
		}
		for _, e := range w {
			if !slices.ContainsFunc(g, func(x any) bool { return reflect.DeepEqual(x, e) }) {
				removed = append(removed, brief(e))
			}
		}
		var parts []string
		if len(added) > 0 {
			parts = append(parts, "upstream added "+strings.Join(added, ", "))
		}
		if len(removed) > 0 {
			parts = append(parts, "upstream removed "+strings.Join(removed, ", "))
		}
		if len(parts) == 0 {
			parts = append(parts, "upstream reordered it")
		}
		return []string{label + ": " + strings.Join(parts, "; ")}
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: overlay expects %s, upstream has %s", label, brief(want), brief(got))}
		}
		return nil
	}
}

func joinKeys(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// brief renders a value on one line, shortened.
func brief(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSpace(string(b))
	if strings.Contains(s, "\n") {
		var f any
		_ = yaml.Unmarshal(b, &f)
		s = strings.Join(strings.Fields(fmt.Sprint(f)), " ")
	} else if _, isStr := v.(string); isStr {
		s = fmt.Sprintf("%q", v)
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// segment matches one step of the JSONPath targets the overlay uses.
var segment = regexp.MustCompile(`^(\.\*|\.[A-Za-z0-9_$-]+|\['(?:[^'\\]|\\.)*'\]|\[\?\(.*?\)\]|\[\*\]|\[\d+\])`)

// whyMissing explains an empty target: the longest prefix that still
// matches and the step after it that upstream no longer has.
func whyMissing(o *overlay.Overlay, root *yaml.Node, target string) string {
	rest, ok := strings.CutPrefix(target, "$")
	if !ok {
		return "the target does not start with $"
	}
	var segs []string
	for rest != "" {
		m := segment.FindString(rest)
		if m == "" {
			return "the target has a step the guard cannot read: " + rest
		}
		segs = append(segs, m)
		rest = rest[len(m):]
	}
	for k := len(segs) - 1; k >= 0; k-- {
		prefix := "$" + strings.Join(segs[:k], "")
		q, err := o.NewPath(prefix, nil)
		if err != nil || (k > 0 && len(q.Query(root)) == 0) {
			continue
		}
		return describeMissing(prefix, segs[k], segs[:k])
	}
	return "the spec is empty"
}

var (
	opIDFilter = regexp.MustCompile(`@\.operationId\s*==\s*'([^']*)'`)
	quoted     = regexp.MustCompile(`^\['(.*)'\]$`)
)

func describeMissing(prefix, seg string, before []string) string {
	key := strings.TrimPrefix(seg, ".")
	if m := quoted.FindStringSubmatch(seg); m != nil {
		key = m[1]
	}
	switch {
	case opIDFilter.MatchString(seg):
		return fmt.Sprintf("no operation has operationId %s any more (removed or renamed upstream)", opIDFilter.FindStringSubmatch(seg)[1])
	case prefix == "$.paths":
		return fmt.Sprintf("upstream no longer has the path %s (its operations were removed or moved)", key)
	case len(before) == 2 && before[0] == ".paths" && slices.Contains(methods, key):
		p := quoted.FindStringSubmatch(before[1])
		pathName := before[1]
		if p != nil {
			pathName = p[1]
		}
		return fmt.Sprintf("upstream no longer has the operation %s %s", strings.ToUpper(key), pathName)
	case strings.HasPrefix(prefix, "$.components.") && len(before) == 2:
		return fmt.Sprintf("upstream no longer has the component %s/%s", strings.TrimPrefix(before[1], "."), key)
	}
	return fmt.Sprintf("%s has no %s any more", prefix, key)
}
