package builtins

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// report is what a stub application answers: the request as it sees it.
type report struct {
	App        string `json:"app"`
	Call       int    `json:"call"`
	ScriptName string `json:"script_name"`
	PathInfo   string `json:"path_info"`
	RawPath    string `json:"raw_path"`
	Host       string `json:"host"`
	ServerName string `json:"server_name"`
	ServerPort string `json:"server_port"`
	RemoteAddr string `json:"remote_addr"`
	URLScheme  string `json:"url_scheme"`
	Body       string `json:"body"`
	Headers    http.Header
	MountedMap bool `json:"mounted_map"`
}

// stubApp answers every request with 200 and a JSON report.
func stubApp(name string, call int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		addr := r.RemoteAddr
		if h, _, err := net.SplitHostPort(addr); err == nil {
			addr = h
		}
		rep := report{
			App: name, Call: call, ScriptName: environ.ScriptName(r), PathInfo: r.URL.Path,
			RawPath: r.URL.RawPath, Host: r.Host, ServerName: environ.ServerName(r),
			ServerPort: environ.ServerPort(r), RemoteAddr: addr, URLScheme: environ.Scheme(r),
			Body: string(body), Headers: r.Header, MountedMap: URLMapFromRequest(r) != nil,
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rep)
	})
}

// fakeLoader hands out stub applications by name, numbering them in load
// order as the conformance stubs do, and records each load.
type fakeLoader struct {
	mu      sync.Mutex
	apps    map[string]http.Handler // explicit handlers by name; others become stubs
	missing map[string]bool         // names that fail to load
	loads   []load
}

type load struct {
	name   string
	global map[string]string
}

func (l *fakeLoader) GetApp(name string, global *config.Settings) (http.Handler, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.missing[name] {
		return nil, &pastedeploy.Error{Kind: pastedeploy.ErrMissingSection, Msg: fmt.Sprintf("No section %q", name)}
	}
	call := len(l.loads)
	l.loads = append(l.loads, load{name: name, global: global.Map()})
	if h, ok := l.apps[name]; ok {
		return h, nil
	}
	return stubApp(name, call), nil
}

func (l *fakeLoader) GetFilter(string, *config.Settings) (pastedeploy.Filter, error) {
	return nil, fmt.Errorf("not supported")
}

func (l *fakeLoader) GetServer(string, *config.Settings) (pastedeploy.Server, error) {
	return nil, fmt.Errorf("not supported")
}

func (l *fakeLoader) names() []string {
	var out []string
	for _, ld := range l.loads {
		out = append(out, ld.name)
	}
	return out
}

// settings builds Settings from key, value pairs, as if read from
// main.ini's given section starting at line 2.
func settings(section string, kv ...string) *config.Settings {
	s := config.NewSettings()
	for i := 0; i+1 < len(kv); i += 2 {
		s.Set(kv[i], kv[i+1], config.Origin{File: "main.ini", Line: 2 + i/2, Section: section, Source: config.SourceSection})
	}
	return s
}

// req describes a request as the conformance cases do.
type req struct {
	method     string
	host       *string // nil: no Host header
	path       string  // raw request target
	scriptName string
	scheme     string
	headers    map[string]string
	body       string
}

func str(s string) *string { return &s }

func (q req) build(t testing.TB) *http.Request {
	t.Helper()
	m := q.method
	if m == "" {
		m = http.MethodGet
	}
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r := httptest.NewRequest(m, q.path, body)
	r.Host = ""
	if q.host != nil {
		r.Host = *q.host
	}
	r.RemoteAddr = "127.0.0.1:40000"
	for k, v := range q.headers {
		r.Header.Set(k, v)
	}
	scheme := q.scheme
	if scheme == "" {
		scheme = "http"
	}
	return environ.WithFacts(r, environ.Facts{ScriptName: q.scriptName, Scheme: scheme, ServerName: "localhost", ServerPort: "80"})
}

// serve sends q through h and decodes the stub report of a 200 answer.
func serve(t testing.TB, h http.Handler, q req) (*httptest.ResponseRecorder, report) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, q.build(t))
	var rep report
	if rec.Code == http.StatusOK && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("bad report %q: %v", rec.Body.String(), err)
		}
	}
	return rec, rep
}
