package controller

import (
	"github.com/docr-dev/docr/facade"
)

// newSource returns the library's credential source for one PullSecret's
// request (facade.Source), with the PullSecret's record as its cache: it
// reuses the recorded credential until RenewBefore its expiry, else mints,
// records (revoking at once what the record cannot keep) and returns it.
// Tests replace it to count or fail mints.
var newSource = func(c *facade.Client, o facade.SourceOptions) (*facade.Source, error) {
	return facade.NewSource(c, o)
}

// secrets returns the distinct secrets of c's credentials: revoking a
// secret revokes the credential.
func secrets(c *facade.Credentials) []string {
	var out []string
	seen := map[string]bool{}
	for _, cred := range c.All() {
		if cred.Secret != "" && !seen[cred.Secret] {
			seen[cred.Secret] = true
			out = append(out, cred.Secret)
		}
	}
	return out
}
