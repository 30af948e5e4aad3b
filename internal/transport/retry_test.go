package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBackoffJitterBounds(t *testing.T) {
	t.Parallel()
	p, _ := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.Validate()
	for attempt := 1; attempt < 70; attempt++ {
		full := min(p.BaseDelay<<min(attempt-1, 20), p.MaxDelay)
		for range 20 {
			d := p.backoff(attempt, randomJitter)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
	if randomJitter(0) != 0 || randomJitter(-1) != 0 {
		t.Error("randomJitter of non-positive")
	}
}

// Zero fields take the defaults; MaxDelay is at least BaseDelay. (The
// refusals are tested through facade.WithRetry.)
func TestValidateDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want RetryPolicy }{
		{RetryPolicy{}, RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseDelay: DefaultBaseDelay, MaxDelay: DefaultMaxDelay}},
		{RetryPolicy{BaseDelay: time.Minute}, RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseDelay: time.Minute, MaxDelay: time.Minute}},
		{RetryPolicy{MaxAttempts: 1, RetryPOST: true}, RetryPolicy{MaxAttempts: 1, BaseDelay: DefaultBaseDelay, MaxDelay: DefaultMaxDelay, RetryPOST: true}},
	}
	for _, tc := range cases {
		if got, err := tc.in.Validate(); err != nil || got != tc.want {
			t.Errorf("Validate(%+v) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestSleepCtx(t *testing.T) {
	t.Parallel()
	if err := SleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Error(err)
	}
	if err := SleepCtx(context.Background(), 0); err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SleepCtx(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
	if err := SleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
	if urlOp("") != "Get" || urlOp("DELETE") != "Delete" {
		t.Error("urlOp")
	}
	Discard(nil)
}

func TestResponseBodyLimit(t *testing.T) {
	t.Parallel()
	read := func(body string, limit int64) (string, error) {
		rb := &responseBody{r: strings.NewReader(body), c: io.NopCloser(nil), remaining: limit}
		b, err := io.ReadAll(rb)
		_ = rb.Close()
		return string(b), err
	}
	if got, err := read("12345", 5); got != "12345" || err != nil {
		t.Errorf("exact limit: %q %v", got, err)
	}
	if got, err := read("123456", 5); got != "12345" || !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("over limit: %q %v", got, err)
	}
	if got, err := read("123456", -1); got != "123456" || err != nil {
		t.Errorf("no limit: %q %v", got, err)
	}
	if (&responseBody{}).Close() != nil {
		t.Error("Close without closer")
	}
	for m, want := range map[string]bool{"GET": true, "HEAD": true, "PUT": true, "DELETE": true, "OPTIONS": true, "POST": false, "PATCH": false} {
		if retryableMethod(m, false) != want {
			t.Errorf("retryableMethod(%s)", m)
		}
	}
	if !retryableMethod("POST", true) || retryableMethod("PATCH", true) {
		t.Error("RetryPOST")
	}
}

func TestReadAtMost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body  string
		limit int64
		err   error
	}{{"12345", 5, nil}, {"123456", 5, ErrResponseTooLarge}, {"", 0, nil}} {
		got, err := ReadAtMost(io.NopCloser(strings.NewReader(tc.body)), tc.limit)
		if !errors.Is(err, tc.err) || (err == nil && string(got) != tc.body) {
			t.Errorf("ReadAtMost(%q, %d) = %q, %v", tc.body, tc.limit, got, err)
		}
	}
}

func TestRateLimitIgnoresOtherHosts(t *testing.T) {
	t.Parallel()
	d := &Doer{API: OriginOf(mustURL("https://api.digitalocean.com"))}
	d.observe(&http.Response{Header: http.Header{"Ratelimit-Limit": {"1"}}, Request: &http.Request{URL: mustURL("https://elsewhere.example/")}})
	if d.RateLimit() != (RateLimit{}) {
		t.Error("recorded another host's rate limit")
	}
	d.observe(&http.Response{Header: http.Header{"Ratelimit-Limit": {"2"}}, Request: &http.Request{URL: mustURL("https://API.digitalocean.com:443/v2/x")}})
	if d.RateLimit() != (RateLimit{Limit: 2}) {
		t.Errorf("RateLimit = %+v", d.RateLimit())
	}
}
