package facade

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/docr-dev/docr/gen"
)

// RetryPolicy says how docr retries a failed request. A request is retried
// on 429, 500, 502, 503 and 504 answers and on transport errors, if its
// method is idempotent (GET, HEAD, DELETE, PUT; also OPTIONS and TRACE) or
// it is a POST and RetryPOST is set, and if its body can be sent again.
//
// The wait before a retry is, in order of preference: the Retry-After header
// (seconds or HTTP date); for 429, the ratelimit-reset header when it is
// sooner than MaxDelay; else exponential backoff from BaseDelay with jitter.
// No single wait is longer than MaxDelay: when Retry-After asks for more,
// docr does not retry and returns the error at once. A cancelled context
// stops the wait immediately.
//
// Zero fields take the defaults (4 attempts, 250ms, 15s). Use MaxAttempts 1
// to disable retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	MaxAttempts int
	// BaseDelay is the first backoff delay; each retry doubles it.
	BaseDelay time.Duration
	// MaxDelay caps every single wait.
	MaxDelay time.Duration
	// RetryPOST allows retrying POST requests, which might not be
	// idempotent; off by default.
	RetryPOST bool
}

// Default retry settings.
const (
	// DefaultMaxAttempts is the number of attempts, the first included.
	DefaultMaxAttempts = 4
	// DefaultBaseDelay is the first backoff delay.
	DefaultBaseDelay = 250 * time.Millisecond
	// DefaultMaxDelay caps every wait between attempts.
	DefaultMaxDelay = 15 * time.Second
)

func (p RetryPolicy) validate() (RetryPolicy, error) {
	if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 {
		return p, errors.New("docr: WithRetry: negative MaxAttempts, BaseDelay or MaxDelay")
	}
	if p.MaxAttempts > 100 {
		return p, errors.New("docr: WithRetry: MaxAttempts above 100")
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(DefaultMaxDelay, p.BaseDelay)
	}
	if p.BaseDelay > p.MaxDelay {
		return p, errors.New("docr: WithRetry: BaseDelay above MaxDelay")
	}
	return p, nil
}

// backoff is the wait after the given failed attempt (1-based):
// BaseDelay·2^(attempt-1), capped at MaxDelay, with "equal jitter" (half
// fixed, half random).
func (p RetryPolicy) backoff(attempt int, jitter func(time.Duration) time.Duration) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d/2 + jitter(d-d/2)
}

func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// clock is what the retry logic needs from time; tests replace it.
type clock struct {
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	jitter func(time.Duration) time.Duration
	// deadline bounds one attempt (context.WithTimeout); nil means that.
	deadline func(context.Context, time.Duration) (context.Context, context.CancelFunc)
}

var realClock = clock{now: time.Now, sleep: sleepCtx, jitter: randomJitter, deadline: context.WithTimeout}

// withTimeout bounds ctx by d with the clock's deadline.
func (c clock) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if c.deadline == nil {
		return context.WithTimeout(ctx, d)
	}
	return c.deadline(ctx, d)
}

// doer sits between the generated client and the *http.Client: it retries,
// records rate limits, bounds and drains response bodies, bounds each
// attempt in time and redacts errors. The generated code calls it through
// gen.WithHTTPClient, so every API() call goes through it.
//
// timeout bounds each attempt (its redirects and the reading of its body
// included) with a context deadline rather than http.Client.Timeout, for
// which net/http sets up its own timer, goroutine and context on every
// request; the deadline is released when the body is read to the end or
// closed. 0 means no per-attempt bound.
type doer struct {
	hc       *http.Client
	policy   RetryPolicy
	clock    clock
	maxBody  int64
	timeout  time.Duration
	secrets  []string
	observed func(*http.Response)
}

func retryableMethod(method string, retryPOST bool) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodPut, http.MethodOptions, http.MethodTrace:
		return true
	case http.MethodPost:
		return retryPOST
	}
	return false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
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
	case errors.Is(err, errTooManyRedirects), errors.Is(err, ErrResponseTooLarge),
		errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &he), errors.As(err, &cie):
		return false
	}
	return true
}

// Do implements gen.HttpRequestDoer.
func (d *doer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	retry := replayable && retryableMethod(req.Method, d.policy.RetryPOST)
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(nil)
		if d.timeout > 0 {
			actx, cancel = d.clock.withTimeout(ctx, d.timeout)
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
		resp, err := d.hc.Do(r)
		if err != nil {
			release(cancel)
			err = redactError(err, d.secrets...)
			if ctx.Err() != nil || !retry || attempt >= d.policy.MaxAttempts || !transientError(err) {
				if attempt > 1 {
					err = fmt.Errorf("docr: giving up after %d attempts: %w", attempt, err)
				}
				return nil, err
			}
			if werr := d.clock.sleep(ctx, d.policy.backoff(attempt, d.clock.jitter)); werr != nil {
				return nil, interrupted(req, attempt, werr)
			}
			continue
		}
		if d.observed != nil {
			d.observed(resp)
		}
		if retry && attempt < d.policy.MaxAttempts && retryableStatus(resp.StatusCode) {
			if wait, ok := d.wait(resp, attempt); ok {
				discard(resp.Body)
				release(cancel)
				if werr := d.clock.sleep(ctx, wait); werr != nil {
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
func (d *doer) wait(resp *http.Response, attempt int) (time.Duration, bool) {
	now := d.clock.now()
	if v := resp.Header.Get("Retry-After"); v != "" {
		if w, ok := ParseRetryAfter(v, now); ok {
			return w, w <= d.policy.MaxDelay
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if rl, ok := parseRateLimit(resp.Header); ok && !rl.Reset.IsZero() {
			if w := rl.Reset.Sub(now); w > 0 && w <= d.policy.MaxDelay {
				return w, true
			}
		}
	}
	return d.policy.backoff(attempt, d.clock.jitter), true
}

func interrupted(req *http.Request, attempts int, err error) error {
	return &url.Error{
		Op:  urlOp(req.Method),
		URL: redactURL(req.URL.String()),
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

// discard drains (bounded) and closes a body so that the connection can be
// reused.
func discard(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	_ = body.Close()
}

// finish wraps the body of the response handed to the generated client.
// Success bodies are bounded by maxBody. Error bodies are read (bounded),
// drained and closed at once and replaced by the buffered bytes. When an
// error body claims to be JSON but is not an error document, the generated
// parser would fail with a bare JSON error and lose the status, so Do
// returns the *APIError itself instead. cancel (may be nil) ends the
// attempt's deadline: once an error body is buffered, or when a success
// body is read to the end or closed.
func (d *doer) finish(resp *http.Response, attempts int, cancel context.CancelFunc) (*http.Response, error) {
	rb := &responseBody{attempts: attempts, secrets: d.secrets}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		rb.r, rb.c, rb.remaining, rb.cancel = resp.Body, resp.Body, d.maxBody, cancel
		resp.Body = rb
		return resp, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, errorBodyRead))
	discard(resp.Body)
	release(cancel)
	if err != nil {
		data = nil
	}
	rb.r, rb.remaining = bytes.NewReader(data), -1
	resp.Body = rb
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		var e gen.Error
		if json.Unmarshal(data, &e) != nil {
			return nil, newAPIError(resp, data)
		}
	}
	return resp, nil
}

// responseBody is the body of every response docr hands out; it remembers
// the attempts (for APIError.Attempts) and bounds how much can be read.
type responseBody struct {
	r         io.Reader
	c         io.Closer
	remaining int64              // bytes still allowed; -1 for no limit
	cancel    context.CancelFunc // ends the attempt's deadline; may be nil
	attempts  int
	secrets   []string
}

func (b *responseBody) Read(p []byte) (int, error) {
	n, err := b.read(p)
	if err == io.EOF {
		// The whole body is read (and net/http has put the connection back
		// in its pool): the attempt's deadline is no longer needed.
		b.release()
	}
	return n, err
}

func (b *responseBody) read(p []byte) (int, error) {
	if b.remaining < 0 {
		return b.r.Read(p)
	}
	if b.remaining == 0 {
		// Allowed bytes used up: fine if the body ends here.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.r.Read(p)
	b.remaining -= int64(n)
	return n, err
}

// release ends the attempt's deadline; like any CancelFunc it may be
// called more than once, and concurrently (Close during a Read).
func (b *responseBody) release() {
	if b.cancel != nil {
		b.cancel()
	}
}

func (b *responseBody) Close() error {
	defer b.release()
	if b.c != nil {
		return b.c.Close()
	}
	return nil
}
