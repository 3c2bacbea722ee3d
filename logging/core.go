package logging

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap/zapcore"
)

// formatter turns a record into text (without the line terminator).
type formatter interface {
	format(b []byte, r *record) []byte
	usesCaller() bool
}

// handler is one [handler_X]: a level threshold, a formatter and an output.
type handler struct {
	name  string
	level int // Python level; 0 passes everything
	fmt   formatter
	out   output
}

// pyLogger is one configured [logger_X] (the root logger has name "").
type pyLogger struct {
	name      string
	level     int // 0 = NOTSET: inherit from the parent
	handlers  []*handler
	propagate bool
}

// route is what an entry of one logger name goes through: the effective
// level and the handlers of the logger and of its ancestors up to the first
// that does not propagate.
type route struct {
	level    int
	handlers []*handler
}

// router resolves logger names to routes as Python's logging hierarchy does.
type router struct {
	loggers    map[string]*pyLogger // by qualname; the root logger under ""
	lastResort *handler             // used when no handler is found (WARNING and above)
	min        int                  // the lowest effective level of all loggers
	routes     sync.Map             // logger name → *route
	nroutes    int
	mu         sync.Mutex
}

func newRouter(loggers map[string]*pyLogger, lastResort *handler) *router {
	r := &router{loggers: loggers, lastResort: lastResort, min: levelCritical}
	for name := range loggers {
		if l := r.route(name).level; l < r.min {
			r.min = l
		}
	}
	return r
}

// nearest returns the configured logger for name or its closest configured
// ancestor ("a.b.c" → "a.b" → "a" → root).
func (r *router) nearest(name string) *pyLogger {
	for {
		if l, ok := r.loggers[name]; ok {
			return l
		}
		if name == "" {
			return nil
		}
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[:i]
		} else {
			name = ""
		}
	}
}

func (r *router) parent(l *pyLogger) *pyLogger {
	if l.name == "" {
		return nil
	}
	if i := strings.LastIndexByte(l.name, '.'); i >= 0 {
		return r.nearest(l.name[:i])
	}
	return r.nearest("")
}

func (r *router) route(name string) *route {
	if v, ok := r.routes.Load(name); ok {
		return v.(*route)
	}
	rt := &route{}
	l := r.nearest(name)
	for c := l; c != nil; c = r.parent(c) {
		if c.level != levelNotset {
			rt.level = c.level
			break
		}
	}
	for c := l; c != nil; c = r.parent(c) {
		rt.handlers = append(rt.handlers, c.handlers...)
		if !c.propagate {
			break
		}
	}
	if len(rt.handlers) == 0 && r.lastResort != nil {
		rt.handlers = []*handler{r.lastResort}
	}
	r.mu.Lock()
	if r.nroutes < 10000 { // logger names are few; do not grow without bound
		r.nroutes++
		r.routes.Store(name, rt)
	}
	r.mu.Unlock()
	return rt
}

// core is the zapcore.Core of a Setup: each entry is routed by its logger
// name (zap joins Named() names with ".") to the configured loggers.
type core struct {
	r      *router
	fields []zapcore.Field
}

var _ zapcore.Core = (*core)(nil)

func (c *core) Enabled(l zapcore.Level) bool { return pyLevel(l) >= c.r.min }

func (c *core) With(fields []zapcore.Field) zapcore.Core {
	if len(fields) == 0 {
		return c
	}
	return &core{r: c.r, fields: append(slices.Clip(c.fields), fields...)}
}

func (c *core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if pyLevel(ent.Level) >= c.r.route(ent.LoggerName).level {
		return ce.AddCore(ent, c)
	}
	return ce
}

func (c *core) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	rt := c.r.route(ent.LoggerName)
	lvl := pyLevel(ent.Level)
	rec := record{time: ent.Time, levelno: lvl, name: ent.LoggerName, msg: ent.Message, stack: ent.Stack, ent: ent}
	if rec.name == "" {
		rec.name = "root"
	}
	if ent.Caller.Defined {
		rec.file, rec.line, rec.function = ent.Caller.File, ent.Caller.Line, ent.Caller.Function
	}
	rec.message, rec.threadName = buildMessage(ent.Message, c.fields, fields)
	rec.with, rec.fields = c.fields, fields
	type done struct {
		f formatter
		b []byte
	}
	var cache [4]done
	formatted := cache[:0]
	var errs []error
	for _, h := range rt.handlers {
		if lvl < h.level {
			continue
		}
		var b []byte
		for _, d := range formatted {
			if d.f == h.fmt {
				b = d.b
				break
			}
		}
		if b == nil {
			b = append(h.fmt.format(nil, &rec), '\n')
			formatted = append(formatted, done{h.fmt, b})
		}
		if err := h.out.write(b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *core) Sync() error {
	var errs []error
	seen := map[output]bool{}
	for _, l := range c.r.loggers {
		for _, h := range l.handlers {
			if !seen[h.out] {
				seen[h.out] = true
				errs = append(errs, h.out.sync())
			}
		}
	}
	return errors.Join(errs...)
}
