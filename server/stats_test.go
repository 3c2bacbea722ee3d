package server

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Stats counts socket bytes per connection (open and closed ones), and
// FromContext reaches the server from a handler.
func TestStatsAndFromContext(t *testing.T) {
	fromCtx := make(chan *Server, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fromCtx <- FromContext(r.Context())
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "0123456789")
	})
	s, addr, _ := testServer(t, DefaultOptions(), h, nil)
	st := s.Stats()
	if st.BytesIn != 0 || st.BytesOut != 0 || st.Draining || st.Started.IsZero() || st.Uptime <= 0 {
		t.Fatalf("fresh: %+v", st)
	}
	req := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
	c := dial(t, "tcp", addr)
	br := bufio.NewReader(c)
	resp, body := roundTrip(t, c, br, req)
	if resp.StatusCode != 200 || body != "0123456789" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if got := <-fromCtx; got != s {
		t.Errorf("FromContext = %p, want %p", got, s)
	}
	// The counters are updated after each socket call returns, which can be
	// just after the client has read the bytes.
	waitFor(t, "the response counted", func() bool { st := s.Stats(); return st.BytesOut >= 10 && st.Served == 1 })
	open := s.Stats()
	if open.BytesIn != int64(len(req)) || open.BytesOut < 10 || open.Served != 1 {
		t.Errorf("open connection: %+v", open)
	}
	c.Close()
	waitFor(t, "connection closed", func() bool { return s.Stats().OpenConnections == 0 })
	closed := s.Stats()
	if closed.BytesIn != open.BytesIn || closed.BytesOut != open.BytesOut {
		t.Errorf("after close: in %d out %d, want %d %d", closed.BytesIn, closed.BytesOut, open.BytesIn, open.BytesOut)
	}
	if FromContext(context.Background()) != nil || FromContext(httptest.NewRequest("GET", "/", nil).Context()) != nil {
		t.Error("FromContext without a gowaitress server is not nil")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Shutdown(ctx)
	if !s.Stats().Draining {
		t.Error("Draining false after Shutdown")
	}
}
