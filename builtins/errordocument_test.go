package builtins

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/environ"
)

// docApp serves /err/* pages, fails on /broken, answers other paths with the
// status in ?s=, and records what the page requests looked like.
func docApp(seen *[]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = append(*seen, r.Method+" "+environ.ScriptName(r)+"|"+r.URL.Path+"?"+r.URL.RawQuery+" range="+r.Header.Get("Range"))
		switch {
		case strings.HasPrefix(r.URL.Path, "/err/"):
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "page "+r.URL.Path+" "+r.URL.RawQuery)
		case r.URL.Path == "/missing-page":
			http.NotFound(w, r)
		case r.URL.Path == "/broken":
			w.WriteHeader(500)
			io.WriteString(w, "broken page")
		default:
			w.Header().Set("X-Original", "1")
			w.Header().Set("Www-Authenticate", `Basic realm="x"`)
			code := 200
			switch r.URL.Query().Get("s") {
			case "404":
				code = 404
			case "401":
				code = 401
			case "500":
				code = 500
			case "503":
				code = 503
			}
			w.WriteHeader(code)
			io.WriteString(w, "original body")
		}
	})
}

func TestErrorDocument(t *testing.T) {
	var seen []string
	h, err := ErrorDocumentFactory(docApp(&seen), settings("DEFAULT"), settings("filter-app:errors",
		"404", "/err/404.html", "401", "/err/auth.html?from=401", "500", "/broken", "503", "/missing-page"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, target string
		status               int
		body, seenPage       string
		hdr                  map[string]string
	}{
		{"ok untouched", "GET", "/x?s=200", 200, "original body", "", map[string]string{"X-Original": "1"}},
		{"404 page", "GET", "/x?s=404", 404, "page /err/404.html ", "GET /m|/err/404.html? range=", map[string]string{"X-Original": "", "Content-Type": "text/html"}},
		{"post becomes get", "POST", "/x?s=404", 404, "page /err/404.html ", "GET /m|/err/404.html? range=", nil},
		{"head stays head", "HEAD", "/x?s=404", 404, "page /err/404.html ", "HEAD /m|/err/404.html? range=", nil},
		{"401 keeps challenge", "GET", "/x?s=401", 401, "page /err/auth.html from=401", "GET /m|/err/auth.html?from=401 range=", map[string]string{"Www-Authenticate": `Basic realm="x"`}},
		{"page fails", "GET", "/x?s=500", 500, "500 Internal Server Error\n", "GET /m|/broken? range=", nil},
		{"page missing", "GET", "/x?s=503", 503, "503 Service Unavailable\n", "GET /m|/missing-page? range=", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader("request body"))
			r.Header.Set("Range", "bytes=0-1")
			r = environ.WithScriptName(r, "/m")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Fatalf("%d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			if tc.seenPage != "" && (len(seen) != 2 || seen[1] != tc.seenPage) {
				t.Errorf("requests %q", seen)
			}
			for k, v := range tc.hdr {
				if rec.Header().Get(k) != v {
					t.Errorf("%s = %q, want %q", k, rec.Header().Get(k), v)
				}
			}
		})
	}
}

// A page that answers with a mapped status itself is not intercepted again.
func TestErrorDocumentNoLoop(t *testing.T) {
	calls := 0
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.NotFound(w, r)
	})
	h, err := ErrorDocumentFactory(app, settings("DEFAULT"), settings("filter-app:errors", "404", "/nope"))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 404 || calls != 2 {
		t.Errorf("%d after %d calls", rec.Code, calls)
	}
}

func TestErrorDocumentSettings(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"notfound", "/x"}, "every key must be a status code"},
		{[]string{"200", "/x"}, "every key must be a status code"},
		{[]string{"304", "/x"}, "every key must be a status code"},
		{[]string{"600", "/x"}, "every key must be a status code"},
		{[]string{"404", "x.html"}, `want a path starting with "/"`},
		{[]string{"404", "//evil.example/x"}, `want a path starting with "/"`},
		{[]string{"404", "http://evil.example/x"}, `want a path starting with "/"`},
	} {
		_, err := ErrorDocumentFactory(http.NotFoundHandler(), settings("DEFAULT"), settings("filter-app:errors", tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.kv, err, tc.want)
		}
	}
}

// A panic turned into a 500 by an inner error_catcher gets the 500 page.
func TestErrorDocumentWithErrorCatcher(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/500.html" {
			io.WriteString(w, "friendly 500")
			return
		}
		panic("boom")
	})
	caught, _ := buildErrorCatcher(t, app, nil)
	h, err := ErrorDocumentFactory(caught, settings("DEFAULT"), settings("filter-app:errors", "500", "/500.html"))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Body.String() != "friendly 500" {
		t.Errorf("%d %q", rec.Code, rec.Body.String())
	}
}
