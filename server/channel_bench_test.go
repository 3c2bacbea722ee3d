package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/gowaitress/gowaitress/bench/benchapp"
	"github.com/gowaitress/gowaitress/environ"
	"go.uber.org/zap"
)

// discardRW is a minimal http.ResponseWriter standing in for net/http's.
type discardRW struct {
	h    http.Header
	code int
	n    int
}

func (w *discardRW) Header() http.Header         { return w.h }
func (w *discardRW) WriteHeader(code int)        { w.code = code }
func (w *discardRW) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkChannel measures the channel layer's own CPU per hello request
// (no sockets): serveChannel around the bench handler, against the handler
// called directly ("direct"), on the same stand-in response writer.
func BenchmarkChannel(b *testing.B) {
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	o.Logger = zap.NewNop()
	h := benchapp.Handler()
	s, err := New(h, o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := &conn{srv: s}
	c.ctx = connCtx{Context: environ.NewContext(context.Background(), environ.Facts{Scheme: "http", ServerName: "waitress.invalid", ServerPort: "8080"}), c: c}
	u := &url.URL{Path: "/hello"}
	w := &discardRW{h: http.Header{}}
	r := &http.Request{Method: "GET", URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Host: "bench", Body: http.NoBody, RequestURI: "/hello", RemoteAddr: "127.0.0.1:5000"}
	r = r.WithContext(&c.ctx)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"direct", h}, {"channel", channel{s}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				*u = url.URL{Path: "/hello"}
				c.queued.Add(1)
				tc.h.ServeHTTP(w, r)
			}
		})
	}
}

// benchHeads are typical request heads: wrk's hello and upload requests,
// and a browser's.
var benchHeads = []struct{ name, head string }{
	{"wrk", "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:18080"},
	{"upload", "POST /upload HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nContent-Length: 65536\r\nContent-Type: application/octet-stream"},
	{"browser", "GET /static/app.js?v=3 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nReferer: https://example.com/\r\nConnection: keep-alive\r\nCookie: session=0123456789abcdef\r\nSec-Fetch-Dest: script"},
}

// BenchmarkParseHead is the connection layer's validation of a typical
// head without sockets.
func BenchmarkParseHead(b *testing.B) {
	for _, tc := range benchHeads {
		b.Run(tc.name, func(b *testing.B) {
			block := []byte(tc.head)
			dst := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				var m reqMeta
				parseHeadInto(&m, dst, block, 1<<30, false)
			}
		})
	}
}

// BenchmarkFastHead is fastHead, the path these heads take, alone.
func BenchmarkFastHead(b *testing.B) {
	for _, tc := range benchHeads {
		b.Run(tc.name, func(b *testing.B) {
			block := []byte(tc.head)
			for b.Loop() {
				if p, _ := fastHead(block, 1<<30); p == "" {
					b.Fatal("not taken")
				}
			}
		})
	}
}
