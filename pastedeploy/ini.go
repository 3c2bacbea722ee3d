package pastedeploy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/ini.v1"

	"github.com/gowaitress/gowaitress/config"
)

// The INI dialect is Python's configparser as PasteDeploy configures it
// (spec §2): '=' or ':' (the first on the line) splits key and value; only
// whole-line '#'/';' comments; a line indented deeper than the line that
// started the current key continues its value; blank lines inside values are
// kept; keys and section names are case-sensitive; duplicates are errors.
//
// gopkg.in/ini.v1 holds the parsed file: its sections and keys, in order,
// with raw values (never read through ini.v1's interpolating or
// entry-creating accessors). ini.v1's own line parser is not used to split
// the text because it cannot reproduce configparser: it drops indentation
// before deciding what a line is (so continuation depth is lost and indented
// comments or "[x]" lines inside values change meaning) and it keeps CR
// characters of CRLF files in multi-line values. classifyLines below is the
// configparser algorithm, line for line, and also yields the line numbers
// that error messages need.

// iniOptions are ini.v1's load options set for parity with configparser as
// PasteDeploy uses it: case-sensitive names, '=' and ':' delimiters, no
// inline comments, no quote or backslash processing.
var iniOptions = ini.LoadOptions{
	Insensitive:                false,
	IgnoreInlineComment:        true,
	AllowPythonMultilineValues: true,
	PreserveSurroundedQuote:    true,
	KeyValueDelimiters:         "=:",
	ChildSectionDelimiter:      "\x00", // section names containing '.' have no parents
}

// defaultSection is the only special section name (exact case).
const defaultSection = "DEFAULT"

// iniFile is a parsed configuration file.
type iniFile struct {
	path     string    // the path string as opened (for messages)
	file     *ini.File // sections and raw values
	sections []string  // section names in file order, DEFAULT excluded
	// line numbers: of every section header (first occurrence) and every key
	secLine map[string]int
	keyLine map[string]map[string]int
	// byName indexes "type\x00name" (name trimmed) to the sections with
	// that type prefix and name, in file order; built on first use.
	byName map[string][]string
}

// named returns the sections "[typ:name]" (whitespace around name ignored),
// in file order.
func (f *iniFile) named(typ, name string) []string {
	if f.byName == nil {
		f.byName = make(map[string][]string, len(f.sections))
		for _, sec := range f.sections {
			if t, n, ok := strings.Cut(sec, ":"); ok {
				k := t + "\x00" + strings.TrimFunc(n, isSpace)
				f.byName[k] = append(f.byName[k], sec)
			}
		}
	}
	return f.byName[typ+"\x00"+name]
}

// section returns the ini.v1 section of a parsed header, or nil.
func (f *iniFile) section(name string) *ini.Section {
	s, err := f.file.GetSection(name)
	if err != nil {
		return nil
	}
	return s
}

// lineOf returns the line of key in section (0 when unknown).
func (f *iniFile) lineOf(section, key string) int { return f.keyLine[section][key] }

// readINI reads and parses the file at path (the path string as opened).
func readINI(path string) (*iniFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		kind := ErrFileNotFound
		msg := "open " + path + ": no such file or directory"
		if !errors.Is(err, fs.ErrNotExist) {
			kind, msg = ErrSyntax, err.Error()
		}
		return nil, &Error{Kind: kind, File: path, Msg: msg, Err: err}
	}
	return parseINI(path, data)
}

// parseINI parses data as the contents of the file at path. All syntax
// errors of the file are collected and returned together.
func parseINI(path string, data []byte) (*iniFile, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	f := &iniFile{path: path, secLine: map[string]int{}, keyLine: map[string]map[string]int{}}
	var err error
	if f.file, err = ini.LoadSources(iniOptions, []byte{}); err != nil {
		return nil, err // cannot happen with an empty source
	}
	f.file.BlockMode = false // read by one load at a time: no locking
	var errs []error
	bad := func(kind ErrorKind, line int, msg string) {
		errs = append(errs, &Error{Kind: kind, File: path, Line: line, Msg: msg})
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
			v := strings.TrimRightFunc(strings.Join(open.lines, "\n"), isSpace)
			if _, err := open.store.NewKey(open.key, v); err != nil {
				bad(ErrSyntax, open.line, err.Error())
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
			bad(ErrSyntax, lineNo, "invalid UTF-8")
			continue
		}
		line := string(raw)
		value := strings.TrimFunc(line, isSpace)
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
			if !isSpace(r) {
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
			bad(ErrSyntax, lineNo, "file contains no section headers: "+line)
			return nil, config.Join(errs...)
		}
		var key, val string
		if !isHeader {
			var ok bool
			if key, val, ok = splitOption(value); !ok {
				// configparser keeps the previous key open across a bad line
				bad(ErrSyntax, lineNo, fmt.Sprintf(`expected "key = value" (no "=" or ":" or an empty key): %s`, line))
				continue
			}
		}
		closeKey()
		if isHeader {
			sawHeader, curName = true, name
			first, seen := f.secLine[name]
			switch {
			case name == defaultSection: // DEFAULT blocks merge; their keys may not repeat
				cur, _ = f.file.GetSection(defaultSection) // exists in every ini.File
				if !seen {
					f.secLine[name] = lineNo
					f.keyLine[name] = map[string]int{}
				}
				curLines = f.keyLine[name]
			case seen:
				bad(ErrDuplicate, lineNo, fmt.Sprintf("section '%s' already exists (first at line %d)", name, first))
				cur, curLines = nil, map[string]int{} // checked, not kept
			default:
				f.secLine[name] = lineNo
				f.sections = append(f.sections, name)
				curLines = map[string]int{}
				f.keyLine[name] = curLines
				if cur, err = f.file.NewSection(name); err != nil {
					bad(ErrSyntax, lineNo, err.Error())
					cur = nil
				}
			}
			continue
		}
		if first, dup := curLines[key]; dup {
			bad(ErrDuplicate, lineNo, fmt.Sprintf("option '%s' in section '%s' already exists (first at line %d)", key, curName, first))
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
// its trailing whitespace and the value is trimmed. An empty key or a line
// without a delimiter is not an option.
func splitOption(value string) (key, val string, ok bool) {
	i := strings.IndexAny(value, "=:")
	if i < 0 {
		return "", "", false
	}
	key = strings.TrimRightFunc(value[:i], isSpace)
	if key == "" {
		return "", "", false
	}
	return key, strings.TrimFunc(value[i+1:], isSpace), true
}

// isSpace is Python's str.isspace for one character: Unicode white space
// plus the separators U+001C..U+001F, which configparser strips too.
func isSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// value returns the raw value of key in section sec, reading only that
// section's own keys (ini.v1's GetKey would also search "parent" sections).
func (f *iniFile) value(sec, key string) (string, bool) {
	if _, ok := f.keyLine[sec][key]; !ok {
		return "", false
	}
	s := f.section(sec)
	if s == nil {
		return "", false
	}
	k, err := s.GetKey(key)
	if err != nil {
		return "", false
	}
	return k.Value(), true
}
