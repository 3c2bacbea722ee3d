package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// pattern returns n bytes that differ from their neighbours, so that a
// lost, repeated or reordered piece shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}

// TestDirectWrite: a write of at least send_bytes with nothing buffered
// goes to the socket from the app's goroutine without waiting (waitress's
// worker sends itself, §7.3). The body arrives intact and in order, every
// socket write is at most send_bytes, and a client that does not read does
// not hold the app: what the socket does not take is sent later.
func TestDirectWrite(t *testing.T) {
	type piece struct {
		n     int
		flush bool
	}
	for _, tc := range []struct {
		name     string
		pieces   []piece
		declared bool // the app sets Content-Length
		slow     bool // the client reads only after the app returned
	}{
		{"one 1 MiB write", []piece{{n: 1 << 20}}, false, false},
		{"exactly send_bytes", []piece{{n: 18000}}, false, false},
		{"declared length, last piece pending", []piece{{n: 20000}}, true, false},
		{"declared length, several writes", []piece{{n: 30000}, {n: 25000}, {n: 100}}, true, false},
		{"direct, small, flush, direct", []piece{{n: 30000}, {n: 100}, {n: 100, flush: true}, {n: 50000}, {n: 7}}, false, false},
		{"slow client, 8 x 1 MiB", []piece{{n: 1 << 20}, {n: 1 << 20}, {n: 1 << 20}, {n: 1 << 20}, {n: 1 << 20}, {n: 1 << 20}, {n: 1 << 20}, {n: 1 << 20}}, false, true},
		{"slow client, declared length", []piece{{n: 4 << 20}}, true, true},
		{"slow client, 64 KiB pieces", func() []piece {
			ps := make([]piece, 96)
			for i := range ps {
				ps[i] = piece{n: 64 << 10}
			}
			return ps
		}(), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total := 0
			for _, p := range tc.pieces {
				total += p.n
			}
			body := pattern(total)
			returned := make(chan struct{}, 1)
			var mu sync.Mutex
			var writes []int
			o := DefaultOptions()
			o.OutbufOverflow = 4 << 20
			srv, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/small" {
					io.WriteString(w, "small")
					return
				}
				if tc.declared {
					w.Header().Set("Content-Length", strconv.Itoa(total))
				}
				off := 0
				for _, p := range tc.pieces {
					if _, err := w.Write(body[off : off+p.n]); err != nil {
						t.Errorf("Write: %v", err)
					}
					off += p.n
					if p.flush {
						w.(http.Flusher).Flush()
					}
				}
				returned <- struct{}{}
			}), func(s *Server) {
				s.writeHook = func(n int) { mu.Lock(); writes = append(writes, n); mu.Unlock() }
			})
			c := dial(t, "tcp", addr)
			br := bufio.NewReader(c)
			io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			if tc.slow {
				select {
				case <-returned:
				case <-time.After(10 * time.Second):
					t.Fatal("the app did not return while its client was not reading")
				}
			}
			resp, got := roundTrip(t, c, br, "")
			if resp.StatusCode != 200 || !bytes.Equal([]byte(got), body) {
				t.Fatalf("status %d, %d of %d bytes, intact %v", resp.StatusCode, len(got), total, bytes.Equal([]byte(got), body))
			}
			// Between responses the connection holds no output buffer (an
			// idle connection's memory).
			waitFor(t, "the connection to give its output buffer back", func() bool {
				srv.mu.Lock()
				defer srv.mu.Unlock()
				for c := range srv.conns {
					if c.cw.Load() != nil {
						return false
					}
				}
				return true
			})
			// The connection is still usable: nothing of the response was
			// left behind or sent late.
			if resp, got := roundTrip(t, c, br, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 || got != "small" {
				t.Errorf("next response: %d %q", resp.StatusCode, got)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range writes {
				if n > 18000 {
					t.Fatalf("a socket write of %d bytes (send_bytes 18000)", n)
				}
			}
		})
	}
}

// TestDirectWritePipelined: a direct write that follows a response held
// for the next pipelined one sends the held bytes first.
func TestDirectWritePipelined(t *testing.T) {
	big := pattern(100000)
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		io.WriteString(w, "small "+r.URL.Path)
	}), nil)
	c := dial(t, "tcp", addr)
	br := bufio.NewReader(c)
	var req bytes.Buffer
	for i := range 3 {
		fmt.Fprintf(&req, "GET /s%d HTTP/1.1\r\nHost: x\r\n\r\nGET /big HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	io.WriteString(c, req.String())
	for i := range 3 {
		if _, got := roundTrip(t, c, br, ""); got != fmt.Sprintf("small /s%d", i) {
			t.Fatalf("response %d: %q", 2*i, got)
		}
		if _, got := roundTrip(t, c, br, ""); got != string(big) {
			t.Fatalf("response %d: %d bytes, intact %v", 2*i+1, len(got), got == string(big))
		}
	}
}
