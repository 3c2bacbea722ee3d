package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gowaitress/gowaitress/environ"
	"go.uber.org/zap"
)

// channel is the handler of the net/http engine: the channel layer.
type channel struct{ s *Server }

func (ch channel) ServeHTTP(w http.ResponseWriter, r *http.Request) { ch.s.serveChannel(w, r) }

// serveChannel is the channel layer (§5.6, §6–§10). It answers the
// connection layer's errors, buffers the whole body, sets the request
// facts, applies proxy headers and url_prefix, waits for one of `threads`
// slots, runs the app into an output buffer and releases the slot before
// the client has read the response.
func (s *Server) serveChannel(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Context().Value(connKey{}).(*conn)
	if c != nil {
		c.queued.Add(-1)
		if !c.reached.Load() {
			c.reached.Store(true)
		}
	}
	var m *reqMeta
	if v, ok := r.Header[metaHeader]; ok {
		if c != nil && len(v) == 1 {
			id, _ := strconv.ParseUint(v[0], 10, 64)
			m = c.takeMeta(id)
		}
		delete(r.Header, metaHeader)
	}
	if m == nil {
		m = &trivialMeta // nothing beyond what net/http parsed
	}
	if m.err != nil {
		s.writeError(w, m.err, "")
		return
	}
	for _, h := range m.restore {
		r.Header.Add(h[0], h[1])
	}
	if m.rawTarget != "" {
		r.RequestURI = m.rawTarget
	}
	if m.star {
		r.URL.Path, r.URL.RawPath = "*", ""
	}
	r.Trailer = nil
	if m.closeAfter {
		w.Header().Set("Connection", "close")
	}
	origPath := r.URL.Path

	// The whole body is received before the app is given a slot.
	req0, netBody := r, io.ReadCloser(nil)
	if m.chunked || r.ContentLength > 0 {
		netBody = r.Body
		// Not pooled: a handler that (wrongly) reads r.Body after it
		// returned gets http.ErrBodyReadAfterClose, never a later
		// request's body.
		br := &bodyReader{sp: spool{limit: s.opts.InbufOverflow}}
		_, err := br.sp.ReadFrom(r.Body)
		if err != nil {
			br.Close()
			if c != nil {
				if he := c.bodyErrorOf(m); he != nil {
					s.writeError(w, he, "")
					return
				}
			}
			// The client went away mid-body: nothing to answer.
			panic(http.ErrAbortHandler)
		}
		r.Body.Close()
		if m.chunked {
			n := br.sp.Len()
			r.ContentLength = n
			r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
			r.TransferEncoding = nil
		}
		r.Body = br
		defer br.Close()
	} else {
		r.Body = http.NoBody
		if r.ContentLength < 0 {
			r.ContentLength = 0
		}
	}

	// Request facts (§6, §9, §10).
	if c != nil && c.isUnix() {
		r.RemoteAddr = "localhost"
	}
	// Without trusted proxies there is only clearing to do, and the
	// connection layer saw whether a proxy header came at all.
	if c != nil && len(s.trust) == 0 && !(s.opts.ClearUntrustedProxyHeaders && m.proxy) {
		// The request's facts are its connection's, which the
		// connection's context carries. The request is ours (net/http
		// made it for this handler), so its URL is updated in place.
		normalizePath(r.URL, s.opts.URLPrefix)
		if sc := s.opts.URLScheme; sc != "" && r.URL.Scheme != sc {
			r.URL.Scheme = sc
		}
	} else {
		var base environ.Facts
		if c != nil {
			base = c.facts()
		} else {
			base = environ.Facts{ScriptName: s.opts.URLPrefix, Scheme: s.opts.URLScheme, ServerName: s.opts.ServerName}
		}
		facts := base
		if len(s.trust) > 0 || s.opts.ClearUntrustedProxyHeaders && (c == nil || m.proxy) {
			if he := s.applyProxy(r, c, &facts); he != nil {
				s.writeError(w, he, "")
				return
			}
		}
		normalizePath(r.URL, s.opts.URLPrefix)
		if c == nil || facts != base {
			r = environ.WithFacts(r, facts)
		} else if facts.Scheme != "" && r.URL.Scheme != facts.Scheme {
			r.URL.Scheme = facts.Scheme
		}
	}
	if r.Host != "" {
		r.URL.Host = r.Host
	}

	if c != nil {
		c.inProgress.Add(1)
	}
	if !s.acquire() {
		if c != nil {
			c.inProgress.Add(-1)
		}
		panic(http.ErrAbortHandler)
	}
	rw := newResponseWriter(s, w, r, c, origPath)
	aborted := s.runApp(rw, r, origPath)
	s.free()
	if c != nil && !c.hijacked.Load() {
		// Counted by the connection (no write to a line every request
		// on every core writes); forget moves it into the total.
		c.served.Add(1)
	} else {
		s.slots.served.Add(1)
	}
	if c != nil {
		c.inProgress.Add(-1)
		c.touch()
	}
	if aborted {
		rw.abort()
		panic(http.ErrAbortHandler)
	}
	if netBody != nil && !rw.drainer {
		// net/http's own (closed, fully read) body again, so that
		// committing the response does not try to discard a body it
		// does not know.
		req0.Body = netBody
	}
	rw.finish()
	rw.release()
}

// runApp calls the application, turning a panic into a 500 when nothing
// was sent yet; it reports whether the response must be cut off instead.
func (s *Server) runApp(rw *responseWriter, r *http.Request, path string) (aborted bool) {
	aw := new(appWriter)
	aw.p.Store(rw)
	defer func() {
		aw.p.Store(nil) // the handler has returned: the app's writer lets go
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			aborted = true
			return
		}
		stack := debug.Stack()
		s.log.Error("Exception while serving "+path, zap.Any("panic", p), zap.ByteString("stack", stack))
		if !rw.discardForError() {
			aborted = true
			return
		}
		detail := ""
		if s.opts.ExposeTracebacks {
			detail = fmt.Sprintf("panic: %v\n\n%s", p, stack)
		}
		s.writeError(rw.w, &httpError{500, detail, r.Proto}, "")
		rw.done = true
	}()
	s.handler.ServeHTTP(aw, r)
	return false
}

// slotCounters are the application slots' counters (§7.2): every request
// writes them, so they sit on a cache line of their own, away from the
// fields every request only reads.
type slotCounters struct {
	_      [64]byte
	demand atomic.Int64 // handlers running plus requests waiting for a slot
	served atomic.Int64 // handlers completed on connections forgotten since, or on none
	_      [48]byte
}

// acquire takes one of the threads slots, waiting (reported on the
// waitress.queue logger) while all are in use; false when the server stops
// meanwhile. A slot is taken at once while the demand is within threads;
// a request beyond that waits until a release hands it a slot.
func (s *Server) acquire() bool {
	if s.slots.demand.Add(1) > int64(s.opts.Threads) {
		n := s.waiting.Add(1)
		// Formatted only when the line is logged: a request waits exactly
		// when the server is short of CPU.
		if s.qlog.Core().Enabled(zap.WarnLevel) {
			s.qlog.Warn("Task queue depth is " + strconv.FormatInt(n, 10))
		}
		select {
		case <-s.handoff:
			s.waiting.Add(-1)
		case <-s.stopping:
			// A slot handed over meanwhile stays in handoff: after
			// stopping no request takes one any more.
			s.waiting.Add(-1)
			s.slots.demand.Add(-1)
			return false
		}
	}
	if s.stopped.Load() {
		s.free()
		return false
	}
	return true
}

// free gives a slot back: to the first waiting request if there is one.
func (s *Server) free() {
	if s.slots.demand.Add(-1) >= int64(s.opts.Threads) {
		select {
		case s.handoff <- struct{}{}:
		case <-s.stopping:
		}
	}
}

// busy is the number of slots in use (a snapshot).
func (s *Server) busy() int {
	return int(min(max(s.slots.demand.Load()-s.waiting.Load(), 0), int64(s.opts.Threads)))
}

// normalizePath collapses a leading run of slashes and strips url_prefix
// with SCRIPT_NAME semantics (§9), keeping RawPath consistent.
func normalizePath(u *url.URL, prefix string) {
	if u.Path == "*" || u.Path == "" && u.Host != "" {
		return
	}
	u.Path = collapse(u.Path)
	if u.RawPath != "" {
		u.RawPath = collapse(u.RawPath)
	}
	if prefix == "" || prefix == "/" {
		return
	}
	switch {
	case u.Path == prefix:
		u.Path = ""
	case strings.HasPrefix(u.Path, prefix+"/"):
		u.Path = u.Path[len(prefix):]
	default:
		return
	}
	if u.RawPath != "" {
		switch {
		case u.RawPath == prefix:
			u.RawPath = ""
		case strings.HasPrefix(u.RawPath, prefix+"/"):
			u.RawPath = u.RawPath[len(prefix):]
		default:
			u.RawPath = ""
		}
		if u.RawPath != "" && u.EscapedPath() != u.RawPath {
			// keep only when still a valid encoding of Path
			ru := url.URL{Path: u.Path, RawPath: u.RawPath}
			if ru.EscapedPath() != u.RawPath {
				u.RawPath = ""
			}
		}
	}
}

func collapse(p string) string {
	if len(p) > 1 && p[0] == '/' && p[1] == '/' {
		return "/" + strings.TrimLeft(p, "/")
	}
	return p
}

var reasons = map[int]string{
	400: "Bad Request", 413: "Request Entity Too Large", 431: "Request Header Fields Too Large",
	500: "Internal Server Error", 501: "Not Implemented", 505: "HTTP Version Not Supported",
}

const genericDetail = "The server encountered an unexpected internal server error"

// writeError writes a server-generated error page (§8) and makes the
// connection close after it.
func (s *Server) writeError(w http.ResponseWriter, e *httpError, _ string) {
	reason := reasons[e.code]
	if reason == "" {
		reason = http.StatusText(e.code)
	}
	detail := e.detail
	if detail == "" && e.code == 500 {
		detail = genericDetail
	}
	tag := s.opts.Ident
	if tag == "" {
		tag = "server"
	}
	body := reason + "\r\n\r\n" + detail + "\r\n\r\n(generated by " + tag + ")"
	h := w.Header()
	for k := range h {
		delete(h, k)
	}
	h.Set("Connection", "close")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if s.opts.Ident != "" {
		h.Set("Server", s.opts.Ident)
	}
	w.WriteHeader(e.code)
	io.WriteString(w, body)
}

// baseFacts are the request facts every request of c starts from; the
// connection's context carries them (ConnContext), so a request whose facts
// no proxy header changes needs no context of its own.
func (c *conn) baseFacts() environ.Facts {
	o := &c.srv.opts
	return environ.Facts{ScriptName: o.URLPrefix, Scheme: o.URLScheme, ServerName: o.ServerName, ServerPort: c.serverPort()}
}

// facts are c's base facts as its context carries them (no work per
// request), else computed.
func (c *conn) facts() environ.Facts {
	if c.ctx.Context != nil {
		if f, ok := environ.ContextFacts(c.ctx.Context); ok {
			return f
		}
	}
	return c.baseFacts()
}

// lastPort caches the decimal string of the last listening port seen, so
// that SERVER_PORT costs no allocation per connection.
var lastPort atomic.Pointer[portString]

type portString struct {
	port int
	s    string
}

func portStr(port int) string {
	if p := lastPort.Load(); p != nil && p.port == port {
		return p.s
	}
	p := &portString{port, strconv.Itoa(port)}
	lastPort.Store(p)
	return p.s
}

// serverPort is SERVER_PORT: the listening port, or the Unix socket path.
func (c *conn) serverPort() string {
	switch a := c.raw.LocalAddr().(type) {
	case *net.TCPAddr:
		return portStr(a.Port)
	case *net.UnixAddr:
		if c.srv.unixPath != "" {
			return c.srv.unixPath
		}
		return a.Name
	}
	return ""
}
