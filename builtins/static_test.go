package builtins

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// staticTree builds a document root (and a directory outside it) for the
// static tests.
func staticTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "root"), filepath.Join(base, "outside")
	files := map[string]string{
		"root/index.html":            "<h1>home</h1>",
		"root/a.txt":                 "hello",
		"root/sub/index.html":        "<h1>sub</h1>",
		"root/nodir/file.bin":        "x",
		"root/style.css":             "body{color:red}",
		"root/style.css.gz":          "GZIPPED",
		"root/style.css.br":          "BROTLI",
		"root/only.js":               "var a=1;",
		"root/only.js.gz":            "GZ-JS",
		"root/.env":                  "SECRET=1",
		"root/.git/config":           "[core]",
		"root/.well-known/acme.txt":  "token",
		"root/evil.com/index.html":   "evil dir",
		"root/noext":                 "plain",
		"root/noext.gz":              "gz",
		"outside/secret.txt":         "top secret",
		"outside/dir/inner.txt":      "inner secret",
		"root/a b/c%2Fd.txt":         "odd name",
		"root/sub/deeper/index.html": "deep",
	}
	for name, body := range files {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"root/link.txt":       "a.txt",                              // inside: followed
		"root/sub/up.txt":     "../a.txt",                           // inside, via ..: followed
		"root/out.txt":        "../outside/secret.txt",              // relative, outside
		"root/outdir":         "../outside/dir",                     // directory outside
		"root/abs.txt":        filepath.Join(outside, "secret.txt"), // absolute, outside
		"root/absin.txt":      filepath.Join(root, "a.txt"),         // absolute, inside (refused by os.Root)
		"root/sub/escape.txt": "../../outside/secret.txt",           // nested escape
		"root/loop":           "loop",                               // a loop
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
		t.Logf("no fifo: %v", err)
	}
	return root, outside
}

func buildStatic(t *testing.T, kv ...string) http.Handler {
	t.Helper()
	h, err := StaticFactory(settings("DEFAULT"), settings("app:static", kv...))
	if err != nil {
		t.Fatalf("StaticFactory: %v", err)
	}
	return h
}

func staticGet(h http.Handler, method, target, scriptName string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	r = environ.WithScriptName(r, scriptName)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestStaticServes(t *testing.T) {
	root, _ := staticTree(t)
	h := buildStatic(t, "document_root", root)
	for _, tc := range []struct {
		name, method, target, script string
		hdr                          []string
		status                       int
		body                         string
		headers                      map[string]string
	}{
		{"file", "GET", "/a.txt", "", nil, 200, "hello", map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Length": "5"}},
		{"head", "HEAD", "/a.txt", "", nil, 200, "", map[string]string{"Content-Length": "5"}},
		{"post", "POST", "/a.txt", "", nil, 405, "405 Method Not Allowed\n", map[string]string{"Allow": "GET, HEAD"}},
		{"root index", "GET", "/", "", nil, 200, "<h1>home</h1>", map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{"sub index", "GET", "/sub/", "", nil, 200, "<h1>sub</h1>", nil},
		{"sub redirect", "GET", "/sub", "", nil, 301, "", map[string]string{"Location": "/sub/"}},
		{"sub redirect mounted", "GET", "/sub?x=1", "/static", nil, 301, "", map[string]string{"Location": "/static/sub/?x=1"}},
		{"mount root redirect", "GET", "http://h", "/static", nil, 301, "", map[string]string{"Location": "/static/"}},
		{"mounted file", "GET", "/a.txt", "/static", nil, 200, "hello", nil},
		{"no index", "GET", "/nodir/", "", nil, 404, "", nil},
		{"missing", "GET", "/nope.txt", "", nil, 404, "", nil},
		{"slash runs", "GET", "//a.txt", "", nil, 200, "hello", nil},
		{"dot segment", "GET", "/sub/./index.html", "", nil, 200, "<h1>sub</h1>", nil},
		{"no open redirect", "GET", "//evil.com", "", nil, 301, "", map[string]string{"Location": "/evil.com/"}},
		{"symlink inside", "GET", "/link.txt", "", nil, 200, "hello", nil},
		{"symlink inside via dotdot", "GET", "/sub/up.txt", "", nil, 200, "hello", nil},
		{"well-known", "GET", "/.well-known/acme.txt", "", nil, 200, "token", nil},
		{"encoded name", "GET", "/a%20b/c%252Fd.txt", "", nil, 200, "odd name", nil},
		{"deep redirect", "GET", "/sub/deeper", "/m", nil, 301, "", map[string]string{"Location": "/m/sub/deeper/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := staticGet(h, tc.method, tc.target, tc.script, tc.hdr...)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("body %q, want %q", rec.Body.String(), tc.body)
			}
			if tc.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD body %q", rec.Body.String())
			}
			for k, v := range tc.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestStaticHostilePaths(t *testing.T) {
	root, _ := staticTree(t)
	h := buildStatic(t, "document_root", root)
	for _, target := range []string{
		"/../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/sub/../../outside/secret.txt",
		"/sub/%2e%2e/%2e%2e/outside/secret.txt", "/..%2foutside/secret.txt", "/..%2Foutside%2Fsecret.txt",
		"/sub%2Findex.html", "/sub%5Cindex.html", "/..%5Coutside%5Csecret.txt", "/a.txt%00", "/a.txt%00.html",
		"/.env", "/.git/config", "/sub/.%2e/a.txt", "/out.txt", "/outdir/inner.txt", "/outdir/",
		"/abs.txt", "/absin.txt", "/sub/escape.txt", "/loop", "/fifo", "/a.txt/", "/%5c..%5coutside",
	} {
		t.Run(target, func(t *testing.T) {
			rec := staticGet(h, "GET", target, "")
			if rec.Code < 400 || rec.Code == 405 {
				t.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
			}
			if b := rec.Body.String(); strings.Contains(b, "secret") || strings.Contains(b, "SECRET") || strings.Contains(b, "core") {
				t.Fatalf("leaked %q", b)
			}
		})
	}
}

func TestStaticConditionalAndRange(t *testing.T) {
	root, _ := staticTree(t)
	h := buildStatic(t, "document_root", root, "cache_max_age", "60")
	rec := staticGet(h, "GET", "/a.txt", "")
	etag, lm := rec.Header().Get("Etag"), rec.Header().Get("Last-Modified")
	if etag == "" || lm == "" || rec.Header().Get("Cache-Control") != "max-age=60" || rec.Header().Get("Expires") == "" {
		t.Fatalf("headers %v", rec.Header())
	}
	many := "bytes=" + strings.Repeat("0-0,", 16) + "0-0"
	spread := "bytes=0-0,1-1,2-2,3-3,4-4,0-0,1-1,2-2,3-3,4-4,0-0,1-1,2-2,3-3,4-4,0-0,1-1"
	for _, tc := range []struct {
		name   string
		hdr    []string
		status int
		body   string
	}{
		{"if-none-match", []string{"If-None-Match", etag}, 304, ""},
		{"if-none-match other", []string{"If-None-Match", `"x"`}, 200, "hello"},
		{"if-modified-since", []string{"If-Modified-Since", lm}, 304, ""},
		{"if-match fails", []string{"If-Match", `"x"`}, 412, ""},
		{"range", []string{"Range", "bytes=1-2"}, 206, "el"},
		{"suffix range", []string{"Range", "bytes=-2"}, 206, "lo"},
		{"open range", []string{"Range", "bytes=3-"}, 206, "lo"},
		{"unsatisfiable", []string{"Range", "bytes=10-20"}, 416, ""},
		{"malformed", []string{"Range", "bytes=x-y"}, 416, ""},
		{"overlapping ignored", []string{"Range", "bytes=0-3,2-4"}, 200, "hello"},
		{"too many ignored", []string{"Range", many}, 200, "hello"},
		{"too many distinct ignored", []string{"Range", spread}, 200, "hello"},
		{"huge header ignored", []string{"Range", "bytes=0-1" + strings.Repeat(",", 2000)}, 200, "hello"},
		{"if-range stale", []string{"Range", "bytes=0-1", "If-Range", `"old"`}, 200, "hello"},
		{"if-range fresh", []string{"Range", "bytes=0-1", "If-Range", etag}, 206, "he"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := staticGet(h, "GET", "/a.txt", "", tc.hdr...)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (%q)", rec.Code, tc.status, rec.Body.String())
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("body %q, want %q", rec.Body.String(), tc.body)
			}
		})
	}
	// A 304 keeps the caching headers.
	rec = staticGet(h, "GET", "/a.txt", "", "If-None-Match", etag)
	if rec.Code != 304 || rec.Header().Get("Cache-Control") != "max-age=60" || rec.Header().Get("Etag") != etag {
		t.Errorf("304 headers: %d %v", rec.Code, rec.Header())
	}
	// Two disjoint ranges: a multipart answer.
	rec = staticGet(h, "GET", "/a.txt", "", "Range", "bytes=0-0,4-4")
	if rec.Code != 206 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "multipart/byteranges") {
		t.Errorf("multi range: %d %v", rec.Code, rec.Header())
	}
}

func TestStaticPrecompressed(t *testing.T) {
	root, _ := staticTree(t)
	h := buildStatic(t, "document_root", root)
	for _, tc := range []struct {
		name, target, ae, body, encoding string
		vary                             bool
	}{
		{"br preferred", "/style.css", "gzip, br", "BROTLI", "br", true},
		{"gzip", "/style.css", "gzip", "GZIPPED", "gzip", true},
		{"gzip q", "/style.css", "br;q=0, gzip;q=0.5", "GZIPPED", "gzip", true},
		{"none", "/style.css", "", "body{color:red}", "", true},
		{"refused", "/style.css", "gzip;q=0, br;q=0", "body{color:red}", "", true},
		{"star", "/style.css", "*", "BROTLI", "br", true},
		{"star but not br", "/style.css", "*, br;q=0", "GZIPPED", "gzip", true},
		{"identity", "/style.css", "identity", "body{color:red}", "", true},
		{"only gz sibling", "/only.js", "br", "var a=1;", "", true},
		{"only gz sibling gzip", "/only.js", "br, gzip", "GZ-JS", "gzip", true},
		{"no sibling", "/a.txt", "gzip, br", "hello", "", false},
		{"unknown type not compressed", "/noext", "gzip", "plain", "", false},
		{"gz file itself", "/style.css.gz", "gzip", "GZIPPED", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ae != "" {
				hdr = []string{"Accept-Encoding", tc.ae}
			}
			rec := staticGet(h, "GET", tc.target, "", hdr...)
			if rec.Code != 200 || rec.Body.String() != tc.body {
				t.Fatalf("%d %q, want %q", rec.Code, rec.Body.String(), tc.body)
			}
			if got := rec.Header().Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if got := rec.Header().Get("Vary") == "Accept-Encoding"; got != tc.vary {
				t.Errorf("Vary %q", rec.Header().Get("Vary"))
			}
			if tc.target == "/style.css" && rec.Header().Get("Content-Type") != "text/css; charset=utf-8" {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
		})
	}
	plain := staticGet(h, "GET", "/style.css", "").Header().Get("Etag")
	gz := staticGet(h, "GET", "/style.css", "", "Accept-Encoding", "gzip").Header().Get("Etag")
	if plain == gz || plain == "" {
		t.Errorf("ETags %q %q", plain, gz)
	}
}

func TestStaticSettings(t *testing.T) {
	root, _ := staticTree(t)
	file := filepath.Join(root, "a.txt")
	for _, tc := range []struct {
		name string
		kv   []string
		want string
	}{
		{"missing root", nil, "document_root: required setting missing"},
		{"empty root", []string{"document_root", " "}, "empty value"},
		{"no such dir", []string{"document_root", filepath.Join(root, "nope")}, "no such file"},
		{"not a dir", []string{"document_root", file}, "is not a directory"},
		{"bad max age", []string{"document_root", root, "cache_max_age", "soon"}, "cache_max_age"},
		{"negative max age", []string{"document_root", root, "cache_max_age", "-1"}, "cache_max_age"},
		{"unknown key", []string{"document_root", root, "cache_maxage", "1"}, `did you mean "cache_max_age"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := StaticFactory(settings("DEFAULT"), settings("app:static", tc.kv...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A relative root is taken from "here".
	h, err := StaticFactory(settings("DEFAULT", "here", filepath.Dir(root)), settings("app:static", "document_root", "root"))
	if err != nil {
		t.Fatal(err)
	}
	if rec := staticGet(h, "GET", "/a.txt", ""); rec.Body.String() != "hello" {
		t.Errorf("relative root: %d %q", rec.Code, rec.Body.String())
	}
	var pe *pastedeploy.Error
	_, err = StaticFactory(settings("DEFAULT"), settings("app:static", "document_root", file))
	if !errors.As(err, &pe) || pe.Key != "document_root" || pe.Line != 2 {
		t.Errorf("error position: %#v", err)
	}
}
