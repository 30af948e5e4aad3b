package kubeletprovider

import (
	"fmt"
	"strings"
)

// ErrOtherHost is an image on a host other than the DOCR registry host.
var ErrOtherHost = fmt.Errorf("%w: wrong host", ErrBadRequest)

// Image is a parsed DOCR image reference:
// <host>/<registry>/<repository>[:<tag>][@<digest>].
type Image struct {
	// Host is the registry host, as configured (lower case).
	Host string
	// Registry is the DOCR registry name, the first path component.
	Registry string
	// Repository is the rest of the path (it may contain slashes).
	Repository string
	// Tag and Digest are empty when absent.
	Tag, Digest string
}

// ParseImage parses image, which must be on host, as the distribution
// reference grammar allows (lower-case path components separated by '.', '_'
// or '-', an optional tag and an optional digest), with a DOCR registry name
// (1 to 63 of a-z, 0-9 and '-') as its first path component. The host is
// compared without regard to case. Errors wrap ErrBadRequest (ErrOtherHost
// for another host).
func ParseImage(image, host string) (Image, error) {
	if len(image) > 4096 {
		return Image{}, fmt.Errorf("%w: image reference longer than 4096 bytes", ErrBadRequest)
	}
	domain, rest, ok := strings.Cut(image, "/")
	if !ok || !strings.EqualFold(domain, host) {
		return Image{}, fmt.Errorf("%w: %s is not on %s (check the matchImages of the CredentialProviderConfig)", ErrOtherHost, quoteShort(image), host)
	}
	bad := func(why string) (Image, error) {
		return Image{}, fmt.Errorf("%w: image %s: %s", ErrBadRequest, quoteShort(image), why)
	}
	out := Image{Host: strings.ToLower(host)}
	if name, digest, ok := strings.Cut(rest, "@"); ok {
		if !validDigest(digest) {
			return bad("invalid digest")
		}
		rest, out.Digest = name, digest
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i:], "/") {
		if !validTag(rest[i+1:]) {
			return bad("invalid tag")
		}
		rest, out.Tag = rest[:i], rest[i+1:]
	}
	if len(rest) > 255 {
		return bad("repository name longer than 255 bytes")
	}
	registry, repo, ok := strings.Cut(rest, "/")
	if !ok || repo == "" {
		return bad("no repository after the registry name (want " + host + "/<registry>/<repository>)")
	}
	if !validRegistryName(registry) {
		return bad("invalid registry name (1 to 63 of a-z, 0-9 and '-')")
	}
	for c := range strings.SplitSeq(repo, "/") {
		if !validComponent(c) {
			return bad("invalid repository path")
		}
	}
	out.Registry, out.Repository = registry, repo
	return out, nil
}

func validRegistryName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// validComponent: [a-z0-9]+ separated by '.', '_', '__' or '-'+.
func validComponent(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if isLowerAlnum(c) {
			continue
		}
		switch {
		case c == '-':
		case c == '.' || c == '_':
			if p := s[i-1]; !isLowerAlnum(p) && !(c == '_' && p == '_' && i >= 2 && isLowerAlnum(s[i-2])) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validTag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && !(c >= 'A' && c <= 'Z') && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// validDigest: <algorithm>:<hex of at least 32 digits>, algorithm made of
// [a-z0-9] parts joined by '+', '.', '_' or '-'.
func validDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || alg == "" || len(hex) < 32 || !isLowerAlnum(alg[0]) || !isLowerAlnum(alg[len(alg)-1]) {
		return false
	}
	for i := 0; i < len(alg); i++ {
		if c := alg[i]; !isLowerAlnum(c) && c != '+' && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
