package server

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"go.uber.org/zap"
)

// responseWriter is the app's http.ResponseWriter (§7): the app writes into
// an output buffer (memory up to outbuf_overflow, then a temporary file);
// the bytes reach net/http's writer in the connection goroutine or in a
// drainer goroutine started once send_bytes bytes wait or on Flush, so the
// app's slot is freed before a slow client has read the response.
type responseWriter struct {
	s    *Server
	w    http.ResponseWriter // net/http's
	r    *http.Request
	c    *conn
	path string

	status       int
	wroteHeader  bool // status fixed (logical commit)
	committed    bool // net/http's WriteHeader called
	failed       bool // replaced by an error page
	done         bool // response completed by the channel (error page)
	head         bool
	bodyOK       bool
	declared     int64 // Content-Length set by the app, -1 if none
	written      int64 // body bytes accepted
	flushed      bool
	hijacked     bool // the app took the connection: its writes fail
	warnedOver   bool
	warnedNoBody bool
	hdr          bool         // the app called Header(): its headers need checking
	hdrChecked   bool         // finish checked them just before commit
	trailers     *trailerSnap // declared trailers' values at WriteHeader (rare)
	clHad        bool         // the app's map had Content-Length at WriteHeader
	clHdr        []string     // and its values then (see keepLength)

	mu       sync.Mutex
	cond     sync.Cond
	buf      spool
	drainer  bool
	finished bool // drain everything and stop: the app returned or hijacks
	flushReq bool
	werr     error // write error seen by the drainer
	exited   chan struct{}
}

var rwPool = sync.Pool{New: func() any { return new(responseWriter) }}

// appWriter is the ResponseWriter the app gets: a handle on the pooled
// responseWriter that lets go of it once the handler has returned. A
// ResponseWriter must not be used after ServeHTTP returns; a goroutine
// the app left writing must still never write into a later request's
// response, whose writer may by then be the same pooled struct (so the
// request body is never pooled either). After the handler, the handle's
// writes fail with errWriterDone and its other methods do nothing.
type appWriter struct {
	p atomic.Pointer[responseWriter]
}

var errWriterDone = errors.New("gowaitress: ResponseWriter used after its handler returned")

func (a *appWriter) Header() http.Header {
	if rw := a.p.Load(); rw != nil {
		return rw.Header()
	}
	return http.Header{}
}

func (a *appWriter) WriteHeader(code int) {
	if rw := a.p.Load(); rw != nil {
		rw.WriteHeader(code)
	}
}

func (a *appWriter) Write(p []byte) (int, error) {
	if rw := a.p.Load(); rw != nil {
		return rw.Write(p)
	}
	return 0, errWriterDone
}

func (a *appWriter) WriteString(s string) (int, error) {
	if rw := a.p.Load(); rw != nil {
		return rw.WriteString(s)
	}
	return 0, errWriterDone
}

func (a *appWriter) Flush() {
	if rw := a.p.Load(); rw != nil {
		rw.Flush()
	}
}

func (a *appWriter) SetWriteDeadline(t time.Time) error {
	if rw := a.p.Load(); rw != nil {
		return rw.SetWriteDeadline(t)
	}
	return errWriterDone
}

func (a *appWriter) SetReadDeadline(t time.Time) error {
	if rw := a.p.Load(); rw != nil {
		return rw.SetReadDeadline(t)
	}
	return errWriterDone
}

func (a *appWriter) EnableFullDuplex() error {
	if rw := a.p.Load(); rw != nil {
		return rw.EnableFullDuplex()
	}
	return errWriterDone
}

func (a *appWriter) CloseNotify() <-chan bool {
	if rw := a.p.Load(); rw != nil {
		return rw.CloseNotify()
	}
	return make(chan bool)
}

func (a *appWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if rw := a.p.Load(); rw != nil {
		return rw.Hijack()
	}
	return nil, nil, errWriterDone
}

func newResponseWriter(s *Server, w http.ResponseWriter, r *http.Request, c *conn, path string) *responseWriter {
	rw := rwPool.Get().(*responseWriter)
	*rw = responseWriter{s: s, w: w, r: r, c: c, path: path, declared: -1, head: r.Method == "HEAD"}
	rw.buf.limit = s.opts.OutbufOverflow
	rw.cond.L = &rw.mu
	return rw
}

// release returns rw to the pool once the response is complete and no
// goroutine of ours uses it any more.
func (rw *responseWriter) release() {
	rw.buf.Reset()
	*rw = responseWriter{}
	rwPool.Put(rw)
}

func (rw *responseWriter) Header() http.Header {
	rw.hdr = true
	return rw.w.Header()
}

func (rw *responseWriter) WriteHeader(code int) {
	if rw.wroteHeader || rw.failed || rw.hijacked {
		return
	}
	if code >= 100 && code <= 199 && code != 101 {
		// An interim response, sent at once by net/http; never to an
		// HTTP/1.0 client (RFC 9110 §15.2: it does not know 1xx).
		if !rw.committed && !rw.drainer && rw.r.ProtoAtLeast(1, 1) {
			rw.w.WriteHeader(code)
		}
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	rw.wroteHeader = true
	rw.status = code
	rw.bodyOK = !(code == 204 || code == 304)
	if !rw.hdr {
		return // nobody but the channel set a header: no Content-Length
	}
	h := rw.w.Header()
	if tv, ok := h["Trailer"]; ok {
		rw.trailers = snapTrailers(h, tv)
	}
	// net/http reads the canonical key too (Header.Get would canonicalize
	// the constant on every response).
	cl, ok := h["Content-Length"]
	rw.clHdr, rw.clHad = cl, ok
	if len(cl) > 0 && cl[0] != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl[0]), 10, 64); err == nil && n >= 0 {
			rw.declared = n
		}
	}
}

// headSniffLen is how many bytes of a HEAD response's body reach net/http:
// as many as it looks at to sniff a Content-Type (its sniffLen).
const headSniffLen = 512

var (
	errClientGone    = errors.New("gowaitress: client disconnected")
	errInvalidHeader = errors.New("gowaitress: invalid response header (answered 500)")
)

func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.hijacked {
		return 0, http.ErrHijacked // as net/http's
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.failed {
		return 0, http.ErrHandlerTimeout
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !rw.bodyOK {
		if !rw.warnedNoBody {
			rw.warnedNoBody = true
			rw.s.log.Warn(fmt.Sprintf("application-written content was ignored due to HTTP response that may not contain a message-body: (%d)", rw.status))
		}
		return 0, http.ErrBodyNotAllowed
	}
	var err error
	if rw.declared >= 0 && rw.written+int64(len(p)) > rw.declared {
		p = p[:rw.declared-rw.written]
		err = http.ErrContentLength
		if !rw.warnedOver {
			rw.warnedOver = true
			rw.s.log.Warn(fmt.Sprintf("application-written content exceeded the number of bytes specified by Content-Length header (%d)", rw.declared))
		}
	}
	rw.written += int64(len(p))
	if rw.head {
		// Not sent, but its first bytes go to net/http, which takes a
		// Content-Type from them as it would for GET (and eats them).
		if n := headSniffLen - rw.buf.Len(); n > 0 && !rw.drainer {
			rw.buf.Write(p[:min(n, int64(len(p)))])
		}
		return len(p), err
	}
	if len(p) == 0 {
		return len(p), err
	}
	if rw.directOK(p) {
		if derr := rw.writeDirect(p); derr != nil {
			return 0, derr
		}
		return len(p), err
	}
	if !rw.drainer {
		// No other goroutine of ours uses rw before a drainer starts
		// (only this goroutine starts one): no lock.
		if rw.werr != nil {
			return 0, rw.werr
		}
		if _, werr := rw.buf.Write(p); werr != nil {
			return 0, werr
		}
		if rw.buf.Len() >= rw.s.opts.SendBytes {
			if !rw.commit() {
				return 0, http.ErrHandlerTimeout
			}
			rw.startDrainer()
		}
		return len(p), err
	}
	rw.mu.Lock()
	if rw.werr != nil {
		rw.mu.Unlock()
		return 0, rw.werr
	}
	for rw.buf.Len() > rw.s.opts.OutbufHighWatermark && rw.werr == nil {
		rw.cond.Wait()
	}
	if rw.werr != nil {
		rw.mu.Unlock()
		return 0, rw.werr
	}
	if _, werr := rw.buf.Write(p); werr != nil {
		rw.mu.Unlock()
		return 0, werr
	}
	rw.cond.Broadcast()
	rw.mu.Unlock()
	return len(p), err
}

// directOK reports whether p goes to the socket from the app's goroutine:
// at least send_bytes with nothing buffered before it, as waitress's worker
// sends itself once send_bytes bytes are pending (§7.3), and no more than
// outbuf_overflow (what the socket does not take now is held in memory).
// The drainer, once started, sends everything that follows.
func (rw *responseWriter) directOK(p []byte) bool {
	c := rw.c
	return c != nil && c.rc != nil && !rw.drainer && rw.werr == nil &&
		int64(len(p)) >= rw.s.opts.SendBytes && int64(len(p)) <= rw.s.opts.OutbufOverflow &&
		rw.buf.Len() == 0 && !c.hijacked.Load()
}

// writeDirect sends p through net/http's writer without waiting for the
// client: the connection's socket writes are made in try mode, and what
// the socket does not take now is stashed by the connection and sent by
// the drainer, started for it. The app's slot is never held by a slow
// client.
func (rw *responseWriter) writeDirect(p []byte) error {
	if !rw.commit() {
		return http.ErrHandlerTimeout
	}
	c := rw.c
	if cw := c.cw.Load(); cw != nil && cw.held.Load() {
		cw.unhold() // before try mode: the hold timer no longer sends them
	}
	c.try = true
	c.coalesce = true
	if int64(len(p)) > rw.s.opts.SendBytes {
		c.setCork(true)
	}
	_, err := rw.w.Write(p)
	// The last piece, shorter than send_bytes, stays pending (coalesce
	// stays on) for the next write; finish or the drainer sends it.
	c.try = false
	c.setCork(false)
	if err != nil {
		c.dropStash()
		rw.gone(err)
		return rw.werr
	}
	if c.stashed() {
		rw.startDrainer() // it sends the stash first
	}
	return nil
}

// WriteString is Write for a string without copying it to a new byte slice
// first (net/http's ResponseWriter has it too): Write only reads p, copying
// it into the output buffer.
func (rw *responseWriter) WriteString(s string) (int, error) {
	return rw.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Flush sends the buffered output now (asynchronously: the app does not
// wait for a slow client).
func (rw *responseWriter) Flush() {
	if rw.hijacked {
		return
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.failed {
		return
	}
	rw.flushed = true
	if !rw.drainer {
		if !rw.commit() {
			return
		}
		rw.startDrainer()
	}
	rw.mu.Lock()
	rw.flushReq = true
	rw.cond.Broadcast()
	rw.mu.Unlock()
}

// SetWriteDeadline (http.ResponseController) sets the connection's write
// deadline: the buffered response must have left by then, or its
// connection is closed.
func (rw *responseWriter) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(rw.w).SetWriteDeadline(t)
}

// SetReadDeadline (http.ResponseController) sets the connection's read
// deadline. The request body is already read when the app runs, so it
// only matters to a handler that goes on to hijack the connection.
func (rw *responseWriter) SetReadDeadline(t time.Time) error {
	return http.NewResponseController(rw.w).SetReadDeadline(t)
}

// EnableFullDuplex (http.ResponseController) is always granted: the whole
// body has been received before the app runs, so it may read the body
// and write the response in any order.
func (rw *responseWriter) EnableFullDuplex() error { return nil }

// CloseNotify is net/http's (http.CloseNotifier: deprecated, and still
// asserted by older code, which would panic without it): the channel
// receives once the client has gone away, as r.Context() is canceled.
func (rw *responseWriter) CloseNotify() <-chan bool {
	//lint:ignore SA1019 the writer mirrors net/http's, which implements it
	if cn, ok := rw.w.(http.CloseNotifier); ok {
		return cn.CloseNotify()
	}
	return make(chan bool) // not in a net/http server: never
}

// Hijack lets the app take over the connection. As under net/http, what
// the app has written goes out first: a status (websocket libraries write
// 101 Switching Protocols with WriteHeader and then hijack), buffered
// output, and output a drainer streams after a Flush (a tunnel answers
// CONNECT with 200, flushes and then hijacks). Not after a panic's or an
// invalid header's 500. The app's writes afterwards fail with
// http.ErrHijacked, as net/http's.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := rw.w.(http.Hijacker)
	if !ok || rw.failed {
		return nil, nil, http.ErrNotSupported
	}
	if rw.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if rw.drainer {
		if err := rw.stopDrainer(); err != nil {
			return nil, nil, err
		}
	} else if rw.wroteHeader {
		if !rw.commit() {
			return nil, nil, errInvalidHeader
		}
		rw.sendBuffered()
	}
	nc, brw, err := hj.Hijack()
	if err == nil {
		rw.hijacked = true
		if rw.c != nil {
			rw.c.hijacked.Store(true)
			rw.c.sendHeld() // an earlier pipelined response still held
			rw.s.forget(rw.c)
		}
		rw.committed = true
		rw.done = true
	}
	return nc, brw, err
}

// stopDrainer lets the drainer send everything written so far (net/http's
// flushed writer included) and waits for it to exit; the error is the
// drainer's when the client has gone. Output written after it is buffered
// again (and a drainer started again when needed).
func (rw *responseWriter) stopDrainer() error {
	rw.mu.Lock()
	rw.finished = true
	rw.cond.Broadcast()
	rw.mu.Unlock()
	<-rw.exited
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.drainer, rw.finished = false, false
	return rw.werr
}

// validHeaders checks what net/http would silently mangle (§7.1).
func validHeaders(h http.Header) string {
	for k, vs := range h {
		if !isToken(k) && !(strings.HasPrefix(k, http.TrailerPrefix) && isToken(k[len(http.TrailerPrefix):])) {
			return k // a "Trailer:" key is a trailer net/http sends after the body
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c <= '\r' && (c == '\r' || c == '\n' || c == 0) {
					return k
				}
			}
		}
		if len(k) == len("Content-Length") && strings.EqualFold(k, "Content-Length") {
			for _, v := range vs {
				v = strings.TrimSpace(v)
				if v == "" {
					return k
				}
				for i := 0; i < len(v); i++ {
					if v[i] < '0' || v[i] > '9' {
						return k
					}
				}
			}
		}
	}
	return ""
}

// keepLength undoes a change of Content-Length after the app's
// WriteHeader. net/http sends the header map as it was at WriteHeader,
// but the channel calls net/http's WriteHeader later, and the body is
// counted against the length read then (declared): a length set in
// between would frame the response wrongly (a body cut to it or, with no
// length then, none at all on a kept connection).
func (rw *responseWriter) keepLength() {
	h := rw.w.Header()
	cur, ok := h["Content-Length"]
	if ok == rw.clHad && slices.Equal(cur, rw.clHdr) {
		return
	}
	if rw.clHad {
		h["Content-Length"] = rw.clHdr
	} else {
		delete(h, "Content-Length")
	}
}

// hasTrailers reports whether h declares trailers (a Trailer field) or
// holds one under http.TrailerPrefix.
func hasTrailers(h http.Header) bool {
	if hasKey(h, "Trailer") {
		return true
	}
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

// trailerSnap holds the values the declared trailers (the Trailer field's
// names) had when the app wrote its status. net/http sends the header map
// as it is then, and the trailers from the map as it is at the end; the
// channel calls net/http's WriteHeader later (the status may yet become a
// 500), so that a trailer the app set meanwhile would go out in the header
// block too. writeHeader shows net/http the trailers' earlier values.
type trailerSnap struct {
	keys []string
	vals [][]string // nil: the key was absent
}

func snapTrailers(h http.Header, declared []string) *trailerSnap {
	ts := &trailerSnap{}
	for _, v := range declared {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			k = http.CanonicalHeaderKey(k)
			var vs []string
			if cur, ok := h[k]; ok {
				vs = append([]string{}, cur...)
			}
			ts.keys = append(ts.keys, k)
			ts.vals = append(ts.vals, vs)
		}
	}
	return ts
}

// writeHeader calls w.WriteHeader with the declared trailers as they were
// at the app's WriteHeader, then puts back their current values for
// net/http to send after the body.
func (ts *trailerSnap) writeHeader(w http.ResponseWriter, code int) {
	h := w.Header()
	cur := make([][]string, len(ts.keys))
	had := make([]bool, len(ts.keys))
	for i, k := range ts.keys {
		cur[i], had[i] = h[k]
		if ts.vals[i] == nil {
			delete(h, k)
		} else {
			h[k] = ts.vals[i]
		}
	}
	w.WriteHeader(code)
	for i, k := range ts.keys {
		if had[i] {
			h[k] = cur[i]
		} else {
			delete(h, k)
		}
	}
}

func hasKey(h http.Header, k string) bool {
	_, ok := h[k]
	return ok
}

// invalidHeader is validHeaders for the response's headers, skipped when
// the app never called Header() (the channel sets only valid ones).
func (rw *responseWriter) invalidHeader() string {
	if !rw.hdr || rw.hdrChecked {
		return ""
	}
	return validHeaders(rw.w.Header())
}

// commit calls net/http's WriteHeader with the final header block; invalid
// app headers turn the response into a 500. It reports whether the app's
// response goes on.
func (rw *responseWriter) commit() bool {
	if rw.committed {
		return !rw.failed
	}
	rw.committed = true
	if rw.hdr && !rw.hdrChecked {
		rw.keepLength()
	}
	if bad := rw.invalidHeader(); bad != "" {
		rw.s.log.Error("Exception while serving "+rw.path, zap.String("error", "invalid response header"), zap.String("header", bad))
		rw.failWith500()
		return false
	}
	// The Server and Date fields are added after the status line by the
	// connection layer (writeWithHead): one field less for net/http to
	// copy, sort and write, and a date formatted once a second instead of
	// for every response. An app that sets either field keeps its own.
	c := rw.c
	var h http.Header
	ownDate := false
	if c != nil && rw.hdr {
		// A Date key without values: net/http then neither formats a
		// date nor writes the field (it writes each of a key's values).
		// Only where the app asked for the map: net/http copies the map
		// in WriteHeader once Header was called, and for an app that
		// never called it that copy would cost more than the date.
		h = rw.w.Header()
		if !hasKey(h, "Date") {
			h["Date"] = nil
			c.addHead |= addDate
			ownDate = true
		}
	}
	if rw.s.server != nil {
		if c != nil {
			if !rw.hdr || !hasKey(h, "Server") {
				c.addHead |= addServer
			}
		} else if h := rw.w.Header(); !hasKey(h, "Server") {
			h["Server"] = rw.s.server
		}
	}
	if rw.trailers != nil {
		rw.trailers.writeHeader(rw.w, rw.status)
	} else {
		rw.w.WriteHeader(rw.status)
	}
	if ownDate {
		// WriteHeader took a copy of the map for the response: the app
		// sees its map without the key.
		delete(h, "Date")
	}
	return true
}

func (rw *responseWriter) failWith500() {
	rw.failed = true
	rw.mu.Lock()
	rw.buf.Reset()
	rw.mu.Unlock()
	rw.s.writeError(rw.w, &httpError{500, "", rw.r.Proto}, "")
	rw.done = true
}

// discardForError drops buffered output for a 500 after a panic; false when
// bytes may already have left the server.
func (rw *responseWriter) discardForError() bool {
	if rw.committed || rw.drainer {
		return false
	}
	rw.mu.Lock()
	rw.buf.Reset()
	rw.mu.Unlock()
	rw.failed = true
	return true
}

func (rw *responseWriter) startDrainer() {
	rw.mu.Lock()
	rw.drainer = true
	rw.exited = make(chan struct{})
	rw.mu.Unlock()
	go rw.drain()
}

// drain copies buffered output to net/http's writer and flushes it, in
// pieces; it exits when the app has finished and everything is sent, or on
// a write error.
func (rw *responseWriter) drain() {
	defer close(rw.exited)
	var chunk []byte
	defer func() {
		if chunk != nil {
			putBuf(chunk)
		}
	}()
	if c := rw.c; c != nil {
		defer func() {
			c.coalesce = false
			c.dropStash() // after an error: the response is cut off anyway
			c.dropPending()
			c.setCork(false)
		}()
		// What the app's goroutine could not send without waiting.
		if err := c.flushStash(); err != nil {
			rw.gone(err)
			return
		}
	}
	headerOut := false
	for {
		rw.mu.Lock()
		for rw.buf.Len() == 0 && !rw.finished && !rw.flushReq && rw.werr == nil {
			rw.cond.Wait()
		}
		if rw.werr != nil {
			rw.mu.Unlock()
			return
		}
		data, block, ok := rw.buf.take()
		n := len(data)
		if !ok {
			if chunk == nil {
				chunk = getBufSize(64 << 10)
			}
			n, _ = rw.buf.Read(chunk)
			data = chunk[:n]
		}
		left := rw.buf.Len()
		empty := left == 0
		if empty {
			rw.buf.Reset()
		}
		flush := rw.flushReq || empty
		rw.flushReq = false
		fin := rw.finished && empty
		rw.cond.Broadcast()
		rw.mu.Unlock()
		if n > 0 {
			if c := rw.c; c != nil {
				c.coalesce = true
				if int64(n)+left > rw.s.opts.SendBytes {
					// Several full socket writes follow: let the kernel
					// join them into full segments until the next flush.
					c.setCork(true)
				}
			}
			_, err := rw.w.Write(data)
			if block != nil {
				putBuf(block)
			}
			if err != nil {
				rw.gone(err)
				return
			}
		} else if block != nil {
			putBuf(block)
		}
		if flush && (n > 0 || !headerOut) {
			headerOut = true
			if rw.c != nil {
				rw.c.coalesce = false // net/http's flush sends the pending bytes with its own
			}
			if err := http.NewResponseController(rw.w).Flush(); err != nil {
				rw.gone(err)
				return
			}
			if rw.c != nil {
				err := rw.c.setCoalesce(false) // when nothing was buffered in net/http
				rw.c.setCork(false)
				if err != nil {
					rw.gone(err)
					return
				}
			}
		}
		if fin {
			return
		}
	}
}

func (rw *responseWriter) gone(err error) {
	rw.mu.Lock()
	if rw.werr == nil {
		rw.werr = errClientGone
		rw.s.log.Info("Client disconnected while serving "+rw.path, zap.Error(err))
	}
	rw.buf.Reset()
	rw.cond.Broadcast()
	rw.mu.Unlock()
}

// finish completes the response after the app returned and its slot was
// released.
func (rw *responseWriter) finish() {
	if rw.done {
		return
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.failed {
		return
	}
	if rw.drainer {
		rw.stopDrainer()
		return
	}
	if rw.hdr {
		rw.keepLength()
	}
	if bad := rw.invalidHeader(); bad != "" {
		rw.commit() // answers 500
		return
	}
	rw.hdrChecked = true // only valid values are added below (and the length is kept)
	if rw.declared >= 0 && rw.written < rw.declared && !rw.head && rw.bodyOK {
		rw.s.log.Warn(fmt.Sprintf("application returned too few bytes (%d) for specified Content-Length (%d) via app_iter", rw.written, rw.declared))
		rw.w.Header().Set("Connection", "close")
	}
	if rw.declared < 0 && rw.bodyOK && !rw.flushed && (rw.written > 2000 || rw.head && rw.written > 0) {
		// Not with trailers: a length would keep net/http from chunking,
		// and the trailers would be lost (as net/http decides for itself).
		// A HEAD response gets the length of the body its handler wrote
		// (and did not send); none when it wrote none, as under net/http:
		// handlers such as http.Redirect write no body for HEAD, and a
		// length of 0 would misstate their GET's.
		if h := rw.w.Header(); !hasKey(h, "Content-Length") && !hasTrailers(h) {
			h.Set("Content-Length", strconv.FormatInt(rw.written, 10))
		}
	}
	if !rw.commit() {
		return
	}
	rw.sendBuffered()
}

// sendBuffered writes the buffered output to net/http's writer (after
// commit, without a drainer: rw is this goroutine's alone, no lock).
func (rw *responseWriter) sendBuffered() {
	for {
		data, block, ok := rw.buf.take()
		if !ok {
			break
		}
		if len(data) > 0 {
			rw.w.Write(data)
		}
		putBuf(block)
	}
	if rw.buf.Len() > 0 {
		chunk := getBufSize(64 << 10)
		for {
			n, _ := rw.buf.Read(chunk)
			if n == 0 {
				break
			}
			if _, err := rw.w.Write(chunk[:n]); err != nil {
				break
			}
		}
		putBuf(chunk)
	}
	rw.buf.Reset()
	if c := rw.c; c != nil && c.coalesce {
		// After a direct write: its last piece is still pending, and
		// net/http may have nothing left to write after it.
		if err := c.setCoalesce(false); err != nil {
			rw.gone(err)
		}
	}
}

// abort waits for the drainer to push what it already has, then lets the
// caller cut the response off.
func (rw *responseWriter) abort() {
	if rw.drainer {
		rw.stopDrainer()
	}
	rw.mu.Lock()
	rw.buf.Reset()
	rw.mu.Unlock()
}
