package kubesecret

import (
	"fmt"
	"strings"
)

// Human-readable rules quoted by validation errors.
const (
	subdomainRule  = "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', start and end with a letter or digit, as must each '.'-separated part, at most 253 characters)"
	labelRule      = "a DNS-1123 label (lowercase letters, digits and '-', start and end with a letter or digit, at most 63 characters)"
	labelNameRule  = "letters, digits, '-', '_' and '.', start and end with a letter or digit, at most 63 characters"
	labelValueRule = "empty, or " + labelNameRule
)

// ValidateName reports whether name is a valid Secret name: a DNS-1123
// subdomain of at most 253 characters made of lowercase letters, digits, '-'
// and '.', where the name and each '.'-separated part start and end with a
// letter or digit (the rule the Kubernetes API server applies).
func ValidateName(name string) error {
	if !isDNS1123Subdomain(name) {
		return fmt.Errorf("kubesecret: invalid secret name %q: must be %s", name, subdomainRule)
	}
	return nil
}

// ValidateNamespace reports whether namespace is a valid Kubernetes namespace
// name: a DNS-1123 label of at most 63 characters made of lowercase letters,
// digits and '-', starting and ending with a letter or digit.
func ValidateNamespace(namespace string) error {
	if !isDNS1123Label(namespace) {
		return fmt.Errorf("kubesecret: invalid namespace %q: must be %s", namespace, labelRule)
	}
	return nil
}

// ValidateLabel reports whether key and value form a valid Kubernetes label.
// The key is an optional DNS-1123 subdomain prefix and '/' followed by a name
// of at most 63 letters, digits, '-', '_' and '.', starting and ending with a
// letter or digit. The value is empty or follows the same rule as that name.
func ValidateLabel(key, value string) error {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		if !isDNS1123Subdomain(prefix) {
			return fmt.Errorf("kubesecret: invalid label key %q: prefix before '/' must be %s", key, subdomainRule)
		}
		name = rest
	}
	if !isLabelName(name) {
		return fmt.Errorf("kubesecret: invalid label key %q: name must be %s, with an optional DNS-1123 subdomain prefix and '/'", key, labelNameRule)
	}
	if value != "" && !isLabelName(value) {
		return fmt.Errorf("kubesecret: invalid value %q for label %q: must be %s", value, key, labelValueRule)
	}
	return nil
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

// isDNS1123Label matches [a-z0-9]([-a-z0-9]*[a-z0-9])? of at most 63 bytes.
func isDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && !(c == '-' && i > 0 && i < len(s)-1) {
			return false
		}
	}
	return true
}

// isDNS1123Subdomain matches
// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* of at most
// 253 bytes: '-' may not be first or last, and '.' must sit between two
// letters or digits.
func isDNS1123Subdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isLowerAlnum(c):
		case c == '-' && i > 0 && i < len(s)-1:
		case c == '.' && i > 0 && i < len(s)-1 && isLowerAlnum(s[i-1]) && isLowerAlnum(s[i+1]):
		default:
			return false
		}
	}
	return true
}

// isLabelName matches ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] of at most 63
// bytes, the rule for label names and non-empty label values.
func isLabelName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		inner := i > 0 && i < len(s)-1
		if !isAlnum(c) && !(inner && (c == '-' || c == '_' || c == '.')) {
			return false
		}
	}
	return true
}
