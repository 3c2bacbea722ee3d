package builtins

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// wsApp answers a protocol upgrade as websocket libraries do: the 101
// with WriteHeader, then Hijack (through http.ResponseController, which
// unwraps filters), then its own bytes on the connection.
var wsApp = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Upgrade", "websocket")
	w.Header().Set("Connection", "Upgrade")
	w.WriteHeader(http.StatusSwitchingProtocols)
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "hijack: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer nc.Close()
	brw.WriteString("FRAME")
	brw.Flush()
})

// TestUpgradeThroughFilters: the 101 and the hijacker's bytes reach the
// client through every filter that wraps the ResponseWriter, served by
// gowaitress.
func TestUpgradeThroughFilters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(t *testing.T) http.Handler
	}{
		{"none", func(t *testing.T) http.Handler { return wsApp }},
		{"gzip", func(t *testing.T) http.Handler { return buildGzip(t, wsApp) }},
		{"translogger", func(t *testing.T) http.Handler {
			h, _, _ := buildTranslogger(t, wsApp, "setup_console_handler", "no")
			return h
		}},
		{"errordocument", func(t *testing.T) http.Handler {
			h, err := ErrorDocumentFactory(wsApp, settings("DEFAULT"), settings("filter-app:errors", "404", "/missing"))
			if err != nil {
				t.Fatal(err)
			}
			return h
		}},
		{"translogger, gzip", func(t *testing.T) http.Handler {
			h, _, _ := buildTranslogger(t, buildGzip(t, wsApp), "setup_console_handler", "no")
			return h
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := startServer(t, tc.build(t))
			c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "websocket" {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("got %s %v %q, want 101 with Upgrade: websocket", resp.Status, resp.Header, b)
			}
			if rest, _ := io.ReadAll(br); string(rest) != "FRAME" {
				t.Errorf("after the 101: %q, want FRAME", rest)
			}
		})
	}
}
