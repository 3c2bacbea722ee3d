package config

import "strings"

// Error is a problem with one setting. Its text starts with the position of
// the value (see Origin.String) followed by what is wrong:
//
//	production.ini:12 [server:main] threads: want an integer, got "four"
type Error struct {
	Origin Origin
	Msg    string // what is wrong, without the position
	Err    error  // the underlying cause, if any
}

// Error formats the error as `position: message`, or just the message when
// the origin is unknown.
func (e *Error) Error() string {
	p := e.Origin.String()
	if p == "" {
		return e.Msg
	}
	return p + ": " + e.Msg
}

// Unwrap returns the underlying cause (nil for conversion errors).
func (e *Error) Unwrap() error { return e.Err }

// Errors is a list of problems reported together. Its text has one problem a
// line. errors.As and errors.Is look into every element.
type Errors []error

// Error joins the problems' texts, one a line.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap gives errors.Is and errors.As access to every problem.
func (es Errors) Unwrap() []error { return es }

// Join collects the non-nil errors: nil when there are none, the single error
// itself when there is one, Errors (flattened) otherwise.
func Join(errs ...error) error {
	var out Errors
	for _, e := range errs {
		if e == nil {
			continue
		}
		if es, ok := e.(Errors); ok {
			out = append(out, es...)
			continue
		}
		out = append(out, e)
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}
