// Package renewal is the engine of facade.Source: it keeps one credential
// that expires, serves it until a window before it expires, and otherwise
// loads a fresh one from a cache or mints one, under the cache's lock, and
// stores what it mints. One refresh runs at a time; callers that arrive
// meanwhile wait for it (or for their context) and share its result.
//
// It knows nothing of what it keeps: the facade says how to mint, check,
// date and revoke its credentials.
package renewal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Cache has the method set of facade.Cache for T = *facade.Credentials.
type Cache[T any] interface {
	Load(ctx context.Context, key string) (T, error)
	Store(ctx context.Context, key string, v T) error
}

// Locker has the method set of facade.Locker.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// Config says what a Keeper keeps and how.
type Config[T any] struct {
	Key         string
	Cache       Cache[T] // nil: memory only
	Locker      Locker   // nil: no lock around load, mint and store
	RenewBefore time.Duration
	Now         func() time.Time
	// Opens reports whether v (possibly the zero T) is a credential for
	// the host served.
	Opens func(v T) bool
	// Expiry is when v expires; the zero time (never) is never served.
	Expiry func(v T) time.Time
	// Mint makes a new credential.
	Mint func(ctx context.Context) (T, error)
	// Check refuses a minted credential (which is then revoked).
	Check func(v T) error
	// Revoke revokes v and returns what failed.
	Revoke func(ctx context.Context, v T) []error
	// KeepUnstored says what happens when Cache.Store fails: false revokes
	// the new credential and returns the error; true logs a warning on Log
	// and serves it all the same.
	KeepUnstored bool
	Log          *slog.Logger
}

// Keeper keeps a credential; it is safe for concurrent use.
type Keeper[T any] struct {
	c   Config[T]
	sem chan struct{} // one refresh at a time; a channel so waiting honours ctx
	cur T
}

// New returns a Keeper with nothing kept yet.
func New[T any](c Config[T]) *Keeper[T] {
	return &Keeper[T]{c: c, sem: make(chan struct{}, 1)}
}

// RevokeTimeout bounds the revocation of a credential that is discarded,
// which runs on a context of its own (the caller's may be cancelled).
const RevokeTimeout = 15 * time.Second

// Get returns the current credential, or loads or mints a new one when
// there is none or it expires within RenewBefore. A mint that fails
// returns the error and leaves the current credential in place.
func (k *Keeper[T]) Get(ctx context.Context) (T, error) {
	var zero T
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
	defer func() { <-k.sem }()
	if k.fresh(k.cur) {
		return k.cur, nil
	}
	if k.c.Locker != nil {
		unlock, err := k.c.Locker.Lock(ctx, k.c.Key)
		if err != nil {
			return zero, fmt.Errorf("docr: credential cache: %w", err)
		}
		defer unlock()
	}
	if k.c.Cache != nil {
		cached, err := k.c.Cache.Load(ctx, k.c.Key)
		if err != nil {
			return zero, fmt.Errorf("docr: credential cache: %w", err)
		}
		if k.fresh(cached) {
			k.cur = cached
			return cached, nil
		}
	}
	v, err := k.c.Mint(ctx)
	if err != nil {
		return zero, err
	}
	if err := k.c.Check(v); err != nil {
		return zero, k.discard(ctx, v, err)
	}
	if k.c.Cache != nil {
		if err := k.c.Cache.Store(ctx, k.c.Key, v); err != nil {
			if !k.c.KeepUnstored {
				return zero, k.discard(ctx, v, fmt.Errorf("docr: credential cache: %w", err))
			}
			k.c.Log.Warn("docr: could not cache the minted credential; it is used all the same and expires on its own",
				slog.String("error", err.Error()), slog.Time("expires_at", k.c.Expiry(v)))
		}
	}
	k.cur = v
	return v, nil
}

// fresh reports whether v can be served: it opens the host and does not
// expire within the renewal window.
func (k *Keeper[T]) fresh(v T) bool {
	if !k.c.Opens(v) {
		return false
	}
	exp := k.c.Expiry(v)
	return !exp.IsZero() && exp.Sub(k.c.Now()) > k.c.RenewBefore
}

// discard revokes v, on a fresh bounded context, and returns cause with
// what revocation did.
func (k *Keeper[T]) discard(ctx context.Context, v T, cause error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RevokeTimeout)
	defer cancel()
	if errs := k.c.Revoke(rctx, v); len(errs) > 0 {
		return fmt.Errorf("%w; revoking the minted credential failed too: %w", cause, errors.Join(errs...))
	}
	return fmt.Errorf("%w (the minted credential was revoked)", cause)
}

// Key names what a source mints: host, registry ("" for the account's),
// access and a fingerprint of the API origin ("scheme://host:port") and
// token (never the token), so that a cache shared by several accounts,
// tokens or API endpoints never serves one's credentials to another.
func Key(host, registry string, readWrite bool, origin, token string) string {
	mode := "ro"
	if registry == "" {
		registry = "(account)"
	}
	if readWrite {
		mode = "rw"
	}
	sum := sha256.Sum256([]byte("docr source v1\x00" + origin + "\x00" + token))
	return host + " " + registry + " " + mode + " " + hex.EncodeToString(sum[:16])
}

// Key is the key the credentials are kept under in the Cache.
func (k *Keeper[T]) Key() string { return k.c.Key }
