//go:build unix

package dockerconfig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docr-dev/docr/facade"
)

// Concurrent Replace calls on one config run one after another: each sees
// the credential the previous one stored, so every replaced credential is
// known to exactly one caller and the file ends with the last one.
func TestReplaceConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	writeFile(t, cfg, `{"auths":{"ghcr.io":{"auth":"`+b64("o:keep")+`"}},"currentContext":"keep"}`, 0o600)
	const host, n = "registry.digitalocean.com", 12
	type outcome struct {
		minted, old string
		found       bool
	}
	outs := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			w := newWriter(t, dir, nil)
			secret := fmt.Sprintf("secret-%02d", i)
			_, old, found, err := w.Replace(context.Background(), host, func(_ context.Context, old facade.Credential, found bool) (facade.Credential, error) {
				return facade.Credential{Host: host, Username: "u", Secret: secret}, nil
			})
			if err != nil {
				t.Error(err)
			}
			outs[i] = outcome{secret, old.Secret, found}
		})
	}
	wg.Wait()
	replaced := map[string]int{}
	notFound := 0
	for _, o := range outs {
		if !o.found {
			notFound++
			continue
		}
		replaced[o.old]++
	}
	if notFound != 1 {
		t.Errorf("%d callers found nothing to replace, want exactly the first", notFound)
	}
	stored := authsOf(t, readFile(t, cfg))[host].(map[string]any)["auth"]
	for _, o := range outs {
		isLast := stored == b64("u:"+o.minted)
		if got := replaced[o.minted]; (isLast && got != 0) || (!isLast && got != 1) {
			t.Errorf("%s was replaced %d times (stored last: %t)", o.minted, got, isLast)
		}
	}
	content := readFile(t, cfg)
	if !strings.Contains(content, b64("o:keep")) || !strings.Contains(content, `"currentContext": "keep"`) {
		t.Errorf("other entries lost:\n%s", content)
	}
}

// Replace's failures: a mint error writes nothing and comes back as is; a
// credential for another host is refused before anything is written; a
// write that fails after the mint says ErrNotStored, so that the caller
// revokes what it minted.
func TestReplaceFailures(t *testing.T) {
	t.Parallel()
	const host = "registry.digitalocean.com"
	orig := `{"auths":{"registry.digitalocean.com":{"auth":"` + b64("old:oldpw") + `"}}}`
	errMint := errors.New("mint failed: 429")
	tests := []struct {
		name  string
		mint  func(context.Context, facade.Credential, bool) (facade.Credential, error)
		hook  func(string) error
		check func(t *testing.T, err error)
	}{
		{"mint fails", func(context.Context, facade.Credential, bool) (facade.Credential, error) {
			return facade.Credential{}, errMint
		}, nil, func(t *testing.T, err error) {
			if err != errMint {
				t.Errorf("err = %v, want the mint's own error", err)
			}
		}},
		{"other host", func(context.Context, facade.Credential, bool) (facade.Credential, error) {
			return facade.Credential{Host: "evil.example", Username: "u", Secret: "p"}, nil
		}, nil, func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), `mint returned a credential for "evil.example", not for "registry.digitalocean.com"`) || errors.Is(err, ErrNotStored) {
				t.Errorf("err = %v", err)
			}
		}},
		{"write fails", func(context.Context, facade.Credential, bool) (facade.Credential, error) {
			return facade.Credential{Host: host, Username: "u", Secret: "newpw"}, nil
		}, func(step string) error {
			if step == "tempSynced" {
				return errors.New("disk full")
			}
			return nil
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrNotStored) || !strings.Contains(err.Error(), "disk full") || strings.Contains(err.Error(), "newpw") {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			writeFile(t, cfg, orig, 0o600)
			w := newWriter(t, dir, nil)
			w.testHook = tt.hook
			var sawOld facade.Credential
			_, old, found, err := w.Replace(context.Background(), host, func(ctx context.Context, o facade.Credential, f bool) (facade.Credential, error) {
				sawOld = o
				return tt.mint(ctx, o, f)
			})
			tt.check(t, err)
			if !found || old.Secret != "oldpw" || sawOld.Secret != "oldpw" || old.Username != "old" {
				t.Errorf("old = %#v (%t), mint saw %#v", old, found, sawOld)
			}
			if got := readFile(t, cfg); got != orig {
				t.Errorf("config changed:\n%s", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 { // config.json and its lock
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// Replace routes through credsStore like Store: the helper receives the new
// secret, the file gets an empty entry, and the old secret comes from the
// helper's get.
func TestReplaceThroughHelper(t *testing.T) {
	e := setupEnv(t)
	writeFile(t, e.cfg, `{"credsStore":"fake"}`, 0o600)
	w := newWriter(t, "", e.logs)
	ctx := context.Background()
	const host = "registry.digitalocean.com"
	mint := func(secret string) func(context.Context, facade.Credential, bool) (facade.Credential, error) {
		return func(context.Context, facade.Credential, bool) (facade.Credential, error) {
			return facade.Credential{Host: host, Username: "u", Secret: secret}, nil
		}
	}
	if _, _, found, err := w.Replace(ctx, host, mint("first")); err != nil || found {
		t.Fatalf("first: found %t, %v", found, err)
	}
	res, old, found, err := w.Replace(ctx, host, mint("second"))
	if err != nil || !found || old.Secret != "first" {
		t.Fatalf("second: old %#v found %t, %v", old, found, err)
	}
	if len(res.Hosts) != 1 || res.Hosts[0].Route != RouteCredsStore || res.Hosts[0].Helper != "docker-credential-fake" {
		t.Errorf("result %+v", res)
	}
	if got, found, err := w.Lookup(ctx, host); err != nil || !found || got.Secret != "second" {
		t.Errorf("lookup: %#v %t %v", got, found, err)
	}
	if strings.Contains(readFile(t, e.cfg), "second") {
		t.Error("the secret reached the file")
	}
}
