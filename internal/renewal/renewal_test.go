package renewal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The key is stable across docr versions (caches on disk are found by it)
// and never holds the token.
func TestKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		host, registry string
		rw             bool
		origin, token  string
		want           string
	}{
		{"registry.digitalocean.com", "example", true, "https://api.example.com:443", "dop_v1_probe", "registry.digitalocean.com example rw 0cb09cad489ea37048b03519e5b84309"},
		{"registry.digitalocean.com", "", false, "https://api.example.com:443", "dop_v1_probe", "registry.digitalocean.com (account) ro 0cb09cad489ea37048b03519e5b84309"},
	}
	for _, tc := range cases {
		got := Key(tc.host, tc.registry, tc.rw, tc.origin, tc.token)
		if got != tc.want || strings.Contains(got, tc.token) {
			t.Errorf("Key = %q, want %q", got, tc.want)
		}
	}
	if Key("h", "r", false, "https://a:443", "t1") == Key("h", "r", false, "https://a:443", "t2") ||
		Key("h", "r", false, "https://a:443", "t") == Key("h", "r", false, "https://b:443", "t") {
		t.Error("token or origin does not change the key")
	}
}

type cred struct {
	host string
	exp  time.Time
	n    int
}

// A Keeper whose check refuses the mint revokes it on a context of its own,
// even when the caller's is cancelled after minting, and says so.
func TestDiscardOnOwnContext(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 8, 7, 12, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var revoked []int
	k := New(Config[*cred]{
		Key: "k", RenewBefore: time.Minute, Now: func() time.Time { return now },
		Opens:  func(c *cred) bool { return c != nil && c.host == "h" },
		Expiry: func(c *cred) time.Time { return c.exp },
		Mint: func(context.Context) (*cred, error) {
			cancel()
			return &cred{host: "other", exp: now.Add(time.Hour), n: 1}, nil
		},
		Check: func(c *cred) error { return errors.New("wrong host") },
		Revoke: func(rctx context.Context, c *cred) []error {
			if rctx.Err() != nil {
				return []error{rctx.Err()}
			}
			if _, ok := rctx.Deadline(); !ok {
				return []error{errors.New("no deadline")}
			}
			revoked = append(revoked, c.n)
			return nil
		},
	})
	_, err := k.Get(ctx)
	if err == nil || err.Error() != "wrong host (the minted credential was revoked)" || len(revoked) != 1 {
		t.Errorf("err = %v, revoked %v", err, revoked)
	}
}
