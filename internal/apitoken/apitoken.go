// Package apitoken holds the rules for docr's API token: what a well-formed
// token is once trimmed, how it is read from a file (the one token-file
// rule) or a stream, and where the environment holds it. facade exports
// them (New, ReadTokenFile, ReadToken, TokenFromEnv) and wraps their
// errors in its sentinels. No error contains a token.
package apitoken

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// MaxLine bounds the line [ReadFile] and [Read] read: an API token is far
// shorter.
const MaxLine = 64 << 10

// ErrNone says the environment holds no token (facade.ErrNoToken).
var ErrNone = errors.New("docr: no API token")

// Normalize trims surrounding white space and matching quotes from raw and
// refuses what cannot be a bearer token: nothing left, white space,
// control or non-ASCII characters, quotes or backslashes inside.
func Normalize(raw string) (string, error) {
	t := strings.TrimSpace(raw)
	for len(t) >= 2 && (t[0] == '"' || t[0] == '\'') && t[len(t)-1] == t[0] {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	if t == "" {
		return "", errors.New("empty")
	}
	if !Printable(t) {
		return "", errors.New("contains whitespace, a control character or a non-ASCII character")
	}
	if strings.ContainsAny(t, `"'\`) {
		return "", errors.New("contains a quote or backslash (unbalanced quoting?)")
	}
	return t, nil
}

// Printable reports whether s has only the visible ASCII characters that
// a bearer token (the API token, or a registry credential sent to be
// revoked) can safely hold in a header: no space, no control character.
func Printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// FromEnv finds the token through getenv: the file $fileVar names (read
// with [ReadFile]), else $tokenVar, else $accessVar; blank values count as
// unset. source is where it came from ("$DIGITALOCEAN_TOKEN", say, or the
// file's path). With none the error wraps [ErrNone].
func FromEnv(getenv func(string) string, fileVar, tokenVar, accessVar string) (tok, source string, err error) {
	if p := strings.TrimSpace(getenv(fileVar)); p != "" {
		tok, err := ReadFile(p)
		if err != nil {
			return "", "", fmt.Errorf("$%s: %w", fileVar, err)
		}
		return tok, p, nil
	}
	for _, name := range []string{tokenVar, accessVar} {
		if v := getenv(name); strings.TrimSpace(v) != "" {
			return v, "$" + name, nil
		}
	}
	return "", "", fmt.Errorf("%w: set %s, %s or %s", ErrNone, fileVar, tokenVar, accessVar)
}

// ReadFile reads a token from the file at path by the one token-file
// rule: a regular file that group or others may read or write is refused
// (the token is a password to the whole account), and so is a directory;
// anything else (a pipe, a device) is read as a stream, by [Read].
func ReadFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("docr: token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("docr: token file: %w", err)
	}
	switch perm := fi.Mode().Perm(); {
	case fi.IsDir():
		return "", fmt.Errorf("docr: token file %s is a directory", path)
	case fi.Mode().IsRegular() && perm&0o077 != 0 && runtime.GOOS != "windows":
		return "", fmt.Errorf("docr: token file %s has mode %04o: group or others may read or write it; chmod 600 it", path, perm)
	}
	tok, err := Read(f)
	if err != nil {
		return "", fmt.Errorf("docr: token file %s: %w", path, err)
	}
	return tok, nil
}

// Read reads a token from r: the first line, at most [MaxLine] bytes,
// trimmed, not empty.
func Read(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, MaxLine+1)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if len(strings.TrimRight(line, "\r\n")) > MaxLine {
		// Never cut silently: a cut token would fail later, confusingly.
		return "", fmt.Errorf("the first line is longer than %d KiB; an API token is far shorter", MaxLine>>10)
	}
	tok := strings.TrimSpace(line)
	if tok == "" {
		return "", errors.New("holds no token")
	}
	return tok, nil
}
