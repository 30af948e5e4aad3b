package facade

import (
	"fmt"
	"unicode/utf8"
)

// maxRegistryName is the longest registry name the API accepts.
const maxRegistryName = 63

// CheckRegistryName reports whether name follows the API's rule for
// registry names: 1 to 63 lower-case ASCII letters, digits and hyphens (the
// pattern of the name in the spec's registry create request). The facade
// checks every registry name it is given before any request, so that a name
// such as ".." or "a/b" never becomes another API path; programs can call it
// to check user input early. Its error wraps [ErrInvalidRequest].
func CheckRegistryName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty registry name", ErrInvalidRequest)
	}
	// The name itself is never quoted: a clumsy caller may have passed a
	// token, so the error names the first character that breaks the rule.
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			r, _ := utf8.DecodeRuneInString(name[i:])
			return fmt.Errorf("%w: registry name has %+q at byte %d: use 1 to %d lower-case letters, digits and hyphens", ErrInvalidRequest, r, i, maxRegistryName)
		}
	}
	if len(name) > maxRegistryName {
		return fmt.Errorf("%w: registry name of %d bytes: use 1 to %d lower-case letters, digits and hyphens", ErrInvalidRequest, len(name), maxRegistryName)
	}
	return nil
}
