package transport

import (
	"net/http"
	"testing"
)

func TestAuthTransportOrigins(t *testing.T) {
	t.Parallel()
	var got http.Header
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Header.Clone()
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	at := &authTransport{base: base, token: testToken, api: OriginOf(mustURL("https://API.digitalocean.com")), userAgent: "ua/1"}
	cases := []struct {
		url  string
		auth bool
	}{
		{"https://api.digitalocean.com/v2/x", true},
		{"https://api.digitalocean.com:443/v2/x", true},
		{"https://Api.DigitalOcean.com/v2/x", true},
		{"http://api.digitalocean.com/v2/x", false},
		{"https://api.digitalocean.com:8443/v2/x", false},
		{"https://cloud.digitalocean.com/v1/oauth/revoke", false},
		{"https://evil.api.digitalocean.com/v2/x", false},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		req.Header.Set("Authorization", "Bearer caller")
		if _, err := at.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if a := got.Get("Authorization"); (a == "Bearer "+testToken) != tc.auth || (!tc.auth && a != "") {
			t.Errorf("%s: Authorization = %q", tc.url, a)
		}
		if got.Get("User-Agent") != "ua/1" {
			t.Errorf("User-Agent = %q", got.Get("User-Agent"))
		}
		if req.Header.Get("Authorization") != "Bearer caller" || req.Header.Get("User-Agent") != "" {
			t.Errorf("caller's request modified: %v", req.Header)
		}
	}
	// A request whose redirect chain passed through another host.
	prev, _ := http.NewRequest(http.MethodGet, "https://evil.example/", nil)
	req, _ := http.NewRequest(http.MethodGet, "https://api.digitalocean.com/v2/x", nil)
	req.Response = &http.Response{Request: prev}
	if _, err := at.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if a := got.Get("Authorization"); a != "" {
		t.Errorf("after off-origin hop: Authorization = %q", a)
	}
	// A caller-set User-Agent is kept.
	req, _ = http.NewRequest(http.MethodGet, "https://api.digitalocean.com/v2/x", nil)
	req.Header.Set("User-Agent", "mine")
	_, _ = at.RoundTrip(req)
	if got.Get("User-Agent") != "mine" {
		t.Errorf("User-Agent = %q", got.Get("User-Agent"))
	}
	if OriginOf(nil) != (Origin{}) {
		t.Error("OriginOf(nil)")
	}
}

// The base transport: WithTransport's, else the HTTPClient's, else
// http.DefaultTransport.
func TestSettingsBase(t *testing.T) {
	t.Parallel()
	mine, theirs := &http.Transport{}, &http.Transport{}
	cases := []struct {
		s    Settings
		want http.RoundTripper
	}{
		{Settings{}, http.DefaultTransport},
		{Settings{HTTPClient: &http.Client{}}, http.DefaultTransport},
		{Settings{HTTPClient: &http.Client{Transport: theirs}}, theirs},
		{Settings{HTTPClient: &http.Client{Transport: theirs}, Transport: mine}, mine},
	}
	for i, tc := range cases {
		d := tc.s.NewDoer(testToken, 1, nil)
		if got := d.Client.Transport.(*authTransport).base; got != tc.want {
			t.Errorf("%d: base %v, want %v", i, got, tc.want)
		}
		if got := tc.s.PlainClient().Transport.(*uaTransport).base; got != tc.want {
			t.Errorf("%d: plain base %v, want %v", i, got, tc.want)
		}
	}
}
