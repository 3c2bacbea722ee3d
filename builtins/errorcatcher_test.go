package builtins

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func buildErrorCatcher(t *testing.T, next http.Handler, global []string, kv ...string) (http.Handler, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	h, err := newErrorCatcher(zap.New(core), next, settings("DEFAULT", global...), settings("filter-app:errors", kv...))
	if err != nil {
		t.Fatal(err)
	}
	return h, logs
}

func TestErrorCatcher(t *testing.T) {
	boom := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Before", "1")
		panic("boom <script>")
	})
	for _, tc := range []struct {
		name    string
		global  []string
		kv      []string
		details bool
		message string
	}{
		{"default", nil, nil, false, defaultErrorMessage},
		{"debug", nil, []string{"debug", "true"}, true, defaultErrorMessage},
		{"global debug", []string{"debug", "true"}, nil, true, defaultErrorMessage},
		{"local overrides global", []string{"debug", "true"}, []string{"debug", "false"}, false, defaultErrorMessage},
		{"message", nil, []string{"error_message", "Oops & sorry"}, false, "Oops &amp; sorry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, logs := buildErrorCatcher(t, boom, tc.global, tc.kv...)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/p?q=1", nil))
			body := rec.Body.String()
			if rec.Code != 500 || rec.Header().Get("X-Before") != "" || !strings.Contains(body, tc.message) {
				t.Fatalf("%d %v %q", rec.Code, rec.Header(), body)
			}
			if got := strings.Contains(body, "boom &lt;script&gt;") && strings.Contains(body, "errorcatcher_test.go"); got != tc.details {
				t.Errorf("details shown = %v: %q", got, body)
			}
			if strings.Contains(body, "<script>") {
				t.Error("panic value not escaped")
			}
			all := logs.FilterMessage("panic serving request").All()
			if len(all) != 1 || all[0].LoggerName != "wsgi" || all[0].ContextMap()["panic"] != "boom <script>" ||
				!strings.Contains(all[0].ContextMap()["stack"].(string), "errorcatcher_test.go") || all[0].ContextMap()["uri"] != "/p?q=1" {
				t.Errorf("logs %v", logs.All())
			}
		})
	}
}

func TestErrorCatcherAfterStart(t *testing.T) {
	h, logs := buildErrorCatcher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic(errors.New("late"))
	}), nil)
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recover() = %v, want ErrAbortHandler", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if logs.FilterMessage("panic serving request").Len() != 1 {
		t.Errorf("logs %v", logs.All())
	}
	// ErrAbortHandler passes through unlogged.
	h, logs = buildErrorCatcher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}), nil)
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recover() = %v", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
	if logs.Len() != 0 {
		t.Errorf("logged %v", logs.All())
	}
	// No panic: untouched.
	h, _ = buildErrorCatcher(t, bodyApp(201, "fine"), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 201 || rec.Body.String() != "fine" {
		t.Errorf("%d %q", rec.Code, rec.Body.String())
	}
}

func TestErrorCatcherSettings(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	if _, err := newErrorCatcher(zap.New(core), http.NotFoundHandler(), settings("DEFAULT"),
		settings("filter-app:e", "error_email", "ops@example.com", "smtp_server", "localhost")); err != nil {
		t.Fatal(err)
	}
	if logs.FilterMessageSnippet("not supported").Len() != 2 {
		t.Errorf("warnings %v", logs.All())
	}
	for _, tc := range []struct {
		global, kv []string
		want       string
	}{
		{nil, []string{"debug", "perhaps"}, "debug"},
		{[]string{"debug", "perhaps"}, nil, "debug"},
		{nil, []string{"debg", "true"}, `did you mean "debug"`},
	} {
		_, err := ErrorCatcherFactory(http.NotFoundHandler(), settings("DEFAULT", tc.global...), settings("filter-app:e", tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err = %v", tc.global, tc.kv, err)
		}
	}
}
