package builtins

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gowaitress/gowaitress/config"
)

// Over a real connection: the cascade replays a large streamed body.
func TestCascadeRealServerBody(t *testing.T) {
	half := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 1<<20)
		w.Header().Set("X-Half", "1")
		w.WriteHeader(404)
		w.Write([]byte("not here"))
	})
	sum := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("X-Len", itoa(int(n)))
		w.WriteHeader(200)
		w.Header().Set("X-After", "ignored") // after WriteHeader: no effect
		w.WriteHeader(500)                   // superfluous
	})
	h, _ := buildCascade(t, map[string]http.Handler{"half": half, "sum": sum}, "app1", "half", "app2", "sum")
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the superfluous WriteHeader is reported there
	srv.Start()
	defer srv.Close()
	const size = 3<<20 + 7
	resp, err := http.Post(srv.URL, "application/octet-stream", io.LimitReader(zeros{}, size))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Len") != itoa(size) || resp.Header.Get("X-Half") != "" || resp.Header.Get("X-After") != "" {
		t.Errorf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Over a real connection: ReadFrom and Hijack pass through the translogger.
func TestTransloggerRealServer(t *testing.T) {
	app := http.NewServeMux()
	app.HandleFunc("/copy", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, struct{ io.Reader }{strings.NewReader("0123456789")}) // no WriteTo: uses ReadFrom
	})
	app.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		rw.Flush()
	})
	h, logs, _ := buildTranslogger(t, app, "setup_console_handler", "false", "format", "%(REQUEST_URI)s %(status)s %(bytes)s")
	done := make(chan struct{}, 2) // the translogger has returned (a hijacked request is not waited for by Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	defer srv.Close()
	for _, p := range []string{"/copy", "/hijack"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Errorf("%s: %d %q", p, resp.StatusCode, b)
		}
	}
	<-done
	<-done
	var got []string
	for _, e := range logs.All() {
		got = append(got, e.Message)
	}
	if strings.Join(got, "|") != "/copy 200 10|/hijack - -" {
		t.Errorf("lines %q", got)
	}
}

// The built handlers are safe for concurrent use.
func TestConcurrentRequests(t *testing.T) {
	l := &fakeLoader{}
	m := buildURLMap(t, l, nil, "/", "root", "/a", "a", "domain x /b", "b")
	p, _ := PrefixFactory(m, nil, settings("filter:p", "prefix", "/pre", "force_port", "81"))
	var console bytes.Buffer
	var mu sync.Mutex
	f, err := newTranslogger(nil, lockedWriter{&mu, &console}, config.NewSettings())
	if err != nil {
		t.Fatal(err)
	}
	h := f(p)
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				host := "x"
				if j%2 == 0 {
					host = "y"
				}
				_, rep := serve(t, h, req{host: &host, path: "/pre/b/c", headers: map[string]string{"X-Forwarded-For": "1.1.1.1"}})
				want := "root"
				if host == "x" {
					want = "b"
				}
				if rep.App != want {
					t.Errorf("got %q, want %q", rep.App, want)
				}
			}
		}(i)
	}
	wg.Wait()
	if n := strings.Count(console.String(), "\n"); n != 32*50 {
		t.Errorf("%d console lines", n)
	}
	sc := bufio.NewScanner(&console)
	sc.Scan()
	if !strings.HasPrefix(sc.Text(), "127.0.0.1 - - [") {
		t.Errorf("line %q", sc.Text())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l lockedWriter) Sync() error { return nil }
