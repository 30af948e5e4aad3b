package dockerconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/docr-dev/docr/facade"
	"github.com/go-json-experiment/json/jsontext"
)

// Top-level keys docr reads. Everything else is kept verbatim.
const (
	keyAuths       = "auths"
	keyCredHelpers = "credHelpers"
	keyCredsStore  = "credsStore"
)

// credentialFields are the fields of an auths entry that hold (or describe) a
// secret. When docr takes over an entry it drops all of them, matched without
// regard to case as Docker's decoder does, so that no stale user name,
// password or token overrides the new login. Other fields ("email", unknown
// ones) are kept.
var credentialFields = []string{"auth", "username", "password", "identitytoken", "registrytoken"}

// ErrInvalidConfig is matched (errors.Is) by every error about a config file
// that docr refuses to change: not a JSON object, empty, unreadable, a
// directory, duplicate keys, or keys with the wrong type. The file is left
// byte-identical.
var ErrInvalidConfig = errors.New("invalid Docker config")

// ErrRoutedToHelper is matched by Merge's error when the config routes a host
// to a credential helper: Merge only writes plaintext; use Writer.Store.
var ErrRoutedToHelper = errors.New("host is routed to a credential helper")

// configError describes a config file docr will not change. Reasons never
// quote the file's content, only its structure and byte offsets.
type configError struct {
	path   string
	reason string
}

// Error names the path and what is wrong, and says how to get out of it.
func (e *configError) Error() string {
	if e.path == "" {
		return "invalid Docker config: " + e.reason
	}
	return fmt.Sprintf("Docker config %s %s; docr did not change it: fix or move it", e.path, e.reason)
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *configError) Is(target error) bool { return target == ErrInvalidConfig }

func invalid(format string, args ...any) error {
	return &configError{reason: fmt.Sprintf(format, args...)}
}

// withPath sets the file path on a configError.
func withPath(err error, path string) error {
	var ce *configError
	if errors.As(err, &ce) && ce.path == "" {
		return &configError{path: path, reason: ce.reason}
	}
	return err
}

// document is a parsed config.json: a map of raw values sliced from the
// input, so every value docr does not own is written back as it was read
// (only insignificant whitespace changes, because the output is re-indented).
type document struct {
	top map[string]jsontext.Value

	auths       map[string]jsontext.Value // nil when absent or null
	authsDirty  bool
	helpersRaw  map[string]jsontext.Value // credHelpers; nil when absent or null
	credHelpers map[string]string         // decoded credHelpers
	helperDirty bool
	credsStore  string

	changed bool
	size    int // of the parsed content, to size the output
}

// readOptions parse config.json. docr checks duplicate keys itself, where it
// reads (the top level, auths, credHelpers, the entries it changes), with
// messages naming the key; values it does not own are kept as they are, as
// Docker keeps them. UTF-8 is checked before parsing; escaped lone surrogates
// ("\ud800"), which Docker's encoding/json accepts, stay allowed.
var readOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// compactOptions write raw values with their strings and numbers verbatim:
// only whitespace changes.
var compactOptions = append(slices.Clip(readOptions), jsontext.PreserveRawStrings(true))

// fileOptions write config.json as json.Encoder with SetEscapeHTML(false)
// and SetIndent("", "\t") does: one member per line, tab-indented, "key": value.
var fileOptions = append(slices.Clip(compactOptions), jsontext.WithIndent("\t"))

// jsonSpace reports whether b is only JSON whitespace.
func jsonSpace(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// kind names the JSON type of a raw value for messages.
func kind(raw jsontext.Value) string {
	switch raw.Kind() {
	case 0:
		return "nothing"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

func isNull(raw []byte) bool { return jsontext.Value(raw).Kind() == 'n' }

// rawObject is a JSON object split into raw values sliced from the input.
type rawObject struct {
	members map[string]jsontext.Value
	dup     string // the first key given twice
	hasDup  bool
}

// check refuses a key given twice (Docker's decoder would silently keep the
// last one and drop the rest). where names the object in the message.
func (o *rawObject) check(where string) error {
	if o.hasDup {
		return invalid("has the key %q twice in %s", o.dup, where)
	}
	return nil
}

// readObject reads the members of the object whose '{' dec has just read, up
// to and including its '}'. data is dec's whole input: values are sliced from
// it. With inner set, the value of the key "auths", if an object, is split
// into *inner in the same pass.
func readObject(dec *jsontext.Decoder, data []byte, inner *rawObject) (rawObject, error) {
	o := rawObject{members: make(map[string]jsontext.Value)}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return o, err
		}
		key := name.String()
		var start, end int64
		if inner != nil && key == keyAuths && dec.PeekKind() == '{' {
			if _, err := dec.ReadToken(); err != nil {
				return o, err
			}
			start = dec.InputOffset() - 1
			if *inner, err = readObject(dec, data, nil); err != nil {
				return o, err
			}
			end = dec.InputOffset()
		} else {
			v, err := dec.ReadValue()
			if err != nil {
				return o, err
			}
			end = dec.InputOffset()
			start = end - int64(len(v))
		}
		if _, dup := o.members[key]; dup && !o.hasDup {
			o.dup, o.hasDup = key, true
		}
		o.members[key] = data[start:end:end]
	}
	_, err := dec.ReadToken() // the closing brace
	return o, err
}

// splitObject splits raw, a valid JSON value, into raw values and refuses
// duplicate keys. where names it in messages.
func splitObject(raw jsontext.Value, where string) (map[string]jsontext.Value, error) {
	if k := raw.Kind(); k != '{' {
		return nil, invalid("has %s that is %s, not an object", where, kind(raw))
	}
	dec := jsontext.NewDecoder(bytes.NewBuffer(raw), readOptions...)
	if _, err := dec.ReadToken(); err != nil {
		return nil, invalid("has %s that is not valid JSON", where)
	}
	o, err := readObject(dec, raw, nil)
	if err != nil {
		return nil, invalid("has %s that is not valid JSON", where)
	}
	if err := o.check(where); err != nil {
		return nil, err
	}
	return o.members, nil
}

// syntaxError describes the syntax error in data by its byte offset only
// (never the content, which may hold secrets). The offset is the one
// encoding/json, Docker's own decoder, reports (just past the offending
// byte), as docr always has; errors are rare, so data is scanned again.
func syntaxError(data []byte) error {
	var se *json.SyntaxError
	if err := json.Unmarshal(data, new(json.RawMessage)); errors.As(err, &se) {
		return invalid("is not valid JSON (syntax error at byte offset %d)", se.Offset)
	}
	return invalid("is not valid JSON")
}

// parseTop parses the whole file (valid UTF-8, not only whitespace) in one
// pass: the top-level object and, when "auths" is an object, its entries.
// Every value is validated; errors come in the order: syntax, not an object,
// duplicate top-level key.
func parseTop(data []byte) (top, auths rawObject, err error) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(data), readOptions...)
	var first jsontext.Value
	if dec.PeekKind() == '{' {
		if _, err = dec.ReadToken(); err == nil {
			top, err = readObject(dec, data, &auths)
		}
	} else {
		first, err = dec.ReadValue()
	}
	if err != nil || !jsonSpace(data[dec.InputOffset():]) {
		return top, auths, syntaxError(data)
	}
	if first != nil {
		return top, auths, invalid("holds %s, not a JSON object", kind(first))
	}
	return top, auths, top.check("the top-level object")
}

// parseDocument parses config.json content. Empty input means "no file yet"
// and gives an empty document; the Writer refuses an existing empty file
// before calling it.
func parseDocument(data []byte) (*document, error) {
	d := &document{top: map[string]jsontext.Value{}}
	if len(data) == 0 {
		return d, nil
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, invalid("is not valid UTF-8 (bad byte at offset %d)", off)
	}
	if jsonSpace(data) {
		return nil, invalid("holds only whitespace")
	}
	top, auths, err := parseTop(data)
	if err != nil {
		return nil, err
	}
	d.top = top.members
	d.size = len(data)
	for key := range d.top {
		for _, known := range []string{keyAuths, keyCredHelpers, keyCredsStore} {
			if key != known && strings.EqualFold(key, known) {
				return nil, invalid("has the key %q, which Docker reads as %q; rename it to %q", key, known, known)
			}
		}
	}
	if raw, ok := d.top[keyAuths]; ok && !isNull(raw) {
		if raw.Kind() != '{' {
			return nil, invalid("has %s that is %s, not an object", `"auths"`, kind(raw))
		}
		if err := auths.check(`"auths"`); err != nil {
			return nil, err
		}
		d.auths = auths.members // split by parseTop
	}
	if raw, ok := d.top[keyCredHelpers]; ok && !isNull(raw) {
		if d.helpersRaw, err = splitObject(raw, `"credHelpers"`); err != nil {
			return nil, err
		}
		d.credHelpers = make(map[string]string, len(d.helpersRaw))
		for host, v := range d.helpersRaw {
			var s string
			if !isNull(v) {
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, invalid("has credHelpers[%q] that is %s, not a string", host, kind(v))
				}
			}
			d.credHelpers[host] = s
		}
	}
	if raw, ok := d.top[keyCredsStore]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &d.credsStore); err != nil {
			return nil, invalid(`has "credsStore" that is %s, not a string`, kind(raw))
		}
	}
	return d, nil
}

// jsEscaper escapes U+2028 and U+2029 inside a quoted JSON string, as
// encoding/json (and so Docker) always does.
var jsEscaper = strings.NewReplacer("\u2028", `\u2028`, "\u2029", `\u2029`)

// quote returns s as a JSON string as encoding/json writes it without HTML
// escaping.
func quote(s string) (jsontext.Value, error) {
	q, err := jsontext.AppendQuote(nil, s)
	if err != nil {
		return nil, err
	}
	if hasLineSeparator(s) {
		q = []byte(jsEscaper.Replace(string(q)))
	}
	return q, nil
}

// hasLineSeparator reports whether s holds U+2028 or U+2029 (both start
// with the byte 0xE2; the first test keeps the common case fast).
func hasLineSeparator(s string) bool {
	return strings.IndexByte(s, 0xE2) >= 0 && strings.ContainsAny(s, "\u2028\u2029")
}

// writeName writes an object member name (key).
func writeName(enc *jsontext.Encoder, key string) error {
	if !hasLineSeparator(key) {
		return enc.WriteToken(jsontext.String(key))
	}
	q, err := quote(key)
	if err != nil {
		return err
	}
	return enc.WriteValue(q)
}

// writeObject writes the members keys in order; value writes the value of
// each.
func writeObject(enc *jsontext.Encoder, keys []string, value func(key string) error) error {
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, k := range keys {
		if err := writeName(enc, k); err != nil {
			return err
		}
		if err := value(k); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// writeRawMap writes m with sorted keys, or null for a nil map.
func writeRawMap(enc *jsontext.Encoder, m map[string]jsontext.Value) error {
	if m == nil {
		return enc.WriteToken(jsontext.Null)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return writeObject(enc, keys, func(k string) error { return enc.WriteValue(m[k]) })
}

// compactObject encodes m compactly with sorted keys.
func compactObject(m map[string]jsontext.Value) (jsontext.Value, error) {
	var buf bytes.Buffer
	if err := writeRawMap(jsontext.NewEncoder(&buf, compactOptions...), m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode writes the document the way docker does: tab-indented, with keys
// sorted (deterministic), plus a trailing newline. The bytes are those of
// json.Encoder with SetEscapeHTML(false) and SetIndent("", "\t") on the
// top-level map: raw values keep their strings and numbers verbatim.
func (d *document) encode() ([]byte, error) {
	keys := slices.Collect(maps.Keys(d.top))
	if _, ok := d.top[keyAuths]; !ok && d.authsDirty {
		keys = append(keys, keyAuths)
	}
	if _, ok := d.top[keyCredHelpers]; !ok && d.helperDirty {
		keys = append(keys, keyCredHelpers)
	}
	slices.Sort(keys)
	// Through an io.Writer other than a bytes.Buffer, the Encoder flushes
	// its small buffer into out, which is sized for the whole file.
	out := appendWriter(make([]byte, 0, d.size+d.size/8+512))
	enc := jsontext.NewEncoder(&out, fileOptions...)
	err := writeObject(enc, keys, func(k string) error {
		switch {
		case k == keyAuths && d.authsDirty:
			return writeRawMap(enc, d.auths)
		case k == keyCredHelpers && d.helperDirty:
			return writeRawMap(enc, d.helpersRaw)
		default:
			return enc.WriteValue(d.top[k])
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendWriter is an io.Writer that appends to itself.
type appendWriter []byte

// Write appends p.
func (w *appendWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}

// route returns where Docker keeps the secret for host and the helper name.
func (d *document) route(host string) (Route, string) {
	if h := d.credHelpers[host]; h != "" {
		return RouteCredHelper, h
	}
	if d.credsStore != "" {
		return RouteCredsStore, d.credsStore
	}
	return RouteFile, ""
}

// entry returns a copy of auths[host] as a map; absent or null gives an
// empty map and present=false.
func (d *document) entry(host string) (m map[string]jsontext.Value, present bool, err error) {
	raw, ok := d.auths[host]
	if !ok || isNull(raw) {
		return map[string]jsontext.Value{}, ok, nil
	}
	m, err = splitObject(raw, fmt.Sprintf("auths[%q]", host))
	return m, true, err
}

// stripCredentialFields deletes the secret-bearing fields from an entry.
func stripCredentialFields(m map[string]jsontext.Value) {
	for k := range m {
		for _, f := range credentialFields {
			if strings.EqualFold(k, f) {
				delete(m, k)
			}
		}
	}
}

// sameJSON reports whether a and b are the same JSON after canonical
// encoding (see canonical).
func sameJSON(a, b jsontext.Value) bool {
	ca, err1 := canonical(a)
	cb, err2 := canonical(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

// canonical returns raw without insignificant whitespace and with the
// members of every object sorted by name; strings and numbers are kept as
// they are.
func canonical(raw []byte) ([]byte, error) {
	v := jsontext.Value(bytes.Clone(raw))
	err := v.Compact(jsontext.ReorderRawObjects(true))
	return v, err
}

// putEntry sets auths[host] to m, recording a change only if the value differs.
func (d *document) putEntry(host string, m map[string]jsontext.Value) error {
	raw, err := compactObject(m)
	if err != nil {
		return err
	}
	if old, ok := d.auths[host]; ok && sameJSON(old, raw) {
		return nil
	}
	if d.auths == nil {
		d.auths = map[string]jsontext.Value{}
	}
	d.auths[host] = raw
	d.authsDirty, d.changed = true, true
	return nil
}

// setPlainAuth makes auths[host].auth hold base64("user:password").
func (d *document) setPlainAuth(c facade.Credential) error {
	m, _, err := d.entry(c.Host)
	if err != nil {
		return err
	}
	stripCredentialFields(m)
	auth, err := quote(base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Secret)))
	if err != nil {
		return err
	}
	m["auth"] = auth
	return d.putEntry(c.Host, m)
}

// setStoreEntry makes auths[host] an entry without secrets ({} for a new
// one), as docker does for hosts whose secret lives in a helper.
func (d *document) setStoreEntry(host string) error {
	m, _, err := d.entry(host)
	if err != nil {
		return err
	}
	stripCredentialFields(m)
	return d.putEntry(host, m)
}

// stripEntry removes the secret fields of auths[host] if that entry exists.
func (d *document) stripEntry(host string) error {
	if _, ok := d.auths[host]; !ok {
		return nil
	}
	return d.setStoreEntry(host)
}

// removeEntry deletes auths[host].
func (d *document) removeEntry(host string) {
	if _, ok := d.auths[host]; ok {
		delete(d.auths, host)
		d.authsDirty, d.changed = true, true
	}
}

// setCredHelper sets credHelpers[host] = helper.
func (d *document) setCredHelper(host, helper string) error {
	raw, err := quote(helper)
	if err != nil {
		return err
	}
	if old, ok := d.helpersRaw[host]; ok && sameJSON(old, raw) {
		return nil
	}
	if d.helpersRaw == nil {
		d.helpersRaw = map[string]jsontext.Value{}
		d.credHelpers = map[string]string{}
	}
	d.helpersRaw[host] = raw
	d.credHelpers[host] = helper
	d.helperDirty, d.changed = true, true
	return nil
}

// unsetCredHelper deletes credHelpers[host] if it is helper.
func (d *document) unsetCredHelper(host, helper string) bool {
	if d.credHelpers[host] != helper {
		return false
	}
	delete(d.helpersRaw, host)
	delete(d.credHelpers, host)
	d.helperDirty, d.changed = true, true
	if len(d.helpersRaw) == 0 {
		// Nothing left: drop the key, as before it was set.
		delete(d.top, keyCredHelpers)
		d.helpersRaw, d.credHelpers, d.helperDirty = nil, nil, false
	}
	return true
}

// plainCredential reads the plaintext credential of auths[host] the way
// docker does: auth (base64 "user:password", split at the first colon), else
// the username and password fields. found is false when the entry is absent
// or holds no user name and password. Errors name the host, never a value.
func (d *document) plainCredential(host string) (facade.Credential, bool, error) {
	raw, ok := d.auths[host]
	if !ok || isNull(raw) {
		return facade.Credential{}, false, nil
	}
	var e struct {
		Auth     string `json:"auth"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if k := kind(raw); k != "an object" {
		return facade.Credential{}, false, invalid("has auths[%q] that is %s, not an object", host, k)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return facade.Credential{}, false, invalid("has auths[%q] with an auth, username or password that is not a string", host)
	}
	if e.Auth != "" {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Auth))
		if err != nil {
			return facade.Credential{}, false, invalid("has auths[%q].auth that is not valid base64", host)
		}
		user, pass, ok := strings.Cut(string(dec), ":")
		if !ok {
			return facade.Credential{}, false, invalid("has auths[%q].auth that does not decode to user:password", host)
		}
		return facade.Credential{Host: host, Username: user, Secret: pass}, true, nil
	}
	if e.Username != "" || e.Password != "" {
		return facade.Credential{Host: host, Username: e.Username, Secret: e.Password}, true, nil
	}
	return facade.Credential{}, false, nil
}

// Merge adds creds to the config.json content existing as plaintext
// auths[host].auth entries and returns the new content. It is pure: no file,
// helper or environment is used. An empty existing means "no file yet".
//
// Only the auths entries of the hosts in creds change; within them the
// secret fields (auth, username, password, identitytoken, registrytoken) are
// replaced by the new auth and other fields are kept. Every other key, at any
// level, keeps its value. The output is tab-indented with sorted keys.
//
// When nothing would change, Merge returns existing itself and changed=false,
// so merging twice is idempotent. It fails with ErrInvalidConfig for content
// that is not a JSON object (or has duplicate keys or mistyped known keys),
// and with ErrRoutedToHelper if credHelpers or credsStore would send a host
// to a helper: Merge never writes plaintext where docker expects a helper.
func Merge(existing []byte, creds ...facade.Credential) (out []byte, changed bool, err error) {
	if err := validCredentials(creds); err != nil {
		return nil, false, err
	}
	d, err := parseDocument(existing)
	if err != nil {
		return nil, false, err
	}
	for _, c := range creds {
		if r, h := d.route(c.Host); r != RouteFile {
			return nil, false, fmt.Errorf("%w: %s is sent to docker-credential-%s by %s; use Writer.Store", ErrRoutedToHelper, c.Host, h, r)
		}
		if err := d.setPlainAuth(c); err != nil {
			return nil, false, err
		}
	}
	if !d.changed {
		return existing, false, nil
	}
	out, err = d.encode()
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}
