//go:build linux && (amd64 || arm64)

package server

import (
	"sync"
	"syscall"
	"unsafe"
)

// batchWrites: runs of socket writes go to the kernel in one sendmmsg(2).
const batchWrites = true

// batchMax is how many socket writes of at most send_bytes one sendmmsg(2)
// call carries.
const batchMax = 16

// mmsghdr is struct mmsghdr: one message of a sendmmsg call.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32 // bytes the kernel took of this message
	_   [4]byte
}

// sendBatch holds the arguments of one sendmmsg call and its callback
// (pooled: a closure per call would be allocated).
type sendBatch struct {
	hdr  [batchMax]mmsghdr
	iov  [batchMax]syscall.Iovec // what the next call sends of each piece
	orig [batchMax]syscall.Iovec // the pieces
	cnt  int                     // pieces
	sent int                     // bytes of the pieces taken so far
	try  bool                    // never wait for the socket
	err  syscall.Errno
	fn   func(fd uintptr) bool
}

// writeBatch writes p as socket writes of max bytes (the last may be
// shorter) and hands them to the kernel batchMax at a time in one
// sendmmsg(2) call. The kernel makes each message its own send, in order,
// and stops at the first one it cannot take whole, so the stream and every
// send are what one write(2) per piece would make; only the system calls
// are fewer. In try mode it does not wait and returns the bytes taken;
// otherwise it waits for the socket until all of p is taken or an error.
func (c *conn) writeBatch(p []byte, max int, try bool) (int, error) {
	b := sendBatchPool.Get().(*sendBatch)
	defer sendBatchPool.Put(b)
	total := 0
	for len(p) > 0 {
		b.cnt, b.sent, b.try, b.err = 0, 0, try, 0
		off := 0
		for b.cnt < batchMax && off < len(p) {
			n := min(len(p)-off, max)
			b.orig[b.cnt].Base = &p[off]
			b.orig[b.cnt].SetLen(n)
			b.cnt++
			off += n
		}
		err := c.rc.Write(b.fn)
		sent, errno := b.sent, b.err
		if h := c.srv.writeHook; h != nil {
			for i, left := 0, sent; i < b.cnt && left > 0; i++ {
				h(int(b.orig[i].Len)) // each socket write asked for at most max
				left -= int(b.orig[i].Len)
			}
		}
		b.iov, b.orig, b.hdr = [batchMax]syscall.Iovec{}, [batchMax]syscall.Iovec{}, [batchMax]mmsghdr{} // no references to p
		if sent > 0 {
			c.bytesOut.Add(int64(sent))
			c.touch()
		}
		total += sent
		p = p[sent:]
		if err == nil && errno != 0 {
			err = c.writeErr("sendmmsg", errno)
		}
		if err != nil {
			c.srv.socketError(err)
			return total, err
		}
		if try && sent < off {
			return total, nil // the socket is full: the caller stashes the rest
		}
	}
	return total, nil
}

var sendBatchPool = sync.Pool{New: func() any {
	b := &sendBatch{}
	b.fn = b.send
	return b
}}

// send is the raw write callback: one sendmmsg of the pieces not yet
// taken, repeated while the socket takes them; false (wait for the socket)
// when it takes nothing and may wait.
func (b *sendBatch) send(fd uintptr) bool {
	for {
		first, skip := 0, b.sent
		for first < b.cnt && skip >= int(b.orig[first].Len) {
			skip -= int(b.orig[first].Len)
			first++
		}
		if first == b.cnt {
			return true
		}
		for i := first; i < b.cnt; i++ {
			b.iov[i] = b.orig[i]
			b.hdr[i] = mmsghdr{hdr: syscall.Msghdr{Iov: &b.iov[i], Iovlen: 1}}
		}
		if skip > 0 { // the kernel took the start of this piece
			b.iov[first].Base = (*byte)(unsafe.Add(unsafe.Pointer(b.orig[first].Base), skip))
			b.iov[first].SetLen(int(b.orig[first].Len) - skip)
		}
		r, _, e := syscall.Syscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&b.hdr[first])), uintptr(b.cnt-first), 0, 0, 0)
		switch e {
		case 0:
			for i := first; i < first+int(r); i++ {
				b.sent += int(b.hdr[i].n)
			}
			if b.try {
				return true
			}
		case syscall.EINTR:
		case syscall.EAGAIN:
			return b.try // wait for the socket unless in try mode
		default:
			b.err = e
			return true
		}
	}
}
