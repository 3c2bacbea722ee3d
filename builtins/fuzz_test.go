package builtins

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/environ"
)

// FuzzURLMap checks, for any request path, that dispatch never panics and
// that a matched route's prefix plus the path the application sees is the
// slash-collapsed request path.
func FuzzURLMap(f *testing.F) {
	for _, s := range []string{"/", "//blog//x", "/blog%2Fx", "/a%2F/b", "/%", "/blog/../x", "*", "/docs/a/", "/%62log", "/a b/c"} {
		f.Add(s)
	}
	var seen struct {
		ok          bool
		script, pth string
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.ok, seen.script, seen.pth = true, environ.ScriptName(r), r.URL.Path
	})
	l := &fakeLoader{apps: map[string]http.Handler{"a": app}}
	m, err := URLMapFactory(l, nil, settings("composite:main", "/blog", "a", "/blog/admin", "a", "/docs", "a", "/é", "a", "/%", "a"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := url.ParseRequestURI(p)
		if err != nil || strings.ContainsAny(p, "?#") {
			return
		}
		seen.ok = false
		r := httptest.NewRequest("GET", "/", nil)
		r.URL = u
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, r)
		if !seen.ok {
			if rec.Code != http.StatusNotFound {
				t.Fatalf("%q: status %d", p, rec.Code)
			}
			return
		}
		want, err := url.PathUnescape(collapseSlashes(u.EscapedPath()))
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if seen.script+seen.pth != want {
			t.Fatalf("%q: script %q + path %q != %q", p, seen.script, seen.pth, want)
		}
		if seen.pth != "" && seen.pth[0] != '/' {
			t.Fatalf("%q: path %q", p, seen.pth)
		}
	})
}

// FuzzPrefix checks that the prefix filter never panics, always sets the
// script name, and either leaves the path alone or removes exactly the
// prefix from it.
func FuzzPrefix(f *testing.F) {
	for _, s := range []string{"/james", "/james/x", "/jamesx", "/james%2Fx", "/", "", "//james", "/%6Aames/y"} {
		f.Add(s)
	}
	var script, pth string
	h, err := PrefixFactory(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		script, pth = environ.ScriptName(r), r.URL.Path
	}), nil, settings("filter:p", "prefix", "/james"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := url.Parse(p)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(p, "?#") {
			return
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.URL = u
		orig := u.Path
		h.ServeHTTP(httptest.NewRecorder(), r)
		if script != "/james" {
			t.Fatalf("%q: script name %q", p, script)
		}
		switch {
		case pth == orig:
		case orig == "" && pth == "/":
		case orig == "/james" && pth == "/":
		case "/james"+pth == orig:
		default:
			t.Fatalf("%q: path %q from %q", p, pth, orig)
		}
	})
}
