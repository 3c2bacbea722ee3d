package logging

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// ThreadNameField is the key of a string field that sets %(threadName)s
// (and %(thread)d, the N of "waitress-N") for an entry instead of being
// rendered as a key=value pair. The server adds it to the loggers it uses
// while a request runs in application slot N:
//
//	log.With(zap.String(logging.ThreadNameField, "waitress-3"))
//
// Without it %(threadName)s is "MainThread".
const ThreadNameField = "threadName"

// Extra groups fields that complete a message for structured output
// (the json formatter, zap's own encoders when there are no logging
// sections) but that text formats leave out of %(message)s, like the
// attributes of Python's extra= that a "%(message)s" format does not name.
// translogger uses it: the Apache line already says status and size in
// words, and JSON output gets them as numbers, with the duration.
func Extra(fields ...zapcore.Field) zapcore.Field {
	return zapcore.Field{Type: zapcore.InlineMarshalerType, Interface: extra(fields)}
}

type extra []zapcore.Field

func (e extra) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for _, f := range e {
		f.AddTo(enc)
	}
	return nil
}

// buildMessage renders %(message)s: the entry's message followed by its
// structured fields (the logger's With fields first) as " key=value" pairs.
// Values containing a newline (stack traces) come last, each on its own
// lines as "\nkey:\nvalue". It also returns the thread name field, if any.
func buildMessage(msg string, with, fields []zapcore.Field) (message, thread string) {
	if len(with) == 0 && len(fields) == 0 {
		return msg, ""
	}
	var b, multi strings.Builder
	b.WriteString(msg)
	prefix := ""
	add := func(key, val string, quote bool) {
		if strings.IndexByte(val, '\n') >= 0 {
			multi.WriteString("\n")
			multi.WriteString(key)
			multi.WriteString(":\n")
			multi.WriteString(strings.TrimRight(val, "\n"))
			return
		}
		b.WriteByte(' ')
		b.WriteString(key)
		b.WriteByte('=')
		if quote {
			val = quoteValue(val)
		}
		b.WriteString(val)
	}
	for _, list := range [2][]zapcore.Field{with, fields} {
		for _, f := range list {
			switch f.Type {
			case zapcore.SkipType:
				continue
			case zapcore.InlineMarshalerType:
				if _, ok := f.Interface.(extra); ok {
					continue
				}
			case zapcore.NamespaceType:
				prefix += f.Key + "."
				continue
			case zapcore.StringType:
				if f.Key == ThreadNameField && prefix == "" {
					thread = f.String
					continue
				}
				add(prefix+f.Key, f.String, true)
				continue
			case zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type:
				add(prefix+f.Key, strconv.FormatInt(f.Integer, 10), false)
				continue
			case zapcore.BoolType:
				add(prefix+f.Key, strconv.FormatBool(f.Integer == 1), false)
				continue
			case zapcore.DurationType:
				add(prefix+f.Key, time.Duration(f.Integer).String(), false)
				continue
			}
			enc := zapcore.NewMapObjectEncoder()
			f.AddTo(enc)
			keys := make([]string, 0, len(enc.Fields))
			for k := range enc.Fields {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b string) int {
				// the field's own key first (error before errorVerbose)
				if a == f.Key {
					return -1
				}
				if b == f.Key {
					return 1
				}
				return strings.Compare(a, b)
			})
			for _, k := range keys {
				v, quote := formatValue(enc.Fields[k])
				add(prefix+k, v, quote)
			}
		}
	}
	b.WriteString(multi.String())
	return b.String(), thread
}

// quoteValue quotes a single-line value when it would not read back as one
// token: empty, or containing spaces, quotes or '='.
func quoteValue(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"=") {
		return strconv.Quote(s)
	}
	return s
}

// formatValue renders a value collected by zapcore.MapObjectEncoder; quote
// says whether it is text that quoteValue may need to quote (JSON and
// numbers are left as they are).
func formatValue(v any) (s string, quote bool) {
	switch v := v.(type) {
	case nil:
		return "<nil>", false
	case string:
		return v, true
	case []byte:
		return string(v), true
	case time.Duration:
		return v.String(), false
	case time.Time:
		return v.Format(time.RFC3339Nano), false
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr, float32, float64, complex64, complex128:
		return fmt.Sprint(v), false
	case error:
		return v.Error(), true
	case fmt.Stringer:
		return v.String(), true
	case map[string]any, []any:
		return jsonText(v), false
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array, reflect.Pointer:
		return jsonText(v), false
	}
	return fmt.Sprint(v), true
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}
