package transport

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/docr-dev/docr/gen"
)

func TestRedactHelpers(t *testing.T) {
	t.Parallel()
	if got := RedactURL("https://u:p@h:8/a%2Fb?q=secret#f"); got != "https://h:8/a%2Fb" {
		t.Errorf("RedactURL = %q", got)
	}
	if got := RedactURL("%zz"); got != Redacted {
		t.Errorf("RedactURL(bad) = %q", got)
	}
	if RedactError(nil) != nil {
		t.Error("RedactError(nil) != nil")
	}
	inner := errors.New("inner " + testToken)
	err := RedactError(&url.Error{Op: "Get", URL: "https://h/p?token=x", Err: inner}, testToken)
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "token=x") || !errors.Is(err, inner) {
		t.Errorf("RedactError = %q", err)
	}
	plain := errors.New("plain")
	if RedactError(plain, "") != plain {
		t.Error("RedactError changed a clean error")
	}
	f := &Failure{Message: "a"}
	f.scrub([]string{""})
	if f.Message != "a" {
		t.Error("scrub of empty secret")
	}
}

// Describe reads the API's error document, else an OAuth one, the request
// id from the header when the body has none, the rate limit and
// Retry-After, keeps at most MaxErrorBody bytes and scrubs the secrets of
// the response body a Doer handed out.
func TestDescribe(t *testing.T) {
	t.Parallel()
	req := &http.Request{Method: "GET", URL: mustURL("https://h/v2/registries/" + testToken + "/x?q=1")}
	hdr := http.Header{"X-Request-Id": {"hdr-id"}, "Ratelimit-Remaining": {"3"}, "Retry-After": {"7"}}
	cases := []struct {
		name, body   string
		body2        *responseBody
		id, msg, rid string
		attempts     int
		wantBody     string
	}{
		{"api", `{"id":"not_found","message":"nope","request_id":"r1"}`, nil, "not_found", "nope", "r1", 1, `{"id":"not_found","message":"nope","request_id":"r1"}`},
		{"oauth", `{"error":"invalid_token","error_description":"bad ` + testToken + `"}`, &responseBody{attempts: 3, secrets: []string{testToken}},
			"invalid_token", "bad " + Redacted, "hdr-id", 3, `{"error":"invalid_token","error_description":"bad ` + Redacted + `"}`},
		{"not json", strings.Repeat("x", MaxErrorBody+5), nil, "", "", "hdr-id", 1, strings.Repeat("x", MaxErrorBody)},
	}
	for _, tc := range cases {
		resp := &http.Response{StatusCode: 401, Header: hdr, Request: req}
		if tc.body2 != nil {
			resp.Body = tc.body2
		}
		f := Describe(resp, []byte(tc.body))
		if f.StatusCode != 401 || f.Method != "GET" || f.ID != tc.id || f.Message != tc.msg || f.RequestID != tc.rid ||
			f.Attempts != tc.attempts || string(f.Body) != tc.wantBody || f.RateLimit != (RateLimit{Remaining: 3}) || f.RetryAfter != 7e9 {
			t.Errorf("%s: %+v", tc.name, f)
		}
		wantPath := "/v2/registries/" + testToken + "/x"
		if tc.body2 != nil {
			wantPath = "/v2/registries/" + Redacted + "/x"
		}
		if f.Path != wantPath {
			t.Errorf("%s: path %q, want %q", tc.name, f.Path, wantPath)
		}
	}
}

func TestHTTPResponseOf(t *testing.T) {
	t.Parallel()
	hr := &http.Response{}
	cases := []struct {
		v    any
		want *http.Response
	}{
		{(*gen.RegistriesGetResponse)(nil), nil},
		{gen.RegistriesGetResponse{HTTPResponse: hr}, hr},
		{&gen.RegistriesGetResponse{HTTPResponse: hr}, hr},
		{struct{ X int }{}, nil},
		{struct{ HTTPResponse int }{}, nil},
		{5, nil},
	}
	for i, tc := range cases {
		if got := httpResponseOf(reflect.ValueOf(tc.v)); got != tc.want {
			t.Errorf("%d: httpResponseOf(%T) = %v", i, tc.v, got)
		}
	}
}
