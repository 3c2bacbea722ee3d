package builtins

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func buildGzip(t *testing.T, next http.Handler, kv ...string) http.Handler {
	t.Helper()
	h, err := GzipFactory(next, settings("DEFAULT"), settings("filter:gzip", kv...))
	if err != nil {
		t.Fatalf("GzipFactory: %v", err)
	}
	return h
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v (%q)", err, b)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return string(out)
}

var bigText = strings.Repeat("hello gzip world ", 100)

// bodyApp answers with status, the headers given as pairs, and body.
func bodyApp(status int, body string, hdr ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func TestGzipDecisions(t *testing.T) {
	html := []string{"Content-Type", "text/html; charset=utf-8"}
	for _, tc := range []struct {
		name     string
		app      http.Handler
		method   string
		ae       string
		gzipped  bool
		vary     bool
		settings []string
	}{
		{"html", bodyApp(200, bigText, html...), "GET", "gzip", true, true, nil},
		{"json", bodyApp(200, bigText, "Content-Type", "application/json"), "GET", "gzip, deflate", true, true, nil},
		{"svg", bodyApp(200, bigText, "Content-Type", "image/svg+xml"), "GET", "gzip", true, true, nil},
		{"js", bodyApp(200, bigText, "Content-Type", "application/javascript"), "GET", "gzip", true, true, nil},
		{"sniffed", bodyApp(200, "<html>"+bigText), "GET", "gzip", true, true, nil},
		{"png", bodyApp(200, bigText, "Content-Type", "image/png"), "GET", "gzip", false, false, nil},
		{"no accept", bodyApp(200, bigText, html...), "GET", "", false, true, nil},
		{"q0", bodyApp(200, bigText, html...), "GET", "gzip;q=0", false, true, nil},
		{"q0.000", bodyApp(200, bigText, html...), "GET", "gzip;q=0.000, deflate", false, true, nil},
		{"q0.5", bodyApp(200, bigText, html...), "GET", "deflate, gzip;q=0.5", true, true, nil},
		{"x-gzip", bodyApp(200, bigText, html...), "GET", "x-gzip", true, true, nil},
		{"star", bodyApp(200, bigText, html...), "GET", "*", true, true, nil},
		{"star q0", bodyApp(200, bigText, html...), "GET", "*;q=0", false, true, nil},
		{"explicit gzip beats star", bodyApp(200, bigText, html...), "GET", "*, gzip;q=0", false, true, nil},
		{"bad q ignored", bodyApp(200, bigText, html...), "GET", "gzip;q=2", false, true, nil},
		{"bad q text", bodyApp(200, bigText, html...), "GET", "gzip;q=abc", false, true, nil},
		{"case", bodyApp(200, bigText, html...), "GET", "GZIP;Q=1.0", true, true, nil},
		{"identity only", bodyApp(200, bigText, html...), "GET", "identity", false, true, nil},
		{"head", bodyApp(200, bigText, html...), "HEAD", "gzip", false, true, nil},
		{"204", bodyApp(204, "", html...), "GET", "gzip", false, false, nil},
		{"304", bodyApp(304, "", html...), "GET", "gzip", false, true, nil},
		{"206", bodyApp(206, bigText, append(html, "Content-Range", "bytes 0-9/100")...), "GET", "gzip", false, false, nil},
		{"encoded", bodyApp(200, bigText, append(html, "Content-Encoding", "br")...), "GET", "gzip", false, false, nil},
		{"no-transform", bodyApp(200, bigText, append(html, "Cache-Control", "no-transform")...), "GET", "gzip", false, false, nil},
		{"small", bodyApp(200, "tiny", html...), "GET", "gzip", false, true, nil},
		{"small by length", bodyApp(200, "tiny", append(html, "Content-Length", "4")...), "GET", "gzip", false, true, nil},
		{"min_size 0", bodyApp(200, "tiny", html...), "GET", "gzip", true, true, []string{"min_size", "0"}},
		{"level 9", bodyApp(200, bigText, html...), "GET", "gzip", true, true, []string{"compress_level", "9"}},
		{"error page", bodyApp(500, bigText, html...), "GET", "gzip", true, true, nil},
		{"empty", bodyApp(200, "", html...), "GET", "gzip", false, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := buildGzip(t, tc.app, tc.settings...)
			r := httptest.NewRequest(tc.method, "/", nil)
			if tc.ae != "" {
				r.Header.Set("Accept-Encoding", tc.ae)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			got := rec.Header().Get("Content-Encoding") == "gzip"
			if got != tc.gzipped {
				t.Fatalf("gzipped = %v, want %v (%v)", got, tc.gzipped, rec.Header())
			}
			if v := rec.Header().Get("Vary") == "Accept-Encoding"; v != tc.vary {
				t.Errorf("Vary = %q", rec.Header().Get("Vary"))
			}
			if got {
				if rec.Header().Get("Content-Length") != "" {
					t.Errorf("Content-Length kept")
				}
				if body := gunzip(t, rec.Body.Bytes()); !strings.HasSuffix(body, bigText) && body != "tiny" {
					t.Errorf("body %q", body)
				}
			}
		})
	}
}

func TestGzipHeaders(t *testing.T) {
	app := bodyApp(200, bigText, "Content-Type", "text/plain", "Content-Length", "1700", "Etag", `"abc"`,
		"Accept-Ranges", "bytes", "Vary", "Cookie")
	h := buildGzip(t, app)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	hd := rec.Header()
	if hd.Get("Etag") != `W/"abc"` || hd.Get("Accept-Ranges") != "" || hd.Get("Content-Length") != "" ||
		strings.Join(hd.Values("Vary"), ",") != "Cookie,Accept-Encoding" {
		t.Errorf("headers %v", hd)
	}
}

// A streaming handler's flushed chunks reach the client before it ends.
func TestGzipStreamingFlush(t *testing.T) {
	step := make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-step
		io.WriteString(w, "data: two\n\n")
	})
	srv := httptest.NewServer(buildGzip(t, app))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		close(step)
		t.Fatalf("headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		close(step)
		t.Fatal(err)
	}
	buf := make([]byte, 11)
	if _, err := io.ReadFull(zr, buf); err != nil || string(buf) != "data: one\n\n" {
		close(step)
		t.Fatalf("first chunk %q %v", buf, err)
	}
	close(step)
	rest, _ := io.ReadAll(zr)
	if string(rest) != "data: two\n\n" {
		t.Errorf("rest %q", rest)
	}
}

func TestGzipSettings(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"compress_level", "0"}, "compress_level"},
		{[]string{"compress_level", "10"}, "compress_level"},
		{[]string{"compress_level", "fast"}, "compress_level"},
		{[]string{"min_size", "-1"}, "min_size"},
		{[]string{"compress_levle", "5"}, `did you mean "compress_level"`},
	} {
		_, err := GzipFactory(http.NotFoundHandler(), settings("DEFAULT"), settings("filter:gzip", tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v", tc.kv, err)
		}
	}
}

func TestGzipPoolReuse(t *testing.T) {
	h := buildGzip(t, bodyApp(200, bigText, "Content-Type", "text/plain"))
	for i := 0; i < 20; i++ {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if gunzip(t, rec.Body.Bytes()) != bigText {
			t.Fatal("bad body on reuse")
		}
	}
}

func TestAcceptsGzipHostile(t *testing.T) {
	long := strings.Repeat("x, ", 10000) + "gzip"
	if acceptsGzip([]string{long}) {
		t.Error("entries past the limit counted")
	}
	for _, v := range []string{"gzip;q=", "gzip;q=1.0000", "gzip;q=-1", "gzip;q=0.5x", ";;;", "gzip;q=1;q=0"} {
		_ = acceptsGzip([]string{v}) // must not panic
	}
	if acceptsGzip([]string{"gzip;q=1;q=0"}) {
		t.Error("last q should win")
	}
}
