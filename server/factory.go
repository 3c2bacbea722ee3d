package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

func init() {
	for _, name := range []string{"waitress#main", "gowaitress#main"} {
		pastedeploy.Register(name, pastedeploy.ServerFactory(Factory),
			pastedeploy.Description("gowaitress HTTP server with every waitress option ([server:main] use = egg:waitress#main)"))
	}
}

// Factory is the paste.server_factory registered as waitress#main and
// gowaitress#main: it coerces the [server:*] section's local settings with
// OptionsFromSettings (global_conf is ignored, as in waitress) and returns
// a pastedeploy.Server whose Serve(app) binds the listeners and serves.
func Factory(global, local *config.Settings) (pastedeploy.Server, error) {
	opts, err := OptionsFromSettings(local)
	if err != nil {
		return nil, err
	}
	return &AppServer{Options: opts}, nil
}

// AppServer adapts Server to pastedeploy.Server: the application is given
// to Serve rather than to New.
type AppServer struct {
	// Options are the options the server is created with.
	Options Options

	mu      sync.Mutex
	srv     *Server
	serving bool
	stopped bool
	ready   chan struct{}
}

func (a *AppServer) readyCh() chan struct{} {
	if a.ready == nil {
		a.ready = make(chan struct{})
	}
	return a.ready
}

// Serve creates the server for app (binding its listeners) and serves until
// Shutdown; it returns nil after a graceful stop. After Listen it serves
// the server Listen created (app is then the one given to Listen).
func (a *AppServer) Serve(app http.Handler) error {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return nil
	}
	if a.serving {
		a.mu.Unlock()
		return errors.New("server: Serve called twice")
	}
	if a.srv == nil {
		s, err := New(app, a.Options)
		if err != nil {
			a.mu.Unlock()
			return err
		}
		a.srv = s
		close(a.readyCh())
	}
	a.serving = true
	s := a.srv
	a.mu.Unlock()
	return s.Serve()
}

// Listen creates the server for app before Serve: it takes over the
// listening sockets of prev (the server being replaced by a reload, when it
// is an *AppServer that is serving) whose address is unchanged, and binds
// the others (see Server.Handover). A bind error is returned here, so that
// a reload can fail before anything changes. Serve then serves, and prev
// is shut down by the caller.
func (a *AppServer) Listen(app http.Handler, prev pastedeploy.Server) error {
	var old *Server
	if p, ok := prev.(*AppServer); ok {
		old = p.Server()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.srv != nil {
		return errors.New("server: Listen after Serve")
	}
	var s *Server
	var err error
	if old != nil {
		s, err = old.Handover(app, a.Options)
	} else {
		s, err = New(app, a.Options)
	}
	if err != nil {
		return err
	}
	a.srv = s
	close(a.readyCh())
	return nil
}

// Addrs waits until Serve has bound the listeners (or ctx ends) and
// returns their addresses.
func (a *AppServer) Addrs(ctx context.Context) ([]net.Addr, error) {
	a.mu.Lock()
	ch := a.readyCh()
	a.mu.Unlock()
	select {
	case <-ch:
		return a.srv.Addrs(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ShutdownTimeout is the grace period of a stop (the shutdown_timeout
// option): the command line gives Shutdown a context with this deadline,
// and drains the previous application on reload within it.
func (a *AppServer) ShutdownTimeout() time.Duration { return a.Options.ShutdownTimeout }

// SetReloading marks the running server as reloading (see
// Server.SetReloading); before Serve it does nothing.
func (a *AppServer) SetReloading(v bool) {
	if s := a.Server(); s != nil {
		s.SetReloading(v)
	}
}

// Server returns the underlying server once Serve has created it, else nil.
func (a *AppServer) Server() *Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.srv
}

// Shutdown stops the server gracefully (see Server.Shutdown); before Serve
// it makes a later Serve return nil at once.
func (a *AppServer) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	s := a.srv
	a.stopped = true
	a.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Shutdown(ctx)
}

// StopAccepting stops the running server accepting connections (see
// Server.StopAccepting): a reload calls it on the server it replaced once
// the new one serves, then shuts it down.
func (a *AppServer) StopAccepting() {
	if s := a.Server(); s != nil {
		s.StopAccepting()
	}
}

// Check does what Serve does before binding, without binding: it resolves
// the listen addresses (hostnames, ipv4/ipv6 filtering) and, for
// sockets = systemd, checks that descriptors were passed. `gowaitress check`
// calls it.
func (a *AppServer) Check() error {
	o := &a.Options
	switch {
	case o.socketsSet():
		_, err := inheritedFDs(o)
		return err
	case o.UnixSocket != "":
		if fi, err := os.Stat(filepath.Dir(o.UnixSocket)); err != nil || !fi.IsDir() {
			return fmt.Errorf("unix_socket %s: its directory does not exist", o.UnixSocket)
		}
		return nil
	}
	entries, defPort := o.effectiveListen()
	_, err := resolveListen(entries, defPort, o.IPv4, o.IPv6)
	return err
}
