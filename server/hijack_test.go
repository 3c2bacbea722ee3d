package server

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// TestHijackAfterHeader: a handler that writes its status (and maybe some
// output) and then hijacks the connection, as websocket libraries do
// (WriteHeader(101), then Hijack, then frames), puts the same bytes on the
// wire as under plain net/http, which sends what the handler wrote before
// handing the connection over; only our Server field differs (the Date
// field is left out of the comparison).
func TestHijackAfterHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server bool // a final status goes out: with our Server field
		app    func(w http.ResponseWriter)
	}{
		{"101 then hijack", true, func(w http.ResponseWriter) {
			w.Header().Set("Upgrade", "websocket")
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
			w.WriteHeader(http.StatusSwitchingProtocols)
		}},
		{"200 then hijack", true, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusOK)
		}},
		{"output then hijack", true, func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
		}},
		{"large output then hijack", true, func(w http.ResponseWriter) {
			// More than net/http's buffer: it sends it before hijacking.
			w.Header().Set("Content-Length", "10000")
			w.Write(bytes.Repeat([]byte("x"), 10000))
		}},
		{"direct write then hijack", true, func(w http.ResponseWriter) {
			// At least send_bytes: written through at once (writeDirect).
			w.Header().Set("Content-Length", "20000")
			w.Write(bytes.Repeat([]byte("y"), 20000))
		}},
		{"flushed status then hijack", true, func(w http.ResponseWriter) {
			// A tunnel's answer to CONNECT.
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}},
		{"flushed output then hijack", true, func(w http.ResponseWriter) {
			io.WriteString(w, "streamed")
			w.(http.Flusher).Flush()
		}},
		{"interim 103 then hijack", false, func(w http.ResponseWriter) {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}},
		{"hijack at once", false, func(w http.ResponseWriter) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.app(w)
				hijackFrame(t, w)
			})
			_, addr, _ := testServer(t, DefaultOptions(), h, nil)
			got := hijackExchange(t, addr)
			want := hijackExchange(t, plainServer(t, h))
			got = dateField.ReplaceAll(got, nil)
			want = dateField.ReplaceAll(want, nil)
			if tc.server {
				// Ours adds the ident after the status line.
				want = bytes.Replace(want, []byte("\r\n"), []byte("\r\nServer: waitress"+"\r\n"), 1)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("on the wire:\n%q\nnet/http sends:\n%q", got, want)
			}
		})
	}
}

// hijackFrame hijacks the connection, writes FRAME on it and closes it.
func hijackFrame(t *testing.T, w http.ResponseWriter) {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("Hijack: %v", err)
		return
	}
	defer nc.Close()
	brw.WriteString("FRAME")
	brw.Flush()
}

// hijackExchange sends one request and reads until the server closes.
func hijackExchange(t *testing.T, addr string) []byte {
	t.Helper()
	c := dial(t, "tcp", addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, b)
	}
	return b
}

// plainServer serves h with a plain net/http server on loopback.
func plainServer(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return l.Addr().String()
}

// TestHijackRefused: Hijack fails after an invalid header (answered 500
// instead).
func TestHijackRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		app    func(w http.ResponseWriter)
		status string
	}{
		{"invalid header", func(w http.ResponseWriter) {
			w.Header().Set("Upgrade", "web\nsocket")
			w.WriteHeader(http.StatusSwitchingProtocols)
		}, "HTTP/1.1 500 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hijackErr := make(chan error, 1)
			_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.app(w)
				nc, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					nc.Close()
				}
				hijackErr <- err
			}), nil)
			c := dial(t, "tcp", addr)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			b := make([]byte, 13)
			if _, err := io.ReadFull(c, b); err != nil || string(b) != tc.status {
				t.Errorf("response %q, %v; want %q", b, err, tc.status)
			}
			if err := <-hijackErr; err == nil {
				t.Error("Hijack succeeded")
			}
		})
	}
}

// TestWriteAfterHijack: once the handler has hijacked the connection, its
// writes through the ResponseWriter fail with http.ErrHijacked and send
// nothing, as under net/http, also one of send_bytes or more (which would
// otherwise go to the socket at once or start a drainer), after output
// that was flushed before the hijack.
func TestWriteAfterHijack(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flushed" {
			io.WriteString(w, "streamed")
			w.(http.Flusher).Flush()
		}
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer nc.Close()
		for _, n := range []int{5, 20000, 70000} {
			if k, err := w.Write(bytes.Repeat([]byte("w"), n)); k != 0 || err != http.ErrHijacked {
				t.Errorf("Write of %d bytes after Hijack: %d, %v; want 0, http.ErrHijacked", n, k, err)
			}
		}
		w.WriteHeader(http.StatusInternalServerError) // ignored (net/http logs it)
		if _, _, err := http.NewResponseController(w).Hijack(); err != http.ErrHijacked {
			t.Errorf("second Hijack: %v; want http.ErrHijacked", err)
		}
		brw.WriteString("FRAME")
		brw.Flush()
	})
	_, addr, _ := testServer(t, DefaultOptions(), h, nil)
	plain := plainServer(t, h)
	for _, path := range []string{"/", "/flushed"} {
		req := "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"
		got := withoutDateServer(parityExchange(t, addr, req))
		want := withoutDateServer(parityExchange(t, plain, req))
		if !bytes.Equal(got, want) || !bytes.HasSuffix(got, []byte("FRAME")) {
			t.Errorf("%s: gowaitress sends %q, net/http %q", path, got, want)
		}
	}
}

// TestHijackPipelined: a response held back for coalescing with the next
// pipelined one leaves before the status line of a hijacking request, and
// that before the hijacker's own bytes.
func TestHijackPipelined(t *testing.T) {
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			io.WriteString(w, "first")
			return
		}
		w.WriteHeader(http.StatusSwitchingProtocols)
		hijackFrame(t, w)
	}), nil)
	c := dial(t, "tcp", addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^HTTP/1.1 200 OK\r\n(?:[^\r]+\r\n)+\r\nfirstHTTP/1.1 101 Switching Protocols\r\n(?:[^\r]+\r\n)*\r\nFRAME$`)
	if !re.Match(b) {
		t.Errorf("got %q", b)
	}
}

// TestCloseNotify: the deprecated http.CloseNotifier, which older code
// asserts on the ResponseWriter, is there and fires when the client goes.
func TestCloseNotify(t *testing.T) {
	fired := make(chan bool, 1)
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		//lint:ignore SA1019 what older code does
		cn, ok := w.(http.CloseNotifier)
		if !ok {
			t.Error("the ResponseWriter is no http.CloseNotifier")
			fired <- false
			return
		}
		select {
		case v := <-cn.CloseNotify():
			fired <- v
		case <-time.After(10 * time.Second):
			fired <- false
		}
	}), nil)
	c := dial(t, "tcp", addr)
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
	time.Sleep(100 * time.Millisecond) // the handler waits
	c.Close()
	if !<-fired {
		t.Error("CloseNotify did not fire after the client closed")
	}
}

// TestFullDuplex: http.ResponseController's EnableFullDuplex succeeds (the
// body is already received), and the body reads after a write.
func TestFullDuplex(t *testing.T) {
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			t.Errorf("EnableFullDuplex: %v", err)
		}
		io.WriteString(w, "got:")
		io.Copy(w, r.Body)
	}), nil)
	resp, err := http.Post("http://"+addr+"/", "text/plain", bytes.NewReader([]byte("body")))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != "got:body" {
		t.Errorf("got %q", b)
	}
}
