package kubesecret

import (
	"strconv"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		valid bool
	}{
		{"simple", "pull-secret", true},
		{"single letter", "a", true},
		{"single digit", "0", true},
		{"all digits", "123", true},
		{"dotted", "registry.example.com", true},
		{"double hyphen", "a--b", true},
		{"hyphen next to digit", "a-1.b-2", true},
		{"253 chars", strings.Repeat("a", 253), true},
		{"253 chars with dots", strings.Repeat(strings.Repeat("a", 62)+".", 4) + "a", true},
		{"254 chars", strings.Repeat("a", 254), false},
		{"empty", "", false},
		{"uppercase", "Pull-secret", false},
		{"uppercase at end", "pull-secreT", false},
		{"underscore", "pull_secret", false},
		{"leading hyphen", "-pull", false},
		{"trailing hyphen", "pull-", false},
		{"only hyphen", "-", false},
		{"leading dot", ".pull", false},
		{"trailing dot", "pull.", false},
		{"only dot", ".", false},
		{"double dot", "a..b", false},
		{"hyphen before dot", "a-.b", false},
		{"dot before hyphen", "a.-b", false},
		{"space", "pull secret", false},
		{"slash", "a/b", false},
		{"colon", "a:b", false},
		{"non-ASCII", "caf\u00e9", false},
		{"NUL", "a\x00b", false},
		{"newline", "a\nb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateName(tc.input)
			if tc.valid && err != nil {
				t.Errorf("ValidateName(%q) = %v, want nil", tc.input, err)
			}
			if !tc.valid {
				want := "kubesecret: invalid secret name " + strconv.Quote(tc.input) + ": must be " + subdomainRule
				if err == nil || err.Error() != want {
					t.Errorf("ValidateName(%q) = %v, want %q", tc.input, err, want)
				}
			}
		})
	}
}

func TestValidateNameErrorText(t *testing.T) {
	t.Parallel()
	const want = `kubesecret: invalid secret name "Foo_Bar": must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', start and end with a letter or digit, as must each '.'-separated part, at most 253 characters)`
	if err := ValidateName("Foo_Bar"); err == nil || err.Error() != want {
		t.Errorf("ValidateName error:\n got %v\nwant %s", err, want)
	}
}

func TestValidateNamespace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		valid bool
	}{
		{"simple", "default", true},
		{"with hyphen", "kube-system", true},
		{"single letter", "a", true},
		{"single digit", "1", true},
		{"leading digit", "1abc", true},
		{"double hyphen", "a--b", true},
		{"63 chars", strings.Repeat("a", 63), true},
		{"63 chars with hyphens", "a" + strings.Repeat("-", 61) + "z", true},
		{"64 chars", strings.Repeat("a", 64), false},
		{"empty", "", false},
		{"uppercase", "Default", false},
		{"underscore", "kube_system", false},
		{"dot", "kube.system", false},
		{"leading hyphen", "-default", false},
		{"trailing hyphen", "default-", false},
		{"only hyphen", "-", false},
		{"space", "kube system", false},
		{"non-ASCII", "d\u00e9faut", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateNamespace(tc.input)
			if tc.valid && err != nil {
				t.Errorf("ValidateNamespace(%q) = %v, want nil", tc.input, err)
			}
			if !tc.valid {
				want := "kubesecret: invalid namespace " + strconv.Quote(tc.input) + ": must be " + labelRule
				if err == nil || err.Error() != want {
					t.Errorf("ValidateNamespace(%q) = %v, want %q", tc.input, err, want)
				}
			}
		})
	}
}

func TestValidateLabel(t *testing.T) {
	t.Parallel()
	name63 := "a" + strings.Repeat("b", 61) + "c"
	tests := []struct {
		name    string
		key     string
		value   string
		wantErr string // substring; "" means valid
	}{
		{"simple", "app", "web", ""},
		{"empty value", "app", "", ""},
		{"prefixed key", "app.kubernetes.io/managed-by", "docr", ""},
		{"uppercase, '_' and '.' allowed", "My_App.v1", "Val_u.e-1", ""},
		{"63-char name and value", name63, name63, ""},
		{"253-char prefix", strings.Repeat("p", 253) + "/" + name63, "v", ""},
		{"64-char name", name63 + "d", "v", "invalid label key"},
		{"64-char value", "k", name63 + "d", "invalid value"},
		{"254-char prefix", strings.Repeat("p", 254) + "/k", "v", "prefix before '/'"},
		{"empty key", "", "v", "invalid label key"},
		{"empty prefix", "/k", "v", "prefix before '/'"},
		{"empty name after prefix", "example.com/", "v", "invalid label key"},
		{"uppercase prefix", "Example.com/k", "v", "prefix before '/'"},
		{"two slashes", "a/b/c", "v", "invalid label key"},
		{"key leading hyphen", "-k", "v", "invalid label key"},
		{"key trailing underscore", "k_", "v", "invalid label key"},
		{"key with space", "k k", "v", "invalid label key"},
		{"value leading dot", "k", ".v", "invalid value"},
		{"value trailing hyphen", "k", "v-", "invalid value"},
		{"value with slash", "k", "a/b", "invalid value"},
		{"value with space", "k", "a b", "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateLabel(tc.key, tc.value)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("ValidateLabel(%q, %q) = %v, want nil", tc.key, tc.value, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ValidateLabel(%q, %q) = %v, want error containing %q", tc.key, tc.value, err, tc.wantErr)
			}
		})
	}
}
