package facade

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/docr-dev/docr/internal/apitoken"
	"github.com/docr-dev/docr/internal/transport"
)

// RevokeCredential revokes a registry credential, e.g. the password of
// Docker credentials on logout, so that it stops working before it expires.
// It POSTs the form token=<password> with "Authorization: Bearer <password>"
// to the revocation endpoint ([DefaultRevokeURL] unless [WithRevokeURL]),
// using the Client's base transport, User-Agent and timeout but not its API
// token. Redirects are not followed and the request is not retried. Only a
// 200 answer is success; anything else is an [*APIError]. No error ever
// contains the password.
func (c *Client) RevokeCredential(ctx context.Context, password string) error {
	return revoke(ctx, c.plain, c.s.RevokeURL, password)
}

// RevokeCredential is [Client.RevokeCredential] for programs without an API
// token (revocation authenticates with the credential itself). Options
// other than those about transport, User-Agent, timeout and revocation URL
// are accepted and ignored.
func RevokeCredential(ctx context.Context, password string, opts ...Option) error {
	s, err := buildSettings(opts)
	if err != nil {
		return err
	}
	return revoke(ctx, s.PlainClient(), s.RevokeURL, password)
}

// revokeAll revokes every distinct secret of creds, except the Client's own
// API token, and returns the errors.
func (c *Client) revokeAll(ctx context.Context, creds *Credentials) []error {
	var errs []error
	seen := map[string]bool{}
	for _, cred := range creds.All() {
		p := strings.TrimSpace(cred.Secret)
		if p == "" || seen[p] || p == c.token {
			continue
		}
		seen[p] = true
		if err := c.RevokeCredential(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func revoke(ctx context.Context, hc *http.Client, endpoint *url.URL, password string) error {
	password = strings.TrimSpace(password)
	if password == "" {
		return fmt.Errorf("%w: empty credential to revoke", ErrInvalidRequest)
	}
	if !apitoken.Printable(password) {
		return fmt.Errorf("%w: credential to revoke contains whitespace, a control character or a non-ASCII character", ErrInvalidRequest)
	}
	f, err := transport.Revoke(ctx, hc, endpoint, password)
	if f != nil {
		return apiError(f)
	}
	return err
}
