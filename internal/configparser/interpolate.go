package configparser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxInterpolationDepth is configparser's MAX_INTERPOLATION_DEPTH: values
// substituted into values are expanded at most this many levels deep.
const MaxInterpolationDepth = 10

// LookupFunc finds a name for %(name)s. literal values are inserted as they
// are (the computed here and __file__); others are expanded in turn.
type LookupFunc func(name string) (value string, literal, ok bool)

// Interpolate expands %(name)s and %% in raw, the value of option in
// section, as configparser's BasicInterpolation does (spec pastedeploy.md §5); lookup resolves names (apply the
// dialect's key folding there). On failure
// it returns configparser's message (without position).
func Interpolate(option, section, raw string, lookup LookupFunc) (string, string) {
	if strings.IndexByte(raw, '%') < 0 {
		return raw, ""
	}
	var b strings.Builder
	if msg := interpolateSome(&b, option, section, raw, raw, lookup, 1); msg != "" {
		return "", msg
	}
	return b.String(), ""
}

func interpolateSome(b *strings.Builder, option, section, rawval, rest string, lookup LookupFunc, depth int) string {
	if depth > MaxInterpolationDepth {
		return fmt.Sprintf("Recursion limit exceeded in value substitution: option %s in section %s contains an interpolation key which cannot be substituted in %d steps. Raw value: %s",
			PyRepr(option), PyRepr(section), MaxInterpolationDepth, PyRepr(rawval))
	}
	for rest != "" {
		p := strings.IndexByte(rest, '%')
		if p < 0 {
			b.WriteString(rest)
			return ""
		}
		b.WriteString(rest[:p])
		rest = rest[p:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			end := strings.IndexByte(rest[2:], ')')
			if end <= 0 || !strings.HasPrefix(rest[2+end+1:], "s") {
				return "bad interpolation variable reference " + PyRepr(rest)
			}
			name := rest[2 : 2+end]
			rest = rest[2+end+2:]
			v, literal, ok := lookup(name)
			if !ok {
				return fmt.Sprintf("Bad value substitution: option %s in section %s contains an interpolation key %s which is not a valid option name. Raw value: %s",
					PyRepr(option), PyRepr(section), PyRepr(name), PyRepr(rawval))
			}
			if literal || strings.IndexByte(v, '%') < 0 {
				b.WriteString(v)
				continue
			}
			if msg := interpolateSome(b, option, section, rawval, v, lookup, depth+1); msg != "" {
				return msg
			}
		default:
			return "'%' must be followed by '%' or '(', found: " + PyRepr(rest)
		}
	}
	return ""
}

// PyRepr quotes s as Python's repr() quotes a str, so messages read like the
// ones users find when they search for PasteDeploy's errors.
func PyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\ufffd"):
			fmt.Fprintf(&b, `\x%02x`, s[i]) // a byte that is not UTF-8
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case strconv.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
