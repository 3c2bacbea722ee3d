// Package config turns configuration strings into typed values and remembers
// where every value came from (file, line, section, key), so that every error
// can point at the exact place a user has to edit:
//
//	production.ini:12 [server:main] threads: want an integer, got "four"
//
// Settings is the ordered string map that PasteDeploy factories receive as
// their global and local configuration; the typed getters in this package
// (Bool, Int, ByteSize, Duration, Octal, List, ...) convert its values.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Source says what kind of configuration line produced a value. It is what
// `gowaitress check --show` prints next to every effective setting.
type Source int

const (
	// SourceUnknown is the zero value: the origin is not known (values set
	// from Go code without an origin).
	SourceUnknown Source = iota
	// SourceSection is an ordinary key of the object's own section.
	SourceSection
	// SourceDefault is a key of the file's [DEFAULT] section.
	SourceDefault
	// SourceComputed is a value computed by the loader: here and __file__.
	SourceComputed
	// SourceCaller is a caller variable (`gowaitress serve file.ini name=value`).
	SourceCaller
	// SourceSet is a `set NAME = value` line.
	SourceSet
	// SourceGet is a `get NAME = global` line.
	SourceGet
	// SourceGo is a value set through the Go API.
	SourceGo
)

var sourceNames = [...]string{"unknown", "section", "DEFAULT", "computed", "caller variable", "set", "get", "Go"}

// String returns a short human-readable name such as "DEFAULT" or "caller variable".
func (s Source) String() string {
	if int(s) >= 0 && int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "Source(" + strconv.Itoa(int(s)) + ")"
}

// Origin is where a value was written. The zero Origin means "unknown".
type Origin struct {
	File    string // path of the file as the loader opened it; "" for values not from a file
	Line    int    // 1-based line of the key, 0 when unknown
	Section string // section header text, e.g. "server:main"; "" when not from a section
	Key     string // the key as written, e.g. "threads" or "set port"
	Source  Source
}

// String formats the origin as the position prefix of an error message:
// `file:line [section] key`, leaving out the parts that are unknown.
func (o Origin) String() string {
	var b strings.Builder
	if o.File != "" {
		b.WriteString(o.File)
		if o.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(o.Line))
		}
	}
	if o.Section != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('[')
		b.WriteString(o.Section)
		b.WriteByte(']')
	}
	if o.Key != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(o.Key)
	}
	return b.String()
}

// Describe says where the value came from in words, for `check --show`:
// `development.ini:7 [app:main]`, `development.ini:3 [DEFAULT]`, `caller variable`.
func (o Origin) Describe() string {
	switch o.Source {
	case SourceCaller:
		return "caller variable"
	case SourceComputed:
		if o.File != "" {
			return "computed from " + o.File
		}
		return "computed"
	}
	p := Origin{File: o.File, Line: o.Line, Section: o.Section}.String()
	switch o.Source {
	case SourceSet:
		return p + " (set)"
	case SourceGet:
		return p + " (get)"
	}
	if p == "" {
		return o.Source.String()
	}
	return p
}

// Value is one raw setting and where it came from.
type Value struct {
	Raw    string
	Origin Origin
}

// Settings is an ordered map of raw string settings. Keys keep the order in
// which they were first set (file order when loaded from an INI file).
// The zero value is an empty, usable map. Settings is not safe for concurrent
// mutation; factories receive their own copies.
type Settings struct {
	keys []string
	vals map[string]Value
}

// NewSettings returns an empty Settings.
func NewSettings() *Settings { return &Settings{} }

// FromMap builds Settings from a plain map, in sorted key order, with the
// given source for every value (SourceGo for values from code, SourceCaller
// for caller variables).
func FromMap(m map[string]string, src Source) *Settings {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := &Settings{}
	for _, k := range keys {
		s.Set(k, m[k], Origin{Key: k, Source: src})
	}
	return s
}

// Len reports the number of keys.
func (s *Settings) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Keys returns the keys in order. The slice is a copy.
func (s *Settings) Keys() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.keys...)
}

// Get returns the value stored under key.
func (s *Settings) Get(key string) (Value, bool) {
	if s == nil || s.vals == nil {
		return Value{}, false
	}
	v, ok := s.vals[key]
	return v, ok
}

// Lookup returns the raw string stored under key.
func (s *Settings) Lookup(key string) (string, bool) {
	v, ok := s.Get(key)
	return v.Raw, ok
}

// String returns the raw string stored under key, or "" when absent.
func (s *Settings) String(key string) string {
	v, _ := s.Get(key)
	return v.Raw
}

// Has reports whether key is present.
func (s *Settings) Has(key string) bool {
	_, ok := s.Get(key)
	return ok
}

// Set stores raw under key with its origin. An existing key keeps its
// position; a new key goes last. The origin's Key is filled in when empty.
func (s *Settings) Set(key, raw string, o Origin) {
	if o.Key == "" {
		o.Key = key
	}
	s.SetValue(key, Value{Raw: raw, Origin: o})
}

// SetValue stores v under key. An existing key keeps its position.
func (s *Settings) SetValue(key string, v Value) {
	if s.vals == nil {
		s.vals = make(map[string]Value)
	}
	if _, ok := s.vals[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.vals[key] = v
}

// Delete removes key; it reports whether the key was present.
func (s *Settings) Delete(key string) bool {
	if s == nil || s.vals == nil {
		return false
	}
	if _, ok := s.vals[key]; !ok {
		return false
	}
	delete(s.vals, key)
	for i, k := range s.keys {
		if k == key {
			s.keys = append(s.keys[:i:i], s.keys[i+1:]...)
			break
		}
	}
	return true
}

// Clone returns an independent copy. Cloning nil gives an empty Settings.
func (s *Settings) Clone() *Settings {
	c := &Settings{}
	if s == nil || len(s.keys) == 0 {
		return c
	}
	c.keys = append(make([]string, 0, len(s.keys)), s.keys...)
	c.vals = make(map[string]Value, len(s.vals))
	for k, v := range s.vals {
		c.vals[k] = v
	}
	return c
}

// Update sets every entry of other on s, in other's order (other wins).
func (s *Settings) Update(other *Settings) {
	if other == nil {
		return
	}
	for _, k := range other.keys {
		s.SetValue(k, other.vals[k])
	}
}

// Map returns the raw values as a plain map.
func (s *Settings) Map() map[string]string {
	m := make(map[string]string, s.Len())
	if s == nil {
		return m
	}
	for k, v := range s.vals {
		m[k] = v.Raw
	}
	return m
}

// All iterates over the entries in order.
func (s *Settings) All() func(yield func(string, Value) bool) {
	return func(yield func(string, Value) bool) {
		if s == nil {
			return
		}
		for _, k := range s.keys {
			if !yield(k, s.vals[k]) {
				return
			}
		}
	}
}

// GoString shows the settings as an ordered list of key=value pairs (for debugging).
func (s *Settings) GoString() string {
	var b strings.Builder
	b.WriteString("config.Settings{")
	for i, k := range s.Keys() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %q", k, s.String(k))
	}
	b.WriteString("}")
	return b.String()
}
