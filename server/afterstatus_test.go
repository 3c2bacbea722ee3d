package server

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTrailers: trailers reach the client as under net/http: declared with
// the Trailer field (set after the body, or set before too, when the first
// value also goes out as a header) or set under http.TrailerPrefix; never
// in the header block when set after the status, never lost to a
// Content-Length the channel adds for buffered output, and a
// "Trailer:"-prefixed key is no invalid header name.
func TestTrailers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		app        func(w http.ResponseWriter)
		header     string // X-Sum in the header block ("" for none)
		trailer    string // the trailer's name
		trailerVal string
		body       int
	}{
		{"declared, small body", func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "X-Sum")
			io.WriteString(w, "abc")
			w.Header().Set("X-Sum", "42")
		}, "", "X-Sum", "42", 3},
		{"declared, body over 2000 bytes", func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "X-Sum, X-Other")
			io.WriteString(w, strings.Repeat("a", 3000))
			w.Header().Set("X-Sum", "42")
		}, "", "X-Sum", "42", 3000},
		{"declared after an explicit status", func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "x-sum")
			w.WriteHeader(http.StatusAccepted)
			w.Header().Set("X-Sum", "42")
			io.WriteString(w, "abc")
		}, "", "X-Sum", "42", 3},
		{"declared, set before the status too", func(w http.ResponseWriter) {
			w.Header().Set("Trailer", "X-Sum")
			w.Header().Set("X-Sum", "0")
			io.WriteString(w, "abc")
			w.Header().Set("X-Sum", "42")
		}, "0", "X-Sum", "42", 3},
		{"TrailerPrefix", func(w http.ResponseWriter) {
			io.WriteString(w, strings.Repeat("a", 3000))
			w.Header().Set(http.TrailerPrefix+"X-Late", "1")
		}, "", "X-Late", "1", 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tc.app(w)
			}), nil)
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || len(b) != tc.body || resp.StatusCode >= 500 {
				t.Fatalf("%s, %d body bytes, %v; want %d", resp.Status, len(b), err, tc.body)
			}
			if got := resp.Header.Get("X-Sum"); got != tc.header {
				t.Errorf("X-Sum in the header block: %q, want %q", got, tc.header)
			}
			if got := resp.Trailer.Get(tc.trailer); got != tc.trailerVal {
				t.Errorf("trailer %s: %q, want %q (trailers %v)", tc.trailer, got, tc.trailerVal, resp.Trailer)
			}
		})
	}
}

// TestLateContentLength: as under net/http, a Content-Length the app sets
// (or removes) after its status has no effect: the response is framed by
// the length it had at WriteHeader, and the connection stays in step for
// the next request.
func TestLateContentLength(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  func(w http.ResponseWriter)
		cl   int64 // the length sent (-1: chunked)
		body string
	}{
		{"set after WriteHeader", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "abcdef")
		}, 6, "abcdef"},
		{"changed after WriteHeader", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "6")
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Content-Length", "2")
			io.WriteString(w, "abcdef")
		}, 6, "abcdef"},
		{"removed after Write", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "3")
			io.WriteString(w, "abc")
			w.Header().Del("Content-Length")
		}, 3, "abc"},
		{"set after a long Write", func(w http.ResponseWriter) {
			io.WriteString(w, strings.Repeat("x", 3000))
			w.Header().Set("Content-Length", "5")
		}, 3000, strings.Repeat("x", 3000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr, _ := testServer(t, DefaultOptions(), withNext(tc.app), nil)
			c := dial(t, "tcp", addr)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
			br := bufio.NewReader(c)
			for i, want := range []struct {
				cl   int64
				body string
			}{{tc.cl, tc.body}, {4, "next"}} {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				b, err := io.ReadAll(resp.Body)
				if err != nil || resp.ContentLength != want.cl || string(b) != want.body {
					t.Errorf("response %d: Content-Length %d, body %q (%v); want %d, %q", i, resp.ContentLength, trunc(b), err, want.cl, trunc([]byte(want.body)))
				}
			}
		})
	}
}

// TestWriterAfterReturn: a ResponseWriter the app keeps using after its
// handler returned (a goroutine left behind) writes nowhere: not into the
// next response, which may use the same pooled writer; its writes fail.
func TestWriterAfterReturn(t *testing.T) {
	kept := make(chan http.ResponseWriter, 1)
	late := make(chan error, 1)
	_, addr, _ := testServer(t, DefaultOptions(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			kept <- w
			io.WriteString(w, "first")
			return
		}
		// The first handler has returned: its writer is used now, while
		// this response is being written.
		old := <-kept
		old.Header().Set("X-Leak", "1")
		_, err := io.WriteString(old, "LEAK")
		old.(http.Flusher).Flush()
		late <- err
		io.WriteString(w, "second")
	}), nil)
	c := dial(t, "tcp", addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for _, path := range []string{"/first", "/second"} {
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if want := path[1:]; string(b) != want || resp.Header.Get("X-Leak") != "" {
			t.Errorf("%s: body %q, X-Leak %q; want %q and none", path, b, resp.Header.Get("X-Leak"), want)
		}
	}
	if err := <-late; err == nil {
		t.Error("a write after the handler returned succeeded")
	}
}

// withNext serves app, and "next" at /next: a request after app's response
// shows whether the connection is still in step.
func withNext(app func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			io.WriteString(w, "next")
			return
		}
		app(w)
	})
}
