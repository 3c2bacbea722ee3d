package logging

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gowaitress/gowaitress/config"
)

// This file is the second INI reader that pserve's logging setup uses: a
// plain configparser.ConfigParser, whose syntax rules are PasteDeploy's
// (whole-line comments only, continuation lines, strict duplicates) but whose
// option names are lower-cased, and whose [DEFAULT] section beats the
// defaults passed in (here, __file__, caller variables) for interpolation.

const defaultSection = "DEFAULT"

// maxInterpolationDepth is configparser's MAX_INTERPOLATION_DEPTH.
const maxInterpolationDepth = 10

type iniKey struct {
	name  string // lower-cased
	line  int
	value string // raw (not interpolated)
}

type iniSection struct {
	name string
	line int
	keys map[string]*iniKey
}

type iniFile struct {
	path     string
	sections map[string]*iniSection // without DEFAULT
	// defaults are the parser defaults: here, __file__, caller variables,
	// then the file's [DEFAULT] keys (which win).
	defaults map[string]*iniKey
	literal  map[string]bool // defaults inserted as they are (computed here, __file__)
}

// readINI reads the file at path; vars are the caller variables and computed
// values (lower-cased here, as configparser's optionxform does); literal names
// the ones that are inserted without interpolation.
func readINI(path string, data []byte, vars map[string]string, literal map[string]bool) (*iniFile, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	f := &iniFile{path: path, sections: map[string]*iniSection{}, defaults: map[string]*iniKey{}, literal: map[string]bool{}}
	for k, v := range vars {
		lk := strings.ToLower(k)
		f.defaults[lk] = &iniKey{name: lk, value: v}
		if literal[k] {
			f.literal[lk] = true
		} else {
			delete(f.literal, lk)
		}
	}
	defaultKeys := map[string]*iniKey{}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &config.Error{Origin: config.Origin{File: path, Line: line}, Msg: fmt.Sprintf(format, args...)})
	}

	type openKey struct {
		key   *iniKey
		lines []string
	}
	var (
		cur       map[string]*iniKey // keys of the current section; nil before the first header
		curName   string
		open      *openKey
		indent    int
		sawHeader bool
		secLines  = map[string]int{}
	)
	closeKey := func() {
		if open != nil {
			open.key.value = strings.TrimRightFunc(strings.Join(open.lines, "\n"), unicode.IsSpace)
			open = nil
		}
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var raw []byte
		if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
			raw = data[:i]
			if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				data = data[i+2:]
			} else {
				data = data[i+1:]
			}
		} else {
			raw, data = data, nil
		}
		if !utf8.Valid(raw) {
			bad(lineNo, "invalid UTF-8")
			continue
		}
		line := string(raw)
		value := strings.TrimSpace(line)
		if value == "" {
			if open != nil {
				open.lines = append(open.lines, "")
			}
			continue
		}
		if value[0] == '#' || value[0] == ';' {
			continue
		}
		lineIndent := 0
		for _, r := range line {
			if !unicode.IsSpace(r) {
				break
			}
			lineIndent++
		}
		if open != nil && lineIndent > indent {
			open.lines = append(open.lines, value)
			continue
		}
		closeKey()
		indent = lineIndent
		if value[0] == '[' {
			if end := strings.LastIndexByte(value, ']'); end >= 2 {
				name := value[1:end]
				sawHeader = true
				curName = name
				if name == defaultSection {
					cur = defaultKeys
					continue
				}
				if first, dup := secLines[name]; dup {
					bad(lineNo, "section '%s' already exists (first at line %d)", name, first)
					cur = map[string]*iniKey{} // checked, not kept
					continue
				}
				secLines[name] = lineNo
				s := &iniSection{name: name, line: lineNo, keys: map[string]*iniKey{}}
				f.sections[name] = s
				cur = s.keys
				continue
			}
		}
		if !sawHeader {
			bad(lineNo, "file contains no section headers: %s", line)
			return nil, config.Join(errs...)
		}
		i := strings.IndexAny(value, "=:")
		key := ""
		if i >= 0 {
			key = strings.ToLower(strings.TrimRightFunc(value[:i], unicode.IsSpace))
		}
		if key == "" {
			bad(lineNo, `expected "key = value" (no "=" or ":" or an empty key): %s`, line)
			continue
		}
		if first, dup := cur[key]; dup {
			bad(lineNo, "option '%s' in section '%s' already exists (first at line %d)", key, curName, first.line)
			continue
		}
		k := &iniKey{name: key, line: lineNo}
		cur[key] = k
		open = &openKey{key: k, lines: []string{strings.TrimSpace(value[i+1:])}}
	}
	closeKey()
	if len(errs) > 0 {
		return nil, config.Join(errs...)
	}
	for k, v := range defaultKeys {
		f.defaults[k] = v
		delete(f.literal, k)
	}
	return f, nil
}

// raw returns the raw value of key in section, falling back to the parser
// defaults as configparser does; ok is false when neither has it.
func (f *iniFile) raw(section, key string) (k *iniKey, ok bool) {
	if s := f.sections[section]; s != nil {
		if k := s.keys[key]; k != nil {
			return k, true
		}
	}
	k = f.defaults[key]
	return k, k != nil
}

// origin is the position of key in section for error messages.
func (f *iniFile) origin(section, key string) config.Origin {
	o := config.Origin{File: f.path, Section: section, Key: key}
	if s := f.sections[section]; s != nil {
		if k := s.keys[key]; k != nil {
			o.Line = k.line
		} else if key == "" {
			o.Line = s.line
		}
	}
	return o
}

// get returns the interpolated value of key in section (falling back to the
// defaults). found is false when the key is absent; err is a *config.Error.
func (f *iniFile) get(section, key string) (val string, found bool, err error) {
	k, ok := f.raw(section, key)
	if !ok {
		return "", false, nil
	}
	if s := f.sections[section]; f.literal[key] && (s == nil || s.keys[key] == nil) {
		return k.value, true, nil
	}
	v, msg := f.interpolate(section, key, k.value)
	if msg != "" {
		return "", true, &config.Error{Origin: f.origin(section, key), Msg: msg}
	}
	return v, true, nil
}

// getRaw returns the raw value of key in section (falling back to defaults).
func (f *iniFile) getRaw(section, key string) (string, bool) {
	k, ok := f.raw(section, key)
	if !ok {
		return "", false
	}
	return k.value, true
}

func (f *iniFile) interpolate(section, option, raw string) (string, string) {
	if strings.IndexByte(raw, '%') < 0 {
		return raw, ""
	}
	var b strings.Builder
	if msg := f.interpolateSome(&b, section, option, raw, raw, 1); msg != "" {
		return "", msg
	}
	return b.String(), ""
}

func (f *iniFile) interpolateSome(b *strings.Builder, section, option, rawval, rest string, depth int) string {
	if depth > maxInterpolationDepth {
		return fmt.Sprintf("Recursion limit exceeded in value substitution: option %s in section %s contains an interpolation key which cannot be substituted in %d steps. Raw value: %s",
			pyRepr(option), pyRepr(section), maxInterpolationDepth, pyRepr(rawval))
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
				return "bad interpolation variable reference " + pyRepr(rest)
			}
			name := strings.ToLower(rest[2 : 2+end])
			rest = rest[2+end+2:]
			var k *iniKey
			if s := f.sections[section]; s != nil {
				k = s.keys[name]
			}
			literal := false
			if k == nil {
				k = f.defaults[name]
				literal = f.literal[name]
			}
			if k == nil {
				return fmt.Sprintf("Bad value substitution: option %s in section %s contains an interpolation key %s which is not a valid option name. Raw value: %s",
					pyRepr(option), pyRepr(section), pyRepr(name), pyRepr(rawval))
			}
			if literal || strings.IndexByte(k.value, '%') < 0 {
				b.WriteString(k.value)
				continue
			}
			if msg := f.interpolateSome(b, section, option, rawval, k.value, depth+1); msg != "" {
				return msg
			}
		default:
			return "'%' must be followed by '%' or '(', found: " + pyRepr(rest)
		}
	}
	return ""
}

// pyRepr quotes s as Python's repr() quotes a str.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// readFile reads path, turning a missing file into an error naming it.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{Origin: config.Origin{File: path}, Msg: "cannot read logging configuration: " + err.Error(), Err: err}
	}
	return data, nil
}
