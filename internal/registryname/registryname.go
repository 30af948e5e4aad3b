// Package registryname holds the API's rule for registry names, which the
// facade applies to every name before a request, so that a name such as
// ".." or "a/b" never becomes another API path.
package registryname

import (
	"fmt"
	"unicode/utf8"
)

// MaxLen is the longest registry name the API accepts.
const MaxLen = 63

// Check reports whether name is 1 to 63 lower-case ASCII letters, digits
// and hyphens (the pattern of the name in the spec's registry create
// request). The error never quotes the name (a clumsy caller may have
// passed a token): it names the first character that breaks the rule.
func Check(name string) error {
	if name == "" {
		return fmt.Errorf("empty registry name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			r, _ := utf8.DecodeRuneInString(name[i:])
			return fmt.Errorf("registry name has %+q at byte %d: use 1 to %d lower-case letters, digits and hyphens", r, i, MaxLen)
		}
	}
	if len(name) > MaxLen {
		return fmt.Errorf("registry name of %d bytes: use 1 to %d lower-case letters, digits and hyphens", len(name), MaxLen)
	}
	return nil
}
