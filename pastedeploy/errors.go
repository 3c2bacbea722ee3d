package pastedeploy

import (
	"strings"
)

// ErrorKind classifies load errors. Each kind is also an error value, so
// callers can test with errors.Is(err, pastedeploy.ErrMissingSection).
type ErrorKind int

// The kinds of load errors.
const (
	_                       ErrorKind = iota
	ErrSyntax                         // a line the INI reader cannot parse
	ErrDuplicate                      // a repeated section header or key
	ErrFileNotFound                   // a config file that does not exist (also wraps fs.ErrNotExist)
	ErrBadURI                         // a URI without a scheme, or an unresolvable relative config: path
	ErrUnknownScheme                  // a scheme other than config, egg, call
	ErrMissingSection                 // no section of an acceptable type has the name
	ErrAmbiguousSection               // sections of different types define the same object
	ErrNoFactory                      // a section with neither use nor a protocol key
	ErrConflictingFactories           // protocol keys of different groups in one section
	ErrUnknownFactory                 // a name that is not registered
	ErrAmbiguousFactory               // an egg entry registered under protocols of two groups
	ErrFactoryKind                    // registered, but as a kind that cannot be used there
	ErrInterpolation                  // a bad % sequence, unknown %(name)s, or too deep nesting
	ErrMissingSetting                 // a required key is absent, or get names an unknown global
	ErrDisallowedSetting              // a key not allowed in the section type
	ErrInvalidSetting                 // a value that cannot be used
	ErrUnknownSetting                 // a factory was given a setting it does not accept
	ErrCircular                       // a reference cycle
	ErrUnsupported                    // a construct that only makes sense in Python
	ErrFactory                        // a factory returned an error of its own
)

var kindNames = [...]string{
	ErrSyntax: "syntax", ErrDuplicate: "duplicate", ErrFileNotFound: "file-not-found", ErrBadURI: "bad-uri",
	ErrUnknownScheme: "unknown-scheme", ErrMissingSection: "missing-section", ErrAmbiguousSection: "ambiguous-section",
	ErrNoFactory: "no-factory", ErrConflictingFactories: "conflicting-factories", ErrUnknownFactory: "unknown-factory",
	ErrAmbiguousFactory: "ambiguous-factory", ErrFactoryKind: "factory-kind", ErrInterpolation: "interpolation",
	ErrMissingSetting: "missing-setting", ErrDisallowedSetting: "disallowed-setting", ErrInvalidSetting: "invalid-setting",
	ErrUnknownSetting: "unknown-setting", ErrCircular: "circular", ErrUnsupported: "unsupported", ErrFactory: "factory",
}

// Error returns the kind's name, e.g. "missing-section".
func (k ErrorKind) Error() string {
	if int(k) > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Error is a load error: its kind, where it happened, and what is wrong.
// Its text starts with the position: `file:line [section] key: message`.
type Error struct {
	Kind    ErrorKind
	File    string // the config file, as opened
	Line    int    // 1-based, 0 when unknown
	Section string // section header text, e.g. "app:main"
	Key     string // the key involved, e.g. "use"
	Msg     string
	Err     error // the cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(itoa(e.Line))
		}
	}
	if e.Section != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("[" + e.Section + "]")
	}
	if e.Key != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Key)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(ErrorKind)
	return ok && k == e.Kind
}

func itoa(n int) string {
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
