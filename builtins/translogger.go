package builtins

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/internal/suggest"
	"github.com/gowaitress/gowaitress/logging"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

var transloggerKeys = []string{"logger_name", "format", "logging_level", "setup_console_handler", "set_logger_level"}

// defaultAccessFormat is Paste's TransLogger.format: Apache's combined log
// format.
const defaultAccessFormat = `%(REMOTE_ADDR)s - %(REMOTE_USER)s [%(time)s] ` +
	`"%(REQUEST_METHOD)s %(REQUEST_URI)s %(HTTP_VERSION)s" ` +
	`%(status)s %(bytes)s "%(HTTP_REFERER)s" "%(HTTP_USER_AGENT)s"`

// accessFields are the names a format may use, as Paste documents them.
var accessFields = []string{"REMOTE_ADDR", "REMOTE_USER", "time", "REQUEST_METHOD", "REQUEST_URI",
	"HTTP_VERSION", "status", "bytes", "HTTP_REFERER", "HTTP_USER_AGENT"}

// TransloggerFactory is the filter factory registered as "Paste#translogger"
// (egg:Paste#translogger, Paste's TransLogger): it writes one access line per
// request, in Apache's combined log format by default, after the response is
// complete. The base logger is zap.L() as it is when the factory runs.
//
// Settings:
//
//   - logger_name (default "wsgi"): the name of the zap logger the lines are
//     written to (zap.L().Named(logger_name)).
//   - format (default: Apache combined format): a Python %-style format with
//     named fields, `%(NAME)s` (an optional "-" flag, width and .precision are
//     honoured) and `%%`. The fields are REMOTE_ADDR (the client address
//     without its port, as the server or a proxy filter set it), REMOTE_USER
//     (the user a filter inside authenticated, see RemoteUser; "-" for none), time (the
//     request's start, `24/Nov/2026:22:41:57 +0000`), REQUEST_METHOD,
//     REQUEST_URI (script name + path, percent-encoded, plus `?query`),
//     HTTP_VERSION (e.g. `HTTP/1.1`), status, bytes (body bytes sent, "-" for
//     none), HTTP_REFERER and HTTP_USER_AGENT ("-" when absent). Quotes,
//     backslashes, control characters and non-ASCII bytes in the request's
//     text are escaped as Apache does (\", \\, \xhh), so a client cannot forge
//     log lines. An unknown field is an error when the filter is loaded.
//   - logging_level (default INFO): the level of the lines: a name (DEBUG,
//     INFO, WARNING/WARN, ERROR, CRITICAL/FATAL, NOTSET; any case) or a
//     Python level number. Numbers map down to zap's levels (below 20 debug,
//     below 30 info, below 40 warn, else error); CRITICAL logs at zap's error
//     level because zap's higher levels panic or exit.
//   - setup_console_handler (strict boolean, default true, as in Paste): write
//     the lines to standard error, each exactly the formatted text, instead of
//     through zap.L() — so access lines appear even when logging is not
//     configured. Like Paste's handler (which stops propagation), the lines
//     then do not reach the configured loggers; set it to false when logging
//     is configured (the usual pserve setup), and the lines go to the
//     logger_name logger, carrying the fields status, bytes and duration.
//   - set_logger_level (default DEBUG): Paste's level of the logger itself
//     (same forms as logging_level): lines whose logging_level is below it
//     are not written.
//
// Unlike Paste, REMOTE_ADDR never comes from an X-Forwarded-For header the
// client may have forged; the server's trusted-proxy handling (or the
// PasteDeploy#prefix filter) puts the real client address in r.RemoteAddr.
func TransloggerFactory(global, local *config.Settings) (pastedeploy.Filter, error) {
	return newTranslogger(zap.L(), zapcore.Lock(os.Stderr), local)
}

// newTranslogger builds the filter with an explicit base logger and console
// (tests use an observer and a buffer).
func newTranslogger(base *zap.Logger, console zapcore.WriteSyncer, local *config.Settings) (pastedeploy.Filter, error) {
	if err := checkKeys("Paste#translogger", local, transloggerKeys); err != nil {
		return nil, err
	}
	var errs []error
	name := "wsgi"
	if v, ok := local.Lookup("logger_name"); ok {
		name = strings.TrimSpace(v)
	}
	tmpl, err := parseAccessFormat(defaultAccessFormat)
	if err != nil {
		panic(err) // the default format is valid
	}
	if v, ok := local.Get("format"); ok && v.Raw != "" {
		if tmpl, err = parseAccessFormat(v.Raw); err != nil {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "format", v, "%v", err))
		}
	}
	level, setLevel := 20, 10 // Python's INFO and DEBUG
	if v, ok := local.Get("logging_level"); ok && strings.TrimSpace(v.Raw) != "" {
		if level, err = parsePyLevel(v.Raw); err != nil {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "logging_level", v, "%v", err))
		}
	}
	if v, ok := local.Get("set_logger_level"); ok && strings.TrimSpace(v.Raw) != "" {
		if setLevel, err = parsePyLevel(v.Raw); err != nil {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "set_logger_level", v, "%v", err))
		}
	}
	useConsole, err := boolSetting(local, "setup_console_handler", true)
	if err != nil {
		errs = append(errs, err)
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	t := &translogger{tmpl: tmpl, level: zapLevel(level), enabled: level >= setLevel, console: useConsole}
	if useConsole {
		enc := zapcore.NewConsoleEncoder(zapcore.EncoderConfig{MessageKey: "msg", LineEnding: zapcore.DefaultLineEnding})
		t.logger = zap.New(zapcore.NewCore(enc, console, zapcore.DebugLevel))
	} else {
		if base == nil {
			base = zap.NewNop()
		}
		t.logger = base
	}
	if name != "" {
		t.logger = t.logger.Named(name)
	}
	return t.wrap, nil
}

type translogger struct {
	logger  *zap.Logger
	tmpl    []fmtPart
	level   zapcore.Level
	enabled bool // logging_level >= set_logger_level
	console bool // the message alone, no fields
}

func (t *translogger) wrap(next http.Handler) http.Handler {
	if !t.enabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r, _ = withRemoteUserSlot(r) // so that REMOTE_USER set inside is seen here
		sw := &statusWriter{w: w}
		done := false
		defer func() {
			if !done && sw.status == 0 && !sw.hijacked {
				sw.status = http.StatusInternalServerError // the handler panicked before answering
			}
			t.log(r, start, sw)
		}()
		next.ServeHTTP(sw, r)
		done = true
	})
}

func (t *translogger) log(r *http.Request, start time.Time, sw *statusWriter) {
	ce := t.logger.Check(t.level, "")
	if ce == nil {
		return
	}
	status := "-"
	if sw.status != 0 {
		status = strconv.Itoa(sw.status)
	} else if !sw.hijacked {
		status = "200"
	}
	bytes := "-"
	if sw.bytes > 0 {
		bytes = strconv.FormatInt(sw.bytes, 10)
	}
	vals := func(field string) string {
		switch field {
		case "REMOTE_ADDR":
			if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				return logEscape(h)
			}
			return orDash(logEscape(r.RemoteAddr))
		case "REMOTE_USER":
			return orDash(logEscape(RemoteUser(r)))
		case "time":
			return start.Format("02/Jan/2006:15:04:05 -0700")
		case "REQUEST_METHOD":
			return logEscape(r.Method)
		case "REQUEST_URI":
			return logEscape(requestURI(r))
		case "HTTP_VERSION":
			return logEscape(r.Proto)
		case "status":
			return status
		case "bytes":
			return bytes
		case "HTTP_REFERER":
			return orDash(logEscape(r.Header.Get("Referer")))
		case "HTTP_USER_AGENT":
			return orDash(logEscape(r.Header.Get("User-Agent")))
		}
		return ""
	}
	var b strings.Builder
	for _, p := range t.tmpl {
		if p.field == "" {
			b.WriteString(p.lit)
			continue
		}
		p.format(&b, vals(p.field))
	}
	ce.Message = b.String()
	if t.console {
		ce.Write()
		return
	}
	st := sw.status
	if st == 0 && !sw.hijacked {
		st = http.StatusOK
	}
	ce.Write(logging.Extra(zap.Int("status", st), zap.Int64("bytes", sw.bytes), zap.Duration("duration", time.Since(start))))
}

// requestURI is Paste's REQUEST_URI: quote(SCRIPT_NAME + PATH_INFO), then
// ?QUERY_STRING when there is one.
func requestURI(r *http.Request) string {
	u := (&url.URL{Path: environ.ScriptName(r)}).EscapedPath() + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logEscape escapes text from the request as Apache does in its logs:
// `"` and `\` get a backslash, control characters and bytes outside ASCII
// become \xhh.
func logEscape(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// fmtPart is a literal or one %(field)s conversion of a format.
type fmtPart struct {
	lit       string
	field     string
	left      bool // "-" flag
	width     int
	precision int // -1: none
}

func (p fmtPart) format(b *strings.Builder, v string) {
	if p.precision >= 0 && len([]rune(v)) > p.precision {
		v = string([]rune(v)[:p.precision])
	}
	pad := p.width - len([]rune(v))
	if pad > 0 && !p.left {
		b.WriteString(strings.Repeat(" ", pad))
	}
	b.WriteString(v)
	if pad > 0 && p.left {
		b.WriteString(strings.Repeat(" ", pad))
	}
}

// parseAccessFormat parses a Python %-format with named fields:
// %(NAME)[flags][width][.precision]s and %%.
func parseAccessFormat(f string) ([]fmtPart, error) {
	var parts []fmtPart
	var lit strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		if c != '%' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(f) && f[i+1] == '%' {
			lit.WriteByte('%')
			i += 2
			continue
		}
		if i+1 >= len(f) || f[i+1] != '(' {
			return nil, fmt.Errorf("format %q: at offset %d, '%%' must be followed by '%%' or '(NAME)s'", f, i)
		}
		end := strings.IndexByte(f[i+2:], ')')
		if end < 0 {
			return nil, fmt.Errorf("format %q: at offset %d, '%%(' without ')'", f, i)
		}
		name := f[i+2 : i+2+end]
		known := false
		for _, a := range accessFields {
			if a == name {
				known = true
			}
		}
		if !known {
			return nil, fmt.Errorf("format %q: unknown field %q%s (fields: %s)", f, name,
				suggest.DidYouMean(name, accessFields), strings.Join(accessFields, ", "))
		}
		j := i + 2 + end + 1
		p := fmtPart{field: name, precision: -1}
		for j < len(f) && strings.IndexByte("-#0 +", f[j]) >= 0 {
			if f[j] == '-' {
				p.left = true
			}
			j++
		}
		for j < len(f) && isDigit(f[j]) {
			p.width = p.width*10 + int(f[j]-'0')
			if p.width > 1000 {
				return nil, fmt.Errorf("format %q: field width too large", f)
			}
			j++
		}
		if j < len(f) && f[j] == '.' {
			j++
			p.precision = 0
			for j < len(f) && isDigit(f[j]) {
				p.precision = p.precision*10 + int(f[j]-'0')
				if p.precision > 1000 {
					return nil, fmt.Errorf("format %q: precision too large", f)
				}
				j++
			}
		}
		if j >= len(f) {
			return nil, fmt.Errorf("format %q: %%(%s) without a conversion (use %%(%s)s)", f, name, name)
		}
		if f[j] != 's' {
			return nil, fmt.Errorf("format %q: unsupported conversion '%c' for %%(%s) (use %%(%s)s)", f, f[j], name, name)
		}
		if lit.Len() > 0 {
			parts = append(parts, fmtPart{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, p)
		i = j + 1
	}
	if lit.Len() > 0 {
		parts = append(parts, fmtPart{lit: lit.String()})
	}
	return parts, nil
}

var pyLevels = map[string]int{
	"CRITICAL": 50, "FATAL": 50, "ERROR": 40, "WARNING": 30, "WARN": 30, "INFO": 20, "DEBUG": 10, "NOTSET": 0,
}

// parsePyLevel reads a Python logging level: a name (any case) or a
// non-negative integer.
func parsePyLevel(raw string) (int, error) {
	s := strings.TrimSpace(raw)
	if n, ok := pyLevels[strings.ToUpper(s)]; ok {
		return n, nil
	}
	if n, err := config.ParseIntRange(s, 0, 1000); err == nil {
		return n, nil
	}
	names := []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
	return 0, fmt.Errorf("want a logging level (DEBUG, INFO, WARNING, ERROR, CRITICAL or a number), got %q%s",
		raw, suggest.DidYouMean(strings.ToUpper(s), names))
}

// zapLevel maps a Python level number to the zap level lines are written at.
func zapLevel(n int) zapcore.Level {
	switch {
	case n < 20:
		return zapcore.DebugLevel
	case n < 30:
		return zapcore.InfoLevel
	case n < 40:
		return zapcore.WarnLevel
	}
	return zapcore.ErrorLevel
}

// statusWriter records the status and the number of body bytes written.
type statusWriter struct {
	w        http.ResponseWriter
	status   int // first final status (or 101); 0 until known
	bytes    int64
	hijacked bool
}

func (sw *statusWriter) Header() http.Header { return sw.w.Header() }

func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		sw.status = code
	}
	sw.w.WriteHeader(code)
}

func (sw *statusWriter) Write(p []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	n, err := sw.w.Write(p)
	sw.bytes += int64(n)
	return n, err
}

// ReadFrom keeps io.Copy's sendfile path of the underlying writer.
func (sw *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	n, err := io.Copy(sw.w, src)
	sw.bytes += n
	return n, err
}

func (sw *statusWriter) Flush() {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	_ = http.NewResponseController(sw.w).Flush()
}

func (sw *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(sw.w).Hijack()
	if err == nil {
		sw.hijacked = true
	}
	return c, rw, err
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.w }
