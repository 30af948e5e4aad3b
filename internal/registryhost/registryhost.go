// Package registryhost holds the one rule docr applies to a registry host
// name wherever it takes one: from the API's auths, from the caller of
// dockerconfig, from $DOCR_REGISTRY_HOST, and on a credential helper's stdin.
//
// A host is printable ASCII and nothing else. Docker matches hosts by their
// bytes, so a look-alike (a Cyrillic letter, a zero-width space, a
// directional mark) would be a different registry that prints like the real
// one. An internationalised host is written in its xn-- (punycode) form, as
// DNS carries it.
package registryhost

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLen is the longest host (or config.json server key) accepted, in bytes.
// A DNS name is at most 253 bytes; URL-form keys such as
// "https://index.docker.io/v1/" are a little longer, and this leaves room.
const MaxLen = 1024

// ErrInvalid is wrapped by every error [Check] returns.
var ErrInvalid = errors.New("invalid registry host")

// Check reports whether host is a non-empty string of at most [MaxLen]
// printable ASCII bytes (0x21 to 0x7e). Its error quotes the host with
// every other character escaped, so a look-alike is visible as such.
func Check(host string) error {
	if host == "" {
		return fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(host) > MaxLen {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(host), MaxLen)
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: %+q has spaces, control characters, invalid UTF-8 or characters outside printable ASCII (look-alike letters and invisible marks are refused; write an internationalised name in its xn-- form)", ErrInvalid, host)
		}
	}
	return nil
}

// Lower lowers A-Z only, as Docker lowers the host it asks a credential
// helper about, so that no Unicode look-alike folds into an ASCII host.
func Lower(host string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, host)
}

// Setting reads a host set by the user (say, $DOCR_REGISTRY_HOST): value
// trimmed and lowered by [Lower], checked by [Check]; def when value is
// blank.
func Setting(value, def string) (string, error) {
	h := strings.TrimSpace(value)
	if h == "" {
		return def, nil
	}
	h = Lower(h)
	return h, Check(h)
}
