// Package builtins provides the components of Paste and PasteDeploy that
// real configuration files name, as PasteDeploy factories registered under
// their Paste names:
//
//	Paste#urlmap        composite   dispatch by host and path prefix
//	Paste#cascade       composite   try applications until one does not answer 404
//	PasteDeploy#prefix  filter-app  mount behind a proxy that forwards a sub-path
//	Paste#translogger   filter      Apache combined access log lines
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
}

func init() { Register(pastedeploy.Default) }

// Register adds the named built-ins ("Paste#urlmap", "Paste#cascade",
// "PasteDeploy#prefix", "Paste#translogger") to r; with no names, all of
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
