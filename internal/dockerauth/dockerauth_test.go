package dockerauth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

type entry struct{ host, user, secret string }

func mk(host, user, secret string) entry { return entry{host, user, secret} }

// Decode and Encode are tested through facade (ParseCredentials,
// DockerConfig's JSON, FuzzParseCredentials, FuzzAuthDecode); these are
// the round trip and the empty document.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	in := map[string]entry{"b.example": {"b.example", "u", "p:q"}, "a.example:5000": {"a.example:5000", "user", "s"}}
	raw, err := Encode(in, func(e entry) string { return b64(e.user + ":" + e.secret) })
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(raw, false, mk)
	if err != nil || len(out) != 2 || out["b.example"] != in["b.example"] || out["a.example:5000"] != in["a.example:5000"] {
		t.Errorf("Decode(%s) = %v, %v", raw, out, err)
	}
	if raw, err := Encode[entry](nil, nil); string(raw) != `{"auths":null}` || err != nil {
		t.Errorf("Encode(nil) = %s, %v", raw, err)
	}
}

func TestDecodeEmpty(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`{}`, `{"auths":{}}`, `null`} {
		if out, err := Decode([]byte(doc), true, mk); out != nil || err != nil {
			t.Errorf("%s, allowEmpty: %v, %v", doc, out, err)
		}
		if _, err := Decode([]byte(doc), false, mk); err == nil || err.Error() != "no auths" {
			t.Errorf("%s: err = %v", doc, err)
		}
	}
	// Several bad hosts: the error is about the first in sorted order.
	_, err := Decode([]byte(`{"auths":{"z":{},"a":{}}}`), false, mk)
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("err = %v", err)
	}
}
