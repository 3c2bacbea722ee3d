package logging

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	tm := time.Date(2024, 3, 5, 14, 7, 9, 45_678_000, time.Local)
	rec := &record{
		time: tm, levelno: levelWarning, name: "waitress.queue", msg: "hi", message: "hi n=1",
		file: "/src/gowaitress/server/server.go", line: 42, function: "github.com/gowaitress/gowaitress/server.(*Server).run",
	}
	info := *rec
	info.levelno = levelInfo
	pid := strconv.Itoa(os.Getpid())
	tests := []struct {
		style, format, datefmt string
		rec                    *record
		want                   string
	}{
		{"%", "%(levelname)-5.5s|", "", rec, "WARNI|"},
		{"%", "%(levelname)-5.5s|", "", &info, "INFO |"},
		{"%", "%(levelname)8s|%(levelname).1s", "", rec, " WARNING|W"},
		{"%", "%(levelno)d %(levelno)03d %(levelno)-4d| %(levelno)x %(levelno)s", "", rec, "30 030 30  | 1e 30"},
		{"%", "[%(name)s:%(lineno)s][%(threadName)s] %(message)s", "", rec, "[waitress.queue:42][MainThread] hi n=1"},
		{"%", "%(name)r %(lineno)r", "", rec, "'waitress.queue' 42"},
		{"%", "%(asctime)s", "", rec, "2024-03-05 14:07:09,045"},
		{"%", "%(asctime)s.%(msecs)03d", "%H:%M:%S", rec, "14:07:09.045"},
		{"%", "%(msecs)s %(msecs).1f", "", rec, "45.0 45.0"},
		{"%", "%(pathname)s %(filename)s %(module)s %(funcName)s", "", rec, "/src/gowaitress/server/server.go server.go server (*Server).run"},
		{"%", "%(process)d %(processName)s %(thread)d", "", rec, pid + " MainProcess 0"},
		{"%", "100%% %(msg)s", "", rec, "100% hi"},
		{"%", "%(lineno)+d %(lineno) d %(lineno)05d", "", rec, "+42  42 00042"},
		{"%", "%(created).3f", "", rec, strconv.FormatFloat(float64(tm.UnixNano())/1e9, 'f', 3, 64)},
		{"{", "{levelname:<8}|{name}|{lineno:>4}|{levelname!r}|{{x}}", "", rec, "WARNING |waitress.queue|  42|'WARNING'|{x}"},
		{"{", "{levelname:*^11.4}|{levelno:03d}|{msecs:.2f}", "", rec, "***WARN****|030|45.00"},
		{"$", "$levelname ${name}: $message $$", "", rec, "WARNING waitress.queue: hi n=1 $"},
		{"%", "%(asctime)s", "%Y-%m-%d %H:%M:%S %y %b %B %a %A %j %p %I %%", rec, "2024-03-05 14:07:09 24 Mar March Tue Tuesday 065 PM 02 %"},
		{"%", "%(asctime)s", "%z %Z", rec, tm.Format("-0700 MST")},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			f, err := newTextFormatter(tt.format, tt.datefmt, tt.style)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(f.format(nil, tt.rec)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// no caller: blank names, line 0
	f, _ := newTextFormatter("[%(funcName)s:%(lineno)d:%(module)s]", "", "%")
	if got := string(f.format(nil, &record{time: tm})); got != "[:0:]" {
		t.Errorf("without caller: %q", got)
	}
	if !f.usesCaller() {
		t.Error("usesCaller is false for a format with %(lineno)d")
	}
	f, _ = newTextFormatter("%(message)s", "", "%")
	if f.usesCaller() {
		t.Error("usesCaller is true for %(message)s")
	}
}

func TestFormatErrors(t *testing.T) {
	for _, tt := range []struct{ style, format string }{
		{"%", "%(message)"},
		{"%", "%(message)q"},
		{"%", "%(message"},
		{"%", "%s"},
		{"%", "%(message)*s"},
		{"%", "%(created)x"},
		{"{", "{nope}"},
		{"{", "{message"},
		{"{", "x}"},
		{"{", "no fields"},
		{"{", "{levelname:d}"},
		{"$", "$nope"},
		{"$", "$ x"},
		{"$", "plain"},
	} {
		if _, err := newTextFormatter(tt.format, "", tt.style); err == nil {
			t.Errorf("style %s format %q: no error", tt.style, tt.format)
		}
	}
}

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		in   string
		want string // fmt %#v of the result
	}{
		{"()", "[]interface {}{}"},
		{"(sys.stderr,)", `[]interface {}{"sys.stderr"}`},
		{" ( sys.stdout , ) ", `[]interface {}{"sys.stdout"}`},
		{"('/var/log/app.log', 'a')", `[]interface {}{"/var/log/app.log", "a"}`},
		{`("a\tb\x41\u00e9\101", r'c:\dir', 'x' "y")`, `[]interface {}{"a\tbAéA", "c:\\dir", "xy"}`},
		{"('f', 'a', 10485760, 5)", `[]interface {}{"f", "a", 10485760, 5}`},
		{"[1, -2, 0x10, 1_000, 2.5, True, False, None]", `[]interface {}{1, -2, 16, 1000, 2.5, true, false, interface {}(nil)}`},
		{"{'delay': True, \"mode\": 'w'}", `map[string]interface {}{"delay":true, "mode":"w"}`},
		{"('app.log')", `"app.log"`},
	}
	for _, tt := range tests {
		v, err := parseLiteral(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if s, ok := v.([]any); ok {
			for i, x := range s {
				if st, ok := x.(stream); ok {
					s[i] = string(st)
				} else if n, ok := x.(int64); ok {
					s[i] = int(n)
				}
			}
		}
		if got := sprintGo(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"(", "(1 2)", "open('x')", "('x',", "'unterminated", "{1: 2}", "__import__('os')", "(sys.stdin,)", "'''x'''", "1 + 2", "0x"} {
		if v, err := parseLiteral(bad); err == nil {
			t.Errorf("%s: no error (got %v)", bad, v)
		}
	}
}

func sprintGo(v any) string { return fmt.Sprintf("%#v", v) }
