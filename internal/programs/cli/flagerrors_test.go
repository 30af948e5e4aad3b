package cli

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// TestParseFlagsNeverQuotesValues (issue 22, item 11): for every kind of
// flag the flag package knows, a refused value is reported by the flag's
// name and what it wants, never by the value; an unknown flag is named only
// when it looks like a flag name. The flags keep working: good values are
// set, a bool flag still takes no value, and the usage text still names
// each flag's type.
func TestParseFlagsNeverQuotesValues(t *testing.T) {
	t.Parallel()
	const secret = "dop_v1_00112233445566778899aabbccddeeff"
	newSet := func() (*flag.FlagSet, *time.Duration, *bool) {
		fs := flag.NewFlagSet("docr test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		d := fs.Duration("timeout", time.Second, "timeout")
		fs.Int("count", 0, "count")
		fs.Int64("expiry-seconds", 0, "expiry")
		fs.Uint("size", 0, "size")
		fs.Float64("ratio", 0, "ratio")
		b := fs.Bool("read-only", false, "read-only")
		fs.String("name", "", "name")
		return fs, d, b
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", secret}, "invalid value for --timeout: want a duration such as 30s or 2m (the value is not repeated"},
		{[]string{"--count=" + secret}, "invalid value for --count: want a whole number"},
		{[]string{"--expiry-seconds", secret}, "invalid value for --expiry-seconds: want a whole number"},
		{[]string{"--size", secret}, "invalid value for --size: want a whole number"},
		{[]string{"--ratio", secret}, "invalid value for --ratio: want a number"},
		{[]string{"--read-only=" + secret}, "invalid value for --read-only: want true or false"},
		{[]string{"--" + secret}, "unknown flag (not shown: it does not look like a flag name)"},
		{[]string{"-" + secret + "=x"}, "unknown flag (not shown"},
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"---" + secret}, "a malformed flag (not repeated"},
		{[]string{"--name"}, "--name needs a value"},
	}
	for _, tt := range tests {
		fs, _, _ := newSet()
		err := parseFlags(fs, tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.args, err, tt.want)
			continue
		}
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(err.Error(), secret[i:i+8]) {
				t.Errorf("%q: the error holds %q of the value: %v", tt.args, secret[i:i+8], err)
				break
			}
		}
	}

	fs, d, b := newSet()
	if err := parseFlags(fs, []string{"--timeout", "2m", "--read-only", "rest"}); err != nil || *d != 2*time.Minute || !*b || strings.Join(fs.Args(), " ") != "rest" {
		t.Errorf("good flags: err %v, timeout %v, read-only %v, args %q", err, *d, *b, fs.Args())
	}
	var usage bytes.Buffer
	commandUsage(&usage, &command{name: "test", summary: "test"}, fs)
	for _, want := range []string{"--count int", "--expiry-seconds int", "--name string", "--ratio float", "--read-only ", "--size uint"} {
		if !strings.Contains(usage.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, usage.String())
		}
	}
	if err := parseFlags(fs, nil); err != nil {
		t.Errorf("parsing again with guarded flags: %v", err)
	}
}
