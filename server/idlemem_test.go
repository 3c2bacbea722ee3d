package server

import (
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
	"unsafe"

	"github.com/gowaitress/gowaitress/bench/benchapp"
	"go.uber.org/zap"
)

// A parked keep-alive connection holds a conn and nothing else of ours (no
// buffer, no parser state). The struct stays in the 224-byte size class:
// small, and a class that no per-request allocation uses (a long-lived conn
// among per-request garbage of its class would keep partly used spans
// alive; header-map groups, for one, are 352 bytes).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n <= 208 || n > 224 {
		t.Errorf("conn is %d bytes, want 209..224 (per idle connection, size class 224)", n)
	}
}

func TestUnixNano(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, 0},
		{time.Unix(1, 0), 1e9}, // net/http's aLongTimeAgo
		{time.Unix(0, 0), 1},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{now, now.UnixNano()},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 1<<63 - 1},
	} {
		if got := unixNano(tc.t); got != tc.want {
			t.Errorf("unixNano(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}

// BenchmarkIdleConnMemory holds idle keep-alive connections (one request
// made on each, as bench/cmd/idleconns does) to a gowaitress server and to a
// plain net/http server in turn, A B A B after a warm-up run, and reports
// the memory each holds per connection: live heap plus goroutine stacks
// after GC. The client's side of the connections, in the same process, is
// included alike for both (about 0.5 KB). "ratio" is gowaitress over
// net/http (target ≤ 1); it is reported, not asserted. The runtime keeps the
// goroutine descriptors of ended goroutines for reuse, so every measured
// run follows a warm-up that ended as many goroutines.
//
//	go test ./server -run '^$' -bench IdleConnMemory -benchtime 1x
func BenchmarkIdleConnMemory(b *testing.B) {
	const n, rounds = 2000, 2
	gwServer := func(ln net.Listener) func() {
		ln.Close()
		o := DefaultOptions()
		o.Listen = []string{ln.Addr().String()}
		o.Logger = zap.NewNop()
		o.ConnectionLimit = n + 100
		s, err := New(benchapp.Handler(), o)
		if err != nil {
			b.Fatal(err)
		}
		go s.Serve()
		return func() { s.Close() }
	}
	nhServer := func(ln net.Listener) func() {
		hs := &http.Server{Handler: benchapp.Handler()}
		go hs.Serve(ln)
		return func() { hs.Close() }
	}
	idleMem(b, n, gwServer) // warm-up
	var gw, nh float64
	for range rounds {
		gw += idleMem(b, n, gwServer) / rounds
		nh += idleMem(b, n, nhServer) / rounds
	}
	b.ReportMetric(gw, "gw-B/conn")
	b.ReportMetric(nh, "nethttp-B/conn")
	b.ReportMetric(gw/nh, "ratio")
}

// idleMem starts a server with start, opens n idle keep-alive connections
// to it and returns the memory (live heap and stacks) per connection.
func idleMem(b *testing.B, n int, start func(net.Listener) func()) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	base := runtime.NumGoroutine()
	stop := start(ln)
	defer func() { // wait for the server's goroutines to end (lingering closes)
		stop()
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	before := memInUse()
	conns := make([]net.Conn, 0, n)
	defer func() { // before the server stops
		for _, c := range conns {
			c.Close()
		}
	}()
	var buf [512]byte
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
			b.Fatal(err)
		}
		got := 0
		for got < 12 || string(buf[got-12:got]) != "Hello world\n" {
			k, err := c.Read(buf[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += k
		}
	}
	// Idle for 2 s, as keep-alive connections between a browser's page
	// loads: gowaitress parks a connection idle for parkAfter.
	time.Sleep(parkAfter + parkEvery + 500*time.Millisecond)
	after := memInUse()
	return (float64(after) - float64(before)) / float64(n)
}

func memInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}
