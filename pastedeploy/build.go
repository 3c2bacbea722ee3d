package pastedeploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/suggest"
)

// ctxType says how a resolved context makes its object.
type ctxType int

const (
	ctxFactory    ctxType = iota // call a registered factory
	ctxPipeline                  // [pipeline:]: app, then filters applied last to first
	ctxFilterApp                 // [filter-app:]: filter applied to next
	ctxFilterWith                // filter-with: filter applied to next (or composed with a filter)
)

// objContext is a resolved, unbuilt object: PasteDeploy's LoaderContext.
// Every section, reference and value it needs has been found and
// interpolated; building it only calls factories.
type objContext struct {
	typ           ctxType
	kind          Kind
	factory       *Factory // ctxFactory
	global, local *config.Settings
	scope         *scope // what composites load their children through
	file, section string // where the object is defined ("" for egg:/call: loaded directly)

	app     *objContext   // ctxPipeline: the application
	filters []*objContext // ctxPipeline: the filters, first listed first
	next    *objContext   // ctxFilterApp, ctxFilterWith: what the filter wraps
	filter  *objContext   // ctxFilterApp, ctxFilterWith: the filter
}

// checkTree reports, before any factory runs, every local setting that a
// factory does not declare and every required setting that is missing.
func checkTree(c *objContext) error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, sub := range append([]*objContext{c.app, c.next, c.filter}, c.filters...) {
		errs = append(errs, checkTree(sub))
	}
	if f := c.factory; c.typ == ctxFactory && f != nil {
		if f.Keys != nil {
			accepted := append(f.Keys[:len(f.Keys):len(f.Keys)], f.Required...)
			for k, v := range c.local.All() {
				if !contains(accepted, k) {
					errs = append(errs, c.scope.valueError(v.Origin, ErrUnknownSetting,
						fmt.Sprintf("unknown setting for %s%s", f.Name, suggest.DidYouMean(k, accepted))))
				}
			}
		}
		for _, k := range f.Required {
			if !c.local.Has(k) {
				errs = append(errs, &Error{Kind: ErrMissingSetting, File: c.file, Section: c.section, Key: k,
					Msg: "required setting missing for " + f.Name})
			}
		}
	}
	return config.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// factoryError positions an error a factory returned, unless it already
// carries a position.
func (c *objContext) factoryError(err error) error {
	var pe *Error
	var ce *config.Error
	var ces config.Errors
	if errors.As(err, &pe) || errors.As(err, &ce) || errors.As(err, &ces) {
		return err
	}
	return &Error{Kind: ErrFactory, File: c.file, Section: c.section, Msg: c.factory.Name + ": " + err.Error(), Err: err}
}

func (c *objContext) wrongKind(want string) error {
	return &Error{Kind: ErrFactoryKind, File: c.file, Section: c.section,
		Msg: fmt.Sprintf("%q is registered as a %s factory (%s), not a%s %s", c.factory.Name, c.factory.Protocol.noun(), c.factory.Protocol, article(want), want)}
}

func (c *objContext) nilResult(what string) error {
	return &Error{Kind: ErrFactory, File: c.file, Section: c.section, Msg: fmt.Sprintf("%s returned a nil %s", c.factory.Name, what)}
}

// filterFn is a filter whose application can fail (a filter-app factory is
// called when the filter is applied).
type filterFn func(http.Handler) (http.Handler, error)

// buildApp makes the application of c, calling factories in PasteDeploy's
// creation order (§6).
func (l *loader) buildApp(c *objContext) (http.Handler, error) {
	switch c.typ {
	case ctxPipeline:
		app, err := l.buildApp(c.app)
		if err != nil {
			return nil, err
		}
		filters := make([]filterFn, len(c.filters))
		for i, fc := range c.filters {
			if filters[i], err = l.buildFilter(fc); err != nil {
				return nil, err
			}
		}
		for i := len(filters) - 1; i >= 0; i-- {
			if app, err = filters[i](app); err != nil {
				return nil, err
			}
		}
		return app, nil
	case ctxFilterApp:
		next, err := l.buildApp(c.next)
		if err != nil {
			return nil, err
		}
		f, err := l.buildFilter(c.filter)
		if err != nil {
			return nil, err
		}
		return f(next)
	case ctxFilterWith:
		f, err := l.buildFilter(c.filter)
		if err != nil {
			return nil, err
		}
		next, err := l.buildApp(c.next)
		if err != nil {
			return nil, err
		}
		return f(next)
	}
	var h http.Handler
	var err error
	switch fn := c.factory.fn.(type) {
	case AppFactory:
		h, err = fn(c.global.Clone(), c.local.Clone())
	case CompositeFactory:
		id := c.file + " [" + c.section + "]"
		if c.section != "" && l.building[id] {
			return nil, &Error{Kind: ErrCircular, File: c.file, Section: c.section, Msg: "circular reference: composite " + id + " loads itself"}
		}
		l.building[id] = true
		defer delete(l.building, id)
		h, err = fn(&compositeLoader{l: l, s: c.scope}, c.global.Clone(), c.local.Clone())
	default:
		return nil, c.wrongKind("app")
	}
	if err != nil {
		return nil, c.factoryError(err)
	}
	if h == nil {
		return nil, c.nilResult("http.Handler")
	}
	return h, nil
}

// buildFilter makes the filter of c.
func (l *loader) buildFilter(c *objContext) (filterFn, error) {
	if c.typ == ctxFilterWith { // filter-with inside a [filter:]: outer(inner(x))
		outer, err := l.buildFilter(c.filter)
		if err != nil {
			return nil, err
		}
		inner, err := l.buildFilter(c.next)
		if err != nil {
			return nil, err
		}
		return func(h http.Handler) (http.Handler, error) {
			h, err := inner(h)
			if err != nil {
				return nil, err
			}
			return outer(h)
		}, nil
	}
	if c.typ != ctxFactory {
		return nil, &Error{Kind: ErrFactoryKind, File: c.file, Section: c.section, Msg: "an application section cannot be used as a filter"}
	}
	switch fn := c.factory.fn.(type) {
	case FilterFactory:
		f, err := fn(c.global.Clone(), c.local.Clone())
		if err != nil {
			return nil, c.factoryError(err)
		}
		if f == nil {
			return nil, c.nilResult("filter")
		}
		return func(h http.Handler) (http.Handler, error) { return f(h), nil }, nil
	case FilterAppFactory:
		g, loc := c.global.Clone(), c.local.Clone()
		return func(next http.Handler) (http.Handler, error) {
			h, err := fn(next, g, loc)
			if err != nil {
				return nil, c.factoryError(err)
			}
			if h == nil {
				return nil, c.nilResult("http.Handler")
			}
			return h, nil
		}, nil
	}
	return nil, c.wrongKind("filter")
}

// buildServer makes the server of c.
func (l *loader) buildServer(c *objContext) (Server, error) {
	if c.typ != ctxFactory {
		return nil, &Error{Kind: ErrFactoryKind, File: c.file, Section: c.section, Msg: "not a server"}
	}
	switch fn := c.factory.fn.(type) {
	case ServerFactory:
		s, err := fn(c.global.Clone(), c.local.Clone())
		if err != nil {
			return nil, c.factoryError(err)
		}
		if s == nil {
			return nil, c.nilResult("Server")
		}
		return s, nil
	case ServerRunner:
		return &runnerServer{run: fn, global: c.global.Clone(), local: c.local.Clone()}, nil
	}
	return nil, c.wrongKind("server")
}

// runnerServer adapts a ServerRunner to the Server interface.
type runnerServer struct {
	run           ServerRunner
	global, local *config.Settings

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *runnerServer) Serve(app http.Handler) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancel, s.done = cancel, make(chan struct{})
	done := s.done
	s.mu.Unlock()
	defer close(done)
	return s.run(ctx, app, s.global, s.local)
}

func (s *runnerServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// compositeLoader is the Loader a composite factory gets: names resolve in
// the composite's file.
type compositeLoader struct {
	l *loader
	s *scope
}

func (cl *compositeLoader) resolve(k Kind, name string, global *config.Settings) (*objContext, error) {
	c, err := cl.s.getContext(k, name, global, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := checkTree(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (cl *compositeLoader) GetApp(name string, global *config.Settings) (http.Handler, error) {
	c, err := cl.resolve(KindApp, name, global)
	if err != nil {
		return nil, err
	}
	return cl.l.buildApp(c)
}

func (cl *compositeLoader) GetFilter(name string, global *config.Settings) (Filter, error) {
	c, err := cl.resolve(KindFilter, name, global)
	if err != nil {
		return nil, err
	}
	f, err := cl.l.buildFilter(c)
	if err != nil {
		return nil, err
	}
	return publicFilter(f), nil
}

func (cl *compositeLoader) GetServer(name string, global *config.Settings) (Server, error) {
	c, err := cl.resolve(KindServer, name, global)
	if err != nil {
		return nil, err
	}
	return cl.l.buildServer(c)
}

// publicFilter turns a filterFn into a Filter. A filter-app factory that
// fails when applied gives a handler that answers 500 Internal Server Error
// and carries the error (see FailedFilter).
func publicFilter(f filterFn) Filter {
	return func(h http.Handler) http.Handler {
		out, err := f(h)
		if err != nil {
			return &FailedFilter{Err: err}
		}
		return out
	}
}

// FailedFilter is what a Filter returned by LoadFilter or Loader.GetFilter
// yields when the filter-app factory behind it fails as it is applied: a
// handler answering 500. Check for it with a type assertion where the error
// matters.
type FailedFilter struct{ Err error }

func (f *FailedFilter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
}
