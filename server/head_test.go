package server

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHeadHeaders: a HEAD response has the header fields the same
// handler's GET response has (RFC 9110 §9.3.2), a Content-Type sniffed
// from the body it writes included, and no body; the connection stays in
// step for the next request.
func TestHeadHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  func(w http.ResponseWriter)
	}{
		{"html, sniffed", func(w http.ResponseWriter) { io.WriteString(w, "<!DOCTYPE html><p>hi</p>") }},
		{"html over 2000 bytes", func(w http.ResponseWriter) {
			io.WriteString(w, "<html>"+strings.Repeat("x", 5000))
		}},
		{"written in pieces", func(w http.ResponseWriter) {
			io.WriteString(w, "%PDF-")
			io.WriteString(w, "1.7 ...")
		}},
		{"own type", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "<html>")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := testServer(t, DefaultOptions(), withNext(tc.app), nil)
			c := dial(t, "tcp", addr)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			var got [2]*http.Response
			for i, method := range []string{"GET", "HEAD"} {
				io.WriteString(c, method+" / HTTP/1.1\r\nHost: x\r\n\r\n")
				req, _ := http.NewRequest(method, "/", nil)
				resp, err := http.ReadResponse(br, req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				got[i] = resp
			}
			for _, k := range []string{"Content-Type", "Content-Length"} {
				if g, h := got[0].Header.Get(k), got[1].Header.Get(k); g != h {
					t.Errorf("%s: GET %q, HEAD %q", k, g, h)
				}
			}
			io.WriteString(c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(resp.Body); string(b) != "next" {
				t.Errorf("after HEAD: %q", b)
			}
		})
	}
}
