package server

import (
	"bytes"
	"strings"
	"testing"
)

// checkFastHead fails t when fastHead accepts a head that parseHeadInto
// would reject, rewrite (other than moving Content-Length to the end and
// spelling the name of a Connection field canonically, which net/http
// does anyway) or annotate, or gives another protocol or body length.
func checkFastHead(t *testing.T, block []byte, maxBody int64) string {
	t.Helper()
	proto, clen := fastHead(block, maxBody)
	if proto == "" {
		if clen != 0 {
			t.Fatalf("fastHead(%q) refused the head with a body length %d", block, clen)
		}
		return ""
	}
	// What parseHeadInto makes of a head it passes on: the fields in
	// order, except that Content-Length goes last.
	var want []byte
	var cl []byte
	for i, l := range bytes.Split(block, []byte("\r\n")) {
		if i > 0 && len(l) > 15 && strings.EqualFold(string(l[:15]), "content-length:") {
			cl = l[16:]
			continue
		}
		if i > 0 && len(l) > 11 && strings.EqualFold(string(l[:11]), "connection:") {
			l = append([]byte("Connection"), l[10:]...)
		}
		want = append(append(want, l...), "\r\n"...)
	}
	if cl != nil {
		want = append(append(append(want, "Content-Length: "...), cl...), "\r\n"...)
	}
	for _, lazy := range []bool{true, false} {
		var m reqMeta
		ph := parseHeadInto(&m, nil, block, maxBody, lazy)
		out := ph.out
		if lazy && out == nil {
			out = append(block, "\r\n"...)
		}
		switch {
		case m.err != nil:
			t.Fatalf("fastHead accepted %q, parseHeadInto answers %d %q", block, m.err.code, m.err.detail)
		case !m.trivial():
			t.Fatalf("fastHead accepted %q, parseHeadInto has something to tell the channel: %+v", block, m)
		case string(out) != string(want):
			t.Fatalf("fastHead accepted %q, parseHeadInto (lazy %v) passes on %q", block, lazy, out)
		case ph.clen != clen || ph.chunked:
			t.Fatalf("fastHead(%q) body length %d, parseHeadInto %d (chunked %v)", block, clen, ph.clen, ph.chunked)
		case m.proto != proto:
			t.Fatalf("fastHead(%q) = %q, parseHeadInto says %q", block, proto, m.proto)
		}
	}
	return proto
}

var fastHeadCases = []struct {
	name, head string
	want       string // "": left to the full parser
}{
	{"wrk", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080", "HTTP/1.1"},
	{"curl", "GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: localhost:6543\r\nUser-Agent: curl/8.5.0\r\nAccept: */*", "HTTP/1.1"},
	{"browser", "GET /static/app.css HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
		"Accept: text/css,*/*;q=0.1\r\nAccept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Referer: https://example.com/\r\nCookie: a=b; c=d\r\nSec-Fetch-Dest: style\r\nIf-None-Match: \"abc\"", "HTTP/1.1"},
	{"HTTP/1.0 without Host", "GET / HTTP/1.0", "HTTP/1.0"},
	{"HTTP/1.0 with Host", "HEAD /x HTTP/1.0\r\nHost: a", "HTTP/1.0"},
	{"IPv6 host", "GET / HTTP/1.1\r\nHost: [::1]:8080", "HTTP/1.1"},
	{"empty value", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty: ", "HTTP/1.1"},
	{"obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX-T: caf\xc3\xa9", "HTTP/1.1"},
	{"DELETE", "DELETE /items/1 HTTP/1.1\r\nHost: a", "HTTP/1.1"},

	{"no Host", "GET / HTTP/1.1\r\nAccept: */*", ""},
	{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b", ""},
	{"bad Host", "GET / HTTP/1.1\r\nHost: a b", ""},
	{"lower-case method", "get / HTTP/1.1\r\nHost: a", ""},
	{"absolute target", "GET http://a/ HTTP/1.1\r\nHost: a", ""},
	{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a", ""},
	{"fragment", "GET /a#b HTTP/1.1\r\nHost: a", ""},
	{"bad escape", "GET /%zz HTTP/1.1\r\nHost: a", ""},
	{"short escape", "GET /a%4 HTTP/1.1\r\nHost: a", ""},
	{"HTTP/1.2", "GET / HTTP/1.2\r\nHost: a", ""},
	{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a", ""},
	{"trailing space", "GET / HTTP/1.1 \r\nHost: a", ""},
	{"two spaces", "GET  / HTTP/1.1\r\nHost: a", ""},
	{"underscore", "GET / HTTP/1.1\r\nHost: a\r\nX_Foo: 1", ""},
	{"no space after colon", "GET / HTTP/1.1\r\nHost:a", ""},
	{"two spaces after colon", "GET / HTTP/1.1\r\nHost:  a", ""},
	{"trailing whitespace", "GET / HTTP/1.1\r\nHost: a\t", ""},
	{"continuation", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2", ""},
	{"bare LF", "GET / HTTP/1.1\nHost: a", ""},
	{"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r2", ""},
	{"control byte", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x012", ""},
	{"empty line", "GET / HTTP/1.1\r\nHost: a\r\n\r\nX-A: 1", ""},
	{"wrk upload", "POST /upload HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 65536\r\nContent-Type: application/octet-stream", "HTTP/1.1"},
	{"Content-Length first", "POST / HTTP/1.1\r\ncontent-length: 5\r\nHost: a", "HTTP/1.1"},
	{"Content-Length 0", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0", "HTTP/1.1"},
	{"Content-Type without body", "GET / HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain", "HTTP/1.1"},
	{"Content-Length below the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048575", "HTTP/1.1"},
	{"Content-Length at the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576", ""},
	{"Content-Length leading zero", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05", ""},
	{"Content-Length sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5", ""},
	{"Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ", ""},
	{"Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5", ""},
	{"two Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5", ""},
	{"Content-Length 19 digits", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000000000000", ""},
	{"two Content-Types", "POST / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\nContent-Type: b", ""},
	{"Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked", ""},
	{"Expect", "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue", ""},
	{"Connection close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close", "HTTP/1.1"},
	{"browser keep-alive", "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n" +
		"connection: keep-alive\r\nUpgrade-Insecure-Requests: 1", "HTTP/1.1"},
	{"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: a", "HTTP/1.0"},
	{"two Connections", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: Upgrade", ""},
	{"Connection with whitespace", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close ", ""},
	{"Forwarded", "GET / HTTP/1.1\r\nHost: a\r\nforwarded: for=1.2.3.4", ""},
	{"X-Forwarded-For", "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4", ""},
	{"X-Forwarded-Proto", "GET / HTTP/1.1\r\nHost: a\r\nX-FORWARDED-PROTO: https", ""},
	{"X-Forwarded-Host", "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Host: b", ""},
	{"X-Forwarded-Port", "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Port: 1", ""},
	{"X-Forwarded-By", "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-By: 1.2.3.4", ""},
	{"ends with CRLF", "GET / HTTP/1.1\r\nHost: a\r\n", ""},
}

// TestFastHead: the common heads take the fast path, the others are left
// to the full parser, and every head taken is one parseHeadInto passes on
// unchanged.
func TestFastHead(t *testing.T) {
	for _, tc := range fastHeadCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkFastHead(t, []byte(tc.head), 1<<20); got != tc.want {
				t.Errorf("fastHead(%q) = %q, want %q", tc.head, got, tc.want)
			}
		})
	}
}

// FuzzFastHead checks, for arbitrary header blocks, that fastHead never
// accepts a head the full parser would treat otherwise.
//
//	go test ./server -run '^$' -fuzz FuzzFastHead -fuzztime 2m
func FuzzFastHead(f *testing.F) {
	for _, tc := range fastHeadCases {
		f.Add([]byte(tc.head))
	}
	for _, raw := range conformanceRaws(1 << 16) {
		if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
			raw = raw[:i]
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		if bytes.Contains(block, []byte("\r\n\r\n")) {
			return // the connection layer never passes such a block
		}
		checkFastHead(t, block, 1000)
		checkFastHead(t, block, 1<<62)
	})
}
