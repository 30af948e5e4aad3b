package facade

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Every way of printing a Credential shows the host and nothing else.
func TestCredentialRedacts(t *testing.T) {
	t.Parallel()
	c := Credential{Host: testHost, Username: testUser, Secret: testPassword}
	outs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
		outs[verb] = fmt.Sprintf(verb, c)
	}
	for _, v := range []any{[]Credential{c}, map[string]Credential{testHost: c}, &c, struct{ C Credential }{c}} {
		outs[fmt.Sprintf("%T", v)] = fmt.Sprintf("%+v %#v", v, v)
	}
	var logs bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&logs, nil))
	l.Info("x", "cred", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("y", "cred", c)
	outs["slog"] = logs.String()
	for how, out := range outs {
		assertNoSecret(t, out)
		if !strings.Contains(out, testHost) && how != "%x" && how != "%X" && how != "%d" {
			t.Errorf("%s: %q lacks the host", how, out)
		}
	}
	if got := outs["%v"]; got != `Credential{host: "registry.digitalocean.com", username: [REDACTED], secret: [REDACTED]}` {
		t.Errorf("%%v = %s", got)
	}
	if got := outs["%#v"]; got != `facade.Credential{Host:"registry.digitalocean.com", Username:"[REDACTED]", Secret:"[REDACTED]"}` {
		t.Errorf("%%#v = %s", got)
	}
	if c.Auth() != testAuth {
		t.Errorf("Auth() = %q, want %q", c.Auth(), testAuth)
	}
	if (Credential{Host: "h"}).IsZero() != true || c.IsZero() {
		t.Error("IsZero")
	}
}

// A hostile or broken API that answers with the API token as the minted
// credential gets it refused: nothing is returned to be stored or revoked
// later (issue 22, item 9).
func TestDockerCredentialsRefusesTheAPIToken(t *testing.T) {
	t.Parallel()
	for name, userpass := range map[string]string{
		"as secret":    "someone:" + testToken,
		"as user name": testToken + ":whatever",
		"padded":       "someone: " + testToken + " ",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := `{"auths":{"` + testHost + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(userpass)) + `"}}}`
			mt, rec := mock(t, always(200, body))
			c, _ := newTest(t, mt)
			creds, err := c.DockerCredentials(context.Background(), CredentialsRequest{})
			if creds != nil || !errors.Is(err, ErrInvalidCredentials) || !strings.Contains(err.Error(), "the API token itself") {
				t.Fatalf("creds %v, err %v", creds, err)
			}
			assertNoSecret(t, err.Error())
			if rec.count() != 1 {
				t.Errorf("%d requests, want the one mint and no revocation", rec.count())
			}
		})
	}
}

// For and All give the credentials by host.
func TestCredentialsForAll(t *testing.T) {
	t.Parallel()
	creds, err := ParseCredentials([]byte(`{"auths":{"b.example":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("u:p")) + `"},"a.example":{"auth":"` + testAuth + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	all := creds.All()
	if len(all) != 2 || all[0].Host != "a.example" || all[1].Host != "b.example" || all[1].Username != "u" || all[1].Secret != "p" || all[0].Secret != testPassword {
		t.Errorf("All() = %#v", all)
	}
	if c, ok := creds.For("b.example"); !ok || c.Secret != "p" {
		t.Errorf("For(b.example) = %v %v", c, ok)
	}
	if _, ok := creds.For("B.example"); ok {
		t.Error("For matched another host's bytes")
	}
}
