package builtins

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

func buildPrefix(t *testing.T, kv ...string) http.Handler {
	t.Helper()
	h, err := PrefixFactory(stubApp("stubs:app", 0), settings("DEFAULT"), settings("filter:proxy-prefix", kv...))
	if err != nil {
		t.Fatalf("PrefixFactory: %v", err)
	}
	return h
}

// Mirrors prefix-strips-and-sets-script-name, prefix-segment-boundary
// (deliberate divergence 11) and realworld-proxy-prefix-app.
func TestPrefixPaths(t *testing.T) {
	lh := str("localhost")
	for _, tc := range []struct {
		name   string
		prefix []string
		q      req
		w      want
	}{
		{"strip", []string{"prefix", "/james/"}, req{host: lh, path: "/james/foo"}, want{200, "stubs:app", 0, "/james", "/foo", ""}},
		{"equal", []string{"prefix", "/james/"}, req{host: lh, path: "/james"}, want{200, "stubs:app", 0, "/james", "/", ""}},
		{"equal slash", []string{"prefix", "/james/"}, req{host: lh, path: "/james/"}, want{200, "stubs:app", 0, "/james", "/", ""}},
		{"other", []string{"prefix", "/james/"}, req{host: lh, path: "/other"}, want{200, "stubs:app", 0, "/james", "/other", ""}},
		{"replaces script name", []string{"prefix", "/james/"}, req{host: lh, path: "/james/a", scriptName: "/mount"}, want{200, "stubs:app", 0, "/james", "/a", ""}},
		{"segment x", []string{"prefix", "/james"}, req{host: lh, path: "/jamesx"}, want{200, "stubs:app", 0, "/james", "/jamesx", ""}},
		{"segment x/y", []string{"prefix", "/james"}, req{host: lh, path: "/jamesx/y"}, want{200, "stubs:app", 0, "/james", "/jamesx/y", ""}},
		{"segment /y", []string{"prefix", "/james"}, req{host: lh, path: "/james/y"}, want{200, "stubs:app", 0, "/james", "/y", ""}},
		{"realworld", []string{"prefix", "/myapp"}, req{host: lh, path: "/myapp/login"}, want{200, "stubs:app", 0, "/myapp", "/login", ""}},
		{"realworld stripped by proxy", []string{"prefix", "/myapp"}, req{host: lh, path: "/login"}, want{200, "stubs:app", 0, "/myapp", "/login", ""}},
		{"default prefix", nil, req{host: lh, path: "/p", scriptName: "/mount"}, want{200, "stubs:app", 0, "", "/p", ""}},
		{"slash prefix", []string{"prefix", "/"}, req{host: lh, path: "/p"}, want{200, "stubs:app", 0, "", "/p", ""}},
		{"many trailing slashes", []string{"prefix", "/a//"}, req{host: lh, path: "/a/b"}, want{200, "stubs:app", 0, "/a", "/b", ""}},
		{"literal dot", []string{"prefix", "/a.b"}, req{host: lh, path: "/axb/c"}, want{200, "stubs:app", 0, "/a.b", "/axb/c", ""}},
		{"literal dot match", []string{"prefix", "/a.b"}, req{host: lh, path: "/a.b/c"}, want{200, "stubs:app", 0, "/a.b", "/c", ""}},
		{"regex chars", []string{"prefix", "/(.*)"}, req{host: lh, path: "/anything/c"}, want{200, "stubs:app", 0, "/(.*)", "/anything/c", ""}},
		{"two segments", []string{"prefix", "/a/b"}, req{host: lh, path: "/a/b/c"}, want{200, "stubs:app", 0, "/a/b", "/c", ""}},
		{"two segments partial", []string{"prefix", "/a/b"}, req{host: lh, path: "/a/bc"}, want{200, "stubs:app", 0, "/a/b", "/a/bc", ""}},
		{"two segments short", []string{"prefix", "/a/b"}, req{host: lh, path: "/a"}, want{200, "stubs:app", 0, "/a/b", "/a", ""}},
		{"encoded separator", []string{"prefix", "/a/b"}, req{host: lh, path: "/a%2Fb/c"}, want{200, "stubs:app", 0, "/a/b", "/a/b/c", "/a%2Fb/c"}},
		{"encoded separator after", []string{"prefix", "/a"}, req{host: lh, path: "/a/b%2Fc"}, want{200, "stubs:app", 0, "/a", "/b/c", "/b%2Fc"}},
		{"encoded letters", []string{"prefix", "/a b"}, req{host: lh, path: "/a%20b/c"}, want{200, "stubs:app", 0, "/a b", "/c", ""}},
		{"dot dot", []string{"prefix", "/a"}, req{host: lh, path: "/a/../etc"}, want{200, "stubs:app", 0, "/a", "/../etc", ""}},
		{"slash runs kept", []string{"prefix", "/a"}, req{host: lh, path: "//a/b"}, want{200, "stubs:app", 0, "/a", "//a/b", ""}},
		{"slash runs after", []string{"prefix", "/a"}, req{host: lh, path: "/a//b"}, want{200, "stubs:app", 0, "/a", "//b", ""}},
		{"empty path", []string{"prefix", "/a"}, req{host: lh, path: "http://h"}, want{200, "stubs:app", 0, "/a", "/", ""}},
		{"empty path default prefix", nil, req{host: lh, path: "http://h"}, want{200, "stubs:app", 0, "", "/", ""}},
		{"no host", []string{"prefix", "/a"}, req{host: nil, path: "/a/b"}, want{200, "stubs:app", 0, "/a", "/b", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkResponse(t, buildPrefix(t, tc.prefix...), tc.q, tc.w)
		})
	}
}

// Mirrors prefix-forwarded-headers.
func TestPrefixForwardedHeaders(t *testing.T) {
	h := buildPrefix(t)
	_, rep := serve(t, h, req{host: str("internal:8000"), path: "/p", headers: map[string]string{
		"X-Forwarded-Server": "a.example, b",
		"X-Forwarded-For":    "1.2.3.4, 10.0.0.1",
		"X-Forwarded-Proto":  "https",
	}})
	if rep.ScriptName != "" || rep.PathInfo != "/p" || rep.Host != "a.example" || rep.ServerName != "a.example" ||
		rep.ServerPort != "80" || rep.RemoteAddr != "1.2.3.4" || rep.URLScheme != "https" {
		t.Errorf("got %+v", rep)
	}
	for _, k := range []string{"X-Forwarded-Server", "X-Forwarded-For", "X-Forwarded-Proto"} {
		if _, ok := rep.Headers[k]; ok {
			t.Errorf("%s not consumed", k)
		}
	}
	_, rep = serve(t, h, req{host: str("internal:8000"), path: "/q", headers: map[string]string{
		"X-Forwarded-Host":   "public.example:8443",
		"X-Forwarded-Scheme": "https",
		"X-Forwarded-Proto":  "http",
	}})
	if rep.PathInfo != "/q" || rep.Host != "public.example:8443" || rep.URLScheme != "https" || rep.ServerName != "localhost" {
		t.Errorf("got %+v", rep)
	}
	if _, ok := rep.Headers["X-Forwarded-Scheme"]; ok {
		t.Error("X-Forwarded-Scheme not consumed")
	}
	if rep.Headers.Get("X-Forwarded-Proto") != "http" {
		t.Error("X-Forwarded-Proto consumed although X-Forwarded-Scheme won (PasteDeploy keeps it)")
	}

	for _, tc := range []struct {
		name    string
		headers map[string]string
		check   func(report) bool
	}{
		{"server and host: host wins for Host", map[string]string{"X-Forwarded-Server": "s.example", "X-Forwarded-Host": "h.example"},
			func(r report) bool { return r.Host == "h.example" && r.ServerName == "s.example" }},
		{"trimmed first item", map[string]string{"X-Forwarded-For": " \t9.9.9.9 ,1.1.1.1", "X-Forwarded-Proto": " HTTPS , http"},
			func(r report) bool { return r.RemoteAddr == "9.9.9.9" && r.URLScheme == "https" }},
		{"empty first item ignored", map[string]string{"X-Forwarded-For": " , 1.1.1.1", "X-Forwarded-Host": ","},
			func(r report) bool { return r.RemoteAddr == "127.0.0.1" && r.Host == "internal:8000" }},
		{"ipv6 client", map[string]string{"X-Forwarded-For": "2001:db8::1"},
			func(r report) bool { return r.RemoteAddr == "2001:db8::1" }},
		{"bad scheme ignored", map[string]string{"X-Forwarded-Proto": "ht tp"},
			func(r report) bool { return r.URLScheme == "http" }},
		{"bad scheme ignored 2", map[string]string{"X-Forwarded-Scheme": "1http"},
			func(r report) bool { return r.URLScheme == "http" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep := serve(t, h, req{host: str("internal:8000"), path: "/p", headers: tc.headers})
			if !tc.check(rep) {
				t.Errorf("got %+v", rep)
			}
		})
	}

	// Only the first header line counts, and the port of RemoteAddr is kept.
	var seen *http.Request
	h2, _ := PrefixFactory(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r }), nil, settings("filter:p"))
	r := req{host: str("h"), path: "/"}.build(t)
	r.Header.Add("X-Forwarded-For", "5.5.5.5")
	r.Header.Add("X-Forwarded-For", "6.6.6.6")
	h2.ServeHTTP(httptest.NewRecorder(), r)
	if seen.RemoteAddr != "5.5.5.5:40000" || seen.Header.Get("X-Forwarded-For") != "" {
		t.Errorf("RemoteAddr %q, header %q", seen.RemoteAddr, seen.Header.Values("X-Forwarded-For"))
	}
	if r.Header.Get("X-Forwarded-For") != "5.5.5.5" || r.RemoteAddr != "127.0.0.1:40000" {
		t.Error("the original request was modified")
	}
}

func TestPrefixTranslateOff(t *testing.T) {
	for _, v := range []string{"false", "no", "Off", "0", ""} {
		h := buildPrefix(t, "translate_forwarded_server", v)
		_, rep := serve(t, h, req{host: str("internal:8000"), path: "/p", headers: map[string]string{
			"X-Forwarded-Server": "a.example", "X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "b",
		}})
		if rep.Host != "internal:8000" || rep.RemoteAddr != "127.0.0.1" || rep.URLScheme != "http" || rep.ServerName != "localhost" {
			t.Errorf("%q: headers translated: %+v", v, rep)
		}
		if rep.Headers.Get("X-Forwarded-Server") != "a.example" {
			t.Errorf("%q: header removed", v)
		}
	}
	h := buildPrefix(t, "translate_forwarded_server", "TRUE")
	if _, rep := serve(t, h, req{host: str("x"), path: "/", headers: map[string]string{"X-Forwarded-Host": "b"}}); rep.Host != "b" {
		t.Errorf("not translated: %+v", rep)
	}
}

// Mirrors prefix-force-port-and-scheme.
func TestPrefixForcePortAndScheme(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kv       []string
		q        req
		host     string
		port     string
		scheme   string
		srvrName string
	}{
		{"case", []string{"force_port", "8443", "scheme", "https"}, req{host: str("internal:8000"), path: "/p"}, "internal:8443", "8443", "https", "localhost"},
		{"no port in host", []string{"force_port", "8443"}, req{host: str("internal"), path: "/p"}, "internal:8443", "8443", "http", "localhost"},
		{"empty http", []string{"force_port", ""}, req{host: str("internal:8000"), path: "/p"}, "internal", "80", "http", "localhost"},
		{"empty https", []string{"force_port", ""}, req{host: str("internal:8000"), path: "/p", scheme: "https"}, "internal", "443", "https", "localhost"},
		// scheme is applied last: the default port comes from the scheme before it.
		{"empty then scheme", []string{"force_port", "", "scheme", "https"}, req{host: str("internal:8000"), path: "/p"}, "internal", "80", "https", "localhost"},
		{"forwarded proto counts", []string{"force_port", ""}, req{host: str("internal:8000"), path: "/p", headers: map[string]string{"X-Forwarded-Proto": "https"}}, "internal", "443", "https", "localhost"},
		{"after forwarded host", []string{"force_port", "444"}, req{host: str("internal:8000"), path: "/p", headers: map[string]string{"X-Forwarded-Host": "pub.example:8443"}}, "pub.example:444", "444", "http", "localhost"},
		{"ipv6 host", []string{"force_port", "444"}, req{host: str("[::1]:8000"), path: "/p"}, "[::1]:444", "444", "http", "localhost"},
		{"no host header", []string{"force_port", "444"}, req{host: nil, path: "/p"}, "localhost:444", "444", "http", "localhost"},
		{"normalised number", []string{"force_port", " +0443 "}, req{host: str("h"), path: "/p"}, "h:443", "443", "http", "localhost"},
		{"scheme only", []string{"scheme", "HTTPS"}, req{host: str("h:1"), path: "/p"}, "h:1", "80", "https", "localhost"},
		{"scheme beats forwarded", []string{"scheme", "http"}, req{host: str("h"), path: "/p", headers: map[string]string{"X-Forwarded-Proto": "https"}}, "h", "80", "http", "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep := serve(t, buildPrefix(t, tc.kv...), tc.q)
			if rep.Host != tc.host || rep.ServerPort != tc.port || rep.URLScheme != tc.scheme || rep.ServerName != tc.srvrName {
				t.Errorf("got host %q port %q scheme %q server %q; want %q %q %q %q",
					rep.Host, rep.ServerPort, rep.URLScheme, rep.ServerName, tc.host, tc.port, tc.scheme, tc.srvrName)
			}
		})
	}
	// r.URL.Scheme follows the scheme.
	var seen *http.Request
	h, _ := PrefixFactory(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r }), nil, settings("filter:p", "scheme", "https"))
	h.ServeHTTP(httptest.NewRecorder(), req{host: str("h"), path: "/"}.build(t))
	if seen.URL.Scheme != "https" || environ.Scheme(seen) != "https" {
		t.Errorf("URL.Scheme %q", seen.URL.Scheme)
	}
}

func TestPrefixSettingErrors(t *testing.T) {
	for _, tc := range []struct {
		kv       []string
		kind     error
		contains []string
	}{
		{[]string{"prefx", "/a"}, pastedeploy.ErrUnknownSetting, []string{"prefx", "unknown setting", `did you mean "prefix"`}},
		{[]string{"bogus", "1"}, pastedeploy.ErrUnknownSetting, []string{"bogus", "unknown setting", "force_port"}},
		{[]string{"translate_forwarded_server", "maybe"}, pastedeploy.ErrInvalidSetting, []string{"translate_forwarded_server", "want a boolean", `"maybe"`}},
		{[]string{"force_port", "http"}, pastedeploy.ErrInvalidSetting, []string{"force_port", `"http"`}},
		{[]string{"force_port", "70000"}, pastedeploy.ErrInvalidSetting, []string{"force_port", "65535"}},
		{[]string{"force_port", "0"}, pastedeploy.ErrInvalidSetting, []string{"force_port"}},
		{[]string{"scheme", "ht tp"}, pastedeploy.ErrInvalidSetting, []string{"scheme", "ht tp"}},
		{[]string{"prefix", "myapp/"}, pastedeploy.ErrInvalidSetting, []string{"prefix", `must start with "/"`, `did you mean "/myapp"`}},
	} {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			_, err := PrefixFactory(stubApp("x", 0), nil, settings("filter:proxy-prefix", tc.kv...))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			for _, s := range append(tc.contains, "main.ini:2 [filter:proxy-prefix]") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}
