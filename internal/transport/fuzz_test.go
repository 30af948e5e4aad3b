package transport

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func FuzzParseRetryAfter(f *testing.F) {
	now := testEpoch
	for _, seed := range []string{"0", "120", " 5 ", "-1", "1.5", "", "soon", "99999999999999999999",
		now.Add(time.Minute).Format(http.TimeFormat), "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"} {
		f.Add(seed)
	}
	p, _ := RetryPolicy{}.Validate()
	fc := &fakeClock{}
	d := &Doer{Policy: p, Clock: fc.clock()}
	f.Fuzz(func(t *testing.T, v string) {
		w, ok := ParseRetryAfter(v, now)
		if w < 0 || (!ok && w != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %v, %t", v, w, ok)
		}
		if s := strings.TrimSpace(v); ok && allDigits(s) {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n < 1<<33 && w != time.Duration(n)*time.Second {
				t.Fatalf("ParseRetryAfter(%q) = %v", v, w)
			}
		}
		// The retry wait never exceeds the cap and is never negative.
		for _, code := range []int{429, 503} {
			resp := &http.Response{StatusCode: code, Header: http.Header{"Retry-After": {v}, "Ratelimit-Reset": {v}}}
			if wait, ok := d.wait(resp, 1); wait < 0 || (ok && wait > p.MaxDelay) {
				t.Fatalf("wait(%q) = %v, %t", v, wait, ok)
			}
		}
	})
}

func FuzzParseRateLimit(f *testing.F) {
	f.Add("5000", "4816", "1444931833")
	f.Add("", "", "")
	f.Add("-1", "x", "99999999999999999999")
	f.Add(" 1 ", "0", "253402300800")
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		h := http.Header{}
		h.Set("ratelimit-limit", limit)
		h.Set("ratelimit-remaining", remaining)
		h.Set("ratelimit-reset", reset)
		rl, ok := ParseRateLimit(h)
		if rl.Limit < 0 || rl.Remaining < 0 || (!rl.Reset.IsZero() && rl.Reset.Year() > 9999) {
			t.Fatalf("ParseRateLimit = %+v", rl)
		}
		if !ok && rl != (RateLimit{}) {
			t.Fatalf("not ok but %+v", rl)
		}
		if ok && rl == (RateLimit{}) && !allDigits(strings.TrimSpace(limit)) && !allDigits(strings.TrimSpace(remaining)) && !allDigits(strings.TrimSpace(reset)) {
			t.Fatalf("ok without a valid header")
		}
	})
}
