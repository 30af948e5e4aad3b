package dockerconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/docr-dev/docr/facade"
	"github.com/go-json-experiment/json/jsontext"
)

// This file checks the jsontext-based parser and encoder against
// encoding/json, the decoder Docker itself uses: the reference splits and
// writes config.json with encoding/json only.

// encodeReference writes the document with json.Encoder over the top-level
// map of raw values, as docr (and, apart from HTML escaping, docker) does.
func encodeReference(t *testing.T, d *document) []byte {
	t.Helper()
	top := make(map[string]json.RawMessage, len(d.top)+2)
	for k, v := range d.top {
		top[k] = json.RawMessage(v)
	}
	rawMap := func(m map[string]jsontext.Value) json.RawMessage {
		if m == nil {
			return json.RawMessage("null")
		}
		rm := make(map[string]json.RawMessage, len(m))
		for k, v := range m {
			rm[k] = json.RawMessage(v)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rm); err != nil {
			t.Fatal(err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	if d.authsDirty {
		top[keyAuths] = rawMap(d.auths)
	}
	if d.helperDirty {
		top[keyCredHelpers] = rawMap(d.helpersRaw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(top); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// splitReference splits a JSON object into raw values with encoding/json's
// token reader; ok is false for anything but one object without duplicate
// keys.
func splitReference(data []byte) (m map[string]jsontext.Value, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	m = make(map[string]jsontext.Value)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		m[key] = jsontext.Value(v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return m, true
}

// parseReference is parseTop done with encoding/json: valid JSON (as
// json.Valid says), an object, no duplicate keys at the top or in auths.
func parseReference(data []byte) (top, auths map[string]jsontext.Value, ok bool) {
	if !json.Valid(data) {
		return nil, nil, false
	}
	if top, ok = splitReference(data); !ok {
		return nil, nil, false
	}
	if raw, isSet := top[keyAuths]; isSet && raw.Kind() == '{' {
		if auths, ok = splitReference(raw); !ok {
			return nil, nil, false
		}
	}
	return top, auths, true
}

var parseSeeds = []string{
	`{}`, ` {} `, "{\n}\n", `null`, `[]`, `"x"`, `1`, `{"a":1}`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`,
	`{"auths":{}}`, `{"auths":null}`, `{"auths":[]}`, `{"auths":{"h":{}}}`, `{"auths":{"h":{},"h":{}}}`,
	`{"auths":{},"auths":{}}`, `{"a":1,"\u0061":2}`, `{"\u0061uths":{"h":{"auth":"x"}}}`,
	`{"auths":{"h":{"auth":"x","email":"e","x":[1,2,{"<":">"}]}},"proxies":{"default":{"httpProxy":"p"}},"x":[[],{},[[]],{"a":{}}]}`,
	`{"n":1e400,"b":12345678901234567890,"s":"\u2028\ud800","t":"\"\\\/\b\f\n\r\t"}`,
	`{"n":-0.5e-3,"m":0,"o":-0,"p":1E+2}`, `{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"n":.5}`, `{"n":1e}`, `{"n":+1}`,
	`{"t":true,"f":false,"z":null}`, `{"t":tru}`, `{"t":truex}`, `{"t":nul}`, `{"s":"\x"}`, `{"s":"\u12"}`, `{"s":"\u12G4"}`,
	"{\"s\":\"a\tb\"}", "{\"s\":\"a\x7fb\"}", "{\"k\x01\":1}", "{\"\u2028k\":\"<&>\",\"ké\":\"é\"}", `{"k\u2029\u0001\"":{"\ud83d\ude00":"\uDE00"}}`,
	`{} {}`, `{}x`, `{"a":[1 2]}`, `{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a"::1}`, `{"a":1 "b":2}`, `{"a":{"b":1,"b":2}}`,
	" {\r\n\t\"a\" : [ 1 , { \"b\" : \"c d\" } ] , \"e\" : { } , \"f\" : [ ] } \n",
	"{\"a\":" + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}", // deeper: TestParseDepth (indented output grows with depth²)
}

// FuzzParse checks the parser and the encoder against encoding/json on
// arbitrary input: nothing encoding/json rejects is accepted; what it
// accepts (one object, no duplicate keys where docr reads) is accepted and
// split into the same raw values; and encode writes the bytes json.Encoder
// writes, before and after an auths entry is added.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) || jsonSpace(data) {
			return // refused by parseDocument before parseTop, with its own message
		}
		top, auths, err := parseTop(data)
		if err == nil {
			err = auths.check(`"auths"`) // parseDocument's next check
		}
		rtop, rauths, ok := parseReference(data)
		if err != nil {
			if ok {
				t.Fatalf("parseTop refuses (%v) what encoding/json accepts: %q", err, data)
			}
			return
		}
		if !ok {
			t.Fatalf("parseTop accepts what encoding/json refuses: %q", data)
		}
		if !sameRaw(top.members, rtop) || !sameRaw(auths.members, rauths) || (auths.members == nil) != (rauths == nil) {
			t.Fatalf("parseTop splits %q as %q %q, want %q %q", data, top.members, auths.members, rtop, rauths)
		}
		d := &document{top: top.members, auths: auths.members, size: len(data)}
		checkEncode(t, d)
		if d.auths != nil {
			d.auths["new.example"] = jsontext.Value(`{"auth":"eDp5"}`)
			d.authsDirty = true
			checkEncode(t, d)
		}
	})
}

func sameRaw(a, b map[string]jsontext.Value) bool {
	return maps.EqualFunc(a, b, func(x, y jsontext.Value) bool { return bytes.Equal(x, y) })
}

func checkEncode(t *testing.T, d *document) {
	t.Helper()
	want := encodeReference(t, d)
	got, err := d.encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encode:\n%s\nwant (json.Encoder):\n%s", got, want)
	}
}

// TestEncodeMatchesEncoder: encode writes json.Encoder's bytes for dirty
// auths and credHelpers maps, including keys that need escaping.
func TestEncodeMatchesEncoder(t *testing.T) {
	t.Parallel()
	for _, d := range []*document{
		{top: map[string]jsontext.Value{}},
		{top: map[string]jsontext.Value{}, auths: map[string]jsontext.Value{}, authsDirty: true},
		{top: map[string]jsontext.Value{"x": []byte(`1`)}, auths: map[string]jsontext.Value{"h": []byte(`{}`), "é\n\"<\u2028\x7f\x01\\": []byte(` { "a" : [ ] } `)}, authsDirty: true,
			helpersRaw: map[string]jsontext.Value{"h": []byte(`"x"`)}, helperDirty: true},
		{top: map[string]jsontext.Value{"auths": []byte(`null`)}, auths: nil, authsDirty: true},
	} {
		checkEncode(t, d)
	}
}

// TestParseDepth: nesting is limited as encoding/json limits it (10,000
// levels), so neither accepts what the other refuses at the edge.
func TestParseDepth(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{9999, 10000, 10001} {
		data := []byte("{\"a\":" + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}")
		_, _, err := parseTop(data)
		if got, want := err == nil, json.Valid(data); got != want {
			t.Errorf("depth %d: parseTop accepts=%v, encoding/json accepts=%v (%v)", depth, got, want, err)
		}
	}
}

// TestParseKeepsBytes: the values docr does not own are the input's own
// bytes (not copies), and every string and number keeps its spelling in
// the output.
func TestParseKeepsBytes(t *testing.T) {
	t.Parallel()
	in := []byte(`{"x":{"s":"\u0041\/é\ud800","n":1.50E+03,"b":12345678901234567890123},"auths":{"h":{"auth":"eDp5","z":[ 1 ,"\u2028"]}}}`)
	d, err := parseDocument(in)
	if err != nil {
		t.Fatal(err)
	}
	x := d.top["x"]
	if i := bytes.Index(in, x); i < 0 || &in[i] != &x[0] {
		t.Errorf("top[x] is not sliced from the input")
	}
	if h := d.auths["h"]; string(h) != `{"auth":"eDp5","z":[ 1 ,"\u2028"]}` {
		t.Errorf("auths[h] = %s", h)
	}
	if err := d.setPlainAuth(facade.Credential{Host: "new", Username: "u", Secret: "p"}); err != nil {
		t.Fatal(err)
	}
	out, err := d.encode()
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n\t\"auths\": {\n\t\t\"h\": {\n\t\t\t\"auth\": \"eDp5\",\n\t\t\t\"z\": [\n\t\t\t\t1,\n\t\t\t\t\"\\u2028\"\n\t\t\t]\n\t\t},\n" +
		"\t\t\"new\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t},\n" +
		"\t\"x\": {\n\t\t\"s\": \"\\u0041\\/é\\ud800\",\n\t\t\"n\": 1.50E+03,\n\t\t\"b\": 12345678901234567890123\n\t}\n}\n"
	if string(out) != want {
		t.Errorf("encode:\n%s\nwant\n%s", out, want)
	}
}

// TestSyntaxErrorOffsets: a file that is not JSON is described by the byte
// offset encoding/json reports (just past the offending byte), as before the
// move to jsontext, and never by its content.
func TestSyntaxErrorOffsets(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in  string
		off int
	}{
		{`{"auths":`, 9}, {`{"a":1,}`, 8}, {`{,}`, 2}, {`{"a" 1}`, 6}, {`{} {}`, 4}, {`{}x`, 3}, {"\ufeff{}", 1},
		{`{"a":[1 2]}`, 9}, {`{"n":01}`, 7}, {`[1,`, 3}, {`{"s":"\x"}`, 8}, {`{"a":1`, 6}, {`{"secret":"SECRET"`, 18},
	} {
		_, err := parseDocument([]byte(tt.in))
		want := fmt.Sprintf("invalid Docker config: is not valid JSON (syntax error at byte offset %d)", tt.off)
		if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%q: error %v, want %q", tt.in, err, want)
		}
	}
}
