package registryhost

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, host string
		wantErr    string // "" = valid; else a substring of the error
	}{
		{"DOCR", "registry.digitalocean.com", ""},
		{"host and port", "127.0.0.1:5000", ""},
		{"URL-form key", "https://index.docker.io/v1/", ""},
		{"punycode", "xn--rgistry-9ve.example", ""},
		{"longest", strings.Repeat("a", MaxLen), ""},
		{"empty", "", "empty"},
		{"too long", strings.Repeat("a", MaxLen+1), "1025 bytes, more than 1024"},
		{"space", "registry .digitalocean.com", `"registry .digitalocean.com" has spaces`},
		{"tab", "registry\t.digitalocean.com", `"registry\t.digitalocean.com"`},
		{"newline", "registry.digitalocean.com\n", `"registry.digitalocean.com\n"`},
		{"DEL", "registry\x7f", `"registry\x7f"`},
		{"invalid UTF-8", "registry\xff", `"registry\xff"`},
		{"trailing zero-width space", "registry.digitalocean.com\u200b", `"registry.digitalocean.com\u200b"`},
		{"Cyrillic i", "reg\u0456stry.digitalocean.com", `"reg\u0456stry.digitalocean.com"`},
		{"left-to-right mark", "registry.digitalocean.com\u200e", `\u200e`},
		{"right-to-left mark", "\u200fregistry.digitalocean.com", `\u200f`},
		{"Arabic letter mark", "registry.digital\u061cocean.com", `\u061c`},
		{"right-to-left override", "registry.\u202edigitalocean.com", `\u202e`},
		{"fullwidth dot", "registry\uff0edigitalocean.com", `\uff0e`},
		{"non-breaking space", "registry.digitalocean.com\u00a0", `\u00a0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.host)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check(%+q) = %v, want nil", tt.host, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check(%+q) = nil, want an error containing %q", tt.host, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check(%+q) = %q, want ErrInvalid containing %q", tt.host, err, tt.wantErr)
			}
			// The error is printable ASCII too: a look-alike shows as an escape.
			if msg := err.Error(); Check(strings.ReplaceAll(msg, " ", "_")) != nil {
				t.Errorf("error %q is not printable ASCII", msg)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"registry.digitalocean.com", "a\u200b", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		err := Check(host)
		ascii := host != "" && len(host) <= MaxLen && strings.IndexFunc(host, func(r rune) bool { return r <= ' ' || r >= 0x7f }) < 0
		if (err == nil) != ascii {
			t.Fatalf("Check(%+q) = %v; printable ASCII: %v", host, err, ascii)
		}
	})
}
