package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// trickle opens n connections that each send one header byte every period
// and never finish their header; it returns how many the server closed.
func trickle(t *testing.T, addr string, n int, period time.Duration, stop <-chan struct{}) (closed *atomic.Int32, wg *sync.WaitGroup) {
	closed = new(atomic.Int32)
	wg = new(sync.WaitGroup)
	head := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("trickler %d: %v", i, err)
		}
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			defer c.Close()
			gone := make(chan struct{})
			go func() { // notice the server closing us
				io.Copy(io.Discard, c)
				close(gone)
			}()
			for j := 0; ; j++ {
				b := byte('a')
				if j < len(head) {
					b = head[j]
				}
				c.Write([]byte{b})
				select {
				case <-gone:
					closed.Add(1)
					return
				case <-stop:
					return
				case <-time.After(period):
				}
			}
		}(c)
	}
	return closed, wg
}

// TestSlowClients is the slow-client scenario: with connection_limit
// 2000, 1,000 connections trickling a header byte every 2 s do not keep a
// client that sends a request every 250 ms from being answered; with the
// default connection_limit the trickling connections are closed at the
// request header deadline (1 s here instead of the 30 s default, to keep the
// test short) and the limiter logs both transitions.
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("slow-client scenario takes a few seconds")
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	t.Run("room left: probe always answered", func(t *testing.T) {
		o := DefaultOptions()
		o.ConnectionLimit = 2000
		_, addr, _ := testServer(t, o, ok, nil)
		stop := make(chan struct{})
		closed, wg := trickle(t, addr, 1000, 2*time.Second, stop)
		c := dial(t, "tcp", addr)
		br := bufio.NewReader(c)
		for i := 0; i < 12; i++ {
			start := time.Now()
			resp, body := roundTrip(t, c, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp.StatusCode != 200 || body != "ok" || time.Since(start) > 2*time.Second {
				t.Fatalf("probe %d: %d %q after %v", i, resp.StatusCode, body, time.Since(start))
			}
			time.Sleep(250 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		if n := closed.Load(); n != 0 {
			t.Errorf("%d trickling connections closed before the header deadline", n)
		}
	})
	t.Run("default limit: header deadline frees the server", func(t *testing.T) {
		o := DefaultOptions() // connection_limit = 100
		o.RequestHeaderTimeout = time.Second
		_, addr, logs := testServer(t, o, ok, nil)
		stop := make(chan struct{})
		defer close(stop)
		closed, _ := trickle(t, addr, 100, 300*time.Millisecond, stop)
		waitFor(t, "limit reached", func() bool {
			return hasLog(logs, "waitress", "total open connections reached the connection limit")
		})
		c := dial(t, "tcp", addr) // waits in the backlog
		resp, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("probe: %d %q", resp.StatusCode, body)
		}
		waitFor(t, "tricklers closed", func() bool { return closed.Load() == 100 })
		waitFor(t, "listening again", func() bool {
			return hasLog(logs, "waitress", "total open connections dropped below the connection limit, listening again")
		})
	})
}
