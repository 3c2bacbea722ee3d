package server

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReverseProxy: net/http/httputil's ReverseProxy, a common app, works
// behind gowaitress as behind net/http: a protocol upgrade (it hijacks and
// writes the backend's 101 itself), trailers, an event stream whose events
// arrive while the backend still streams, and interim 103 responses.
func TestReverseProxy(t *testing.T) {
	next := make(chan struct{})
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ws":
			w.Header().Set("Upgrade", "websocket")
			w.Header().Set("Connection", "Upgrade")
			w.WriteHeader(http.StatusSwitchingProtocols)
			nc, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("backend Hijack: %v", err)
				return
			}
			defer nc.Close()
			line, _ := brw.ReadString('\n')
			brw.WriteString("echo:" + line)
			brw.Flush()
		case "/trailer":
			w.Header().Set("Trailer", "X-Sum")
			io.WriteString(w, strings.Repeat("a", 5000))
			w.Header().Set("X-Sum", "7")
		case "/events":
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: 1\n\n")
			w.(http.Flusher).Flush()
			select { // the client has read the first event
			case <-next:
			case <-time.After(10 * time.Second):
			}
			io.WriteString(w, "data: 2\n\n")
		case "/early":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			io.WriteString(w, "final")
		}
	})
	u, err := url.Parse("http://" + plainServer(t, backend))
	if err != nil {
		t.Fatal(err)
	}
	_, addr, _ := testServer(t, DefaultOptions(), httputil.NewSingleHostReverseProxy(u), nil)

	t.Run("upgrade", func(t *testing.T) {
		c := dial(t, "tcp", addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("%v, %v; want 101", resp, err)
		}
		io.WriteString(c, "ping\n")
		if line, err := br.ReadString('\n'); line != "echo:ping\n" {
			t.Errorf("through the upgraded connection: %q, %v", line, err)
		}
	})
	t.Run("trailers", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/trailer")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(b) != 5000 || resp.Trailer.Get("X-Sum") != "7" || resp.Header.Get("X-Sum") != "" {
			t.Errorf("%d bytes, trailers %v, header X-Sum %q", len(b), resp.Trailer, resp.Header.Get("X-Sum"))
		}
	})
	t.Run("event stream", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/events")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		for i, want := range []string{"data: 1\n", "data: 2\n"} {
			line, err := br.ReadString('\n')
			if line != want {
				t.Fatalf("event %d: %q, %v", i+1, line, err)
			}
			br.ReadString('\n')
			if i == 0 {
				close(next) // only now may the backend go on
			}
		}
	})
	t.Run("early hints", func(t *testing.T) {
		c := dial(t, "tcp", addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /early HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		br := bufio.NewReader(c)
		for _, want := range []int{http.StatusEarlyHints, http.StatusOK} {
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != want {
				t.Fatalf("%v, %v; want %d", resp, err, want)
			}
			if want == http.StatusOK {
				if b, _ := io.ReadAll(resp.Body); string(b) != "final" {
					t.Errorf("body %q", b)
				}
			}
		}
	})
}
