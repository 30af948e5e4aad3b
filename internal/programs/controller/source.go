package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/docr-dev/docr/facade"
)

// The controller gets its credentials from the library's credential
// lifecycle (issue 20: facade.Source with a pluggable facade.Cache). Until
// facade.Source is on main, newSource builds interimSource below, which has
// the same method set and the same contract; switching is one line in
// newSource (facade.NewSource(c, facade.SourceOptions(o))) and the removal
// of interimSource.

// credentialSource is the part of facade.Source the controller uses.
type credentialSource interface {
	// Credentials returns the cached credentials while they are more than
	// RenewBefore from their expiry, else mints new ones, stores them in
	// the Cache (revoking them at once if the Cache cannot keep them) and
	// returns them.
	Credentials(ctx context.Context) (*facade.Credentials, error)
	// Key is the cache key: registry, access and a fingerprint of the API
	// origin and token (never the token).
	Key() string
}

// credentialCache is facade.Cache.
type credentialCache interface {
	Load(ctx context.Context, key string) (*facade.Credentials, error)
	Store(ctx context.Context, key string, c *facade.Credentials) error
}

// sourceOptions is facade.SourceOptions (the fields the controller sets).
type sourceOptions struct {
	Request     facade.CredentialsRequest
	RenewBefore time.Duration
	Host        string
	Cache       credentialCache
	Now         func() time.Time
}

// newSource returns the credential source for one PullSecret's request.
// apiOrigin and token only feed the cache key's fingerprint.
var newSource = func(c *facade.Client, apiOrigin, token string, o sourceOptions) (credentialSource, error) {
	return newInterimSource(c, apiOrigin, token, o)
}

// interimSource stands in for facade.Source until it lands on main: it
// reuses the cached credentials until RenewBefore their expiry, else mints,
// stores and, when the store fails, revokes what it minted.
type interimSource struct {
	c   *facade.Client
	o   sourceOptions
	key string
}

func newInterimSource(c *facade.Client, apiOrigin, token string, o sourceOptions) (*interimSource, error) {
	if c == nil || o.Cache == nil || o.Now == nil {
		return nil, errors.New("docr-controller: source needs a client, a cache and a clock")
	}
	if o.Request.NeverExpire || o.Request.Expiry <= 0 {
		return nil, errors.New("docr-controller: source needs an expiry")
	}
	if o.RenewBefore <= 0 || o.RenewBefore >= o.Request.Expiry {
		return nil, errors.New("docr-controller: renewBefore must be positive and less than the expiry")
	}
	access := "read"
	if o.Request.ReadWrite {
		access = "read-write"
	}
	sum := sha256.Sum256([]byte(apiOrigin + "\x00" + token))
	return &interimSource{c: c, o: o, key: o.Request.Registry + "/" + access + "/" + hex.EncodeToString(sum[:8])}, nil
}

func (s *interimSource) Key() string { return s.key }

func (s *interimSource) Credentials(ctx context.Context) (*facade.Credentials, error) {
	cached, err := s.o.Cache.Load(ctx, s.key)
	if err != nil {
		return nil, err
	}
	now := s.o.Now()
	if cached != nil && now.Before(cached.ExpiresAt.Add(-s.o.RenewBefore)) {
		return cached, nil
	}
	creds, err := s.c.DockerCredentials(ctx, s.o.Request)
	if err != nil {
		return nil, err
	}
	// The expiry by the source's clock (the one renewal is decided by).
	creds.ExpiresAt = now.Add(s.o.Request.Expiry)
	if err := s.o.Cache.Store(ctx, s.key, creds); err != nil {
		var errs []error
		for _, p := range passwords(creds) {
			if rerr := s.c.RevokeCredential(ctx, p); rerr != nil {
				errs = append(errs, rerr)
			}
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("store the minted credential: %w (revoking it failed too: %w)", err, errors.Join(errs...))
		}
		return nil, fmt.Errorf("store the minted credential (revoked it): %w", err)
	}
	return creds, nil
}

// passwords returns the passwords of c's hosts, without repeats. Revoking
// a password revokes the credential.
func passwords(c *facade.Credentials) []string {
	var out []string
	for _, h := range c.Hosts() {
		if p := c.Config.Auths[h].Password; p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
