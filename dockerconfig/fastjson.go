package dockerconfig

import (
	"encoding/json"
	"slices"
)

// This file holds the one-pass parser and the direct encoder of config.json.
//
// parseFast reads the whole file in one pass: it validates every value
// (strictly: anything it is unsure about makes it fail), splits the top-level
// object and the auths object into raw values sliced from the input, and
// rejects duplicate keys. It never produces an error message itself: when it
// fails, parseDocument runs the encoding/json based parser, which is the
// reference for which inputs are refused and with what message. So parseFast
// may be stricter than encoding/json but must never accept what it refuses.
//
// appendIndented writes a raw value exactly as json.Encoder with
// SetEscapeHTML(false) and SetIndent("", "\t") does (compact, then indent)
// in one pass, so that unknown values are not compacted and re-scanned.

// maxFastDepth bounds the nesting parseFast follows; deeper input goes to the
// encoding/json parser (whose own limit is 10000).
const maxFastDepth = 1000

// strPlain marks the bytes that may appear unescaped in a JSON string and
// need no further look: everything but '"', '\\' and control characters.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// skipString validates the string starting at data[i] == '"' and returns the
// index after its closing quote and whether it holds escapes.
func skipString(data []byte, i int) (end int, escaped, ok bool) {
	i++
	for {
		for i < len(data) && strPlain[data[i]] {
			i++
		}
		if i >= len(data) {
			return 0, false, false
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(data) {
				return 0, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		default: // a control character
			return 0, false, false
		}
	}
}

// skipNumber validates the number starting at data[i].
func skipNumber(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || !isDigit(data[i]) {
			return 0, false
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			return 0, false
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	return i, true
}

func skipLiteral(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// skipValue validates the value starting at data[i] (no leading space) and
// returns the index after it.
func skipValue(data []byte, i, depth int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch c := data[i]; {
	case c == '"':
		end, _, ok := skipString(data, i)
		return end, ok
	case c == '{' || c == '[':
		return skipContainer(data, i, depth+1)
	case c == 't':
		return skipLiteral(data, i, "true")
	case c == 'f':
		return skipLiteral(data, i, "false")
	case c == 'n':
		return skipLiteral(data, i, "null")
	case c == '-' || isDigit(c):
		return skipNumber(data, i)
	}
	return 0, false
}

// skipContainer validates the object or array starting at data[i].
func skipContainer(data []byte, i, depth int) (int, bool) {
	if depth > maxFastDepth {
		return 0, false
	}
	obj := data[i] == '{'
	closing := byte(']')
	if obj {
		closing = '}'
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == closing {
		return i + 1, true
	}
	for {
		var ok bool
		if obj {
			if i >= len(data) || data[i] != '"' {
				return 0, false
			}
			if i, _, ok = skipString(data, i); !ok {
				return 0, false
			}
			i = skipSpace(data, i)
			if i >= len(data) || data[i] != ':' {
				return 0, false
			}
			i = skipSpace(data, i+1)
		}
		if i, ok = skipValue(data, i, depth); !ok {
			return 0, false
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case closing:
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// parseKey reads the object key starting at data[i] and returns it as
// encoding/json unquotes it.
func parseKey(data []byte, i int) (key string, end int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	end, escaped, ok := skipString(data, i)
	if !ok {
		return "", 0, false
	}
	if !escaped {
		return string(data[i+1 : end-1]), end, true
	}
	if err := json.Unmarshal(data[i:end], &key); err != nil {
		return "", 0, false
	}
	return key, end, true
}

// parseObjectFast splits the object starting at data[i] into raw values
// sliced from data, rejecting duplicate keys. With auths set, the value of
// the key "auths", if an object, is split too, into *auths.
func parseObjectFast(data []byte, i int, auths *map[string]json.RawMessage) (m map[string]json.RawMessage, end int, ok bool) {
	if i >= len(data) || data[i] != '{' {
		return nil, 0, false
	}
	m = make(map[string]json.RawMessage)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return m, i + 1, true
	}
	for {
		key, j, ok := parseKey(data, i)
		if !ok {
			return nil, 0, false
		}
		j = skipSpace(data, j)
		if j >= len(data) || data[j] != ':' {
			return nil, 0, false
		}
		start := skipSpace(data, j+1)
		if auths != nil && key == keyAuths && start < len(data) && data[start] == '{' {
			*auths, end, ok = parseObjectFast(data, start, nil)
		} else {
			end, ok = skipValue(data, start, 1)
		}
		if !ok {
			return nil, 0, false
		}
		if _, dup := m[key]; dup {
			return nil, 0, false
		}
		m[key] = data[start:end:end]
		i = skipSpace(data, end)
		if i >= len(data) {
			return nil, 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return m, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// parseFast parses a whole config file (valid UTF-8, not only whitespace):
// the top-level object and, when "auths" is an object, its entries (nil
// otherwise). ok is false for anything it does not accept.
func parseFast(data []byte) (top, auths map[string]json.RawMessage, ok bool) {
	top, end, ok := parseObjectFast(data, skipSpace(data, 0), &auths)
	if !ok || skipSpace(data, end) != len(data) {
		return nil, nil, false
	}
	return top, auths, true
}

// appendNewline starts a new line indented depth tabs.
func appendNewline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for ; depth > 0; depth-- {
		dst = append(dst, '\t')
	}
	return dst
}

// appendIndented appends the valid JSON value src, found at nesting depth
// depth, as json.Encoder with SetEscapeHTML(false) and SetIndent("", "\t")
// writes a json.RawMessage: space outside strings dropped, strings verbatim,
// one member per line.
func appendIndented(dst, src []byte, depth int) []byte {
	if len(src) == 0 {
		return append(dst, "null"...)
	}
	needIndent := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if needIndent && c != ']' && c != '}' {
			needIndent = false
			depth++
			dst = appendNewline(dst, depth)
		}
		switch c {
		case '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = appendNewline(dst, depth)
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				dst = appendNewline(dst, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendKey appends s as encoding/json writes a map key without HTML
// escaping.
func appendKey(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			raw, err := marshal(s) // a string always encodes
			if err != nil {
				panic(err)
			}
			return append(dst, raw...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendMember appends one object member on its own line at depth.
func appendMember(dst []byte, n int, key string, depth int) []byte {
	if n > 0 {
		dst = append(dst, ',')
	}
	dst = appendNewline(dst, depth)
	dst = appendKey(dst, key)
	return append(dst, ':', ' ')
}

// appendRawMap appends m, an object at depth, with sorted keys.
func appendRawMap(dst []byte, m map[string]json.RawMessage, depth int) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for n, k := range keys {
		dst = appendMember(dst, n, k, depth+1)
		dst = appendIndented(dst, m[k], depth+1)
	}
	if len(keys) > 0 {
		dst = appendNewline(dst, depth)
	}
	return append(dst, '}')
}
