//go:build unix

package dockerconfig

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"

	"github.com/docr-dev/docr/facade"
)

// TestSecretsNeverInErrors drives every failure path that handles a secret
// and checks that no error and no log line holds the password, the user
// name (a token for DigitalOcean) or their base64 or JSON forms.
func TestSecretsNeverInErrors(t *testing.T) {
	const host = "registry.digitalocean.com"
	const user, pass = "tokUSER123", `S3cr3t-P@ss:w0rd"\x`
	cred := facade.Credential{Host: host, Username: user, Secret: pass}
	q, _ := json.Marshal(pass)
	forbidden := []string{user, pass, b64(user + ":" + pass), b64(pass), string(q[1 : len(q)-1]), "S3cr3t"}
	authJSON := `{"auth":"` + b64(user+":"+pass) + `"}`

	e := setupEnv(t)
	var logs syncBuffer
	// The helpers that hang are timed out as soon as they hang; the others
	// have the default 30s, far more than they need on a busy machine.
	w := newWriter(t, "", &logs)
	expireOnHang(w)
	var errs []error
	record := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		errs = append(errs, err)
	}
	store := func(what, mode, config string, c facade.Credential) {
		t.Helper()
		t.Setenv("FAKEHELPER_MODE", mode)
		writeFile(t, e.cfg, config, 0o644)
		_, err := w.Store(ctx, c)
		record(what, err)
	}
	store("helper echoes the secret and fails", "fail", `{"credsStore":"fake"}`, cred)
	store("helper hangs", "hang", `{"credsStore":"fake"}`, cred)
	store("helper missing", "", `{"credsStore":"nothere"}`, cred)
	store("broken JSON holding the secret", "", `{"auths":{"`+host+`":`+authJSON, cred)
	store("duplicate auth fields holding the secret", "", `{"auths":{"`+host+`":{"auth":"`+b64(user+":"+pass)+`","auth":"`+b64(pass)+`"}}}`, cred)
	store("user name with a colon", "", `{}`, facade.Credential{Host: host, Username: user + ":x", Secret: pass})
	store("password not UTF-8", "", `{}`, facade.Credential{Host: host, Username: user, Secret: pass + "\xff"})
	store("user name with control characters", "", `{}`, facade.Credential{Host: host, Username: user + "\n", Secret: pass})
	_, err := w.Store(ctx, cred, cred)
	record("same host twice", err)

	// Helper get/erase failures after the secret is stored.
	t.Setenv("FAKEHELPER_MODE", "")
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	if _, err := w.Store(ctx, cred); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKEHELPER_MODE", "leak")
	_, err = w.Remove(ctx, host)
	record("erase fails quoting the secret", err)
	if err != nil && !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("erase error not redacted: %v", err)
	}
	for _, mode := range []string{"fail", "garbage", "hang"} {
		t.Setenv("FAKEHELPER_MODE", mode)
		_, _, err := w.Lookup(ctx, host)
		record("get "+mode, err)
	}
	// File-held secrets that cannot be decoded.
	t.Setenv("FAKEHELPER_MODE", "")
	writeFile(t, e.cfg, `{"auths":{"`+host+`":{"auth":"`+b64(pass)+`"},"bad":{"auth":"`+pass+`"}}}`, 0o600)
	_, _, err = w.Lookup(ctx, host)
	record("auth without a colon", err)
	_, _, err = w.Lookup(ctx, "bad")
	record("auth not base64", err)
	_, _, err = Merge([]byte(`{"credsStore":"fake"}`), cred)
	record("Merge routed to a helper", err)

	// Successful paths that log: plaintext into a 0644 file, in-place write.
	writeFile(t, e.cfg, `{}`, 0o644)
	w.testHook = func(s string) error {
		if s == "rename" {
			return syscall.EBUSY
		}
		return nil
	}
	if res, err := w.Store(ctx, cred); err != nil || !res.InPlace {
		t.Fatal(res, err)
	}
	w.testHook = nil
	if got, err := w.Remove(ctx, host); err != nil || len(got) != 1 || got[0] != cred {
		t.Errorf("Remove = %v, %v", got, err)
	}

	for _, err := range errs {
		for _, s := range forbidden {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks %q: %v", s, err)
			}
		}
	}
	for _, s := range forbidden {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log leaks %q:\n%s", s, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "level=DEBUG") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("expected debug and warning lines:\n%s", logs.String())
	}
	if len(errs) < 15 {
		t.Errorf("only %d errors checked", len(errs))
	}
}
