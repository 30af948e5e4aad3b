// Package dockerauth encodes and decodes the auths of a Docker config.json as the
// API's docker-credentials endpoints return it (gen.DockerCredentials):
// {"auths": {"<host>": {"auth": "<base64 of username:secret>"}}}. Every
// host follows internal/registryhost's rule and every auth is canonical
// standard base64 of a non-empty user name, a colon and a non-empty
// secret. Its errors never contain a credential; facade wraps them in
// ErrInvalidCredentials.
package dockerauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/docr-dev/docr/gen"
	"github.com/docr-dev/docr/internal/registryhost"
	"github.com/docr-dev/docr/internal/transport"
)

// Decode decodes raw and returns its auths, each made by mk from host,
// user name and secret. A document without auths is an error unless
// allowEmpty is set (the map is then nil).
func Decode[C any](raw []byte, allowEmpty bool, mk func(host, username, secret string) C) (map[string]C, error) {
	var doc gen.DockerCredentials
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, invalidJSON(err)
	}
	if len(doc.Auths) == 0 {
		if allowEmpty {
			return nil, nil
		}
		return nil, errors.New("no auths")
	}
	auths := make(map[string]C, len(doc.Auths))
	// Hosts in sorted order, so that the error for several bad hosts is
	// deterministic; one host (the usual case) fits in buf, on the stack.
	var buf [1]string
	hosts := buf[:0]
	for host := range doc.Auths {
		hosts = append(hosts, host)
	}
	slices.Sort(hosts)
	for _, host := range hosts {
		user, secret, err := decodeEntry(host, doc.Auths[host].Auth)
		if err != nil {
			return nil, err
		}
		auths[host] = mk(host, user, secret)
	}
	return auths, nil
}

// Encode encodes auths as gen.DockerCredentials, each entry's auth being
// auth of it (nil auths encode as null).
func Encode[C any](auths map[string]C, auth func(C) string) ([]byte, error) {
	var doc gen.DockerCredentials
	if auths != nil {
		doc.Auths = make(map[string]gen.DockerAuth, len(auths))
		for h, c := range auths {
			doc.Auths[h] = gen.DockerAuth{Auth: new(auth(c))}
		}
	}
	return json.Marshal(doc)
}

// decodeEntry checks host and decodes its auth (missing or null is
// refused like empty).
func decodeEntry(host string, auth *string) (user, secret string, err error) {
	if strings.TrimSpace(host) == "" {
		return "", "", errors.New("empty registry host in auths")
	}
	if err := registryhost.Check(host); err != nil {
		// The host is printed (docr login, errors) and becomes a key in
		// config.json and a line on a credential helper's stdin.
		return "", "", err
	}
	var a string
	if auth != nil {
		a = *auth
	}
	if a == "" {
		return "", "", fmt.Errorf("no auth for host %q", host)
	}
	// Strict and without line breaks: the auth is then exactly
	// base64(username + ":" + secret), never a malleable variant.
	dec, err := base64.StdEncoding.Strict().DecodeString(a)
	if err != nil || strings.ContainsAny(a, "\r\n") {
		return "", "", fmt.Errorf("auth for host %q is not valid base64", host)
	}
	u, p, ok := bytes.Cut(dec, []byte(":"))
	switch {
	case !ok:
		return "", "", fmt.Errorf("auth for host %q has no colon between user name and password", host)
	case len(u) == 0:
		return "", "", fmt.Errorf("auth for host %q has an empty user name", host)
	case len(p) == 0:
		return "", "", fmt.Errorf("auth for host %q has an empty password", host)
	}
	return string(u), string(p), nil
}

// invalidJSON describes a JSON error without quoting the input (a
// json.SyntaxError message can contain a byte of it).
func invalidJSON(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not valid JSON (syntax error at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("unexpected JSON %s at %q", te.Value, te.Field)
	}
	return errors.New("not valid JSON")
}

// Fetch asks api for Docker credentials: GET /v2/registry/docker-credentials
// (the account's registry) when registry is empty, else GET
// /v2/registries/{registry}/docker-credentials, with expiry_seconds (nil:
// never expires) and read_write always sent. It returns the body of a 2xx
// answer, at most limit bytes, or the Failure of any other answer.
func Fetch(ctx context.Context, api gen.ClientInterface, registry string, expiry *int, readWrite bool, limit int64) ([]byte, *transport.Failure, error) {
	var resp *http.Response
	var err error
	if registry == "" {
		// The deprecated single-registry endpoint: still how accounts with
		// one registry get credentials.
		//lint:ignore SA1019 the account's registry has no other credentials endpoint
		resp, err = api.RegistryGetDockerCredentials(ctx, &gen.RegistryGetDockerCredentialsParams{ExpirySeconds: expiry, ReadWrite: &readWrite})
	} else {
		resp, err = api.RegistriesGetDockerCredentials(ctx, registry, &gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: expiry, ReadWrite: &readWrite})
	}
	if err != nil {
		return nil, nil, err
	}
	body, err := transport.ReadAtMost(resp.Body, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("docr: reading docker credentials: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, transport.Describe(resp, body), nil
	}
	return body, nil, nil
}
