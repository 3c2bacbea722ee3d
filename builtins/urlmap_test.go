package builtins

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

type want struct {
	status     int
	app        string
	call       int
	scriptName string
	pathInfo   string
	rawPath    string
}

func checkResponse(t *testing.T, h http.Handler, q req, w want) {
	t.Helper()
	rec, rep := serve(t, h, q)
	if rec.Code != w.status {
		t.Fatalf("%.100s %v: status %d, want %d; body %.300q", q.path, q.host, rec.Code, w.status, rec.Body.String())
	}
	if w.status != http.StatusOK {
		return
	}
	got := want{status: rec.Code, app: rep.App, call: rep.Call, scriptName: rep.ScriptName, pathInfo: rep.PathInfo, rawPath: rep.RawPath}
	if got != w {
		t.Errorf("%.100s (host %v): got %.300v, want %.300v", q.path, q.host, fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", w))
	}
}

func buildURLMap(t *testing.T, l *fakeLoader, global *config.Settings, kv ...string) *URLMap {
	t.Helper()
	h, err := URLMapFactory(l, global, settings("composite:main", kv...))
	if err != nil {
		t.Fatalf("URLMapFactory: %v", err)
	}
	return h.(*URLMap)
}

// Mirrors conformance case urlmap-longest-prefix-segments.
func TestURLMapLongestPrefixSegments(t *testing.T) {
	l := &fakeLoader{}
	m := buildURLMap(t, l, settings("DEFAULT"), "/", "root", "/blog", "blog", "/blog/admin", "admin", "/docs/", "docs")
	if got, want := l.names(), []string{"root", "blog", "admin", "docs"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("load order %v, want %v", got, want)
	}
	lh := str("localhost")
	for _, tc := range []struct {
		q req
		w want
	}{
		{req{host: lh, path: "/"}, want{200, "root", 0, "", "/", ""}},
		{req{host: lh, path: "/blog"}, want{200, "blog", 1, "/blog", "", ""}},
		{req{host: lh, path: "/blog/"}, want{200, "blog", 1, "/blog", "/", ""}},
		{req{host: lh, path: "/blogger"}, want{200, "root", 0, "", "/blogger", ""}},
		{req{host: lh, path: "/blog/admin/x"}, want{200, "admin", 2, "/blog/admin", "/x", ""}},
		{req{host: lh, path: "/docs"}, want{200, "docs", 3, "/docs", "", ""}},
		{req{host: lh, path: "//blog//x"}, want{200, "blog", 1, "/blog", "/x", ""}},
		{req{host: lh, path: "/docs/a/"}, want{200, "docs", 3, "/docs", "/a/", ""}},
		{req{host: lh, path: "/blog/x", scriptName: "/mount"}, want{200, "blog", 1, "/mount/blog", "/x", ""}},
		// Hostile and unusual paths.
		{req{host: lh, path: "///"}, want{200, "root", 0, "", "/", ""}},
		{req{host: lh, path: "/blog/../admin"}, want{200, "blog", 1, "/blog", "/../admin", ""}},
		{req{host: lh, path: "/../blog/x"}, want{200, "root", 0, "", "/../blog/x", ""}},
		{req{host: lh, path: "/blog%2Fadmin/x"}, want{200, "root", 0, "", "/blog/admin/x", "/blog%2Fadmin/x"}},
		{req{host: lh, path: "/blog/a%2Fb"}, want{200, "blog", 1, "/blog", "/a/b", "/a%2Fb"}},
		{req{host: lh, path: "/blog%2fadmin"}, want{200, "root", 0, "", "/blog/admin", "/blog%2fadmin"}},
		{req{host: lh, path: "/%62log/x"}, want{200, "blog", 1, "/blog", "/x", ""}},
		{req{host: lh, path: "/blog/admin%2F/x"}, want{200, "blog", 1, "/blog", "/admin//x", "/admin%2F/x"}},
		{req{host: lh, path: "/blog/x?q=/blog/admin"}, want{200, "blog", 1, "/blog", "/x", ""}},
		{req{host: lh, path: "/blog//admin//y"}, want{200, "admin", 2, "/blog/admin", "/y", ""}},
		{req{host: nil, path: "/docs/z"}, want{200, "docs", 3, "/docs", "/z", ""}},
	} {
		checkResponse(t, m, tc.q, tc.w)
	}
}

// Mirrors conformance case urlmap-domains (with deliberate divergence 9).
func TestURLMapDomains(t *testing.T) {
	l := &fakeLoader{}
	m := buildURLMap(t, l, nil,
		"/", "root",
		"domain example.com /", "site",
		"domain api.test port 8080 /", "docs",
		"domain example.com /api", "api")
	if got, want := l.names(), []string{"root", "site", "docs", "api"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("load order %v, want %v", got, want)
	}
	for _, tc := range []struct {
		q req
		w want
	}{
		{req{host: str("example.com"), path: "/x"}, want{200, "site", 1, "", "/x", ""}},
		{req{host: str("EXAMPLE.com:80"), path: "/x"}, want{200, "site", 1, "", "/x", ""}},
		{req{host: str("other.org"), path: "/x"}, want{200, "root", 0, "", "/x", ""}},
		{req{host: str("example.com"), path: "/api/v1"}, want{200, "api", 3, "/api", "/v1", ""}},
		{req{host: str("api.test:8080"), path: "/v1"}, want{200, "docs", 2, "", "/v1", ""}},
		{req{host: str("api.test"), path: "/v1"}, want{200, "root", 0, "", "/v1", ""}},
		{req{host: str("api.test:8080"), path: "/v1", scheme: "https"}, want{200, "docs", 2, "", "/v1", ""}},
		{req{host: nil, path: "/x"}, want{200, "root", 0, "", "/x", ""}},
		// The default port comes from the scheme.
		{req{host: str("api.test"), path: "/v1", scheme: "https"}, want{200, "root", 0, "", "/v1", ""}},
		// A domain route wins over a longer domain-less route.
		{req{host: str("example.com:8080"), path: "/api"}, want{200, "api", 3, "/api", "", ""}},
		{req{host: str("example.com."), path: "/x"}, want{200, "root", 0, "", "/x", ""}},
		{req{host: str("[::1]:8080"), path: "/x"}, want{200, "root", 0, "", "/x", ""}},
	} {
		checkResponse(t, m, tc.q, tc.w)
	}
}

// Deliberate divergence 9: among matching domain routes the longer path
// wins, and host:port beats host-only for equal paths.
func TestURLMapDomainOrdering(t *testing.T) {
	l := &fakeLoader{}
	m := buildURLMap(t, l, nil,
		"domain example.com /", "host-root",
		"domain example.com port 8080 /api", "port-api",
		"domain example.com /api", "host-api",
		"domain Example.COM port 8080", "port-root",
		"/api/v1/deep", "nodomain",
		"domain [::1] port 8443 /", "v6")
	for _, tc := range []struct {
		q req
		w want
	}{
		{req{host: str("example.com:8080"), path: "/api/x"}, want{200, "port-api", 1, "/api", "/x", ""}},
		{req{host: str("example.com"), path: "/api/x"}, want{200, "host-api", 2, "/api", "/x", ""}},
		{req{host: str("example.com:8080"), path: "/other"}, want{200, "port-root", 3, "", "/other", ""}},
		{req{host: str("example.com:9090"), path: "/other"}, want{200, "host-root", 0, "", "/other", ""}},
		{req{host: str("example.com:9090"), path: "/api/v1/deep"}, want{200, "host-api", 2, "/api", "/v1/deep", ""}},
		{req{host: str("other"), path: "/api/v1/deep/x"}, want{200, "nodomain", 4, "/api/v1/deep", "/x", ""}},
		{req{host: str("other"), path: "/api"}, want{404, "", 0, "", "", ""}},
		{req{host: str("[::1]:8443"), path: "/z"}, want{200, "v6", 5, "", "/z", ""}},
		{req{host: str("[::1]"), path: "/z"}, want{404, "", 0, "", "", ""}},
	} {
		checkResponse(t, m, tc.q, tc.w)
	}
	var order []string
	for _, r := range m.Routes() {
		order = append(order, r.Domain+" "+r.Path)
	}
	wantOrder := []string{"example.com:8080 /api", "example.com /api", "[::1]:8443 ", "example.com:8080 ", "example.com ", " /api/v1/deep"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("Routes order\n got %q\nwant %q", order, wantOrder)
	}
}

// Mirrors urlmap-not-found and urlmap-no-host-404 (deliberate divergence 10).
func TestURLMapNotFound(t *testing.T) {
	l := &fakeLoader{}
	m := buildURLMap(t, l, nil, "/blog", "blog")
	checkResponse(t, m, req{host: str("localhost"), path: "/x"}, want{status: 404})
	checkResponse(t, m, req{host: str("localhost"), path: "/blog/x"}, want{200, "blog", 0, "/blog", "/x", ""})
	checkResponse(t, m, req{host: nil, path: "/nope"}, want{status: 404})
	checkResponse(t, m, req{host: nil, path: "/blog/x"}, want{200, "blog", 0, "/blog", "/x", ""})

	// The page lists the routes, script name, path and host, HTML-escaped.
	rec, _ := serve(t, m, req{host: str("evil<host>"), path: "/<script>alert(1)</script>", scriptName: "/m&m"})
	body := rec.Body.String()
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "evil<host>") {
		t.Errorf("page not escaped: %s", body)
	}
	for _, s := range []string{"404 Not Found", "&#34;/blog&#34;", "&lt;script&gt;", "evil&lt;host&gt;", "/m&amp;m"} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q: %s", s, body)
		}
	}
	rec, _ = serve(t, m, req{host: nil, path: "/nope"})
	if !strings.Contains(rec.Body.String(), "HTTP_HOST: &#34;&#34;") {
		t.Errorf("page without host: %s", rec.Body.String())
	}
	// "*" (OPTIONS *) matches no path, not even the catch-all, as in Paste.
	m2 := buildURLMap(t, &fakeLoader{}, nil, "/", "root")
	checkResponse(t, m2, req{method: http.MethodOptions, host: str("h"), path: "*"}, want{status: 404})
}

// Mirrors urlmap-not-found-app-local and urlmap-not-found-app-global.
func TestURLMapNotFoundApp(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		l := &fakeLoader{}
		m := buildURLMap(t, l, settings("DEFAULT", "not_found_app", "ignored"), "/blog", "blog", "not_found_app", "root")
		if got, want := l.names(), []string{"root", "blog"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("load order %v, want %v", got, want)
		}
		checkResponse(t, m, req{host: str("localhost"), path: "/x"}, want{200, "root", 0, "", "/x", ""})
		_, rep := serve(t, m, req{host: str("localhost"), path: "/x"})
		if !rep.MountedMap {
			t.Error("the not-found app cannot see the map")
		}
		_, rep = serve(t, m, req{host: str("localhost"), path: "/blog"})
		if rep.MountedMap {
			t.Error("a route sees the map")
		}
		if len(m.Routes()) != 1 {
			t.Errorf("not_found_app became a route: %v", m.Routes())
		}
	})
	t.Run("global", func(t *testing.T) {
		l := &fakeLoader{}
		global := settings("composite:main", "not_found_app", "docs")
		m := buildURLMap(t, l, global, "/blog", "blog")
		if got, want := l.names(), []string{"docs", "blog"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("load order %v, want %v", got, want)
		}
		for _, ld := range l.loads {
			if ld.global["not_found_app"] != "docs" {
				t.Errorf("child %s got global %v, want the composite's", ld.name, ld.global)
			}
		}
		checkResponse(t, m, req{host: str("localhost"), path: "/x"}, want{200, "docs", 0, "", "/x", ""})
	})
	t.Run("empty local wins over global", func(t *testing.T) {
		l := &fakeLoader{}
		m := buildURLMap(t, l, settings("DEFAULT", "not_found_app", "docs"), "/blog", "blog", "not_found_app", "")
		if got, want := l.names(), []string{"blog"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("load order %v, want %v", got, want)
		}
		checkResponse(t, m, req{host: str("localhost"), path: "/x"}, want{status: 404})
	})
}

// Mirrors urlmap-default-keys-not-routes: only local keys are routes, and
// children get the composite's global settings.
func TestURLMapGlobalKeysNotRoutes(t *testing.T) {
	l := &fakeLoader{}
	global := settings("DEFAULT", "/ignored", "root", "here", "/dir")
	m := buildURLMap(t, l, global, "/cms", "config:cms.ini")
	if got, want := l.names(), []string{"config:cms.ini"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("load order %v, want %v", got, want)
	}
	if got := l.loads[0].global; got["here"] != "/dir" || got["/ignored"] != "root" {
		t.Errorf("child global %v", got)
	}
	checkResponse(t, m, req{host: str("localhost"), path: "/cms/page"}, want{200, "config:cms.ini", 0, "/cms", "/page", ""})
	checkResponse(t, m, req{host: str("localhost"), path: "/ignored"}, want{status: 404})
}

func TestURLMapDuplicateRoutes(t *testing.T) {
	l := &fakeLoader{}
	m := buildURLMap(t, l, nil, "/a/", "first", "//a", "second", "domain X.org /", "x1", "domain x.org", "x2")
	if got, want := l.names(), []string{"first", "second", "x1", "x2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("load order %v, want %v", got, want)
	}
	if n := len(m.Routes()); n != 2 {
		t.Errorf("%d routes, want 2: %v", n, m.Routes())
	}
	checkResponse(t, m, req{host: str("h"), path: "/a/b"}, want{200, "second", 1, "/a", "/b", ""})
	checkResponse(t, m, req{host: str("x.org"), path: "/a/b"}, want{200, "x2", 3, "", "/a/b", ""})
}

func TestURLMapRouteErrors(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		contains   []string
	}{
		{"port 8080 /x", "site", []string{"port 8080 /x", "If you give a port, you must also give a domain"}},
		{"blog", "blog", []string{"blog", "URL fragments must start with / or http:// (you gave 'blog')"}},
		{"domain", "x", []string{"'domain' must be followed with a domain name"}},
		{"domain a domain b /", "x", []string{"'domain' given twice"}},
		{"domain a port", "x", []string{"'port' must be followed with a port number"}},
		{"domain a port 1 port 2", "x", []string{"'port' given twice"}},
		{"domain a port eighty", "x", []string{"'port' must be followed with a port number", "eighty"}},
		{"/a /b", "x", []string{"more than one path given (have '/a', got '/b')"}},
		{"/a", "", []string{"names no application"}},
		{"/a", "   ", []string{"names no application"}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			l := &fakeLoader{}
			_, err := URLMapFactory(l, nil, settings("composite:main", "/ok", "root", tc.key, tc.value))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, pastedeploy.ErrInvalidSetting) {
				t.Errorf("error %v is not invalid-setting", err)
			}
			var pe *pastedeploy.Error
			if !errors.As(err, &pe) || pe.File != "main.ini" || pe.Line != 3 || pe.Section != "composite:main" || pe.Key != tc.key {
				t.Errorf("error position: %#v", pe)
			}
			for _, s := range append(tc.contains, "main.ini:3 [composite:main]") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if len(l.loads) != 0 {
				t.Errorf("apps loaded despite the error: %v", l.names())
			}
		})
	}
	// Every bad route is reported at once.
	_, err := URLMapFactory(&fakeLoader{}, nil, settings("composite:main", "a", "x", "b", "y"))
	if err == nil || !strings.Contains(err.Error(), "'a'") || !strings.Contains(err.Error(), "'b'") {
		t.Errorf("want both routes reported, got %v", err)
	}
}

func TestURLMapParseRoute(t *testing.T) {
	for _, tc := range []struct{ expr, domain, path string }{
		{"/", "", ""},
		{"", "", ""},
		{"//", "", ""},
		{"/docs/", "", "/docs"},
		{"//a//b//", "", "/a/b"},
		{"domain example.com", "example.com", ""},
		{"domain Example.COM /", "example.com", ""},
		{"domain example.com blog", "example.com", "/blog"},
		{"  domain   h   port 81   /x/  ", "h:81", "/x"},
		{"port 81 domain h /x", "h:81", "/x"},
		{"/x domain h", "h", "/x"},
	} {
		d, p, err := parseRoute(tc.expr)
		if err != nil || d != tc.domain || p != tc.path {
			t.Errorf("parseRoute(%q) = %q, %q, %v; want %q, %q", tc.expr, d, p, err, tc.domain, tc.path)
		}
	}
}

func TestURLMapLoaderError(t *testing.T) {
	l := &fakeLoader{missing: map[string]bool{"nope": true}}
	_, err := URLMapFactory(l, nil, settings("composite:main", "/a", "a", "/b", "nope", "/c", "c"))
	if !errors.Is(err, pastedeploy.ErrMissingSection) {
		t.Fatalf("got %v, want the loader's error", err)
	}
	if got := l.names(); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("loads after the failure: %v", got)
	}
	l = &fakeLoader{missing: map[string]bool{"nf": true}}
	if _, err := URLMapFactory(l, nil, settings("composite:main", "/a", "a", "not_found_app", "nf")); !errors.Is(err, pastedeploy.ErrMissingSection) {
		t.Fatalf("not_found_app: got %v", err)
	}
}

// The original request is not modified.
func TestURLMapCopiesRequest(t *testing.T) {
	var seen *http.Request
	l := &fakeLoader{apps: map[string]http.Handler{"a": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r })}}
	m := buildURLMap(t, l, nil, "/a", "a")
	r := req{host: str("h"), path: "/a//b%2Fc", scriptName: "/s"}.build(t)
	m.ServeHTTP(httptest.NewRecorder(), r)
	if r.URL.Path != "/a//b/c" || r.URL.RawPath != "/a//b%2Fc" || environ.ScriptName(r) != "/s" {
		t.Errorf("original changed: %q %q %q", r.URL.Path, r.URL.RawPath, environ.ScriptName(r))
	}
	if seen == nil || seen.URL.Path != "/b/c" || seen.URL.EscapedPath() != "/b%2Fc" || environ.ScriptName(seen) != "/s/a" {
		t.Errorf("child saw %q %q %q", seen.URL.Path, seen.URL.EscapedPath(), environ.ScriptName(seen))
	}
}

func TestURLMapHugeRouteList(t *testing.T) {
	const n = 20000
	var kv []string
	for i := 0; i < n; i++ {
		kv = append(kv, fmt.Sprintf("/r%d/s", i), fmt.Sprintf("app%d", i))
		if i%10 == 0 {
			kv = append(kv, fmt.Sprintf("domain h%d.test /r%d", i, i), fmt.Sprintf("dom%d", i))
		}
	}
	l := &fakeLoader{}
	start := time.Now()
	m := buildURLMap(t, l, nil, kv...)
	if len(m.Routes()) != n+n/10 {
		t.Fatalf("%d routes", len(m.Routes()))
	}
	checkResponse(t, m, req{host: str("x"), path: "/r12345/s/t"}, want{200, "app12345", 13580, "/r12345/s", "/t", ""})
	checkResponse(t, m, req{host: str("h12340.test"), path: "/r12340/s/t"}, want{200, "dom12340", 13575, "/r12340", "/s/t", ""})
	checkResponse(t, m, req{host: str("x"), path: "/r12345"}, want{status: 404})
	// A long path with many segments is matched in time linear in its length.
	long := strings.Repeat("/seg", 5000)
	checkResponse(t, m, req{host: str("x"), path: long}, want{status: 404})
	// The same with escapes, which take the decoding path; 1 MB, 250000 segments.
	long = strings.Repeat("/%61", 250000)
	t0 := time.Now()
	checkResponse(t, m, req{host: str("x"), path: long}, want{status: 404})
	checkResponse(t, m, req{host: str("x"), path: "/r7/s" + long}, want{200, "app7", 8, "/r7/s", strings.Repeat("/a", 250000), strings.Repeat("/%61", 250000)})
	checkResponse(t, m, req{host: str("h0.test"), path: "/r%30" + long}, want{200, "dom0", 1, "/r0", strings.Repeat("/a", 250000), strings.Repeat("/%61", 250000)})
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("long escaped paths took %v", d)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}
