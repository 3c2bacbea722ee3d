package pastedeploy

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/suggest"
)

// loader is the state of one load: the registry, the files read so far and
// the composites being built (cycle detection at build time).
type loader struct {
	reg      *Registry
	onFile   func(path string) // WithFileObserver
	onNode   func(*Node)       // WithNodeObserver
	files    map[string]*iniFile
	scopes   map[string]*scope // by path and caller globals: a file included many times is set up once
	building map[string]bool
}

func newLoader(reg *Registry) *loader {
	return &loader{reg: reg, files: map[string]*iniFile{}, scopes: map[string]*scope{}, building: map[string]bool{}}
}

// load resolves uri into a context for an object of kind k and hands it to
// build, after checking the whole graph's settings against what its
// factories declare (see checkTree).
func load(k Kind, uri string, opts []LoadOption, build func(*loader, *objContext) error) error {
	return resolve(k, uri, opts, func(l *loader, c *objContext) error {
		if err := checkTree(c); err != nil {
			return err
		}
		if l.onNode != nil {
			l.onNode(c.node())
		}
		return build(l, c)
	})
}

// resolve resolves uri into a context for an object of kind k and hands it
// to fn.
func resolve(k Kind, uri string, opts []LoadOption, fn func(*loader, *objContext) error) error {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.registry == nil {
		o.registry = Default
	}
	uri, relTo := plainPath(uri, o)
	var global *config.Settings
	if o.vars != nil {
		global = config.FromMap(o.vars, config.SourceCaller)
	}
	l := newLoader(o.registry)
	l.onFile, l.onNode = o.onFile, o.onNode
	c, err := l.loadContext(k, uri, o.name, relTo, global, nil, nil)
	if err != nil {
		return err
	}
	return fn(l, c)
}

// plainPath turns a plain file path given to the API into a config: URI;
// without WithRelativeTo it is relative to the current directory, and kept
// as typed so that messages name the file as the user wrote it.
func plainPath(uri string, o loadOptions) (string, string) {
	if looksLikeURI(uri) {
		return uri, o.relativeTo
	}
	if o.hasRelTo {
		return "config:" + uri, o.relativeTo
	}
	return "config:" + uri, "."
}

// ref is a reference being followed: the section that refers, and the key.
type ref struct {
	file, section, key string
	line               int
}

func (r *ref) errorf(kind ErrorKind, format string, args ...any) *Error {
	e := &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
	if r != nil {
		e.File, e.Line, e.Section, e.Key = r.file, r.line, r.section, r.key
	}
	return e
}

// looksLikeURI reports whether s starts with letters and a colon (spec §3.4).
func looksLikeURI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for _, r := range s[:i] {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// loadContext resolves a URI (spec §3.1): config:PATH, egg:DIST, call:NAME.
func (l *loader) loadContext(k Kind, uri, name, relTo string, global *config.Settings, stack []string, via *ref) (*objContext, error) {
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		if name == "" {
			name = uri[i+1:]
		}
		uri = uri[:i]
	}
	if name == "" {
		name = "main"
	}
	colon := strings.IndexByte(uri, ':')
	if colon < 0 {
		return nil, via.errorf(ErrBadURI, "URI has no scheme: %s", pyRepr(uri))
	}
	scheme, path := strings.ToLower(uri[:colon]), uri[colon+1:]
	switch scheme {
	case "config":
		p, err := configPath(uri, path, relTo, via)
		if err != nil {
			return nil, err
		}
		s, err := l.openScope(p, global, via)
		if err != nil {
			return nil, err
		}
		return s.getContext(k, name, global, stack, via)
	case "egg":
		if strings.ContainsAny(path, "=<>!~ ") {
			return nil, via.errorf(ErrUnsupported, "egg:%s: version requirements are not supported; name the distribution only", path)
		}
		f, ek, msg := l.reg.lookupEgg(path, name, k)
		if f == nil {
			return nil, via.errorf(ek, "%s", msg)
		}
		return l.factoryContext(k, f, global, l.bareScope(relTo), via), nil
	case "call":
		f, ek, msg := l.reg.lookupCall(path, protocolGroups[k][0][0])
		if f == nil {
			return nil, via.errorf(ek, "call:%s: %s", path, msg)
		}
		return l.factoryContext(k, f, global, l.bareScope(relTo), via), nil
	}
	return nil, via.errorf(ErrUnknownScheme, "URI scheme not known: %s (from config, egg, call)", pyRepr(scheme))
}

// factoryContext is the context of a factory found by egg: or call: — no
// local settings of its own, the referrer's global settings.
func (l *loader) factoryContext(k Kind, f *Factory, global *config.Settings, s *scope, via *ref) *objContext {
	c := &objContext{typ: ctxFactory, kind: k, factory: f, global: global.Clone(), local: config.NewSettings(), scope: s}
	if via != nil {
		c.file, c.section = via.file, via.section
	}
	return c
}

// configPath turns the path of a config: URI into the path string to open
// (spec §3.2).
func configPath(uri, path, relTo string, via *ref) (string, error) {
	abs := strings.HasPrefix(path, "/")
	path = strings.ReplaceAll(path, `\`, "/")
	if !abs && relTo != "." { // "." (plain paths): the current directory, path kept as typed
		if relTo == "" {
			return "", via.errorf(ErrBadURI, "Cannot resolve relative uri %s; no relative_to keyword argument given", pyRepr(uri))
		}
		relTo = strings.ReplaceAll(relTo, `\`, "/")
		if strings.HasSuffix(relTo, "/") {
			path = relTo + path
		} else {
			path = relTo + "/" + path
		}
	}
	if strings.HasPrefix(path, "///") {
		path = path[2:]
	}
	if u, err := url.PathUnescape(path); err == nil {
		path = u
	}
	return strings.TrimSpace(path), nil
}

// scope is one opening of a config file, with its parser defaults: PasteDeploy's
// ConfigLoader. Sections referred to by name share their file's scope. A scope
// without a file serves egg: and call: objects loaded directly.
type scope struct {
	l       *loader
	file    *iniFile
	dir     string           // here: where relative config: references resolve
	pdef    *config.Settings // raw parser defaults: here, __file__, [DEFAULT], caller variables
	literal map[string]bool  // parser defaults inserted literally (the computed here and __file__)

	defaults    *config.Settings // pdef interpolated, computed once
	defaultsErr error
}

func (l *loader) bareScope(dir string) *scope {
	return &scope{l: l, dir: dir, pdef: config.NewSettings()}
}

// openScope reads the file at path (parsed once per load) and sets up its
// parser defaults (spec §4.1): computed here and __file__, then [DEFAULT],
// then the caller's global settings for names the file does not define.
func (l *loader) openScope(path string, global *config.Settings, via *ref) (*scope, error) {
	var key strings.Builder
	key.WriteString(path)
	for k, v := range global.All() {
		key.WriteString("\x00" + k + "\x00" + v.Raw)
	}
	if s, ok := l.scopes[key.String()]; ok {
		return s, nil
	}
	s, err := l.newScope(path, global, via)
	if err == nil {
		l.scopes[key.String()] = s
	}
	return s, err
}

func (l *loader) newScope(path string, global *config.Settings, via *ref) (*scope, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		wd, _ := os.Getwd()
		abs = filepath.Join(wd, abs)
	}
	abs = filepath.Clean(abs)
	f, ok := l.files[path]
	if !ok {
		if l.onFile != nil {
			l.onFile(abs)
		}
		var err error
		if f, err = readINI(path); err != nil {
			if e, isE := err.(*Error); isE && via != nil && e.Kind == ErrFileNotFound {
				e.File, e.Line, e.Section, e.Key = via.file, via.line, via.section, via.key
			}
			return nil, err
		}
		l.files[path] = f
	}
	s := &scope{l: l, file: f, dir: filepath.Dir(abs), pdef: config.NewSettings(), literal: map[string]bool{"here": true, "__file__": true}}
	computed := config.Origin{File: path, Source: config.SourceComputed}
	s.pdef.Set("here", s.dir, computed)
	s.pdef.Set("__file__", abs, computed)
	for _, k := range f.Keys(defaultSection) {
		v, _ := f.Value(defaultSection, k)
		s.pdef.Set(k, v, config.Origin{File: path, Line: f.Line(defaultSection, k), Section: defaultSection, Key: k, Source: config.SourceDefault})
		delete(s.literal, k)
	}
	for k, v := range global.All() {
		if !s.pdef.Has(k) {
			s.pdef.SetValue(k, v)
		}
	}
	return s, nil
}

// interpolatedDefaults returns the parser defaults with their values
// interpolated against the parser defaults (spec §4.2 step 2). An error in
// any of them fails every load from the file.
func (s *scope) interpolatedDefaults() (*config.Settings, error) {
	if s.defaults != nil || s.defaultsErr != nil {
		return s.defaults, s.defaultsErr
	}
	d := config.NewSettings()
	var errs []error
	for k, v := range s.pdef.All() {
		if !s.literal[k] {
			out, msg := interpolate(k, defaultSection, v.Raw, s.lookupDefault)
			if msg != "" {
				errs = append(errs, s.valueError(v.Origin, ErrInterpolation, msg))
				continue
			}
			if out != "" { // PasteDeploy keeps the raw value when the result is empty
				v.Raw = out
			}
		}
		d.SetValue(k, v)
	}
	s.defaults, s.defaultsErr = d, config.Join(errs...)
	return s.defaults, s.defaultsErr
}

func (s *scope) lookupDefault(name string) (string, bool, bool) {
	v, ok := s.pdef.Get(name)
	return v.Raw, s.literal[name], ok
}

// valueError positions an error at a value's origin.
func (s *scope) valueError(o config.Origin, kind ErrorKind, msg string) *Error {
	file := o.File
	if file == "" && s.file != nil {
		file = s.file.Path
	}
	sec := o.Section
	if sec == "" && o.Source == config.SourceCaller {
		sec = defaultSection
	}
	return &Error{Kind: kind, File: file, Line: o.Line, Section: sec, Key: o.Key, Msg: msg}
}

// sectionError positions an error at a section of this scope's file.
func (s *scope) sectionError(sec, key string, kind ErrorKind, format string, args ...any) *Error {
	line := s.file.Line(sec, key)
	if key == "" {
		line = s.file.SectionLine(sec)
	}
	return &Error{Kind: kind, File: s.file.Path, Line: line, Section: sec, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// sectionTypes lists, per kind, the alias groups of section types searched
// in order (spec §3.5).
var sectionTypes = map[Kind][][]string{
	KindApp:    {{"app", "application"}, {"composite", "composit"}, {"pipeline"}, {"filter-app"}},
	KindFilter: {{"filter"}},
	KindServer: {{"server"}},
}

// findSection finds the section defining the object name of kind k (spec §3.6).
func (s *scope) findSection(k Kind, name string, via *ref) (string, error) {
	var found, aliases []string
	for _, group := range sectionTypes[k] {
		for _, alias := range group {
			aliases = append(aliases, "'"+alias+"'")
		}
		for _, alias := range group {
			var hits []string
			if name == "main" {
				if s.file.HasSection(alias) {
					hits = append(hits, alias)
				}
			}
			hits = append(hits, s.file.Named(alias, name)...)
			if len(hits) > 0 {
				found = append(found, hits...)
				break
			}
		}
	}
	prefixed := strings.Join(aliases, " or ")
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		e := via.errorf(ErrMissingSection, "No section %s (prefixed by %s) found in config %s", pyRepr(name), prefixed, s.file.Path)
		var names []string
		for _, sec := range s.file.Sections() {
			if t, n, ok := strings.Cut(sec, ":"); ok && s.typeMatches(k, t) {
				names = append(names, strings.TrimSpace(n))
			}
		}
		e.Msg += suggest.DidYouMean(name, names)
		if via == nil {
			e.File = s.file.Path
		}
		return "", e
	}
	quoted := make([]string, len(found))
	for i, f := range found {
		quoted[i] = pyRepr(f)
	}
	return "", via.errorf(ErrAmbiguousSection, "Ambiguous section names [%s] for section %s (prefixed by %s) found in config %s",
		strings.Join(quoted, ", "), pyRepr(name), prefixed, s.file.Path)
}

func (s *scope) typeMatches(k Kind, typ string) bool {
	for _, g := range sectionTypes[k] {
		for _, a := range g {
			if a == typ {
				return true
			}
		}
	}
	return false
}

// sectionType returns the type part of a section header: "app" for
// "app:main" and for a bare "[app]".
func sectionType(sec string) string {
	t, _, _ := strings.Cut(sec, ":")
	return t
}

// getContext resolves the object name (a section of this file, or a URI
// relative to it) for kind k: PasteDeploy's ConfigLoader.get_context (§4.2).
func (s *scope) getContext(k Kind, name string, global *config.Settings, stack []string, via *ref) (*objContext, error) {
	if looksLikeURI(name) {
		return s.l.loadContext(k, name, "", s.dir, global, stack, via)
	}
	if name == "" {
		name = "main"
	}
	if s.file == nil {
		return nil, via.errorf(ErrMissingSection, "no config file to look up section %s in (only URIs can be loaded here)", pyRepr(name))
	}
	sec, err := s.findSection(k, name, via)
	if err != nil {
		return nil, err
	}
	id := s.file.Path + " [" + sec + "]"
	for i, x := range stack {
		if x == id {
			return nil, via.errorf(ErrCircular, "circular reference: %s", cycleText(append(stack[i:len(stack):len(stack)], id), via))
		}
	}
	stack = append(stack[:len(stack):len(stack)], id)

	g, local, additions, err := s.sectionSettings(sec, global, false)
	if err != nil {
		return nil, err
	}
	var errs []error

	var filterWith config.Value
	hasFilterWith := false
	if k == KindApp || k == KindFilter {
		filterWith, hasFilterWith = local.Get("filter-with")
		local.Delete("filter-with")
	}
	if req, ok := local.Get("require"); ok {
		for _, dist := range strings.Fields(req.Raw) {
			if !s.l.reg.hasDist(dist) {
				errs = append(errs, s.valueError(req.Origin, ErrUnknownFactory, fmt.Sprintf("no factories are registered for distribution %q%s",
					dist, suggest.DidYouMean(dist, s.l.reg.distNames()))))
			}
		}
		local.Delete("require")
	}

	var c *objContext
	switch typ := sectionType(sec); {
	case typ == "filter-app":
		c, err = s.filterAppContext(sec, local, g, additions, stack)
	case typ == "pipeline":
		c, err = s.pipelineContext(sec, local, g, stack)
	case local.Has("use"):
		c, err = s.useContext(k, sec, local, g, additions, stack)
	default:
		c, err = s.explicitContext(k, sec, local, g)
	}
	if err != nil {
		errs = append(errs, err)
	}
	if hasFilterWith {
		fc, err := s.getContext(KindFilter, filterWith.Raw, g, stack, s.refTo(sec, "filter-with"))
		if err != nil {
			errs = append(errs, err)
		}
		if c != nil {
			c = &objContext{typ: ctxFilterWith, kind: k, global: g, local: local, scope: s, file: s.file.Path, section: sec, filter: fc, next: c}
		}
	}
	if len(errs) > 0 {
		return nil, config.Join(errs...)
	}
	return c, nil
}

// sectionSettings computes the global and local settings of section sec
// (spec §4.2 steps 2–5): global = interpolated defaults, then global (the
// caller's or the referrer's; it wins), then the section's set lines;
// local = the section's other keys, minus DEFAULT-named ones, plus get
// lines evaluated after all sets. additions are the set lines alone. With
// keepGetPosition a get key takes the position of its line in local (plaster's
// get_settings) rather than going last.
func (s *scope) sectionSettings(sec string, global *config.Settings, keepGetPosition bool) (g, local, additions *config.Settings, err error) {
	defaults, err := s.interpolatedDefaults()
	if err != nil {
		return nil, nil, nil, err
	}
	g = defaults.Clone()
	g.Update(global)
	local, additions = config.NewSettings(), config.NewSettings()
	type getLine struct {
		name   string
		global string
		origin config.Origin
	}
	var gets []getLine
	var errs []error
	lookup := func(n string) (string, bool, bool) {
		if v, ok := s.file.Value(sec, n); ok {
			return v, false, true
		}
		return s.lookupDefault(n)
	}
	walk := func(key string, raw string, o config.Origin) {
		isSet, isGet := strings.HasPrefix(key, "set "), strings.HasPrefix(key, "get ")
		if !isSet && !isGet && defaults.Has(key) {
			return // DEFAULT-named keys never reach local_conf (§4.2 step 4)
		}
		v, msg := interpolate(key, sec, raw, lookup)
		if msg != "" {
			errs = append(errs, s.valueError(o, ErrInterpolation, msg))
			return
		}
		switch {
		case isSet:
			o.Source = config.SourceSet
			n := strings.TrimSpace(key[4:])
			g.Set(n, v, o)
			additions.Set(n, v, o)
		case isGet:
			gets = append(gets, getLine{strings.TrimSpace(key[4:]), v, o})
			if keepGetPosition {
				local.Set(strings.TrimSpace(key[4:]), "", o)
			}
		default:
			local.Set(key, v, o)
		}
	}
	for _, key := range s.file.Keys(sec) {
		raw, _ := s.file.Value(sec, key)
		walk(key, raw, config.Origin{File: s.file.Path, Line: s.file.Line(sec, key), Section: sec, Key: key, Source: config.SourceSection})
	}
	for key, v := range s.pdef.All() {
		if !s.file.HasKey(sec, key) {
			walk(key, v.Raw, v.Origin)
		}
	}
	for _, gl := range gets {
		if keepGetPosition {
			local.Delete(gl.name)
		}
		v, ok := g.Get(gl.global)
		if !ok {
			errs = append(errs, s.valueError(gl.origin, ErrMissingSetting, fmt.Sprintf("no global setting %q", gl.global)))
			continue
		}
		gl.origin.Source = config.SourceGet
		local.Set(gl.name, v.Raw, gl.origin)
	}
	if len(errs) > 0 {
		return nil, nil, nil, config.Join(errs...)
	}
	return g, local, additions, nil
}

// refTo is a reference from key of section sec of this file.
func (s *scope) refTo(sec, key string) *ref {
	return &ref{file: s.file.Path, section: sec, key: key, line: s.file.Line(sec, key)}
}

// cycleText writes a cycle of "file [section]" ids, leaving out the file of
// sections in the referring file: "[app:a] -> other.ini [app:x] -> [app:a]".
func cycleText(ids []string, via *ref) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		if via != nil {
			id = strings.TrimPrefix(id, via.file+" ")
		}
		parts[i] = id
	}
	return strings.Join(parts, " -> ")
}

// explicitContext finds the factory from a protocol key (spec §4.6).
func (s *scope) explicitContext(k Kind, sec string, local, g *config.Settings) (*objContext, error) {
	type found struct {
		key, val string
		proto    Protocol
	}
	var possible []found
	for _, group := range protocolKeyGroups[k] {
		for _, pk := range group {
			if v, ok := local.Lookup(pk.key); ok {
				possible = append(possible, found{pk.key, v, pk.proto})
				break
			}
		}
	}
	switch len(possible) {
	case 0:
		return nil, s.sectionError(sec, "", ErrNoFactory, "No loader given in section %s", pyRepr(sec))
	case 1:
	default:
		parts := make([]string, len(possible))
		for i, p := range possible {
			parts[i] = fmt.Sprintf("(%s, %s)", pyRepr(p.key), pyRepr(p.val))
		}
		return nil, s.sectionError(sec, "", ErrConflictingFactories, "Multiple protocols given in section %s: [%s]", pyRepr(sec), strings.Join(parts, ", "))
	}
	p := possible[0]
	local.Delete(p.key)
	f, ek, msg := s.l.reg.lookupCall(p.val, p.proto)
	if f == nil {
		return nil, s.sectionError(sec, p.key, ek, "%s", msg)
	}
	return &objContext{typ: ctxFactory, kind: k, factory: f, global: g, local: local, scope: s, file: s.file.Path, section: sec}, nil
}

type protocolKey struct {
	key   string
	proto Protocol
}

// protocolKeyGroups are the explicit factory keys per kind (spec §4.6): in a
// group the first key present is taken; keys of two groups conflict.
var protocolKeyGroups = map[Kind][][]protocolKey{
	KindApp: {
		{{"paste.app_factory", ProtoApp}},
		{{"paste.composite_factory", ProtoComposite}},
		{{"paste.composit_factory", ProtoComposite}},
	},
	KindFilter: {{{"paste.filter_factory", ProtoFilter}, {"paste.filter_app_factory", ProtoFilterApp}}},
	KindServer: {{{"paste.server_factory", ProtoServer}, {"paste.server_runner", ProtoServerRunner}}},
}

// useContext resolves `use = ...` (spec §4.5): the target for the same kind,
// with this section's set lines and local keys laid over it.
func (s *scope) useContext(k Kind, sec string, local, g, additions *config.Settings, stack []string) (*objContext, error) {
	use, _ := local.Get("use")
	local.Delete("use")
	via := s.refTo(sec, "use")
	var target *objContext
	if scheme, name, ok := strings.Cut(use.Raw, ":"); ok && strings.EqualFold(scheme, "call") {
		name, _, _ = strings.Cut(name, "#")
		f, ek, msg := s.l.reg.lookupCall(name, sectionProtocol(sec, k))
		if f == nil {
			return nil, via.errorf(ek, "call:%s: %s", name, msg)
		}
		target = s.l.factoryContext(k, f, g, s, via)
	} else {
		var err error
		if target, err = s.getContext(k, use.Raw, g, stack, via); err != nil {
			return nil, err
		}
	}
	target.global.Update(additions)
	target.local.Update(local)
	if f, ok := g.Get("__file__"); ok {
		target.global.SetValue("__file__", f)
	}
	target.scope = s
	return target, nil
}

// sectionProtocol is the protocol a call: target gets from the referring
// section's type (spec §4.5 step 5, §4.8).
func sectionProtocol(sec string, k Kind) Protocol {
	switch sectionType(sec) {
	case "app", "application":
		return ProtoApp
	case "composite", "composit":
		return ProtoComposite
	case "filter", "filter-app":
		return ProtoFilter
	case "server":
		return ProtoServer
	}
	return protocolGroups[k][0][0]
}

// filterAppContext resolves a [filter-app:] section (spec §6.2).
func (s *scope) filterAppContext(sec string, local, g, additions *config.Settings, stack []string) (*objContext, error) {
	next, ok := local.Get("next")
	if !ok {
		return nil, s.sectionError(sec, "", ErrMissingSetting, "The [%s] section in %s is missing a 'next' setting", sec, s.file.Path)
	}
	local.Delete("next")
	nc, err1 := s.getContext(KindApp, next.Raw, g, stack, s.refTo(sec, "next"))
	var fc *objContext
	var err2 error
	if local.Has("use") {
		fc, err2 = s.useContext(KindFilter, sec, local, g, additions, stack)
	} else {
		fc, err2 = s.explicitContext(KindFilter, sec, local, g)
	}
	if err := config.Join(err1, err2); err != nil {
		return nil, err
	}
	return &objContext{typ: ctxFilterApp, kind: KindApp, global: g, local: local, scope: s, file: s.file.Path, section: sec, next: nc, filter: fc}, nil
}

// pipelineContext resolves a [pipeline:] section (spec §6.1).
func (s *scope) pipelineContext(sec string, local, g *config.Settings, stack []string) (*objContext, error) {
	pv, ok := local.Get("pipeline")
	if !ok {
		return nil, s.sectionError(sec, "", ErrMissingSetting, "The [%s] section in %s is missing a 'pipeline' setting", sec, s.file.Path)
	}
	local.Delete("pipeline")
	if local.Len() > 0 {
		first, _ := local.Get(local.Keys()[0])
		return nil, s.valueError(first.Origin, ErrDisallowedSetting, fmt.Sprintf("The [%s] pipeline section in %s has extra (disallowed) settings: %s",
			sec, s.file.Path, strings.Join(local.Keys(), ", ")))
	}
	names := strings.FieldsFunc(pv.Raw, unicode.IsSpace)
	if len(names) == 0 {
		return nil, s.valueError(pv.Origin, ErrInvalidSetting, fmt.Sprintf("The [%s] section in %s has an empty 'pipeline' setting", sec, s.file.Path))
	}
	via := s.refTo(sec, "pipeline")
	c := &objContext{typ: ctxPipeline, kind: KindApp, global: g, local: local, scope: s, file: s.file.Path, section: sec}
	var errs []error
	var err error
	if c.app, err = s.getContext(KindApp, names[len(names)-1], g, stack, via); err != nil {
		errs = append(errs, err)
	}
	for _, n := range names[:len(names)-1] {
		fc, err := s.getContext(KindFilter, n, g, stack, via)
		if err != nil {
			errs = append(errs, err)
		}
		c.filters = append(c.filters, fc)
	}
	if len(errs) > 0 {
		return nil, config.Join(errs...)
	}
	return c, nil
}
