package logging

import (
	"fmt"
	"github.com/gowaitress/gowaitress/internal/configparser"
	"strconv"
	"strings"
	"unicode/utf8"
)

// stream is the value of sys.stdout / sys.stderr in args and kwargs.
type stream string

// parseLiteral reads a Python literal as used in a handler's args and
// kwargs: tuples, lists, dicts, strings (single or double quotes, r/b/u
// prefixes, Python escapes, adjacent strings joined), integers, floats,
// True/False/None, sys.stdout and sys.stderr. Nothing is evaluated.
// Tuples and lists become []any, dicts map[string]any, integers int64.
func parseLiteral(s string) (any, error) {
	p := &litParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %s after the value", configparser.PyRepr(p.s[p.i:]))
	}
	return v, nil
}

type litParser struct {
	s string
	i int
}

func (p *litParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) errf(format string, args ...any) error {
	return fmt.Errorf("at %s: %s", configparser.PyRepr(p.s[p.i:]), fmt.Sprintf(format, args...))
}

func (p *litParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unexpected end of %s", configparser.PyRepr(p.s))
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.i++
		items, trailingComma, err := p.items(')')
		if err != nil {
			return nil, err
		}
		if len(items) == 1 && !trailingComma {
			return items[0], nil // (x) is just x
		}
		if items == nil {
			items = []any{}
		}
		return items, nil
	case c == '[':
		p.i++
		items, _, err := p.items(']')
		if items == nil {
			items = []any{}
		}
		return items, err
	case c == '{':
		p.i++
		return p.dict()
	case c == '\'' || c == '"':
		return p.strings()
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		j := p.i
		for j < len(p.s) && (p.s[j] == '_' || p.s[j] == '.' || p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z' || p.s[j] >= '0' && p.s[j] <= '9') {
			j++
		}
		name := p.s[p.i:j]
		// string prefixes: r'..', b'..', u'..', rb'..'
		if j < len(p.s) && (p.s[j] == '\'' || p.s[j] == '"') && len(name) <= 2 && strings.Trim(strings.ToLower(name), "rbu") == "" {
			return p.strings()
		}
		p.i = j
		switch name {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return nil, nil
		case "sys.stdout", "sys.stderr":
			return stream(name), nil
		}
		p.i -= len(name)
		return nil, p.errf("only literals, sys.stdout and sys.stderr are supported, not %s", configparser.PyRepr(name))
	}
	return nil, p.errf("unexpected %s", configparser.PyRepr(string(c)))
}

// items reads comma-separated values up to end.
func (p *litParser) items(end byte) ([]any, bool, error) {
	var items []any
	trailing := false
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return items, trailing, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, false, err
		}
		items = append(items, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, false, fmt.Errorf("missing %s in %s", configparser.PyRepr(string(end)), configparser.PyRepr(p.s))
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			trailing = true
		case end:
			p.i++
			return items, false, nil
		default:
			return nil, false, p.errf("expected ',' or %s", configparser.PyRepr(string(end)))
		}
	}
}

func (p *litParser) dict() (any, error) {
	m := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return m, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("dictionary keys must be strings, got %v", k)
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("expected ':'")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[ks] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("missing '}' in %s", configparser.PyRepr(p.s))
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return m, nil
		default:
			return nil, p.errf("expected ',' or '}'")
		}
	}
}

// strings reads one or more adjacent string literals and joins them.
func (p *litParser) strings() (any, error) {
	var b strings.Builder
	for {
		p.space()
		j := p.i
		for j < len(p.s) && strings.IndexByte("rRbBuU", p.s[j]) >= 0 && j-p.i < 2 {
			j++
		}
		if j >= len(p.s) || (p.s[j] != '\'' && p.s[j] != '"') {
			return b.String(), nil
		}
		raw := strings.ContainsAny(p.s[p.i:j], "rR")
		p.i = j
		if err := p.str(&b, raw); err != nil {
			return nil, err
		}
	}
}

func (p *litParser) str(b *strings.Builder, raw bool) error {
	start := p.i
	q := p.s[p.i]
	if strings.HasPrefix(p.s[p.i:], strings.Repeat(string(q), 3)) {
		return p.errf("triple-quoted strings are not supported")
	}
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return nil
		case c == '\n':
			return fmt.Errorf("unterminated string %s", configparser.PyRepr(p.s[start:]))
		case c == '\\' && p.i+1 < len(p.s):
			if raw {
				b.WriteByte('\\')
				b.WriteByte(p.s[p.i+1])
				p.i += 2
				continue
			}
			if err := p.escape(b); err != nil {
				return err
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return fmt.Errorf("unterminated string %s", configparser.PyRepr(p.s[start:]))
}

func (p *litParser) escape(b *strings.Builder) error {
	e := p.s[p.i+1]
	p.i += 2
	simple := map[byte]string{'\\': "\\", '\'': "'", '"': "\"", 'n': "\n", 't': "\t", 'r': "\r", 'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '\n': ""}
	if s, ok := simple[e]; ok {
		b.WriteString(s)
		return nil
	}
	hex := func(n int) error {
		if p.i+n > len(p.s) {
			return p.errf("truncated \\%c escape", e)
		}
		v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
		if err != nil || (e != 'x' && !utf8.ValidRune(rune(v))) {
			return p.errf("bad \\%c escape", e)
		}
		p.i += n
		b.WriteRune(rune(v))
		return nil
	}
	switch {
	case e == 'x':
		return hex(2)
	case e == 'u':
		return hex(4)
	case e == 'U':
		return hex(8)
	case e >= '0' && e <= '7':
		v := int(e - '0')
		for n := 0; n < 2 && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '7'; n++ {
			v = v*8 + int(p.s[p.i]-'0')
			p.i++
		}
		b.WriteRune(rune(v))
		return nil
	}
	b.WriteByte('\\') // unknown escapes are kept, as Python does
	b.WriteByte(e)
	return nil
}

func (p *litParser) number() (any, error) {
	j := p.i
	if p.s[j] == '-' || p.s[j] == '+' {
		j++
	}
	k := j
	for k < len(p.s) && (p.s[k] == '_' || p.s[k] == '.' || p.s[k] >= '0' && p.s[k] <= '9' || p.s[k] >= 'a' && p.s[k] <= 'z' || p.s[k] >= 'A' && p.s[k] <= 'Z' ||
		(p.s[k] == '-' || p.s[k] == '+') && (p.s[k-1] == 'e' || p.s[k-1] == 'E')) {
		k++
	}
	text := strings.ReplaceAll(p.s[p.i:k], "_", "")
	digits := strings.TrimLeft(text, "+-")
	lower := strings.ToLower(digits)
	switch {
	case strings.HasPrefix(lower, "0x") || strings.HasPrefix(lower, "0o") || strings.HasPrefix(lower, "0b"):
		if n, err := strconv.ParseInt(text, 0, 64); err == nil {
			p.i = k
			return n, nil
		}
	case digits != "" && strings.Trim(digits, "0123456789") == "":
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			p.i = k
			return n, nil
		}
	case !strings.ContainsAny(lower, "xpn"):
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			p.i = k
			return f, nil
		}
	}
	return nil, p.errf("bad number %s", configparser.PyRepr(p.s[p.i:k]))
}
