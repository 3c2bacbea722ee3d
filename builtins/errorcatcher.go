package builtins

import (
	"fmt"
	"html"
	"net/http"
	"runtime/debug"
	"strings"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/config"
)

var errorCatcherKeys = []string{"debug", "error_message", "show_exceptions_in_wsgi_errors",
	"error_log", "error_email", "from_address", "smtp_server", "smtp_username", "smtp_password",
	"smtp_use_tls", "error_subject_prefix", "xmlhttp_key"}

// errorCatcherIgnored are Paste's settings for mailing and file-logging
// exceptions: accepted so that Paste configurations load, not acted upon.
var errorCatcherIgnored = []string{"error_log", "error_email", "from_address", "smtp_server",
	"smtp_username", "smtp_password", "smtp_use_tls", "error_subject_prefix", "xmlhttp_key"}

const defaultErrorMessage = "An internal server error occurred"

// ErrorCatcherFactory is the filter-app factory registered as
// "Paste#error_catcher" (egg:Paste#error_catcher, Paste's ErrorMiddleware):
// a panic in the wrapped application becomes a 500 Internal Server Error
// page, and the panic value with its stack is logged at error level on the
// "wsgi" zap logger (zap.L() as it is when the factory runs), with the
// request's method and URI.
//
// Settings:
//
//   - debug (strict boolean; default: the global debug setting, else false):
//     the page shows the panic value and the stack (HTML-escaped). Never turn
//     it on where untrusted clients can see the pages.
//   - error_message (default "An internal server error occurred"): the text
//     of the page when debug is off.
//   - show_exceptions_in_wsgi_errors (strict boolean): accepted for Paste;
//     panics are always logged.
//   - error_log, error_email, from_address, smtp_server, smtp_username,
//     smtp_password, smtp_use_tls, error_subject_prefix, xmlhttp_key:
//     accepted so that Paste configurations load; nothing is mailed or written
//     to a separate file (a warning says so at load time): route the "wsgi"
//     logger's error lines instead.
//
// When the application has already started its response, no page can be
// sent: the panic is logged and the connection is aborted (the client sees a
// truncated response, not a 200 that looks complete). http.ErrAbortHandler
// passes through untouched, as net/http expects.
func ErrorCatcherFactory(next http.Handler, global, local *config.Settings) (http.Handler, error) {
	return newErrorCatcher(zap.L(), next, global, local)
}

func newErrorCatcher(base *zap.Logger, next http.Handler, global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("Paste#error_catcher", local, errorCatcherKeys); err != nil {
		return nil, err
	}
	if base == nil {
		base = zap.NewNop()
	}
	log := base.Named("wsgi")
	g := config.NewGetter(local)
	dbg := false
	if global != nil && global.Has("debug") {
		var err error
		if dbg, err = global.Bool("debug", false); err != nil {
			return nil, err
		}
	}
	dbg = g.Bool("debug", dbg)
	_ = g.Bool("show_exceptions_in_wsgi_errors", false)
	msg := defaultErrorMessage
	if v, ok := local.Lookup("error_message"); ok && strings.TrimSpace(v) != "" {
		msg = strings.TrimSpace(v)
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	for _, k := range errorCatcherIgnored {
		if local.Has(k) {
			log.Warn("Paste#error_catcher: setting not supported, ignored; panics are logged on the wsgi logger",
				zap.String("setting", k))
		}
	}
	return &errorCatcher{next: next, debug: dbg, message: msg, log: log}, nil
}

type errorCatcher struct {
	next    http.Handler
	debug   bool
	message string
	log     *zap.Logger
}

func (e *errorCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{w: w}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		stack := debug.Stack()
		started := sw.status != 0 || sw.hijacked
		e.log.Error("panic serving request",
			zap.String("panic", fmt.Sprint(v)), zap.String("method", r.Method),
			zap.String("uri", requestURI(r)), zap.Bool("response_started", started),
			zap.ByteString("stack", stack))
		if started {
			panic(http.ErrAbortHandler) // abort the connection: the response cannot be completed
		}
		h := w.Header()
		for k := range h {
			delete(h, k)
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusInternalServerError)
		if r.Method == http.MethodHead {
			return
		}
		var b strings.Builder
		b.WriteString("<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body>\n")
		b.WriteString("<h1>Internal Server Error</h1>\n<p>")
		b.WriteString(html.EscapeString(e.message))
		b.WriteString("</p>\n")
		if e.debug {
			b.WriteString("<h2>")
			b.WriteString(html.EscapeString(fmt.Sprint(v)))
			b.WriteString("</h2>\n<pre>")
			b.WriteString(html.EscapeString(string(stack)))
			b.WriteString("</pre>\n")
		}
		b.WriteString("</body></html>\n")
		_, _ = w.Write([]byte(b.String()))
	}()
	e.next.ServeHTTP(sw, r)
}
