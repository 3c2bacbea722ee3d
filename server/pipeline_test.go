package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Pipelined requests: a response is held while the next request is already
// received, and goes out with the next one, so that a batch of pipelined
// requests takes few socket writes. Every response arrives intact and in
// order; a held response is not kept waiting for a slow next handler, nor
// lost when the connection closes after the next response.
func TestPipelinedResponsesCoalesce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		requests  int
		size      int // response body bytes
		maxWrites int
	}{
		// Without holding, every response is a write of its own. A held
		// response waits at most 1 ms, so a slow machine (-race) may see
		// a few more writes than the ideal 1 (or 3 for 8 × 5000 bytes).
		{"16 small", 16, 20, 8},
		{"64 small", 64, 20, 16},
		{"larger than send_bytes together", 8, 5000, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			writes := 0
			body := strings.Repeat("b", tc.size)
			_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.URL.Path+body)
			}), func(s *Server) {
				s.writeHook = func(int) { mu.Lock(); writes++; mu.Unlock() }
			})
			c := dial(t, "tcp", addr)
			var req strings.Builder
			for i := range tc.requests {
				fmt.Fprintf(&req, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
			}
			if _, err := io.WriteString(c, req.String()); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			for i := range tc.requests {
				resp, got := readResp(t, br)
				if want := fmt.Sprintf("/%d%s", i, body); resp.StatusCode != 200 || got != want {
					t.Fatalf("response %d: %d %.20q", i, resp.StatusCode, got)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if writes > tc.maxWrites {
				t.Errorf("%d socket writes for %d pipelined responses, want at most %d", writes, tc.requests, tc.maxWrites)
			}
		})
	}
}

// A held response goes out while the next handler still runs: here the
// second handler waits until the client has read the first response.
func TestPipelinedHoldSlowNext(t *testing.T) {
	firstRead := make(chan struct{})
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-firstRead:
			case <-time.After(10 * time.Second):
			}
		}
		io.WriteString(w, r.URL.Path)
	}), nil)
	c := dial(t, "tcp", addr)
	io.WriteString(c, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second)) // a failure, not a measure: the handler waits 10 s
	br := bufio.NewReader(c)
	if _, got := readResp(t, br); got != "/fast" {
		t.Fatalf("first response %q", got)
	}
	close(firstRead)
	if _, got := readResp(t, br); got != "/slow" {
		t.Fatalf("second response %q", got)
	}
}

// The connection closes after a pipelined response (Connection: close,
// HTTP/1.0): the held earlier responses are sent before it closes.
func TestPipelinedHoldThenClose(t *testing.T) {
	for _, tc := range []struct{ name, last string }{
		{"connection close", "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
		{"HTTP/1.0", "GET /last HTTP/1.0\r\n\r\n"},
		{"bad request", "GET /last HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.URL.Path)
			}), nil)
			c := dial(t, "tcp", addr)
			io.WriteString(c, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"+tc.last+"GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			all, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("%v after %q", err, all)
			}
			s := string(all)
			ia, ib := strings.Index(s, "\r\n\r\n/a"), strings.Index(s, "\r\n\r\n/b")
			if ia < 0 || ib < ia || strings.Count(s, "HTTP/1.") != 3 || strings.Contains(s, "/never") {
				t.Errorf("got %q", s)
			}
		})
	}
}
