package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// named answers every request with its name.
func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
}

// startServer creates a server for h with o (no logging) and serves it;
// the channel gets Serve's result.
func startServer(t *testing.T, h http.Handler, o Options) (*Server, <-chan error) {
	t.Helper()
	o.Logger = zap.NewNop()
	s, err := New(h, o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	return s, done
}

// boundSocket returns the descriptor of a TCP socket bound to a loopback
// port, not listening: what a process manager passes to a server.
func boundSocket(t *testing.T) int {
	t.Helper()
	fd, err := sysSocket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	return fd
}

// serveInBackground serves s until the test ends.
func serveInBackground(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// get sends one request on a new connection and returns the body.
func get(t *testing.T, network, addr string) string {
	t.Helper()
	c := dial(t, network, addr)
	defer c.Close()
	_, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	return body
}

func refused(network, addr string) bool {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err == nil {
		c.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT)
}

// shutdownAsync starts a graceful Shutdown of s (10 s at most); the channel
// gets its result.
func shutdownAsync(s *Server) <-chan error {
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.Shutdown(ctx)
	}()
	return stopped
}

func shutdown(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestHandoverTCP: the sockets whose address is unchanged are taken over
// (the same port, also for port 0, still answering after the old server is
// shut down), dropped ones close with the old server, new ones are bound.
func TestHandoverTCP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []string
		after  []string
		kept   map[int]int // before index -> after index
	}{
		{"same listen", []string{"127.0.0.1:0"}, []string{"127.0.0.1:0"}, map[int]int{0: 0}},
		{"one kept, one dropped, one added", []string{"127.0.0.1:0", "127.0.0.2:0"}, []string{"127.0.0.3:0", "127.0.0.1:0"}, map[int]int{0: 1}},
		{"all changed", []string{"127.0.0.2:0"}, []string{"127.0.0.3:0"}, map[int]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oa := DefaultOptions()
			oa.Listen = tc.before
			a, done := startServer(t, named("A"), oa)
			before := a.Addrs()
			for _, ad := range before {
				if got := get(t, "tcp", ad.String()); got != "A" {
					t.Fatalf("%s before: %q", ad, got)
				}
			}
			ob := oa
			ob.Listen = tc.after
			ob.Threads = 2 // a changed setting, as a reload brings
			b, err := a.Handover(named("B"), ob)
			if err != nil {
				t.Fatal(err)
			}
			serveInBackground(t, b)
			after := b.Addrs()
			shutdown(t, a)
			if err := <-done; err != nil {
				t.Errorf("old Serve: %v", err)
			}
			for i, ad := range before {
				j, ok := tc.kept[i]
				switch {
				case ok && after[j].String() != ad.String():
					t.Errorf("kept socket %s became %s", ad, after[j])
				case !ok && !refused("tcp", ad.String()):
					t.Errorf("%s still accepts after the old server stopped", ad)
				}
			}
			for _, ad := range after {
				if got := get(t, "tcp", ad.String()); got != "B" {
					t.Errorf("%s after: %q", ad, got)
				}
			}
		})
	}
}

// TestHandoverKeepsBacklogAndInFlight: a client waiting in the backlog
// (the old server at connection_limit) is served by the new server, and a
// request in flight on the old one completes during its Shutdown.
func TestHandoverKeepsBacklogAndInFlight(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	oa := DefaultOptions()
	oa.Listen = []string{"127.0.0.1:0"}
	oa.ConnectionLimit = 1
	a, done := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "A slow")
	}), oa)
	addr := a.Addrs()[0].String()
	c1 := dial(t, "tcp", addr)
	io.WriteString(c1, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-entered
	c2 := dial(t, "tcp", addr) // waits in the backlog: A is at its limit
	io.WriteString(c2, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	expectNoResponse(t, c2, 300*time.Millisecond)

	ob := oa
	ob.ConnectionLimit = 10
	b, err := a.Handover(named("B"), ob)
	if err != nil {
		t.Fatal(err)
	}
	serveInBackground(t, b)
	if _, body := roundTrip(t, c2, bufio.NewReader(c2), ""); body != "B" {
		t.Errorf("the client in the backlog got %q, want B", body)
	}
	stopped := shutdownAsync(a)
	waitFor(t, "the old server to drain", func() bool { return a.Stats().Draining })
	if a.Draining(false) {
		t.Error("Draining reports the replaced server as going away (health checks would fail during a reload)")
	}
	close(release)
	resp, body := roundTrip(t, c1, bufio.NewReader(c1), "")
	if body != "A slow" || !resp.Close {
		t.Errorf("in-flight request: %q (close %v), want A slow and Connection: close", body, resp.Close)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("old Serve: %v", err)
	}
	if got := get(t, "tcp", addr); got != "B" {
		t.Errorf("after the old server stopped: %q", got)
	}
}

// TestHandoverFreshConnection: a connection the old server accepted just
// before its Shutdown, whose request has not arrived yet, is served rather
// than closed (a plain Shutdown closes such connections at once).
func TestHandoverFreshConnection(t *testing.T) {
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	a, done := startServer(t, named("A"), o)
	c := dial(t, "tcp", a.Addrs()[0].String())
	waitFor(t, "the old server to accept", func() bool { return a.Stats().OpenConnections == 1 })
	b, err := a.Handover(named("B"), o)
	if err != nil {
		t.Fatal(err)
	}
	serveInBackground(t, b)
	stopped := shutdownAsync(a)
	waitFor(t, "the old server to drain", func() bool { return a.Stats().Draining })
	time.Sleep(100 * time.Millisecond)
	if _, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); body != "A" {
		t.Errorf("got %q, want A", body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	<-done
}

// TestHandoverBacklogOption: a taken-over socket gets the new backlog.
func TestHandoverBacklogOption(t *testing.T) {
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	o.Backlog = 2
	o.Logger = zap.NewNop()
	a, err := New(http.NotFoundHandler(), o) // never Serve: nothing accepts
	if err != nil {
		t.Fatal(err)
	}
	o.Backlog = 5
	b, err := a.Handover(http.NotFoundHandler(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Addrs()[0].String() != a.Addrs()[0].String() {
		t.Fatalf("new address %s, want %s", b.Addrs()[0], a.Addrs()[0])
	}
	a.Close() // closes only a's descriptor of the socket
	if got := handshakes(t, b.Addrs()[0].String(), 10); got != 6 {
		t.Errorf("%d connections completed the handshake, want 6 (backlog 5 + 1)", got)
	}
}

// TestHandoverUnixSocket: the socket file stays (the old server does not
// remove it), new unix_socket_perms apply, the new server answers on it.
func TestHandoverUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	o := DefaultOptions()
	o.UnixSocket = path
	o.UnixSocketPerms = 0o600
	a, _ := startServer(t, named("A"), o)
	if got := get(t, "unix", path); got != "A" {
		t.Fatalf("before: %q", got)
	}
	o.UnixSocketPerms = 0o660
	b, err := a.Handover(named("B"), o)
	if err != nil {
		t.Fatal(err)
	}
	go b.Serve()
	shutdown(t, a)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the old server removed the socket file: %v", err)
	}
	if fi.Mode().Perm() != 0o660 {
		t.Errorf("mode %v, want 0660", fi.Mode().Perm())
	}
	if got := get(t, "unix", path); got != "B" {
		t.Errorf("after: %q", got)
	}
	shutdown(t, b)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left after the new server stopped: %v", err)
	}
}

// TestHandoverInheritedSocket: an inherited descriptor (closed once the
// first server made its listener) is taken over by its number.
func TestHandoverInheritedSocket(t *testing.T) {
	o := DefaultOptions()
	o.Sockets = []int{boundSocket(t)}
	a, _ := startServer(t, named("A"), o)
	addr := a.Addrs()[0].String()
	o.Threads = 1
	b, err := a.Handover(named("B"), o)
	if err != nil {
		t.Fatal(err)
	}
	serveInBackground(t, b)
	shutdown(t, a)
	if got := get(t, "tcp", addr); got != "B" {
		t.Errorf("after: %q", got)
	}
}

// TestHandoverBindError: when the new options cannot be bound, Handover
// fails and the old server keeps every socket (and closes them itself).
func TestHandoverBindError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	a, done := startServer(t, named("A"), o)
	addr := a.Addrs()[0].String()
	o.Listen = []string{"127.0.0.1:0", busy.Addr().String()}
	if _, err := a.Handover(named("B"), o); err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("Handover onto a busy port: %v", err)
	}
	if got := get(t, "tcp", addr); got != "A" {
		t.Errorf("after the failed handover: %q", got)
	}
	shutdown(t, a)
	<-done
	if !refused("tcp", addr) {
		t.Error("the old server's socket is still open after its Shutdown")
	}
}

// handshakes dials addr up to max times without anything accepting and
// returns how many connections completed the TCP handshake.
func handshakes(t *testing.T, addr string, max int) int {
	t.Helper()
	n := 0
	for range max {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
		n++
	}
	return n
}

// TestHandoverChainUnderLoad: clients that open a new connection for every
// request see no failure while the server is replaced many times in a row
// (as the CLI does on SIGHUP: Handover, the successor serves, the old
// server stops accepting, then shuts down). A connection the old server
// accepts while it stops accepting must be served, not dropped.
func TestHandoverChainUnderLoad(t *testing.T) {
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	cur, done := startServer(t, named("0"), o)
	addr := cur.Addrs()[0].String()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := freshGet(addr); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	const handovers = 30
	for i := 1; i <= handovers; i++ {
		time.Sleep(10 * time.Millisecond)
		next, err := cur.Handover(named(strconv.Itoa(i)), o)
		if err != nil {
			t.Fatal(err)
		}
		nextDone := make(chan error, 1)
		go func() { nextDone <- next.Serve() }()
		cur.StopAccepting()
		stopped := shutdownAsync(cur)
		go func(d <-chan error) { <-stopped; <-d }(done)
		cur, done = next, nextDone
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	shutdown(t, cur)
	<-done
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed across %d handovers; first: %v", n, n+ok.Load(), handovers, firstErr.Load())
	}
	t.Logf("%d requests across %d handovers", ok.Load(), handovers)
}

// freshGet sends one request on a new connection and checks that a
// complete 200 response comes back.
func freshGet(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}
