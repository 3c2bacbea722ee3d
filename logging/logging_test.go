package logging

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gowaitress/gowaitress/config"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of the race test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines() []string {
	t := strings.TrimSuffix(s.String(), "\n")
	if t == "" {
		return nil
	}
	return strings.Split(t, "\n")
}

// load writes text as a config file in a temporary directory and loads it.
func load(t *testing.T, text string, vars map[string]string) (*Setup, *syncBuffer, *syncBuffer, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "test.ini")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	s, ok, err := FromFile(path, vars, WithStreams(&out, &errOut))
	if err != nil {
		t.Fatalf("FromFile: %v", err)
	}
	if !ok {
		t.Fatal("FromFile: no [loggers] found")
	}
	t.Cleanup(func() { s.Close() })
	return s, &out, &errOut, dir
}

// logLine logs msg at level on l and returns the line of the logging call.
func logLine(l *zap.Logger, level zapcore.Level, msg string) int {
	_, _, line, _ := runtime.Caller(0)
	l.Log(level, msg)
	return line + 1
}

const corpus = "../pastedeploy/testdata/conformance/corpus/cookiecutter-starter"

func TestCookiecutterStarterFiles(t *testing.T) {
	ts := `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}`
	type entry struct {
		logger string
		level  zapcore.Level
		msg    string
	}
	entries := []entry{
		{"waitress", zapcore.InfoLevel, "Serving on http://127.0.0.1:6543"},
		{"waitress.queue", zapcore.WarnLevel, "Task queue depth is 2"},
		{"myproject", zapcore.DebugLevel, "debug from the app"},
		{"myproject.views", zapcore.InfoLevel, "info from a view"},
		{"myproject.views", zapcore.WarnLevel, "warning from a view"},
		{"sqlalchemy.engine.Engine", zapcore.InfoLevel, "SELECT 1"},
		{"", zapcore.InfoLevel, "root info"},
		{"wsgi", zapcore.ErrorLevel, "access error"},
	}
	for _, backend := range []string{"none", "sqlalchemy", "zodb"} {
		for _, file := range []string{"development.ini", "production.ini"} {
			t.Run(backend+"/"+file, func(t *testing.T) {
				var out, errOut syncBuffer
				s, ok, err := FromFile(filepath.Join(corpus, backend, file), nil, WithStreams(&out, &errOut))
				if err != nil || !ok {
					t.Fatalf("FromFile: ok=%v err=%v", ok, err)
				}
				defer s.Close()
				var want []string
				for _, e := range entries {
					l := s.Logger()
					if e.logger != "" {
						l = l.Named(e.logger)
					}
					line := logLine(l, e.level, e.msg)
					visible := e.level >= zapcore.WarnLevel
					if file == "development.ini" {
						visible = e.level >= zapcore.InfoLevel || strings.HasPrefix(e.logger, "myproject")
						if backend == "sqlalchemy" && strings.HasPrefix(e.logger, "sqlalchemy.engine") {
							visible = e.level >= zapcore.WarnLevel
						}
					}
					if !visible {
						continue
					}
					name := e.logger
					if name == "" {
						name = "root"
					}
					lvl := map[zapcore.Level]string{zapcore.DebugLevel: "DEBUG", zapcore.InfoLevel: "INFO ", zapcore.WarnLevel: "WARNI", zapcore.ErrorLevel: "ERROR"}[e.level]
					want = append(want, "^"+ts+" "+regexp.QuoteMeta(lvl+" ["+name+":")+strconv.Itoa(line)+regexp.QuoteMeta("][MainThread] "+e.msg)+"$")
				}
				got := errOut.lines()
				if len(got) != len(want) {
					t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), errOut.String())
				}
				for i := range want {
					if !regexp.MustCompile(want[i]).MatchString(got[i]) {
						t.Errorf("line %d = %q, want match for %s", i, got[i], want[i])
					}
				}
				if out.String() != "" {
					t.Errorf("stdout = %q, want nothing", out.String())
				}
			})
		}
	}
}

const routingINI = `
[loggers]
keys = root, waitress, wsgi, app, appdb

[handlers]
keys = console, access, errors

[formatters]
keys = plain, access

[logger_root]
level = WARN
handlers = console

[logger_waitress]
level = INFO
handlers =
qualname = waitress

[logger_wsgi]
level = INFO
handlers = access
qualname = wsgi
propagate = 0

[logger_app]
level = DEBUG
handlers = errors
qualname = app

[logger_appdb]
level = NOTSET
handlers =
qualname = app.db
propagate = 1

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[handler_access]
class = logging.StreamHandler
args = (sys.stdout,)
formatter = access

[handler_errors]
class = StreamHandler
args = ()
level = ERROR
formatter = plain

[formatter_plain]
format = %(levelname)s %(name)s %(message)s

[formatter_access]
format = ACCESS %(message)s
`

func TestRouting(t *testing.T) {
	tests := []struct {
		logger         string
		level          zapcore.Level
		stdout, stderr []string
	}{
		{"waitress", zapcore.InfoLevel, nil, []string{"INFO waitress m"}},
		{"waitress", zapcore.DebugLevel, nil, nil},
		// no [logger_waitress.queue]: waitress's level and root's handler
		{"waitress.queue", zapcore.InfoLevel, nil, []string{"INFO waitress.queue m"}},
		{"waitress.queue.deep", zapcore.DebugLevel, nil, nil},
		// propagate = 0: only the access handler
		{"wsgi", zapcore.InfoLevel, []string{"ACCESS m"}, nil},
		{"wsgi", zapcore.ErrorLevel, []string{"ACCESS m"}, nil},
		{"wsgi.sub", zapcore.WarnLevel, []string{"ACCESS m"}, nil},
		// root level WARN
		{"", zapcore.InfoLevel, nil, nil},
		{"", zapcore.WarnLevel, nil, []string{"WARNING root m"}},
		{"other", zapcore.ErrorLevel, nil, []string{"ERROR other m"}},
		{"other", zapcore.DPanicLevel, nil, []string{"CRITICAL other m"}},
		// app DEBUG propagates to root; its own handler takes ERROR and above
		// (parent levels are ignored during propagation, handler levels apply)
		{"app", zapcore.DebugLevel, nil, []string{"DEBUG app m"}},
		{"app", zapcore.ErrorLevel, nil, []string{"ERROR app m", "ERROR app m"}},
		// app.db is NOTSET: inherits DEBUG from app
		{"app.db", zapcore.DebugLevel, nil, []string{"DEBUG app.db m"}},
		{"app.dbx", zapcore.DebugLevel, nil, []string{"DEBUG app.dbx m"}},
		{"apple", zapcore.DebugLevel, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.logger+"/"+tt.level.String(), func(t *testing.T) {
			s, out, errOut, _ := load(t, routingINI, nil)
			l := s.Logger()
			if tt.logger != "" {
				l = l.Named(tt.logger)
			}
			l.Log(tt.level, "m")
			if got := out.lines(); !equal(got, tt.stdout) {
				t.Errorf("stdout = %q, want %q", got, tt.stdout)
			}
			if got := errOut.lines(); !equal(got, tt.stderr) {
				t.Errorf("stderr = %q, want %q", got, tt.stderr)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLevelEnabledAndConcurrency(t *testing.T) {
	s, _, errOut, _ := load(t, routingINI, nil)
	l := s.Logger()
	if !l.Core().Enabled(zapcore.DebugLevel) {
		t.Error("Debug must be enabled: logger app is at DEBUG")
	}
	if ce := l.Named("waitress").Check(zapcore.DebugLevel, "x"); ce != nil {
		t.Error("waitress Debug must not pass the check")
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				l.Named("waitress").Named("queue").Info("m")
			}
		}()
	}
	wg.Wait()
	if n := len(errOut.lines()); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
}

func TestLastResort(t *testing.T) {
	s, _, errOut, _ := load(t, `[loggers]
keys = root
[handlers]
keys =
[formatters]
keys =
[logger_root]
level = DEBUG
handlers =
`, nil)
	s.Logger().Info("hidden")
	s.Logger().Named("x").Warn("shown", zap.Int("n", 1))
	if got := errOut.String(); got != "shown n=1\n" {
		t.Errorf("stderr = %q", got)
	}
}

func TestMessageFields(t *testing.T) {
	s, _, errOut, _ := load(t, `[loggers]
keys = root
[handlers]
keys = h
[formatters]
keys = f
[logger_root]
level = DEBUG
handlers = h
[handler_h]
class = StreamHandler
args = (sys.stderr,)
formatter = f
[formatter_f]
format = [%(threadName)s] %(message)s
`, nil)
	l := s.Logger().With(zap.String("peer", "10.0.0.1"))
	l.Info("hello", zap.String("path", "/a b"), zap.Int("n", 3), zap.Bool("ok", true),
		zap.Error(errors.New("boom")), zap.ByteString("stack", []byte("line1\nline2\n")), zap.Strings("list", []string{"a", "b"}))
	l.With(zap.String(ThreadNameField, "waitress-2")).Info("in slot")
	l.Info("GET / 200", Extra(zap.Int("status", 200)), zap.Int("n", 4)) // Extra: not in text
	want := "[MainThread] hello peer=10.0.0.1 path=\"/a b\" n=3 ok=true error=boom list=[\"a\",\"b\"]\nstack:\nline1\nline2\n" +
		"[waitress-2] in slot peer=10.0.0.1\n" +
		"[MainThread] GET / 200 peer=10.0.0.1 n=4\n"
	if got := errOut.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFileHandlers(t *testing.T) {
	text := `[loggers]
keys = root
[handlers]
keys = file, rot, watched
[formatters]
keys = f
[logger_root]
level = INFO
handlers = file, rot, watched
[handler_file]
class = FileHandler
args = ('%(here)s/app.log', 'w')
formatter = f
[handler_rot]
class = handlers.RotatingFileHandler
args = ('%(here)s/rot.log',)
kwargs = {'maxBytes': 10, 'backupCount': 2}
formatter = f
[handler_watched]
class = logging.handlers.WatchedFileHandler
args = ('%(here)s/w.log', 'a', 'utf-8', True)
formatter = f
[formatter_f]
format = %(levelname)s %(message)s
`
	s, _, _, dir := load(t, text, nil)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(b)
	}
	if _, err := os.Stat(filepath.Join(dir, "w.log")); err == nil {
		t.Error("delay=True: w.log must not exist before the first entry")
	}
	for _, m := range []string{"one", "two", "three"} {
		s.Logger().Info(m)
	}
	s.Logger().Debug("hidden")
	if got := read("app.log"); got != "INFO one\nINFO two\nINFO three\n" {
		t.Errorf("app.log = %q", got)
	}
	if got := read("rot.log") + "|" + read("rot.log.1") + "|" + read("rot.log.2"); got != "INFO three\n|INFO two\n|INFO one\n" {
		t.Errorf("rotated files = %q", got)
	}
	os.Remove(filepath.Join(dir, "w.log"))
	s.Logger().Info("four")
	if got := read("w.log"); got != "INFO four\n" {
		t.Errorf("w.log after removal = %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// mode 'w' truncates on the next load
	s2, _, _, _ := loadAt(t, dir, text)
	s2.Logger().Info("again")
	s2.Close()
	if got := read("app.log"); got != "INFO again\n" {
		t.Errorf("app.log after reload = %q", got)
	}
}

func loadAt(t *testing.T, dir, text string) (*Setup, *syncBuffer, *syncBuffer, string) {
	t.Helper()
	path := filepath.Join(dir, "test.ini")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	s, _, err := FromFile(path, nil, WithStreams(&out, &errOut))
	if err != nil {
		t.Fatal(err)
	}
	return s, &out, &errOut, dir
}

func TestCheckOpensNoFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ini")
	os.WriteFile(path, []byte(`[loggers]
keys = root
[handlers]
keys = file
[formatters]
keys =
[logger_root]
handlers = file
[handler_file]
class = FileHandler
args = ('%(here)s/app.log',)
`), 0o644)
	found, err := Check(path, nil)
	if !found || err != nil {
		t.Fatalf("Check = %v, %v", found, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "app.log")); err == nil {
		t.Error("Check created the log file")
	}
}

func TestNoLoggersSection(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ini")
	os.WriteFile(path, []byte("[app:main]\nuse = egg:x\n[Loggers]\nkeys = root\n"), 0o644)
	s, ok, err := FromFile(path, nil)
	if s != nil || ok || err != nil {
		t.Fatalf("FromFile = %v, %v, %v; want nil, false, nil", s, ok, err)
	}
	_, _, err = FromFile(filepath.Join(dir, "missing.ini"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestInterpolation(t *testing.T) {
	text := `[DEFAULT]
shared = from-default

[loggers]
keys = root
[handlers]
keys = h
[formatters]
keys = f
[logger_root]
Level = %(LogLevel)s
HANDLERS = h
[handler_h]
Class = StreamHandler
args = (sys.%(STREAM)s,)
formatter = f
[formatter_f]
format = %(name)s %(message)s
`
	s, out, errOut, _ := load(t, text, map[string]string{"loglevel": "DEBUG", "Stream": "stdout", "shared": "from-vars"})
	s.Logger().Debug("m")
	if out.String() != "root m\n" || errOut.String() != "" {
		t.Errorf("stdout %q stderr %q", out.String(), errOut.String())
	}
	// [DEFAULT] beats caller variables
	dir := t.TempDir()
	path := filepath.Join(dir, "x.ini")
	os.WriteFile(path, []byte(strings.Replace(text, "Level = %(LogLevel)s", "level = %(shared)s", 1)), 0o644)
	_, _, err := FromFile(path, map[string]string{"LogLevel": "DEBUG", "Stream": "stdout", "shared": "DEBUG"})
	if err == nil || !strings.Contains(err.Error(), `unknown level "from-default"`) {
		t.Errorf("err = %v", err)
	}
}

func TestErrors(t *testing.T) {
	base := map[string]string{
		"loggers":     "keys = root",
		"handlers":    "keys = h",
		"formatters":  "keys = f",
		"logger_root": "level = INFO\nhandlers = h",
		"handler_h":   "class = StreamHandler\nargs = (sys.stderr,)\nformatter = f",
		"formatter_f": "format = %(message)s",
	}
	order := []string{"loggers", "handlers", "formatters", "logger_root", "handler_h", "formatter_f", "logger_app"}
	render := func(change map[string]string) string {
		var b strings.Builder
		for _, name := range order {
			body, ok := change[name]
			if !ok {
				body, ok = base[name]
			}
			if !ok || body == "-" {
				continue
			}
			b.WriteString("[" + name + "]\n" + body + "\n\n")
		}
		return b.String()
	}
	tests := []struct {
		name   string
		change map[string]string
		want   []string // one substring per expected error
	}{
		{"missing formatters", map[string]string{"formatters": "-"}, []string{"[loggers] exists but [formatters] is missing"}},
		{"missing handlers and formatters", map[string]string{"formatters": "-", "handlers": "-"}, []string{"[loggers] exists but [formatters] is missing", "[loggers] exists but [handlers] is missing"}},
		{"logger without section", map[string]string{"loggers": "keys = root, app"}, []string{`[loggers] keys: logger "app" has no [logger_app] section`}},
		{"no root", map[string]string{"loggers": "keys = app", "logger_app": "qualname = app\nhandlers ="}, []string{"[loggers] keys: must include root"}},
		{"missing qualname", map[string]string{"loggers": "keys = root, app", "logger_app": "handlers ="}, []string{`[logger_app] qualname: missing key "qualname"`}},
		{"missing handlers", map[string]string{"logger_root": "level = INFO"}, []string{`[logger_root] handlers: missing key "handlers"`}},
		{"inline comment is part of the value", map[string]string{"logger_root": "level = INFO ; loud\nhandlers = h"}, []string{`[logger_root] level: unknown level "INFO ; loud"`}},
		{"numeric level", map[string]string{"logger_root": "level = 10\nhandlers = h"}, []string{`[logger_root] level: unknown level "10"`}},
		{"lower-case level", map[string]string{"logger_root": "level = info\nhandlers = h"}, []string{`[logger_root] level: unknown level "info" (level names are upper case)`}},
		{"handler level", map[string]string{"handler_h": "class = StreamHandler\nlevel = LOUD"}, []string{`[handler_h] level: unknown level "LOUD"`}},
		{"bad propagate", map[string]string{"loggers": "keys = root, app", "logger_app": "qualname = app\nhandlers =\npropagate = yes"}, []string{`[logger_app] propagate: want an integer`}},
		{"unknown class", map[string]string{"handler_h": "class = handlers.SysLogHandler"}, []string{`[handler_h] class: unsupported handler class "handlers.SysLogHandler" (supported: FileHandler, NullHandler, StreamHandler, handlers.RotatingFileHandler, handlers.WatchedFileHandler)`}},
		{"missing class", map[string]string{"handler_h": "args = ()"}, []string{`[handler_h] class: missing key "class"`}},
		{"stdin", map[string]string{"handler_h": "class = StreamHandler\nargs = (sys.stdin,)"}, []string{`[handler_h] args: at 'sys.stdin,)': only literals`}},
		{"args not a tuple", map[string]string{"handler_h": "class = FileHandler\nargs = ('app.log')"}, []string{`[handler_h] args: want a tuple`}},
		{"file without name", map[string]string{"handler_h": "class = FileHandler\nargs = ()"}, []string{`[handler_h] args: FileHandler needs a file name`}},
		{"bad mode", map[string]string{"handler_h": "class = FileHandler\nargs = ('x.log', 'r')"}, []string{`[handler_h] args: mode must be`}},
		{"bad kwarg", map[string]string{"handler_h": "class = FileHandler\nargs = ('x.log',)\nkwargs = {'size': 1}"}, []string{`[handler_h] kwargs: FileHandler has no argument "size"`}},
		{"too many args", map[string]string{"handler_h": "class = StreamHandler\nargs = (sys.stderr, 1)"}, []string{`[handler_h] args: StreamHandler takes at most 1 arguments`}},
		{"unopenable file", map[string]string{"handler_h": "class = FileHandler\nargs = ('%(here)s/no/such/dir/x.log',)"}, []string{`[handler_h] args: cannot open log file`}},
		{"unknown handler ref", map[string]string{"logger_root": "handlers = h, nope"}, []string{`[logger_root] handlers: unknown handler "nope"`}},
		{"empty id", map[string]string{"logger_root": "handlers = h,"}, []string{`[logger_root] handlers: empty name in "h,"`}},
		{"handler without section", map[string]string{"handlers": "keys = h, gone"}, []string{`[handlers] keys: handler "gone" has no [handler_gone] section`}},
		{"unknown attribute", map[string]string{"formatter_f": "format = %(asctime)s %(user)s"}, []string{`[formatter_f] format: unknown attribute 'user'`}},
		{"number conversion of text", map[string]string{"formatter_f": "format = %(levelname)d"}, []string{`[formatter_f] format: %(levelname)d: levelname is text`}},
		{"bad percent", map[string]string{"formatter_f": "format = 100% %(message)s"}, []string{`[formatter_f] format: '% %(message)s': '%' must be followed`}},
		{"no field", map[string]string{"formatter_f": "format = hello"}, []string{`[formatter_f] format: invalid format 'hello' for '%' style`}},
		{"bad datefmt", map[string]string{"formatter_f": "format = %(asctime)s\ndatefmt = %H:%M:%S.%f"}, []string{`[formatter_f] datefmt: unsupported strftime directive '%f'`}},
		{"bad style", map[string]string{"formatter_f": "format = x\nstyle = #"}, []string{`[formatter_f] style: style must be one of`}},
		{"formatter class", map[string]string{"formatter_f": "class = colorlog.ColoredFormatter"}, []string{`[formatter_f] class: unsupported formatter class "colorlog.ColoredFormatter"`}},
		{"interpolation", map[string]string{"handler_h": "class = FileHandler\nargs = ('%(logdir)s/x.log',)"}, []string{`[handler_h] args: Bad value substitution: option 'args' in section 'handler_h' contains an interpolation key 'logdir'`}},
		{"several at once", map[string]string{"logger_root": "level = LOUD\nhandlers = h", "handler_h": "class = Bogus\nformatter = f", "formatter_f": "format = %(nope)s"},
			[]string{"[formatter_f] format: unknown attribute", "[handler_h] class: unsupported handler class \"Bogus\"", "[logger_root] level: unknown level \"LOUD\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bad.ini")
			os.WriteFile(path, []byte(render(tt.change)), 0o644)
			s, ok, err := FromFile(path, nil, WithStreams(&bytes.Buffer{}, &bytes.Buffer{}))
			if err == nil {
				s.Close()
				t.Fatalf("no error (ok=%v)", ok)
			}
			if s != nil || !ok {
				t.Errorf("s = %v, ok = %v; want nil, true", s, ok)
			}
			var errs []error
			if es, isList := err.(config.Errors); isList {
				errs = es
			} else {
				errs = []error{err}
			}
			if len(errs) != len(tt.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(errs), len(tt.want), err)
			}
			for i, e := range errs {
				var ce *config.Error
				if !errors.As(e, &ce) || ce.Origin.File != path {
					t.Errorf("error %d is not a *config.Error naming the file: %v", i, e)
				}
				if ce != nil && ce.Origin.Section != "" && ce.Origin.Line == 0 && ce.Origin.Key != "qualname" && ce.Origin.Key != "handlers" && ce.Origin.Key != "class" {
					t.Errorf("error %d has no line: %v", i, e)
				}
				if !strings.Contains(e.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, e.Error(), tt.want[i])
				}
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.ini")
	os.WriteFile(path, []byte("[loggers]\nkeys = root\nno delimiter here\n[loggers]\nKEYS = x\nkeys = y\n"), 0o644)
	_, _, err := FromFile(path, nil)
	want := []string{
		path + `:3: expected "key = value"`,
		path + `:4: section 'loggers' already exists (first at line 1)`,
		path + `:6: option 'keys' in section 'loggers' already exists (first at line 5)`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestBasicConfigAndDefault(t *testing.T) {
	var b bytes.Buffer
	l := BasicConfig(&b)
	l.Named("waitress").Info("Serving on http://127.0.0.1:8080")
	l.Named("waitress").Debug("hidden")
	l.Named("myproject.app").Info("hidden")
	l.Named("myproject.app").Warn("warning from factory")
	want := "INFO:waitress:Serving on http://127.0.0.1:8080\nWARNING:myproject.app:warning from factory\n"
	if b.String() != want {
		t.Errorf("BasicConfig wrote %q, want %q", b.String(), want)
	}
	b.Reset()
	d := Default(&b, zapcore.InfoLevel)
	d.Named("waitress").Info("hi", zap.Int("n", 1))
	d.Debug("hidden")
	if got := b.String(); !strings.HasPrefix(got, "{") || !strings.Contains(got, `"logger":"waitress","msg":"hi","n":1}`) || strings.Count(got, "\n") != 1 {
		t.Errorf("Default wrote %q", got)
	}
}

func TestJSONFormatter(t *testing.T) {
	s, _, errOut, _ := load(t, `[loggers]
keys = root
[handlers]
keys = h
[formatters]
keys = j
[logger_root]
level = INFO
handlers = h
[handler_h]
class = StreamHandler
formatter = j
[formatter_j]
class = json
`, nil)
	s.Logger().Named("wsgi").Warn("GET /", zap.Int("status", 200), Extra(zap.Int64("bytes", 5)))
	got := errOut.String()
	for _, w := range []string{`"level":"WARNING"`, `"logger":"wsgi"`, `"message":"GET /"`, `"status":200`, `"bytes":5`, `"caller":"logging/logging_test.go:`} {
		if !strings.Contains(got, w) {
			t.Errorf("%q does not contain %q", got, w)
		}
	}
}

func TestDefaultsAndEscapes(t *testing.T) {
	s, out, _, dir := load(t, `[loggers]
keys = root
[handlers]
keys = file, out
[formatters]
keys = empty
[logger_root]
level = DEBUG
handlers = file, out
[handler_file]
class = FileHandler
args = ('%(here)s/100%%-%(name)s.log',)
[handler_out]
class = StreamHandler
args = (sys.stdout,)
formatter = empty
[formatter_empty]
format =
`, map[string]string{"name": "x"})
	s.Logger().Debug("m")
	s.Close()
	if out.String() != "m\n" {
		t.Errorf("empty format: %q", out.String())
	}
	if b, err := os.ReadFile(filepath.Join(dir, "100%-x.log")); err != nil || string(b) != "m\n" {
		t.Errorf("log file: %q %v", b, err)
	}
}
