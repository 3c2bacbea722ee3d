package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/environ"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// testServer starts a server on loopback port 0 (unless opts names other
// listeners) with an observed logger.
func testServer(t *testing.T, o Options, h http.Handler, setup func(*Server)) (*Server, string, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	o.Logger = zap.New(core)
	if o.Listen == nil && o.UnixSocket == "" && !o.socketsSet() && o.Host == nil && o.Port == nil {
		o.Listen = []string{"127.0.0.1:0"}
	}
	s, err := New(h, o)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return s, s.Addrs()[0].String(), logs
}

func dial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes req and reads one response (body included).
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, req string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, body := readResp(t, br)
	c.SetReadDeadline(time.Time{})
	return resp, body
}

// readResp reads one response (body included).
func readResp(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func hasLog(logs *observer.ObservedLogs, logger, msg string) bool {
	for _, e := range logs.All() {
		if e.LoggerName == logger && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectNoResponse checks that nothing arrives on c within d.
func expectNoResponse(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	n, err := c.Read(b[:])
	if n > 0 || err == nil {
		t.Fatalf("got a byte, want nothing for %v", d)
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("read: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})
}

// expectClosed checks that the server closes c within d (EOF or reset).
func expectClosed(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	got, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v", d)
	}
	return string(got)
}

func TestRecvAndSendBytes(t *testing.T) {
	o := DefaultOptions()
	o.RecvBytes = 7
	o.SendBytes = 100
	var mu sync.Mutex
	var asked, got, writes []int
	body := strings.Repeat("0123456789", 500)
	_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}), func(s *Server) {
		s.readHook = func(a, n int) { mu.Lock(); asked = append(asked, a); got = append(got, n); mu.Unlock() }
		s.writeHook = func(n int) { mu.Lock(); writes = append(writes, n); mu.Unlock() }
	})
	c := dial(t, "tcp", addr)
	resp, rb := roundTrip(t, c, bufio.NewReader(c), fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	if resp.StatusCode != 200 || rb != body {
		t.Fatalf("status %d, body intact %v", resp.StatusCode, rb == body)
	}
	// The write hook runs after each system call returns: the last calls
	// (up to a sendmmsg batch of 16) can come after the client has read
	// the whole response.
	waitFor(t, fmt.Sprintf("%d socket writes of at most 100 bytes", len(body)/100), func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(writes) >= len(body)/100
	})
	mu.Lock()
	defer mu.Unlock()
	if len(asked) < len(body)/7 {
		t.Errorf("only %d socket reads for %d bytes", len(asked), len(body))
	}
	for i := range asked {
		if asked[i] != 7 || got[i] > 7 {
			t.Fatalf("read %d asked %d got %d, want asked 7", i, asked[i], got[i])
		}
	}
	for _, n := range writes {
		if n > 100 {
			t.Fatalf("socket write of %d bytes, send_bytes = 100", n)
		}
	}
}

func TestAppStartsAfterWholeBody(t *testing.T) {
	var started atomic.Bool
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Store(true)
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}), nil)
	c := dial(t, "tcp", addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
	time.Sleep(300 * time.Millisecond)
	if started.Load() {
		t.Fatal("handler started before the body was complete")
	}
	resp, b := roundTrip(t, c, bufio.NewReader(c), "67890")
	if resp.StatusCode != 200 || b != "1234567890" || !started.Load() {
		t.Fatalf("status %d body %q", resp.StatusCode, b)
	}
}

func TestSlowReaderDoesNotHoldSlot(t *testing.T) {
	o := DefaultOptions()
	o.Threads = 1
	const size = 4 << 20
	bigDone := make(chan struct{})
	_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			chunk := []byte(strings.Repeat("x", 64<<10))
			for i := 0; i < size/len(chunk); i++ {
				w.Write(chunk)
			}
			close(bigDone)
			return
		}
		io.WriteString(w, "small")
	}), nil)
	a := dial(t, "tcp", addr)
	io.WriteString(a, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case <-bigDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the big handler did not return while its client was not reading")
	}
	b := dial(t, "tcp", addr)
	resp, body := roundTrip(t, b, bufio.NewReader(b), "GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || body != "small" {
		t.Fatalf("small: %d %q", resp.StatusCode, body)
	}
	resp, body = roundTrip(t, a, bufio.NewReader(a), "")
	if len(body) != size {
		t.Fatalf("big body %d bytes, want %d", len(body), size)
	}
}

func TestConnectionLimit(t *testing.T) {
	o := DefaultOptions()
	o.ConnectionLimit = 2
	_, addr, logs := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), nil)
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	c1 := dial(t, "tcp", addr)
	roundTrip(t, c1, bufio.NewReader(c1), req)
	c2 := dial(t, "tcp", addr)
	roundTrip(t, c2, bufio.NewReader(c2), req)
	c3 := dial(t, "tcp", addr) // completes the handshake into the backlog
	io.WriteString(c3, req)
	expectNoResponse(t, c3, 500*time.Millisecond)
	if !hasLog(logs, "waitress", "total open connections reached the connection limit, no longer accepting new connections") {
		t.Error("no log line for reaching the limit")
	}
	c1.Close()
	resp, body := roundTrip(t, c3, bufio.NewReader(c3), "")
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("c3: %d %q", resp.StatusCode, body)
	}
	waitFor(t, "the listening-again log line", func() bool {
		return hasLog(logs, "waitress", "total open connections dropped below the connection limit, listening again")
	})
}

func TestSweeper(t *testing.T) {
	o := DefaultOptions()
	o.CleanupInterval = 50 * time.Millisecond
	o.ChannelTimeout = 400 * time.Millisecond
	_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(1200 * time.Millisecond)
		}
		io.ReadAll(r.Body)
		io.WriteString(w, "ok")
	}), nil)
	t.Run("stalled upload is closed", func(t *testing.T) {
		c := dial(t, "tcp", addr)
		io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
		start := time.Now()
		if got := expectClosed(t, c, 5*time.Second); got != "" {
			t.Errorf("got %q, want no response", got)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("closed after %v, before channel_timeout", d)
		}
	})
	t.Run("steady upload is not closed", func(t *testing.T) {
		// 12 pieces of recv_bytes, 100 ms apart: the upload outlasts
		// channel_timeout, but its reads keep stamping activity (full
		// reads of a streaming body included).
		c := dial(t, "tcp", addr)
		piece := strings.Repeat("u", int(DefaultRecvBytes))
		io.WriteString(c, fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 12*len(piece)))
		for i := 0; i < 12; i++ {
			if _, err := io.WriteString(c, piece); err != nil {
				t.Fatalf("piece %d: %v", i, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		resp, body := roundTrip(t, c, bufio.NewReader(c), "")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("slow app is not cut off", func(t *testing.T) {
		c := dial(t, "tcp", addr)
		resp, body := roundTrip(t, c, bufio.NewReader(c), "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("idle keep-alive is closed", func(t *testing.T) {
		c := dial(t, "tcp", addr)
		br := bufio.NewReader(c)
		roundTrip(t, c, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		expectClosed(t, c, 5*time.Second)
	})
}

func TestRequestHeaderTimeout(t *testing.T) {
	trickle := func(t *testing.T, timeout time.Duration, steps int) (closed bool) {
		o := DefaultOptions()
		o.RequestHeaderTimeout = timeout
		_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil)
		c := dial(t, "tcp", addr)
		head := "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 100)
		for i := 0; i < steps && i < len(head); i++ {
			if _, err := c.Write([]byte{head[i]}); err != nil {
				return true
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var b [1]byte
		_, err := c.Read(b[:])
		ne, ok := err.(net.Error)
		return !(ok && ne.Timeout())
	}
	if !trickle(t, 300*time.Millisecond, 30) {
		t.Error("trickling header not closed with request_header_timeout = 300ms")
	}
	if trickle(t, 0, 30) {
		t.Error("trickling header closed with request_header_timeout = 0")
	}
}

func TestBacklog(t *testing.T) {
	queued := func(backlog int) int {
		o := DefaultOptions()
		o.Listen = []string{"127.0.0.1:0"}
		o.Backlog = backlog
		o.Logger = zap.NewNop()
		s, err := New(http.NotFoundHandler(), o) // never Serve: nothing accepts
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		addr := s.Addrs()[0].String()
		n := 0
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < backlog+5; i++ {
			c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
			if err != nil {
				break
			}
			conns = append(conns, c)
			n++
		}
		return n
	}
	for _, b := range []int{2, 5} {
		if got := queued(b); got != b+1 {
			t.Errorf("backlog %d: %d connections completed the handshake, want %d (the kernel queues backlog+1)", b, got, b+1)
		}
	}
}

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	// A stale socket file (no listener behind it) is replaced.
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	o := DefaultOptions()
	o.UnixSocket = path
	o.UnixSocketPerms = 0o640
	s, _, _ := testServer(t, o, probeApp(), nil)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("mode %v, want socket 0640", fi.Mode())
	}
	c := dial(t, "unix", path)
	resp, body := roundTrip(t, c, bufio.NewReader(c), "GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, `"remote_addr":"localhost"`) || !strings.Contains(body, `"server_port":"`+path+`"`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	// A live socket is refused.
	o2 := DefaultOptions()
	o2.UnixSocket = path
	if _, err := New(http.NotFoundHandler(), o2); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second server on a live socket: %v", err)
	}
	// A regular file is refused.
	reg := filepath.Join(dir, "file")
	os.WriteFile(reg, nil, 0o600)
	o3 := DefaultOptions()
	o3.UnixSocket = reg
	if _, err := New(http.NotFoundHandler(), o3); err == nil {
		t.Error("regular file replaced")
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Shutdown(ctx)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file not removed on shutdown: %v", err)
	}
}

func TestInheritedSocket(t *testing.T) {
	o := DefaultOptions()
	o.Sockets = []int{boundSocket(t)}
	_, addr, logs := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "inherited") }), nil)
	c := dial(t, "tcp", addr)
	if _, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); body != "inherited" {
		t.Errorf("body %q", body)
	}
	if !hasLog(logs, "waitress", "Serving on http://"+addr) {
		t.Error("no Serving on line")
	}
	o2 := DefaultOptions()
	o2.SystemdSockets = true
	t.Setenv("LISTEN_PID", "1")
	if _, err := New(http.NotFoundHandler(), o2); err == nil || !strings.Contains(err.Error(), "LISTEN_PID") {
		t.Errorf("systemd without activation: %v", err)
	}
}

func TestOutputBuffering(t *testing.T) {
	t.Run("outbuf_overflow spills to a file", func(t *testing.T) {
		o := DefaultOptions()
		o.OutbufOverflow = 1000
		o.SendBytes = 1 << 30 // nothing is pushed before the handler returns
		var spilled, inMem atomic.Bool
		_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rw := w.(*appWriter).p.Load()
			w.Write(make([]byte, 900))
			rw.mu.Lock()
			inMem.Store(rw.buf.f == nil)
			rw.mu.Unlock()
			w.Write(make([]byte, 900))
			rw.mu.Lock()
			spilled.Store(rw.buf.f != nil)
			rw.mu.Unlock()
		}), nil)
		c := dial(t, "tcp", addr)
		resp, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if !inMem.Load() || !spilled.Load() || len(body) != 1800 || resp.ContentLength != 1800 {
			t.Errorf("in memory first %v, spilled %v, body %d, CL %d", inMem.Load(), spilled.Load(), len(body), resp.ContentLength)
		}
	})
	t.Run("outbuf_high_watermark blocks the writer", func(t *testing.T) {
		o := DefaultOptions()
		o.OutbufHighWatermark = 64 << 10
		const total = 64 << 20
		var written atomic.Int64
		done := make(chan struct{})
		_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 64<<10)
			for written.Load() < total {
				n, err := w.Write(chunk)
				if err != nil {
					break
				}
				written.Add(int64(n))
			}
			close(done)
		}), nil)
		c := dial(t, "tcp", addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(500 * time.Millisecond)
		select {
		case <-done:
			t.Fatal("handler wrote 64 MiB to a client that reads nothing")
		default:
		}
		_, body := roundTrip(t, c, bufio.NewReader(c), "")
		<-done
		if len(body) != total {
			t.Errorf("body %d bytes", len(body))
		}
	})
	t.Run("flush streams", func(t *testing.T) {
		release := make(chan struct{})
		_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "first")
			w.(http.Flusher).Flush()
			<-release
			io.WriteString(w, "second")
		}), nil)
		c := dial(t, "tcp", addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first" {
			t.Fatalf("streamed %q %v", buf, err)
		}
		close(release)
		rest, _ := io.ReadAll(resp.Body)
		if string(rest) != "second" {
			t.Errorf("rest %q", rest)
		}
	})
}

func TestInbufOverflow(t *testing.T) {
	for _, tc := range []struct {
		overflow int64
		file     bool
	}{{100, true}, {1 << 20, false}} {
		o := DefaultOptions()
		o.InbufOverflow = tc.overflow
		var inFile atomic.Bool
		_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			br := r.Body.(*bodyReader)
			br.mu.Lock()
			inFile.Store(br.sp.f != nil)
			br.mu.Unlock()
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}), nil)
		body := strings.Repeat("b", 1000)
		c := dial(t, "tcp", addr)
		_, got := roundTrip(t, c, bufio.NewReader(c), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"+body)
		if got != body || inFile.Load() != tc.file {
			t.Errorf("inbuf_overflow %d: body intact %v, in a file %v", tc.overflow, got == body, inFile.Load())
		}
	}
}

func TestThreadsAndQueueLog(t *testing.T) {
	o := DefaultOptions()
	o.Threads = 1
	release := make(chan struct{})
	var running, maxRunning atomic.Int32
	_, addr, logs := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		if n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		<-release
		running.Add(-1)
	}), nil)
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c := dial(t, "tcp", addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		conns = append(conns, c)
	}
	waitFor(t, "queue depth 2", func() bool { return hasLog(logs, "waitress.queue", "Task queue depth is 2") })
	if !hasLog(logs, "waitress.queue", "Task queue depth is 1") {
		t.Error("no queue depth 1 line")
	}
	close(release)
	for _, c := range conns {
		if resp, _ := roundTrip(t, c, bufio.NewReader(c), ""); resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	if maxRunning.Load() != 1 {
		t.Errorf("%d handlers ran at once with threads = 1", maxRunning.Load())
	}
}

func TestStartLogs(t *testing.T) {
	local := section("listen", "127.0.0.1:0", "asyncore_use_poll", "false", "asyncore_loop_timeout", "1", "channel_request_lookahead", "1",
		"trusted_proxy", "127.0.0.1")
	o, err := OptionsFromSettings(local)
	if err != nil {
		t.Fatal(err)
	}
	_, addr, logs := testServer(t, o, http.NotFoundHandler(), nil)
	for _, m := range []string{"Serving on http://" + addr, "asyncore_use_poll has no effect in gowaitress and is ignored",
		"asyncore_loop_timeout has no effect", "channel_request_lookahead has no effect", "trusting X-Forwarded-Proto only"} {
		waitFor(t, m, func() bool { return hasLog(logs, "waitress", m) })
	}
}

func TestIdentSchemeAndProxyCIDR(t *testing.T) {
	o, err := OptionsFromSettings(section("listen", "127.0.0.1:0", "ident", "", "url_scheme", "https",
		"trusted_proxy", "127.0.0.0/8", "trusted_proxy_headers", "x-forwarded-for x-forwarded-host",
		"log_untrusted_proxy_headers", "true"))
	if err != nil {
		t.Fatal(err)
	}
	_, addr, logs := testServer(t, o, probeApp(), nil)
	c := dial(t, "tcp", addr)
	resp, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9, 198.51.100.1\r\nX-Forwarded-Host: example.com:8443\r\nX-Forwarded-Proto: http\r\n\r\n")
	if _, ok := resp.Header["Server"]; ok {
		t.Error("Server header sent with an empty ident")
	}
	for _, want := range []string{`"scheme":"https"`, `"remote_addr":"198.51.100.1"`, `"host":"example.com:8443"`,
		`"server_name":"example.com"`, `"server_port":"8443"`, `"X-Forwarded-For":["198.51.100.1"]`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "X-Forwarded-Proto") {
		t.Error("untrusted X-Forwarded-Proto reached the handler")
	}
	if !hasLog(logs, "waitress", "Removed untrusted headers (X-Forwarded-Proto). Waitress recommends these be removed upstream.") {
		t.Error("no removed-headers warning")
	}
}

func TestPanicAndSocketErrorLogging(t *testing.T) {
	o := DefaultOptions()
	_, addr, logs := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }), nil)
	c := dial(t, "tcp", addr)
	resp, body := roundTrip(t, c, bufio.NewReader(c), "GET /p HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 500 || strings.Contains(body, "boom") {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
	if !hasLog(logs, "waitress", "Exception while serving /p") {
		t.Error("panic not logged")
	}
	for _, on := range []bool{true, false} {
		core, logs := observer.New(zapcore.DebugLevel)
		s := &Server{opts: DefaultOptions(), log: zap.New(core)}
		s.opts.LogSocketErrors = on
		s.socketError(syscall.EIO)
		s.socketError(syscall.ECONNRESET)
		if n := logs.FilterMessage("Socket error").Len(); n != map[bool]int{true: 1, false: 0}[on] {
			t.Errorf("log_socket_errors=%v: %d Socket error lines", on, n)
		}
	}
}

func TestShutdown(t *testing.T) {
	t.Run("graceful", func(t *testing.T) {
		o := DefaultOptions()
		o.Listen = []string{"127.0.0.1:0"}
		o.Logger = zap.NewNop()
		started := make(chan struct{})
		s, err := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, "finished")
		}), o)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Serve() }()
		c := dial(t, "tcp", s.Addrs()[0].String())
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		silent := dial(t, "tcp", s.Addrs()[0].String()) // connected, half a head
		io.WriteString(silent, "GET / HT")
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("Shutdown took %v: an idle half-open request held it", d)
		}
		if got := expectClosed(t, silent, 2*time.Second); got != "" {
			t.Errorf("idle connection got %q", got)
		}
		_, body := roundTrip(t, c, bufio.NewReader(c), "")
		if body != "finished" {
			t.Errorf("in-flight response %q", body)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after Shutdown", err)
		}
		if _, err := net.DialTimeout("tcp", s.Addrs()[0].String(), time.Second); err == nil {
			t.Error("still accepting after Shutdown")
		}
	})
	t.Run("deadline", func(t *testing.T) {
		o := DefaultOptions()
		o.Listen = []string{"127.0.0.1:0"}
		core, logs := observer.New(zapcore.DebugLevel)
		o.Logger = zap.New(core)
		block := make(chan struct{})
		defer close(block)
		started := make(chan struct{})
		s, err := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-block
		}), o)
		if err != nil {
			t.Fatal(err)
		}
		go s.Serve()
		c := dial(t, "tcp", s.Addrs()[0].String())
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := s.Shutdown(ctx); err == nil {
			t.Error("Shutdown returned nil with a handler still running")
		}
		if !hasLog(logs, "waitress", "1 thread(s) still running") {
			t.Error("no still-running line")
		}
	})
}

// TestBodyAfterHandler: a body read after the handler returned fails as
// net/http's does; it never yields bytes of a later request.
func TestBodyAfterHandler(t *testing.T) {
	bodies := make(chan io.Reader, 2)
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bodies <- r.Body
		io.WriteString(w, "ok")
	}), nil)
	c := dial(t, "tcp", addr)
	br := bufio.NewReader(c)
	roundTrip(t, c, br, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst")
	first := <-bodies
	roundTrip(t, c, br, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond")
	<-bodies
	if b, err := io.ReadAll(first); len(b) != 0 || err != http.ErrBodyReadAfterClose {
		t.Errorf("late read of the first body: %q, %v", b, err)
	}
}

// TestURLScheme: url_scheme is the request's scheme in r.URL and in the
// environ facts, with and without proxy processing (a trusted proxy's
// X-Forwarded-Proto overrides it).
func TestURLScheme(t *testing.T) {
	for _, tc := range []struct {
		name, scheme, trusted, head, want string
	}{
		{"default", "", "", "", "http"},
		{"https", "https", "", "", "https"},
		{"https, untrusted proxy header cleared", "https", "", "X-Forwarded-Proto: http\r\n", "https"},
		{"trusted X-Forwarded-Proto", "https", "127.0.0.1", "X-Forwarded-Proto: http\r\n", "http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			if tc.scheme != "" {
				o.URLScheme = tc.scheme
			}
			if tc.trusted != "" {
				o.TrustedProxy = []string{tc.trusted}
			}
			_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.URL.Scheme+" "+environ.Scheme(r))
			}), nil)
			c := dial(t, "tcp", addr)
			_, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n"+tc.head+"\r\n")
			if want := tc.want + " " + tc.want; body != want {
				t.Errorf("r.URL.Scheme and environ.Scheme: %q, want %q", body, want)
			}
		})
	}
}

// TestHijack: an app that hijacks the connection speaks its own protocol
// on it, and a read deadline long past (what net/http itself uses to end
// its background read) still interrupts the app's blocked read of the
// hijacked connection.
func TestHijack(t *testing.T) {
	readErr := make(chan error, 1)
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer nc.Close()
		io.WriteString(nc, "HELLO\n")
		line, err := brw.ReadString('\n')
		if err != nil || line != "ping\n" {
			t.Errorf("hijacked read: %q, %v", line, err)
			return
		}
		io.WriteString(nc, "pong\n")
		// The client now sends nothing: a read blocks until the deadline.
		done := make(chan error, 1)
		go func() {
			_, err := nc.Read(make([]byte, 1))
			done <- err
		}()
		time.Sleep(50 * time.Millisecond) // let the read block on the socket
		nc.SetReadDeadline(time.Unix(1, 0))
		select {
		case err := <-done:
			readErr <- err
		case <-time.After(10 * time.Second):
			readErr <- errors.New("the read was not interrupted")
		}
	}), nil)
	c := dial(t, "tcp", addr)
	io.WriteString(c, "GET /raw HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || line != "HELLO\n" {
		t.Fatalf("got %q, %v", line, err)
	}
	io.WriteString(c, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "pong\n" {
		t.Fatalf("got %q, %v", line, err)
	}
	select {
	case err := <-readErr:
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Errorf("read after a deadline long past: %v, want a timeout", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("handler did not finish")
	}
}

// TestWriteDeadlineCleared: a write deadline a handler sets is cleared
// after its response (net/http does that, through the connection, which
// skips the clearing only when the socket has no deadline), so that a
// later response on the connection is not cut off by it.
func TestWriteDeadlineCleared(t *testing.T) {
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
				t.Errorf("SetWriteDeadline: %v", err)
			}
		}
		io.WriteString(w, r.URL.Path)
	}), nil)
	c := dial(t, "tcp", addr)
	br := bufio.NewReader(c)
	for i, path := range []string{"/a", "/set", "/b", "/c"} {
		if i == 2 {
			time.Sleep(300 * time.Millisecond) // past the deadline /set had
		}
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != path {
			t.Fatalf("%s: body %q, %v", path, body, err)
		}
	}
}

// TestReadAbortedNet: the timeout a Read returns after net/http's "long
// past" read deadline names the connection's network, as the socket's own
// error would, whether or not the deadline reached the socket.
func TestReadAbortedNet(t *testing.T) {
	_, ts := tcpPair(t)
	_, us := connPair(t, "unix", filepath.Join(t.TempDir(), "s"))
	s := &Server{opts: DefaultOptions(), log: zap.NewNop()}
	for _, tc := range []struct {
		raw  net.Conn
		want string
	}{{ts, "tcp"}, {us, "unix"}} {
		c := newConn(tc.raw, s)
		c.SetReadDeadline(time.Unix(1, 0)) // net/http's aLongTimeAgo
		_, err := c.Read(make([]byte, 1))
		var oe *net.OpError
		if !errors.As(err, &oe) || !oe.Timeout() || oe.Net != tc.want {
			t.Errorf("%s: Read after a deadline long past: %#v, want a timeout on %q", tc.want, err, tc.want)
		}
		c.SetReadDeadline(time.Time{})
	}
}

// tcpPair is a loopback TCP connection: the client's end and the
// server's, both closed when the test ends.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	return connPair(t, "tcp", "127.0.0.1:0")
}

// connPair is a connection to a listener on network and address made for
// it: the client's end and the server's, both closed when the test ends.
func connPair(t *testing.T, network, address string) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}
