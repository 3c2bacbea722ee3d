package server

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
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

	// Set by the connection layer while the body streams (guarded by the
	// conn's mutex, read by the channel after a body read error).
	bodyErr *httpError
}

// parsedHead is the outcome of parsing one header block.
type parsedHead struct {
	meta    *reqMeta
	out     []byte // the sanitized head for net/http (without the meta line and final CRLF)
	clen    int64  // body length for Content-Length framing, -1 when chunked, 0 when none
	chunked bool
}

func isTchar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

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
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func validHostHeader(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) < 0 {
			return false
		}
	}
	return true
}

func badReq(detail, proto string) *httpError { return &httpError{400, detail, proto} }

// parseHead validates one header block (without its final CRLFCRLF) with
// waitress's rules (§5.1, §5.3–§5.5) and builds the head net/http parses.
// maxBody is max_request_body_size.
func parseHead(block []byte, maxBody int64) (ph parsedHead) {
	m := &reqMeta{}
	ph.meta = m
	fail := func(e *httpError) parsedHead {
		m.err = e
		return parsedHead{meta: m}
	}
	var line []byte
	rest := block
	if i := bytes.Index(block, []byte("\r\n")); i >= 0 {
		line, rest = block[:i], block[i+2:]
	} else {
		line, rest = block, nil
	}
	line = bytes.TrimRight(line, " \t\r\n\v\f")
	if bytes.ContainsAny(line, "\r\n") {
		return fail(badReq("Bare CR or LF found in HTTP message", "HTTP/1.0"))
	}
	sl := string(line)
	parts := strings.Split(sl, " ")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return fail(badReq("Start line is invalid", "HTTP/1.0"))
	}
	method, target, version := parts[0], parts[1], parts[2]
	if !isToken(method) {
		return fail(badReq("Start line is invalid", "HTTP/1.0"))
	}
	if strings.ToUpper(method) != method {
		return fail(badReq(`Malformed HTTP method "`+method+`"`, "HTTP/1.0"))
	}
	if len(version) != 8 || !strings.HasPrefix(version, "HTTP/") || version[6] != '.' ||
		version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9' {
		return fail(badReq("Start line is invalid", "HTTP/1.0"))
	}
	if version[5] != '1' {
		return fail(&httpError{505, `Unsupported HTTP version "` + version[5:] + `"`, "HTTP/1.1"})
	}
	proto := "HTTP/1.1"
	if version[7] == '0' {
		proto = "HTTP/1.0"
	}
	m.proto = proto
	m.rawTarget = target

	// Header lines: split on CRLF, skip empty lines, unfold, validate.
	type field struct{ name, value string }
	var fields []field
	for len(rest) > 0 {
		var l []byte
		if i := bytes.Index(rest, []byte("\r\n")); i >= 0 {
			l, rest = rest[:i], rest[i+2:]
		} else {
			l, rest = rest, nil
		}
		if len(l) == 0 {
			continue
		}
		if bytes.ContainsAny(l, "\r\n") {
			return fail(badReq(`Bare CR or LF found in header line "`+string(l)+`"`, "HTTP/1.0"))
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(fields) == 0 {
				return fail(badReq(`Malformed header line "`+string(l)+`"`, "HTTP/1.0"))
			}
			cont := trimOWS(string(l))
			if !validFieldValue(cont) {
				return fail(badReq("Invalid header", "HTTP/1.0"))
			}
			f := &fields[len(fields)-1]
			if f.value == "" {
				f.value = cont
			} else if cont != "" {
				f.value += " " + cont
			}
			continue
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return fail(badReq("Invalid header", "HTTP/1.0"))
		}
		name := string(l[:colon])
		value := trimOWS(string(l[colon+1:]))
		if !isToken(name) || !validFieldValue(value) {
			return fail(badReq("Invalid header", "HTTP/1.0"))
		}
		fields = append(fields, field{name, value})
	}

	var (
		hosts, cls, cts, tes, conns, expects []string
		out                                  bytes.Buffer
	)
	for _, f := range fields {
		if strings.IndexByte(f.name, '_') >= 0 {
			continue // dropped, as waitress does
		}
		switch {
		case strings.EqualFold(f.name, "Host"):
			hosts = append(hosts, f.value)
		case strings.EqualFold(f.name, "Content-Length"):
			cls = append(cls, f.value)
		case strings.EqualFold(f.name, "Content-Type"):
			cts = append(cts, f.value)
		case strings.EqualFold(f.name, "Transfer-Encoding"):
			tes = append(tes, f.value)
		case strings.EqualFold(f.name, "Connection"):
			conns = append(conns, f.value)
			continue
		case strings.EqualFold(f.name, "Expect"):
			expects = append(expects, f.value)
			continue
		}
		if len(hosts) > 1 || len(cls) > 1 || len(cts) > 1 {
			return fail(badReq("Duplicate header: "+f.name, "HTTP/1.0"))
		}
	}

	// Target checks.
	for i := 0; i < len(target); i++ {
		if target[i] < 0x21 || target[i] > 0x7e {
			return fail(badReq("Bad URI", proto))
		}
	}
	t := target
	if i := strings.IndexByte(t, '#'); i >= 0 {
		t = t[:i]
	}
	path := t
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '%' {
			if i+2 >= len(path) || !ishex(path[i+1]) || !ishex(path[i+2]) {
				return fail(badReq("Bad URI", proto))
			}
		}
	}
	if method == "OPTIONS" && t == "*" {
		m.star = true
		t = "/"
	}
	if t == "" {
		t = "/"
	}
	if method == "CONNECT" && !strings.HasPrefix(t, "/") {
		if _, err := url.ParseRequestURI("http://" + t); err != nil {
			return fail(badReq("Bad URI", proto))
		}
	} else if _, err := url.ParseRequestURI(t); err != nil {
		return fail(badReq("Bad URI", proto))
	}

	// Host.
	if len(hosts) == 0 && proto == "HTTP/1.1" && method != "CONNECT" {
		return fail(badReq("Missing Host header", "HTTP/1.1"))
	}
	if len(hosts) == 1 && !validHostHeader(hosts[0]) {
		return fail(badReq("Invalid Host header", proto))
	}

	// Body framing.
	chunked := false
	if len(tes) > 0 {
		if proto == "HTTP/1.1" {
			var codings []string
			for _, v := range tes {
				for _, c := range strings.Split(v, ",") {
					c = strings.ToLower(trimOWS(c))
					if c != "" {
						codings = append(codings, c)
					}
				}
			}
			n := 0
			for _, c := range codings {
				if c != "chunked" {
					return fail(&httpError{501, "Transfer-Encoding requested is not supported.", proto})
				}
				n++
			}
			if n > 1 {
				return fail(&httpError{501, "Transfer-Encoding is invalid. Multiple chunked encodings requested.", proto})
			}
			chunked = n == 1
			if chunked && len(cls) > 0 {
				m.closeAfter = true
			}
		} else {
			m.closeAfter = true
			for _, v := range tes {
				m.restore = append(m.restore, [2]string{"Transfer-Encoding", v})
			}
		}
	}
	var clen int64
	if !chunked && len(cls) == 1 {
		v := cls[0]
		if v == "" {
			return fail(badReq("Content-Length is invalid", proto))
		}
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return fail(badReq("Content-Length is invalid", proto))
			}
		}
		n, err := strconv.ParseInt(strings.TrimLeft(v, "0")+"0", 10, 64)
		if err != nil {
			return fail(&httpError{413, "exceeds max_body of " + strconv.FormatInt(maxBody, 10), proto})
		}
		clen = n / 10
		if clen >= maxBody {
			return fail(&httpError{413, "exceeds max_body of " + strconv.FormatInt(maxBody, 10), proto})
		}
	}
	m.chunked = chunked

	// Expect: net/http sees it only when it will act on it correctly.
	hasBody := chunked || clen > 0
	for _, e := range expects {
		if proto == "HTTP/1.1" && hasBody && strings.EqualFold(e, "100-continue") && len(expects) == 1 {
			out.WriteString("Expect: 100-continue\r\n")
			continue
		}
		m.restore = append(m.restore, [2]string{"Expect", e})
	}

	// The sanitized head.
	head := make([]byte, 0, len(block)+64)
	head = append(head, method...)
	head = append(head, ' ')
	head = append(head, t...)
	head = append(head, ' ')
	head = append(head, proto...)
	head = append(head, "\r\n"...)
	for _, f := range fields {
		if strings.IndexByte(f.name, '_') >= 0 {
			continue
		}
		switch {
		case strings.EqualFold(f.name, "Transfer-Encoding"), strings.EqualFold(f.name, "Content-Length"),
			strings.EqualFold(f.name, "Connection"), strings.EqualFold(f.name, "Expect"):
			continue
		}
		head = append(head, f.name...)
		head = append(head, ": "...)
		head = append(head, f.value...)
		head = append(head, "\r\n"...)
	}
	if chunked {
		head = append(head, "Transfer-Encoding: chunked\r\n"...)
	} else if clen > 0 || len(cls) == 1 {
		head = append(head, "Content-Length: "...)
		head = strconv.AppendInt(head, clen, 10)
		head = append(head, "\r\n"...)
	}
	if len(conns) > 0 {
		head = append(head, "Connection: "...)
		head = append(head, strings.Join(conns, ", ")...)
		head = append(head, "\r\n"...)
	}
	head = append(head, out.Bytes()...)
	ph.out = head
	ph.chunked = chunked
	if chunked {
		ph.clen = -1
	} else {
		ph.clen = clen
	}
	return ph
}

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
			return false
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
func validTrailerLine(l []byte) bool {
	if bytes.ContainsAny(l, "\r\n") {
		return false
	}
	if l[0] == ' ' || l[0] == '\t' {
		return validFieldValue(trimOWS(string(l)))
	}
	c := bytes.IndexByte(l, ':')
	if c <= 0 {
		return false
	}
	return isToken(string(l[:c])) && validFieldValue(trimOWS(string(l[c+1:])))
}
