package server

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/gowaitress/gowaitress/bench/benchapp"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The benchmarks below drive a gowaitress server (default options) and a
// plain net/http server with the same handler over loopback keep-alive
// connections, with the scenarios of bench/run.sh. BenchmarkServe/<scenario>/<server>
// measures one server (for -benchmem, -cpuprofile, -memprofile);
// BenchmarkServeRatio/<scenario> alternates both in the same run and
// reports gowaitress's throughput relative to net/http ("ratio", target
// ≥ 0.9) besides each server's ns/request.

type benchScenario struct {
	name     string
	conns    int
	pipeline int // requests written at once per connection
	req      []byte
}

func benchScenarios() []benchScenario {
	hello := []byte("GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n")
	upload := append([]byte("POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\nContent-Length: 65536\r\n\r\n"), bytes.Repeat([]byte("u"), 65536)...)
	return []benchScenario{
		{"hello64", 64, 1, hello},
		{"hello256", 256, 1, hello},
		{"pipelined16", 64, 16, hello},
		{"big1MiB", 64, 1, []byte("GET /big HTTP/1.1\r\nHost: bench\r\n\r\n")},
		{"upload64KiB", 64, 1, upload},
	}
}

// benchServers starts both servers; stop shuts them down.
func benchServers(b *testing.B) (gw, nh string, stop func()) {
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	o.Logger = zap.NewNop()
	o.ConnectionLimit = 1000
	s, err := New(benchapp.Handler(), o)
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: benchapp.Handler()}
	go hs.Serve(ln)
	return s.Addrs()[0].String(), ln.Addr().String(), func() {
		s.Close()
		hs.Close()
	}
}

// benchClient is one keep-alive connection with a minimal HTTP/1.1
// response reader (Content-Length and chunked bodies), so that the client
// costs little next to the server.
type benchClient struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
}

func dialBench(addr string, sc benchScenario) (*benchClient, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := bytes.Repeat(sc.req, sc.pipeline)
	return &benchClient{c: c, br: bufio.NewReaderSize(c, 64<<10), req: req}, nil
}

func (bc *benchClient) do(n int) error {
	if _, err := bc.c.Write(bc.req); err != nil {
		return err
	}
	for range n {
		if err := bc.readResponse(); err != nil {
			return err
		}
	}
	return nil
}

func (bc *benchClient) readResponse() error {
	clen, chunked := int64(-1), false
	first := true
	for {
		line, err := bc.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if first {
			if len(line) < 12 || string(line[9:12]) != "200" {
				return fmt.Errorf("bad status line %q", line)
			}
			first = false
			continue
		}
		if len(line) <= 2 {
			break
		}
		if i := bytes.IndexByte(line, ':'); i > 0 {
			k, v := line[:i], bytes.TrimSpace(line[i+1:])
			switch {
			case bytes.EqualFold(k, []byte("Content-Length")):
				clen, _ = strconv.ParseInt(string(v), 10, 64)
			case bytes.EqualFold(k, []byte("Transfer-Encoding")):
				chunked = true
			}
		}
	}
	if !chunked {
		_, err := bc.br.Discard(int(max(clen, 0)))
		return err
	}
	for {
		line, err := bc.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return err
		}
		if size == 0 {
			_, err = bc.br.ReadSlice('\n')
			return err
		}
		if _, err := bc.br.Discard(int(size) + 2); err != nil {
			return err
		}
	}
}

// drive makes n requests over the scenario's connections (opened before
// the clock runs when clients is given) and returns the elapsed time.
func drive(b *testing.B, clients []*benchClient, sc benchScenario, n int) time.Duration {
	var next atomic.Int64
	batches := int64((n + sc.pipeline - 1) / sc.pipeline)
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for _, bc := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= batches {
				if err := bc.do(sc.pipeline); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	return d
}

func openClients(b *testing.B, addr string, sc benchScenario) []*benchClient {
	cs := make([]*benchClient, sc.conns)
	for i := range cs {
		bc, err := dialBench(addr, sc)
		if err != nil {
			b.Fatal(err)
		}
		if err := bc.do(sc.pipeline); err != nil { // warm the connection
			b.Fatal(err)
		}
		cs[i] = bc
	}
	return cs
}

func closeClients(cs []*benchClient) {
	for _, bc := range cs {
		bc.c.Close()
	}
}

func BenchmarkServe(b *testing.B) {
	gw, nh, stop := benchServers(b)
	defer stop()
	for _, sc := range benchScenarios() {
		for _, srv := range []struct{ name, addr string }{{"gowaitress", gw}, {"nethttp", nh}} {
			b.Run(sc.name+"/"+srv.name, func(b *testing.B) {
				cs := openClients(b, srv.addr, sc)
				defer closeClients(cs)
				b.ReportAllocs()
				b.ResetTimer()
				drive(b, cs, sc, b.N)
			})
		}
	}
}

func BenchmarkServeRatio(b *testing.B) {
	gw, nh, stop := benchServers(b)
	defer stop()
	for _, sc := range benchScenarios() {
		b.Run(sc.name, func(b *testing.B) {
			ca := openClients(b, gw, sc)
			defer closeClients(ca)
			cb := openClients(b, nh, sc)
			defer closeClients(cb)
			// A B A B in rounds, so that drift in the machine's load
			// touches both servers alike.
			const rounds = 4
			per := max(b.N/rounds, 1)
			var ta, tb time.Duration
			b.ResetTimer()
			for range rounds {
				ta += drive(b, ca, sc, per)
				tb += drive(b, cb, sc, per)
			}
			total := float64(per * rounds)
			b.ReportMetric(float64(ta.Nanoseconds())/total, "gw-ns/req")
			b.ReportMetric(float64(tb.Nanoseconds())/total, "nethttp-ns/req")
			b.ReportMetric(float64(tb)/float64(ta), "ratio")
		})
	}
}
