package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestNetHTTPParity serves common handlers (net/http's own helpers among
// them) with gowaitress and with a plain net/http server and compares the
// bytes each puts on the wire for a request followed by a second one on
// the same connection (which checks the first response's framing), less
// the Date field and our Server field.
//
// Differences that are waitress's semantics, and so not in this table:
// a response written whole before it is sent gets a Content-Length where
// net/http would chunk one over 2 KiB; a chunked request reaches the
// handler with the Content-Length of its body; r.URL carries the scheme
// and host; a Content-Length the handler sets but does not keep to (too
// many or too few bytes, or not a number) is answered as waitress does
// (the declared bytes, Connection: close, 500); a connection stays open
// after a handler refused the rest of a body (the whole body was read
// before it ran); and output flushed while the handler goes on writing
// may go out in fewer chunks.
func TestNetHTTPParity(t *testing.T) {
	mod := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	files := http.FileServer(http.FS(fstest.MapFS{
		"dir/a.txt":      {Data: []byte("hello file\n"), ModTime: mod},
		"dir/index.html": {Data: []byte("<html>index</html>"), ModTime: mod},
	}))
	content := func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "f.txt", mod, strings.NewReader("0123456789"))
	}
	get := func(target, extra string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: a\r\n" + extra + "\r\n"
	}
	for _, tc := range []struct {
		name string
		req  string
		h    http.HandlerFunc
	}{
		{"Error", get("/", ""), func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusTeapot) }},
		{"NotFound", get("/", ""), http.NotFound},
		{"Redirect", get("/x", ""), func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/y", http.StatusFound) }},
		// No body for HEAD, so no Content-Length: 0 (the GET's is 25).
		{"Redirect HEAD", "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/y", http.StatusFound) }},
		{"HEAD, nothing written", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", func(w http.ResponseWriter, r *http.Request) {}},
		{"HEAD, body written", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>x") }},
		{"ServeContent", get("/f", ""), content},
		{"ServeContent HEAD", "HEAD /f HTTP/1.1\r\nHost: a\r\n\r\n", content},
		{"ServeContent range", get("/f", "Range: bytes=2-5\r\n"), content},
		{"ServeContent bad range", get("/f", "Range: bytes=20-30\r\n"), content},
		{"ServeContent 304", get("/f", "If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT\r\n"), content},
		{"FileServer file", get("/dir/a.txt", ""), files.ServeHTTP},
		{"FileServer index redirect", get("/dir/index.html", ""), files.ServeHTTP},
		{"FileServer directory", get("/dir/", ""), files.ServeHTTP},
		{"FileServer missing", get("/dir/zz", ""), files.ServeHTTP},
		{"StripPrefix", get("/p/x", ""), http.StripPrefix("/p", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) })).ServeHTTP},
		{"TimeoutHandler in time", get("/", ""), http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-A", "1")
			io.WriteString(w, "fast")
		}), 5*time.Second, "slow").ServeHTTP},
		{"TimeoutHandler timed out", get("/", ""), http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}), 10*time.Millisecond, "too slow").ServeHTTP},
		{"empty 200", get("/", ""), func(w http.ResponseWriter, r *http.Request) {}},
		{"204 with a body written", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			io.WriteString(w, "x")
		}},
		{"304 with entity fields", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "10")
			w.Header().Set("ETag", `"x"`)
			w.WriteHeader(http.StatusNotModified)
		}},
		{"205", get("/", ""), func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusResetContent) }},
		{"WriteHeader twice", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, "x")
		}},
		{"status 600", get("/", ""), func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(600); io.WriteString(w, "x") }},
		{"sniffed type", get("/", ""), func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>x") }},
		{"no type, no sniffing", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "<html><body>x")
		}},
		{"Transfer-Encoding chunked set", get("/", ""), setAndWrite("Transfer-Encoding", "chunked", "abc")},
		{"Transfer-Encoding identity set", get("/", ""), setAndWrite("Transfer-Encoding", "identity", "abc")},
		{"Connection close set", get("/", ""), setAndWrite("Connection", "close", "abc")},
		{"Content-Length with a space", get("/", ""), setAndWrite("Content-Length", " 1", "x")},
		{"repeated and empty fields", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			w.Header().Add("X-Empty", "")
			w.Header()["x-lower"] = []string{"v"}
			io.WriteString(w, "x")
		}},
		{"own Date", get("/", ""), setAndWrite("Date", "Mon, 01 Jan 2001 00:00:00 GMT", "x")},
		{"no Date", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Date"] = nil
			io.WriteString(w, "x")
		}},
		{"interim 100 and 102", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusContinue)
			w.WriteHeader(http.StatusProcessing)
			io.WriteString(w, "x")
		}},
		{"Flush of the status only", get("/", ""), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}},
		{"request Connection close", get("/", "Connection: close\r\n"), func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }},
		{"body not read", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }},
		{"ParseForm", "POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			io.WriteString(w, r.Form.Encode())
		}},
		{"Expect 100-continue", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) }},
		{"body read twice, then after Close", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", func(w http.ResponseWriter, r *http.Request) {
			a, _ := io.ReadAll(r.Body)
			b, err := io.ReadAll(r.Body)
			r.Body.Close()
			_, err2 := r.Body.Read(make([]byte, 1))
			io.WriteString(w, string(a)+"|"+string(b)+"|"+errText(err)+"|"+errText(err2))
		}},
		{"request facts", get("/a%2Fb?q=1", "X-Y: z\r\n"), func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Join([]string{r.Method, r.RequestURI, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Proto, r.Header.Get("X-Y"), errText(r.Context().Err())}, " "))
		}},
		{"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }},
		{"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }},
		{"HTTP/1.0 keep-alive, flushed", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			io.WriteString(w, "b")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req + "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
			_, addr, _ := testServer(t, DefaultOptions(), tc.h, nil)
			got := withoutDateServer(parityExchange(t, addr, req))
			want := withoutDateServer(parityExchange(t, plainServer(t, tc.h), req))
			if !bytes.Equal(got, want) {
				t.Errorf("gowaitress sends\n%q\nnet/http sends\n%q", got, want)
			}
		})
	}
}

// TestRequestParity: for requests that both accept, a handler sees the same
// request under gowaitress as under net/http (method, target, path, query,
// host, fields, length and body). Not here, as waitress's rules: proxy
// headers from an untrusted peer are removed; a fragment is cut from the
// target; leading slashes are collapsed; OPTIONS * reaches the handler;
// lower-case methods and bare LF are refused; r.URL has scheme and host;
// a chunked body arrives with its length (see TestNetHTTPParity and the
// conformance cases).
func TestRequestParity(t *testing.T) {
	dump := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "method=%q uri=%q path=%q raw=%q query=%q host=%q proto=%q length=%d close=%v te=%q\n",
			r.Method, r.RequestURI, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Proto, r.ContentLength, r.Close, r.TransferEncoding)
		for _, k := range keys {
			fmt.Fprintf(w, "%s=%q\n", k, r.Header[k])
		}
		body, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "body=%q err=%v form=%v\n", body, err, r.URL.Query())
	})
	_, addr, _ := testServer(t, DefaultOptions(), dump, nil)
	plain := plainServer(t, dump)
	for _, req := range []string{
		"GET /a/b/../c?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a;b?x;y HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET http://other.test/p?q HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: A.Example.COM\r\n\r\n",
		"GET /p HTTP/1.1\r\nhost: a\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nX-Dup: 2\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: a\r\nX-Sp:   padded   \r\nX-Empty:\r\nx-lower: v\r\nX-Tab:\tv\t\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: a\r\nX-Obs: caf\xe9\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: a\r\nAccept: a, b\r\nAccept: c\r\nUser-Agent: \r\n\r\n",
		"GET /%7Efoo/%2e%2e/bar%2Fbaz HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /p?a=1&a=2&b HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
		"PATCH /p HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz",
		"CUSTOM-METHOD /p HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Foo\r\nX-Foo: bar\r\n\r\n",
		"GET /p HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
		"GET /p HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
	} {
		full := req + "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
		got := withoutDateServer(parityExchange(t, addr, full))
		want := withoutDateServer(parityExchange(t, plain, full))
		if !bytes.Equal(got, want) {
			t.Errorf("%q\ngowaitress answers\n%s\nnet/http answers\n%s", req, got, want)
		}
	}
}

// setAndWrite is a handler that sets one header field and writes body.
func setAndWrite(key, value, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(key, value)
		io.WriteString(w, body)
	}
}

func errText(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

var dateField = regexp.MustCompile("\r\nDate: [^\r]*")

// withoutDateServer is b without its Date fields and our Server field,
// which only gowaitress sends: the rest of a response is compared with
// net/http's.
func withoutDateServer(b []byte) []byte {
	return bytes.ReplaceAll(dateField.ReplaceAll(b, nil), []byte("\r\nServer: waitress"), nil)
}

// parityExchange sends req on a new connection and returns all it reads
// until the server closes it, or "<<open>>" appended when it does not
// within a second.
func parityExchange(t *testing.T, addr, req string) []byte {
	t.Helper()
	c := dial(t, "tcp", addr)
	c.SetDeadline(time.Now().Add(time.Second))
	io.WriteString(c, req)
	b, err := io.ReadAll(c)
	if err != nil {
		b = append(b, "<<open>>"...)
	}
	return b
}
