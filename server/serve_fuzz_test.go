package server

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fuzzServer is one server per fuzzing process, with small limits so
// that short inputs reach the 413 and 431 paths; its app echoes the body.
var fuzzServer struct {
	once sync.Once
	addr string
	logs *observer.ObservedLogs
	err  error
}

func fuzzServerAddr(t *testing.T) (string, *observer.ObservedLogs) {
	fuzzServer.once.Do(func() {
		o := DefaultOptions()
		o.Listen = []string{"127.0.0.1:0"}
		o.MaxRequestHeaderSize = 512
		o.MaxRequestBodySize = 256
		o.ConnectionLimit = 1000
		core, logs := observer.New(zapcore.WarnLevel)
		o.Logger = zap.New(core)
		s, err := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, r.Method+" "+r.URL.Path+"\n")
			w.Write(b)
		}), o)
		if err != nil {
			fuzzServer.err = err
			return
		}
		go s.Serve()
		fuzzServer.addr, fuzzServer.logs = s.Addrs()[0].String(), logs
	})
	if fuzzServer.err != nil {
		t.Fatal(fuzzServer.err)
	}
	return fuzzServer.addr, fuzzServer.logs
}

// FuzzServe sends arbitrary bytes to a live server on one connection and
// half-closes it. Whatever the bytes, the server must not panic (net/http
// would recover the connection goroutine's panic and log it), must answer
// with well-framed responses only, and must close the connection soon
// after the client's FIN; and it must go on serving.
//
//	go test ./server -run '^$' -fuzz FuzzServe -fuzztime 60s
func FuzzServe(f *testing.F) {
	for _, raw := range conformanceRaws(4096) {
		f.Add(raw)
	}
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		addr, logs := fuzzServerAddr(t)
		before := logs.FilterMessageSnippet("panic serving").Len()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(data); err != nil && !isDisconnect(err) {
			t.Fatal(err)
		}
		c.(*net.TCPConn).CloseWrite()
		// A HEAD response has no body whatever its Content-Length: with a
		// HEAD request in the input, responses are not parsed.
		frame := !strings.Contains(string(data), "HEAD")
		br := bufio.NewReader(c)
		for frame {
			if _, err := br.Peek(1); err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("no close within 5 s of the FIN\ninput %q", data)
				}
				break // EOF or reset: closed
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("malformed response: %v\ninput %q", err, data)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil && !isDisconnect(err) {
				t.Fatalf("response body: %v\ninput %q", err, data)
			}
			resp.Body.Close()
		}
		if !frame {
			if _, err := io.Copy(io.Discard, br); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("no close within 5 s of the FIN\ninput %q", data)
			}
		}
		if all := logs.FilterMessageSnippet("panic serving").All(); len(all) > before {
			t.Fatalf("recovered panic: %s\ninput %q", all[len(all)-1].Message, data)
		}
	})
}
