package server

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"go.uber.org/zap"
)

// errBodyFraming is returned to net/http's body reader when the connection
// layer found a framing error in a chunked body; the channel layer then
// answers with the error recorded in the request's reqMeta.
var errBodyFraming = errors.New("gowaitress: invalid request body framing")

// metaHeader carries the reqMeta id from the connection layer to the
// channel layer. Its name contains "_", so a client can never send it:
// every such header is dropped by the connection layer.
const metaHeader = "Gowaitress_meta"

type pstate uint8

const (
	stHead pstate = iota
	stBody
	stChunkSize
	stChunkData
	stChunkCRLF
	stTrailer
	stDead
)

// conn is the connection layer (§4): a net.Conn whose every socket read
// asks for recv_bytes and every socket write is at most send_bytes, which
// stamps activity for the sweeper, validates each request head and body
// framing with waitress's rules before net/http parses it, and lingers on
// close so clients do not lose a final response to an RST.
//
// A parked keep-alive connection (park.go) holds this struct and nothing
// else of ours: no buffer (reads wait for readiness before taking a pooled
// buffer) and no parser state (a pooled parser is taken when bytes arrive;
// a connection between requests keeps it, without buffers, until it
// parks).
// Its fields are kept small: deadlines as Unix nanoseconds, flags as bytes.
// Its size and size class are checked by TestConnSize.
type conn struct {
	raw net.Conn
	rc  syscall.RawConn
	srv *Server
	ctx connCtx

	lastActivity atomic.Int64 // nanotime of the last socket activity
	// Socket bytes read and written: per-connection counters (uncontended),
	// moved into the server's totals by forget.
	bytesIn    atomic.Int64
	bytesOut   atomic.Int64
	inProgress atomic.Int32 // requests queued for or holding a slot
	hijacked   atomic.Bool
	reached    atomic.Bool // a request reached the channel layer: net/http finishes it, also in a Shutdown
	closed     atomic.Bool // Close or abort ran
	sawEOF     atomic.Bool
	park       atomic.Int32  // parkNone, parkRequested, parkClosing or parkWaiting (park.go)
	rd         atomic.Uint32 // rdSocket | rdAborted | wdSet: see SetReadDeadline
	served     atomic.Uint32 // handlers completed, moved into the server's total by forget

	// Parser state: used only by the goroutine net/http reads from.
	st   pstate
	crlf uint8
	// Output coalescing: used only by the goroutine writing the response
	// (the drainer while it runs, else net/http's connection goroutine).
	coalesce    bool
	try         bool  // socket writes do not wait; see sockWrite
	corked      bool  // TCP_CORK is on (Linux)
	appliedZero bool  // the socket's read deadline is known to be cleared (dmu)
	addHead     uint8 // the next Write begins a response: add these fields (addServer, addDate; response writer's goroutine)

	// The pooled parser state (nil until bytes arrive, and once parked).
	// Its fields are promoted: c.out is c.parser.out.
	*parser
	seq    uint32       // the last reqMeta id
	queued atomic.Int32 // request heads parsed whose handler has not started (pipelining)
	readFn func(uintptr) bool

	cw atomic.Pointer[coalescer] // while pending or held bytes wait (pooled)

	dmu      sync.Mutex // guards deadlines
	httpDL   int64      // net/http's read deadline, Unix ns (0: none)
	headerDL int64      // request_header_timeout deadline, Unix ns (0: none)

	// Last: a request whose head needs no meta (most) never touches
	// them. The fields above, used by every request, span 184 bytes: a
	// conn that starts on a cache line (every other one in the 224-byte
	// size class) has them in three lines, not four (hello with 256
	// connections: 1.03x in two alternating runs).
	mu      sync.Mutex // guards metas
	metas   []*reqMeta
	metaBuf [1]*reqMeta // the first pending meta (a second, pipelined, allocates)
}

// parser is the connection layer's parser state between socket reads, used
// only by the goroutine net/http reads from.
type parser struct {
	// head is the incomplete header block (stHead), or the chunk-size or
	// trailer line being collected (stChunkSize, stTrailer).
	head      []byte
	headCount int    // bytes counted toward max_request_header_size
	out       []byte // sanitized bytes waiting for net/http
	outOff    int
	remain    int64 // body bytes left (stBody, stChunkData)
	bodyCount int64 // chunked bytes consumed
	cur       *reqMeta
	rerr      error // sticky read error delivered after out

	rdDirect []byte // in: the caller's buffer or nil; out: the buffer read into
	rdN      int32  // bytes read (at most recv_bytes, which is ≤ 64 MiB)
	rdErr    uint32 // syscall.Errno of the read, 0 for none

	// tail is body bytes that came in the same socket read as their
	// request head, left in that read's pooled buffer (tailBuf) and read
	// after out instead of being copied into it. own is, while feed runs,
	// the pooled buffer its data lies in (nil: feed must copy).
	tail    []byte
	tailBuf []byte
	own     []byte

	// streak counts the back-to-back full socket reads of a streaming body
	// since the last activity stamp: see sockRead.
	streak uint8
	// got: rawRead read bytes (or EOF, or an error) into rdDirect.
	got bool
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

// ensure gives c a parser (from the pool) if it has none.
func (c *conn) ensure() *parser {
	if c.parser == nil {
		c.parser = parserPool.Get().(*parser)
	}
	return c.parser
}

// releaseIdle gives the parser back when nothing is pending: the
// connection waits for the next request head. It runs when a connection
// parks; until then a connection between requests keeps its parser (a
// struct of 216 bytes, no buffer), so that a keep-alive request costs no
// pool round trip and no zeroing of it.
func (c *conn) releaseIdle() {
	ps := c.parser
	if ps == nil || c.st != stHead || len(ps.head) != 0 || ps.headCount != 0 || ps.outOff < len(ps.out) ||
		len(ps.tail) != 0 || ps.rerr != nil || ps.remain != 0 || ps.cur != nil || ps.rdDirect != nil {
		return
	}
	if ps.out != nil {
		putBuf(ps.out)
	}
	*ps = parser{}
	c.parser = nil
	parserPool.Put(ps)
}

// unixNano is t as a deadline in Unix nanoseconds: 0 for the zero time,
// clamped to int64 (a time before 1970 is already past: 1).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	switch u := t.Unix(); {
	case u <= 0:
		return 1
	case u >= maxDeadlineSec:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// maxDeadlineSec is 2200-01-01 in Unix seconds: deadlines from then on
// are "never" (UnixNano would overflow from 2262).
const maxDeadlineSec = 7258118400

func newConn(raw net.Conn, s *Server) *conn {
	c := &conn{raw: raw, srv: s}
	if sc, ok := raw.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
		}
	}
	c.readFn = c.rawRead
	c.metas = c.metaBuf[:0]
	c.touch()
	return c
}

// isUnix reports whether c is a Unix socket connection.
func (c *conn) isUnix() bool {
	_, ok := c.raw.(*net.UnixConn)
	return ok
}

func (c *conn) touch() { c.lastActivity.Store(nanotime()) }

// LocalAddr, RemoteAddr and the deadlines pass through; the read deadline
// is combined with the request header deadline.
func (c *conn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }
func (c *conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetWriteDeadline skips clearing a write deadline the socket does not
// have: net/http clears it after every response. Every write deadline
// reaches the socket through here (a hijacker gets c).
func (c *conn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() && c.rd.Load()&wdSet == 0 {
		return nil
	}
	c.dmu.Lock()
	err := c.raw.SetWriteDeadline(t)
	if t.IsZero() {
		c.rd.And(^uint32(wdSet))
	} else {
		c.rd.Or(wdSet)
	}
	c.dmu.Unlock()
	return err
}

// conn.rd bits.
const (
	rdSocket  = 1 << iota // a Read is reading from the socket, or about to
	rdAborted             // a deadline long past is set, maybe not on the socket
	wdSet                 // the socket has a write deadline (changed under dmu)
)

// longPast: deadlines before 2001 are net/http's aLongTimeAgo (the Unix
// epoch + 1 s), with which it aborts its background read.
const longPast = 1e18

// SetReadDeadline combines t with the request header deadline. A deadline
// long past is how net/http ends the one-byte background read it keeps
// going while every handler runs, and then clears it again: two changes of
// the socket's deadline per request. Most of the time that read has not
// reached the socket yet (a fast handler is done first), so such a
// deadline is only noted (rdAborted), and the Read returns the timeout
// without the socket; only a Read on the socket (rdSocket) needs the
// socket's deadline. Both bits live in one word, so that either the
// Read sees rdAborted or this sees rdSocket. A hijacked connection's
// deadlines always go to the socket, which its handler reads directly.
func (c *conn) SetReadDeadline(t time.Time) error {
	d := unixNano(t)
	var err error
	c.dmu.Lock()
	c.httpDL = d
	if d > 0 && d < longPast && !c.hijacked.Load() {
		if c.rd.Or(rdAborted)&rdSocket != 0 {
			err = c.applyDeadlineLocked()
		}
	} else {
		c.rd.And(^uint32(rdAborted))
		err = c.applyDeadlineLocked() // does not panic: no defer (4 calls per request)
	}
	c.dmu.Unlock()
	return err
}

// errReadAborted is a Read's error after a deadline long past that did
// not go to the socket: a timeout, as the socket would have returned
// (errReadAbortedUnix on a Unix socket).
var (
	errReadAborted     error = &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	errReadAbortedUnix error = &net.OpError{Op: "read", Net: "unix", Err: os.ErrDeadlineExceeded}
)

func (c *conn) applyDeadlineLocked() error {
	d := c.httpDL
	if c.headerDL != 0 && (d == 0 || c.headerDL < d) {
		d = c.headerDL
	}
	if d == 0 {
		if c.appliedZero {
			return nil // net/http clears the deadline twice per request
		}
		c.appliedZero = true
		return c.raw.SetReadDeadline(time.Time{})
	}
	c.appliedZero = false
	return c.raw.SetReadDeadline(time.Unix(0, d))
}

func (c *conn) setHeaderDeadline(t time.Time) {
	c.dmu.Lock()
	c.headerDL = unixNano(t)
	c.applyDeadlineLocked()
	c.dmu.Unlock()
}

// Read gives net/http the sanitized byte stream.
func (c *conn) Read(p []byte) (int, error) {
	for {
		if c.parser != nil && c.outOff < len(c.out) {
			n := copy(p, c.out[c.outOff:])
			c.outOff += n
			if c.outOff == len(c.out) {
				putBuf(c.out)
				c.out, c.outOff = nil, 0
			}
			return n, nil
		}
		if c.parser != nil && len(c.tail) > 0 {
			n := copy(p, c.tail)
			c.tail = c.tail[n:]
			if len(c.tail) == 0 {
				putBuf(c.tailBuf)
				c.tail, c.tailBuf = nil, nil
			}
			return n, nil
		}
		if c.hijacked.Load() {
			// After Hijack the bytes are the handler's protocol, not HTTP.
			n, err := c.raw.Read(p)
			if n > 0 {
				c.bytesIn.Add(int64(n))
				c.touch()
			}
			return n, err
		}
		if c.parser != nil && c.rerr != nil {
			return 0, c.rerr
		}
		if c.st == stDead {
			return 0, io.EOF
		}
		var direct []byte
		if c.st == stBody && len(p) >= int(c.srv.opts.RecvBytes) {
			direct = p
		}
		if c.rd.Or(rdSocket)&rdAborted != 0 {
			c.rd.And(^uint32(rdSocket))
			if c.isUnix() {
				return 0, errReadAbortedUnix
			}
			return 0, errReadAborted
		}
		n, err := c.sockRead(direct)
		c.rd.And(^uint32(rdSocket))
		if n > 0 {
			return n, nil // body bytes read straight into p; an error comes back on the next Read
		}
		if err != nil {
			if c.parser != nil && (c.outOff < len(c.out) || len(c.tail) > 0) {
				continue
			}
			if isTimeout(err) {
				if c.park.Load() == parkRequested {
					c.dmu.Lock()
					if c.park.CompareAndSwap(parkRequested, parkNone) {
						if c.parkable(len(p)) {
							c.park.Store(parkClosing)
							c.dmu.Unlock()
							return 0, io.EOF // net/http ends the connection's goroutine quietly, then calls Close
						}
						c.applyDeadlineLocked() // not idle after all: undo the parker's deadline
						c.dmu.Unlock()
						continue
					}
					c.dmu.Unlock()
				}
				// headerDL is written only by the reading side (feed), as
				// this is: no lock.
				if hd := c.headerDL; hd != 0 && time.Now().UnixNano() >= hd {
					// request_header_timeout: close without a response.
					c.st = stDead
					c.ensure().rerr = io.EOF
					return 0, io.EOF
				}
				return 0, err
			}
			c.ensure().rerr = err
			if c.st == stBody || c.st >= stChunkSize && c.st <= stTrailer {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
}

func isTimeout(err error) bool {
	if oe, ok := err.(*net.OpError); ok && oe.Err == os.ErrDeadlineExceeded {
		return true // what a read past its deadline returns: no unwrapping
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rawRead is the syscall.RawConn read function (bound once per
// connection, so that an idle connection blocked in a read holds no
// per-read closure): one read of recv_bytes bytes into rdDirect or a pooled
// buffer.
func (c *conn) rawRead(fd uintptr) bool {
	var b []byte
	if c.parser != nil {
		b = c.rdDirect
	}
	size := int(c.srv.opts.RecvBytes)
	pooled := b == nil
	if pooled {
		b = getBufSize(size)
	}
	var (
		n   int
		err error
	)
	for {
		n, err = syscall.Read(int(fd), b[:size])
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		if pooled {
			putBuf(b)
		}
		if c.parser != nil && c.streak > 0 {
			// The read waits: the last bytes got may not be stamped yet.
			c.touch()
			c.streak = 0
		}
		return false
	}
	c.ensure()
	c.got = true
	c.rdN, c.rdErr, c.rdDirect = int32(n), 0, b
	if err != nil {
		c.rdErr = uint32(syscall.EIO)
		if e, ok := err.(syscall.Errno); ok && e != 0 {
			c.rdErr = uint32(e)
		}
	}
	return true
}

// sockRead performs one socket read of recv_bytes and feeds the parser.
// With direct (at least recv_bytes long, used while a Content-Length body
// streams) the read goes straight into direct and the body bytes are
// returned there instead of being copied; the rest is fed to the parser.
func (c *conn) sockRead(direct []byte) (int, error) {
	size := int(c.srv.opts.RecvBytes)
	var (
		n    int
		rerr error
		buf  []byte
	)
	pooled := direct == nil
	if c.rc != nil {
		if direct != nil {
			c.rdDirect = direct // c.parser is set: a body is streaming
		}
		err := c.rc.Read(c.readFn)
		if c.parser == nil || !c.got { // nothing read (err is set)
			if c.parser != nil {
				c.rdDirect = nil
			}
			return 0, err
		}
		c.got = false
		n, buf = int(c.rdN), c.rdDirect
		errno := syscall.Errno(c.rdErr)
		c.rdDirect, c.rdErr = nil, 0
		if errno != 0 {
			n = 0
			rerr = os.NewSyscallError("read", errno)
		} else if n <= 0 {
			n = 0
			rerr = io.EOF
		}
	} else {
		buf = direct
		if pooled {
			buf = getBufSize(size)
		}
		n, rerr = c.raw.Read(buf[:size])
		c.ensure()
	}
	if h := c.srv.readHook; h != nil {
		h(size, n)
	}
	body := 0
	if n > 0 {
		c.bytesIn.Add(int64(n))
		// Activity stamps for the sweeper: every read, except that of
		// back-to-back full reads of a streaming body only every eighth
		// is stamped. A read that is short or has to wait stamps (see
		// rawRead), so a stamp is never older than the first of at most
		// eight reads made without waiting.
		full := !pooled && n == size && c.rc != nil
		if full && c.streak > 0 && c.streak < 8 {
			c.streak++
		} else {
			c.touch()
			c.streak = 0
			if full {
				c.streak = 1
			}
		}
		data := buf[:n]
		if !pooled {
			body = int(min(int64(n), c.remain))
			c.remain -= int64(body)
			if c.remain == 0 {
				c.st = stHead
			}
			data = data[body:]
		}
		if len(data) > 0 {
			if pooled {
				c.own = buf
			}
			c.feed(data)
			if pooled && c.own == nil {
				buf = nil // kept as the tail
			}
			c.own = nil
		}
	}
	if buf != nil && pooled {
		putBuf(buf)
	}
	if rerr != nil {
		if rerr == io.EOF {
			c.sawEOF.Store(true)
		} else if !isTimeout(rerr) {
			c.srv.socketError(rerr)
			c.sawEOF.Store(true)
		}
		return body, rerr
	}
	return body, nil
}

func isWS(b byte) bool {
	return b == '\r' || b == '\n' || b == ' ' || b == '\t' || b == '\v' || b == '\f'
}

var crlfcrlf = []byte("\r\n\r\n")

func (c *conn) emit(b []byte) {
	if c.out == nil {
		c.out = getBufSize(len(b))[:0]
	}
	c.out = append(c.out, b...)
}

func (c *conn) emitString(s string) {
	if c.out == nil {
		c.out = getBufSize(len(s))[:0]
	}
	c.out = append(c.out, s...)
}

// feed runs the request framing state machine over freshly received bytes.
func (c *conn) feed(data []byte) {
	o := &c.srv.opts
	for len(data) > 0 {
		switch c.st {
		case stDead:
			return
		case stHead:
			if len(c.head) == 0 {
				// Leading whitespace belongs to the block it precedes, but
				// an empty block (a lone \r\n\r\n) is dropped with its
				// count (§5.1, §5.2); c.crlf tracks the \r\n\r\n matched.
				i := 0
				for i < len(data) && isWS(data[i]) {
					c.crlf = nextCRLF(c.crlf, data[i])
					c.headCount++
					i++
					if c.crlf == 4 {
						c.crlf, c.headCount = 0, 0
					}
				}
				data = data[i:]
				if int64(c.headCount) >= o.MaxRequestHeaderSize {
					c.headError(headerTooLarge(o.MaxRequestHeaderSize))
					return
				}
				if len(data) == 0 {
					return
				}
				c.crlf = 0
				if idx := bytes.Index(data, crlfcrlf); idx >= 0 {
					end := idx + 4
					if int64(c.headCount+end) >= o.MaxRequestHeaderSize {
						c.headError(headerTooLarge(o.MaxRequestHeaderSize))
						return
					}
					c.gotHead(data[:idx], len(data)-end, true)
					data = data[end:]
					continue
				}
				c.head = append(make([]byte, 0, len(data)+256), data...)
				if int64(c.headCount+len(c.head)) >= o.MaxRequestHeaderSize {
					c.headError(headerTooLarge(o.MaxRequestHeaderSize))
					return
				}
				c.startHeaderTimer()
				return
			}
			start := len(c.head) - 3
			if start < 0 {
				start = 0
			}
			old := len(c.head)
			c.head = append(c.head, data...)
			idx := bytes.Index(c.head[start:], crlfcrlf)
			if idx < 0 {
				if int64(c.headCount+len(c.head)) >= o.MaxRequestHeaderSize {
					c.headError(headerTooLarge(o.MaxRequestHeaderSize))
				}
				return
			}
			end := start + idx + 4
			if int64(c.headCount+end) >= o.MaxRequestHeaderSize {
				c.headError(headerTooLarge(o.MaxRequestHeaderSize))
				return
			}
			head := c.head
			c.head = nil
			c.gotHead(head[:end-4], len(data)-(end-old), false)
			data = data[end-old:]
		case stBody:
			n := int64(len(data))
			if n > c.remain {
				n = c.remain
			}
			if n == int64(len(data)) && c.own != nil && len(c.tail) == 0 {
				// The rest of this read is body: net/http reads it
				// from the read buffer, after the head in out.
				c.tail, c.tailBuf, c.own = data, c.own, nil
			} else {
				c.emit(data[:n])
			}
			c.remain -= n
			data = data[n:]
			if c.remain == 0 {
				c.st = stHead
			}
		case stChunkSize, stTrailer:
			i := bytes.IndexByte(data, '\n')
			take := len(data)
			if i >= 0 {
				take = i + 1
			}
			if !c.countBody(int64(take)) {
				return
			}
			c.head = append(c.head, data[:take]...)
			data = data[take:]
			if i < 0 {
				if len(c.head) > 4096 {
					c.bodyError(badReq("Invalid chunk size", c.cur.proto))
					return
				}
				continue
			}
			l := c.head
			c.head = c.head[:0]
			if len(l) < 2 || l[len(l)-2] != '\r' || bytes.ContainsAny(l[:len(l)-2], "\r\n") {
				if c.st == stTrailer {
					c.bodyError(badReq("Invalid header", c.cur.proto))
				} else {
					c.bodyError(badReq("Invalid chunk size", c.cur.proto))
				}
				return
			}
			l = l[:len(l)-2]
			if c.st == stTrailer {
				if len(l) == 0 {
					c.emitString("0\r\n\r\n")
					c.st = stHead
					c.head = nil
					c.cur = nil
					continue
				}
				if !validTrailerLine(l, c.crlf == 0) {
					c.bodyError(badReq("Invalid header", c.cur.proto))
					return
				}
				c.crlf = 1 // a trailer line was seen
				continue
			}
			sz, ext := l, []byte(nil)
			if j := bytes.IndexByte(l, ';'); j >= 0 {
				sz, ext = l[:j], l[j:]
			}
			for len(sz) > 1 && sz[0] == '0' {
				sz = sz[1:] // leading zeros are digits like any other
			}
			if len(sz) == 0 {
				c.bodyError(badReq("Invalid chunk size", c.cur.proto))
				return
			}
			var size int64
			for _, ch := range sz {
				if !ishex(ch) {
					c.bodyError(badReq("Invalid chunk size", c.cur.proto))
					return
				}
				size = size<<4 | int64(unhex(ch)) // overflow: see below
			}
			if len(ext) > 0 && !validChunkExt(string(ext)) {
				c.bodyError(badReq("Invalid chunk extension", c.cur.proto))
				return
			}
			// A chunk that cannot fit in max_request_body_size is refused
			// now, as a Content-Length is, with the 413 that waitress
			// gives once it has counted that many bytes; so is a size of
			// more than 15 significant hex digits (2^60 and more).
			if len(sz) > 15 || size >= o.MaxRequestBodySize-c.bodyCount {
				c.bodyError(tooLarge(o.MaxRequestBodySize, c.cur.proto))
				return
			}
			if size == 0 {
				c.st = stTrailer
				c.crlf = 0
				continue
			}
			c.emit(strconv.AppendInt(make([]byte, 0, 20), size, 16))
			c.emitString("\r\n")
			c.remain = size
			c.st = stChunkData
		case stChunkData:
			n := int64(len(data))
			if n > c.remain {
				n = c.remain
			}
			if !c.countBody(n) {
				return
			}
			c.emit(data[:n])
			c.remain -= n
			data = data[n:]
			if c.remain == 0 {
				c.st = stChunkCRLF
				c.crlf = 0
			}
		case stChunkCRLF:
			if !c.countBody(1) {
				return
			}
			b := data[0]
			data = data[1:]
			if c.crlf == 0 && b == '\r' {
				c.crlf = 1
				continue
			}
			if c.crlf == 1 && b == '\n' {
				c.emitString("\r\n")
				c.st = stChunkSize
				continue
			}
			c.bodyError(badReq("Chunk not properly terminated", c.cur.proto))
			return
		}
	}
}

// nextCRLF advances a matcher of "\r\n\r\n" (state = bytes matched) by b.
func nextCRLF(state uint8, b byte) uint8 {
	if b == crlfcrlf[state] {
		return state + 1
	}
	if b == '\r' {
		return 1
	}
	return 0
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// countBody counts chunked-stream bytes toward max_request_body_size.
func (c *conn) countBody(n int64) bool {
	c.bodyCount += n
	if c.bodyCount >= c.srv.opts.MaxRequestBodySize {
		c.bodyError(tooLarge(c.srv.opts.MaxRequestBodySize, c.cur.proto))
		return false
	}
	return true
}

func (c *conn) startHeaderTimer() {
	if d := c.srv.opts.RequestHeaderTimeout; d > 0 {
		c.setHeaderDeadline(time.Now().Add(d))
	}
}

func (c *conn) stopHeaderTimer() {
	// headerDL is written only by the reading side, as this is: no lock
	// to look at it.
	if c.srv.opts.RequestHeaderTimeout > 0 && c.headerDL != 0 {
		c.setHeaderDeadline(time.Time{})
	}
}

func (c *conn) pushMeta(m *reqMeta) {
	c.seq++
	m.id = uint64(c.seq)
	c.mu.Lock()
	c.metas = append(c.metas, m)
	c.mu.Unlock()
}

// takeMeta returns the reqMeta with the given id, dropping older ones.
func (c *conn) takeMeta(id uint64) *reqMeta {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.metas) > 0 {
		m := c.metas[0]
		c.metas[0] = nil
		c.metas = c.metas[1:]
		if m.id == id {
			if len(c.metas) == 0 {
				c.metas = c.metaBuf[:0]
			}
			return m
		}
	}
	return nil
}

func (c *conn) bodyErrorOf(m *reqMeta) *httpError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m.bodyErr
}

// gotHead handles a complete header block; more is the number of bytes
// received after it in the same read (sized into the output buffer).
// inRead: the block, with the CRLFCRLF after it, lies in the socket read
// buffer feed works on (c.own).
func (c *conn) gotHead(block []byte, more int, inRead bool) {
	c.stopHeaderTimer()
	c.headCount = 0
	// A head that ends its read and goes to net/http as it came (wrk's,
	// curl's) is read by net/http from the read buffer, as a tail: no
	// output buffer, no copy.
	lazy := inRead && more == 0 && c.out == nil && len(c.tail) == 0 && c.own != nil
	if c.out == nil && !lazy {
		c.out = getBufSize(len(block) + 128 + more)[:0]
	}
	var scratch reqMeta // stays on the stack when trivial
	m := &scratch
	var ph parsedHead
	if proto, clen := fastHead(block, c.srv.opts.MaxRequestBodySize); proto != "" {
		// What parseHeadInto makes of such a head, in less time.
		m.proto, ph.clen = proto, clen
		if !lazy {
			ph.out = append(append(c.out, block...), crlf...)
		}
	} else {
		ph = parseHeadInto(m, c.out, block, c.srv.opts.MaxRequestBodySize, lazy)
	}
	if m.err != nil {
		method := "GET"
		if bytes.HasPrefix(block, []byte("HEAD ")) {
			method = "HEAD" // the error page goes without its body
		}
		c.headErrorFor(method, m.err)
		return
	}
	c.queued.Add(1)
	if lazy && ph.out == nil {
		// Left where it lies: net/http reads it as the tail.
		c.tail, c.tailBuf, c.own = block[:len(block)+4], c.own, nil
		c.st = stHead
		if ph.clen > 0 {
			c.st = stBody
			c.remain = ph.clen
		}
		return
	}
	c.out = ph.out
	if m.trivial() {
		c.emitString("\r\n")
		if ph.clen > 0 {
			c.st = stBody
			c.remain = ph.clen
		} else {
			c.st = stHead
		}
		return
	}
	hm := new(reqMeta) // a distinct variable, so that scratch stays on the stack
	*hm = scratch
	c.pushMeta(hm)
	c.emitString(metaHeader + ": ")
	c.emit(strconv.AppendUint(make([]byte, 0, 20), hm.id, 10))
	c.emitString("\r\n\r\n")
	switch {
	case ph.chunked:
		c.cur = hm
		c.st = stChunkSize
		c.bodyCount = 0
	case ph.clen > 0:
		c.st = stBody
		c.remain = ph.clen
	default:
		c.st = stHead
	}
}

// headError replaces the request by a synthetic one that the channel layer
// answers with the error page; nothing after it is parsed.
func (c *conn) headError(e *httpError) { c.headErrorFor("GET", e) }

// headErrorFor is headError for a request whose method is known: a HEAD
// request's error page is sent without its body (RFC 9110 §9.3.2).
func (c *conn) headErrorFor(method string, e *httpError) {
	c.stopHeaderTimer()
	m := &reqMeta{err: e, proto: e.proto}
	c.queued.Add(1)
	c.pushMeta(m)
	c.head = nil
	c.emitString(method + " / " + e.proto + "\r\nHost: error.invalid\r\n" + metaHeader + ": ")
	c.emit(strconv.AppendUint(make([]byte, 0, 20), m.id, 10))
	c.emitString("\r\n\r\n")
	c.st = stDead
}

// bodyError records a framing error of the current body; the reader gets
// errBodyFraming after the bytes already accepted.
func (c *conn) bodyError(e *httpError) {
	c.mu.Lock()
	if c.cur != nil {
		c.cur.bodyErr = e
	}
	c.mu.Unlock()
	c.st = stDead
	c.rerr = errBodyFraming
	c.head = nil
}

// Write sends p in socket writes of at most send_bytes. While an output
// drainer streams a response (coalescing), the tail of p that does not fill
// a send_bytes write is kept and sent with the next bytes, in one writev of
// at most send_bytes: a large response then takes ceil(size/send_bytes)
// socket writes instead of several short ones per buffered block.
//
// Pipelining: when the next request has already arrived, a response that
// fits in send_bytes is held instead of written, and goes out with the next
// response in one writev, so that 16 pipelined requests take one socket
// write, not 16. Held bytes wait at most holdFor (a timer sends them if the
// next handler is slow) and are sent before the connection closes.
func (c *conn) Write(p []byte) (int, error) {
	if c.addHead != 0 {
		return c.writeWithHead(p)
	}
	return c.write(p)
}

// addHead bits: the fields the connection layer adds to a response.
const (
	addServer = 1 << iota // Server: <ident>
	addDate               // Date: the current second (see dateLine)
)

// writeWithHead writes p, the first bytes net/http writes of a response,
// with the fields of c.addHead after the status line. The channel leaves
// them to the connection rather than to net/http (see
// responseWriter.commit): net/http copies the header map of every
// response (Header.Clone), then sorts and writes it, and formats a date
// for each; a field less there, and a date formatted once a second, save
// more than this copy of the head.
func (c *conn) writeWithHead(p []byte) (int, error) {
	add := c.addHead
	c.addHead = 0
	i := bytes.IndexByte(p, '\n')
	if i < 0 || !bytes.HasPrefix(p, statusPrefix) {
		return c.write(p) // not a status line: left as it is
	}
	q := append(getBufSize(len(p) + len(c.srv.srvLine) + dateLineLen)[:0], p[:i+1]...)
	if add&addServer != 0 {
		q = append(q, c.srv.srvLine...)
	}
	if add&addDate != 0 {
		q = append(q, dateLine()...)
	}
	extra := len(q) - (i + 1)
	q = append(q, p[i+1:]...)
	n, err := c.write(q)
	putBuf(q)
	if err != nil {
		return max(n-extra, 0), err
	}
	return len(p), nil
}

var statusPrefix = []byte("HTTP/1.")

func (c *conn) write(p []byte) (int, error) {
	cw := c.cw.Load()
	if cw != nil {
		if cw.held.Load() {
			cw.unhold()
		}
		if len(cw.pend) == 0 && !c.coalesce {
			c.dropPending() // the timer sent them
			cw = nil
		}
	}
	if !c.coalesce && c.queued.Load() > 0 && len(p) < int(c.srv.opts.SendBytes)-c.pending() && !c.hijacked.Load() {
		c.hold(p)
		return len(p), nil
	}
	if c.coalesce || cw != nil {
		return c.writeCoalesced(p)
	}
	return c.writeDirect(p)
}

func (c *conn) writeDirect(p []byte) (int, error) {
	max := int(c.srv.opts.SendBytes)
	if batchWrites && len(p) > max && c.rc != nil {
		return c.writeDirectBatch(p, max)
	}
	total := 0
	for len(p) > 0 {
		n := len(p)
		if n > max {
			n = max
		}
		w, err := c.sockWrite(p[:n], nil)
		if err != nil {
			return total + w, err
		}
		total += n
		p = p[n:]
	}
	return total, nil
}

// writeDirectBatch is writeDirect for several socket writes at once
// (writeBatch): after the stash, in try mode without waiting (what the
// socket does not take is stashed).
func (c *conn) writeDirectBatch(p []byte, max int) (int, error) {
	if stashed, err := c.behindStash(p, nil); stashed || err != nil {
		return len(p), err
	}
	w, err := c.writeBatch(p, max, c.try)
	if err != nil {
		return w, err
	}
	if w < len(p) {
		c.stashFrom(p[w:], nil, 0)
	}
	return len(p), nil
}

// behindStash puts a then b behind a waiting stash: in try mode it
// appends them to it (stashed), otherwise it sends the stash first.
func (c *conn) behindStash(a, b []byte) (stashed bool, err error) {
	cw := c.cw.Load()
	if cw == nil || len(cw.stash) == 0 {
		return false, nil
	}
	if c.try {
		cw.stash = append(append(cw.stash, a...), b...)
		return true, nil
	}
	return false, c.flushStash()
}

// writeErr is the error of a raw write system call that failed with errno.
func (c *conn) writeErr(call string, errno syscall.Errno) error {
	return &net.OpError{Op: "write", Net: c.raw.LocalAddr().Network(), Source: c.raw.LocalAddr(), Addr: c.raw.RemoteAddr(), Err: os.NewSyscallError(call, errno)}
}

// sockWrite makes one socket write of a then b (together at most
// send_bytes), after the stash. In try mode (waitress's non-blocking send
// from the worker, §7.3) it does not wait: what the socket does not take
// now is stashed, and so is everything after it, so the call succeeds; w
// is then the number of bytes taken, else all of them.
func (c *conn) sockWrite(a, b []byte) (w int, err error) {
	if stashed, err := c.behindStash(a, b); stashed || err != nil {
		return len(a) + len(b), err
	}
	n := len(a) + len(b)
	if c.try && c.rc != nil {
		w, err = c.tryWritev(a, b)
		if err := c.wrote(n, w, err); err != nil {
			return w, err
		}
		if w < n {
			c.stashFrom(a, b, w)
		}
		return n, nil
	}
	if len(b) == 0 {
		w, err = c.raw.Write(a)
	} else {
		cw := c.cw.Load()
		cw.iov = append(cw.iovArr[:0], a, b)
		var w64 int64
		w64, err = cw.iov.WriteTo(c.raw)
		w = int(w64)
		cw.iovArr = [2][]byte{}
		cw.iov = nil
	}
	return w, c.wrote(n, w, err)
}

// tryWritev is one writev of a and b that does not wait: it returns the
// bytes the socket took (0 when it would block).
func (c *conn) tryWritev(a, b []byte) (int, error) {
	tw := c.coalescerFor().tw()
	for _, p := range [2][]byte{a, b} {
		if len(p) > 0 {
			tw.iov[tw.cnt].Base = &p[0]
			tw.iov[tw.cnt].SetLen(len(p))
			tw.cnt++
		}
	}
	if tw.cnt == 0 {
		return 0, nil
	}
	err := c.rc.Write(tw.fn)
	w, errno := tw.n, tw.errno
	*tw = tryWrite{fn: tw.fn} // drop the references to a and b
	if err == nil && errno != 0 {
		err = c.writeErr("writev", errno)
	}
	return w, err
}

// tryWrite holds tryWritev's arguments and results for its callback, made
// once per pooled coalescer (a closure per call would be allocated).
type tryWrite struct {
	iov   [2]syscall.Iovec
	cnt   int
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func (cw *coalescer) tw() *tryWrite {
	tw := &cw.try
	if tw.fn == nil {
		tw.fn = tw.write
	}
	return tw
}

func (tw *tryWrite) write(fd uintptr) bool {
	for {
		r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&tw.iov[0])), uintptr(tw.cnt))
		switch e {
		case 0:
			tw.n = int(r)
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
		default:
			tw.errno = e
		}
		return true // never wait: the caller stashes the rest
	}
}

// stashFrom stashes a then b from offset w on.
func (c *conn) stashFrom(a, b []byte, w int) {
	cw := c.coalescerFor()
	if w < len(a) {
		cw.stash = append(cw.stash, a[w:]...)
		w = 0
	} else {
		w -= len(a)
	}
	cw.stash = append(cw.stash, b[w:]...)
}

// stashed reports whether bytes wait in the stash.
func (c *conn) stashed() bool {
	cw := c.cw.Load()
	return cw != nil && len(cw.stash) > 0
}

// flushStash sends the stash, waiting for the socket (not in try mode).
func (c *conn) flushStash() error {
	cw := c.cw.Load()
	if cw == nil || len(cw.stash) == 0 {
		return nil
	}
	st := cw.stash
	cw.stash = nil
	defer putBuf(st)
	return c.writePlain(st)
}

// dropStash forgets the stash (the response is cut off).
func (c *conn) dropStash() {
	if cw := c.cw.Load(); cw != nil && cw.stash != nil {
		putBuf(cw.stash)
		cw.stash = nil
	}
}

// writePlain writes p in socket writes of at most send_bytes, waiting for
// the socket; it knows nothing of pending, held or stashed bytes.
func (c *conn) writePlain(p []byte) error {
	max := int(c.srv.opts.SendBytes)
	if batchWrites && len(p) > max && c.rc != nil {
		_, err := c.writeBatch(p, max, false)
		return err
	}
	for len(p) > 0 {
		n := min(len(p), max)
		w, err := c.raw.Write(p[:n])
		if err := c.wrote(n, w, err); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// wrote accounts for one socket write of n bytes asked, w written.
func (c *conn) wrote(n, w int, err error) error {
	if h := c.srv.writeHook; h != nil {
		h(n)
	}
	if w > 0 {
		c.bytesOut.Add(int64(w))
		c.touch()
	}
	if err != nil {
		c.srv.socketError(err)
	}
	return err
}

// holdFor is how long a response held for the next pipelined one may wait.
const holdFor = time.Millisecond

// coalescer holds the bytes a coalescing Write keeps for the next one. Its
// pend belongs to the goroutine writing the response, except while held:
// then the hold timer (or a Close from another goroutine) may send it,
// under mu.
type coalescer struct {
	pend   []byte // pooled buffer of send_bytes capacity
	iov    net.Buffers
	iovArr [2][]byte

	// stash is what a write in try mode could not send without waiting,
	// followed by every byte written after it in try mode; it goes out
	// before anything else (flushStash).
	stash []byte
	try   tryWrite

	held  atomic.Bool // pend waits for the next pipelined response
	mu    sync.Mutex  // guards owner, and pend while held
	owner *conn
	timer *time.Timer // runs fire; kept with the coalescer in the pool
}

var coalescerPool = sync.Pool{New: func() any { return new(coalescer) }}

func (c *conn) pending() int {
	if cw := c.cw.Load(); cw != nil {
		return len(cw.pend)
	}
	return 0
}

// keep appends p to the pending bytes.
func (c *conn) keep(p []byte) *coalescer {
	cw := c.coalescerFor()
	cw.pend = append(cw.pend, p...)
	return cw
}

// coalescerFor returns c's coalescer, taking one from the pool if it has
// none.
func (c *conn) coalescerFor() *coalescer {
	cw := c.cw.Load()
	if cw == nil {
		cw = coalescerPool.Get().(*coalescer)
		cw.pend = getBufSize(int(c.srv.opts.SendBytes))[:0]
		cw.mu.Lock()
		cw.owner = c
		cw.mu.Unlock()
		c.cw.Store(cw)
	}
	return cw
}

// hold keeps p until the next response, or holdFor at most.
func (c *conn) hold(p []byte) {
	fresh := c.pending() == 0
	cw := c.keep(p)
	cw.mu.Lock()
	cw.held.Store(true)
	cw.mu.Unlock()
	if fresh {
		if cw.timer == nil {
			cw.timer = time.AfterFunc(holdFor, cw.fire)
		} else {
			cw.timer.Reset(holdFor)
		}
	}
}

// unhold makes held bytes ordinary pending bytes of the writing goroutine
// again (they may have been sent meanwhile: pend is then empty).
func (cw *coalescer) unhold() {
	cw.mu.Lock()
	cw.held.Store(false)
	cw.mu.Unlock()
}

// fire sends the held bytes: the next handler took longer than holdFor.
func (cw *coalescer) fire() {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if c := cw.owner; c != nil && cw.held.Load() {
		c.sendHeldLocked(cw)
	}
}

// sendHeldLocked sends the held bytes; held is cleared last, so that the
// writing goroutine, which checks it without mu, finds pend settled.
func (c *conn) sendHeldLocked(cw *coalescer) {
	c.writePlain(cw.pend) // no stash: it is sent before a response ends
	cw.pend = cw.pend[:0]
	cw.held.Store(false)
}

// sendHeld sends held bytes now (before the connection closes); any
// goroutine may call it.
func (c *conn) sendHeld() {
	if cw := c.cw.Load(); cw != nil && cw.held.Load() {
		cw.mu.Lock()
		if cw.owner == c && cw.held.Load() {
			c.sendHeldLocked(cw)
		}
		cw.mu.Unlock()
	}
}

// writeCoalesced is Write with pending bytes or in coalescing mode.
func (c *conn) writeCoalesced(p []byte) (int, error) {
	max := int(c.srv.opts.SendBytes)
	total := len(p)
	for c.pending() > 0 && len(p) > 0 {
		cw := c.cw.Load()
		if c.coalesce && len(cw.pend)+len(p) < max {
			cw.pend = append(cw.pend, p...)
			return total, nil
		}
		// One writev: the pending bytes and the head of p, at most max.
		k := min(len(p), max-len(cw.pend))
		_, err := c.sockWrite(cw.pend, p[:k])
		c.dropPending()
		if err != nil {
			return total - len(p), err
		}
		p = p[k:]
	}
	if len(p) == 0 {
		return total, nil
	}
	full := len(p)
	if c.coalesce {
		full -= len(p) % max
	}
	if full > 0 {
		if w, err := c.writeDirect(p[:full]); err != nil {
			return total - len(p) + w, err
		}
		p = p[full:]
	}
	if len(p) > 0 {
		c.keep(p)
	}
	return total, nil
}

// dropPending forgets the pending bytes and returns their buffers.
func (c *conn) dropPending() {
	if cw := c.cw.Load(); cw != nil {
		if len(cw.stash) > 0 { // still to be sent: the coalescer stays
			cw.mu.Lock()
			cw.held.Store(false)
			cw.mu.Unlock()
			cw.pend = cw.pend[:0]
			return
		}
		c.cw.Store(nil)
		cw.mu.Lock()
		cw.owner = nil
		cw.held.Store(false)
		cw.mu.Unlock()
		putBuf(cw.pend)
		cw.pend = nil
		coalescerPool.Put(cw)
	}
}

// setCoalesce turns coalescing on or off (the drainer, around its writes).
// Turning it off sends the pending bytes.
func (c *conn) setCoalesce(on bool) error {
	if cw := c.cw.Load(); cw != nil && cw.held.Load() {
		cw.unhold()
	}
	c.coalesce = on
	if on {
		return nil
	}
	if c.pending() == 0 {
		c.dropPending() // a coalescer taken for try mode goes back to the pool
		return nil
	}
	_, err := c.writeDirect(c.cw.Load().pend)
	c.dropPending()
	return err
}

// Close closes the connection. When the client has not closed its side, the
// sending side is shut down first and incoming bytes are discarded until
// the client closes or 500 ms pass (RFC 9112 §9.6).
func (c *conn) Close() error {
	c.sendHeld()
	if c.park.CompareAndSwap(parkClosing, parkWaiting) {
		go c.waitParked()
		return nil
	}
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.srv.forget(c)
	cw, ok := c.raw.(interface{ CloseWrite() error })
	if !ok || c.sawEOF.Load() || c.hijacked.Load() {
		c.raw.Close()
		c.srv.connClosed()
		return nil
	}
	go func() {
		cw.CloseWrite()
		c.raw.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		b := getBufSize(4096)
		for {
			if _, err := c.raw.Read(b[:4096]); err != nil {
				break
			}
		}
		putBuf(b)
		c.raw.Close()
		c.srv.connClosed()
	}()
	return nil
}

// abort closes the connection at once, without lingering (sweeper,
// forced shutdown).
func (c *conn) abort() {
	if c.closed.CompareAndSwap(false, true) {
		c.srv.forget(c)
		c.raw.Close()
		c.srv.connClosed()
	}
}

// socketError logs a socket error unless it is one of the "disconnected"
// kinds, and only with log_socket_errors (§12).
func (s *Server) socketError(err error) {
	if !s.opts.LogSocketErrors || err == nil || isDisconnect(err) {
		return
	}
	s.log.Error("Socket error", zap.Error(err))
}

func isDisconnect(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		return true
	}
	for _, e := range []syscall.Errno{syscall.ECONNRESET, syscall.ENOTCONN, syscall.ESHUTDOWN, syscall.ECONNABORTED, syscall.EPIPE, syscall.EBADF} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
