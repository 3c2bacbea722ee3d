package builtins

import (
	"bufio"
	"compress/gzip"
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gowaitress/gowaitress/config"
)

var gzipKeys = []string{"compress_level", "min_size"}

// defaultGzipMinSize is the body size below which Paste#gzip does not
// compress: the gzip header and trailer alone are 18 bytes, and a small body
// rarely fits in fewer packets once compressed.
const defaultGzipMinSize = 256

// GzipFactory is the filter-app factory registered as "Paste#gzip"
// (egg:Paste#gzip, Paste's gzipper middleware): it compresses responses
// with gzip for clients that accept it.
//
// Settings:
//
//   - compress_level (integer 1-9, default 6): the gzip compression level.
//   - min_size (byte size, default 256; not in Paste): bodies smaller than this
//     are sent as they are. The size is known from Content-Length or, without
//     one, by holding back up to min_size bytes before deciding; a Flush
//     decides at once (and compresses a compressible streaming response).
//
// A response is compressed only when all of these hold: the client accepts
// gzip (Accept-Encoding lists gzip or x-gzip, or *, with a q-value above 0;
// q=0 refuses, and an explicit gzip;q=0 beats *); the method is not HEAD; the
// status is a final one other than 204, 206 and 304; the response has
// no Content-Encoding and no Content-Range of its own and its Cache-Control
// does not say no-transform; its Content-Type (sniffed as net/http would
// when the application sets none) is compressible: text/*, JSON, JavaScript,
// XML and any +json or +xml type (SVG, Atom, RSS, XHTML), WebAssembly,
// fonts (ttf, otf, eot) and icons. A compressed response loses
// Content-Length and Accept-Ranges, gets Content-Encoding: gzip, and a strong
// ETag becomes weak (the bytes differ from the uncompressed ones). Every
// response of a compressible type gets Vary: Accept-Encoding, compressed or
// not, so caches keep the two forms apart. Writes stream through the
// compressor; Flush flushes it and the connection.
//
// Unlike Paste, the response streams (Paste buffers the whole body),
// already-encoded and partial responses are left alone, and types such as
// images and archives are not compressed again.
func GzipFactory(next http.Handler, global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("Paste#gzip", local, gzipKeys); err != nil {
		return nil, err
	}
	g := config.NewGetter(local)
	level := g.IntRange("compress_level", 6, 1, 9)
	minSize := g.ByteSizeRange("min_size", defaultGzipMinSize, 0, 1<<30)
	if err := g.Err(); err != nil {
		return nil, err
	}
	return &gzipFilter{next: next, level: level, minSize: int(minSize)}, nil
}

type gzipFilter struct {
	next    http.Handler
	level   int
	minSize int
}

// gzipPools holds reusable writers, one pool per compression level.
var gzipPools [gzip.BestCompression + 1]sync.Pool

func getGzipWriter(level int, w *gzipResponseWriter) *gzip.Writer {
	if z, ok := gzipPools[level].Get().(*gzip.Writer); ok {
		z.Reset(gzipSink{w})
		return z
	}
	z, _ := gzip.NewWriterLevel(gzipSink{w}, level) // level is validated
	return z
}

func putGzipWriter(level int, z *gzip.Writer) {
	z.Reset(nil)
	gzipPools[level].Put(z)
}

func (f *gzipFilter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gw := &gzipResponseWriter{w: w, f: f, accepts: acceptsGzip(r.Header.Values("Accept-Encoding")),
		head: r.Method == http.MethodHead}
	defer gw.finish()
	f.next.ServeHTTP(gw, r)
}

// acceptsGzip reports whether Accept-Encoding values accept gzip with a
// q-value above 0 (RFC 9110 §12.5.3). An entry with a malformed q-value is
// ignored.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	n := 0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			if n++; n > 64 { // no legitimate client sends more
				break
			}
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" && coding != "*" {
				continue
			}
			q, ok := parseQ(params)
			if !ok {
				continue
			}
			if coding == "*" {
				starQ = max(starQ, q)
			} else {
				gzipQ = max(gzipQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// parseQ reads the q parameter from ";"-separated parameters: 1 when absent;
// ok is false for a malformed value (RFC 9110 qvalue: 0, 1, 0.ddd, 1.000).
func parseQ(params string) (float64, bool) {
	q := 1.0
	for _, p := range strings.Split(params, ";") {
		name, val, found := strings.Cut(p, "=")
		if strings.TrimSpace(name) == "" && !found {
			continue
		}
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) == 0 || len(val) > 5 || (val[0] != '0' && val[0] != '1') {
			return 0, false
		}
		if len(val) > 1 && val[1] != '.' {
			return 0, false
		}
		for i := 2; i < len(val); i++ {
			if val[i] < '0' || val[i] > '9' {
				return 0, false
			}
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(val, "."), 64)
		if err != nil || f > 1 {
			return 0, false
		}
		q = f
	}
	return q, true
}

// compressibleType reports whether a Content-Type is worth compressing.
func compressibleType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/x-javascript", "application/ecmascript",
		"application/xml", "application/xhtml+xml", "application/wasm", "application/manifest+json",
		"application/x-ndjson", "application/graphql", "application/vnd.ms-fontobject",
		"font/ttf", "font/otf", "application/x-font-ttf", "application/x-font-otf",
		"image/x-icon", "image/vnd.microsoft.icon", "image/bmp":
		return true
	}
	return false
}

// hasToken reports whether a comma-separated header (all its values)
// contains token, case-insensitively.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// addVary adds Accept-Encoding to Vary unless it (or *) is there.
func addVary(h http.Header) {
	if !hasToken(h, "Vary", "Accept-Encoding") && !hasToken(h, "Vary", "*") {
		h.Add("Vary", "Accept-Encoding")
	}
}

const (
	gzStart       = iota // nothing decided
	gzBuffering          // status known, holding back the first bytes
	gzPassthrough        // sending as is
	gzCompressing        // sending through the gzip writer
)

type gzipResponseWriter struct {
	w       http.ResponseWriter
	f       *gzipFilter
	accepts bool
	head    bool
	state   int
	status  int
	buf     []byte
	z       *gzip.Writer
	err     error // the first write error of the underlying writer
}

// gzipSink is where the gzip writer writes: the underlying response.
type gzipSink struct{ gw *gzipResponseWriter }

func (s gzipSink) Write(p []byte) (int, error) {
	n, err := s.gw.w.Write(p)
	if err != nil && s.gw.err == nil {
		s.gw.err = err
	}
	return n, err
}

func (gw *gzipResponseWriter) Header() http.Header { return gw.w.Header() }

func (gw *gzipResponseWriter) WriteHeader(code int) {
	if gw.state != gzStart {
		return // superfluous, as net/http would ignore it
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		gw.w.WriteHeader(code) // informational: pass on
		return
	}
	gw.status = code
	h := gw.w.Header()
	ct, haveType := h["Content-Type"]
	typeOK := !haveType || (len(ct) > 0 && compressibleType(ct[0]))
	if !gw.eligible(code) || !typeOK {
		if gw.varies(code) && haveType && typeOK {
			addVary(h)
		}
		gw.passthrough()
		return
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n < int64(gw.f.minSize) {
			if haveType {
				addVary(h)
			}
			gw.passthrough()
			return
		}
	}
	gw.state = gzBuffering
}

// varies reports whether a response with this status and the current
// headers would be compressed for some client: it then needs Vary.
func (gw *gzipResponseWriter) varies(code int) bool {
	h := gw.w.Header()
	switch {
	case code < 200, code == http.StatusNoContent, code == http.StatusPartialContent:
		return false
	case h.Get("Content-Range") != "", hasToken(h, "Cache-Control", "no-transform"):
		return false
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	return true
}

// eligible reports whether the response may be compressed for this request.
func (gw *gzipResponseWriter) eligible(code int) bool {
	return gw.accepts && !gw.head && code != http.StatusNotModified && gw.varies(code)
}

// passthrough sends the status and any held-back bytes as they are.
func (gw *gzipResponseWriter) passthrough() {
	gw.state = gzPassthrough
	gw.w.WriteHeader(gw.status)
	if len(gw.buf) > 0 {
		gw.write(gw.buf)
		gw.buf = nil
	}
}

func (gw *gzipResponseWriter) write(p []byte) (int, error) {
	n, err := gw.w.Write(p)
	if err != nil && gw.err == nil {
		gw.err = err
	}
	return n, err
}

// decide ends buffering: compress when the body is large enough (or final
// is false: a Flush) and its type is compressible.
func (gw *gzipResponseWriter) decide(flush bool) {
	h := gw.w.Header()
	if _, ok := h["Content-Type"]; !ok && len(gw.buf) > 0 {
		h.Set("Content-Type", http.DetectContentType(gw.buf))
	}
	ct := h.Get("Content-Type")
	if !compressibleType(ct) {
		gw.passthrough()
		return
	}
	addVary(h)
	if len(gw.buf) < gw.f.minSize && !flush {
		gw.passthrough()
		return
	}
	h.Del("Content-Length")
	h.Del("Accept-Ranges")
	h.Set("Content-Encoding", "gzip")
	if et := h.Get("Etag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("Etag", "W/"+et)
	}
	gw.state = gzCompressing
	gw.w.WriteHeader(gw.status)
	gw.z = getGzipWriter(gw.f.level, gw)
	if len(gw.buf) > 0 {
		_, _ = gw.z.Write(gw.buf)
		gw.buf = nil
	}
}

func (gw *gzipResponseWriter) Write(p []byte) (int, error) {
	if gw.state == gzStart {
		gw.WriteHeader(http.StatusOK)
	}
	if gw.err != nil {
		return 0, gw.err
	}
	switch gw.state {
	case gzPassthrough:
		return gw.write(p)
	case gzCompressing:
		if _, err := gw.z.Write(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	gw.buf = append(gw.buf, p...)
	if len(gw.buf) >= gw.f.minSize {
		gw.decide(false)
	}
	return len(p), gw.err
}

// Flush sends what is held back or buffered in the compressor, then
// flushes the connection.
func (gw *gzipResponseWriter) Flush() { _ = gw.FlushError() }

// FlushError is Flush reporting the error of the underlying writer.
func (gw *gzipResponseWriter) FlushError() error {
	switch gw.state {
	case gzStart:
		gw.WriteHeader(http.StatusOK)
		if gw.state == gzBuffering {
			gw.decide(true)
		}
	case gzBuffering:
		gw.decide(true)
	}
	if gw.state == gzCompressing {
		if err := gw.z.Flush(); err != nil {
			return err
		}
	}
	if gw.err != nil {
		return gw.err
	}
	return http.NewResponseController(gw.w).Flush()
}

// finish completes the response after the handler returned.
func (gw *gzipResponseWriter) finish() {
	switch gw.state {
	case gzBuffering:
		if len(gw.buf) == 0 {
			// An empty body: nothing to compress.
			if _, ok := gw.w.Header()["Content-Type"]; ok && compressibleType(gw.w.Header().Get("Content-Type")) {
				addVary(gw.w.Header())
			}
			gw.passthrough()
			return
		}
		gw.decide(false)
	}
	if gw.state == gzCompressing && gw.z != nil {
		_ = gw.z.Close()
		putGzipWriter(gw.f.level, gw.z)
		gw.z = nil
	}
}

// Hijack hands over the connection (for protocol upgrades). A status
// written before it (a 101 from WriteHeader, as websocket libraries send
// it) and bytes held back while deciding go out uncompressed first, as
// net/http would send them; not once compressed output has started.
func (gw *gzipResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	switch gw.state {
	case gzCompressing:
		return nil, nil, errors.New("gzip: Hijack after compressed output started")
	case gzBuffering:
		gw.passthrough()
	}
	c, rw, err := http.NewResponseController(gw.w).Hijack()
	if err == nil {
		gw.state = gzPassthrough // nothing more to do on finish
	}
	return c, rw, err
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (gw *gzipResponseWriter) Unwrap() http.ResponseWriter { return gw.w }
