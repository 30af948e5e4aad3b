package dockerconfig

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"
)

// encodeReference is how encode wrote the document before the one-pass
// encoder: json.Encoder over the top-level map of raw values.
func encodeReference(d *document) ([]byte, error) {
	top := maps.Clone(d.top)
	if d.authsDirty {
		raw, err := marshal(d.auths)
		if err != nil {
			return nil, err
		}
		top[keyAuths] = raw
	}
	if d.helperDirty {
		raw, err := marshal(d.helpersRaw)
		if err != nil {
			return nil, err
		}
		top[keyCredHelpers] = raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseReference splits data with encoding/json only, as parseDocument did
// before parseFast.
func parseReference(data []byte) (top, auths map[string]json.RawMessage, err error) {
	var probe json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, nil, err
	}
	if kind(probe) != "an object" {
		return nil, nil, invalid("not an object")
	}
	if top, err = decodeObject(data, "top"); err != nil {
		return nil, nil, err
	}
	if raw, ok := top[keyAuths]; ok && kind(raw) == "an object" {
		if auths, err = decodeObject(raw, "auths"); err != nil {
			return nil, nil, err
		}
	}
	return top, auths, nil
}

var fastSeeds = []string{
	`{}`, ` {} `, "{\n}\n", `null`, `[]`, `"x"`, `1`, `{"a":1}`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`,
	`{"auths":{}}`, `{"auths":null}`, `{"auths":[]}`, `{"auths":{"h":{}}}`, `{"auths":{"h":{},"h":{}}}`,
	`{"auths":{},"auths":{}}`, `{"a":1,"\u0061":2}`, `{"\u0061uths":{"h":{"auth":"x"}}}`,
	`{"auths":{"h":{"auth":"x","email":"e","x":[1,2,{"<":">"}]}},"proxies":{"default":{"httpProxy":"p"}},"x":[[],{},[[]],{"a":{}}]}`,
	`{"n":1e400,"b":12345678901234567890,"s":"\u2028\ud800","t":"\"\\\/\b\f\n\r\t"}`,
	`{"n":-0.5e-3,"m":0,"o":-0,"p":1E+2}`, `{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"n":.5}`, `{"n":1e}`, `{"n":+1}`,
	`{"t":true,"f":false,"z":null}`, `{"t":tru}`, `{"t":truex}`, `{"t":nul}`, `{"s":"\x"}`, `{"s":"\u12"}`, `{"s":"\u12G4"}`,
	"{\"s\":\"a\tb\"}", "{\"s\":\"a\x7fb\"}", "{\"k\x01\":1}", "{\"\u2028k\":\"<&>\",\"ké\":\"é\"}",
	`{} {}`, `{}x`, `{"a":[1 2]}`, `{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a"::1}`, `{"a":1 "b":2}`,
	" {\r\n\t\"a\" : [ 1 , { \"b\" : \"c d\" } ] , \"e\" : { } , \"f\" : [ ] } \n",
	"{\"a\":" + strings.Repeat("[", 1500) + strings.Repeat("]", 1500) + "}",
	"{\"a\":" + strings.Repeat("[", 900) + strings.Repeat("]", 900) + "}",
}

// FuzzParseFast checks the one-pass parser and encoder against encoding/json:
// parseFast accepts only what encoding/json accepts, splits it the same way,
// and encode writes the same bytes as json.Encoder did.
func FuzzParseFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) || jsonSpace(data) {
			return // refused by parseDocument before parseFast
		}
		top, auths, ok := parseFast(data)
		rtop, rauths, rerr := parseReference(data)
		if !ok {
			return // parseDocument falls back to encoding/json
		}
		if rerr != nil {
			t.Fatalf("parseFast accepts what encoding/json refuses (%v): %q", rerr, data)
		}
		if !sameRaw(top, rtop) || !sameRaw(auths, rauths) || (auths == nil) != (rauths == nil) {
			t.Fatalf("parseFast splits %q as %q %q, want %q %q", data, top, auths, rtop, rauths)
		}
		d := &document{top: top, auths: auths, size: len(data)}
		checkEncode(t, d)
		if auths != nil {
			d.auths["new.example"] = json.RawMessage(`{"auth":"eDp5"}`)
			d.authsDirty = true
			checkEncode(t, d)
		}
	})
}

func sameRaw(a, b map[string]json.RawMessage) bool {
	return maps.EqualFunc(a, b, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })
}

func checkEncode(t *testing.T, d *document) {
	t.Helper()
	want, err := encodeReference(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encode:\n%s\nwant (json.Encoder):\n%s", got, want)
	}
}

func TestEncodeMatchesEncoder(t *testing.T) {
	for _, d := range []*document{
		{top: map[string]json.RawMessage{}},
		{top: map[string]json.RawMessage{}, auths: map[string]json.RawMessage{}, authsDirty: true},
		{top: map[string]json.RawMessage{"x": []byte(`1`)}, auths: map[string]json.RawMessage{"h": []byte(`{}`), "é\n\"<": []byte(` { "a" : [ ] } `)}, authsDirty: true,
			helpersRaw: map[string]json.RawMessage{"h": []byte(`"x"`)}, helperDirty: true},
		{top: map[string]json.RawMessage{"auths": []byte(`null`)}, auths: nil, authsDirty: true},
	} {
		checkEncode(t, d)
	}
}
