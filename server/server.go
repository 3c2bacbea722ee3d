package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowaitress/gowaitress/environ"
	"go.uber.org/zap"
)

// ErrNilHandler is returned by New for a nil handler.
var ErrNilHandler = errors.New("server: the handler is nil (did the app factory return a nil http.Handler?)")

// Server is a gowaitress server: listeners, connection layer, net/http's
// HTTP/1.1 engine and the channel layer around one http.Handler.
type Server struct {
	opts    Options
	handler http.Handler
	log     *zap.Logger
	qlog    *zap.Logger
	hs      *http.Server
	trust   []trustEntry
	server  []string        // the Server header value, shared by every response
	srvLine []byte          // "Server: <ident>\r\n", added by the connection layer
	xheads  map[string]bool // trusted proxy headers

	listeners  []*limitListener
	unixPath   string
	unixIno    uint64
	handedOver atomic.Bool // a successor took over some of the listening sockets (Handover)

	slots    slotCounters
	handoff  chan struct{} // a release hands its slot to a waiting request
	waiting  atomic.Int64  // requests waiting for a slot
	stopping chan struct{}
	stopOnce sync.Once
	stopped  atomic.Bool // set just before stopping is closed: acquire's check per request

	mu        sync.Mutex
	cond      *sync.Cond
	conns     map[*conn]struct{}
	open      int
	atLimit   bool
	lnClosed  bool
	lnDone    chan struct{} // closed with lnClosed: ends an accept backoff's sleep
	accepting int           // Accept calls in the kernel or in a backoff (closeListeners waits for them)

	serveMu   sync.Mutex
	serving   bool
	shutdown  atomic.Bool
	reloading atomic.Bool // SetReloading
	sweepEnd  chan struct{}
	started   time.Time

	// Parked idle connections come back to net/http through revived
	// (park.go); reviveClosed ends that at shutdown.
	revived      chan *conn
	reviveClosed chan struct{}
	reviveOnce   sync.Once

	// Socket byte totals of the connections already closed (or hijacked),
	// guarded by mu; open connections keep their own counters.
	bytesIn  int64
	bytesOut int64

	// Test hooks: every socket read (bytes asked, bytes got) and write.
	readHook  func(asked, got int)
	writeHook func(n int)
}

type connKey struct{}

// connCtx is the context of a connection's requests: it carries the conn
// under connKey. It lives inside the conn, so it costs no allocation.
type connCtx struct {
	context.Context
	c *conn
}

func (x *connCtx) Value(key any) any {
	if _, ok := key.(connKey); ok { // a type test: == would call runtime.efaceeq
		return x.c
	}
	return x.Context.Value(key)
}

// New validates opts, creates the listening sockets and returns a server
// ready to Serve handler. Bind failures are errors naming the address.
func New(handler http.Handler, opts Options) (*Server, error) {
	return newServer(handler, opts, nil)
}

// Handover returns a new server for handler with opts that takes over the
// listening sockets of s whose address is unchanged (the same TCP address
// as configured, port 0 included; the same Unix socket path; the same
// inherited descriptor) and binds the others, as New does. It is how a
// reload applies new server settings without closing a listening socket
// that stays: the caller Serves the new server, then Shuts s down; s then
// closes only its own descriptors of the sockets taken over (no connection
// waiting in the backlog is lost, and no other process can take the port
// meanwhile), closes the sockets the new options dropped, and finishes its
// requests. Connections s accepted just before its Shutdown are served,
// not closed. On error s is unchanged.
func (s *Server) Handover(handler http.Handler, opts Options) (*Server, error) {
	return newServer(handler, opts, s)
}

func newServer(handler http.Handler, opts Options, prev *Server) (*Server, error) {
	if handler == nil {
		return nil, ErrNilHandler
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		handler:  handler,
		log:      opts.logger().Named("waitress"),
		handoff:  make(chan struct{}, opts.Threads),
		stopping: make(chan struct{}),
		conns:    make(map[*conn]struct{}),
		sweepEnd: make(chan struct{}),
		lnDone:   make(chan struct{}),
		started:  time.Now(),
		revived:  make(chan *conn),

		reviveClosed: make(chan struct{}),
	}
	s.qlog = s.log.Named("queue")
	if opts.Ident != "" {
		s.server = []string{opts.Ident}
		s.srvLine = []byte("Server: " + opts.Ident + "\r\n")
	}
	s.cond = sync.NewCond(&s.mu)
	for _, t := range opts.TrustedProxy {
		e, _ := parseTrust(t)
		s.trust = append(s.trust, e)
	}
	s.xheads = map[string]bool{}
	if len(opts.TrustedProxy) > 0 && len(opts.TrustedProxyHeaders) == 0 {
		s.xheads["x-forwarded-proto"] = true
	}
	for _, h := range opts.TrustedProxyHeaders {
		s.xheads[h] = true
	}
	if err := s.listen(prev); err != nil {
		return nil, err
	}
	s.hs = &http.Server{
		Handler:                      channel{s},
		MaxHeaderBytes:               int(min(opts.MaxRequestHeaderSize, 1<<40)) + 64<<10,
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     log.New(&zapWriter{s.log}, "", 0),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			wc, ok := c.(*conn)
			if !ok {
				return ctx
			}
			// The request facts every request of the connection starts
			// from: set once here, so that a request whose facts no
			// proxy header changes costs no allocation for them. A
			// revived connection (park.go) keeps its context.
			if wc.ctx.c == nil {
				wc.ctx = connCtx{Context: environ.NewContext(ctx, wc.baseFacts()), c: wc}
			}
			return &wc.ctx
		},
	}
	return s, nil
}

type zapWriter struct{ l *zap.Logger }

func (w *zapWriter) Write(p []byte) (int, error) {
	msg := string(p)
	if len(msg) > 0 && msg[len(msg)-1] == '\n' {
		msg = msg[:len(msg)-1]
	}
	w.l.Warn(msg)
	return len(p), nil
}

// listen creates the server's listening sockets. With prev (a reload), a
// socket prev listens on at the same address (TCP address as configured,
// Unix socket path, or inherited descriptor) is taken over rather than
// bound again: the new server gets its own descriptor of the same socket,
// so connections waiting in its backlog are not lost and the port is never
// free. backlog and unix_socket_perms are applied to a taken socket.
func (s *Server) listen(prev *Server) error {
	o := &s.opts
	var ls []*limitListener
	var taken []*limitListener // prev's, marked only once everything succeeded
	fail := func(err error) error {
		for _, l := range ls {
			l.Listener.Close()
		}
		return err
	}
	// add appends the listener for key: prev's socket when it has one, else
	// a new one from open.
	add := func(key string, open func() (net.Listener, error)) error {
		if pl := prev.listenerFor(key); pl != nil {
			l, err := dupListener(pl.Listener, key, o.Backlog)
			if err != nil {
				return err
			}
			taken = append(taken, pl)
			ls = append(ls, &limitListener{Listener: l, s: s, key: key})
			return nil
		}
		l, err := open()
		if err != nil {
			return err
		}
		ls = append(ls, &limitListener{Listener: l, s: s, key: key})
		return nil
	}
	switch {
	case o.socketsSet():
		fds, err := inheritedFDs(o)
		if err != nil {
			return err
		}
		var fresh []int
		for _, fd := range fds {
			key := "fd:" + strconv.Itoa(fd)
			if prev.listenerFor(key) == nil {
				fresh = append(fresh, fd) // opened together below
				continue
			}
			if err := add(key, nil); err != nil {
				return fail(err)
			}
		}
		got, err := listenInherited(fresh, o.Backlog)
		if err != nil {
			return fail(err)
		}
		for i, l := range got {
			ls = append(ls, &limitListener{Listener: l, s: s, key: "fd:" + strconv.Itoa(fresh[i])})
		}
	case o.UnixSocket != "":
		key := "unix:" + o.UnixSocket
		if err := add(key, func() (net.Listener, error) {
			return listenUnix(o.UnixSocket, o.UnixSocketPerms, o.Backlog)
		}); err != nil {
			return fail(err)
		}
		if len(taken) > 0 {
			if err := os.Chmod(o.UnixSocket, o.UnixSocketPerms); err != nil {
				return fail(fmt.Errorf("unix_socket %s: chmod: %w", o.UnixSocket, err))
			}
		}
		s.unixPath = o.UnixSocket
		s.unixIno = inode(o.UnixSocket)
	default:
		entries, defPort := o.effectiveListen()
		addrs, err := resolveListen(entries, defPort, o.IPv4, o.IPv6)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if err := add("tcp:"+netip.AddrPortFrom(a.ip, uint16(a.port)).String(), func() (net.Listener, error) { return listenTCP(a, o.Backlog) }); err != nil {
				return fail(err)
			}
		}
	}
	for _, pl := range taken {
		pl.kept.Store(true)
	}
	if len(taken) > 0 {
		prev.handedOver.Store(true)
	}
	s.listeners = ls
	return nil
}

// listenerFor returns s's listener for key, or nil (also for a nil s).
func (s *Server) listenerFor(key string) *limitListener {
	if s == nil {
		return nil
	}
	for _, l := range s.listeners {
		if l.key == key {
			return l
		}
	}
	return nil
}

// Addrs returns the addresses the server listens on (the ports actually
// bound, useful with port 0).
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// Options returns the options the server runs with.
func (s *Server) Options() Options { return s.opts }

// Stats are the server's counters (waitress issue #303), as returned by
// Server.Stats and reported by the gowaitress#stats app.
type Stats struct {
	OpenConnections int   // client connections open (including lingering and hijacked)
	Busy            int   // handlers running (slots in use)
	Idle            int   // free slots (threads - Busy)
	Queued          int   // requests waiting for a slot
	Served          int64 // handlers completed
	// BytesIn and BytesOut are the bytes read from and written to client
	// sockets since the server was created, request heads and framing
	// included. Each connection counts its own bytes; a hijacked
	// connection's bytes after the hijack are added when it is closed.
	BytesIn  int64
	BytesOut int64
	Started  time.Time     // when New created the server
	Uptime   time.Duration // time since Started at the snapshot
	Draining bool          // Shutdown (or Close) has begun: no new requests are accepted
	// Reloading is true while the command line reloads the configuration
	// (see SetReloading); the server keeps serving meanwhile.
	Reloading bool
}

// Stats returns a snapshot of the server's counters. It is safe to call
// from any goroutine, handlers included; its cost grows with the number of
// open connections (one lock, one walk of the connection table).
func (s *Server) Stats() Stats {
	s.mu.Lock()
	open := s.open
	in, out := s.bytesIn, s.bytesOut
	served := s.slots.served.Load()
	for c := range s.conns {
		in += c.bytesIn.Load()
		out += c.bytesOut.Load()
		served += int64(c.served.Load())
	}
	s.mu.Unlock()
	busy := s.busy()
	return Stats{OpenConnections: open, Busy: busy, Idle: s.opts.Threads - busy,
		Queued: int(s.waiting.Load()), Served: served,
		BytesIn: in, BytesOut: out, Started: s.started, Uptime: time.Since(s.started),
		Draining: s.shutdown.Load(), Reloading: s.reloading.Load()}
}

// Draining reports whether Shutdown (or Close) has begun, or, with
// reloading, whether a reload is in progress. It is cheaper than Stats. A
// server whose sockets a successor took over (Handover) is not draining in
// this sense: the service goes on, so a health check reached through one
// of its last connections must not report it as going away.
func (s *Server) Draining(reloading bool) bool {
	return (s.shutdown.Load() && !s.handedOver.Load()) || (reloading && s.reloading.Load())
}

// SetReloading marks the server as reloading its configuration: the command
// line sets it from a SIGHUP until the new application is swapped in.
// Serving is not affected; Stats reports it, and gowaitress#health answers
// as draining meanwhile so that a balancer may hold new traffic.
func (s *Server) SetReloading(v bool) { s.reloading.Store(v) }

// FromContext returns the server serving the request whose context is ctx
// (an http.Request's Context(), or one derived from it), or nil when the
// request is not served by a gowaitress Server (a test recorder, another
// server). Handlers use it to read Stats.
func FromContext(ctx context.Context) *Server {
	if c, ok := ctx.Value(connKey{}).(*conn); ok && c != nil {
		return c.srv
	}
	return nil
}

// Serve logs the start lines and serves until Shutdown; it returns nil after
// a graceful Shutdown, or the first listener error.
func (s *Server) Serve() error {
	s.serveMu.Lock()
	if s.serving {
		s.serveMu.Unlock()
		return errors.New("server: Serve called twice")
	}
	s.serving = true
	s.serveMu.Unlock()
	if s.shutdown.Load() {
		return nil
	}
	for _, name := range s.opts.noEffectOptions() {
		s.log.Warn(name + " has no effect in gowaitress and is ignored")
	}
	if len(s.opts.TrustedProxy) > 0 && len(s.opts.TrustedProxyHeaders) == 0 {
		s.log.Warn("No proxy headers were marked as trusted, but trusted_proxy was set; trusting X-Forwarded-Proto only (set trusted_proxy_headers to silence this warning)")
	}
	for _, l := range s.listeners {
		s.log.Info("Serving on " + servingURL(l.Addr()))
	}
	go s.sweep()
	errc := make(chan error, len(s.listeners)+1)
	for _, l := range s.listeners {
		go func(l net.Listener) { errc <- s.hs.Serve(l) }(l)
	}
	go func() { errc <- s.hs.Serve(reviveListener{s}) }()
	var first error
	for range len(s.listeners) + 1 {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && first == nil {
			first = err
			s.closeListeners()
		}
	}
	if s.shutdown.Load() {
		return nil
	}
	return first
}

// StopAccepting stops accepting connections on every listener, as the
// first step of Shutdown does; the server goes on serving the connections
// it has, and Stats reports it as draining. After a Handover it makes the
// successor the only server accepting on the sockets it took over.
func (s *Server) StopAccepting() {
	s.shutdown.Store(true)
	s.closeListeners()
}

// Shutdown stops accepting, closes idle connections, and lets requests
// already received (queued or running) finish; each connection is closed
// after its current response. When ctx ends first it logs the handlers
// still running and the queued requests cancelled, closes every connection
// and returns ctx.Err(). A Unix socket file created by the server is
// removed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.stopSweeper()
	// Connections that never completed a request head are idle: close them
	// now (net/http would wait up to 5 s for them).
	s.closeListeners()
	fresh := s.freshConns()
	if s.handedOver.Load() {
		// The successor accepts on the same sockets: a connection accepted
		// here just before is a client's new connection whose request is
		// on its way. Serve it: net/http drops a request it reads after
		// its Shutdown has begun, so wait for those requests first.
		// Meanwhile no connection is kept alive: idle ones close now, the
		// others after their current response.
		s.hs.SetKeepAlivesEnabled(false)
		s.awaitFirstRequests(ctx, fresh)
	} else {
		// Those with a head on its way through net/http are left to it:
		// it serves the request if it read it before the Shutdown began.
		for _, c := range fresh {
			if c.queued.Load() == 0 {
				c.abort()
			}
		}
	}
	err := s.hs.Shutdown(ctx)
	s.closeListeners()
	if err != nil {
		if n := s.busy(); n > 0 {
			s.log.Warn(fmt.Sprintf("%d thread(s) still running", n))
		}
		if n := s.waiting.Load(); n > 0 {
			s.log.Warn(fmt.Sprintf("Canceling %d pending task(s)", n))
		}
		s.stop()
		s.hs.Close()
		s.mu.Lock()
		var all []*conn
		for c := range s.conns {
			all = append(all, c)
		}
		s.mu.Unlock()
		for _, c := range all {
			c.abort()
		}
	}
	s.removeUnixSocket()
	return err
}

// freshConns returns the connections whose first request has not reached
// the channel layer: nothing received yet, or a head that net/http is
// still reading (it drops a request it reads once its Shutdown has begun;
// one that reached serveChannel is finished).
func (s *Server) freshConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh []*conn
	for c := range s.conns {
		if !c.reached.Load() {
			fresh = append(fresh, c)
		}
	}
	return fresh
}

// firstRequestWait bounds how long a Shutdown after a Handover waits for
// the first request of connections accepted just before it (net/http's
// own limit for a connection that has sent nothing).
const firstRequestWait = 5 * time.Second

// awaitFirstRequests waits until each of fresh is closed or its first
// request has reached the channel layer, for at most firstRequestWait or
// until ctx ends.
func (s *Server) awaitFirstRequests(ctx context.Context, fresh []*conn) {
	deadline := time.NewTimer(firstRequestWait)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for len(fresh) > 0 {
		s.mu.Lock()
		waiting := fresh[:0]
		for _, c := range fresh {
			_, open := s.conns[c]
			if open && !c.reached.Load() {
				waiting = append(waiting, c)
			}
		}
		s.mu.Unlock()
		fresh = waiting
		if len(fresh) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// stop ends the waits for an application slot (acquire, free): the server
// stops.
func (s *Server) stop() {
	s.stopOnce.Do(func() {
		s.stopped.Store(true)
		close(s.stopping)
	})
}

// Close closes every listener and connection at once.
func (s *Server) Close() error {
	s.shutdown.Store(true)
	s.stopSweeper()
	s.stop()
	err := s.hs.Close()
	s.closeListeners()
	s.removeUnixSocket()
	return err
}

func (s *Server) stopSweeper() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.sweepEnd:
	default:
		close(s.sweepEnd)
	}
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	if !s.lnClosed {
		s.lnClosed = true
		close(s.lnDone)
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	for _, l := range s.listeners {
		l.Close()
	}
	reviveListener{s}.Close()
	// A connection accepted as the listeners closed is registered before
	// this returns, so that Shutdown finds it (freshConns).
	s.mu.Lock()
	for s.accepting > 0 {
		s.cond.Wait()
	}
	s.mu.Unlock()
	// Parked connections are idle: close them, as net/http closes its idle
	// connections (one that revives meanwhile finds revive closed).
	s.mu.Lock()
	var parked []*conn
	for c := range s.conns {
		if c.park.Load() == parkWaiting {
			parked = append(parked, c)
		}
	}
	s.mu.Unlock()
	for _, c := range parked {
		c.abort()
	}
}

func (s *Server) removeUnixSocket() {
	if s.handedOver.Load() {
		for _, l := range s.listeners {
			if l.kept.Load() && l.key == "unix:"+s.unixPath {
				return // the successor serves on it
			}
		}
	}
	if s.unixPath != "" && s.unixIno != 0 && inode(s.unixPath) == s.unixIno {
		os.Remove(s.unixPath)
	}
}

func inode(path string) uint64 {
	fi, err := os.Lstat(path)
	if err != nil {
		return 0
	}
	if st, ok := fi.Sys().(interface{ Ino() uint64 }); ok {
		return st.Ino()
	}
	return statIno(fi)
}

// limitListener stops accepting while connection_limit client connections
// are open (over all listeners) and wraps every accepted connection.
type limitListener struct {
	net.Listener
	s         *Server
	key       string      // what a Handover matches: "tcp:IP:PORT", "unix:PATH" or "fd:N"
	kept      atomic.Bool // a successor server took over the socket (Handover)
	closeOnce sync.Once
	closeErr  error
}

// Close closes the listening socket once; later calls return the first
// result (Shutdown closes listeners before net/http does).
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

// Accept calls that fail for want of descriptors (EMFILE, ENFILE) are
// retried after a wait that starts at acceptBackoffMin and doubles up to
// acceptBackoffMax, as net/http's own loop does (variables for a test).
var acceptBackoffMin, acceptBackoffMax = 5 * time.Millisecond, time.Second

func (l *limitListener) Accept() (net.Conn, error) {
	s := l.s
	s.mu.Lock()
	for s.open >= s.opts.ConnectionLimit && !s.lnClosed {
		s.cond.Wait()
	}
	closed := s.lnClosed
	if !closed {
		s.accepting++ // closeListeners waits for this Accept to return
	}
	s.mu.Unlock()
	if closed {
		return nil, net.ErrClosed
	}
	delay := acceptBackoffMin
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Temporary() { //nolint:staticcheck // EMFILE/ENFILE
				if s.opts.LogSocketErrors {
					s.log.Warn("server accept() threw an exception", zap.Error(err))
				}
				// Out of descriptors: wait for some to be freed, but not
				// past closeListeners, which waits for this Accept.
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-s.lnDone:
					t.Stop()
					s.mu.Lock()
					s.acceptDone()
					s.mu.Unlock()
					return nil, net.ErrClosed
				}
				if delay *= 2; delay > acceptBackoffMax {
					delay = acceptBackoffMax
				}
				continue
			}
			s.mu.Lock()
			s.acceptDone()
			s.mu.Unlock()
			return nil, err
		}
		wc := newConn(c, s)
		s.mu.Lock()
		s.open++
		s.conns[wc] = struct{}{}
		if s.open >= s.opts.ConnectionLimit && !s.atLimit {
			s.atLimit = true
			s.log.Warn("total open connections reached the connection limit, no longer accepting new connections")
		}
		s.acceptDone()
		s.mu.Unlock()
		return wc, nil
	}
}

// acceptDone ends an Accept counted in s.accepting. Called with s.mu.
func (s *Server) acceptDone() {
	if s.accepting--; s.accepting == 0 && s.lnClosed {
		s.cond.Broadcast()
	}
}

// forget removes c from the sweeper's table (closed or hijacked) and moves
// its byte counters into the server's totals.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.bytesIn += c.bytesIn.Swap(0)
	s.bytesOut += c.bytesOut.Swap(0)
	// A handler that completes after its connection was forgotten (a
	// forced close while it ran) counts on s.slots.served only if it sees
	// the hijack; one that sees neither is not counted.
	s.slots.served.Add(int64(c.served.Swap(0)))
	s.mu.Unlock()
}

// connClosed is called once per client connection when its socket closes.
func (s *Server) connClosed() {
	s.mu.Lock()
	s.open--
	if s.atLimit && s.open < s.opts.ConnectionLimit {
		s.atLimit = false
		s.log.Info("total open connections dropped below the connection limit, listening again")
	}
	s.cond.Broadcast()
	s.mu.Unlock()
}

// sweep closes, every cleanup_interval, the connections with no request in
// progress whose last activity is older than channel_timeout (§4.3).
func (s *Server) sweep() {
	t := time.NewTicker(s.opts.CleanupInterval)
	defer t.Stop()
	park := time.NewTicker(parkEvery)
	defer park.Stop()
	for {
		select {
		case <-s.sweepEnd:
			return
		case <-park.C:
			s.parkIdle()
		case <-t.C:
			cutoff := nanotime() - int64(s.opts.ChannelTimeout)
			var idle []*conn
			s.mu.Lock()
			for c := range s.conns {
				if c.inProgress.Load() == 0 && c.lastActivity.Load() <= cutoff {
					idle = append(idle, c)
				}
			}
			s.mu.Unlock()
			for _, c := range idle {
				c.abort()
			}
		}
	}
}
