package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FuzzFeed drives the connection layer's parser (conn.feed) with arbitrary
// bytes, delivered in reads of a fuzzed size, and checks what it passes on
// to net/http:
//   - it never panics;
//   - net/http parses every request it passed on: a request net/http
//     rejected would get net/http's own 400 instead of waitress's answer;
//   - the requests end where the connection layer says they end: after the
//     last request's body there are no bytes left for net/http to read as
//     another request (a framing disagreement between the two parsers is
//     how requests are smuggled).
//
// Seeds: every raw request of the HTTP conformance cases.
//
//	go test ./server -run '^$' -fuzz FuzzFeed -fuzztime 60s
func FuzzFeed(f *testing.F) {
	for _, raw := range conformanceRaws(1 << 16) {
		f.Add(uint8(0), false, raw)
	}
	f.Add(uint8(7), true, []byte("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add(uint8(3), false, []byte("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, step uint8, small bool, data []byte) {
		o := DefaultOptions()
		o.RequestHeaderTimeout = 0 // no socket to set a deadline on
		if small {
			// The size limits' paths (431, 413) within short inputs.
			o.MaxRequestHeaderSize = 256
			o.MaxRequestBodySize = 64
		}
		c := &conn{srv: &Server{opts: o}}
		c.ensure()
		in := data
		for len(in) > 0 && c.st != stDead {
			n := len(in)
			if step > 0 {
				n = min(n, int(step))
			}
			c.feed(in[:n])
			in = in[n:]
		}
		stream := c.out[c.outOff:]
		queued := int(c.queued.Load())
		br := bufio.NewReader(bytes.NewReader(stream))
		for i := range queued {
			last := i == queued-1
			req, err := http.ReadRequest(br)
			if err != nil {
				t.Fatalf("request %d of %d: net/http rejects what the connection layer passed on: %v\ninput %q\npassed on %q", i+1, queued, err, data, stream)
			}
			var m *reqMeta
			if v := req.Header[metaHeader]; len(v) == 1 {
				id, _ := strconv.ParseUint(v[0], 10, 64)
				m = c.takeMeta(id)
				if m == nil {
					t.Fatalf("request %d: no meta %s", i+1, v[0])
				}
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				// Only the last request's body may end early: the input
				// ended inside it, or its framing was found invalid.
				if last && (c.st != stHead || m != nil && m.bodyErr != nil) {
					return
				}
				t.Fatalf("request %d of %d: body: %v\ninput %q\npassed on %q", i+1, queued, err, data, stream)
			}
			if last && c.st == stHead {
				if _, err := br.Peek(1); !errors.Is(err, io.EOF) {
					rest, _ := io.ReadAll(br)
					t.Fatalf("%d bytes after the last of %d requests: %q\ninput %q\npassed on %q", len(rest), queued, rest, data, stream)
				}
			}
		}
		if queued == 0 && len(stream) > 0 {
			t.Fatalf("bytes passed on without a request: %q", stream)
		}
	})
}

// conformanceRaws returns the bytes each HTTP conformance case sends (its
// sends joined, repeats expanded), those of at most limit bytes: fuzz seeds.
func conformanceRaws(limit int) [][]byte {
	data, err := os.ReadFile("testdata/conformance/http/cases.json")
	if err != nil {
		return nil
	}
	var cf confFile
	if json.Unmarshal(data, &cf) != nil {
		return nil
	}
	var raws [][]byte
	for _, cs := range cf.Cases {
		var b strings.Builder
		for _, s := range cs.Send {
			b.WriteString(strings.Repeat(s.Data, max(s.Repeat, 1)))
		}
		if b.Len() <= limit {
			raws = append(raws, []byte(b.String()))
		}
	}
	return raws
}
