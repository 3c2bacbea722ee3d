// Package builtins provides the components of Paste and PasteDeploy that
// real configuration files name, as PasteDeploy factories registered under
// their Paste names:
//
//	Paste#urlmap             composite   dispatch by host and path prefix
//	Paste#cascade            composite   try applications until one does not answer 404
//	PasteDeploy#prefix       filter-app  mount behind a proxy that forwards a sub-path
//	Paste#translogger        filter      Apache combined access log lines
//	Paste#static             app         serve the files under document_root
//	Paste#proxy              app         reverse proxy to one address
//	Paste#transparent_proxy  app         proxy to the host each request names
//	Paste#gzip               filter-app  gzip responses for clients that accept it
//	Paste#auth_basic         filter-app  HTTP Basic authentication against htpasswd (bcrypt)
//	Paste#grantip            filter-app  grant users and roles, allow or deny, by client address
//	Paste#errordocument      filter-app  show pages of the application for error statuses
//	Paste#error_catcher      filter-app  turn panics into 500 pages
//	gowaitress#echo          app         answer with the request as the application sees it
//	gowaitress#health        app         200 "ok", or 503 while the server drains for shutdown
//	gowaitress#stats         app         JSON counters of the serving gowaitress server
//
// Importing the package registers them all in pastedeploy.Default; Register
// adds them to another registry. Each factory's doc comment lists its
// settings and where it differs from Paste on purpose.
package builtins

import (
	"fmt"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

type builtin struct {
	name string
	fn   any
	opts []pastedeploy.Option
}

// builtins lists every built-in, in the order Names returns them.
var builtins = []builtin{
	{"Paste#urlmap", pastedeploy.CompositeFactory(URLMapFactory), []pastedeploy.Option{
		// Route keys are arbitrary, so no Keys: URLMapFactory validates them.
		pastedeploy.Description("dispatch to applications by host and path prefix (not_found_app, \"domain H port N /path = app\" routes)"),
	}},
	{"Paste#cascade", pastedeploy.CompositeFactory(CascadeFactory), []pastedeploy.Option{
		// app1, app2, ... are arbitrary keys, so no Keys: CascadeFactory validates them.
		pastedeploy.Description("try applications app1, app2, ... in turn until one answers with a status not in catch (default 404)"),
	}},
	{"PasteDeploy#prefix", pastedeploy.FilterAppFactory(PrefixFactory), []pastedeploy.Option{
		pastedeploy.Description("mount an application behind a proxy: strip prefix, set the script name, translate X-Forwarded-* headers"),
		pastedeploy.Keys(prefixKeys...),
	}},
	{"Paste#translogger", pastedeploy.FilterFactory(TransloggerFactory), []pastedeploy.Option{
		pastedeploy.Description("log one Apache combined format line per request on the \"wsgi\" logger"),
		pastedeploy.Keys(transloggerKeys...),
	}},
	{"Paste#static", pastedeploy.AppFactory(StaticFactory), []pastedeploy.Option{
		pastedeploy.Description("serve the files under document_root (index.html, Range, conditional requests, .gz/.br siblings)"),
		pastedeploy.Keys(staticKeys...),
		pastedeploy.Required("document_root"),
	}},
	{"Paste#proxy", pastedeploy.AppFactory(ProxyFactory), []pastedeploy.Option{
		pastedeploy.Description("reverse proxy to address, the request path appended to its path"),
		pastedeploy.Keys(proxyKeys...),
		pastedeploy.Required("address"),
	}},
	{"Paste#transparent_proxy", pastedeploy.AppFactory(TransparentProxyFactory), []pastedeploy.Option{
		pastedeploy.Description("proxy each request to the host it names, or to force_host"),
		pastedeploy.Keys(transparentProxyKeys...),
	}},
	{"Paste#gzip", pastedeploy.FilterAppFactory(GzipFactory), []pastedeploy.Option{
		pastedeploy.Description("gzip compressible responses for clients that accept it (compress_level)"),
		pastedeploy.Keys(gzipKeys...),
	}},
	{"Paste#auth_basic", pastedeploy.FilterAppFactory(AuthBasicFactory), []pastedeploy.Option{
		pastedeploy.Description("require HTTP Basic credentials checked against an htpasswd file of bcrypt hashes"),
		pastedeploy.Keys(authBasicKeys...),
		pastedeploy.Required("htpasswd"),
	}},
	{"Paste#grantip", pastedeploy.FilterAppFactory(GrantIPFactory), []pastedeploy.Option{
		// Address keys are arbitrary, so no Keys: GrantIPFactory validates them.
		pastedeploy.Description("grant a user and roles by client address (\"ADDRESS = user:roles\"), allow or deny by address or CIDR"),
	}},
	{"Paste#errordocument", pastedeploy.FilterAppFactory(ErrorDocumentFactory), []pastedeploy.Option{
		// Status code keys are arbitrary, so no Keys: ErrorDocumentFactory validates them.
		pastedeploy.Description("answer mapped error statuses (\"404 = /notfound.html\") with a page of the application"),
	}},
	{"Paste#error_catcher", pastedeploy.FilterAppFactory(ErrorCatcherFactory), []pastedeploy.Option{
		pastedeploy.Description("turn panics into 500 pages, logged with their stack; details shown only with debug"),
		pastedeploy.Keys(errorCatcherKeys...),
	}},
	{"gowaitress#echo", pastedeploy.AppFactory(EchoFactory), []pastedeploy.Option{
		pastedeploy.Description("answer with a JSON description of the request as the application sees it"),
		pastedeploy.Keys(echoKeys...),
	}},
	{"gowaitress#health", pastedeploy.AppFactory(HealthFactory), []pastedeploy.Option{
		pastedeploy.Description("liveness/readiness probe: 200 \"ok\", draining_status (default 503) once the server begins a graceful shutdown"),
		pastedeploy.Keys(healthKeys...),
	}},
	{"gowaitress#stats", pastedeploy.AppFactory(StatsFactory), []pastedeploy.Option{
		// No settings: StatsFactory refuses any key.
		pastedeploy.Description("JSON counters of the serving gowaitress server: connections, busy/idle threads, queue, requests served, bytes in/out, uptime, draining"),
	}},
}

func init() { Register(pastedeploy.Default) }

// Register adds the named built-ins (see Names) to r; with no names, all of
// them. It panics on a name that is not a built-in, and, as
// Registry.Register does, on a built-in already registered in r.
func Register(r *pastedeploy.Registry, names ...string) {
	if len(names) == 0 {
		for _, b := range builtins {
			r.Register(b.name, b.fn, b.opts...)
		}
		return
	}
	for _, n := range names {
		found := false
		for _, b := range builtins {
			if b.name == n {
				r.Register(b.name, b.fn, b.opts...)
				found = true
				break
			}
		}
		if !found {
			panic(fmt.Sprintf("builtins: Register: no built-in named %q (have %v)", n, Names()))
		}
	}
}

// Names returns the names of all built-ins.
func Names() []string {
	out := make([]string, len(builtins))
	for i, b := range builtins {
		out[i] = b.name
	}
	return out
}
