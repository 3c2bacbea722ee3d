package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// defaultShutdownTimeout bounds a graceful stop when the server does not
// say otherwise (see shutdownTimeouter).
const defaultShutdownTimeout = 30 * time.Second

// shutdownTimeouter is implemented by servers with a configured grace
// period (the server section's shutdown_timeout).
type shutdownTimeouter interface{ ShutdownTimeout() time.Duration }

// relistener is implemented by servers that a reload can replace: Listen
// binds (taking over prev's listening sockets whose address did not
// change) so that a bind error fails the reload before anything changes;
// Serve then serves. *server.AppServer implements it.
type relistener interface {
	Listen(app http.Handler, prev pastedeploy.Server) error
}

// session is one run of `gowaitress serve`: the arguments, what is being
// served, and the handler that reloads swap.
type session struct {
	a          ServeArgs
	env        Env
	path       string // the config file, as typed (without ?query and #fragment)
	vars       map[string]string
	serverName string
	appName    string

	cur      *loaded
	handler  *swapHandler
	systemd  *notifier
	done     <-chan error   // the current server's Serve result
	retiring sync.WaitGroup // servers replaced by a reload, finishing their requests
}

// loaded is the result of one complete load: logging, [pserve], server, app.
type loaded struct {
	log      *zap.Logger
	closeLog func()
	srv      pastedeploy.Server
	app      http.Handler
	srvKey   string   // the server's resolved factory and settings, to tell whether a reload changes them
	files    []string // every config file read (absolute), for --reload
	watch    []string // [pserve] watch_files, resolved
	ignore   []string // [pserve] ignore_files patterns
}

func serve(args []string, env Env) int {
	inv, code, ok := parseInvocation("serve", serveHelp, args, env)
	if !ok {
		return code
	}
	s := &session{a: inv.a, env: env, path: inv.path, vars: inv.vars, systemd: newNotifier(),
		serverName: inv.serverName, appName: inv.appName}
	return s.run()
}

// invocation is what serve and check take from their arguments.
type invocation struct {
	a                   ServeArgs
	path                string            // the config file as typed, without ?query and #fragment
	vars                map[string]string // the caller variables (callerVars)
	serverName, appName string
}

// parseInvocation parses the arguments of cmd. When it returns ok=false the
// command is over: help was printed (code 0) or a usage or argument error
// (code 2 or 1).
func parseInvocation(cmd, help string, args []string, env Env) (inv invocation, code int, ok bool) {
	a, err := ParseServeArgs(args)
	if err != nil {
		fmt.Fprintf(env.Stderr, "gowaitress %s: %v\n\n%s", cmd, err, help)
		return inv, ExitUsage, false
	}
	if a.Help {
		fmt.Fprint(env.Stdout, help)
		return inv, ExitOK, false
	}
	path, fragment := splitConfigURI(a.ConfigURI)
	vars, err := callerVars(a, path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "gowaitress %s: %v\n", cmd, err)
		return inv, ExitError, false
	}
	path, _, _ = strings.Cut(path, "?")
	return invocation{a: a, path: path, vars: vars,
		serverName: orDefault(a.ServerName, fragment), appName: orDefault(a.AppName, fragment)}, 0, true
}

// load does the complete load of pserve.md §3: logging, [pserve], the
// server, then the application. Nothing is started.
func (s *session) load() (*loaded, error) {
	ld := &loaded{}
	seen := map[string]bool{}
	observe := func(p string) {
		if !seen[p] {
			seen[p] = true
			ld.files = append(ld.files, p)
		}
	}
	observe(absPath(s.path))
	log, closeLog, err := setupLogging(s.path, s.vars, s.a.Verbose, s.env)
	if err != nil {
		return ld, err
	}
	ld.log, ld.closeLog = log, closeLog
	// Factories take their loggers from zap.L() as they build: the new
	// logging is in force while they do, and stays only if the load succeeds.
	restore := zap.ReplaceGlobals(log)
	fail := func(err error) (*loaded, error) {
		restore()
		closeLog()
		ld.log, ld.closeLog = nil, nil
		return ld, err
	}
	if ld.watch, ld.ignore, err = readPserveSection(s.path, s.vars, log); err != nil {
		return fail(err)
	}
	opts := []pastedeploy.LoadOption{pastedeploy.WithVars(s.vars), pastedeploy.WithRegistry(s.env.Registry), pastedeploy.WithFileObserver(observe)}
	srvOpts := append(slices.Clip(opts), pastedeploy.WithName(s.serverName),
		pastedeploy.WithNodeObserver(func(n *pastedeploy.Node) { ld.srvKey = nodeKey(n) }))
	// The server first, then the application, as pserve; the problems of
	// both are reported together.
	var srvErr, appErr error
	ld.srv, srvErr = pastedeploy.LoadServer(s.path, srvOpts...)
	ld.app, appErr = pastedeploy.LoadApp(s.path, append(slices.Clip(opts), pastedeploy.WithName(s.appName))...)
	if err := config.Join(srvErr, appErr); err != nil {
		return fail(err)
	}
	return ld, nil
}

// run loads, serves and handles signals (and, with --reload, file changes)
// until the server stops.
func (s *session) run() int {
	sigs := s.env.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		sigs = ch
	}
	var w *watcher
	ld, err := s.load()
	for err != nil {
		configError(s.env.Stderr, "serve", err)
		if !s.a.Reload {
			return ExitError
		}
		// --reload: keep watching, and try again when a file changes.
		fmt.Fprintln(s.env.Stderr, "Waiting for a file to change before reload.")
		w = newWatcher(ld.files, nil, nil, s.a.ReloadInterval, nil)
		select {
		case p := <-w.changes:
			w.stop()
			fmt.Fprintf(s.env.Stderr, "%s changed; reloading ...\n", p)
			ld, err = s.load()
		case <-sigs:
			w.stop()
			return ExitOK
		}
	}
	s.cur = ld
	defer func() { s.cur.closeLog() }()
	s.handler = newSwapHandler(ld.app)
	if s.a.Verbose > 0 {
		fmt.Fprintf(s.env.Stderr, "Starting server in PID %d.\n", os.Getpid())
	}
	var changes <-chan string
	if s.a.Reload {
		w = s.watch(ld, nil)
		defer func() { w.stop() }()
		changes = w.changes
	}
	s.done = s.startServing(ld.srv)
	s.systemd.readyWhenListening(ld.srv)
	for {
		select {
		case err := <-s.done:
			return s.served(err)
		case p := <-changes:
			fmt.Fprintf(s.env.Stderr, "%s changed; reloading ...\n", p)
			w = s.reloadWatching(w)
			changes = w.changes
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				fmt.Fprintln(s.env.Stderr, "Received SIGHUP, triggering a reload.")
				if w != nil {
					w = s.reloadWatching(w)
					changes = w.changes
				} else {
					s.reload()
				}
				continue
			}
			return s.stop(sig, sigs)
		}
	}
}

// startServing serves the swap handler on srv; the channel gets Serve's
// result.
func (s *session) startServing(srv pastedeploy.Server) <-chan error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(s.handler) }()
	return done
}

// reloadWatching reloads and replaces w by a watcher of the files of the
// configuration now running (a reload may change them). The new watcher
// starts from the states taken before the reload read the files, so that
// an edit made while it ran triggers the next reload instead of being lost.
func (s *session) reloadWatching(w *watcher) *watcher {
	base := w.snapshot()
	s.reload()
	w.stop()
	return s.watch(s.cur, base)
}

func (s *session) watch(ld *loaded, base map[string]fileState) *watcher {
	w := newWatcher(ld.files, ld.watch, ld.ignore, s.a.ReloadInterval, base)
	if s.a.Verbose >= 2 {
		fmt.Fprintf(s.env.Stderr, "Watching %d files for changes\n", len(w.paths))
		for _, p := range w.paths {
			fmt.Fprintln(s.env.Stderr, "  "+p)
		}
	}
	return w
}

// reload does a complete load and, when it succeeds, swaps the new
// application in: new requests go to it, requests in flight finish on the
// old one, which is then closed if it is an io.Closer. A failed reload
// changes nothing. When the server's settings are unchanged the running
// server stays; when they changed, a new server takes over the listening
// sockets whose address did not change (see relistener), binds the new
// ones, and the old server finishes its requests within its
// shutdown_timeout and closes the sockets no longer configured.
func (s *session) reload() {
	s.systemd.reloading()
	defer s.systemd.ready()
	if r, ok := s.cur.srv.(interface{ SetReloading(bool) }); ok {
		r.SetReloading(true)
		defer r.SetReloading(false)
	}
	ld, err := s.load()
	if err != nil {
		configError(s.env.Stderr, "serve", err)
		fmt.Fprintln(s.env.Stderr, "Reload failed; still serving the previous configuration.")
		return
	}
	old := s.cur
	grace := s.shutdownTimeout() // the old server's
	var oldDone <-chan error     // set when the server is replaced
	switch rl, ok := ld.srv.(relistener); {
	case ld.srvKey == old.srvKey:
		ld.srv = old.srv // the running server stays
	case !ok:
		ld.log.Warn("the server's settings changed; they take effect at the next restart (the application was reloaded)",
			zap.String("server", s.serverName))
		ld.srv = old.srv
	default:
		if err := rl.Listen(s.handler, old.srv); err != nil {
			zap.ReplaceGlobals(old.log)
			ld.closeLog()
			configError(s.env.Stderr, "serve", err)
			fmt.Fprintln(s.env.Stderr, "Reload failed; still serving the previous configuration.")
			return
		}
		oldDone = s.done
		s.done = s.startServing(ld.srv)
		// From here on only the new server accepts (connections meanwhile
		// wait in the sockets' backlog); the old one finishes below.
		if st, ok := old.srv.(interface{ StopAccepting() }); ok {
			st.StopAccepting()
		}
		ld.log.Info("the server's settings changed: a new server took over the listening sockets whose address is unchanged",
			zap.String("server", s.serverName))
	}
	s.cur = ld
	oldApp := s.handler.swap(ld.app)
	if oldDone != nil {
		s.retiring.Add(1)
	}
	go func() {
		if oldDone != nil {
			defer s.retiring.Done()
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			if err := old.srv.Shutdown(ctx); err != nil {
				ld.log.Warn("stopping the previous server", zap.Error(err))
			}
			cancel()
			if err := <-oldDone; err != nil {
				ld.log.Warn("the previous server", zap.Error(err))
			}
		}
		oldApp.drain(grace)
		if c, ok := oldApp.h.(io.Closer); ok {
			if err := c.Close(); err != nil {
				ld.log.Warn("closing the previous application", zap.Error(err))
			}
		}
		old.closeLog()
	}()
	fmt.Fprintf(s.env.Stderr, "Reloaded %s.\n", s.path)
}

func (s *session) shutdownTimeout() time.Duration {
	if t, ok := s.cur.srv.(shutdownTimeouter); ok && t.ShutdownTimeout() > 0 {
		return t.ShutdownTimeout()
	}
	return defaultShutdownTimeout
}

// stop stops gracefully within the shutdown timeout; a second signal stops
// at once.
func (s *session) stop(sig os.Signal, sigs <-chan os.Signal) int {
	timeout := s.shutdownTimeout()
	s.systemd.stopping()
	if s.a.Verbose >= 2 {
		fmt.Fprintf(s.env.Stderr, "Received %s, shutting down gracefully.\n", signalName(sig))
	}
	log := s.cur.log
	log.Info("stopping gracefully", zap.String("signal", signalName(sig)), zap.Duration("timeout", timeout))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGHUP {
					continue // no reloads while stopping
				}
				log.Warn("second signal: stopping now")
				cancel()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := s.cur.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		log.Error("shutdown", zap.Error(err))
	}
	// Servers replaced by a reload may still be finishing requests.
	retired := make(chan struct{})
	go func() { s.retiring.Wait(); close(retired) }()
	select {
	case <-retired:
	case <-ctx.Done():
	}
	return s.served(<-s.done)
}

func (s *session) served(err error) int {
	if err != nil {
		fmt.Fprintf(s.env.Stderr, "gowaitress serve: %v\n", err)
		return ExitError
	}
	return ExitOK
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// nodeKey is a fingerprint of a resolved object's factory and settings.
func nodeKey(n *pastedeploy.Node) string {
	var b strings.Builder
	b.WriteString(n.Factory)
	for _, s := range []*config.Settings{n.Local, n.Global} {
		b.WriteString("\x01")
		for k, v := range s.All() {
			b.WriteString(k + "\x00" + v.Raw + "\x00")
		}
	}
	return b.String()
}

// swapHandler serves the current application and lets a reload replace it
// atomically; each generation counts its requests in flight so that the old
// one can be drained.
type swapHandler struct{ cur atomic.Pointer[generation] }

type generation struct {
	h      http.Handler
	active atomic.Int64
}

func newSwapHandler(h http.Handler) *swapHandler {
	s := &swapHandler{}
	s.cur.Store(&generation{h: h})
	return s
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for {
		g := s.cur.Load()
		g.active.Add(1)
		if s.cur.Load() != g { // swapped meanwhile: the new generation takes it
			g.active.Add(-1)
			continue
		}
		defer g.active.Add(-1)
		g.h.ServeHTTP(w, r)
		return
	}
}

// Unwrap returns the application being served.
func (s *swapHandler) Unwrap() http.Handler { return s.cur.Load().h }

// swap installs h and returns the previous generation.
func (s *swapHandler) swap(h http.Handler) *generation { return s.cur.Swap(&generation{h: h}) }

// drain waits until the generation has no request in flight, or timeout.
// A request counted after the swap re-checks the pointer and leaves, so once
// the count is zero it stays zero.
func (g *generation) drain(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for g.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
