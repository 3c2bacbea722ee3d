package server

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDateField: every response has one Date field of the current second,
// written by the connection layer where the app used its header map
// (net/http's otherwise), unless the app set (or suppressed) its own; the
// app's header map never shows the key the channel used.
func TestDateField(t *testing.T) {
	const own = "Tue, 01 Jan 2030 00:00:00 GMT"
	big := strings.Repeat("x", 100_000) // at least send_bytes: written from the app's goroutine
	leaked := make(chan bool, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/typed":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("hi"))
		case "/own":
			w.Header().Set("Date", own)
			w.Write([]byte("hi"))
		case "/suppressed":
			w.Header()["Date"] = nil
			w.Write([]byte("hi"))
		case "/flushed":
			w.Header().Set("X-A", "1")
			w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			_, ok := w.Header()["Date"]
			leaked <- ok
			w.Write([]byte("b"))
		case "/big":
			w.Write([]byte(big))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/early":
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte("hi"))
		default:
			w.Write([]byte("hi"))
		}
	})
	for _, ident := range []string{"waitress", ""} {
		o := DefaultOptions()
		o.Ident = ident
		_, addr, _ := testServer(t, o, h, nil)
		c := dial(t, "tcp", addr)
		br := bufio.NewReader(c)
		for _, tc := range []struct {
			req, date string // date: "" for the current one, "-" for none
			body      string
		}{
			{req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", body: "hi"},
			{req: "GET /typed HTTP/1.1\r\nHost: x\r\n\r\n", body: "hi"},
			{req: "GET /own HTTP/1.1\r\nHost: x\r\n\r\n", date: own, body: "hi"},
			{req: "GET /suppressed HTTP/1.1\r\nHost: x\r\n\r\n", date: "-", body: "hi"},
			{req: "GET /flushed HTTP/1.1\r\nHost: x\r\n\r\n", body: "ab"},
			{req: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", body: big},
			{req: "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n"},
			{req: "GET /early HTTP/1.1\r\nHost: x\r\n\r\n", body: "hi"},
			{req: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"},
			{req: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", body: "hi"},
		} {
			before := time.Now().Truncate(time.Second)
			if _, err := io.WriteString(c, tc.req); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(br, &http.Request{Method: strings.Fields(tc.req)[0]})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := string(b)
			after := time.Now()
			name := strings.SplitN(tc.req, "\r\n", 2)[0] + " (ident " + ident + ")"
			if body != tc.body {
				t.Errorf("%s: body %.20q, want %.20q", name, body, tc.body)
			}
			dates := resp.Header["Date"]
			switch tc.date {
			case "-":
				if len(dates) != 0 {
					t.Errorf("%s: Date %q, want none", name, dates)
				}
			case "":
				if len(dates) != 1 {
					t.Fatalf("%s: Date fields %q, want one", name, dates)
				}
				d, err := http.ParseTime(dates[0])
				if err != nil || dates[0] != d.UTC().Format(http.TimeFormat) {
					t.Errorf("%s: Date %q is not an IMF-fixdate (%v)", name, dates[0], err)
				}
				if d.Before(before) || d.After(after) {
					t.Errorf("%s: Date %q not between %v and %v", name, dates[0], before, after)
				}
			default:
				if len(dates) != 1 || dates[0] != tc.date {
					t.Errorf("%s: Date %q, want %q", name, dates, tc.date)
				}
			}
			if servers := resp.Header["Server"]; ident == "" && len(servers) != 0 || ident != "" && (len(servers) != 1 || servers[0] != ident) {
				t.Errorf("%s: Server %q, want %q", name, servers, ident)
			}
		}
		if <-leaked {
			t.Errorf("ident %q: the app's header map has the Date key the channel set", ident)
		}
		// Pipelined: the responses are held and written together, each
		// with its own fields.
		if _, err := io.WriteString(c, strings.Repeat("GET /typed HTTP/1.1\r\nHost: x\r\n\r\n", 3)); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			resp, body := readResp(t, br)
			if body != "hi" || len(resp.Header["Date"]) != 1 || len(resp.Header["Server"]) != min(len(ident), 1) {
				t.Errorf("ident %q: pipelined response %d: Date %q, Server %q, body %q", ident, i, resp.Header["Date"], resp.Header["Server"], body)
			}
		}
	}
}

// TestDateLine: the line is formatted once a second and names the second.
func TestDateLine(t *testing.T) {
	dateNow.Store(&httpDate{until: nanotime() - 1, line: []byte("Date: stale\r\n")})
	before := time.Now().Truncate(time.Second)
	a := dateLine()
	b := dateLine()
	after := time.Now()
	if !bytes.HasPrefix(a, []byte("Date: ")) || !bytes.HasSuffix(a, []byte("\r\n")) {
		t.Fatalf("dateLine %q", a)
	}
	d, err := http.ParseTime(string(a[len("Date: ") : len(a)-2]))
	if err != nil || d.Before(before) || d.After(after) {
		t.Errorf("dateLine %q: %v, not between %v and %v", a, err, before, after)
	}
	if !bytes.Equal(a, b) && time.Now().Sub(before) < time.Second {
		t.Errorf("dateLine changed within a second: %q, %q", a, b)
	}
	if &a[0] != &b[0] && time.Now().Sub(before) < time.Second {
		t.Error("dateLine formatted twice within a second")
	}
}
