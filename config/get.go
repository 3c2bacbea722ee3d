package config

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/gowaitress/gowaitress/internal/suggest"
)

// The typed getters below each return def when the key is absent. A present
// value is converted by the matching Parse function; when that fails the
// getter returns def and an *Error whose Origin is the value's origin, e.g.
//
//	production.ini:12 [server:main] threads: want an integer, got "four"
//
// Getters for kinds that cannot fail (lists, path prefixes) return no error.

// origin is where the value v stored under key came from, with Key filled in
// when the value was stored without one.
func origin(key string, v Value) Origin {
	o := v.Origin
	if o.Key == "" {
		o.Key = key
	}
	return o
}

// at returns err positioned at o: a copy of an *Error with its Origin set, or
// a new *Error wrapping any other error.
func at(o Origin, err error) *Error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Origin = o
		return &c
	}
	return &Error{Origin: o, Msg: err.Error(), Err: err}
}

// lookup is the one helper behind every fallible getter: def when key is
// absent, else parse(raw), with a failure positioned at the value's origin.
func lookup[T any](s *Settings, key string, def T, parse func(string) (T, error)) (T, error) {
	v, ok := s.Get(key)
	if !ok {
		return def, nil
	}
	t, err := parse(v.Raw)
	if err != nil {
		return def, at(origin(key, v), err)
	}
	return t, nil
}

// convert is lookup for conversions that cannot fail.
func convert[T any](s *Settings, key string, def T, f func(string) T) T {
	if raw, ok := s.Lookup(key); ok {
		return f(raw)
	}
	return def
}

// Bool returns the boolean under key (see ParseBool: true yes on y t 1 /
// false no off n f 0 and empty, case-insensitive), or def when absent.
func (s *Settings) Bool(key string, def bool) (bool, error) {
	return lookup(s, key, def, ParseBool)
}

// Int returns the base-10 integer under key (see ParseInt), or def when absent.
func (s *Settings) Int(key string, def int) (int, error) {
	return lookup(s, key, def, ParseInt)
}

// IntRange returns the integer under key, which must lie in [min, max]
// (math.MinInt / math.MaxInt for an open end; see ParseIntRange), or def when
// absent. def itself is not checked.
func (s *Settings) IntRange(key string, def, min, max int) (int, error) {
	return lookup(s, key, def, func(v string) (int, error) { return ParseIntRange(v, min, max) })
}

// ByteSize returns the size in bytes under key (an integer, or an integer
// followed by K, M or G; see ParseByteSize), or def when absent.
func (s *Settings) ByteSize(key string, def int64) (int64, error) {
	return lookup(s, key, def, ParseByteSize)
}

// ByteSizeRange returns the size in bytes under key, which must lie in
// [min, max] (math.MaxInt64 for no upper bound; see ParseByteSizeRange), or
// def when absent. def itself is not checked.
func (s *Settings) ByteSizeRange(key string, def, min, max int64) (int64, error) {
	return lookup(s, key, def, func(v string) (int64, error) { return ParseByteSizeRange(v, min, max) })
}

// Duration returns the duration under key (whole seconds, or a Go duration
// with a unit such as 500ms or 1m30s; see ParseDuration), or def when absent.
func (s *Settings) Duration(key string, def time.Duration) (time.Duration, error) {
	return lookup(s, key, def, ParseDuration)
}

// Octal returns the permission bits written in octal under key (600, 0600 or
// 0o600, at most 0777; see ParseOctal), or def when absent.
func (s *Settings) Octal(key string, def os.FileMode) (os.FileMode, error) {
	return lookup(s, key, def, ParseOctal)
}

// List returns the items under key separated by whitespace or commas, empty
// items dropped (the server options' list form; see ParseList), or def when
// absent. A present but empty value gives an empty list, not def.
func (s *Settings) List(key string, def []string) []string {
	return convert(s, key, def, ParseList)
}

// Words returns the items under key split on runs of whitespace (PasteDeploy's
// aslist; see ParseWords), or def when absent.
func (s *Settings) Words(key string, def []string) []string {
	return convert(s, key, def, ParseWords)
}

// Split returns the items under key split on sep, trimmed, empty items kept
// (PasteDeploy's aslist with a separator; see ParseSplit), or def when absent.
func (s *Settings) Split(key, sep string, def []string) []string {
	return convert(s, key, def, func(v string) []string { return ParseSplit(v, sep) })
}

// Lines returns the words under key as Pyramid's aslist reads them (lines,
// then whitespace; see ParseLines), or def when absent.
func (s *Settings) Lines(key string, def []string) []string {
	return convert(s, key, def, ParseLines)
}

// PathPrefix returns the URL path prefix under key normalised as waitress's
// slash_fixed_str does ("//app//" → "/app"; see ParsePathPrefix), or def when
// absent. def is returned as given, not normalised.
func (s *Settings) PathPrefix(key, def string) string {
	return convert(s, key, def, ParsePathPrefix)
}

// OptString is waitress's str_iftruthy: it returns the raw value under key
// and true, or "" and false when the key is absent or its value is empty
// (empty means "not set"). Whitespace-only values count as set.
func (s *Settings) OptString(key string) (string, bool) {
	v := s.String(key)
	return v, v != ""
}

// Errorf returns an *Error positioned at the value stored under key (or at
// just the key when it is absent), for checks the getters do not make:
//
//	return s.Errorf("cleanup_interval", "want a duration greater than 0, got %q", raw)
func (s *Settings) Errorf(key, format string, args ...any) *Error {
	o := Origin{Key: key}
	if v, ok := s.Get(key); ok {
		o = origin(key, v)
	}
	return &Error{Origin: o, Msg: fmt.Sprintf(format, args...)}
}

// CheckKeys reports every key of s that is not in known, in the order of s:
// one *Error per key, at the value's origin, with the message
// `unknown setting` followed by ` (did you mean "threads"?)` when a known name
// is close. It returns nil when every key is known, the single *Error for one
// unknown key, and Errors (see Join) for several.
func (s *Settings) CheckKeys(known []string) error {
	var errs []error
	for k, v := range s.All() {
		if !slices.Contains(known, k) {
			errs = append(errs, &Error{Origin: origin(k, v), Msg: "unknown setting" + suggest.DidYouMean(k, known)})
		}
	}
	return Join(errs...)
}

// Require reports every one of keys that s lacks, in the order given, with
// the message `required setting missing`. The error's Origin names the key
// and, when s holds a value from its own section (Source SourceSection,
// SourceSet or SourceGet), that value's file and section, so the text reads
// `production.ini [app:main] db_url: required setting missing`; there is no
// line. Like CheckKeys it returns nil, one *Error, or Errors.
func (s *Settings) Require(keys ...string) error {
	var where Origin
	for _, v := range s.All() {
		if src := v.Origin.Source; src == SourceSection || src == SourceSet || src == SourceGet {
			where = Origin{File: v.Origin.File, Section: v.Origin.Section, Source: SourceSection}
			break
		}
	}
	var errs []error
	for _, k := range keys {
		if !s.Has(k) {
			o := where
			o.Key = k
			errs = append(errs, &Error{Origin: o, Msg: "required setting missing"})
		}
	}
	return Join(errs...)
}

// Getter reads typed settings and collects every conversion error, so that a
// factory can read all its options and report all problems at once:
//
//	g := config.NewGetter(local)
//	threads := g.IntRange("threads", 4, 1, 1<<20)
//	perms := g.Octal("unix_socket_perms", 0o600)
//	if err := g.Err(); err != nil {
//		return nil, err
//	}
//
// Its methods are the Settings getters without the error result; a value that
// fails to convert gives def. The zero Getter reads an empty Settings.
type Getter struct {
	s    *Settings
	errs []error
}

// NewGetter returns a Getter reading s (nil reads as empty).
func NewGetter(s *Settings) *Getter { return &Getter{s: s} }

// Getter returns a Getter reading s; see NewGetter.
func (s *Settings) Getter() *Getter { return NewGetter(s) }

// Settings returns the Settings g reads.
func (g *Getter) Settings() *Settings { return g.s }

// Add records err (nil is ignored; Errors are flattened).
func (g *Getter) Add(err error) {
	if es, ok := err.(Errors); ok {
		g.errs = append(g.errs, es...)
	} else if err != nil {
		g.errs = append(g.errs, err)
	}
}

// Errorf records an error positioned at key; see Settings.Errorf.
func (g *Getter) Errorf(key, format string, args ...any) {
	g.Add(g.s.Errorf(key, format, args...))
}

// Err returns every problem recorded so far, in the order found: nil when
// there are none, the single *Error for one, Errors for several.
func (g *Getter) Err() error { return Join(g.errs...) }

// record returns a function that records the error of a fallible getter in g
// and passes its value on: record[int](g)(s.Int(key, def)).
func record[T any](g *Getter) func(T, error) T {
	return func(v T, err error) T {
		g.Add(err)
		return v
	}
}

// Bool is Settings.Bool with the error recorded in g.
func (g *Getter) Bool(key string, def bool) bool {
	return record[bool](g)(g.s.Bool(key, def))
}

// Int is Settings.Int with the error recorded in g.
func (g *Getter) Int(key string, def int) int {
	return record[int](g)(g.s.Int(key, def))
}

// IntRange is Settings.IntRange with the error recorded in g.
func (g *Getter) IntRange(key string, def, min, max int) int {
	return record[int](g)(g.s.IntRange(key, def, min, max))
}

// ByteSize is Settings.ByteSize (bytes) with the error recorded in g.
func (g *Getter) ByteSize(key string, def int64) int64 {
	return record[int64](g)(g.s.ByteSize(key, def))
}

// ByteSizeRange is Settings.ByteSizeRange (bytes) with the error recorded in g.
func (g *Getter) ByteSizeRange(key string, def, min, max int64) int64 {
	return record[int64](g)(g.s.ByteSizeRange(key, def, min, max))
}

// Duration is Settings.Duration with the error recorded in g.
func (g *Getter) Duration(key string, def time.Duration) time.Duration {
	return record[time.Duration](g)(g.s.Duration(key, def))
}

// Octal is Settings.Octal with the error recorded in g.
func (g *Getter) Octal(key string, def os.FileMode) os.FileMode {
	return record[os.FileMode](g)(g.s.Octal(key, def))
}

// List is Settings.List (whitespace or commas); it cannot fail.
func (g *Getter) List(key string, def []string) []string { return g.s.List(key, def) }

// Words is Settings.Words (whitespace); it cannot fail.
func (g *Getter) Words(key string, def []string) []string { return g.s.Words(key, def) }

// Split is Settings.Split (explicit separator); it cannot fail.
func (g *Getter) Split(key, sep string, def []string) []string { return g.s.Split(key, sep, def) }

// Lines is Settings.Lines (Pyramid's aslist); it cannot fail.
func (g *Getter) Lines(key string, def []string) []string { return g.s.Lines(key, def) }

// PathPrefix is Settings.PathPrefix; it cannot fail.
func (g *Getter) PathPrefix(key, def string) string { return g.s.PathPrefix(key, def) }

// OptString is Settings.OptString; it cannot fail.
func (g *Getter) OptString(key string) (string, bool) { return g.s.OptString(key) }

// String is Settings.String: the raw value under key, or "" when absent.
func (g *Getter) String(key string) string { return g.s.String(key) }

// CheckKeys records Settings.CheckKeys(known).
func (g *Getter) CheckKeys(known []string) { g.Add(g.s.CheckKeys(known)) }

// Require records Settings.Require(keys...).
func (g *Getter) Require(keys ...string) { g.Add(g.s.Require(keys...)) }
