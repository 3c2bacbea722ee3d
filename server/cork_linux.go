package server

import "syscall"

// setCork sets TCP_CORK on a TCP connection: while it is on, the kernel
// joins the send_bytes-sized socket writes of a streamed response into
// full segments instead of pushing each write as its own packet (Go sets
// TCP_NODELAY). Every socket write still carries at most send_bytes; only
// the packets are larger. Turning it off pushes what is pending.
func (c *conn) setCork(on bool) {
	if c.rc == nil || c.isUnix() || c.corked == on {
		return
	}
	c.corked = on
	v := 0
	if on {
		v = 1
	}
	c.rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, v)
	})
}
