package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/docr-dev/docr/gen"
)

// Doer sits between the generated client and the *http.Client (it is a
// gen.HttpRequestDoer): it retries, records rate limits, bounds and drains
// response bodies, bounds each attempt in time and redacts errors.
//
// Timeout bounds each attempt (its redirects and the reading of its body
// included) with a context deadline rather than http.Client.Timeout, for
// which net/http sets up its own timer, goroutine and context on every
// request; the deadline is released when the body is read to the end or
// closed. 0 means no per-attempt bound.
type Doer struct {
	Client  *http.Client
	Policy  RetryPolicy
	Clock   Clock
	MaxBody int64         // success bodies; longer ones fail with ErrResponseTooLarge
	Timeout time.Duration // per attempt
	Secrets []string      // removed from every error
	// API is the origin whose ratelimit-* headers [Doer.RateLimit] reports.
	API Origin
	// AsError turns a Failure into the error Do returns when an error
	// body claims to be JSON but is no error document.
	AsError func(*Failure) error

	mu        sync.Mutex
	rateLimit RateLimit
}

// RateLimit returns the ratelimit-* values of the most recent response
// from the API origin that carried them (zero before any).
func (d *Doer) RateLimit() RateLimit {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rateLimit
}

func (d *Doer) observe(resp *http.Response) {
	if resp.Request != nil && OriginOf(resp.Request.URL) != d.API {
		return
	}
	if rl, ok := ParseRateLimit(resp.Header); ok {
		d.mu.Lock()
		d.rateLimit = rl
		d.mu.Unlock()
	}
}

// transientError reports whether a transport error may go away on retry.
func transientError(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrResponseTooLarge),
		errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &he), errors.As(err, &cie):
		return false
	}
	return true
}

// Do implements gen.HttpRequestDoer.
func (d *Doer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	retry := replayable && retryableMethod(req.Method, d.Policy.RetryPOST)
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(nil)
		if d.Timeout > 0 {
			actx, cancel = d.Clock.withTimeout(ctx, d.Timeout)
		}
		r := req
		if attempt > 1 {
			r = req.Clone(actx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					release(cancel)
					return nil, fmt.Errorf("docr: rewinding request body for retry: %w", err)
				}
				r.Body = body
			}
		} else if cancel != nil {
			r = req.WithContext(actx)
		}
		resp, err := d.Client.Do(r)
		if err != nil {
			release(cancel)
			err = RedactError(err, d.Secrets...)
			if ctx.Err() != nil || !retry || attempt >= d.Policy.MaxAttempts || !transientError(err) {
				if attempt > 1 {
					err = fmt.Errorf("docr: giving up after %d attempts: %w", attempt, err)
				}
				return nil, err
			}
			if werr := d.Clock.Sleep(ctx, d.Policy.backoff(attempt, d.Clock.Jitter)); werr != nil {
				return nil, interrupted(req, attempt, werr)
			}
			continue
		}
		d.observe(resp)
		if retry && attempt < d.Policy.MaxAttempts && retryableStatus(resp.StatusCode) {
			if wait, ok := d.wait(resp, attempt); ok {
				Discard(resp.Body)
				release(cancel)
				if werr := d.Clock.Sleep(ctx, wait); werr != nil {
					return nil, interrupted(req, attempt, werr)
				}
				continue
			}
		}
		return d.finish(resp, attempt, cancel)
	}
}

// release calls cancel unless it is nil.
func release(cancel context.CancelFunc) {
	if cancel != nil {
		cancel()
	}
}

// wait is the delay before retrying after resp; ok is false when the server
// asks for a longer wait than the policy allows.
func (d *Doer) wait(resp *http.Response, attempt int) (time.Duration, bool) {
	now := d.Clock.Now()
	if v := resp.Header.Get("Retry-After"); v != "" {
		if w, ok := ParseRetryAfter(v, now); ok {
			return w, w <= d.Policy.MaxDelay
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if rl, ok := ParseRateLimit(resp.Header); ok && !rl.Reset.IsZero() {
			if w := rl.Reset.Sub(now); w > 0 && w <= d.Policy.MaxDelay {
				return w, true
			}
		}
	}
	return d.Policy.backoff(attempt, d.Clock.Jitter), true
}

func interrupted(req *http.Request, attempts int, err error) error {
	return &url.Error{
		Op:  urlOp(req.Method),
		URL: RedactURL(req.URL.String()),
		Err: fmt.Errorf("docr: retry wait interrupted after %d attempt(s): %w", attempts, err),
	}
}

// urlOp mimics net/http's Op of *url.Error ("Get", "Post", ...).
func urlOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// finish wraps the body of the response handed to the generated client.
// Success bodies are bounded by MaxBody. Error bodies are read (bounded),
// drained and closed at once and replaced by the buffered bytes. When an
// error body claims to be JSON but is not an error document, the generated
// parser would fail with a bare JSON error and lose the status, so Do
// returns AsError of its Failure instead. cancel (may be nil) ends the
// attempt's deadline: once an error body is buffered, or when a success
// body is read to the end or closed.
func (d *Doer) finish(resp *http.Response, attempts int, cancel context.CancelFunc) (*http.Response, error) {
	rb := &responseBody{attempts: attempts, secrets: d.Secrets}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		rb.r, rb.c, rb.remaining, rb.cancel = resp.Body, resp.Body, d.MaxBody, cancel
		resp.Body = rb
		return resp, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, ErrorBodyRead))
	Discard(resp.Body)
	release(cancel)
	if err != nil {
		data = nil
	}
	rb.r, rb.remaining = bytes.NewReader(data), -1
	resp.Body = rb
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		var e gen.Error
		if json.Unmarshal(data, &e) != nil {
			return nil, d.AsError(Describe(resp, data))
		}
	}
	return resp, nil
}
