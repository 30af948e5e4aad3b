package transport

import "testing"

func TestCleartext(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"http://api.example.com/v2":  "api.example.com",
		"http://10.0.0.1:8080":       "10.0.0.1",
		"https://api.example.com":    "",
		"http://127.0.0.1:8080":      "",
		"http://127.0.0.2":           "",
		"http://[::1]:1":             "",
		"http://LocalHost:80":        "",
		"http://localhost.evil.test": "localhost.evil.test",
		"not a url %zz":              "",
	} {
		host, ok := Cleartext(raw)
		if host != want || ok != (want != "") {
			t.Errorf("Cleartext(%q) = %q, %t; want %q", raw, host, ok, want)
		}
	}
}
