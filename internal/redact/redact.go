// Package redact writes what fmt and slog show of the facade's types that
// hold secrets (Credential, Credentials, DockerConfig, RawConfig): hosts,
// registry, access and expiry, never a user name, secret, auth value or
// the raw config. The facade's String, GoString, Format and LogValue
// methods call it.
package redact

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Redacted stands for a secret.
const Redacted = "[REDACTED]"

// Format writes gs for %#v and s for every other verb, so that no verb
// (%d, %x, %q) reaches a field.
func Format(f fmt.State, verb rune, s, gs string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, gs)
		return
	}
	_, _ = io.WriteString(f, s)
}

// Credential is the String of a credential for host.
func Credential(host string) string {
	return "Credential{host: " + strconv.Quote(host) + ", username: " + Redacted + ", secret: " + Redacted + "}"
}

// CredentialGo is the GoString of a credential for host.
func CredentialGo(host string) string {
	return "facade.Credential{Host:" + strconv.Quote(host) + `, Username:"` + Redacted + `", Secret:"` + Redacted + `"}`
}

// Credentials is the String of minted credentials.
func Credentials(registry string, hosts []string, readWrite bool, expiresAt time.Time) string {
	exp := "never expires"
	if !expiresAt.IsZero() {
		exp = "expires " + expiresAt.UTC().Format(time.RFC3339)
	}
	if registry == "" {
		registry = "(default)"
	}
	return fmt.Sprintf("Credentials{registry: %s, hosts: [%s], %s, %s, password: %s}",
		registry, strings.Join(hosts, " "), mode(readWrite), exp, Redacted)
}

// CredentialsGo is the GoString of minted credentials whose config and
// raw answer print as config and raw.
func CredentialsGo(registry string, readWrite bool, expiresAt time.Time, config, raw string) string {
	return fmt.Sprintf("facade.Credentials{Registry:%q, ReadWrite:%t, ExpiresAt:%#v, Config:%s, Raw:%s}",
		registry, readWrite, expiresAt, config, raw)
}

// CredentialsLog is the slog value of minted credentials.
func CredentialsLog(registry string, hosts []string, readWrite bool, expiresAt time.Time) slog.Value {
	attrs := []slog.Attr{slog.String("registry", registry), slog.Any("hosts", hosts), slog.Bool("read_write", readWrite)}
	if !expiresAt.IsZero() {
		attrs = append(attrs, slog.Time("expires_at", expiresAt))
	}
	return slog.GroupValue(attrs...)
}

// Config is the String of a Docker config with credentials for hosts.
func Config(hosts []string) string { return "DockerConfig{auths: [" + strings.Join(hosts, " ") + "]}" }

// ConfigGo is the GoString of a Docker config with credentials for hosts.
func ConfigGo(hosts []string) string {
	var b strings.Builder
	b.WriteString("facade.DockerConfig{Auths:map[string]facade.Credential{")
	for i, h := range hosts {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q:%s", h, CredentialGo(h))
	}
	b.WriteString("}}")
	return b.String()
}

// Bytes is the String of n bytes of a secret document.
func Bytes(n int) string { return "[REDACTED " + strconv.Itoa(n) + " bytes]" }

func mode(readWrite bool) string {
	if readWrite {
		return "read-write"
	}
	return "read-only"
}
