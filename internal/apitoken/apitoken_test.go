package apitoken

import (
	"errors"
	"strings"
	"testing"
)

// The rules themselves are tested through facade (New, ReadTokenFile,
// ReadToken, TokenFromEnv); these are the edges of each.
func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"tok": "tok", ` "'tok'" `: "tok", "\ttok\r\n": "tok"} {
		if got, err := Normalize(in); got != want || err != nil {
			t.Errorf("Normalize(%q) = %q, %v", in, got, err)
		}
	}
	for in, msg := range map[string]string{"": "empty", `""`: "empty", "a b": "whitespace", "t\u00f6k": "non-ASCII", `"tok`: "quote"} {
		if _, err := Normalize(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Normalize(%q): err = %v, want one saying %q", in, err, msg)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tok, src, err := FromEnv(env(map[string]string{"T": " ", "A": "a-tok"}), "F", "T", "A")
	if tok != "a-tok" || src != "$A" || err != nil {
		t.Errorf("FromEnv = %q, %q, %v", tok, src, err)
	}
	_, _, err = FromEnv(env(nil), "F", "T", "A")
	if !errors.Is(err, ErrNone) || err.Error() != "docr: no API token: set F, T or A" {
		t.Errorf("err = %v", err)
	}
	if _, _, err := FromEnv(env(map[string]string{"F": "/nonexistent/token"}), "F", "T", "A"); err == nil || !strings.HasPrefix(err.Error(), "$F: ") {
		t.Errorf("err = %v", err)
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	if got, err := Read(strings.NewReader(" tok \nsecond line")); got != "tok" || err != nil {
		t.Errorf("Read = %q, %v", got, err)
	}
	if _, err := Read(strings.NewReader(strings.Repeat("a", MaxLine+1))); err == nil {
		t.Error("a line over MaxLine was accepted")
	}
	if got, err := Read(strings.NewReader(strings.Repeat("a", MaxLine))); len(got) != MaxLine || err != nil {
		t.Errorf("a line of MaxLine: %d bytes, %v", len(got), err)
	}
	if _, err := Read(strings.NewReader("\n")); err == nil {
		t.Error("an empty line was accepted")
	}
}
