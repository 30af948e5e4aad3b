package transport

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := testEpoch
	cases := []struct {
		in   string
		d    time.Duration
		ok   bool
		name string
	}{
		{"0", 0, true, "zero"},
		{" 120 ", 2 * time.Minute, true, "seconds"},
		{"99999999999999999999999", time.Duration(1<<63 - 1), true, "huge"},
		{"9223372037", time.Duration(1<<63 - 1), true, "overflowing seconds"},
		{"9223372036", 9223372036 * time.Second, true, "largest seconds"},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true, "date"},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true, "past date"},
		{"Sun, 06 Nov 1994 08:49:37 GMT", 0, true, "old date"},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 0, true, "RFC 850 date"},
		{"", 0, false, "empty"},
		{"-5", 0, false, "negative"},
		{"1.5", 0, false, "fraction"},
		{"soon", 0, false, "word"},
	}
	for _, tc := range cases {
		d, ok := ParseRetryAfter(tc.in, now)
		if d != tc.d || ok != tc.ok {
			t.Errorf("%s: ParseRetryAfter(%q) = %v, %t; want %v, %t", tc.name, tc.in, d, ok, tc.d, tc.ok)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	cases := []struct {
		h  http.Header
		rl RateLimit
		ok bool
	}{
		{h(), RateLimit{}, false},
		{h("ratelimit-limit", "5000", "ratelimit-remaining", "4816", "ratelimit-reset", "1444931833"), RateLimit{5000, 4816, time.Unix(1444931833, 0)}, true},
		{h("RateLimit-Remaining", " 7 "), RateLimit{Remaining: 7}, true},
		{h("ratelimit-limit", "x", "ratelimit-remaining", "-1", "ratelimit-reset", "1e9"), RateLimit{}, false},
		{h("ratelimit-limit", "99999999999", "ratelimit-reset", "999999999999999"), RateLimit{}, false},
	}
	for i, tc := range cases {
		rl, ok := ParseRateLimit(tc.h)
		if ok != tc.ok || rl.Limit != tc.rl.Limit || rl.Remaining != tc.rl.Remaining || !rl.Reset.Equal(tc.rl.Reset) {
			t.Errorf("%d: ParseRateLimit = %+v %t, want %+v %t", i, rl, ok, tc.rl, tc.ok)
		}
	}
}
