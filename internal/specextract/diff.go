package main

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Report lists what changed between two extracted specs, by category.
type Report struct {
	Sections []Section
}

// Section is one category of changes.
type Section struct {
	Title   string
	Added   []string
	Removed []string
	Changed []string
}

// Empty reports whether nothing changed.
func (r Report) Empty() bool {
	for _, s := range r.Sections {
		if len(s.Added)+len(s.Removed)+len(s.Changed) > 0 {
			return false
		}
	}
	return true
}

// String renders the report for people.
func (r Report) String() string {
	if r.Empty() {
		return "no changes\n"
	}
	var b strings.Builder
	for _, s := range r.Sections {
		n := len(s.Added) + len(s.Removed) + len(s.Changed)
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %d added, %d removed, %d changed\n", s.Title, len(s.Added), len(s.Removed), len(s.Changed))
		for _, l := range s.Added {
			fmt.Fprintf(&b, "  + %s\n", l)
		}
		for _, l := range s.Removed {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
		for _, l := range s.Changed {
			fmt.Fprintf(&b, "  ~ %s\n", l)
		}
	}
	return b.String()
}

// facts is a flat view of a spec: category → key → value.
type facts map[string]map[string]string

const (
	catOps    = "Operations"
	catParams = "Parameters"
	catBodies = "Request bodies"
	catSchema = "Schemas"
	catProps  = "Schema properties"
	catEnums  = "Enum values"
)

var categories = []string{catOps, catParams, catBodies, catSchema, catProps, catEnums}

// Diff compares two extracted specs.
func Diff(oldSpec, newSpec []byte) (Report, error) {
	a, err := flatten(oldSpec)
	if err != nil {
		return Report{}, fmt.Errorf("old spec: %w", err)
	}
	b, err := flatten(newSpec)
	if err != nil {
		return Report{}, fmt.Errorf("new spec: %w", err)
	}
	var r Report
	for _, cat := range categories {
		s := Section{Title: cat}
		for _, k := range sortedKeys(b[cat]) {
			old, ok := a[cat][k]
			switch {
			case !ok:
				s.Added = append(s.Added, join(k, b[cat][k]))
			case old != b[cat][k]:
				s.Changed = append(s.Changed, fmt.Sprintf("%s: %s -> %s", k, old, b[cat][k]))
			}
		}
		for _, k := range sortedKeys(a[cat]) {
			if _, ok := b[cat][k]; !ok {
				s.Removed = append(s.Removed, join(k, a[cat][k]))
			}
		}
		r.Sections = append(r.Sections, s)
	}
	return r, nil
}

func join(k, v string) string {
	if v == "" {
		return k
	}
	return k + " " + v
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func flatten(spec []byte) (facts, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, err
	}
	f := facts{}
	for _, c := range categories {
		f[c] = map[string]string{}
	}
	for p, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			key := m + " " + p
			val := "(" + op.OperationID + ")"
			if op.Deprecated {
				val += " deprecated"
			}
			f[catOps][key] = val
			params := append(slices.Clone(item.Parameters), op.Parameters...)
			for _, pr := range params {
				if pr.Value == nil {
					continue
				}
				v := pr.Value
				desc := typeOf(v.Schema)
				if v.Required {
					desc += ", required"
				}
				f[catParams][fmt.Sprintf("%s %s: %s %s", op.OperationID, key, v.In, v.Name)] = desc
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for mt, c := range op.RequestBody.Value.Content {
					f[catBodies][fmt.Sprintf("%s %s: %s", op.OperationID, key, mt)] = typeOf(c.Schema)
				}
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		f[catSchema][name] = ""
		walkSchema(f, name, s, 0, true)
	}
	return f, nil
}

// walkSchema records the properties and enum values of s under prefix. It
// does not follow refs to other components: those are listed on their own.
func walkSchema(f facts, prefix string, s *openapi3.SchemaRef, depth int, root bool) {
	if s == nil || depth > 20 {
		return
	}
	if s.Ref != "" && !root {
		return
	}
	v := s.Value
	if v == nil {
		return
	}
	// allOf members, referenced or inline, contribute their properties to
	// this schema, so that moving a property into a shared base schema is
	// not reported as a removal.
	for i, sub := range v.AllOf {
		if sub.Ref != "" {
			f[catProps][fmt.Sprintf("%s allOf[%d]", prefix, i)] = typeOf(sub)
		}
		walkSchema(f, prefix, sub, depth+1, true)
	}
	for i, sub := range v.OneOf {
		f[catProps][fmt.Sprintf("%s oneOf[%d]", prefix, i)] = typeOf(sub)
		walkSchema(f, fmt.Sprintf("%s oneOf[%d]", prefix, i), sub, depth+1, false)
	}
	for i, sub := range v.AnyOf {
		f[catProps][fmt.Sprintf("%s anyOf[%d]", prefix, i)] = typeOf(sub)
		walkSchema(f, fmt.Sprintf("%s anyOf[%d]", prefix, i), sub, depth+1, false)
	}
	for name, p := range v.Properties {
		key := prefix + "." + name
		f[catProps][key] = typeOf(p)
		walkSchema(f, key, p, depth+1, false)
	}
	if v.Items != nil {
		walkSchema(f, prefix+"[]", v.Items, depth+1, false)
	}
	if ap := v.AdditionalProperties.Schema; ap != nil {
		f[catProps][prefix+"{}"] = typeOf(ap)
		walkSchema(f, prefix+"{}", ap, depth+1, false)
	}
	for _, e := range v.Enum {
		f[catEnums][fmt.Sprintf("%s = %v", prefix, e)] = ""
	}
}

// typeOf describes a schema in a few words: its ref name or its type.
func typeOf(s *openapi3.SchemaRef) string {
	if s == nil {
		return "(no schema)"
	}
	if s.Ref != "" {
		return "$ref " + path.Base(s.Ref)
	}
	v := s.Value
	if v == nil {
		return "(unresolved)"
	}
	var parts []string
	if v.Type != nil && len(*v.Type) > 0 {
		t := strings.Join(*v.Type, "|")
		if t == "array" && v.Items != nil {
			t = "array of " + typeOf(v.Items)
		}
		parts = append(parts, t)
	}
	if v.Format != "" {
		parts = append(parts, "format "+v.Format)
	}
	if len(v.AllOf) > 0 {
		parts = append(parts, fmt.Sprintf("allOf(%d)", len(v.AllOf)))
	}
	if len(v.OneOf) > 0 {
		parts = append(parts, fmt.Sprintf("oneOf(%d)", len(v.OneOf)))
	}
	if len(v.AnyOf) > 0 {
		parts = append(parts, fmt.Sprintf("anyOf(%d)", len(v.AnyOf)))
	}
	if v.ReadOnly {
		parts = append(parts, "readOnly")
	}
	if len(parts) == 0 {
		return "(any)"
	}
	return strings.Join(parts, ", ")
}
