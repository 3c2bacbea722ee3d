package server

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"unsafe"
)

// httpError is a server-generated error response (§8).
type httpError struct {
	code   int
	detail string
	proto  string // "HTTP/1.0" or "HTTP/1.1": the status line version
}

// reqMeta is what the connection layer learned about one request head that
// net/http must not see or would lose; the channel layer reads it.
type reqMeta struct {
	id         uint64
	err        *httpError // answer with this error page instead of calling the app
	rawTarget  string     // the request target exactly as sent
	star       bool       // OPTIONS *: restore r.URL.Path = "*"
	closeAfter bool       // close the connection after the response (TE+CL, HTTP/1.0+TE)
	restore    [][2]string
	chunked    bool
	proto      string
	proxy      bool // a proxy header (Forwarded, X-Forwarded-*) came with the request

	// Set by the connection layer while the body streams (guarded by the
	// conn's mutex, read by the channel after a body read error).
	bodyErr *httpError
}

// parsedHead is the outcome of parsing one header block.
type parsedHead struct {
	meta    *reqMeta
	out     []byte // dst with the sanitized head for net/http appended (without the final CRLF)
	clen    int64  // body length for Content-Length framing, -1 when chunked, 0 when none
	chunked bool
}

// Byte classes, as lookup tables: the header parser runs them over every
// byte of every request head.
const (
	classTchar      = 1 << iota // RFC 9110 token character
	classField                  // field-value byte: visible ASCII, obs-text, SP, HT
	classHost                   // reg-name byte (RFC 3986): unreserved, sub-delims, "%"
	classUnderscore             // "_" alone: a field name with it is dropped
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if alnum || strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0 {
			t[c] |= classTchar
		}
		if c >= 0x20 && c != 0x7f || c == '\t' {
			t[c] |= classField
		}
		if alnum || strings.IndexByte("!$%&'()*+,-.;=_~", byte(c)) >= 0 {
			t[c] |= classHost
		}
		if c == '_' {
			t[c] |= classUnderscore
		}
	}
	return t
}()

func isTchar(c byte) bool { return byteClass[c]&classTchar != 0 }

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

// validFieldValue: visible ASCII, obs-text, SP and HT (already trimmed).
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&classField == 0 {
			return false
		}
	}
	return true
}

func validHostHeader(h string) bool {
	// RFC 9110 §7.2 / RFC 3986 §3.2.2: host [ ":" port ], where host is an
	// IP literal in brackets or a reg-name (an IPv4 address is one), and
	// port is digits (possibly none).
	port := ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		for i := 1; i < end; i++ {
			if c := h[i]; !ishex(c) && c != ':' && c != '.' {
				return false
			}
		}
		rest := h[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return false
			}
			port = rest[1:]
		}
	} else {
		// The port is the digits after the last colon: trailing digits
		// and a colon before them. Anything else leaves a colon in the
		// host part, which then fails as it is not a reg-name byte.
		i := len(h)
		for i > 0 && h[i-1] >= '0' && h[i-1] <= '9' {
			i--
		}
		if i > 0 && h[i-1] == ':' {
			h = h[:i-1]
		}
		for i := 0; i < len(h); i++ {
			if byteClass[h[i]]&classHost == 0 {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

func badReq(detail, proto string) *httpError { return &httpError{400, detail, proto} }

// tooLarge is the 413 for a body of max_request_body_size (max) or more.
func tooLarge(max int64, proto string) *httpError {
	return &httpError{413, "exceeds max_body of " + strconv.FormatInt(max, 10), proto}
}

// headerTooLarge is the 431 for a header block of max_request_header_size
// (max) bytes or more.
func headerTooLarge(max int64) *httpError {
	return &httpError{431, "exceeds max_header of " + strconv.FormatInt(max, 10), "HTTP/1.0"}
}

// field is one header field of the block being parsed; name and value
// point into the block.
type field struct{ name, value []byte }

// eqFold reports whether b is s, ignoring ASCII case; s must be lower
// case (the callers' constants are).
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if toLower[b[i]] != s[i] {
			return false
		}
	}
	return true
}

// toLower maps ASCII upper case letters to lower case, other bytes to
// themselves.
var toLower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

func trimOWSBytes(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func validFieldValueBytes(s []byte) bool {
	for _, c := range s {
		if byteClass[c]&classField == 0 {
			return false
		}
	}
	return true
}

func isTokenBytes(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !isTchar(c) {
			return false
		}
	}
	return true
}

// parseHead validates one header block (without its final CRLFCRLF) with
// waitress's rules (§5.1, §5.3–§5.5) and appends the head net/http parses
// to dst. maxBody is max_request_body_size. On error ph.meta.err is set and
// ph.out is dst unchanged.
func parseHead(dst, block []byte, maxBody int64) (ph parsedHead) {
	m := &reqMeta{}
	ph = parseHeadInto(m, dst, block, maxBody, false)
	ph.meta = m
	return ph
}

// trivial reports whether m tells the channel layer nothing it cannot
// learn from net/http's request: such a meta is not sent along (no
// allocation, no extra header for net/http to parse).
func (m *reqMeta) trivial() bool {
	return m.err == nil && !m.star && !m.closeAfter && len(m.restore) == 0 && !m.chunked && m.rawTarget == "" && !m.proxy
}

// trivialMeta stands for every request whose meta was trivial. Read-only.
var trivialMeta = reqMeta{}

// parseHeadInto is parseHead filling m (zeroed by the caller). m.rawTarget
// is left empty when net/http's RequestURI will be the target as sent.
//
// ph.meta is left nil: m is not stored anywhere, so a caller's m can stay on
// its stack.
//
// With lazy (dst is then nil) a head with a trivial meta that goes to
// net/http as it came is not copied: ph.out stays nil, and the caller
// hands net/http the block and its CRLF where they lie. Any other head is
// built in a pooled buffer.
func parseHeadInto(m *reqMeta, dst, block []byte, maxBody int64, lazy bool) (ph parsedHead) {
	ph.out = dst
	// The request line ends at the first CRLF (the whole block without
	// one). One pass finds it, the spaces and any other CR or LF: a short
	// line costs less this way than several IndexByte calls.
	end, rest := len(block), []byte(nil)
	for i := 0; i < len(block); i++ {
		if block[i] == '\r' && i+1 < len(block) && block[i+1] == '\n' {
			end, rest = i, block[i+2:]
			break
		}
	}
	line := block[:end]
	for len(line) > 0 && isWS(line[len(line)-1]) {
		line = line[:len(line)-1] // trailing whitespace, as waitress strips it
	}
	sp1, sp2, spaces, crlfIn := -1, -1, 0, false
	for i, c := range line {
		switch c {
		case ' ':
			switch spaces {
			case 0:
				sp1 = i
			case 1:
				sp2 = i
			}
			spaces++
		case '\r', '\n':
			crlfIn = true
		}
	}
	if crlfIn {
		return headFail(m, dst, 400, "Bare CR or LF found in HTTP message", "HTTP/1.0")
	}
	if sp1 <= 0 || sp2 < 0 || sp2 == sp1+1 || spaces > 2 {
		return headFail(m, dst, 400, "Start line is invalid", "HTTP/1.0")
	}
	methodB, targetB, version := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	if !isTokenBytes(methodB) {
		return headFail(m, dst, 400, "Start line is invalid", "HTTP/1.0")
	}
	for _, c := range methodB {
		if c >= 'a' && c <= 'z' {
			return headFailQuoted(m, dst, 400, "Malformed HTTP method ", methodB, "HTTP/1.0")
		}
	}
	if len(version) != 8 || string(version[:5]) != "HTTP/" || version[6] != '.' ||
		version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9' {
		return headFail(m, dst, 400, "Start line is invalid", "HTTP/1.0")
	}
	if version[5] != '1' {
		return headFailQuoted(m, dst, 505, "Unsupported HTTP version ", version[5:], "HTTP/1.1")
	}
	proto := "HTTP/1.1"
	if version[7] == '0' {
		proto = "HTTP/1.0"
	}
	m.proto = proto

	// Header lines: split on CRLF, skip empty lines, unfold, validate.
	var fieldBuf [16]field // a browser sends about a dozen fields
	fields := fieldBuf[:0]
	// verbatim: the head for net/http is the block as it came (checked
	// below), copied at once instead of rebuilt piece by piece.
	verbatim := len(line) == end
	// A line ends at its first LF, which must follow a CR (a CR elsewhere
	// is looked for only when a check fails: headFailLine).
	for len(rest) > 0 {
		var l []byte
		if i := bytes.IndexByte(rest, '\n'); i < 0 {
			l, rest = rest, nil
		} else if i > 0 && rest[i-1] == '\r' {
			l, rest = rest[:i-1], rest[i+1:]
		} else {
			// A bare LF: the message names the line up to the next CRLF.
			l = rest
			if j := bytes.Index(rest, crlf); j >= 0 {
				l = rest[:j]
			}
			return headFailQuoted(m, dst, 400, "Bare CR or LF found in header line ", l, "HTTP/1.0")
		}
		if len(l) == 0 {
			verbatim = false
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			verbatim = false
			if len(fields) == 0 {
				return headFailLine(m, dst, l, true)
			}
			cont := trimOWSBytes(l)
			if !validFieldValueBytes(cont) {
				return headFailLine(m, dst, l, false)
			}
			f := &fields[len(fields)-1]
			if len(f.value) == 0 {
				f.value = cont
			} else if len(cont) > 0 {
				v := make([]byte, 0, len(f.value)+1+len(cont))
				v = append(append(append(v, f.value...), ' '), cont...)
				f.value = v
			}
			continue
		}
		// The name: token characters up to the colon.
		colon, classes := 0, uint8(0)
		for colon < len(l) && byteClass[l[colon]]&classTchar != 0 {
			classes |= byteClass[l[colon]]
			colon++
		}
		if colon == 0 || colon == len(l) || l[colon] != ':' {
			return headFailLine(m, dst, l, false)
		}
		name := l[:colon]
		value := trimOWSBytes(l[colon+1:])
		if !validFieldValueBytes(value) {
			return headFailLine(m, dst, l, false)
		}
		if classes&classUnderscore != 0 {
			name = nil // dropped, as waitress does (a continuation line goes with it)
			verbatim = false
		}
		// Rebuilt as name ": " value: the same bytes only with one SP
		// after the colon and nothing trimmed.
		verbatim = verbatim && len(value) == len(l)-colon-2 && l[colon+1] == ' '
		fields = append(fields, field{name, value})
	}

	var (
		host, cl                             []byte
		nHost, nCL, nCT, nTE, nConn, nExpect int
	)
	for i := range fields {
		f := &fields[i]
		switch len(f.name) { // 0: dropped
		case 4:
			if eqFold(f.name, "host") {
				nHost++
				host = f.value
			}
		case 6:
			if eqFold(f.name, "expect") {
				nExpect++
			}
		case 9:
			m.proxy = m.proxy || eqFold(f.name, "forwarded")
		case 10:
			if eqFold(f.name, "connection") {
				nConn++
			}
		case 12:
			if eqFold(f.name, "content-type") {
				nCT++
			}
		case 14:
			if eqFold(f.name, "content-length") {
				nCL++
				cl = f.value
			} else {
				m.proxy = m.proxy || eqFold(f.name, "x-forwarded-by")
			}
		case 15:
			m.proxy = m.proxy || eqFold(f.name, "x-forwarded-for")
		case 16:
			m.proxy = m.proxy || eqFold(f.name, "x-forwarded-host") || eqFold(f.name, "x-forwarded-port")
		case 17:
			if eqFold(f.name, "transfer-encoding") {
				nTE++
			} else {
				m.proxy = m.proxy || eqFold(f.name, "x-forwarded-proto")
			}
		}
		if nHost > 1 || nCL > 1 || nCT > 1 {
			return headFailDuplicate(m, dst, f.name)
		}
	}

	// Target checks.
	for _, c := range targetB {
		if c < 0x21 || c > 0x7e {
			return headFail(m, dst, 400, "Bad URI", proto)
		}
	}
	t := targetB
	if i := bytes.IndexByte(t, '#'); i >= 0 {
		t = t[:i]
	}
	path := t
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '%' {
			if i+2 >= len(path) || !ishex(path[i+1]) || !ishex(path[i+2]) {
				return headFail(m, dst, 400, "Bad URI", proto)
			}
		}
	}
	ts := ""
	switch {
	case string(methodB) == "OPTIONS" && string(t) == "*":
		m.star = true
		ts = "/"
	case len(t) == 0:
		ts = "/"
	case t[0] == '/':
		// origin form: always parseable once the escapes are checked
	case string(methodB) == "CONNECT":
		if _, err := url.ParseRequestURI("http://" + string(t)); err != nil {
			return headFail(m, dst, 400, "Bad URI", proto)
		}
	default:
		if _, err := url.ParseRequestURI(string(t)); err != nil {
			return headFail(m, dst, 400, "Bad URI", proto)
		}
	}

	if ts != "" || len(t) != len(targetB) {
		m.rawTarget = string(targetB) // net/http sees another target
	}

	// Host.
	if nHost == 0 && proto == "HTTP/1.1" {
		return headFail(m, dst, 400, "Missing Host header", "HTTP/1.1")
	}
	// validHostHeader only reads its argument: no copy of the bytes.
	if nHost == 1 && !validHostHeader(unsafe.String(unsafe.SliceData(host), len(host))) {
		return headFail(m, dst, 400, "Invalid Host header", proto)
	}

	// Body framing.
	chunked := false
	if nTE > 0 {
		if proto == "HTTP/1.1" {
			n := 0
			for _, f := range fields {
				if f.name == nil || len(f.name) != 17 || !eqFold(f.name, "transfer-encoding") {
					continue
				}
				for _, c := range strings.Split(string(f.value), ",") {
					c = strings.ToLower(trimOWS(c))
					if c == "" {
						continue
					}
					if c != "chunked" {
						return headFail(m, dst, 501, "Transfer-Encoding requested is not supported.", proto)
					}
					n++
				}
			}
			if n > 1 {
				return headFail(m, dst, 501, "Transfer-Encoding is invalid. Multiple chunked encodings requested.", proto)
			}
			chunked = n == 1
			if chunked && nCL > 0 {
				m.closeAfter = true
			}
		} else {
			m.closeAfter = true
			for _, f := range fields {
				if f.name != nil && len(f.name) == 17 && eqFold(f.name, "transfer-encoding") {
					m.restore = append(m.restore, [2]string{"Transfer-Encoding", string(f.value)})
				}
			}
		}
	}
	var clen int64
	if !chunked && nCL == 1 {
		if len(cl) == 0 {
			return headFail(m, dst, 400, "Content-Length is invalid", proto)
		}
		for _, c := range cl {
			if c < '0' || c > '9' {
				return headFail(m, dst, 400, "Content-Length is invalid", proto)
			}
			if clen > (1<<62)/10 {
				return headFailTooLarge(m, dst, maxBody, proto)
			}
			clen = clen*10 + int64(c-'0')
		}
		if clen >= maxBody {
			return headFailTooLarge(m, dst, maxBody, proto)
		}
	}
	m.chunked = chunked

	// The sanitized head. Expect reaches net/http only when it will act on
	// it correctly (HTTP/1.1 100-continue with a body); otherwise it is
	// restored for the handler.
	hasBody := chunked || clen > 0
	out := dst
	// A head with none of the fields rewritten below, its target and
	// version as net/http is to see them, goes as it came (it has no
	// body: no Content-Length, no Transfer-Encoding).
	verbatim = verbatim && nExpect+nConn+nCL+nTE == 0 && ts == "" && len(t) == len(targetB) && version[7] <= '1'
	if verbatim && lazy && m.trivial() {
		return ph
	}
	if lazy {
		out = getBufSize(len(block) + 128)[:0]
	}
	if verbatim {
		ph.out = append(append(out, block...), crlf...)
		return ph
	}
	out = append(out, methodB...)
	out = append(out, ' ')
	if ts != "" {
		out = append(out, ts...)
	} else {
		out = append(out, t...)
	}
	out = append(out, ' ')
	out = append(out, proto...)
	out = append(out, crlf...)
	connDone := false
	for _, f := range fields {
		if f.name == nil {
			continue
		}
		switch len(f.name) {
		case 6:
			if eqFold(f.name, "expect") {
				if proto == "HTTP/1.1" && hasBody && nExpect == 1 && eqFold(f.value, "100-continue") {
					out = append(out, "Expect: 100-continue\r\n"...)
				} else {
					m.restore = append(m.restore, [2]string{"Expect", string(f.value)})
				}
				continue
			}
		case 10:
			if eqFold(f.name, "connection") {
				if connDone {
					continue
				}
				connDone = true
				out = append(out, "Connection: "...)
				first := true
				for _, g := range fields {
					if g.name != nil && len(g.name) == 10 && eqFold(g.name, "connection") {
						if !first {
							out = append(out, ", "...)
						}
						first = false
						out = append(out, g.value...)
					}
				}
				out = append(out, crlf...)
				continue
			}
		case 14:
			if eqFold(f.name, "content-length") {
				continue
			}
		case 17:
			if eqFold(f.name, "transfer-encoding") {
				continue
			}
		}
		out = append(out, f.name...)
		out = append(out, ": "...)
		out = append(out, f.value...)
		out = append(out, crlf...)
	}
	if chunked {
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	} else if nCL == 1 {
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, clen, 10)
		out = append(out, crlf...)
	}
	ph.out = out
	ph.chunked = chunked
	if chunked {
		ph.clen = -1
	} else {
		ph.clen = clen
	}
	return ph
}

// The error returns of parseHeadInto: out of line, so that the code of
// the path every valid head takes stays short (with the messages built
// in place the function was 18 KB of machine code).

//go:noinline
func headFail(m *reqMeta, dst []byte, code int, detail, proto string) parsedHead {
	m.err = &httpError{code, detail, proto}
	return parsedHead{out: dst}
}

//go:noinline
func headFailQuoted(m *reqMeta, dst []byte, code int, prefix string, arg []byte, proto string) parsedHead {
	return headFail(m, dst, code, prefix+`"`+string(arg)+`"`, proto)
}

//go:noinline
func headFailDuplicate(m *reqMeta, dst, name []byte) parsedHead {
	return headFail(m, dst, 400, "Duplicate header: "+string(name), "HTTP/1.0")
}

//go:noinline
func headFailTooLarge(m *reqMeta, dst []byte, maxBody int64, proto string) parsedHead {
	m.err = tooLarge(maxBody, proto)
	return parsedHead{out: dst}
}

// headFailLine answers a header line that failed a check: "Malformed
// header line" (malformed) or "Invalid header". A line that passes the
// checks holds no CR (the name is a token, the value field bytes), so a CR
// is looked for only here: the bare CR error comes first, as the line was
// split on CRLF.
//
//go:noinline
func headFailLine(m *reqMeta, dst, l []byte, malformed bool) parsedHead {
	switch {
	case bytes.IndexByte(l, '\r') >= 0:
		return headFailQuoted(m, dst, 400, "Bare CR or LF found in header line ", l, "HTTP/1.0")
	case malformed:
		return headFailQuoted(m, dst, 400, "Malformed header line ", l, "HTTP/1.0")
	}
	return headFail(m, dst, 400, "Invalid header", "HTTP/1.0")
}

var crlf = []byte("\r\n")

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validChunkExt checks `(;token(=(token|quoted-string))?)*` with no
// whitespace anywhere (waitress's rule).
func validChunkExt(s string) bool {
	for len(s) > 0 {
		if s[0] != ';' {
			return false
		}
		s = s[1:]
		i := 0
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == 0 && len(s) > 0 && s[0] != ';' {
			return false // an empty name is tolerated (shared case http-103 sends "20;")
		}
		s = s[i:]
		if len(s) == 0 || s[0] == ';' {
			continue
		}
		if s[0] != '=' {
			return false
		}
		s = s[1:]
		if len(s) > 0 && s[0] == '"' {
			j := 1
			closed := false
			for j < len(s) {
				c := s[j]
				if c == '\\' {
					if j+1 >= len(s) {
						return false
					}
					j += 2
					continue
				}
				if c == '"' {
					closed = true
					j++
					break
				}
				if c < 0x20 && c != '\t' || c == 0x7f {
					return false
				}
				j++
			}
			if !closed {
				return false
			}
			s = s[j:]
			continue
		}
		i = 0
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == 0 {
			return false
		}
		s = s[i:]
	}
	return true
}

// validTrailerLine applies the header-line rules of §5.1 to a trailer line.
func validTrailerLine(l []byte, first bool) bool {
	if bytes.ContainsAny(l, "\r\n") {
		return false
	}
	if l[0] == ' ' || l[0] == '\t' {
		if first {
			return false // a continuation with nothing to continue (§5.1)
		}
		return validFieldValue(trimOWS(string(l)))
	}
	c := bytes.IndexByte(l, ':')
	if c <= 0 {
		return false
	}
	return isToken(string(l[:c])) && validFieldValue(trimOWS(string(l[c+1:])))
}
