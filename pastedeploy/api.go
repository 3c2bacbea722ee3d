package pastedeploy

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gowaitress/gowaitress/config"
)

// LoadOption configures a load.
type LoadOption func(*loadOptions)

type loadOptions struct {
	name       string
	relativeTo string
	hasRelTo   bool
	vars       map[string]string
	registry   *Registry
	onFile     func(path string)
	onNode     func(*Node)
}

// WithName names the object to load; it wins over a #fragment in the URI.
// The default is the fragment, else "main".
func WithName(name string) LoadOption { return func(o *loadOptions) { o.name = name } }

// WithRelativeTo sets the directory relative config: paths are resolved
// against (PasteDeploy's relative_to). Without it, a plain path is resolved
// against the current directory and a relative config: URI is an error.
func WithRelativeTo(dir string) LoadOption {
	return func(o *loadOptions) { o.relativeTo, o.hasRelTo = dir, true }
}

// WithVars sets the caller variables (PasteDeploy's global_conf argument;
// what `gowaitress serve file.ini name=value` passes). They fill global_conf
// over [DEFAULT], but do not override [DEFAULT] during interpolation.
func WithVars(vars map[string]string) LoadOption { return func(o *loadOptions) { o.vars = vars } }

// WithFileObserver calls fn with the absolute path of every config file the
// load reads or tries to read (the file itself and every file it includes
// through config:), so that a watcher knows what to watch.
func WithFileObserver(fn func(path string)) LoadOption { return func(o *loadOptions) { o.onFile = fn } }

// WithNodeObserver calls fn with the resolved graph of a LoadApp,
// LoadFilter or LoadServer once it is checked and before any factory runs —
// what LoadContext returns, without resolving the configuration twice.
func WithNodeObserver(fn func(*Node)) LoadOption { return func(o *loadOptions) { o.onNode = fn } }

// WithRegistry loads against r instead of Default.
func WithRegistry(r *Registry) LoadOption { return func(o *loadOptions) { o.registry = r } }

// AppSettings are the settings an application factory would receive.
type AppSettings struct {
	Global *config.Settings // global_conf
	Local  *config.Settings // local_conf
}

// Merged returns Global overlaid with Local (local wins), like PasteDeploy's
// appconfig dictionary.
func (a *AppSettings) Merged() *config.Settings {
	m := a.Global.Clone()
	m.Update(a.Local)
	return m
}

// LoadApp loads the application named by uri: "config:path#name", "egg:Dist#name",
// or a plain file path (treated as config:path, relative to the current directory).
func LoadApp(uri string, opts ...LoadOption) (http.Handler, error) {
	var h http.Handler
	err := load(KindApp, uri, opts, func(l *loader, c *objContext) (err error) {
		h, err = l.buildApp(c)
		return err
	})
	return h, err
}

// LoadFilter loads the filter named by uri (see LoadApp for the URI forms).
// A filter-app factory is returned as a filter that calls it when applied.
func LoadFilter(uri string, opts ...LoadOption) (Filter, error) {
	var f Filter
	err := load(KindFilter, uri, opts, func(l *loader, c *objContext) error {
		fn, err := l.buildFilter(c)
		if err == nil {
			f = publicFilter(fn)
		}
		return err
	})
	return f, err
}

// LoadServer loads the server named by uri (see LoadApp for the URI forms).
// A server runner is returned wrapped as a Server.
func LoadServer(uri string, opts ...LoadOption) (Server, error) {
	var s Server
	err := load(KindServer, uri, opts, func(l *loader, c *objContext) (err error) {
		s, err = l.buildServer(c)
		return err
	})
	return s, err
}

// AppConfig returns the settings the application named by uri would receive,
// without calling any factory and without checking them against the keys
// the factory declares (as PasteDeploy's appconfig). For a section with
// filter-with the filter is ignored; for a pipeline, Local is empty.
func AppConfig(uri string, opts ...LoadOption) (*AppSettings, error) {
	var a *AppSettings
	err := resolve(KindApp, uri, opts, func(l *loader, c *objContext) error {
		for c.typ == ctxFilterWith { // the filter is ignored
			c = c.next
		}
		a = &AppSettings{Global: c.global.Clone(), Local: c.local.Clone()}
		return nil
	})
	return a, err
}

// SectionSettings reads a section that describes no object, such as
// [pserve], with plaster's get_settings rules: set and get lines work as in
// object sections, [DEFAULT] keys are left out, values are interpolated —
// but caller variables override [DEFAULT] for interpolation, and a missing
// section gives empty settings rather than an error. uri is a config: URI
// or a plain path; its #fragment is ignored.
func SectionSettings(uri, section string, opts ...LoadOption) (*AppSettings, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	uri, relTo := plainPath(uri, o)
	uri, _, _ = strings.Cut(uri, "#")
	scheme, path, _ := strings.Cut(uri, ":")
	if !strings.EqualFold(scheme, "config") {
		return nil, &Error{Kind: ErrBadURI, Msg: fmt.Sprintf("settings of section %s can only be read from a config: URI, not %s", pyRepr(section), pyRepr(uri))}
	}
	p, err := configPath(uri, path, relTo, nil)
	if err != nil {
		return nil, err
	}
	s, err := newLoader(Default).newScope(p, nil, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range config.FromMap(o.vars, config.SourceCaller).All() {
		s.pdef.SetValue(k, v) // variables win over [DEFAULT] here
		delete(s.literal, k)
	}
	if !s.file.HasSection(section) || section == defaultSection {
		return &AppSettings{Global: config.NewSettings(), Local: config.NewSettings()}, nil
	}
	g, local, _, err := s.sectionSettings(section, nil, true)
	if err != nil {
		return nil, err
	}
	return &AppSettings{Global: g, Local: local}, nil
}

// Node is one object of a resolved, unbuilt graph: what LoadContext returns
// and `gowaitress check --show` prints. Composites' children are not part
// of it: a composite asks for them when it is built.
type Node struct {
	Kind    Kind   // what the node makes
	Type    string // "factory", "pipeline", "filter-app" or "filter-with"
	Factory string // the registered name, for factory nodes
	// Protocol is the factory's calling convention, for factory nodes.
	Protocol      Protocol
	File, Section string           // where the object is defined; "" for egg:/call: objects loaded directly
	Global, Local *config.Settings // the settings the factory gets (for factory nodes)
	Children      []Child          // pipeline: filters then "app"; filter-app and filter-with: "filter", then "next"
}

// Child is a node within another, with its role there.
type Child struct {
	Role string // "app", "filter" or "next"
	Node *Node
}

// LoadContext resolves the object of kind k named by uri, checks every
// setting against what its factories declare, and returns the graph without
// calling any factory.
func LoadContext(k Kind, uri string, opts ...LoadOption) (*Node, error) {
	var n *Node
	err := load(k, uri, opts, func(l *loader, c *objContext) error {
		n = c.node()
		return nil
	})
	return n, err
}

func (c *objContext) node() *Node {
	n := &Node{Kind: c.kind, File: c.file, Section: c.section, Global: c.global.Clone(), Local: c.local.Clone()}
	switch c.typ {
	case ctxFactory:
		n.Type, n.Factory, n.Protocol = "factory", c.factory.Name, c.factory.Protocol
	case ctxPipeline:
		n.Type = "pipeline"
		for _, f := range c.filters {
			n.Children = append(n.Children, Child{"filter", f.node()})
		}
		n.Children = append(n.Children, Child{"app", c.app.node()})
	case ctxFilterApp, ctxFilterWith:
		n.Type = map[ctxType]string{ctxFilterApp: "filter-app", ctxFilterWith: "filter-with"}[c.typ]
		n.Children = []Child{{"filter", c.filter.node()}, {"next", c.next.node()}}
	}
	return n
}
