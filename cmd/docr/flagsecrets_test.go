//go:build unix

package main_test

import (
	"path/filepath"
	"testing"
)

// TestFlagValuesNeverEchoed (issue 22, item 11): a token typed where a flag
// value, a flag or a word was expected is never repeated by an error: for
// every flag of every command (and the token-file variable, unknown flags,
// malformed flags and stray words), docr names the flag that is wrong and
// why, and neither stderr nor stdout holds any 8-byte piece of the value.
// The credential helper's action word is left to the helper's own package.
func TestFlagValuesNeverEchoed(t *testing.T) {
	t.Parallel()
	s := secretLike(t)
	tests := []struct {
		name string
		args []string
		env  []string // extra environment: key, value, ...
		code int
		want string // names the flag and says why
		// stdoutMayName: the value is a directory docr was asked to use
		// (--config): stdout may name it, stderr may not.
		stdoutMayName bool
	}{
		// Global flags, before and after the command.
		{"--token-file before", []string{"--token-file", s, "login"}, nil, 1, "--token-file: cannot open the file: no such file or directory (the path is not repeated, in case it is a token", false},
		{"--token-file after", []string{"docker-config", "--token-file=" + s}, nil, 1, "--token-file: cannot open the file", false},
		{"$DOCR_TOKEN_FILE", []string{"login"}, []string{"DOCR_TOKEN_FILE", s}, 1, "$DOCR_TOKEN_FILE: cannot open the file", false},
		{"--timeout", []string{"--timeout", s, "login"}, nil, 2, "invalid value for --timeout: want a duration such as 30s or 2m", false},
		{"--timeout after", []string{"logout", "--timeout=" + s}, nil, 2, "invalid value for --timeout", false},
		{"--api-url", []string{"--api-url", s, "docker-config"}, nil, 2, "--api-url must be an absolute http or https URL", false},
		{"--token missing its value", []string{"login", "--token"}, nil, 2, "--token needs a value", false},
		{"unknown flag", []string{"--" + s, "login"}, nil, 2, "unknown flag (not shown: it does not look like a flag name)", false},
		{"unknown flag after", []string{"login", "--" + s}, nil, 2, "unknown flag (not shown", false},
		{"unknown flag with a value", []string{"login", "--" + s + "=x"}, nil, 2, "unknown flag (not shown", false},
		{"unknown single-dash flag", []string{"kubernetes-manifest", "-" + s}, nil, 2, "unknown flag (not shown", false},
		{"malformed flag", []string{"logout", "---" + s}, nil, 2, "a malformed flag (not repeated", false},
		{"stray word", []string{"login", s}, nil, 2, "unexpected argument (not shown", false},
		{"unknown command", []string{s}, nil, 2, "unknown command (not shown", false},
		{"help for an unknown command", []string{"help", s}, nil, 2, "unknown command (not shown", false},

		// login
		{"login --registry", []string{"login", "--registry", s}, nil, 2, "--registry: registry name has '_'", false},
		{"login --read-only", []string{"login", "--read-only=" + s}, nil, 2, "invalid value for --read-only: want true or false", false},
		{"login --never-expire", []string{"login", "--never-expire=" + s}, nil, 2, "invalid value for --never-expire: want true or false", false},
		{"login --helper", []string{"login", "--helper=" + s}, nil, 2, "invalid value for --helper: want true or false", false},
		{"login --expiry-seconds", []string{"login", "--expiry-seconds", s}, nil, 2, "invalid value for --expiry-seconds: want a whole number", false},
		{"login --config", []string{"login", "--config", s}, nil, 0, "", true},

		// logout
		{"logout --revoke-url", []string{"logout", "--revoke-url", s}, nil, 2, "--revoke-url must be an absolute http or https URL", false},
		{"logout --no-revoke", []string{"logout", "--no-revoke=" + s}, nil, 2, "invalid value for --no-revoke: want true or false", false},
		{"logout --registry", []string{"logout", "--registry", s}, nil, 2, "--registry: registry name has '_'", false},
		{"logout --config", []string{"logout", "--config", s + "-logout"}, nil, 0, "", true},

		// docker-config
		{"docker-config --read-write", []string{"docker-config", "--read-write=" + s}, nil, 2, "invalid value for --read-write: want true or false", false},
		{"docker-config --expiry-seconds", []string{"docker-config", "--expiry-seconds=" + s}, nil, 2, "invalid value for --expiry-seconds: want a whole number", false},
		{"docker-config --never-expire", []string{"docker-config", "--never-expire=" + s}, nil, 2, "invalid value for --never-expire", false},
		{"docker-config --registry", []string{"docker-config", "--registry", s}, nil, 2, "--registry: registry name has '_'", false},

		// kubernetes-manifest
		{"kubernetes-manifest --name", []string{"kubernetes-manifest", "--name", s}, nil, 2, "--name must be a DNS-1123 subdomain", false},
		{"kubernetes-manifest --namespace", []string{"kubernetes-manifest", "--namespace", s}, nil, 2, "--namespace must be a DNS-1123 label", false},
		{"kubernetes-manifest --output", []string{"kubernetes-manifest", "--output", s}, nil, 2, "--output must be yaml or json (the value given is not repeated", false},
		{"kubernetes-manifest --dosecret-annotation", []string{"kubernetes-manifest", "--dosecret-annotation=" + s}, nil, 2, "invalid value for --dosecret-annotation: want true or false", false},
		{"kubernetes-manifest --expiry-seconds", []string{"kubernetes-manifest", "--expiry-seconds", s}, nil, 2, "invalid value for --expiry-seconds", false},
		{"kubernetes-manifest --registry", []string{"kubernetes-manifest", "--registry", s}, nil, 2, "--registry: registry name has '_'", false},

		// fake-api (the flag errors only: with good values it serves until
		// interrupted)
		{"fake-api --addr", []string{"fake-api", "--addr", s}, nil, 1, "address (--addr): missing port in address", false},
		{"fake-api --storage-cap", []string{"fake-api", "--storage-cap", s}, nil, 2, "--storage-cap: want a positive byte count", false},
		{"fake-api --rate-limit", []string{"fake-api", "--rate-limit", s}, nil, 2, "invalid value for --rate-limit: want a whole number", false},
		{"fake-api --request-log", []string{"fake-api", "--request-log=" + s}, nil, 2, "invalid value for --request-log: want a whole number", false},
		{"fake-api --registry-host", []string{"fake-api", "--addr", "127.0.0.1:0", "--registry-host", s + "/x"}, nil, 1, "invalid registry host", false},
		{"fake-api --storage-dir", []string{"fake-api", "--addr", "127.0.0.1:0", "--storage-dir", "STORAGE-DIR"}, nil, 1, "storage directory", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.set(tt.env...)
			args := tt.args
			for i, a := range args {
				if a == "STORAGE-DIR" {
					// A file where the fake wants a directory.
					p := filepath.Join(h.home, s)
					writeFile(t, p, "")
					args = append(append([]string{}, args[:i]...), append([]string{p}, args[i+1:]...)...)
				}
			}
			r := h.docr(args...)
			if tt.code == 0 {
				ok(t, r)
			} else {
				fails(t, r, tt.code, tt.want)
			}
			if piece, found := holdsPartOf(r.stderr, s); found {
				t.Errorf("stderr holds %q of the value:\n%v", piece, r)
			}
			if piece, found := holdsPartOf(r.stdout, s); found && !tt.stdoutMayName {
				t.Errorf("stdout holds %q of the value:\n%v", piece, r)
			}
		})
	}
}
