package server

import (
	"net"
	"syscall"
	"time"
)

// Parking idle keep-alive connections (beyond waitress).
//
// net/http keeps, for every open connection, a goroutine whose stack has
// grown to 8 KiB and two 4 KiB buffers, also while the connection only
// waits for the client's next request — most of an idle connection's
// memory. A connection with nothing received for parkAfter is parked: its
// blocked read returns EOF, so that net/http ends the connection's
// goroutine quietly (nothing is written) and gives its buffers back, and
// Close, instead of closing the socket, starts a small goroutine that
// waits for the socket to become readable without reading from it. When
// the client sends its next request the connection is handed back to
// net/http through the server's revive listener and served as before; when
// the client closes, or the sweeper's channel_timeout or a Shutdown closes
// the connection, the parked goroutine ends. A parked connection still
// counts toward connection_limit and in Stats. Clients see no difference.
const (
	parkAfter = time.Second
	parkEvery = 500 * time.Millisecond
)

// conn.park states.
const (
	parkNone      = iota
	parkRequested // the parker asked a blocked Read to park (see requestPark)
	parkClosing   // Read returned EOF to park: net/http's Close parks rather than closes
	parkWaiting   // parked: waitParked waits for the next request outside net/http
)

// parkable reports whether the Read that was woken by the parker (with a
// buffer of n bytes) can end net/http's side of the connection: between
// requests, nothing pending in the parser or in progress, not hijacked,
// and still nothing received for parkAfter. A 1-byte Read is net/http's
// background read while a handler runs: never parked. Called with dmu.
func (c *conn) parkable(n int) bool {
	if n <= 1 || c.st != stHead || c.inProgress.Load() != 0 || c.hijacked.Load() || c.closed.Load() ||
		nanotime()-c.lastActivity.Load() < int64(parkAfter) || c.srv.shutdown.Load() {
		return false
	}
	c.releaseIdle()
	return c.parser == nil
}

// requestPark wakes a Read blocked on the socket so that it parks the
// connection if it is still idle (see parkable).
func (c *conn) requestPark() {
	c.dmu.Lock()
	if c.park.CompareAndSwap(parkNone, parkRequested) {
		c.appliedZero = false
		c.raw.SetReadDeadline(time.Unix(1, 0))
	}
	c.dmu.Unlock()
}

// waitParked runs in its own goroutine once net/http has let go of c: it waits
// until the socket is readable (peeking, so no byte is taken), then hands
// c back to net/http; on EOF, an error, or a closed socket it closes c.
func (c *conn) waitParked() {
	s := c.srv
	c.dmu.Lock()
	c.applyDeadlineLocked() // the parker's deadline must not end the wait
	c.dmu.Unlock()
	if s.shutdown.Load() {
		c.abort()
		return
	}
	readable := false
	err := c.rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		if e == syscall.EAGAIN || e == syscall.EINTR {
			return false
		}
		// n > 0: a byte waits (even if the peer's address, which is not
		// wanted, failed to convert); 0: the client closed; -1: an error.
		readable = n > 0
		return true
	})
	c.park.Store(parkNone)
	if err != nil || !readable {
		c.sawEOF.Store(true)
		c.abort()
		return
	}
	c.touch()
	select {
	case s.revived <- c:
	case <-s.reviveClosed:
		c.abort()
	}
}

// parkIdle asks the connections idle for parkAfter to park (sweeper).
func (s *Server) parkIdle() {
	cutoff := nanotime() - int64(parkAfter)
	var idle []*conn
	s.mu.Lock()
	for c := range s.conns {
		if c.rc != nil && c.park.Load() == parkNone && c.inProgress.Load() == 0 &&
			!c.hijacked.Load() && c.lastActivity.Load() <= cutoff {
			idle = append(idle, c)
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		c.requestPark()
	}
}

// reviveListener is the listener net/http serves revived connections
// from: parked connections whose client sent its next request.
type reviveListener struct{ s *Server }

func (l reviveListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.s.revived:
		return c, nil
	case <-l.s.reviveClosed:
		return nil, net.ErrClosed
	}
}

func (l reviveListener) Close() error {
	l.s.reviveOnce.Do(func() { close(l.s.reviveClosed) })
	return nil
}

func (l reviveListener) Addr() net.Addr { return reviveAddr{} }

type reviveAddr struct{}

func (reviveAddr) Network() string { return "revive" }
func (reviveAddr) String() string  { return "parked connections" }

var _ net.Listener = reviveListener{}
