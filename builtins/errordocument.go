package builtins

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// errorDocKeep are the headers of an intercepted response kept on the error
// document: they are part of what the status means.
var errorDocKeep = []string{"Www-Authenticate", "Proxy-Authenticate", "Allow", "Retry-After"}

// ErrorDocumentFactory is the filter-app factory registered as
// "Paste#errordocument" (egg:Paste#errordocument, Paste's
// make_errordocument): it replaces the body of error responses with a page
// the wrapped application serves.
//
// Settings: every key is a status code (300-599, not 304) and its value the
// path of the page to show for it, starting with "/" and relative to the
// application (its mount point, environ.ScriptName, stays), optionally with
// a ?query:
//
//	[filter-app:errors]
//	use = egg:Paste#errordocument
//	next = main
//	404 = /errors/notfound.html
//	500 = /errors/500.html
//
// When the application answers one of the mapped statuses, its headers and
// body are dropped (except WWW-Authenticate, Proxy-Authenticate, Allow and
// Retry-After) and the same application is called again (an internal
// redirect, as Paste's forward does) with a GET for the mapped path — HEAD
// stays HEAD — without the original body, query or conditional and Range
// headers. Its headers and body are sent with the original status. When the
// page itself does not answer 2xx, the original status is sent with a short
// plain-text body instead. The page's request is not intercepted again, so
// a missing page cannot loop. To show a page from another application, mount
// it in a Paste#urlmap that this filter wraps and map to its path.
//
// Unlike Paste, the original status is always kept (Paste's forward did the
// same) and the page is never fetched for a response the application has
// already begun to stream with another status.
func ErrorDocumentFactory(next http.Handler, global, local *config.Settings) (http.Handler, error) {
	d := &errorDocument{next: next, pages: map[int]*url.URL{}}
	var errs []error
	for k, v := range local.All() {
		code, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || code < 300 || code > 599 || code == http.StatusNotModified {
			errs = append(errs, settingError(pastedeploy.ErrUnknownSetting, k, v,
				"unknown setting for Paste#errordocument: every key must be a status code from 300 to 599 (not 304), such as 404"))
			continue
		}
		raw := strings.TrimSpace(v.Raw)
		u, err := url.Parse(raw)
		if err != nil || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || u.Fragment != "" {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, k, v,
				"want a path starting with \"/\", such as /errors/404.html, got %q", v.Raw))
			continue
		}
		d.pages[code] = u
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

type errorDocument struct {
	next  http.Handler
	pages map[int]*url.URL
}

type errorDocKey struct{}

func (d *errorDocument) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Context().Value(errorDocKey{}) != nil {
		d.next.ServeHTTP(w, r) // the page's own request
		return
	}
	iw := &interceptWriter{w: w, pages: d.pages}
	d.next.ServeHTTP(iw, r)
	if iw.status == 0 {
		return
	}
	page := d.pages[iw.status]
	r2 := r.Clone(context.WithValue(r.Context(), errorDocKey{}, true))
	if r.Method != http.MethodHead {
		r2.Method = http.MethodGet
	}
	r2.Body, r2.ContentLength, r2.GetBody = http.NoBody, 0, nil
	r2.TransferEncoding = nil
	for _, h := range []string{"Content-Length", "Content-Type", "Transfer-Encoding", "If-None-Match",
		"If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Range"} {
		r2.Header.Del(h)
	}
	u := cloneURL(r.URL)
	u.Path, u.RawPath, u.RawQuery = page.Path, page.RawPath, page.RawQuery
	r2.URL = u
	r2.RequestURI = ""
	ow := &statusOverrideWriter{w: w, status: iw.status, keep: iw.kept}
	d.next.ServeHTTP(ow, r2)
	ow.finish(r.Method == http.MethodHead)
}

// interceptWriter swallows a response whose status is mapped to a page.
type interceptWriter struct {
	w       http.ResponseWriter
	pages   map[int]*url.URL
	started bool        // the response went through
	status  int         // intercepted status; 0 when none
	kept    http.Header // headers kept from the intercepted response
}

func (iw *interceptWriter) Header() http.Header {
	if iw.status != 0 {
		return http.Header{} // writes after interception go nowhere
	}
	return iw.w.Header()
}

func (iw *interceptWriter) WriteHeader(code int) {
	if iw.started || iw.status != 0 {
		return
	}
	if _, ok := iw.pages[code]; ok {
		iw.status = code
		h := iw.w.Header()
		iw.kept = http.Header{}
		for _, k := range errorDocKeep {
			if vs, ok := h[k]; ok {
				iw.kept[k] = vs
			}
		}
		for k := range h {
			delete(h, k)
		}
		return
	}
	if code >= 200 || code == http.StatusSwitchingProtocols {
		iw.started = true
	}
	iw.w.WriteHeader(code)
}

func (iw *interceptWriter) Write(p []byte) (int, error) {
	if !iw.started && iw.status == 0 {
		iw.WriteHeader(http.StatusOK)
	}
	if iw.status != 0 {
		return len(p), nil // the body of the intercepted response is dropped
	}
	return iw.w.Write(p)
}

func (iw *interceptWriter) Flush() {
	if iw.status != 0 {
		return
	}
	if !iw.started {
		iw.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(iw.w).Flush()
}

func (iw *interceptWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(iw.w).Hijack()
	if err == nil {
		iw.started = true
	}
	return c, rw, err
}

func (iw *interceptWriter) Unwrap() http.ResponseWriter { return iw.w }

// statusOverrideWriter sends the page's response with the original status.
type statusOverrideWriter struct {
	w       http.ResponseWriter
	status  int
	keep    http.Header
	started bool
	failed  bool // the page did not answer 2xx
}

func (ow *statusOverrideWriter) Header() http.Header {
	if ow.failed {
		return http.Header{}
	}
	return ow.w.Header()
}

func (ow *statusOverrideWriter) WriteHeader(code int) {
	if ow.started || ow.failed || code < 200 {
		return
	}
	if code > 299 {
		ow.failed = true
		return
	}
	ow.started = true
	h := ow.w.Header()
	for k, vs := range ow.keep {
		h[k] = vs
	}
	ow.w.WriteHeader(ow.status)
}

func (ow *statusOverrideWriter) Write(p []byte) (int, error) {
	if !ow.started && !ow.failed {
		ow.WriteHeader(http.StatusOK)
	}
	if ow.failed {
		return len(p), nil
	}
	return ow.w.Write(p)
}

func (ow *statusOverrideWriter) Flush() {
	if !ow.started && !ow.failed {
		ow.WriteHeader(http.StatusOK)
	}
	if ow.started {
		_ = http.NewResponseController(ow.w).Flush()
	}
}

func (ow *statusOverrideWriter) Unwrap() http.ResponseWriter { return ow.w }

// finish answers with a plain page when the error page failed or was empty
// of any response.
func (ow *statusOverrideWriter) finish(head bool) {
	if ow.started {
		return
	}
	h := ow.w.Header()
	for k := range h {
		delete(h, k)
	}
	for k, vs := range ow.keep {
		h[k] = vs
	}
	if ow.failed {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		ow.w.WriteHeader(ow.status)
		if !head {
			_, _ = ow.w.Write([]byte(strconv.Itoa(ow.status) + " " + http.StatusText(ow.status) + "\n"))
		}
		return
	}
	ow.w.WriteHeader(ow.status) // the page wrote nothing: an empty body
}
