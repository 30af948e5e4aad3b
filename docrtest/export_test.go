package docrtest

import "github.com/docr-dev/docr/docrtest/internal/server"

// WithStrictMiddleware wraps the generated strict handler, so that the tests
// can plant handler output that violates the spec.
func WithStrictMiddleware(mw server.StrictMiddlewareFunc) Option {
	return func(c *config) error {
		c.strictMiddlewares = append(c.strictMiddlewares, mw)
		return nil
	}
}
