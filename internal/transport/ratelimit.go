package transport

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimit has the fields of facade.RateLimit (which converts to it).
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
}

// ParseRateLimit reads the ratelimit-* headers. ok is false when none of
// them holds a valid non-negative integer; invalid ones are ignored. The
// names are given in canonical form so that the lookups do not allocate.
func ParseRateLimit(h http.Header) (rl RateLimit, ok bool) {
	if v, good := headerInt(h, "Ratelimit-Limit"); good && v <= math.MaxInt32 {
		rl.Limit, ok = int(v), true
	}
	if v, good := headerInt(h, "Ratelimit-Remaining"); good && v <= math.MaxInt32 {
		rl.Remaining, ok = int(v), true
	}
	// Reset is Unix epoch seconds; refuse values beyond year 9999 so that
	// time arithmetic on it cannot overflow.
	if v, good := headerInt(h, "Ratelimit-Reset"); good && v <= 253402300799 {
		rl.Reset, ok = time.Unix(v, 0), true
	}
	return rl, ok
}

// headerInt reads the first value of the header with the canonical name.
func headerInt(h http.Header, name string) (int64, bool) {
	var v string
	if vs := h[name]; len(vs) > 0 {
		v = strings.TrimSpace(vs[0])
	}
	if v == "" || !allDigits(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ParseRetryAfter interprets a Retry-After header value (RFC 9110 §10.2.3):
// either a number of seconds or an HTTP date, which is turned into a delay
// relative to now (a date in the past gives 0). ok is false when v is
// neither. Absurdly large second counts saturate at the largest Duration.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if allDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(math.MaxInt64/time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}
