//go:build unix

package dockerconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/docr-dev/docr/facade"
	"github.com/docr-dev/docr/internal/registryhost"
)

// TestLookAlikeHostsRefused: every entry point that takes a host applies
// docr's one host rule (package registryhost), so a host that prints like
// registry.digitalocean.com but is another string is refused before the
// file is read or written, and the file is left byte for byte as it was.
func TestLookAlikeHostsRefused(t *testing.T) {
	t.Parallel()
	const before = `{"auths":{"registry.digitalocean.com":{"auth":"dTpw"}},"x":1}`
	lookAlikes := map[string]string{
		"trailing zero-width space": "registry.digitalocean.com\u200b",
		"Cyrillic i":                "reg\u0456stry.digitalocean.com",
		"left-to-right mark":        "registry.digitalocean.com\u200e",
		"right-to-left mark":        "\u200fregistry.digitalocean.com",
		"Arabic letter mark":        "registry.digital\u061cocean.com",
	}
	for name, host := range lookAlikes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, ConfigFileName)
			if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
				t.Fatal(err)
			}
			w, err := New(Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			calls := map[string]error{}
			_, err = w.Store(ctx, facade.Credential{Host: host, Username: "u", Secret: "SECRET-PASSWORD"})
			calls["Store"] = err
			_, _, err = w.Lookup(ctx, host)
			calls["Lookup"] = err
			_, _, err = w.Helper(ctx, host)
			calls["Helper"] = err
			_, err = w.Remove(ctx, host)
			calls["Remove"] = err
			calls["SetCredHelper"] = w.SetCredHelper(ctx, host, "docr")
			for call, err := range calls {
				if !errors.Is(err, registryhost.ErrInvalid) {
					t.Errorf("%s(%+q) = %v, want registryhost.ErrInvalid", call, host, err)
				}
			}
			if got, _ := os.ReadFile(path); string(got) != before {
				t.Errorf("config.json changed:\n%s", got)
			}
		})
	}
}
