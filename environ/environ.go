// Package environ exposes the request facts that WSGI keeps in its environ
// and Go's http.Request has no field for: the mount point (SCRIPT_NAME), the
// effective URL scheme (wsgi.url_scheme), SERVER_NAME and SERVER_PORT.
//
// The server sets them for every request; filters such as urlmap or the
// prefix middleware change them with the With* setters, which return a
// shallow copy of the request. The same facts are mirrored in the fields Go
// code already reads: the script name is not part of r.URL.Path, the scheme
// is r.URL.Scheme, the client address is r.RemoteAddr, the host is r.Host.
package environ

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"sync/atomic"
	"weak"
)

type ctxKey struct{}

// facts are stored as one immutable value in the request context, so that a
// With* call costs one allocation and lookups one context walk.
type facts struct {
	scriptName string
	scheme     string
	serverName string
	serverPort string
}

func get(r *http.Request) *facts {
	f, _ := r.Context().Value(ctxKey{}).(*facts)
	return f
}

func with(r *http.Request, change func(*facts)) *http.Request {
	var f facts
	if old := get(r); old != nil {
		f = *old
	}
	change(&f)
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, &f))
}

// Facts is the set of values carried by a request, for servers that set them
// all at once (one allocation per request).
type Facts struct {
	ScriptName string // SCRIPT_NAME: the mount point, "" or "/x" without a trailing slash
	Scheme     string // wsgi.url_scheme: "http" or "https"
	ServerName string // SERVER_NAME
	ServerPort string // SERVER_PORT, a decimal string
}

// WithFacts returns a shallow copy of r carrying all four facts, and sets
// r.URL.Scheme to f.Scheme.
func WithFacts(r *http.Request, f Facts) *http.Request {
	r2 := r.WithContext(context.WithValue(r.Context(), ctxKey{}, &facts{
		scriptName: f.ScriptName, scheme: f.Scheme, serverName: f.ServerName, serverPort: f.ServerPort,
	}))
	if f.Scheme != "" && r.URL != nil && r.URL.Scheme != f.Scheme {
		u := *r.URL
		u.Scheme = f.Scheme
		r2.URL = &u
	}
	return r2
}

// NewContext returns a copy of ctx carrying f, for servers that set the
// same facts on every request of a connection: a request whose context
// derives from it reads f without a per-request allocation. Unlike
// WithFacts it does not touch any request's URL; the server sets
// r.URL.Scheme itself.
//
// Contexts are immutable, so calls with the same parent and facts (a server
// calls it for every connection of a listener) share one: a few recent
// results are remembered through weak pointers, so that the cache keeps
// neither them nor their parents (a server replaced by a reload, say)
// alive once nothing else uses them.
func NewContext(ctx context.Context, f Facts) context.Context {
	ff := facts{scriptName: f.ScriptName, scheme: f.Scheme, serverName: f.ServerName, serverPort: f.ServerPort}
	for i := range ctxCache {
		// Only parents of comparable types are cached, so == cannot panic.
		if wp := ctxCache[i].Load(); wp != nil {
			if c := wp.Value(); c != nil && c.f == ff && c.Context == ctx {
				return c
			}
		}
	}
	c := &factsCtx{Context: ctx, f: ff}
	if ctx != nil && reflect.TypeOf(ctx).Comparable() {
		wp := weak.Make(c)
		ctxCache[ctxNext.Add(1)%uint32(len(ctxCache))].Store(&wp)
	}
	return c
}

var (
	ctxCache [4]atomic.Pointer[weak.Pointer[factsCtx]]
	ctxNext  atomic.Uint32
)

// ContextFacts returns the facts ctx carries (from NewContext or a request
// context derived from WithFacts or the With* setters).
func ContextFacts(ctx context.Context) (Facts, bool) {
	f, ok := ctx.Value(ctxKey{}).(*facts)
	if !ok || f == nil {
		return Facts{}, false
	}
	return Facts{ScriptName: f.scriptName, Scheme: f.scheme, ServerName: f.serverName, ServerPort: f.serverPort}, true
}

// factsCtx is a context carrying facts in one allocation (shared by the
// connections of a listener, see NewContext).
type factsCtx struct {
	context.Context
	f facts
}

func (c *factsCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok { // a type test: == would call runtime.efaceeq
		return &c.f
	}
	return c.Context.Value(key)
}

// ScriptName returns the mount point of the application (WSGI SCRIPT_NAME):
// "" at the root, else a path such as "/app" with no trailing slash. It is
// not part of r.URL.Path.
func ScriptName(r *http.Request) string {
	if f := get(r); f != nil {
		return f.scriptName
	}
	return ""
}

// WithScriptName returns a shallow copy of r whose script name is s. It does
// not change r.URL.Path.
func WithScriptName(r *http.Request, s string) *http.Request {
	return with(r, func(f *facts) { f.scriptName = s })
}

// Scheme returns the effective URL scheme (wsgi.url_scheme): the server's
// url_scheme, a trusted forwarded protocol, or one set by a filter. Without
// any of them it is "https" for a TLS request and "http" otherwise.
func Scheme(r *http.Request) string {
	if f := get(r); f != nil && f.scheme != "" {
		return f.scheme
	}
	if r.URL != nil && r.URL.Scheme != "" {
		return r.URL.Scheme
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// WithScheme returns a shallow copy of r whose effective scheme is s; the
// copy's r.URL.Scheme is s too (r's URL is not modified).
func WithScheme(r *http.Request, s string) *http.Request {
	r2 := with(r, func(f *facts) { f.scheme = s })
	u := *r.URL
	u.Scheme = s
	r2.URL = &u
	return r2
}

// ServerName returns SERVER_NAME: the server's configured server_name, a
// trusted forwarded host, or one set by a filter. Without any of them it is
// the host part of r.Host, or "localhost".
func ServerName(r *http.Request) string {
	if f := get(r); f != nil && f.serverName != "" {
		return f.serverName
	}
	if h := hostOnly(r.Host); h != "" {
		return h
	}
	return "localhost"
}

// WithServerName returns a shallow copy of r whose SERVER_NAME is s.
func WithServerName(r *http.Request, s string) *http.Request {
	return with(r, func(f *facts) { f.serverName = s })
}

// ServerPort returns SERVER_PORT as a string: the listening port (or a
// trusted forwarded port, or one set by a filter). Without any of them it is
// the port of r.Host, else "443" for https and "80" otherwise.
func ServerPort(r *http.Request) string {
	if f := get(r); f != nil && f.serverPort != "" {
		return f.serverPort
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil && p != "" {
		return p
	}
	if Scheme(r) == "https" {
		return "443"
	}
	return "80"
}

// WithServerPort returns a shallow copy of r whose SERVER_PORT is s.
func WithServerPort(r *http.Request, s string) *http.Request {
	return with(r, func(f *facts) { f.serverPort = s })
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
