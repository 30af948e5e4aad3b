//go:build unix

package dockerconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/docr-dev/docr/facade"
)

var doCred = facade.Credential{Host: "registry.digitalocean.com", Username: "tok", Secret: "tok"}

// TestMerge is the table of merge rules: docr changes only the auths entries
// of the hosts it is given, keeps every other key verbatim, and writes
// tab-indented JSON with sorted keys.
func TestMerge(t *testing.T) {
	t.Parallel()
	auth := b64("tok:tok")
	tests := []struct {
		name     string
		existing string
		creds    []facade.Credential
		want     string // exact output
		changed  bool
	}{{
		name:    "no file: new document",
		creds:   []facade.Credential{doCred},
		want:    "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n",
		changed: true,
	}, {
		name:     "empty object",
		existing: `{}`,
		creds:    []facade.Credential{doCred},
		want:     "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n",
		changed:  true,
	}, {
		name:     "unknown and known top-level keys kept, sorted, not HTML-escaped",
		existing: `{"x-anything":{"deep":[1,2,{"a":"<b>&"}]},"proxies":{"default":{"httpProxy":"http://p:3128","noProxy":"*.local"}},"currentContext":"desktop-linux","HttpHeaders":{"User-Agent":"me"},"psFormat":"table {{.ID}}","big":12345678901234567890123,"float":1.50e+3}`,
		creds:    []facade.Credential{doCred},
		want: "{\n\t\"HttpHeaders\": {\n\t\t\"User-Agent\": \"me\"\n\t},\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t},\n" +
			"\t\"big\": 12345678901234567890123,\n\t\"currentContext\": \"desktop-linux\",\n\t\"float\": 1.50e+3,\n" +
			"\t\"proxies\": {\n\t\t\"default\": {\n\t\t\t\"httpProxy\": \"http://p:3128\",\n\t\t\t\"noProxy\": \"*.local\"\n\t\t}\n\t},\n" +
			"\t\"psFormat\": \"table {{.ID}}\",\n\t\"x-anything\": {\n\t\t\"deep\": [\n\t\t\t1,\n\t\t\t2,\n\t\t\t{\n\t\t\t\t\"a\": \"<b>&\"\n\t\t\t}\n\t\t]\n\t}\n}\n",
		changed: true,
	}, {
		name:     "other auths entries kept with all their fields",
		existing: `{"auths":{"ghcr.io":{"auth":"Z2g6eA==","identitytoken":"idt","x-extra":true},"https://index.docker.io/v1/":{}}}`,
		creds:    []facade.Credential{doCred},
		want: "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"Z2g6eA==\",\n\t\t\t\"identitytoken\": \"idt\",\n\t\t\t\"x-extra\": true\n\t\t},\n" +
			"\t\t\"https://index.docker.io/v1/\": {},\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n",
		changed: true,
	}, {
		name:     "owned entry: secret fields replaced (any case), email and unknown fields kept",
		existing: `{"auths":{"registry.digitalocean.com":{"Auth":"b2xkOm9sZA==","username":"old","password":"old","identitytoken":"stale","registrytoken":"rt","email":"a@b.c","x-note":"keep"}}}`,
		creds:    []facade.Credential{doCred},
		want:     "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\",\n\t\t\t\"email\": \"a@b.c\",\n\t\t\t\"x-note\": \"keep\"\n\t\t}\n\t}\n}\n",
		changed:  true,
	}, {
		name:     "same credential already there in other formatting: unchanged, input returned",
		existing: `{"auths":{"registry.digitalocean.com":{ "auth" : "` + auth + `" }},"proxies":{}}`,
		creds:    []facade.Credential{doCred},
		want:     `{"auths":{"registry.digitalocean.com":{ "auth" : "` + auth + `" }},"proxies":{}}`,
		changed:  false,
	}, {
		name:     "new password replaces the old one",
		existing: `{"auths":{"registry.digitalocean.com":{"auth":"` + b64("tok:old") + `"}}}`,
		creds:    []facade.Credential{doCred},
		want:     "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n",
		changed:  true,
	}, {
		name:     "auths null becomes an object; credHelpers and credsStore null mean unset",
		existing: `{"auths":null,"credHelpers":null,"credsStore":null}`,
		creds:    []facade.Credential{doCred},
		want:     "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t},\n\t\"credHelpers\": null,\n\t\"credsStore\": null\n}\n",
		changed:  true,
	}, {
		name:     "owned entry null",
		existing: `{"auths":{"registry.digitalocean.com":null}}`,
		creds:    []facade.Credential{doCred},
		want:     "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t}\n}\n",
		changed:  true,
	}, {
		name:     "empty credsStore and a credHelper for another host route to the file",
		existing: `{"credsStore":"","credHelpers":{"gcr.io":"gcloud","registry.digitalocean.com":""}}`,
		creds:    []facade.Credential{doCred},
		want:     "{\n\t\"auths\": {\n\t\t\"registry.digitalocean.com\": {\n\t\t\t\"auth\": \"" + auth + "\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\",\n\t\t\"registry.digitalocean.com\": \"\"\n\t},\n\t\"credsStore\": \"\"\n}\n",
		changed:  true,
	}, {
		name:     "password with colons and unicode; two hosts",
		existing: `{}`,
		creds:    []facade.Credential{{Host: "a.example", Username: "u", Secret: "p:a:ß"}, {Host: "b.example", Username: "v", Secret: "<&>"}},
		want:     "{\n\t\"auths\": {\n\t\t\"a.example\": {\n\t\t\t\"auth\": \"" + b64("u:p:a:ß") + "\"\n\t\t},\n\t\t\"b.example\": {\n\t\t\t\"auth\": \"" + b64("v:<&>") + "\"\n\t\t}\n\t}\n}\n",
		changed:  true,
	}, {
		name:     "no credentials: unchanged",
		existing: `{"a":1}`,
		want:     `{"a":1}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var in []byte
			if tt.existing != "" {
				in = []byte(tt.existing)
			}
			out, changed, err := Merge(in, tt.creds...)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if string(out) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out, tt.want)
			}
			// Idempotent: a second merge changes nothing.
			out2, changed2, err := Merge(out, tt.creds...)
			if err != nil || changed2 || !bytes.Equal(out, out2) {
				t.Errorf("second merge: changed=%v err=%v, output differs=%v", changed2, err, !bytes.Equal(out, out2))
			}
		})
	}
}

// TestMergeErrors: bad credentials, routed hosts and invalid configs are
// errors; none of them quotes a secret.
func TestMergeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string
		creds    []facade.Credential
		want     string
		is       error
	}{
		{"credsStore routes to a helper", `{"credsStore":"desktop"}`, []facade.Credential{doCred}, "docker-credential-desktop", ErrRoutedToHelper},
		{"credHelpers routes to a helper", `{"credHelpers":{"registry.digitalocean.com":"pass"}}`, []facade.Credential{doCred}, "docker-credential-pass", ErrRoutedToHelper},
		{"empty host", `{}`, []facade.Credential{{Username: "u", Secret: "SECRET"}}, "invalid registry host: empty", nil},
		{"host with a space", `{}`, []facade.Credential{{Host: "a b", Username: "u", Secret: "SECRET"}}, "spaces", nil},
		{"host with invalid UTF-8", `{}`, []facade.Credential{{Host: "a\xffb", Username: "u", Secret: "SECRET"}}, "invalid UTF-8", nil},
		{"empty user", `{}`, []facade.Credential{{Host: "h", Secret: "SECRET"}}, "empty user name for h", nil},
		{"empty password", `{}`, []facade.Credential{{Host: "h", Username: "u"}}, "empty password for h", nil},
		{"colon in user", `{}`, []facade.Credential{{Host: "h", Username: "a:b", Secret: "SECRET"}}, "contains ':'", nil},
		{"control character in user", `{}`, []facade.Credential{{Host: "h", Username: "a\nb", Secret: "SECRET"}}, "control characters", nil},
		{"password not UTF-8", `{}`, []facade.Credential{{Host: "h", Username: "u", Secret: "SECRET\xff"}}, "not valid UTF-8", nil},
		{"host twice", `{}`, []facade.Credential{{Host: "h", Username: "u", Secret: "SECRET"}, {Host: "h", Username: "u", Secret: "SECRET2"}}, "given twice", nil},
		{"not JSON", `{"auths":`, []facade.Credential{doCred}, "not valid JSON (syntax error at byte offset 9)", ErrInvalidConfig},
		{"array", `[]`, []facade.Credential{doCred}, "holds an array, not a JSON object", ErrInvalidConfig},
		{"null", `null`, []facade.Credential{doCred}, "holds null", ErrInvalidConfig},
		{"whitespace", " \n\t", []facade.Credential{doCred}, "only whitespace", ErrInvalidConfig},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", []facade.Credential{doCred}, "not valid UTF-8 (bad byte at offset 6)", ErrInvalidConfig},
		{"byte order mark", "\ufeff{}", []facade.Credential{doCred}, "not valid JSON", ErrInvalidConfig},
		{"trailing data", `{} {}`, []facade.Credential{doCred}, "not valid JSON", ErrInvalidConfig},
		{"duplicate top-level key", `{"auths":{},"auths":{}}`, []facade.Credential{doCred}, `the key "auths" twice`, ErrInvalidConfig},
		{"duplicate key by escape", `{"a":1,"\u0061":2}`, []facade.Credential{doCred}, `the key "a" twice`, ErrInvalidConfig},
		{"duplicate auths host", `{"auths":{"h":{},"h":{}}}`, []facade.Credential{doCred}, `the key "h" twice in "auths"`, ErrInvalidConfig},
		{"duplicate field in owned entry", `{"auths":{"registry.digitalocean.com":{"auth":"a","auth":"b"}}}`, []facade.Credential{doCred}, `twice in auths["registry.digitalocean.com"]`, ErrInvalidConfig},
		{"auths is an array", `{"auths":[]}`, []facade.Credential{doCred}, `"auths" that is an array, not an object`, ErrInvalidConfig},
		{"owned entry is a string", `{"auths":{"registry.digitalocean.com":"x"}}`, []facade.Credential{doCred}, `auths["registry.digitalocean.com"] that is a string`, ErrInvalidConfig},
		{"credsStore is a number", `{"credsStore":1}`, []facade.Credential{doCred}, `"credsStore" that is a number`, ErrInvalidConfig},
		{"credHelpers value is an object", `{"credHelpers":{"h":{}}}`, []facade.Credential{doCred}, `credHelpers["h"] that is an object`, ErrInvalidConfig},
		{"Auths spelled otherwise", `{"Auths":{}}`, []facade.Credential{doCred}, `"Auths", which Docker reads as "auths"`, ErrInvalidConfig},
		{"credsstore spelled otherwise", `{"credsstore":"x"}`, []facade.Credential{doCred}, `which Docker reads as "credsStore"`, ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, changed, err := Merge([]byte(tt.existing), tt.creds...)
			if err == nil {
				t.Fatalf("no error; out=%s", out)
			}
			if out != nil || changed {
				t.Errorf("output with an error: %q %v", out, changed)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

// FuzzMerge checks Merge's invariants on arbitrary input: no panic; nothing
// encoding/json rejects is accepted; valid JSON out of a valid JSON object;
// idempotence; no key it does not own is dropped or changed.
func FuzzMerge(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `1`, ` `, `{"auths":{}}`, `{"auths":null}`,
		`{"auths":{"registry.digitalocean.com":{"auth":"dTpw","email":"e"}}}`,
		`{"auths":{"h":{"auth":"x","identitytoken":"t"}},"proxies":{"default":{"httpProxy":"p"}},"currentContext":"c","HttpHeaders":{"a":"b"},"x-anything":[1,{"<":">"}]}`,
		`{"credsStore":"desktop"}`, `{"credHelpers":{"h":"x"}}`, `{"credsStore":""}`,
		`{"a":1,"a":2}`, `{"Auths":{}}`, `{"auths":[]}`, `{"auths":{"h":"s"}}`,
		`{"n":1e400,"b":12345678901234567890,"s":"\u2028\ud800"}`, "{\"a\":\"\xff\"}", `{"auths":{"h":{"Auth":"a","AUTH":"b"}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "h", "user", "pass")
		f.Add([]byte(s), "registry.digitalocean.com", "tok", "p:w:d<>&")
	}
	f.Fuzz(func(t *testing.T, existing []byte, host, user, pass string) {
		cred := facade.Credential{Host: host, Username: user, Secret: pass}
		out, changed, err := Merge(existing, cred)
		if err != nil {
			if out != nil || changed {
				t.Fatalf("output with error %v", err)
			}
			return
		}
		if len(existing) > 0 && !json.Valid(existing) {
			t.Fatalf("Merge accepts what encoding/json rejects: %q", existing)
		}
		if !changed && !bytes.Equal(out, existing) {
			t.Fatalf("unchanged but output differs")
		}
		if len(existing) > 0 || changed {
			if !json.Valid(out) {
				t.Fatalf("invalid JSON output:\n%s", out)
			}
		}
		out2, changed2, err := Merge(out, cred)
		if err != nil || changed2 || !bytes.Equal(out, out2) {
			t.Fatalf("not idempotent: changed=%v err=%v\n%s\n%s", changed2, err, out, out2)
		}
		// The credential is there.
		entry := topLevel(t, topLevel(t, topLevel(t, out)["auths"])[host])
		var a string
		_ = json.Unmarshal(entry["auth"], &a)
		if a != b64(user+":"+pass) {
			t.Fatalf("auth for %q is %q", host, a)
		}
		if len(existing) == 0 {
			return
		}
		before := topLevel(t, existing)
		after := topLevel(t, out)
		if k1, k2 := keys(before), keys(after); strings.Join(k1, "\x00") != strings.Join(without(k2, "auths"), "\x00") && strings.Join(k1, "\x00") != strings.Join(k2, "\x00") {
			t.Fatalf("top-level keys changed: %q -> %q", k1, k2)
		}
		for k, v := range before {
			if k == "auths" {
				continue
			}
			if !sameCompact(v, after[k]) {
				t.Fatalf("value of %q changed: %s -> %s", k, v, after[k])
			}
		}
		if raw, ok := before["auths"]; ok && !isNull(raw) {
			ba, aa := topLevel(t, raw), topLevel(t, after["auths"])
			for h, v := range ba {
				if h != host && !sameCompact(v, aa[h]) {
					t.Fatalf("auths[%q] changed: %s -> %s", h, v, aa[h])
				}
			}
			if len(aa) != len(ba) && len(aa) != len(ba)+1 {
				t.Fatalf("auths entries dropped: %d -> %d", len(ba), len(aa))
			}
		}
	})
}

func topLevel(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func without(ks []string, drop string) []string {
	var out []string
	for _, k := range ks {
		if k != drop {
			out = append(out, k)
		}
	}
	return out
}

func sameCompact(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
