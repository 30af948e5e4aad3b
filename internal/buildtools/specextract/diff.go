package main

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Level says whether a change breaks code written against the old spec.
type Level int

const (
	// Compatible changes leave code written against the old spec working.
	Compatible Level = iota
	// Breaking changes make such code fail to compile or fail at run time.
	Breaking
)

// String returns "breaking" or "compatible".
func (l Level) String() string {
	if l == Breaking {
		return "breaking"
	}
	return "compatible"
}

// Change is one difference between two extracted specs, classified for a Go
// client generated from the spec and for the fake API in docrtest, which
// implements the generated strict server interface and validates requests
// against the spec.
type Change struct {
	Section string // one of the section titles, such as "Operations"
	Op      byte   // '+' added, '-' removed, '~' changed
	Subject string // what changed, such as "registries_list: query page"
	Detail  string // the value, or "old -> new" for a change
	Client  Level  // for Go code calling the generated client
	Fake    Level  // for the fake API that implements the generated server
}

// Breaking reports whether the change breaks the client or the fake.
func (c Change) Breaking() bool { return c.Client == Breaking || c.Fake == Breaking }

// Tag is the classification in brackets, as the reports print it.
func (c Change) Tag() string {
	switch {
	case c.Client == Breaking && c.Fake == Breaking:
		return "[breaking: client, fake]"
	case c.Client == Breaking:
		return "[breaking: client]"
	case c.Fake == Breaking:
		return "[breaking: fake]"
	}
	return "[compatible]"
}

// Line renders the change without its section.
func (c Change) Line() string {
	s := string(c.Op) + " " + c.Subject
	if c.Detail != "" {
		s += ": " + c.Detail
	}
	return s + " " + c.Tag()
}

// Report lists what changed between two extracted specs.
type Report struct {
	Changes []Change
}

// Empty reports whether nothing changed.
func (r Report) Empty() bool { return len(r.Changes) == 0 }

// Breaking returns the changes that break the client or the fake.
func (r Report) Breaking() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Breaking() {
			out = append(out, c)
		}
	}
	return out
}

// Summary is a one-line count of the changes.
func (r Report) Summary() string {
	if r.Empty() {
		return "no changes"
	}
	var client, fake int
	for _, c := range r.Changes {
		if c.Client == Breaking {
			client++
		}
		if c.Fake == Breaking {
			fake++
		}
	}
	noun := "changes"
	if len(r.Changes) == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d %s: %d breaking for the Go client, %d breaking for the fake", len(r.Changes), noun, client, fake)
}

// String renders the report for people, section by section.
func (r Report) String() string {
	if r.Empty() {
		return "no changes\n"
	}
	var b strings.Builder
	b.WriteString(r.Summary() + "\n")
	for _, sec := range sections {
		var add, rem, chg int
		var lines []string
		for _, c := range r.Changes {
			if c.Section != sec {
				continue
			}
			switch c.Op {
			case '+':
				add++
			case '-':
				rem++
			default:
				chg++
			}
			lines = append(lines, "  "+c.Line())
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %d added, %d removed, %d changed\n", sec, add, rem, chg)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// Markdown renders the report as a changelog entry under the given heading:
// breaking changes first, then compatible ones.
func (r Report) Markdown(heading string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", heading)
	if r.Empty() {
		b.WriteString("No API changes.\n")
		return b.String()
	}
	b.WriteString(r.Summary() + ".\n")
	for _, part := range []struct {
		title string
		keep  bool
	}{{"Breaking", true}, {"Compatible", false}} {
		var lines []string
		for _, c := range r.Changes {
			if c.Breaking() == part.keep {
				lines = append(lines, fmt.Sprintf("- %s: `%s`", c.Section, strings.TrimSuffix(c.Line(), " "+c.Tag()))+" "+c.Tag())
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "\n### %s\n\n%s\n", part.title, strings.Join(lines, "\n"))
		}
	}
	return b.String()
}

// Section titles, in report order.
const (
	secOps       = "Operations"
	secParams    = "Parameters"
	secBodies    = "Request bodies"
	secResponses = "Responses"
	secHeaders   = "Response headers"
	secSecurity  = "Security scopes"
	secComps     = "Components"
	secProps     = "Properties"
	secRequired  = "Required properties"
	secEnums     = "Enum values"
)

var sections = []string{secOps, secParams, secBodies, secResponses, secHeaders, secSecurity, secComps, secProps, secRequired, secEnums}

// rule classifies the three kinds of change of one section's facts.
type rule struct {
	added, removed, changed [2]Level // {client, fake}
}

var (
	bb = [2]Level{Breaking, Breaking}
	bc = [2]Level{Breaking, Compatible}
	cb = [2]Level{Compatible, Breaking}
	cc = [2]Level{Compatible, Compatible}
)

// rules says, per section, what each change means for a Go client generated
// by oapi-codegen and for the fake that implements the generated server:
//   - a removed operation, parameter, response, property or enum value
//     removes a method, field, type or constant: both break;
//   - a changed type, a renamed operation or a changed required flag changes
//     a Go type (T and *T) or a signature: both break;
//   - a new operation adds a method to the generated strict server
//     interface, which the fake must implement: it breaks the fake only;
//   - a new optional parameter, response, property or enum value adds to the
//     generated code: both compile (the fake validates requests against the
//     spec, so it accepts a new value at once), except that the first query
//     parameter of an operation gives its client method a params argument;
//   - a new request body changes the method's signature for the client; a new
//     required property or parameter must be sent by every caller;
//   - a new security scope makes tokens without it fail, which the fake, not
//     checking scopes, does not see.
var rules = map[string]rule{
	secOps:       {added: cb, removed: bb, changed: bb},
	secParams:    {added: cc, removed: bb, changed: bb}, // a new required parameter is raised in classify
	secBodies:    {added: bc, removed: bb, changed: bb},
	secResponses: {added: cc, removed: bb, changed: bb},
	secHeaders:   {added: cc, removed: cb, changed: cb},
	secSecurity:  {added: bc, removed: cc, changed: bc},
	secComps:     {added: cc, removed: bb, changed: bb},
	secProps:     {added: cc, removed: bb, changed: bb},
	secRequired:  {added: bb, removed: bc, changed: bb},
	secEnums:     {added: cc, removed: bb, changed: bb},
}

func classify(sec string, op byte, oldVal, newVal string) (client, fake Level) {
	r := rules[sec]
	var l [2]Level
	switch op {
	case '+':
		l = r.added
		if sec == secParams && strings.HasSuffix(newVal, ", required") {
			l = bb
		}
	case '-':
		l = r.removed
	default:
		l = r.changed
		if sec == secOps && opID(oldVal) == opID(newVal) {
			l = cc // only the deprecated flag moved
		}
	}
	return l[0], l[1]
}

func opID(v string) string { return strings.Fields(v + " x")[0] }

// facts is a flat view of a spec: section → key → value.
type facts map[string]map[string]string

// Diff compares two extracted specs and classifies every change.
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
	add := func(sec string, op byte, subject, oldVal, newVal string) {
		c := Change{Section: sec, Op: op, Subject: subject}
		switch op {
		case '+':
			c.Detail = newVal
		case '-':
			c.Detail = oldVal
		default:
			c.Detail = oldVal + " -> " + newVal
		}
		c.Client, c.Fake = classify(sec, op, oldVal, newVal)
		r.Changes = append(r.Changes, c)
	}
	for _, sec := range sections {
		keys := slices.Sorted(maps.Keys(b[sec]))
		for _, k := range slices.Sorted(maps.Keys(a[sec])) {
			if _, ok := b[sec][k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			ov, inOld := a[sec][k]
			nv, inNew := b[sec][k]
			switch {
			case !inOld:
				add(sec, '+', k, "", nv)
			case !inNew:
				add(sec, '-', k, ov, "")
			case ov != nv:
				add(sec, '~', k, ov, nv)
			}
		}
	}
	// oapi-codegen gives an operation a params argument only when it has a
	// query, header or cookie parameter: the first one changes the method's
	// signature.
	for i, c := range r.Changes {
		if c.Op != '+' || c.Section != secParams || c.Client == Breaking {
			continue
		}
		id, rest, _ := strings.Cut(c.Subject, ": ")
		if in, _, _ := strings.Cut(rest, " "); in == "path" || !hasOp(a, id) || hasParamsArg(a, id) {
			continue
		}
		r.Changes[i].Client = Breaking
	}
	// What belongs to a new operation or component is new with it: nobody
	// can have code that a new operation's required parameter breaks.
	added := map[string]bool{}
	for _, c := range r.Changes {
		switch {
		case c.Op == '+' && c.Section == secOps:
			added[opID(c.Detail)] = true
		case c.Op == '+' && c.Section == secComps:
			added[c.Subject] = true
			if name, ok := strings.CutPrefix(c.Subject, "schemas/"); ok {
				added[name] = true
			}
		}
	}
	for i, c := range r.Changes {
		if c.Op == '+' && c.Section != secOps && c.Section != secComps && added[owner(c.Subject)] {
			r.Changes[i].Client, r.Changes[i].Fake = Compatible, Compatible
		}
	}
	return r, nil
}

func hasOp(f facts, id string) bool {
	for _, v := range f[secOps] {
		if opID(v) == id {
			return true
		}
	}
	return false
}

// hasParamsArg reports whether the operation has a query, header or cookie
// parameter in f.
func hasParamsArg(f facts, id string) bool {
	for k := range f[secParams] {
		for _, in := range []string{"query", "header", "cookie"} {
			if strings.HasPrefix(k, id+": "+in+" ") {
				return true
			}
		}
	}
	return false
}

// owner is the operation or component a fact key belongs to: the key up to
// its first separator ("registries_list: query page" → registries_list,
// "multiregistry_create.name" → multiregistry_create).
func owner(key string) string {
	if i := strings.IndexAny(key, ":. [{="); i >= 0 {
		return key[:i]
	}
	return key
}

func flatten(spec []byte) (facts, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, err
	}
	f := facts{}
	for _, s := range sections {
		f[s] = map[string]string{}
	}
	global := securityFacts(doc.Security)
	for _, k := range slices.Sorted(maps.Keys(global)) {
		f[secSecurity]["(every operation): "+k] = ""
	}
	for p, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			id := op.OperationID
			val := id
			if op.Deprecated {
				val += " deprecated"
			}
			f[secOps][m+" "+p] = val
			params := append(slices.Clone(item.Parameters), op.Parameters...)
			for _, pr := range params {
				if pr.Value == nil {
					continue
				}
				v := pr.Value
				desc := typeOf(v.Schema)
				if pr.Ref != "" {
					desc += " (" + path.Base(pr.Ref) + ")"
				}
				if v.Required {
					desc += ", required"
				}
				loc := fmt.Sprintf("%s: %s %s", id, v.In, v.Name)
				f[secParams][loc] = desc
				if pr.Ref == "" {
					walkInline(f, loc, v.Schema)
				}
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				for mt, c := range rb.Value.Content {
					desc := typeOf(c.Schema)
					if rb.Ref != "" {
						desc = "$ref " + path.Base(rb.Ref)
					}
					if rb.Value.Required {
						desc += ", required"
					}
					f[secBodies][fmt.Sprintf("%s: %s", id, mt)] = desc
					if rb.Ref == "" {
						walkInline(f, fmt.Sprintf("%s request %s", id, mediaSuffix(mt)), c.Schema)
					}
				}
			}
			if op.Responses != nil {
				for code, resp := range op.Responses.Map() {
					loc := fmt.Sprintf("%s: %s", id, code)
					f[secResponses][loc] = responseDesc(resp)
					if resp.Ref == "" && resp.Value != nil {
						responseFacts(f, loc, resp.Value)
					}
				}
			}
			if op.Security != nil {
				for _, k := range slices.Sorted(maps.Keys(securityFacts(*op.Security))) {
					f[secSecurity][id+": "+k] = ""
				}
			}
		}
	}
	c := doc.Components
	for name, s := range c.Schemas {
		f[secComps]["schemas/"+name] = typeOf(&openapi3.SchemaRef{Value: s.Value})
		walkSchema(f, name, s, 0, true)
	}
	for name, r := range c.Responses {
		f[secComps]["responses/"+name] = responseDesc(&openapi3.ResponseRef{Value: r.Value})
		if r.Value != nil {
			responseFacts(f, "responses/"+name, r.Value)
		}
	}
	for name, p := range c.Parameters {
		if p.Value == nil {
			continue
		}
		desc := fmt.Sprintf("%s %s %s", p.Value.In, p.Value.Name, typeOf(p.Value.Schema))
		if p.Value.Required {
			desc += ", required"
		}
		f[secComps]["parameters/"+name] = desc
		walkInline(f, "parameters/"+name, p.Value.Schema)
	}
	for name, rb := range c.RequestBodies {
		f[secComps]["requestBodies/"+name] = ""
		if rb.Value != nil {
			for mt, m := range rb.Value.Content {
				walkInline(f, "requestBodies/"+name+" "+mediaSuffix(mt), m.Schema)
			}
		}
	}
	for name, h := range c.Headers {
		desc := ""
		if h.Value != nil {
			desc = typeOf(h.Value.Schema)
		}
		f[secComps]["headers/"+name] = desc
	}
	return f, nil
}

// mediaSuffix drops the most common media type from locations.
func mediaSuffix(mt string) string {
	if mt == "application/json" {
		return ""
	}
	return mt
}

func responseDesc(r *openapi3.ResponseRef) string {
	if r.Ref != "" {
		return "$ref " + path.Base(r.Ref)
	}
	if r.Value == nil || len(r.Value.Content) == 0 {
		return "no body"
	}
	var parts []string
	for _, mt := range slices.Sorted(maps.Keys(r.Value.Content)) {
		parts = append(parts, mt+" "+typeOf(r.Value.Content[mt].Schema))
	}
	return strings.Join(parts, "; ")
}

// responseFacts records the headers and the inline body schema of a response.
func responseFacts(f facts, loc string, r *openapi3.Response) {
	for name, h := range r.Headers {
		desc := "(unresolved)"
		if h.Ref != "" {
			desc = "$ref " + path.Base(h.Ref)
		} else if h.Value != nil {
			desc = typeOf(h.Value.Schema)
		}
		f[secHeaders][loc+" "+name] = desc
	}
	for mt, m := range r.Content {
		l := strings.TrimSpace(loc + " " + mediaSuffix(mt))
		walkInline(f, l, m.Schema)
	}
}

// walkInline records an inline schema at loc; a $ref is listed at its
// component instead.
func walkInline(f facts, loc string, s *openapi3.SchemaRef) {
	if s == nil || s.Ref != "" {
		return
	}
	walkSchema(f, loc, s, 0, true)
}

// securityFacts lists "scheme: scope" (or the bare scheme) of requirements.
func securityFacts(reqs openapi3.SecurityRequirements) map[string]bool {
	out := map[string]bool{}
	for _, req := range reqs {
		for scheme, scopes := range req {
			if len(scopes) == 0 {
				out[scheme] = true
			}
			for _, s := range scopes {
				out[scheme+" "+s] = true
			}
		}
	}
	return out
}

// walkSchema records the properties, required names and enum values of s
// under prefix. It does not follow refs to other components, except through
// allOf: those are listed on their own.
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
	// this schema, as they do to its Go type, so that moving a property
	// into a shared base schema is not reported as a removal.
	for i, sub := range v.AllOf {
		if sub.Ref != "" {
			f[secProps][fmt.Sprintf("%s allOf[%d]", prefix, i)] = typeOf(sub)
		}
		walkSchema(f, prefix, sub, depth+1, true)
	}
	for i, sub := range v.OneOf {
		f[secProps][fmt.Sprintf("%s oneOf[%d]", prefix, i)] = typeOf(sub)
		walkSchema(f, fmt.Sprintf("%s oneOf[%d]", prefix, i), sub, depth+1, false)
	}
	for i, sub := range v.AnyOf {
		f[secProps][fmt.Sprintf("%s anyOf[%d]", prefix, i)] = typeOf(sub)
		walkSchema(f, fmt.Sprintf("%s anyOf[%d]", prefix, i), sub, depth+1, false)
	}
	for name, p := range v.Properties {
		key := prefix + "." + name
		f[secProps][key] = typeOf(p)
		walkSchema(f, key, p, depth+1, false)
	}
	for _, name := range v.Required {
		f[secRequired][prefix+"."+name] = "required"
	}
	if v.Items != nil {
		walkSchema(f, prefix+"[]", v.Items, depth+1, false)
	}
	if ap := v.AdditionalProperties.Schema; ap != nil {
		f[secProps][prefix+"{}"] = typeOf(ap)
		walkSchema(f, prefix+"{}", ap, depth+1, false)
	}
	for _, e := range v.Enum {
		f[secEnums][fmt.Sprintf("%s = %v", prefix, e)] = ""
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
	if v.Nullable {
		parts = append(parts, "nullable")
	}
	if v.ReadOnly {
		parts = append(parts, "readOnly")
	}
	if len(parts) == 0 {
		return "(any)"
	}
	return strings.Join(parts, ", ")
}
