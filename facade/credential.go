package facade

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/docr-dev/docr/internal/transport"
)

// Credential is one registry credential: the host it opens, a user name
// and a secret. It is the one credential type of docr: what the API mints
// ([Credentials.For]), what dockerconfig stores and looks up, what a
// [Source] serves and what the Docker credential helper and the kubelet
// provider answer with.
//
// Printing a Credential with fmt (any verb) or slog shows its host only:
// for DigitalOcean the user name and the secret are both the secret. Use
// the fields explicitly.
type Credential struct {
	// Host is the registry host, e.g. "registry.digitalocean.com".
	Host string
	// Username is the user name (for DOCR, the secret itself or the
	// account's e-mail address).
	Username string
	// Secret is the password.
	Secret string
}

// Auth is what Docker's config.json stores for c:
// base64(Username + ":" + Secret).
func (c Credential) Auth() string {
	return base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Secret))
}

// IsZero reports whether c has no user name and no secret.
func (c Credential) IsZero() bool { return c.Username == "" && c.Secret == "" }

// String describes c without secrets.
func (c Credential) String() string {
	return "Credential{host: " + strconv.Quote(c.Host) + ", username: " + transport.Redacted + ", secret: " + transport.Redacted + "}"
}

// GoString describes c without secrets (for %#v).
func (c Credential) GoString() string {
	return "facade.Credential{Host:" + strconv.Quote(c.Host) + `, Username:"` + transport.Redacted + `", Secret:"` + transport.Redacted + `"}`
}

// Format implements fmt.Formatter so that every verb prints
// [Credential.String] (or GoString for %#v), never the secrets.
func (c Credential) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String(), c.GoString()) }

// LogValue implements slog.LogValuer: the host only.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", c.Host))
}
