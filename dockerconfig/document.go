package dockerconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
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

// document is a parsed config.json: a map of raw values, so every value docr
// does not own is written back as it was read (only insignificant whitespace
// changes, because the output is re-indented).
type document struct {
	top map[string]json.RawMessage

	auths       map[string]json.RawMessage // nil when absent or null
	authsDirty  bool
	helpersRaw  map[string]json.RawMessage // credHelpers; nil when absent or null
	credHelpers map[string]string          // decoded credHelpers
	helperDirty bool
	credsStore  string

	changed bool
	size    int // of the parsed content, to size the output
}

// jsonSpace reports whether b is only JSON whitespace.
func jsonSpace(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// kind names the JSON type of a raw value for messages.
func kind(raw json.RawMessage) string {
	b := bytes.TrimLeft(raw, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
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

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// decodeObject decodes a JSON object into raw values and rejects duplicate
// keys (json.Unmarshal would silently keep the last one and drop the rest).
// where names the object in messages.
func decodeObject(raw []byte, where string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid("has %s that is not valid JSON", where)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalid("has %s that is %s, not an object", where, kind(raw))
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("has %s that is not valid JSON", where)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, invalid("has %s that is not valid JSON", where)
		}
		if _, dup := m[key]; dup {
			return nil, invalid("has the key %q twice in %s", key, where)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, invalid("has %s that is not valid JSON", where)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("has data after %s", where)
	}
	return m, nil
}

// parseDocument parses config.json content. Empty input means "no file yet"
// and gives an empty document; the Writer refuses an existing empty file
// before calling it.
func parseDocument(data []byte) (*document, error) {
	d := &document{top: map[string]json.RawMessage{}}
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
	top, auths, ok := parseFast(data)
	if !ok {
		// The one-pass parser refused the file: let encoding/json say why
		// (or, should it accept the file after all, parse it).
		var probe json.RawMessage
		if err := json.Unmarshal(data, &probe); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, invalid("is not valid JSON (syntax error at byte offset %d)", se.Offset)
			}
			return nil, invalid("is not valid JSON")
		}
		if k := kind(probe); k != "an object" {
			return nil, invalid("holds %s, not a JSON object", k)
		}
		var err error
		if top, err = decodeObject(data, "the top-level object"); err != nil {
			return nil, err
		}
		auths = nil
	}
	d.top = top
	d.size = len(data)
	for key := range top {
		for _, known := range []string{keyAuths, keyCredHelpers, keyCredsStore} {
			if key != known && strings.EqualFold(key, known) {
				return nil, invalid("has the key %q, which Docker reads as %q; rename it to %q", key, known, known)
			}
		}
	}
	var err error
	if auths != nil {
		d.auths = auths // split by parseFast
	} else if raw, ok := top[keyAuths]; ok && !isNull(raw) {
		if d.auths, err = decodeObject(raw, `"auths"`); err != nil {
			return nil, err
		}
	}
	if raw, ok := top[keyCredHelpers]; ok && !isNull(raw) {
		if d.helpersRaw, err = decodeObject(raw, `"credHelpers"`); err != nil {
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
	if raw, ok := top[keyCredsStore]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &d.credsStore); err != nil {
			return nil, invalid(`has "credsStore" that is %s, not a string`, kind(raw))
		}
	}
	return d, nil
}

// marshal encodes v compactly without HTML escaping, so raw values keep
// their characters (json.Marshal would turn "<" into "\u003c").
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode writes the document the way docker does: tab-indented, with keys
// sorted (deterministic), plus a trailing newline. The bytes are those of
// json.Encoder with SetEscapeHTML(false) and SetIndent("", "\t") on the
// top-level map, written in one pass (see appendIndented).
func (d *document) encode() ([]byte, error) {
	keys := make([]string, 0, len(d.top)+2)
	for k := range d.top {
		keys = append(keys, k)
	}
	if _, ok := d.top[keyAuths]; !ok && d.authsDirty {
		keys = append(keys, keyAuths)
	}
	if _, ok := d.top[keyCredHelpers]; !ok && d.helperDirty {
		keys = append(keys, keyCredHelpers)
	}
	slices.Sort(keys)
	buf := make([]byte, 0, d.size+d.size/8+512)
	buf = append(buf, '{')
	for n, k := range keys {
		buf = appendMember(buf, n, k, 1)
		switch {
		case k == keyAuths && d.authsDirty:
			buf = appendRawMap(buf, d.auths, 1)
		case k == keyCredHelpers && d.helperDirty:
			buf = appendRawMap(buf, d.helpersRaw, 1)
		default:
			buf = appendIndented(buf, d.top[k], 1)
		}
	}
	if len(keys) > 0 {
		buf = append(buf, '\n')
	}
	return append(buf, '}', '\n'), nil
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
func (d *document) entry(host string) (m map[string]json.RawMessage, present bool, err error) {
	raw, ok := d.auths[host]
	if !ok || isNull(raw) {
		return map[string]json.RawMessage{}, ok, nil
	}
	m, err = decodeObject(raw, fmt.Sprintf("auths[%q]", host))
	return m, true, err
}

// stripCredentialFields deletes the secret-bearing fields from an entry.
func stripCredentialFields(m map[string]json.RawMessage) {
	for k := range m {
		for _, f := range credentialFields {
			if strings.EqualFold(k, f) {
				delete(m, k)
			}
		}
	}
}

// sameJSON reports whether a and b are the same JSON after canonical
// encoding (objects with sorted keys, no insignificant whitespace).
func sameJSON(a, b json.RawMessage) bool {
	ca, err1 := canonical(a)
	cb, err2 := canonical(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

func canonical(raw json.RawMessage) ([]byte, error) {
	if kind(raw) == "an object" {
		m, err := decodeObject(raw, "value")
		if err != nil {
			return nil, err
		}
		return marshal(m)
	}
	var buf bytes.Buffer
	err := json.Compact(&buf, raw)
	return buf.Bytes(), err
}

// putEntry sets auths[host] to m, recording a change only if the value differs.
func (d *document) putEntry(host string, m map[string]json.RawMessage) error {
	raw, err := marshal(m)
	if err != nil {
		return err
	}
	if old, ok := d.auths[host]; ok && sameJSON(old, raw) {
		return nil
	}
	if d.auths == nil {
		d.auths = map[string]json.RawMessage{}
	}
	d.auths[host] = raw
	d.authsDirty, d.changed = true, true
	return nil
}

// setPlainAuth makes auths[host].auth hold base64("user:password").
func (d *document) setPlainAuth(c Credential) error {
	m, _, err := d.entry(c.Host)
	if err != nil {
		return err
	}
	stripCredentialFields(m)
	auth, err := marshal(base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password)))
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
	raw, err := marshal(helper)
	if err != nil {
		return err
	}
	if old, ok := d.helpersRaw[host]; ok && sameJSON(old, raw) {
		return nil
	}
	if d.helpersRaw == nil {
		d.helpersRaw = map[string]json.RawMessage{}
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
func (d *document) plainCredential(host string) (Credential, bool, error) {
	raw, ok := d.auths[host]
	if !ok || isNull(raw) {
		return Credential{}, false, nil
	}
	var e struct {
		Auth     string `json:"auth"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if k := kind(raw); k != "an object" {
		return Credential{}, false, invalid("has auths[%q] that is %s, not an object", host, k)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return Credential{}, false, invalid("has auths[%q] with an auth, username or password that is not a string", host)
	}
	if e.Auth != "" {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Auth))
		if err != nil {
			return Credential{}, false, invalid("has auths[%q].auth that is not valid base64", host)
		}
		user, pass, ok := strings.Cut(string(dec), ":")
		if !ok {
			return Credential{}, false, invalid("has auths[%q].auth that does not decode to user:password", host)
		}
		return Credential{Host: host, Username: user, Password: pass}, true, nil
	}
	if e.Username != "" || e.Password != "" {
		return Credential{Host: host, Username: e.Username, Password: e.Password}, true, nil
	}
	return Credential{}, false, nil
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
func Merge(existing []byte, creds ...Credential) (out []byte, changed bool, err error) {
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
