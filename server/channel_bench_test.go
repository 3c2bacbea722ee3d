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
