// Package stubs holds the recording stub factories of the conformance data
// (pastedeploy/testdata/conformance/README.md, "The stub registry", and
// integration_test/testdata/conformance/cli/README.md): factories that
// record every invocation, and the handlers, filters and servers they make,
// each of which knows its node in the composition tree.
//
// Both the pastedeploy conformance tests and the command-line tests (through
// integration_test/stubcmd) use it; it is not part of the public API.
package stubs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// Spec names one stub factory.
type Spec struct {
	Kind string `json:"kind"` // app, composite, filter, filter_app, server
	Name string `json:"name"`
}

// Call is one factory invocation: its kind, its name as registered, and
// copies of the settings it was given.
type Call struct {
	Kind       string            `json:"kind"`
	Name       string            `json:"name"`
	GlobalConf map[string]string `json:"global_conf"`
	LocalConf  map[string]string `json:"local_conf"`
}

// Recorder is the list of factory invocations of the stubs it made; an
// invocation's index is the stub's call number. Stub servers print their
// report to Out (see Server). The zero value records and prints nothing.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
	out   io.Writer
}

// NewRecorder returns a recorder whose stub servers print to out.
func NewRecorder(out io.Writer) *Recorder { return &Recorder{out: out} }

func (r *Recorder) record(kind, name string, global, local *config.Settings) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{Kind: kind, Name: name, GlobalConf: global.Map(), LocalConf: local.Map()})
	return len(r.calls) - 1
}

// Calls returns the invocations so far, in order (never nil).
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call{}, r.calls...)
}

// Register registers the stub factory of every spec in reg.
func (r *Recorder) Register(reg *pastedeploy.Registry, specs ...Spec) error {
	for _, s := range specs {
		fn, err := r.Factory(s)
		if err != nil {
			return err
		}
		reg.Register(s.Name, fn)
	}
	return nil
}

// Factory returns the recording factory of spec's kind: a
// pastedeploy.AppFactory, CompositeFactory, FilterFactory, FilterAppFactory
// or ServerFactory.
func (r *Recorder) Factory(spec Spec) (any, error) {
	name := spec.Name
	switch spec.Kind {
	case "app":
		return pastedeploy.AppFactory(func(global, local *config.Settings) (http.Handler, error) {
			n := r.record(spec.Kind, name, global, local)
			tag := name
			if v, ok := local.Lookup("tag"); ok {
				tag = v
			}
			return &app{name: name, tag: tag, call: n}, nil
		}), nil
	case "composite":
		return pastedeploy.CompositeFactory(func(loader pastedeploy.Loader, global, local *config.Settings) (http.Handler, error) {
			n := r.record(spec.Kind, name, global, local)
			var keys []string
			for _, k := range local.Keys() {
				if strings.HasPrefix(k, "app.") {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys) // byte-wise
			c := &composite{name: name, call: n, apps: make(map[string]http.Handler, len(keys))}
			for _, k := range keys {
				h, err := loader.GetApp(local.String(k), global)
				if err != nil {
					return nil, err
				}
				c.apps[k] = h
			}
			return c, nil
		}), nil
	case "filter":
		return pastedeploy.FilterFactory(func(global, local *config.Settings) (pastedeploy.Filter, error) {
			n := r.record(spec.Kind, name, global, local)
			return func(next http.Handler) http.Handler {
				return &filter{name: name, call: n, next: next}
			}, nil
		}), nil
	case "filter_app":
		return pastedeploy.FilterAppFactory(func(next http.Handler, global, local *config.Settings) (http.Handler, error) {
			n := r.record(spec.Kind, name, global, local)
			return &filter{name: name, call: n, next: next}, nil
		}), nil
	case "server":
		return pastedeploy.ServerFactory(func(global, local *config.Settings) (pastedeploy.Server, error) {
			n := r.record(spec.Kind, name, global, local)
			return &server{name: name, call: n, rec: r}, nil
		}), nil
	}
	return nil, fmt.Errorf("stubs: unknown stub kind %q for %q", spec.Kind, spec.Name)
}

// noder is implemented by everything the stubs make: its node in the
// composition tree.
type noder interface{ node() map[string]any }

// Node returns v's node in the composition tree (nested maps): what the
// stubs made describe themselves; a wrapper with an Unwrap() http.Handler
// method (such as the command's reloadable handler) is looked through;
// anything else is {"opaque": its type}.
func Node(v any) any {
	if v == nil {
		return nil
	}
	if n, ok := v.(noder); ok {
		return n.node()
	}
	if u, ok := v.(interface{ Unwrap() http.Handler }); ok {
		return Node(u.Unwrap())
	}
	return map[string]any{"opaque": fmt.Sprintf("%T", v)}
}

type app struct {
	name, tag string
	call      int
}

func (a *app) node() map[string]any { return map[string]any{"app": a.name, "call": a.call} }

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) { Report(w, r, a.tag, a.call) }

type composite struct {
	name string
	call int
	apps map[string]http.Handler
}

func (c *composite) node() map[string]any {
	apps := make(map[string]any, len(c.apps))
	for k, h := range c.apps {
		apps[k] = Node(h)
	}
	return map[string]any{"composite": c.name, "call": c.call, "apps": apps}
}

func (c *composite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "stub composite does not serve requests", http.StatusNotImplemented)
}

type filter struct {
	name string
	call int
	next http.Handler
}

func (f *filter) node() map[string]any {
	return map[string]any{"filter": f.name, "call": f.call, "wraps": Node(f.next)}
}

func (f *filter) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.next.ServeHTTP(w, r) }

// server does not listen: Serve prints one JSON line to its recorder's
// writer, {"calls": [every call so far], "app": node of the app}, and
// returns nil.
type server struct {
	name string
	call int
	rec  *Recorder
}

func (s *server) node() map[string]any { return map[string]any{"server": s.name, "call": s.call} }

func (s *server) Serve(h http.Handler) error {
	if s.rec.out == nil {
		return nil
	}
	enc := json.NewEncoder(s.rec.out)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Calls []Call `json:"calls"`
		App   any    `json:"app"`
	}{s.rec.Calls(), Node(h)})
}

func (s *server) Shutdown(context.Context) error { return nil }

// Sentinel is the handler a loaded filter is applied to: node
// {"sentinel": true}; it answers with the report of app "sentinel", call -1.
type Sentinel struct{}

func (Sentinel) node() map[string]any { return map[string]any{"sentinel": true} }

func (Sentinel) ServeHTTP(w http.ResponseWriter, r *http.Request) { Report(w, r, "sentinel", -1) }

// Report answers with what the app sees of the request (the conformance
// README, "Requests").
func Report(w http.ResponseWriter, r *http.Request, app string, call int) {
	remote := r.RemoteAddr
	if h, _, err := net.SplitHostPort(remote); err == nil {
		remote = h
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"app":         app,
		"call":        call,
		"script_name": environ.ScriptName(r),
		"path_info":   r.URL.Path,
		"host":        r.Host,
		"server_name": environ.ServerName(r),
		"server_port": environ.ServerPort(r),
		"remote_addr": remote,
		"url_scheme":  environ.Scheme(r),
	})
}

// DirVar is the conformance data's placeholder for the directory of a case.
const DirVar = "${DIR}"

// SubstDir replaces DirVar with dir in every string of v, a decoded JSON
// value, map keys included.
func SubstDir(v any, dir string) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, DirVar, dir)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = SubstDir(x, dir)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[strings.ReplaceAll(k, DirVar, dir)] = SubstDir(x, dir)
		}
		return out
	}
	return v
}
