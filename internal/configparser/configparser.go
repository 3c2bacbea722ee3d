// Package configparser reads INI files in the dialect of Python's
// configparser, which PasteDeploy and Python's logging.config.fileConfig
// both use (spec pastedeploy.md §2): '=' or ':' (the first on the line)
// splits key and value; only whole-line '#'/';' comments (an inline '#' is
// part of the value); a line indented deeper than the line that started the
// current key continues its value, whatever it looks like; blank lines inside
// values are kept, trailing ones dropped; section names are case-sensitive
// and only DEFAULT is special; duplicate sections and keys are errors; a
// UTF-8 byte order mark is skipped and invalid UTF-8 is an error.
//
// gopkg.in/ini.v1 holds the parsed file: its sections and keys, in file
// order, with raw values (never read through ini.v1's interpolating or
// entry-creating accessors). ini.v1's own line parser is not used to split
// the text because it cannot reproduce configparser: it drops indentation
// before deciding what a line is (so continuation depth is lost and indented
// comments or "[x]" lines inside values change meaning) and it keeps the CR
// of CRLF files inside multi-line values. The loop in Parse is configparser's
// algorithm, line for line, and also yields the line numbers that error
// messages need.
//
// Interpolate is configparser's BasicInterpolation (%(name)s and %%).
package configparser

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/ini.v1"

	"github.com/gowaitress/gowaitress/config"
)

// DefaultSection is the only special section name (exact case).
const DefaultSection = "DEFAULT"

// iniOptions are ini.v1's load options set for parity with configparser:
// case-sensitive names, '=' and ':' delimiters, no inline comments, no quote
// or backslash processing, and no "parent" sections.
var iniOptions = ini.LoadOptions{
	Insensitive:                false,
	IgnoreInlineComment:        true,
	AllowPythonMultilineValues: true,
	PreserveSurroundedQuote:    true,
	KeyValueDelimiters:         "=:",
	ChildSectionDelimiter:      "\x00",
}

// Options select the variant of the dialect.
type Options struct {
	// LowerKeys lower-cases option names, as configparser's default
	// optionxform does (logging.config.fileConfig). PasteDeploy keeps case.
	LowerKeys bool
}

// Error is a syntax error: a line configparser cannot read, or a duplicate.
type Error struct {
	Path      string // the file, as given to Parse
	Line      int    // 1-based
	Msg       string
	Duplicate bool // a repeated section header or key
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// File is a parsed file.
type File struct {
	Path     string    // the path as given to Parse (for messages)
	file     *ini.File // sections and raw values
	sections []string  // section names in file order, DEFAULT excluded
	secLine  map[string]int
	keyLine  map[string]map[string]int
	byName   map[string][]string // "type\x00name" -> sections; built on first use
}

// Sections returns the section names in file order, without DEFAULT. The
// slice must not be modified.
func (f *File) Sections() []string { return f.sections }

// HasSection reports whether the file has a section of that exact name
// (DEFAULT included).
func (f *File) HasSection(name string) bool { _, ok := f.secLine[name]; return ok }

// SectionLine returns the line of the (first) header of the section, or 0.
func (f *File) SectionLine(name string) int { return f.secLine[name] }

// HasKey reports whether the section itself has the key.
func (f *File) HasKey(section, key string) bool { _, ok := f.keyLine[section][key]; return ok }

// Line returns the line of key in section, or 0.
func (f *File) Line(section, key string) int { return f.keyLine[section][key] }

// Keys returns the keys of the section in file order.
func (f *File) Keys(section string) []string {
	s, err := f.file.GetSection(section)
	if err != nil {
		return nil
	}
	return s.KeyStrings()
}

// Value returns the raw value of key in the section's own keys (no
// [DEFAULT] fallback, no interpolation).
func (f *File) Value(section, key string) (string, bool) {
	if !f.HasKey(section, key) {
		return "", false
	}
	s, err := f.file.GetSection(section)
	if err != nil {
		return "", false
	}
	k, err := s.GetKey(key)
	if err != nil {
		return "", false
	}
	return k.Value(), true
}

// Named returns the sections "[typ:name]" (whitespace around name ignored),
// in file order.
func (f *File) Named(typ, name string) []string {
	if f.byName == nil {
		f.byName = make(map[string][]string, len(f.sections))
		for _, sec := range f.sections {
			if t, n, ok := strings.Cut(sec, ":"); ok {
				k := t + "\x00" + strings.TrimFunc(n, IsSpace)
				f.byName[k] = append(f.byName[k], sec)
			}
		}
	}
	return f.byName[typ+"\x00"+name]
}

// Parse parses data as the contents of the file at path. All syntax errors
// of the file are returned together (config.Errors of *Error), except that
// a key before the first section header stops the reading.
func Parse(path string, data []byte, opts Options) (*File, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	f := &File{Path: path, secLine: map[string]int{}, keyLine: map[string]map[string]int{}}
	var err error
	if f.file, err = ini.LoadSources(iniOptions, []byte{}); err != nil {
		return nil, err // cannot happen with an empty source
	}
	f.file.BlockMode = false // read by one goroutine at a time: no locking
	var errs []error
	bad := func(dup bool, line int, msg string) {
		errs = append(errs, &Error{Path: path, Line: line, Msg: msg, Duplicate: dup})
	}

	type openKey struct {
		store *ini.Section // nil: the key is checked but not kept (a duplicate)
		key   string
		line  int
		lines []string
	}
	var (
		cur       *ini.Section   // nil before the first header and inside a duplicate section
		curName   string         // the current section's name
		curLines  map[string]int // line of every key of the current section block(s)
		open      *openKey       // the key whose value may continue
		indent    = -1           // indentation of the line that started the current key or header
		sawHeader bool
	)
	closeKey := func() {
		if open != nil && open.store != nil {
			v := strings.TrimRightFunc(strings.Join(open.lines, "\n"), IsSpace)
			if _, err := open.store.NewKey(open.key, v); err != nil {
				bad(false, open.line, err.Error())
			}
		}
		open = nil
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
			bad(false, lineNo, "invalid UTF-8")
			continue
		}
		line := string(raw)
		value := strings.TrimFunc(line, IsSpace)
		if value == "" {
			if open != nil {
				open.lines = append(open.lines, "")
			}
			continue
		}
		if value[0] == '#' || value[0] == ';' {
			continue // a whole-line comment, even inside a value
		}
		lineIndent := 0
		for _, r := range line {
			if !IsSpace(r) {
				break
			}
			lineIndent++
		}
		if open != nil && lineIndent > indent {
			open.lines = append(open.lines, value)
			continue
		}
		indent = lineIndent
		name, isHeader := sectionHeader(value)
		if !isHeader && !sawHeader {
			bad(false, lineNo, "file contains no section headers: "+line)
			return nil, config.Join(errs...)
		}
		var key, val string
		if !isHeader {
			var ok bool
			if key, val, ok = splitOption(value, opts.LowerKeys); !ok {
				// configparser keeps the previous key open across a bad line
				bad(false, lineNo, fmt.Sprintf(`expected "key = value" (no "=" or ":" or an empty key): %s`, line))
				continue
			}
		}
		closeKey()
		if isHeader {
			sawHeader, curName = true, name
			first, seen := f.secLine[name]
			switch {
			case name == DefaultSection: // DEFAULT blocks merge; their keys may not repeat
				cur, _ = f.file.GetSection(DefaultSection) // exists in every ini.File
				if !seen {
					f.secLine[name] = lineNo
					f.keyLine[name] = map[string]int{}
				}
				curLines = f.keyLine[name]
			case seen:
				bad(true, lineNo, fmt.Sprintf("section '%s' already exists (first at line %d)", name, first))
				cur, curLines = nil, map[string]int{} // checked, not kept
			default:
				f.secLine[name] = lineNo
				f.sections = append(f.sections, name)
				curLines = map[string]int{}
				f.keyLine[name] = curLines
				if cur, err = f.file.NewSection(name); err != nil {
					bad(false, lineNo, err.Error())
					cur = nil
				}
			}
			continue
		}
		if first, dup := curLines[key]; dup {
			bad(true, lineNo, fmt.Sprintf("option '%s' in section '%s' already exists (first at line %d)", key, curName, first))
			open = &openKey{key: key, line: lineNo} // its continuation lines are not keys
			continue
		}
		curLines[key] = lineNo
		open = &openKey{store: cur, key: key, line: lineNo, lines: []string{val}}
	}
	closeKey()
	if len(errs) > 0 {
		return nil, config.Join(errs...)
	}
	return f, nil
}

// sectionHeader recognises "[name]": the header runs from after the first '['
// to before the last ']' of the stripped line and must not be empty; text
// after the last ']' is ignored; the name is not trimmed.
func sectionHeader(value string) (string, bool) {
	if value[0] != '[' {
		return "", false
	}
	end := strings.LastIndexByte(value, ']')
	if end < 2 {
		return "", false
	}
	return value[1:end], true
}

// splitOption splits "key = value" at the first '=' or ':'. The key loses
// its trailing whitespace (and is lower-cased with lower) and the value is
// trimmed. An empty key or a line without a delimiter is not an option.
func splitOption(value string, lower bool) (key, val string, ok bool) {
	i := strings.IndexAny(value, "=:")
	if i < 0 {
		return "", "", false
	}
	key = strings.TrimRightFunc(value[:i], IsSpace)
	if key == "" {
		return "", "", false
	}
	if lower {
		key = strings.ToLower(key)
	}
	return key, strings.TrimFunc(value[i+1:], IsSpace), true
}

// IsSpace is Python's str.isspace for one character: Unicode white space
// plus the separators U+001C..U+001F, which configparser strips too.
func IsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }
