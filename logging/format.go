package logging

import (
	"fmt"
	"github.com/gowaitress/gowaitress/internal/configparser"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap/zapcore"
)

// record is what formatters see of one log entry: the attributes of a
// Python LogRecord, computed from a zap entry.
type record struct {
	time       time.Time
	levelno    int
	name       string // logger name; "root" for the root logger
	msg        string // the entry's message alone
	message    string // message plus structured fields (see message())
	file       string // caller file, "" when unknown
	line       int
	function   string // caller function, fully qualified; "" when unknown
	threadName string
	stack      string // zap's stack trace, appended after the formatted text
	// the zap entry and its fields, for the JSON formatter
	ent    zapcore.Entry
	with   []zapcore.Field
	fields []zapcore.Field
}

// attrKind is the Python type of a LogRecord attribute, which decides which
// %-conversions apply to it.
type attrKind int

const (
	kindStr attrKind = iota
	kindInt
	kindFloat
)

var processStart = time.Now()

// attrs lists the supported LogRecord attributes and their types.
var attrs = map[string]attrKind{
	"asctime": kindStr, "created": kindFloat, "msecs": kindFloat, "relativeCreated": kindFloat,
	"levelname": kindStr, "levelno": kindInt, "name": kindStr, "message": kindStr, "msg": kindStr,
	"lineno": kindInt, "pathname": kindStr, "filename": kindStr, "module": kindStr, "funcName": kindStr,
	"threadName": kindStr, "thread": kindInt, "process": kindInt, "processName": kindStr,
}

// value returns the attribute as a string, int or float64.
func (r *record) value(attr string, datefmt *strftime) any {
	switch attr {
	case "asctime":
		t := r.time.Local()
		if datefmt != nil {
			return datefmt.format(t)
		}
		return t.Format("2006-01-02 15:04:05") + fmt.Sprintf(",%03d", t.Nanosecond()/1e6)
	case "created":
		return float64(r.time.UnixNano()) / 1e9
	case "msecs":
		return float64(r.time.Nanosecond() / 1e6)
	case "relativeCreated":
		return float64(r.time.Sub(processStart).Nanoseconds()) / 1e6
	case "levelname":
		return levelName(r.levelno)
	case "levelno":
		return r.levelno
	case "name":
		return r.name
	case "message":
		return r.message
	case "msg":
		return r.msg
	case "lineno":
		return r.line
	case "pathname":
		return r.file
	case "filename":
		if r.file == "" {
			return ""
		}
		return filepath.Base(r.file)
	case "module":
		return funcPackage(r.function)
	case "funcName":
		return funcName(r.function)
	case "threadName":
		if r.threadName == "" {
			return "MainThread"
		}
		return r.threadName
	case "thread":
		if n, ok := strings.CutPrefix(r.threadName, "waitress-"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				return i
			}
		}
		return 0
	case "process":
		return os.Getpid()
	case "processName":
		return "MainProcess"
	}
	return ""
}

// funcPackage returns the last element of the package path of a fully
// qualified Go function name ("github.com/x/y/server.(*S).run" → "server").
func funcPackage(fn string) string {
	if fn == "" {
		return ""
	}
	_, last := path.Split(fn)
	if i := strings.IndexByte(last, '.'); i >= 0 {
		return last[:i]
	}
	return last
}

// funcName returns the function part of a fully qualified Go function name
// ("github.com/x/y/server.(*S).run" → "(*S).run").
func funcName(fn string) string {
	if fn == "" {
		return ""
	}
	last := fn[strings.LastIndexByte(fn, '/')+1:]
	if i := strings.IndexByte(last, '.'); i >= 0 {
		return last[i+1:]
	}
	return last
}

// textFormatter renders records with a format string in one of Python's
// three styles, compiled once.
type textFormatter struct {
	parts   []part
	datefmt *strftime
	caller  bool // the format uses a caller attribute
}

type part struct {
	lit  string
	attr string // "" for a literal part
	conv byte   // %-style conversion; 0 for {}/$ fields
	spec string // Go fmt verb spec for %-style ("%-5.5s")
	// {}-style
	bconv string // "", "r", "s"
	bspec *braceSpec
}

var callerAttrs = map[string]bool{"lineno": true, "pathname": true, "filename": true, "module": true, "funcName": true}

func (f *textFormatter) usesCaller() bool { return f.caller }

func (f *textFormatter) format(b []byte, r *record) []byte {
	for i := range f.parts {
		p := &f.parts[i]
		if p.attr == "" {
			b = append(b, p.lit...)
			continue
		}
		v := r.value(p.attr, f.datefmt)
		switch {
		case p.conv != 0:
			b = appendPercent(b, p, v)
		case p.bspec != nil || p.bconv != "":
			b = appendBrace(b, p, v)
		default:
			b = append(b, pyStr(v)...)
		}
	}
	if r.stack != "" {
		b = append(b, '\n')
		b = append(b, r.stack...)
	}
	return b
}

// pyStr is Python's str() of an attribute value.
func pyStr(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	}
	return fmt.Sprint(v)
}

func pyReprValue(v any) string {
	if s, ok := v.(string); ok {
		return configparser.PyRepr(s)
	}
	return pyStr(v)
}

func appendPercent(b []byte, p *part, v any) []byte {
	switch p.conv {
	case 's':
		return fmt.Appendf(b, p.spec, pyStr(v))
	case 'r', 'a':
		return fmt.Appendf(b, p.spec, pyReprValue(v))
	case 'd', 'i', 'u':
		switch n := v.(type) {
		case float64:
			v = int64(n)
		}
		return fmt.Appendf(b, p.spec, v)
	case 'x', 'X', 'o':
		return fmt.Appendf(b, p.spec, v)
	case 'c':
		if n, ok := v.(int); ok {
			return fmt.Appendf(b, p.spec, string(rune(n)))
		}
		return fmt.Appendf(b, p.spec, v)
	default: // e E f F g G
		switch n := v.(type) {
		case int:
			v = float64(n)
		}
		return fmt.Appendf(b, p.spec, v)
	}
}

// compilePercent compiles a %-style format. Python formats a LogRecord's
// __dict__ with it, so every placeholder must be %(attr)<spec>.
func compilePercent(s string) ([]part, error) {
	var parts []part
	fields := 0
	lit := strings.Builder{}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i += 2
			continue
		}
		if i+1 >= len(s) || s[i+1] != '(' {
			return nil, fmt.Errorf("%s: '%%' must be followed by '%%' or '(attribute)' and a conversion such as 's'", configparser.PyRepr(s[i:]))
		}
		end := strings.IndexByte(s[i+2:], ')')
		if end < 0 {
			return nil, fmt.Errorf("%s: unclosed '%%('", configparser.PyRepr(s[i:]))
		}
		attr := s[i+2 : i+2+end]
		j := i + 2 + end + 1
		k := j
		for k < len(s) && strings.IndexByte("#0+- ", s[k]) >= 0 {
			k++
		}
		flags := s[j:k]
		ws := k
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		width := s[ws:k]
		prec := ""
		if k < len(s) && s[k] == '.' {
			ps := k
			k++
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			prec = s[ps:k]
		}
		if k < len(s) && s[k] == '*' {
			return nil, fmt.Errorf("%s: '*' widths are not allowed with named fields", configparser.PyRepr(s[i:]))
		}
		if k >= len(s) || strings.IndexByte("diouxXeEfFgGcrsa", s[k]) < 0 {
			return nil, fmt.Errorf("%s: missing or unsupported conversion character (want one of diouxXeEfFgGcrsa)", configparser.PyRepr(s[i:]))
		}
		conv := s[k]
		kind, ok := attrs[attr]
		if !ok {
			return nil, fmt.Errorf("unknown attribute %s (known: %s)", configparser.PyRepr(attr), knownAttrs())
		}
		if kind == kindStr && strings.IndexByte("srac", conv) < 0 {
			return nil, fmt.Errorf("%%(%s)%c: %s is text, not a number", attr, conv, attr)
		}
		if kind == kindFloat && strings.IndexByte("xXoc", conv) >= 0 {
			return nil, fmt.Errorf("%%(%s)%c: %s is not an integer", attr, conv, attr)
		}
		verb := conv
		switch conv {
		case 'i', 'u':
			verb = 'd'
		case 'r', 'a', 'c':
			verb = 's'
		case 'F':
			verb = 'f'
		}
		if lit.Len() > 0 {
			parts = append(parts, part{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, part{attr: attr, conv: conv, spec: "%" + flags + width + prec + string(verb)})
		fields++
		i = k + 1
	}
	if lit.Len() > 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	if fields == 0 {
		return nil, fmt.Errorf("invalid format %s for '%%' style: no %%(attribute)s field", configparser.PyRepr(s))
	}
	return parts, nil
}

func knownAttrs() string {
	return "asctime, created, filename, funcName, levelname, levelno, lineno, message, module, msecs, msg, name, " +
		"pathname, process, processName, relativeCreated, thread, threadName"
}

// braceSpec is a parsed str.format() format spec: [[fill]align][sign][0][width][.precision][type].
type braceSpec struct {
	fill      rune
	align     byte
	sign      byte
	zero      bool
	width     int
	precision int // -1 when absent
	typ       byte
}

func parseBraceSpec(spec string) (*braceSpec, error) {
	bs := &braceSpec{fill: ' ', precision: -1}
	rest := spec
	if r, n := utf8.DecodeRuneInString(rest); n > 0 && n < len(rest) && strings.IndexByte("<>^=", rest[n]) >= 0 {
		bs.fill, bs.align = r, rest[n]
		rest = rest[n+1:]
	} else if rest != "" && strings.IndexByte("<>^=", rest[0]) >= 0 {
		bs.align = rest[0]
		rest = rest[1:]
	}
	if rest != "" && strings.IndexByte("+- ", rest[0]) >= 0 {
		bs.sign = rest[0]
		rest = rest[1:]
	}
	if rest != "" && rest[0] == '0' {
		bs.zero = true
		rest = rest[1:]
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 {
		bs.width, _ = strconv.Atoi(rest[:i])
	}
	rest = rest[i:]
	if rest != "" && rest[0] == '.' {
		i = 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return nil, fmt.Errorf("format spec %s: '.' without a precision", configparser.PyRepr(spec))
		}
		bs.precision, _ = strconv.Atoi(rest[1:i])
		rest = rest[i:]
	}
	if len(rest) == 1 && strings.IndexByte("sdfeEgG", rest[0]) >= 0 {
		bs.typ = rest[0]
		rest = ""
	}
	if rest != "" {
		return nil, fmt.Errorf("format spec %s is not supported", configparser.PyRepr(spec))
	}
	return bs, nil
}

func appendBrace(b []byte, p *part, v any) []byte {
	var s string
	numeric := false
	if p.bconv == "r" {
		s = pyReprValue(v)
	} else if bs := p.bspec; bs != nil && bs.typ != 0 && bs.typ != 's' {
		numeric = true
		f := 0.0
		switch n := v.(type) {
		case int:
			f = float64(n)
		case float64:
			f = n
		}
		if bs.typ == 'd' {
			s = strconv.FormatInt(int64(f), 10)
		} else {
			prec := bs.precision
			if prec < 0 {
				prec = 6
			}
			s = strconv.FormatFloat(f, bs.typ, prec, 64)
		}
		if bs.sign == '+' && f >= 0 {
			s = "+" + s
		} else if bs.sign == ' ' && f >= 0 {
			s = " " + s
		}
	} else {
		s = pyStr(v)
		if _, isStr := v.(string); !isStr && p.bconv == "" {
			numeric = true
		}
		if bs := p.bspec; bs != nil && bs.precision >= 0 && !numeric {
			if utf8.RuneCountInString(s) > bs.precision {
				s = string([]rune(s)[:bs.precision])
			}
		}
	}
	bs := p.bspec
	if bs == nil {
		return append(b, s...)
	}
	n := utf8.RuneCountInString(s)
	if n >= bs.width {
		return append(b, s...)
	}
	pad := bs.width - n
	fill := string(bs.fill)
	align := bs.align
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
		if bs.zero {
			fill, align = "0", '='
		}
	}
	switch align {
	case '<':
		return append(append(b, s...), strings.Repeat(fill, pad)...)
	case '^':
		l := pad / 2
		b = append(b, strings.Repeat(fill, l)...)
		b = append(b, s...)
		return append(b, strings.Repeat(fill, pad-l)...)
	case '=':
		if s != "" && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
			b = append(b, s[0])
			s = s[1:]
		}
		b = append(b, strings.Repeat(fill, pad)...)
		return append(b, s...)
	default: // '>'
		b = append(b, strings.Repeat(fill, pad)...)
		return append(b, s...)
	}
}

// compileBrace compiles a {}-style format: {attr}, {attr!r}, {attr:spec},
// with {{ and }} for literal braces.
func compileBrace(s string) ([]part, error) {
	var parts []part
	lit := strings.Builder{}
	fields := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i += 2
		case c == '}':
			return nil, fmt.Errorf("single '}' in format %s", configparser.PyRepr(s))
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed '{' in format %s", configparser.PyRepr(s))
			}
			field := s[i+1 : i+end]
			i += end + 1
			name, spec, hasSpec := strings.Cut(field, ":")
			name, conv, _ := strings.Cut(name, "!")
			if _, ok := attrs[name]; !ok {
				return nil, fmt.Errorf("unknown attribute %s (known: %s)", configparser.PyRepr(name), knownAttrs())
			}
			if conv != "" && conv != "s" && conv != "r" && conv != "a" {
				return nil, fmt.Errorf("{%s}: unknown conversion %s", field, configparser.PyRepr(conv))
			}
			if conv == "a" {
				conv = "r"
			}
			p := part{attr: name, bconv: conv}
			if hasSpec && spec != "" {
				bs, err := parseBraceSpec(spec)
				if err != nil {
					return nil, err
				}
				if attrs[name] == kindStr && bs.typ != 0 && bs.typ != 's' && conv == "" {
					return nil, fmt.Errorf("{%s}: %s is text, not a number", field, name)
				}
				p.bspec = bs
			}
			if lit.Len() > 0 {
				parts = append(parts, part{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, p)
			fields++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	if fields == 0 {
		return nil, fmt.Errorf("invalid format %s for '{' style: no {attribute} field", configparser.PyRepr(s))
	}
	return parts, nil
}

// compileDollar compiles a $-style (string.Template) format: $attr, ${attr}, $$.
func compileDollar(s string) ([]part, error) {
	var parts []part
	lit := strings.Builder{}
	fields := 0
	isIdent := func(c byte, first bool) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		var name string
		switch {
		case i+1 < len(s) && s[i+1] == '$':
			lit.WriteByte('$')
			i += 2
			continue
		case i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("invalid placeholder in format %s", configparser.PyRepr(s))
			}
			name = s[i+2 : i+end]
			i += end + 1
		case i+1 < len(s) && isIdent(s[i+1], true):
			j := i + 1
			for j < len(s) && isIdent(s[j], j == i+1) {
				j++
			}
			name = s[i+1 : j]
			i = j
		default:
			return nil, fmt.Errorf("invalid placeholder in format %s", configparser.PyRepr(s))
		}
		if _, ok := attrs[name]; !ok {
			return nil, fmt.Errorf("unknown attribute %s (known: %s)", configparser.PyRepr(name), knownAttrs())
		}
		if lit.Len() > 0 {
			parts = append(parts, part{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, part{attr: name})
		fields++
	}
	if lit.Len() > 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	if fields == 0 {
		return nil, fmt.Errorf("invalid format %s for '$' style: no $attribute field", configparser.PyRepr(s))
	}
	return parts, nil
}

// newTextFormatter compiles format (default "%(message)s") in style
// ("%", "{" or "$") and datefmt (strftime directives; "" for Python's default
// "YYYY-MM-DD HH:MM:SS,mmm").
func newTextFormatter(format, datefmt, style string) (*textFormatter, error) {
	var parts []part
	var err error
	switch style {
	case "%":
		parts, err = compilePercent(format)
	case "{":
		parts, err = compileBrace(format)
	case "$":
		parts, err = compileDollar(format)
	default:
		return nil, fmt.Errorf("style must be one of '%%', '{', '$', got %s", configparser.PyRepr(style))
	}
	if err != nil {
		return nil, err
	}
	f := &textFormatter{parts: parts}
	for _, p := range parts {
		if callerAttrs[p.attr] {
			f.caller = true
		}
	}
	if datefmt != "" {
		if f.datefmt, err = compileStrftime(datefmt); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// strftime is a compiled datefmt: a list of literal texts and directives.
type strftime struct {
	parts []string // literal text, or "%X" for a directive
}

const strftimeDirectives = "YmdHMSybBaAjpIzZ%"

func compileStrftime(s string) (*strftime, error) {
	st := &strftime{}
	lit := strings.Builder{}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) || strings.IndexByte(strftimeDirectives, s[i+1]) < 0 {
			d := "%"
			if i+1 < len(s) {
				r, _ := utf8.DecodeRuneInString(s[i+1:])
				d += string(r)
			}
			return nil, fmt.Errorf("unsupported strftime directive %s in %s (supported: %%Y %%m %%d %%H %%M %%S %%y %%b %%B %%a %%A %%j %%p %%I %%z %%Z %%%%)", configparser.PyRepr(d), configparser.PyRepr(s))
		}
		if s[i+1] == '%' {
			lit.WriteByte('%')
		} else {
			if lit.Len() > 0 {
				st.parts = append(st.parts, lit.String())
				lit.Reset()
			}
			st.parts = append(st.parts, s[i:i+2])
		}
		i++
	}
	if lit.Len() > 0 {
		st.parts = append(st.parts, lit.String())
	}
	return st, nil
}

func (st *strftime) format(t time.Time) string {
	var b []byte
	for _, p := range st.parts {
		if len(p) != 2 || p[0] != '%' {
			b = append(b, p...)
			continue
		}
		switch p[1] {
		case 'Y':
			b = fmt.Appendf(b, "%04d", t.Year())
		case 'm':
			b = fmt.Appendf(b, "%02d", int(t.Month()))
		case 'd':
			b = fmt.Appendf(b, "%02d", t.Day())
		case 'H':
			b = fmt.Appendf(b, "%02d", t.Hour())
		case 'M':
			b = fmt.Appendf(b, "%02d", t.Minute())
		case 'S':
			b = fmt.Appendf(b, "%02d", t.Second())
		case 'y':
			b = fmt.Appendf(b, "%02d", t.Year()%100)
		case 'b':
			b = append(b, t.Format("Jan")...)
		case 'B':
			b = append(b, t.Format("January")...)
		case 'a':
			b = append(b, t.Format("Mon")...)
		case 'A':
			b = append(b, t.Format("Monday")...)
		case 'j':
			b = fmt.Appendf(b, "%03d", t.YearDay())
		case 'p':
			b = append(b, t.Format("PM")...)
		case 'I':
			b = append(b, t.Format("03")...)
		case 'z':
			b = append(b, t.Format("-0700")...)
		case 'Z':
			b = append(b, t.Format("MST")...)
		}
	}
	return string(b)
}
