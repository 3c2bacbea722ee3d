package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
)

// A streamed response (drained while the app runs) goes out in socket
// writes of at most send_bytes, nearly all of them full: the bytes that do
// not fill a write wait for the next ones (writev) instead of being sent in
// a short write of their own. Bodies are byte-identical, Flush still sends
// at once, and the next response on the connection is intact.
func TestWriteCoalescing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sendBytes int64
		size      int // response bytes
		piece     int // bytes per app Write
		flushEach int // Flush after this many writes (0: never)
	}{
		{"1 MiB in one write", DefaultSendBytes, 1 << 20, 1 << 20, 0},
		{"odd pieces", DefaultSendBytes, 700_001, 7777, 0},
		{"small send_bytes", 1000, 300_000, 4096, 0},
		{"with flushes", DefaultSendBytes, 400_000, 10_000, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			o.SendBytes = tc.sendBytes
			body := make([]byte, tc.size)
			for i := range body {
				body[i] = byte('a' + i%26)
			}
			var mu sync.Mutex
			var writes []int
			_, addr, _ := testServer(t, o, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/small" {
					io.WriteString(w, "small")
					return
				}
				for i, n := 0, 0; i < len(body); i, n = i+tc.piece, n+1 {
					w.Write(body[i:min(i+tc.piece, len(body))])
					if tc.flushEach > 0 && n%tc.flushEach == tc.flushEach-1 {
						w.(http.Flusher).Flush()
					}
				}
			}), func(s *Server) {
				s.writeHook = func(n int) { mu.Lock(); writes = append(writes, n); mu.Unlock() }
			})
			c := dial(t, "tcp", addr)
			br := bufio.NewReader(c)
			resp, got := roundTrip(t, c, br, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp.StatusCode != 200 || !bytes.Equal([]byte(got), body) {
				t.Fatalf("status %d, %d bytes, intact %v", resp.StatusCode, len(got), bytes.Equal([]byte(got), body))
			}
			mu.Lock()
			n, total := len(writes), 0
			for _, w := range writes {
				if int64(w) > tc.sendBytes {
					t.Errorf("socket write of %d bytes, send_bytes = %d", w, tc.sendBytes)
				}
				total += w
			}
			writes = nil
			mu.Unlock()
			// Full writes only, but for the header block, the end of the
			// response and one per Flush, and a few more for the times the
			// drainer caught up with the app (its goroutine descheduled on
			// a busy machine): it then sends what it has, as waitress's
			// main loop does. Writing each piece as it comes would take
			// many more (90 for odd pieces, 366 for small send_bytes).
			flushes := 0
			if tc.flushEach > 0 {
				flushes = (tc.size / tc.piece) / tc.flushEach
			}
			const caughtUp = 3
			if limit := total/int(tc.sendBytes) + 3 + flushes + caughtUp; n > limit {
				t.Errorf("%d socket writes for %d bytes, want at most %d", n, total, limit)
			}
			if resp, got := roundTrip(t, c, br, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 || got != "small" {
				t.Errorf("next response: %d %q", resp.StatusCode, got)
			}
		})
	}
}
