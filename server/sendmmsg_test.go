//go:build linux && (amd64 || arm64)

package server

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestWriteBatch writes through sendmmsg to a client that reads slowly
// through small socket buffers, so that the kernel takes part of a piece
// and then nothing: the stream must arrive whole and in order, and every
// socket write asks for at most send_bytes.
func TestWriteBatch(t *testing.T) {
	const max = 18000
	body := make([]byte, 1<<20+12345)
	for i := range body {
		body[i] = byte(i * 7 / 5)
	}
	for _, tc := range []struct {
		name string
		try  bool
	}{
		{"waiting", false},
		{"try mode", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, raw := tcpPair(t)
			raw.(*net.TCPConn).SetWriteBuffer(16 << 10) // less than one piece: the kernel takes parts
			s := &Server{opts: DefaultOptions(), log: zap.NewNop()}
			var mu sync.Mutex
			var asked []int
			s.writeHook = func(n int) { mu.Lock(); asked = append(asked, n); mu.Unlock() }
			c := newConn(raw, s)

			got := make(chan []byte)
			go func() {
				var buf bytes.Buffer
				b := make([]byte, 3000)
				for buf.Len() < len(body) {
					n, err := client.Read(b)
					buf.Write(b[:n])
					if err != nil {
						break
					}
					if buf.Len() < 200<<10 {
						time.Sleep(time.Millisecond) // slow at first: the socket fills
					}
				}
				got <- buf.Bytes()
			}()
			n, err := c.writeBatch(body, max, tc.try)
			if err != nil {
				t.Fatal(err)
			}
			if tc.try {
				if n >= len(body) {
					t.Fatalf("try mode took all %d bytes of a slow client's socket", n)
				}
				// What a try-mode write leaves is sent later, waiting.
				if _, err := c.writeBatch(body[n:], max, false); err != nil {
					t.Fatal(err)
				}
			} else if n != len(body) {
				t.Fatalf("wrote %d of %d bytes", n, len(body))
			}
			if b := <-got; !bytes.Equal(b, body) {
				t.Fatalf("stream differs: %d bytes received of %d", len(b), len(body))
			}
			mu.Lock()
			defer mu.Unlock()
			total := 0
			for _, a := range asked {
				if a > max {
					t.Fatalf("a socket write asked for %d bytes, send_bytes is %d", a, max)
				}
				total += a
			}
			if total < len(body) {
				t.Errorf("writes reported for %d bytes of %d", total, len(body))
			}
			if c.bytesOut.Load() != int64(len(body)) {
				t.Errorf("bytesOut %d, want %d", c.bytesOut.Load(), len(body))
			}
		})
	}
}

// TestWriteBatchError: a write to a connection the client reset fails and
// is reported, not retried forever.
func TestWriteBatchError(t *testing.T) {
	client, raw := tcpPair(t)
	client.(*net.TCPConn).SetLinger(0)
	client.Close() // RST
	time.Sleep(50 * time.Millisecond)
	c := newConn(raw, &Server{opts: DefaultOptions(), log: zap.NewNop()})
	body := make([]byte, 200<<10)
	var err2 error
	for range 3 { // the first write may still be taken before the RST is seen
		if _, err2 = c.writeBatch(body, 18000, false); err2 != nil {
			break
		}
	}
	if err2 == nil || !isDisconnect(err2) {
		t.Fatalf("write after reset: %v", err2)
	}
}
