package builtins

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gowaitress/gowaitress/environ"
)

// upstreamSeen is what the test upstream reports about a request.
type upstreamSeen struct {
	Method, Path, RawPath, Query, Host string
	Header                             http.Header
	BodyLen                            int
}

// newUpstream starts a loopback server answering with upstreamSeen as JSON,
// plus a Connection-listed header that the proxy must drop.
func newUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "X-Up-Hop")
		w.Header().Set("X-Up-Hop", "1")
		w.Header().Set("X-Up", "kept")
		json.NewEncoder(w).Encode(upstreamSeen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Header, len(b)})
	}))
	t.Cleanup(s.Close)
	return s
}

func proxyDo(t *testing.T, h http.Handler, r *http.Request) (*httptest.ResponseRecorder, upstreamSeen) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var seen upstreamSeen
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), &seen); err != nil {
			t.Fatalf("bad upstream answer %q: %v", rec.Body.String(), err)
		}
	}
	return rec, seen
}

func withLogs(t *testing.T) *observer.ObservedLogs {
	core, logs := observer.New(zapcore.DebugLevel)
	undo := zap.ReplaceGlobals(zap.New(core))
	t.Cleanup(undo)
	return logs
}

func TestProxyForwards(t *testing.T) {
	up := newUpstream(t)
	upHost := strings.TrimPrefix(up.URL, "http://")
	for _, tc := range []struct {
		name, address, target, wantPath, wantRaw, wantQuery string
	}{
		{"base no slash", up.URL + "/base", "/x/y?q=1&r=2", "/base/x/y", "", "q=1&r=2"},
		{"base slash", up.URL + "/base/", "/x", "/base/x", "", ""},
		{"no base", up.URL, "/x", "/x", "", ""},
		{"root", up.URL + "/", "http://h", "/", "", ""},
		{"encoded kept", up.URL + "/base", "/a%2Fb/c%20d", "/base/a/b/c d", "/base/a%2Fb/c%20d", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ProxyFactory(settings("DEFAULT"), settings("app:proxy", "address", tc.address))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", tc.target, nil)
			r.Host = "front.example:8443"
			r.RemoteAddr = "192.0.2.7:5555"
			r = environ.WithFacts(r, environ.Facts{ScriptName: "/mount", Scheme: "https", ServerName: "front.example", ServerPort: "8443"})
			rec, seen := proxyDo(t, h, r)
			if rec.Code != 200 {
				t.Fatalf("status %d %q", rec.Code, rec.Body.String())
			}
			if seen.Path != tc.wantPath || seen.RawPath != tc.wantRaw || seen.Query != tc.wantQuery || seen.Host != upHost {
				t.Errorf("upstream saw %+v", seen)
			}
			hd := seen.Header
			if hd.Get("X-Forwarded-For") != "192.0.2.7" || hd.Get("X-Forwarded-Host") != "front.example:8443" ||
				hd.Get("X-Forwarded-Proto") != "https" || hd.Get("X-Forwarded-Port") != "8443" ||
				!strings.Contains(hd.Get("Via"), viaToken) {
				t.Errorf("forwarded headers %v", hd)
			}
			if rec.Header().Get("X-Up") != "kept" || rec.Header().Get("X-Up-Hop") != "" {
				t.Errorf("response headers %v", rec.Header())
			}
		})
	}
}

func TestProxyHeaders(t *testing.T) {
	up := newUpstream(t)
	h, err := ProxyFactory(settings("DEFAULT"), settings("app:proxy", "address", up.URL,
		"suppress_http_headers", "cookie user_agent HTTP_X_SECRET host", "allowed_request_methods", "GET post"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/p", strings.NewReader("body!"))
	r.RemoteAddr = "192.0.2.7:5555"
	for k, v := range map[string]string{
		"Cookie": "a=b", "User-Agent": "ua", "X-Secret": "s", "X-Kept": "k",
		"Connection": "X-Hop, keep-alive", "X-Hop": "1", "Keep-Alive": "300", "Te": "trailers",
		"Proxy-Authorization": "Basic eA==", "Upgrade": "h2c",
		"X-Forwarded-For": "10.0.0.1, 10.0.0.2", "X-Forwarded-Host": "forged", "X-Forwarded-Proto": "gopher",
		"Forwarded": "for=forged",
	} {
		r.Header.Set(k, v)
	}
	rec, seen := proxyDo(t, h, r)
	if rec.Code != 200 || seen.Method != "POST" || seen.BodyLen != 5 {
		t.Fatalf("%d %+v", rec.Code, seen)
	}
	for _, k := range []string{"Cookie", "User-Agent", "X-Secret", "X-Hop", "Keep-Alive", "Proxy-Authorization", "Upgrade", "Forwarded"} {
		if v := seen.Header.Get(k); v != "" {
			t.Errorf("%s passed on: %q", k, v)
		}
	}
	if seen.Header.Get("X-Kept") != "k" || seen.Header.Get("X-Forwarded-For") != "10.0.0.1, 10.0.0.2, 192.0.2.7" ||
		seen.Header.Get("X-Forwarded-Host") != "example.com" || seen.Header.Get("X-Forwarded-Proto") != "http" {
		t.Errorf("headers %v", seen.Header)
	}
	for _, target := range []string{"/../admin", "/a/%2e%2e/%2e%2e/admin", "/a%2F..%2Fadmin", "/./x"} {
		rec, _ = proxyDo(t, h, httptest.NewRequest("GET", target, nil))
		if rec.Code != 400 {
			t.Errorf("%s: %d", target, rec.Code)
		}
	}
	r = httptest.NewRequest("DELETE", "/p", nil)
	rec, _ = proxyDo(t, h, r)
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, POST" {
		t.Errorf("DELETE: %d %v", rec.Code, rec.Header())
	}
}

func TestProxyHeaderInjection(t *testing.T) {
	up := newUpstream(t)
	withLogs(t)
	h, err := ProxyFactory(settings("DEFAULT"), settings("app:proxy", "address", up.URL))
	if err != nil {
		t.Fatal(err)
	}
	// A Host with CR/LF (only possible in-process): X-Forwarded-Host is not built from it.
	r := httptest.NewRequest("GET", "/p", nil)
	r.Host = "evil\r\nX-Injected: 1"
	rec, seen := proxyDo(t, h, r)
	if rec.Code != 200 || seen.Header.Get("X-Injected") != "" || seen.Header.Get("X-Forwarded-Host") != "" {
		t.Errorf("host injection: %d %v", rec.Code, seen.Header)
	}
	// A header value with CR/LF is refused by the transport: 502, nothing injected.
	r = httptest.NewRequest("GET", "/p", nil)
	r.Header["X-Custom"] = []string{"a\r\nX-Injected: 1"}
	rec, _ = proxyDo(t, h, r)
	if rec.Code != 502 {
		t.Errorf("value injection: %d %q", rec.Code, rec.Body.String())
	}
	// An upstream answering with a header split by a bare CR: the client refuses it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-A: b\rX-Injected: c\r\nContent-Length: 2\r\n\r\nok")
	}()
	h2, _ := ProxyFactory(settings("DEFAULT"), settings("app:proxy", "address", "http://"+ln.Addr().String()))
	rec = httptest.NewRecorder()
	h2.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("X-Injected") != "" {
		t.Errorf("response injection: %v", rec.Header())
	}
}

func TestProxyUpstreamDown(t *testing.T) {
	logs := withLogs(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	h, err := ProxyFactory(settings("DEFAULT"), settings("app:proxy", "address", "http://"+addr))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 502 || strings.Contains(rec.Body.String(), addr) {
		t.Errorf("%d %q", rec.Code, rec.Body.String())
	}
	found := false
	for _, e := range logs.All() {
		if e.LoggerName == "wsgi" && e.Level == zapcore.ErrorLevel && strings.Contains(e.Message, "upstream error") {
			found = strings.Contains(e.ContextMap()["error"].(string), "refused")
		}
	}
	if !found {
		t.Errorf("no error logged: %v", logs.All())
	}
}

// Both directions stream: the upstream sees the first part of the body
// before the client sends the rest, and the client gets the first part of the
// response before the upstream writes the rest.
func TestProxyStreaming(t *testing.T) {
	gotFirst := make(chan struct{})
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		buf := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, buf); err != nil || string(buf) != "first" {
			t.Errorf("upstream read %q %v", buf, err)
		}
		close(gotFirst)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "one;")
		w.(http.Flusher).Flush()
		<-release
		rest, _ := io.ReadAll(r.Body)
		io.WriteString(w, "two:"+string(rest))
	}))
	defer up.Close()
	h, err := ProxyFactory(settings("DEFAULT"), settings("app:proxy", "address", up.URL))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(h)
	defer front.Close()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", front.URL+"/s", pr)
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			close(done)
			return
		}
		done <- resp
	}()
	io.WriteString(pw, "first")
	<-gotFirst
	resp := <-done
	if resp == nil {
		t.Fatal("no response")
	}
	defer resp.Body.Close()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "one;" {
		t.Fatalf("first part %q %v", buf, err)
	}
	io.WriteString(pw, "second")
	pw.Close()
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "two:second" {
		t.Errorf("rest %q", rest)
	}
}

func TestTransparentProxy(t *testing.T) {
	up := newUpstream(t)
	upHost := strings.TrimPrefix(up.URL, "http://")
	h, err := TransparentProxyFactory(settings("DEFAULT"), settings("app:tp"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/p%2Fq?x=1", nil)
	r.Host = upHost
	r.RemoteAddr = "192.0.2.9:1"
	r = environ.WithScriptName(r, "/mount")
	rec, seen := proxyDo(t, h, r)
	if rec.Code != 200 || seen.Host != upHost || seen.Path != "/mount/p/q" || seen.RawPath != "/mount/p%2Fq" ||
		seen.Query != "x=1" || seen.Header.Get("X-Forwarded-For") != "192.0.2.9" {
		t.Errorf("%d %+v", rec.Code, seen)
	}

	forced, err := TransparentProxyFactory(settings("DEFAULT"), settings("app:tp", "force_host", upHost, "force_scheme", "HTTP"))
	if err != nil {
		t.Fatal(err)
	}
	r = httptest.NewRequest("GET", "/z", nil)
	r.Host = "virtual.example"
	rec, seen = proxyDo(t, forced, r)
	if rec.Code != 200 || seen.Host != "virtual.example" || seen.Path != "/z" {
		t.Errorf("forced: %d %+v", rec.Code, seen)
	}

	for _, host := range []string{"", "a/b", "user@host", "h:99999", "h:x", "[::1", "a b", "evil\r\nx: y"} {
		r = httptest.NewRequest("GET", "/z", nil)
		r.Host = host
		if rec, _ = proxyDo(t, h, r); rec.Code != 400 {
			t.Errorf("Host %q: %d", host, rec.Code)
		}
	}
}

func TestProxyLoop(t *testing.T) {
	withLogs(t)
	h, err := TransparentProxyFactory(settings("DEFAULT"), settings("app:tp"))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(h)
	defer front.Close()
	resp, err := http.Get(front.URL + "/loop") // the Host names the proxy itself
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusLoopDetected {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestProxySettings(t *testing.T) {
	for _, tc := range []struct {
		tp   bool
		kv   []string
		want string
	}{
		{false, nil, "address: required setting missing"},
		{false, []string{"address", "ftp://h/"}, "want an http or https URL"},
		{false, []string{"address", "http:///x"}, "want an http or https URL"},
		{false, []string{"address", "http://u:p@h/"}, "want an http or https URL"},
		{false, []string{"address", "http://h/?q=1"}, "want an http or https URL"},
		{false, []string{"address", "http://h/", "allowed_request_method", "GET"}, `did you mean "allowed_request_methods"`},
		{true, []string{"force_scheme", "ftp"}, "want http or https"},
		{true, []string{"force_host", "a/b"}, "want a host"},
		{true, []string{"address", "http://h/"}, "unknown setting"},
	} {
		var err error
		if tc.tp {
			_, err = TransparentProxyFactory(settings("DEFAULT"), settings("app:p", tc.kv...))
		} else {
			_, err = ProxyFactory(settings("DEFAULT"), settings("app:p", tc.kv...))
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.kv, err, tc.want)
		}
	}
}
