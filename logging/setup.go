package logging

import (
	"errors"
	"fmt"
	"github.com/gowaitress/gowaitress/internal/configparser"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gowaitress/gowaitress/config"
)

// Setup is a logging configuration built from a file's logging sections.
type Setup struct {
	core   *core
	logger *zap.Logger
	files  []*fileOutput
}

// Option changes how FromFile builds a Setup.
type Option func(*options)

type options struct {
	stdout, stderr io.Writer
	noFiles        bool
}

// WithStreams replaces the writers that sys.stdout and sys.stderr stand for
// in handler args (default os.Stdout and os.Stderr); tests use buffers.
// Python's last-resort output (WARNING and above when a logger has no
// handler at all) goes to stderr too.
func WithStreams(stdout, stderr io.Writer) Option {
	return func(o *options) { o.stdout, o.stderr = stdout, stderr }
}

// Check validates the logging sections of the file at path as FromFile does,
// without opening log files. found is false when there is no [loggers]
// section.
func Check(path string, vars map[string]string) (found bool, err error) {
	s, found, err := FromFile(path, vars, func(o *options) { o.noFiles = true })
	if s != nil {
		s.Close()
	}
	return found, err
}

// FromFile reads the logging sections of the INI file at path, as pserve's
// setup_logging does with Python's logging.config.fileConfig, and returns a
// Setup. ok is false (and s nil) when the file has no section named exactly
// [loggers]; the file must still parse.
//
// vars are the caller variables (`gowaitress serve file.ini name=value`);
// with the computed here (the file's directory) and __file__ (its absolute
// path) they are the parser defaults for %(name)s interpolation. Names are
// case-insensitive, and the file's [DEFAULT] values beat them. format,
// datefmt and style are read raw.
//
// All problems are reported together as *config.Error values (joined with
// config.Join), each naming the file, line, section and key.
func FromFile(path string, vars map[string]string, opts ...Option) (s *Setup, ok bool, err error) {
	o := options{stdout: os.Stdout, stderr: os.Stderr}
	for _, opt := range opts {
		opt(&o)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, false, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, false, err
	}
	defaults := map[string]string{"here": filepath.Dir(abs), "__file__": abs}
	literal := map[string]bool{"here": true, "__file__": true}
	for k, v := range vars {
		defaults[k] = v
		delete(literal, k)
	}
	f, err := readINI(path, data, defaults, literal)
	if err != nil {
		return nil, false, err
	}
	if f.sections["loggers"] == nil {
		return nil, false, nil
	}
	b := &builder{f: f, o: o, streamMu: &sync.Mutex{}, listed: map[string]bool{}}
	s = b.build()
	if len(b.errs) > 0 {
		s.Close()
		return nil, true, config.Join(b.errs...)
	}
	return s, true, nil
}

// Logger returns the root logger. Child loggers made with Named ("waitress",
// then "queue" → "waitress.queue") are routed to the [logger_*] section whose
// qualname is the longest dotted prefix of their name, else to root; each
// entry then goes to the handlers of that logger and, while propagate is on,
// of its ancestors. Caller information is added when a format uses it.
func (s *Setup) Logger() *zap.Logger { return s.logger }

// Core returns the routing core, for callers that build their own logger
// (they need zap.AddCaller for %(lineno)s and friends).
func (s *Setup) Core() zapcore.Core { return s.core }

// Close closes the files of FileHandlers; later entries for them fail.
func (s *Setup) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, f := range s.files {
		errs = append(errs, f.close())
	}
	return errors.Join(errs...)
}

type builder struct {
	f        *iniFile
	o        options
	errs     []error
	streamMu *sync.Mutex
	files    []*fileOutput
	listed   map[string]bool // "handler_x", "formatter_x" for the ids of [handlers] and [formatters] keys
}

func (b *builder) errorf(section, key, format string, args ...any) {
	b.errs = append(b.errs, &config.Error{Origin: b.f.origin(section, key), Msg: fmt.Sprintf(format, args...)})
}

// get returns the interpolated value of key (found false when absent),
// recording an interpolation error.
func (b *builder) get(section, key string) (string, bool) {
	v, found, err := b.f.get(section, key)
	if err != nil {
		b.errs = append(b.errs, err)
		return "", false
	}
	return v, found
}

// list reads a comma-separated id list (`keys`, `handlers`).
func (b *builder) list(section, key string, required bool) []string {
	v, found := b.get(section, key)
	if !found {
		if required {
			b.errorf(section, key, "missing key %q", key)
		}
		return nil
	}
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var ids []string
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			b.errorf(section, key, "empty name in %q", v)
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

func (b *builder) build() *Setup {
	f := b.f
	for _, name := range []string{"formatters", "handlers"} {
		if f.sections[name] == nil {
			b.errs = append(b.errs, &config.Error{Origin: config.Origin{File: f.path}, Msg: fmt.Sprintf("[loggers] exists but [%s] is missing", name)})
		}
	}
	formatters := map[string]formatter{}
	if f.sections["formatters"] != nil {
		for _, id := range b.list("formatters", "keys", true) {
			sec := "formatter_" + id
			b.listed[sec] = true
			if f.sections[sec] == nil {
				b.errorf("formatters", "keys", "formatter %q has no [%s] section", id, sec)
				continue
			}
			if ft := b.formatter(sec); ft != nil {
				formatters[id] = ft
			}
		}
	}
	handlers := map[string]*handler{}
	if f.sections["handlers"] != nil {
		for _, id := range b.list("handlers", "keys", true) {
			sec := "handler_" + id
			b.listed[sec] = true
			if f.sections[sec] == nil {
				b.errorf("handlers", "keys", "handler %q has no [%s] section", id, sec)
				continue
			}
			if h := b.handler(id, sec, formatters); h != nil {
				handlers[id] = h
			}
		}
	}
	loggers := map[string]*pyLogger{}
	ids := b.list("loggers", "keys", true)
	hasRoot := false
	for _, id := range ids {
		if id == "root" {
			hasRoot = true
		}
	}
	if !hasRoot {
		b.errorf("loggers", "keys", "must include root")
	}
	for _, id := range ids {
		sec := "logger_" + id
		if f.sections[sec] == nil {
			b.errorf("loggers", "keys", "logger %q has no [%s] section", id, sec)
			continue
		}
		l := &pyLogger{propagate: true}
		if id == "root" {
			l.level = levelWarning // the root logger's default
		} else {
			qn, found, err := f.get(sec, "qualname")
			if err != nil {
				b.errs = append(b.errs, err)
				continue
			}
			if !found {
				b.errorf(sec, "qualname", "missing key \"qualname\" (the dotted logger name, e.g. qualname = myproject)")
				continue
			}
			l.name = qn
			if v, found := b.get(sec, "propagate"); found {
				n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(v), "+"))
				if err != nil {
					b.errorf(sec, "propagate", "want an integer (0 = off, 1 = on), got %q", v)
				}
				l.propagate = n != 0
			}
		}
		if v, found := b.get(sec, "level"); found {
			if n, ok := b.level(sec, v); ok {
				l.level = n
			}
		}
		for _, hid := range b.list(sec, "handlers", true) {
			h, ok := handlers[hid]
			if !ok {
				if !b.listed["handler_"+hid] && f.sections["handlers"] != nil { // else its own problem is reported
					b.errorf(sec, "handlers", "unknown handler %q (not listed in [handlers] keys)", hid)
				}
				continue
			}
			l.handlers = append(l.handlers, h)
		}
		loggers[l.name] = l
	}
	if loggers[""] == nil {
		loggers[""] = &pyLogger{name: "", level: levelWarning, propagate: true}
	}
	stderr := &streamOutput{mu: b.streamMu, w: b.o.stderr}
	lastResort := &handler{name: "lastResort", level: levelWarning, fmt: mustText("%(message)s"), out: stderr}
	c := &core{r: newRouter(loggers, lastResort)}
	opts := []zap.Option{zap.ErrorOutput(zapcore.AddSync(writerFunc(stderr.write)))}
	for _, h := range handlers {
		if h.fmt.usesCaller() {
			opts = append(opts, zap.AddCaller())
			break
		}
	}
	return &Setup{core: c, logger: zap.New(c, opts...), files: b.files}
}

type writerFunc func([]byte) error

func (w writerFunc) Write(b []byte) (int, error) {
	if err := w(b); err != nil {
		return 0, err
	}
	return len(b), nil
}

func mustText(format string) *textFormatter {
	f, err := newTextFormatter(format, "", "%")
	if err != nil {
		panic(err)
	}
	return f
}

func (b *builder) level(sec, v string) (int, bool) {
	n, ok := levelNames[v]
	if !ok {
		hint := ""
		if _, upper := levelNames[strings.ToUpper(strings.TrimSpace(v))]; upper {
			hint = " (level names are upper case)"
		}
		b.errorf(sec, "level", "unknown level %q%s; want DEBUG, INFO, WARNING (WARN), ERROR, CRITICAL (FATAL) or NOTSET", v, hint)
	}
	return n, ok
}

func (b *builder) formatter(sec string) formatter {
	class, _ := b.get(sec, "class")
	switch strings.TrimSpace(class) {
	case "", "logging.Formatter", "Formatter":
	case "json":
		return newJSONFormatter()
	default:
		b.errorf(sec, "class", "unsupported formatter class %q (supported: logging.Formatter, json)", class)
		return nil
	}
	format, _ := b.f.getRaw(sec, "format")
	datefmt, _ := b.f.getRaw(sec, "datefmt")
	style, found := b.f.getRaw(sec, "style")
	if !found {
		style = "%"
	}
	defaultFormat := map[string]string{"%": "%(message)s", "{": "{message}", "$": "${message}"}
	if _, ok := defaultFormat[style]; !ok {
		b.errorf(sec, "style", "style must be one of '%%', '{', '$', got %q", style)
		return nil
	}
	if format == "" { // absent or empty: Python's default for the style
		format = defaultFormat[style]
	}
	if datefmt != "" {
		if _, err := compileStrftime(datefmt); err != nil {
			b.errorf(sec, "datefmt", "%v", err)
			return nil
		}
	}
	ft, err := newTextFormatter(format, datefmt, style)
	if err != nil {
		b.errorf(sec, "format", "%v", err)
		return nil
	}
	return ft
}

// handler classes: the parameters of each (after the implicit self).
var handlerParams = map[string][]string{
	"StreamHandler":                {"stream"},
	"FileHandler":                  {"filename", "mode", "encoding", "delay", "errors"},
	"handlers.WatchedFileHandler":  {"filename", "mode", "encoding", "delay", "errors"},
	"handlers.RotatingFileHandler": {"filename", "mode", "maxBytes", "backupCount", "encoding", "delay", "errors"},
	"NullHandler":                  {},
}

func supportedHandlers() string {
	names := make([]string, 0, len(handlerParams))
	for n := range handlerParams {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (b *builder) handler(id, sec string, formatters map[string]formatter) *handler {
	h := &handler{name: id}
	nerr := len(b.errs)
	class, found := b.get(sec, "class")
	if !found {
		if len(b.errs) == nerr {
			b.errorf(sec, "class", "missing key \"class\" (e.g. class = StreamHandler)")
		}
		return nil
	}
	cls := strings.TrimPrefix(strings.TrimSpace(class), "logging.")
	params, known := handlerParams[cls]
	if !known {
		b.errorf(sec, "class", "unsupported handler class %q (supported: %s)", class, supportedHandlers())
	}
	if v, found := b.get(sec, "level"); found {
		h.level, _ = b.level(sec, v)
	}
	h.fmt = mustText("%(message)s")
	if v, found := b.get(sec, "formatter"); found && strings.TrimSpace(v) != "" {
		ft, ok := formatters[strings.TrimSpace(v)]
		if !ok {
			if !b.listed["formatter_"+strings.TrimSpace(v)] && b.f.sections["formatters"] != nil {
				b.errorf(sec, "formatter", "unknown formatter %q (not listed in [formatters] keys)", v)
			}
		} else {
			h.fmt = ft
		}
	}
	argsText, found := b.get(sec, "args")
	if !found {
		argsText = "()"
	}
	kwText, found := b.get(sec, "kwargs")
	if !found {
		kwText = "{}"
	}
	if !known || len(b.errs) > nerr {
		return nil
	}
	av, err := parseLiteral(argsText)
	if err != nil {
		b.errorf(sec, "args", "%v", err)
		return nil
	}
	args, ok := av.([]any)
	if !ok {
		b.errorf(sec, "args", "want a tuple such as (sys.stderr,) — note the comma — got %s", configparser.PyRepr(argsText))
		return nil
	}
	kv, err := parseLiteral(kwText)
	if err != nil {
		b.errorf(sec, "kwargs", "%v", err)
		return nil
	}
	kwargs, ok := kv.(map[string]any)
	if !ok {
		b.errorf(sec, "kwargs", "want a dict such as {'delay': True}, got %s", configparser.PyRepr(kwText))
		return nil
	}
	bound := map[string]any{}
	if len(args) > len(params) {
		b.errorf(sec, "args", "%s takes at most %d arguments, got %d", cls, len(params), len(args))
		return nil
	}
	for i, a := range args {
		bound[params[i]] = a
	}
	for k, v := range kwargs {
		if !slices.Contains(params, k) {
			b.errorf(sec, "kwargs", "%s has no argument %q", cls, k)
			return nil
		}
		if _, dup := bound[k]; dup {
			b.errorf(sec, "kwargs", "%s got argument %q twice (args and kwargs)", cls, k)
			return nil
		}
		bound[k] = v
	}
	argKey := func(name string) string {
		if _, inKw := kwargs[name]; inKw {
			return "kwargs"
		}
		return "args"
	}
	switch cls {
	case "NullHandler":
		h.out = nullOutput{}
	case "StreamHandler":
		switch v := bound["stream"].(type) {
		case nil:
			h.out = &streamOutput{mu: b.streamMu, w: b.o.stderr}
		case stream:
			w := b.o.stderr
			if v == "sys.stdout" {
				w = b.o.stdout
			}
			h.out = &streamOutput{mu: b.streamMu, w: w}
		default:
			b.errorf(sec, argKey("stream"), "the stream must be sys.stderr or sys.stdout, got %v", v)
			return nil
		}
	default: // file handlers
		name, ok := bound["filename"].(string)
		if !ok || name == "" {
			b.errorf(sec, argKey("filename"), "%s needs a file name, e.g. args = ('%%(here)s/app.log', 'a')", cls)
			return nil
		}
		mode := "a"
		if v, set := bound["mode"]; set {
			m, ok := v.(string)
			if !ok || (m != "a" && m != "w" && m != "at" && m != "wt") {
				b.errorf(sec, argKey("mode"), "mode must be 'a' (append) or 'w' (truncate), got %v", v)
				return nil
			}
			mode = m
		}
		if v, set := bound["encoding"]; set && v != nil {
			e, ok := v.(string)
			if !ok || !isUTF8Name(e) {
				b.errorf(sec, argKey("encoding"), "only the UTF-8 encoding is supported, got %v", v)
				return nil
			}
		}
		delay := false
		if v, set := bound["delay"]; set {
			switch d := v.(type) {
			case bool:
				delay = d
			case int64:
				delay = d != 0
			case nil:
			default:
				b.errorf(sec, argKey("delay"), "delay must be True or False, got %v", v)
				return nil
			}
		}
		var maxBytes, backups int64
		for _, p := range []struct {
			name string
			dst  *int64
		}{{"maxBytes", &maxBytes}, {"backupCount", &backups}} {
			if v, set := bound[p.name]; set {
				n, ok := v.(int64)
				if !ok || n < 0 {
					b.errorf(sec, argKey(p.name), "%s must be a non-negative integer, got %v", p.name, v)
					return nil
				}
				*p.dst = n
			}
		}
		if b.o.noFiles {
			h.out = nullOutput{}
			break
		}
		fo, err := newFileOutput(name, mode[0] == 'w', delay, cls == "handlers.WatchedFileHandler", maxBytes, int(backups))
		if err != nil {
			b.errs = append(b.errs, &config.Error{Origin: b.f.origin(sec, argKey("filename")), Msg: "cannot open log file: " + err.Error(), Err: err})
			return nil
		}
		b.files = append(b.files, fo)
		h.out = fo
	}
	return h
}

func isUTF8Name(e string) bool {
	switch strings.ReplaceAll(strings.ToLower(e), "_", "-") {
	case "utf-8", "utf8", "u8", "utf":
		return true
	}
	return false
}
