package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// parkedConns returns how many of s's connections are parked.
func parkedConns(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.park.Load() == parkWaiting {
			n++
		}
	}
	return n
}

// TestParkAndRevive: a keep-alive connection idle for parkAfter is parked
// (net/http's goroutine for it ends) and its next requests, pipelined
// ones included, are answered on the same connection as before.
func TestParkAndRevive(t *testing.T) {
	s, addr, _ := testServer(t, DefaultOptions(), probeApp(), nil)
	c := dial(t, "tcp", addr)
	br := bufio.NewReader(c)
	if resp, _ := roundTrip(t, c, br, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	waitFor(t, "the connection to park", func() bool { return parkedConns(s) == 1 })
	if st := s.Stats(); st.OpenConnections != 1 {
		t.Errorf("a parked connection counts as open: %d open", st.OpenConnections)
	}
	// Two pipelined requests revive it.
	io.WriteString(c, "GET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"/two", "/three"} {
		resp, body := roundTrip(t, c, br, "")
		if resp.StatusCode != 200 || !strings.Contains(body, `"path":"`+want+`"`) {
			t.Fatalf("after revival: %d %s, want %s", resp.StatusCode, body, want)
		}
	}
	if parkedConns(s) != 0 {
		t.Error("still parked after answering")
	}
	// Parked again, and again revived.
	waitFor(t, "the connection to park again", func() bool { return parkedConns(s) == 1 })
	if resp, body := roundTrip(t, c, br, "POST /four HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"); resp.StatusCode != 200 || !strings.Contains(body, `"body":"abc"`) {
		t.Fatalf("second revival: %d %s", resp.StatusCode, body)
	}
}

// TestParkedClientCloses: when the client closes a parked connection the
// server closes its side and stops counting it.
func TestParkedClientCloses(t *testing.T) {
	s, addr, _ := testServer(t, DefaultOptions(), probeApp(), nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "the connection to park", func() bool { return parkedConns(s) == 1 })
	c.Close()
	waitFor(t, "the server to close it", func() bool { return s.Stats().OpenConnections == 0 })
}

// TestNotParked: a request head arriving slowly, a slow upload and an app
// running longer than parkAfter are never parked: each completes, and the
// app's request context is not cancelled.
func TestNotParked(t *testing.T) {
	o := DefaultOptions()
	_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(parkAfter + 2*parkEvery)
		}
		body, _ := io.ReadAll(r.Body)
		if err := r.Context().Err(); err != nil {
			io.WriteString(w, "context: "+err.Error())
			return
		}
		io.WriteString(w, "ok "+string(body))
	}), nil)
	pause := parkAfter + 2*parkEvery
	for _, tc := range []struct {
		name   string
		first  string
		second string
		want   string
	}{
		{"head in two parts", "GET / HTTP/1.1\r\nHo", "st: x\r\n\r\n", "ok "},
		{"body in two parts", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab", "cd", "ok abcd"},
		{"slow app", "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", "", "ok "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, "tcp", addr)
			io.WriteString(c, tc.first)
			time.Sleep(pause)
			resp, body := roundTrip(t, c, bufio.NewReader(c), tc.second)
			if resp.StatusCode != 200 || body != tc.want {
				t.Errorf("%d %q, want 200 %q", resp.StatusCode, body, tc.want)
			}
		})
	}
}

// TestParkedAtShutdownAndSweep: Shutdown closes parked connections at once
// (they are idle), and the sweeper's channel_timeout closes them too.
func TestParkedAtShutdownAndSweep(t *testing.T) {
	t.Run("shutdown", func(t *testing.T) {
		s, addr, _ := testServer(t, DefaultOptions(), probeApp(), nil)
		c := dial(t, "tcp", addr)
		roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		waitFor(t, "the connection to park", func() bool { return parkedConns(s) == 1 })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Shutdown took %v with a parked connection", d)
		}
		expectClosed(t, c, 2*time.Second)
	})
	t.Run("channel_timeout", func(t *testing.T) {
		o := DefaultOptions()
		o.ChannelTimeout = 2 * time.Second
		o.CleanupInterval = 500 * time.Millisecond
		s, addr, _ := testServer(t, o, probeApp(), nil)
		c := dial(t, "tcp", addr)
		roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		waitFor(t, "the connection to park", func() bool { return parkedConns(s) == 1 })
		expectClosed(t, c, 5*time.Second)
		waitFor(t, "no open connection", func() bool { return s.Stats().OpenConnections == 0 })
	})
}
