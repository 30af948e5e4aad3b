package facade

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func FuzzParseCredentials(f *testing.F) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, seed := range []string{
		testCredBody,
		`{"auths":{"registry.digitalocean.com":{"auth":"YjdkMDNhNjk0N2IyMTdlZmI2ZjNlYzNiZDM1MDQ1ODI6YjdkMDNhNjk0N2IyMTdlZmI2ZjNlYzNiZDM1MDQ1ODIK"}}}`,
		`{"auths":{"a":{"auth":"` + b64("user:pa:ss") + `"},"b":{"auth":"` + b64("u2:p2") + `"}}}`,
		`{"auths":{"h":{"auth":"` + b64("nocolonsecret") + `"}}}`,
		`{"auths":{"h":{"auth":"` + b64(":secretpassword") + `"}}}`,
		`{"auths":{"h":{"auth":"` + b64("secretuser:") + `"}}}`,
		`{"auths":{"h":{"auth":"not base64!"}}}`,
		`{"auths":{"":{"auth":"` + b64("u:p") + `"}}}`,
		`{"auths":{}}`, `{"auths":null}`, `{}`, `[]`, `null`, ``, `{"auths":{"h":{"auth":5}}}`, `{"auths":{"h":`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseCredentials(raw)

		// Candidate secrets: every auth value of the input and its decoded
		// halves, when they are long enough to be meaningful.
		var doc struct {
			Auths map[string]struct {
				Auth any `json:"auth"`
			} `json:"auths"`
		}
		_ = json.Unmarshal(raw, &doc)
		var hosts []string
		var secrets []string
		for h, e := range doc.Auths {
			hosts = append(hosts, h)
			a, ok := e.Auth.(string)
			if !ok {
				continue
			}
			secrets = append(secrets, a)
			if dec, err := base64.StdEncoding.DecodeString(a); err == nil {
				u, p, _ := strings.Cut(string(dec), ":")
				secrets = append(secrets, string(dec), u, p)
			}
		}
		allHosts := strings.Join(hosts, "\x00")
		const templates = "docr: invalid credentials: not valid JSON (syntax error at byte ) unexpected JSON  at no auths empty registry host in auths no auth for host auth for host is not valid base64 has no colon between user name and password has an empty user name has an empty password invalid registry host: empty has spaces, control characters, invalid UTF-8 or characters outside printable ASCII (look-alike letters and invisible marks are refused; write an internationalised name in its xn-- form)"
		leaks := func(out string) string {
			for _, s := range secrets {
				if len(s) >= 8 && strings.Contains(out, s) && !strings.Contains(allHosts, s) && !strings.Contains(templates, s) {
					return s
				}
			}
			return ""
		}

		if err != nil {
			if c != nil || !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("ParseCredentials = %v, %v", c, err)
			}
			if s := leaks(err.Error()); s != "" {
				t.Fatalf("error %q contains secret %q", err, s)
			}
			return
		}
		if len(c.Config.Auths) == 0 || !bytes.Equal(c.Raw, raw) {
			t.Fatalf("accepted without auths or Raw differs")
		}
		for h, e := range c.Config.Auths {
			if h == "" || e.Username == "" || e.Secret == "" || strings.Contains(e.Username, ":") {
				t.Fatalf("bad entry for %q", h)
			}
			if b64(e.Username+":"+e.Secret) != e.Auth() {
				t.Fatalf("entry for %q does not round-trip", h)
			}
		}
		// Printing does not depend on the secrets at all: the output equals
		// that of a copy whose secrets are replaced.
		shadow := *c
		shadow.Config = DockerConfig{Auths: map[string]Credential{}}
		for h := range c.Config.Auths {
			shadow.Config.Auths[h] = Credential{Host: h, Username: "x", Secret: "x"}
		}
		shadow.Raw = make(RawConfig, len(c.Raw))
		show := func(v Credentials) string {
			return fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%v|%v", v, v, v, v, v, v, v.Config, v.Raw)
		}
		if got, want := show(*c), show(shadow); got != want {
			t.Fatalf("printing depends on secrets:\n%s\n%s", got, want)
		}
	})
}
