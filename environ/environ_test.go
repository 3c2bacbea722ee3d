package environ

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	for _, tc := range []struct {
		host, target       string
		tls                bool
		name, port, scheme string
	}{
		{"example.com", "/", false, "example.com", "80", "http"},
		{"example.com:8080", "/", false, "example.com", "8080", "http"},
		{"example.com", "/", true, "example.com", "443", "https"},
		{"[::1]:9000", "/", false, "::1", "9000", "http"},
		{"", "/", false, "localhost", "80", "http"},
	} {
		r := httptest.NewRequest("GET", tc.target, nil)
		r.Host = tc.host
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if ScriptName(r) != "" || ServerName(r) != tc.name || ServerPort(r) != tc.port || Scheme(r) != tc.scheme {
			t.Errorf("%+v: got %q %q %q %q", tc, ScriptName(r), ServerName(r), ServerPort(r), Scheme(r))
		}
	}
}

func TestSettersCopy(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r.Host = "h:1"
	r2 := WithScriptName(r, "/app")
	r3 := WithScheme(r2, "https")
	r4 := WithServerName(r3, "srv")
	r5 := WithServerPort(r4, "8443")
	if ScriptName(r5) != "/app" || Scheme(r5) != "https" || ServerName(r5) != "srv" || ServerPort(r5) != "8443" {
		t.Errorf("r5: %q %q %q %q", ScriptName(r5), Scheme(r5), ServerName(r5), ServerPort(r5))
	}
	if r5.URL.Scheme != "https" || r.URL.Scheme != "" {
		t.Errorf("URL.Scheme: copy %q, original %q", r5.URL.Scheme, r.URL.Scheme)
	}
	// The originals keep their values.
	if ScriptName(r) != "" || ScriptName(r2) != "/app" || Scheme(r2) != "http" || ServerName(r3) != "h" || ServerPort(r4) != "1" {
		t.Errorf("originals changed")
	}
	// A later setter overrides, others are kept.
	r6 := WithScriptName(r5, "")
	if ScriptName(r6) != "" || Scheme(r6) != "https" || ServerPort(r6) != "8443" {
		t.Errorf("r6: %q %q %q", ScriptName(r6), Scheme(r6), ServerPort(r6))
	}
}

func TestWithFacts(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r.Host = "public:9999"
	r2 := WithFacts(r, Facts{ScriptName: "/m", Scheme: "https", ServerName: "localhost", ServerPort: "80"})
	if ScriptName(r2) != "/m" || Scheme(r2) != "https" || ServerName(r2) != "localhost" || ServerPort(r2) != "80" || r2.URL.Scheme != "https" {
		t.Errorf("got %q %q %q %q %q", ScriptName(r2), Scheme(r2), ServerName(r2), ServerPort(r2), r2.URL.Scheme)
	}
	// Empty facts fall back to the request.
	r = httptest.NewRequest("GET", "/x", nil)
	r.Host = "public:9999"
	r3 := WithFacts(r, Facts{})
	if Scheme(r3) != "http" || ServerName(r3) != "public" || ServerPort(r3) != "9999" {
		t.Errorf("empty facts: %q %q %q", Scheme(r3), ServerName(r3), ServerPort(r3))
	}
	// The scheme from the URL counts when no fact is set.
	r4 := httptest.NewRequest("GET", "https://h/x", nil)
	if Scheme(r4) != "https" || ServerPort(r4) != "443" {
		t.Errorf("absolute URL: %q %q", Scheme(r4), ServerPort(r4))
	}
}

// WithFacts, like the other setters, must not modify the request it copies.
func TestWithFactsKeepsOriginalURL(t *testing.T) {
	r := httptest.NewRequest("GET", "/x", nil)
	r2 := WithFacts(r, Facts{Scheme: "https"})
	if r.URL.Scheme != "" {
		t.Errorf("WithFacts changed the original request's URL.Scheme to %q", r.URL.Scheme)
	}
	if r2.URL.Scheme != "https" || Scheme(r2) != "https" {
		t.Errorf("copy: URL.Scheme %q, Scheme %q; want https", r2.URL.Scheme, Scheme(r2))
	}
}

// NewContext shares one context between calls with the same parent and
// facts (a server's connections on one listener); any difference gives a
// context of its own, and ContextFacts reads the facts back.
func TestNewContextShared(t *testing.T) {
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "p")
	f := Facts{ScriptName: "/app", Scheme: "https", ServerName: "srv", ServerPort: "8080"}
	a, b := NewContext(parent, f), NewContext(parent, f)
	if a != b {
		t.Error("same parent and facts: want one shared context")
	}
	g := f
	g.ServerPort = "8081"
	if c := NewContext(parent, g); c == a {
		t.Error("other facts: want another context")
	} else if got, ok := ContextFacts(c); !ok || got != g {
		t.Errorf("ContextFacts = %+v, %v; want %+v", got, ok, g)
	}
	other := context.WithValue(context.Background(), key{}, "q")
	if c := NewContext(other, f); c == a || c.Value(key{}) != "q" {
		t.Error("other parent: want another context over it")
	}
	// A parent of a non-comparable type is never compared (no panic).
	nc := sliceCtx{Context: context.Background(), s: []int{1}}
	if NewContext(nc, f) == NewContext(nc, f) {
		t.Error("non-comparable parent: want no sharing")
	}
	if got, ok := ContextFacts(a); !ok || got != f {
		t.Errorf("ContextFacts = %+v, %v; want %+v", got, ok, f)
	}
	if _, ok := ContextFacts(context.Background()); ok {
		t.Error("ContextFacts of a bare context: want false")
	}
}

// NewContext's cache keeps neither the contexts it shares nor their
// parents alive: a parent nothing else holds (the base context of a server
// replaced by a reload) is collected.
func TestNewContextNotRetained(t *testing.T) {
	type key struct{}
	f := Facts{Scheme: "http", ServerName: "srv", ServerPort: "8080"}
	collected := make(chan struct{})
	func() {
		big := new([1 << 20]byte)
		parent := context.WithValue(context.Background(), key{}, big)
		runtime.AddCleanup(big, func(ch chan struct{}) { close(ch) }, collected)
		if NewContext(parent, f) != NewContext(parent, f) {
			t.Error("want one shared context while it is in use")
		}
	}()
	for range 20 {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the parent of a cached context stayed reachable after its last use")
}

type sliceCtx struct {
	context.Context
	s []int
}
