package pastedeploy

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/suggest"
)

// Protocol is the calling convention of a factory, PasteDeploy's entry point
// group. It fixes the Go signature of the factory.
type Protocol int

const (
	// ProtoApp is paste.app_factory: AppFactory.
	ProtoApp Protocol = iota + 1
	// ProtoComposite is paste.composite_factory (alias paste.composit_factory): CompositeFactory.
	ProtoComposite
	// ProtoFilter is paste.filter_factory: FilterFactory.
	ProtoFilter
	// ProtoFilterApp is paste.filter_app_factory: FilterAppFactory.
	ProtoFilterApp
	// ProtoServer is paste.server_factory: ServerFactory.
	ProtoServer
	// ProtoServerRunner is paste.server_runner: ServerRunner.
	ProtoServerRunner
)

var protoNames = map[Protocol]string{
	ProtoApp:          "paste.app_factory",
	ProtoComposite:    "paste.composite_factory",
	ProtoFilter:       "paste.filter_factory",
	ProtoFilterApp:    "paste.filter_app_factory",
	ProtoServer:       "paste.server_factory",
	ProtoServerRunner: "paste.server_runner",
}

// String returns PasteDeploy's name of the protocol, e.g. "paste.app_factory".
func (p Protocol) String() string {
	if s, ok := protoNames[p]; ok {
		return s
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// Kind returns the kind of object the protocol makes.
func (p Protocol) Kind() Kind {
	switch p {
	case ProtoApp, ProtoComposite:
		return KindApp
	case ProtoFilter, ProtoFilterApp:
		return KindFilter
	case ProtoServer, ProtoServerRunner:
		return KindServer
	}
	return 0
}

// noun is how messages name a factory of this protocol: "app", "composite", ...
func (p Protocol) noun() string {
	switch p {
	case ProtoApp:
		return "app"
	case ProtoComposite:
		return "composite"
	case ProtoFilter:
		return "filter"
	case ProtoFilterApp:
		return "filter-app"
	case ProtoServer:
		return "server"
	case ProtoServerRunner:
		return "server runner"
	}
	return "unknown"
}

// Kind is one of the three kinds of object a config file describes.
type Kind int

const (
	// KindApp is an application: an http.Handler.
	KindApp Kind = iota + 1
	// KindFilter is a filter: func(http.Handler) http.Handler.
	KindFilter
	// KindServer is a server: something that serves an http.Handler.
	KindServer
)

func (k Kind) String() string {
	switch k {
	case KindApp:
		return "app"
	case KindFilter:
		return "filter"
	case KindServer:
		return "server"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// protocolGroups lists, per kind, the groups of protocols searched in order
// (PasteDeploy §4.6/§4.7): within a group the first hit wins, hits in two
// groups are ambiguous.
var protocolGroups = map[Kind][][]Protocol{
	KindApp:    {{ProtoApp}, {ProtoComposite}},
	KindFilter: {{ProtoFilter, ProtoFilterApp}},
	KindServer: {{ProtoServer, ProtoServerRunner}},
}

// Filter wraps an application in another: the Go form of a WSGI middleware.
type Filter = func(http.Handler) http.Handler

// Server serves an application until Shutdown is called.
type Server interface {
	// Serve serves app and blocks; it returns nil after a graceful Shutdown.
	Serve(app http.Handler) error
	// Shutdown stops the server gracefully within ctx.
	Shutdown(ctx context.Context) error
}

// AppFactory builds an application from its settings (paste.app_factory).
type AppFactory func(global, local *config.Settings) (http.Handler, error)

// CompositeFactory builds an application that dispatches to other
// applications it loads through loader (paste.composite_factory).
type CompositeFactory func(loader Loader, global, local *config.Settings) (http.Handler, error)

// FilterFactory builds a filter (paste.filter_factory).
type FilterFactory func(global, local *config.Settings) (Filter, error)

// FilterAppFactory builds an application wrapping next (paste.filter_app_factory).
type FilterAppFactory func(next http.Handler, global, local *config.Settings) (http.Handler, error)

// ServerFactory builds a server (paste.server_factory).
type ServerFactory func(global, local *config.Settings) (Server, error)

// ServerRunner serves app until ctx is cancelled (paste.server_runner).
type ServerRunner func(ctx context.Context, app http.Handler, global, local *config.Settings) error

// Loader is what a composite factory gets to load the applications, filters
// and servers it dispatches to. Names resolve as `use` values do in the
// composite's file (a section name, or a config:/egg:/call: URI relative to
// the file's directory); "" means "main". A nil global gives the child only
// its own file's defaults; composites normally pass their own global.
type Loader interface {
	GetApp(nameOrURI string, global *config.Settings) (http.Handler, error)
	GetFilter(nameOrURI string, global *config.Settings) (Filter, error)
	GetServer(nameOrURI string, global *config.Settings) (Server, error)
}

// Factory is one registration: a name, its protocol, and what it accepts.
type Factory struct {
	Name        string   // registered name, e.g. "waitress#main" or "myproject.web:app"
	Protocol    Protocol // calling convention
	Description string   // one line for `gowaitress list`
	// Keys lists the local settings the factory accepts; nil means any.
	// The loader reports any other local key as an unknown setting, with a
	// suggestion, before the factory is called.
	Keys []string
	// Required lists local settings that must be present; with Keys, they
	// are accepted as well.
	Required []string

	fn any // one of the *Factory function types, matching Protocol
}

// Option configures a registration.
type Option func(*Factory)

// Description sets the one-line description shown by `gowaitress list`.
func Description(s string) Option { return func(f *Factory) { f.Description = s } }

// Keys declares the local settings the factory accepts; any other key is an
// error at load time naming the key, with a suggestion.
func Keys(keys ...string) Option {
	return func(f *Factory) { f.Keys = append(f.Keys[:len(f.Keys):len(f.Keys)], keys...) }
}

// Required declares local settings that must be present. When Keys are
// declared too, required settings are accepted keys whatever the order of
// the options.
func Required(keys ...string) Option {
	return func(f *Factory) { f.Required = append(f.Required[:len(f.Required):len(f.Required)], keys...) }
}

// Registry maps names to factories, as database/sql maps names to drivers.
// The zero value is not usable; use NewRegistry. Default is filled by init
// functions. A Registry is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	factories map[string][]*Factory // by exact name; one entry per protocol
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: make(map[string][]*Factory)} }

// Default is the registry that the package-level Register* functions fill and
// that loads use unless given WithRegistry.
var Default = NewRegistry()

// Register adds a factory under name. fn must be an AppFactory,
// CompositeFactory, FilterFactory, FilterAppFactory, ServerFactory or
// ServerRunner (or a func literal of one of those shapes). It panics on an
// empty name, a nil factory, an unsupported type, or a name already
// registered under the same protocol, as sql.Register does.
func (r *Registry) Register(name string, fn any, opts ...Option) {
	if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
		panic(fmt.Sprintf("pastedeploy: Register: invalid factory name %q", name))
	}
	f := &Factory{Name: name, fn: fn}
	switch fn := fn.(type) {
	case AppFactory:
		f.Protocol, f.fn = ProtoApp, fn
	case func(global, local *config.Settings) (http.Handler, error):
		f.Protocol, f.fn = ProtoApp, AppFactory(fn)
	case CompositeFactory:
		f.Protocol, f.fn = ProtoComposite, fn
	case func(loader Loader, global, local *config.Settings) (http.Handler, error):
		f.Protocol, f.fn = ProtoComposite, CompositeFactory(fn)
	case FilterFactory:
		f.Protocol, f.fn = ProtoFilter, fn
	case func(global, local *config.Settings) (Filter, error):
		f.Protocol, f.fn = ProtoFilter, FilterFactory(fn)
	case FilterAppFactory:
		f.Protocol, f.fn = ProtoFilterApp, fn
	case func(next http.Handler, global, local *config.Settings) (http.Handler, error):
		f.Protocol, f.fn = ProtoFilterApp, FilterAppFactory(fn)
	case ServerFactory:
		f.Protocol, f.fn = ProtoServer, fn
	case func(global, local *config.Settings) (Server, error):
		f.Protocol, f.fn = ProtoServer, ServerFactory(fn)
	case ServerRunner:
		f.Protocol, f.fn = ProtoServerRunner, fn
	case func(ctx context.Context, app http.Handler, global, local *config.Settings) error:
		f.Protocol, f.fn = ProtoServerRunner, ServerRunner(fn)
	default:
		panic(fmt.Sprintf("pastedeploy: Register %q: unsupported factory type %T", name, fn))
	}
	if isNilFunc(f.fn) {
		panic(fmt.Sprintf("pastedeploy: Register %q: factory is nil", name))
	}
	for _, o := range opts {
		o(f)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, old := range r.factories[name] {
		if old.Protocol == f.Protocol {
			panic(fmt.Sprintf("pastedeploy: Register called twice for %s factory %q", f.Protocol.noun(), name))
		}
	}
	r.factories[name] = append(r.factories[name], f)
}

func isNilFunc(fn any) bool {
	switch fn := fn.(type) {
	case AppFactory:
		return fn == nil
	case CompositeFactory:
		return fn == nil
	case FilterFactory:
		return fn == nil
	case FilterAppFactory:
		return fn == nil
	case ServerFactory:
		return fn == nil
	case ServerRunner:
		return fn == nil
	}
	return fn == nil
}

// Register adds a factory to the Default registry; see Registry.Register.
func Register(name string, fn any, opts ...Option) { Default.Register(name, fn, opts...) }

// Names returns every registered name, sorted, once each.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Factories returns every registration, sorted by name, then protocol.
func (r *Registry) Factories() []Factory {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Factory
	for _, fs := range r.factories {
		for _, f := range fs {
			out = append(out, *f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// Lookup returns the factory registered as name under protocol p.
func (r *Registry) Lookup(name string, p Protocol) (*Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.factories[name] {
		if f.Protocol == p {
			return f, true
		}
	}
	return nil, false
}

// byName returns every registration of exactly name.
func (r *Registry) byName(name string) []*Factory {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*Factory(nil), r.factories[name]...)
}

// NormalizeDist folds a distribution name for comparison: lower-cased, with
// '-', '_' and '.' treated alike (importlib.metadata's rule, without
// collapsing runs).
func NormalizeDist(d string) string {
	d = strings.ToLower(d)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, d)
}

// splitEggName splits a registered name "Dist#entry" into its parts; names
// without '#' have no distribution.
func splitEggName(name string) (dist, entry string, ok bool) {
	i := strings.IndexByte(name, '#')
	if i < 0 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// distEntries returns every registration whose distribution part matches dist.
func (r *Registry) distEntries(dist string) []*Factory {
	nd := NormalizeDist(dist)
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*Factory
	for n, fs := range r.factories {
		if d, _, ok := splitEggName(n); ok && NormalizeDist(d) == nd {
			out = append(out, fs...)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// hasDist reports whether any factory is registered for distribution dist.
func (r *Registry) hasDist(dist string) bool { return len(r.distEntries(dist)) > 0 }

// distNames returns the distinct distribution parts of registered names.
func (r *Registry) distNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range r.Names() {
		if d, _, ok := splitEggName(n); ok && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// lookupEgg resolves egg:dist#entry for an object of kind k (PasteDeploy §4.7).
// The message of a failure is returned with the error kind; the caller adds
// the position.
func (r *Registry) lookupEgg(dist, entry string, k Kind) (*Factory, ErrorKind, string) {
	all := r.distEntries(dist)
	if len(all) == 0 {
		return nil, ErrUnknownFactory, fmt.Sprintf("egg:%s: no factories are registered for distribution %q%s",
			dist, dist, suggest.DidYouMean(dist, r.distNames()))
	}
	var hits []*Factory
	var hitProtos []string
	for _, group := range protocolGroups[k] {
		var hit *Factory
		for _, p := range group {
			for _, f := range all {
				_, e, _ := splitEggName(f.Name)
				if e == entry && f.Protocol == p {
					hit = f
					break
				}
			}
			if hit != nil {
				break
			}
		}
		if hit != nil {
			hits = append(hits, hit)
			hitProtos = append(hitProtos, hit.Protocol.String())
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], 0, ""
	case 0:
	default:
		return nil, ErrAmbiguousFactory, fmt.Sprintf("Ambiguous entry points for '%s' in egg '%s' (protocols: %s)",
			entry, dist, strings.Join(hitProtos, ", "))
	}
	var protos, entries []string
	for _, g := range protocolGroups[k] {
		for _, p := range g {
			protos = append(protos, p.String())
		}
	}
	var other *Factory
	seen := map[string]bool{}
	for _, f := range all {
		_, e, _ := splitEggName(f.Name)
		if !seen[e] {
			seen[e] = true
			entries = append(entries, e)
		}
		if e == entry && other == nil {
			other = f
		}
	}
	msg := fmt.Sprintf("Entry point '%s' not found in egg '%s' (protocols: %s; entry_points: %s)",
		entry, dist, strings.Join(protos, ", "), strings.Join(entries, ", "))
	if other != nil {
		return nil, ErrFactoryKind, msg + fmt.Sprintf(": %q is registered as a %s factory (%s), not a%s %s factory",
			other.Name, other.Protocol.noun(), other.Protocol, article(k.String()), k)
	}
	return nil, ErrUnknownFactory, msg + suggest.DidYouMean(entry, entries)
}

// lookupCall resolves a registry name given by call:X or a protocol key for
// protocol p. A name registered only for protocols of another kind is an
// ErrFactoryKind error; protocols of the same kind are accepted (the
// registered protocol decides the calling convention).
func (r *Registry) lookupCall(name string, p Protocol) (*Factory, ErrorKind, string) {
	fs := r.byName(name)
	for _, f := range fs {
		if f.Protocol == p {
			return f, 0, ""
		}
	}
	for _, g := range protocolGroups[p.Kind()] {
		for _, q := range g {
			for _, f := range fs {
				if f.Protocol == q {
					return f, 0, ""
				}
			}
		}
	}
	if len(fs) > 0 {
		return nil, ErrFactoryKind, fmt.Sprintf("%q is registered as a %s factory (%s), not a%s %s factory",
			name, fs[0].Protocol.noun(), fs[0].Protocol, article(p.noun()), p.noun())
	}
	var same []string
	for _, f := range r.Factories() {
		if f.Protocol.Kind() == p.Kind() {
			same = append(same, f.Name)
		}
	}
	return nil, ErrUnknownFactory, fmt.Sprintf("no %s factory is registered as %q%s", p.noun(), name, suggest.DidYouMean(name, same))
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "n"
	}
	return ""
}
