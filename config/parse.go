package config

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The Parse functions convert one raw string without a Settings around it.
// Their errors are *Error values with a zero Origin, so their text is just the
// problem (`want an integer, got "four"`); the Settings getters copy them and
// fill in the origin of the value.

// syntaxError is the error every converter returns: want, then the value quoted.
func syntaxError(want, raw string) error {
	return &Error{Msg: fmt.Sprintf("%s, got %q", want, raw)}
}

// ParseBool converts a boolean: case-insensitive, surrounding whitespace
// ignored; true yes on y t 1 are true, false no off n f 0 and the empty string
// are false. Anything else is an error — unlike waitress's asbool, which reads
// a typo as false, and PasteDeploy's asbool, which rejects the empty string.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "y", "t", "1":
		return true, nil
	case "false", "no", "off", "n", "f", "0", "":
		return false, nil
	}
	return false, syntaxError("want a boolean (true/false, yes/no, on/off, y/n, t/f, 1/0)", s)
}

// digits checks that s is ASCII decimal digits with single underscores
// between digits (Python's digit grouping, `1_000`) and returns it without
// the underscores.
func digits(s string) (string, bool) {
	prevDigit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			prevDigit = true
		case c == '_' && prevDigit && i+1 < len(s):
			prevDigit = false
		default:
			return "", false
		}
	}
	return strings.ReplaceAll(s, "_", ""), prevDigit
}

// scanInt parses an already trimmed, optionally signed base-10 integer.
// ok is false on a syntax error; overflow is true when the number is well
// formed but does not fit in an int64.
func scanInt(s string) (n int64, ok, overflow bool) {
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	d, ok := digits(s)
	if !ok {
		return 0, false, false
	}
	n, err := strconv.ParseInt(sign+d, 10, 64)
	return n, true, err != nil
}

// rangeWant describes what is wanted: `want an integer`, `want an integer of
// at least 1`, `want an integer of at most 9`, `want an integer from 0 to
// 65535`. A bound equal to the type's limit (lo, hi) counts as no bound.
func rangeWant(noun string, min, max, lo, hi int64) string {
	switch {
	case min <= lo && max >= hi:
		return "want " + noun
	case max >= hi:
		return fmt.Sprintf("want %s of at least %d", noun, min)
	case min <= lo:
		return fmt.Sprintf("want %s of at most %d", noun, max)
	}
	return fmt.Sprintf("want %s from %d to %d", noun, min, max)
}

// ParseInt converts an integer: optional surrounding whitespace, optional +
// or -, ASCII digits with single underscores between digits (`1_000`), base 10
// only. Non-ASCII digits, `0x50`, `1e3`, `8080.0`, the empty string and values
// that do not fit in an int are errors.
func ParseInt(s string) (int, error) {
	return ParseIntRange(s, math.MinInt, math.MaxInt)
}

// ParseIntRange is ParseInt plus a range check: the value must lie in
// [min, max]. Pass math.MinInt or math.MaxInt for an open end; the error then
// reads `want an integer of at least 1, got "0"` instead of
// `want an integer from 0 to 65535, got "70000"`.
func ParseIntRange(s string, min, max int) (int, error) {
	n, err := intKind.parse(s, strings.TrimSpace(s), int64(min), int64(max), 1)
	return int(n), err
}

// numKind describes an integer-valued kind for parse: its noun in messages,
// the message for malformed text, and the limits of its Go type.
type numKind struct {
	noun, syntax string
	lo, hi       int64
}

var (
	intKind  = numKind{"an integer", "want an integer", math.MinInt, math.MaxInt}
	byteKind = numKind{"a byte size", "want a byte size (an integer, optionally followed by K, M or G)", math.MinInt64, math.MaxInt64}
)

// parse reads num (the trimmed digits of raw), multiplies it by mult and
// checks it against [lower, upper]; errors quote raw.
func (k numKind) parse(raw, num string, lower, upper, mult int64) (int64, error) {
	n, ok, overflow := scanInt(num)
	switch {
	case !ok:
		return 0, syntaxError(k.syntax, raw)
	case overflow || n > k.hi/mult || n < k.lo/mult:
		// Too large for the Go type: name the limits that apply.
		return 0, syntaxError(fmt.Sprintf("want %s from %d to %d", k.noun, max(lower, k.lo), min(upper, k.hi)), raw)
	case n*mult < lower || n*mult > upper:
		return 0, syntaxError(rangeWant(k.noun, lower, upper, k.lo, k.hi), raw)
	}
	return n * mult, nil
}

// ParseByteSize converts a size in bytes: an integer as for ParseInt, or an
// integer immediately followed by K, M or G (case-insensitive; ×1024, ×1024²,
// ×1024³), e.g. `8192`, `512K`, `1g`. Fractions (`1.5K`), other suffixes
// (`KB`, `MiB`), a space before the suffix, negative sizes and sizes beyond
// int64 are errors. The suffixes are a gowaitress extension; waitress reads
// plain integers only.
func ParseByteSize(s string) (int64, error) {
	return ParseByteSizeRange(s, 0, math.MaxInt64)
}

// ParseByteSizeRange is ParseByteSize with the size (in bytes, after the
// suffix is applied) checked against [min, max]; math.MaxInt64 means no upper
// bound. Negative sizes are always errors, whatever min says.
func ParseByteSizeRange(s string, min, max int64) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
	}
	if mult != 1 {
		t = t[:len(t)-1]
	}
	if min < 0 {
		min = 0
	}
	return byteKind.parse(s, t, min, max, mult)
}

// ParseDuration converts a duration: an integer number of seconds (as
// waitress reads its timeouts), or a Go duration with a unit such as `500ms`,
// `90s`, `2m` or `1m30s` (an extension). Negative durations and numbers with a
// fraction but no unit (`1.5`) are errors.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok, overflow := scanInt(t); ok {
		if !overflow && n >= 0 && n <= math.MaxInt64/int64(time.Second) {
			return time.Duration(n) * time.Second, nil
		}
	} else if d, err := time.ParseDuration(t); err == nil && d >= 0 {
		return d, nil
	}
	return 0, syntaxError("want a non-negative duration (whole seconds, or a number with a unit such as 500ms, 90s or 1m30s)", s)
}

// ParseOctal converts file permission bits written in octal, as waitress's
// asoctal does for unix_socket_perms: `600`, `0600` and `0o600` all mean
// 0o600; surrounding whitespace is ignored. The result is an os.FileMode
// holding permission bits only, ready for os.Chmod. Digits 8 and 9, signs and
// values above 0777 are errors.
func ParseOctal(s string) (os.FileMode, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O') {
		t = t[2:]
	}
	if d, ok := digits(t); ok {
		if n, err := strconv.ParseUint(d, 8, 32); err == nil && n <= 0o777 {
			return os.FileMode(n), nil
		}
	}
	return 0, syntaxError("want octal permissions from 0 to 0777 (such as 600, 0640 or 0o600)", s)
}

// ParseList splits the list form of the server options (listen,
// trusted_proxy, trusted_proxy_headers): items are separated by whitespace,
// including newlines, or by commas; empty items are dropped. It never fails.
// waitress's aslist does not treat commas as separators; a comma there could
// only produce an error or a value that never matches.
func ParseList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// ParseWords is PasteDeploy's aslist(s) with sep=None: s split on runs of
// whitespace; empty items never appear and "" gives an empty list.
func ParseWords(s string) []string { return strings.Fields(s) }

// ParseSplit is PasteDeploy's aslist(s, sep): s split on sep exactly, every
// item trimmed of surrounding whitespace, empty items kept:
// ParseSplit(" a, b,,c, ", ",") is ["a" "b" "" "c" ""]. An empty sep behaves
// as ParseWords (Python's sep=None).
func ParseSplit(s, sep string) []string {
	if sep == "" {
		return ParseWords(s)
	}
	items := strings.Split(s, sep)
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
	}
	return items
}

// ParseLines is Pyramid's (and waitress's) aslist: s split into lines, each
// line stripped, empty lines dropped, then every line split on whitespace and
// the words flattened into one list. Since line breaks are whitespace too, the
// result equals ParseWords; it exists so code ported from Pyramid can say
// what it means. Commas do not separate.
func ParseLines(s string) []string { return ParseWords(s) }

// ParsePathPrefix normalises a URL path prefix as waitress's slash_fixed_str
// does for url_prefix: surrounding whitespace is removed; a non-empty result
// gets exactly one leading slash and no trailing slash ("app/" and "//app//"
// give "/app", "a/b/" gives "/a/b", "/" stays "/"); whitespace only gives "".
func ParsePathPrefix(s string) string {
	t := strings.TrimSpace(s)
	if t == "" {
		return ""
	}
	return "/" + strings.Trim(t, "/")
}
