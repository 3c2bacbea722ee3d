package builtins

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

func buildTranslogger(t *testing.T, next http.Handler, kv ...string) (http.Handler, *observer.ObservedLogs, *bytes.Buffer) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	var console bytes.Buffer
	f, err := newTranslogger(zap.New(core), zapcore.AddSync(&console), settings("filter:translogger", kv...))
	if err != nil {
		t.Fatalf("newTranslogger: %v", err)
	}
	return f(next), logs, &console
}

var combinedRe = regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z][a-z]/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /mnt/hello\?x=1&y=%20 HTTP/1\.1" 200 5 "http://ref/" "agent/1\.0"$`)

// Mirrors translogger-in-pipeline: the request passes through unchanged,
// and one combined-format line is written after the response.
func TestTransloggerCombinedLine(t *testing.T) {
	var logs *observer.ObservedLogs
	var during int
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stubApp("myproject#main", 0).ServeHTTP(httptest.NewRecorder(), r) // exercise the report
		during = logs.Len()
		io.WriteString(w, "hello")
	})
	h, logs, console := buildTranslogger(t, app, "setup_console_handler", "False")
	r := req{host: str("localhost"), path: "/hello?x=1&y=%20", scriptName: "/mnt",
		headers: map[string]string{"Referer": "http://ref/", "User-Agent": "agent/1.0"}}.build(t)
	r.Proto = "HTTP/1.1"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Body.String() != "hello" {
		t.Fatalf("body %q", rec.Body.String())
	}
	if during != 0 {
		t.Error("line written before the response completed")
	}
	if logs.Len() != 1 {
		t.Fatalf("%d lines", logs.Len())
	}
	e := logs.All()[0]
	if !combinedRe.MatchString(e.Message) {
		t.Errorf("line %q does not match %v", e.Message, combinedRe)
	}
	if e.LoggerName != "wsgi" || e.Level != zapcore.InfoLevel {
		t.Errorf("logger %q level %v", e.LoggerName, e.Level)
	}
	fields := e.ContextMap()
	if fields["status"] != int64(200) || fields["bytes"] != int64(5) {
		t.Errorf("fields %v", fields)
	}
	if d, ok := fields["duration"].(time.Duration); !ok || d < 0 {
		t.Errorf("duration %v", fields["duration"])
	}
	if console.Len() != 0 {
		t.Errorf("console written: %q", console.String())
	}

	// The stub sees the request unchanged.
	h, _, _ = buildTranslogger(t, stubApp("myproject#main", 0), "setup_console_handler", "false")
	checkResponse(t, h, req{host: str("localhost"), path: "/hello", scriptName: "/mnt"}, want{200, "myproject#main", 0, "/mnt", "/hello", ""})
}

func TestTransloggerStatusAndBytes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		app    http.HandlerFunc
		status string
		bytes  string
	}{
		{"implicit 200 no body", func(w http.ResponseWriter, r *http.Request) {}, "200", "-"},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "404", "19"},
		{"first status wins", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(302)
			w.WriteHeader(500)
		}, "302", "-"},
		{"io.Copy", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(w, strings.NewReader(strings.Repeat("x", 12345)))
		}, "200", "12345"},
		{"flush", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			w.Write([]byte("ab"))
		}, "200", "2"},
		{"hijack unsupported", func(w http.ResponseWriter, r *http.Request) {
			if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
				panic(err)
			}
			w.WriteHeader(204)
		}, "204", "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, logs, _ := buildTranslogger(t, tc.app, "setup_console_handler", "no", "format", "%(status)s %(bytes)s")
			h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
			if logs.Len() != 1 || logs.All()[0].Message != tc.status+" "+tc.bytes {
				t.Errorf("lines %v", logs.AllUntimed())
			}
		})
	}
	// A panicking handler is logged as 500 and the panic goes on.
	h, logs, _ := buildTranslogger(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }),
		"setup_console_handler", "0", "format", "%(status)s")
	func() {
		defer func() {
			if recover() != "boom" {
				t.Error("panic swallowed")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
	}()
	if logs.Len() != 1 || logs.All()[0].Message != "500" {
		t.Errorf("lines %v", logs.AllUntimed())
	}
}

func TestTransloggerFormat(t *testing.T) {
	r := func() *http.Request {
		q := req{method: "POST", host: str("h"), path: "/a%20b/c?q", scriptName: "/s p",
			headers: map[string]string{"User-Agent": `evil" \ é` + "\x7f"}}.build(t)
		q.RemoteAddr = "[2001:db8::1]:443"
		return q
	}
	for _, tc := range []struct{ format, want string }{
		{"%(REQUEST_METHOD)s %(REQUEST_URI)s %(HTTP_VERSION)s", "POST /s%20p/a%20b/c?q HTTP/1.1"},
		{"%(REMOTE_ADDR)s|%(REMOTE_USER)s|%(HTTP_REFERER)s", "2001:db8::1|-|-"},
		{"%(HTTP_USER_AGENT)s", `evil\" \\ \xc3\xa9\x7f`},
		{"100%% %(status)s", "100% 200"},
		{"[%(status)5s][%(status)-5s][%(REQUEST_METHOD).2s][%(bytes)05s]", "[  200][200  ][PO][    -]"},
		{"no fields", "no fields"},
	} {
		h, logs, _ := buildTranslogger(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
			"setup_console_handler", "false", "format", tc.format)
		h.ServeHTTP(httptest.NewRecorder(), r())
		if logs.Len() != 1 || logs.All()[0].Message != tc.want {
			t.Errorf("format %q: got %v, want %q", tc.format, logs.AllUntimed(), tc.want)
		}
	}
	// An empty format means the default (Paste: format or None).
	h, logs, _ := buildTranslogger(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "setup_console_handler", "false", "format", "")
	h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
	if !strings.Contains(logs.All()[0].Message, `"GET / HTTP/1.1" 200 - "-" "-"`) {
		t.Errorf("default format: %q", logs.All()[0].Message)
	}
}

func TestTransloggerLevelsAndNames(t *testing.T) {
	for _, tc := range []struct {
		kv    []string
		name  string
		level zapcore.Level
		lines int
	}{
		{nil, "wsgi", zapcore.InfoLevel, 1},
		{[]string{"logger_name", "access"}, "access", zapcore.InfoLevel, 1},
		{[]string{"logger_name", ""}, "", zapcore.InfoLevel, 1},
		{[]string{"logging_level", "WARNING"}, "wsgi", zapcore.WarnLevel, 1},
		{[]string{"logging_level", "warn"}, "wsgi", zapcore.WarnLevel, 1},
		{[]string{"logging_level", "DEBUG"}, "wsgi", zapcore.DebugLevel, 1},
		{[]string{"logging_level", "error"}, "wsgi", zapcore.ErrorLevel, 1},
		{[]string{"logging_level", "CRITICAL"}, "wsgi", zapcore.ErrorLevel, 1},
		{[]string{"logging_level", "30"}, "wsgi", zapcore.WarnLevel, 1},
		{[]string{"logging_level", "25"}, "wsgi", zapcore.InfoLevel, 1},
		{[]string{"logging_level", "5"}, "wsgi", zapcore.DebugLevel, 0}, // below set_logger_level DEBUG, as in Python
		{[]string{"logging_level", "5", "set_logger_level", "NOTSET"}, "wsgi", zapcore.DebugLevel, 1},
		{[]string{"logging_level", " info "}, "wsgi", zapcore.InfoLevel, 1},
		{[]string{"logging_level", "INFO", "set_logger_level", "WARNING"}, "wsgi", zapcore.InfoLevel, 0},
		{[]string{"logging_level", "ERROR", "set_logger_level", "WARNING"}, "wsgi", zapcore.ErrorLevel, 1},
		{[]string{"set_logger_level", "20"}, "wsgi", zapcore.InfoLevel, 1},
	} {
		h, logs, _ := buildTranslogger(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
			append([]string{"setup_console_handler", "false"}, tc.kv...)...)
		h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
		if logs.Len() != tc.lines {
			t.Errorf("%v: %d lines, want %d", tc.kv, logs.Len(), tc.lines)
			continue
		}
		if tc.lines == 1 {
			if e := logs.All()[0]; e.LoggerName != tc.name || e.Level != tc.level {
				t.Errorf("%v: logger %q level %v, want %q %v", tc.kv, e.LoggerName, e.Level, tc.name, tc.level)
			}
		}
	}
}

// setup_console_handler (default true) writes the bare line to the console
// writer (stderr in production), and not to the base logger.
func TestTransloggerConsole(t *testing.T) {
	for _, kv := range [][]string{nil, {"setup_console_handler", "true"}, {"setup_console_handler", "Yes"}} {
		h, logs, console := buildTranslogger(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("abc")) }),
			append(kv, "format", "%(REQUEST_METHOD)s %(status)s %(bytes)s", "logging_level", "DEBUG")...)
		h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
		h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
		if console.String() != "GET 200 3\nGET 200 3\n" {
			t.Errorf("%v: console %q", kv, console.String())
		}
		if logs.Len() != 0 {
			t.Errorf("%v: base logger got %v", kv, logs.AllUntimed())
		}
	}
}

func TestTransloggerSettingErrors(t *testing.T) {
	for _, tc := range []struct {
		kv       []string
		kind     error
		contains []string
	}{
		{[]string{"loger_name", "x"}, pastedeploy.ErrUnknownSetting, []string{"loger_name", `did you mean "logger_name"`}},
		{[]string{"logger", "x"}, pastedeploy.ErrUnknownSetting, []string{"logger", "accepted: logger_name, format"}},
		{[]string{"setup_console_handler", "maybe"}, pastedeploy.ErrInvalidSetting, []string{"setup_console_handler", "want a boolean", `"maybe"`}},
		{[]string{"logging_level", "INF0"}, pastedeploy.ErrInvalidSetting, []string{"logging_level", `"INF0"`, `did you mean "INFO"`}},
		{[]string{"logging_level", "-1"}, pastedeploy.ErrInvalidSetting, []string{"logging_level"}},
		{[]string{"set_logger_level", "verbose"}, pastedeploy.ErrInvalidSetting, []string{"set_logger_level", "verbose"}},
		{[]string{"format", "%(status)s %(bites)s"}, pastedeploy.ErrInvalidSetting, []string{"format", `unknown field "bites"`, `did you mean "bytes"`}},
		{[]string{"format", "%s"}, pastedeploy.ErrInvalidSetting, []string{"format", "'%' must be followed"}},
		{[]string{"format", "50%"}, pastedeploy.ErrInvalidSetting, []string{"format"}},
		{[]string{"format", "%(status)d"}, pastedeploy.ErrInvalidSetting, []string{"format", "unsupported conversion 'd'"}},
		{[]string{"format", "%(status"}, pastedeploy.ErrInvalidSetting, []string{"format", "without ')'"}},
		{[]string{"format", "%(status)"}, pastedeploy.ErrInvalidSetting, []string{"format", "without a conversion"}},
		{[]string{"format", "%(status)99999s"}, pastedeploy.ErrInvalidSetting, []string{"format", "too large"}},
	} {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			_, err := newTranslogger(zap.NewNop(), zapcore.AddSync(io.Discard), settings("filter:translogger", tc.kv...))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			for _, s := range append(tc.contains, "main.ini:2 [filter:translogger]") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

// The registered factory takes its base logger from zap.L() when it runs.
func TestTransloggerFactoryUsesGlobalLogger(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	restore := zap.ReplaceGlobals(zap.New(core))
	f, err := TransloggerFactory(nil, settings("filter:t", "setup_console_handler", "false"))
	restore()
	if err != nil {
		t.Fatal(err)
	}
	f(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/x"}.build(t))
	if logs.Len() != 1 || !strings.Contains(logs.All()[0].Message, `"GET /x HTTP/1.1" 404 19`) {
		t.Errorf("lines %v", logs.AllUntimed())
	}
}
