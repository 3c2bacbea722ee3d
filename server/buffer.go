package server

import (
	"io"
	"os"
	"sync"
)

// Byte slices come from size-class pools so that per-connection buffers
// are held only while bytes are in flight, never by an idle connection.
var bufClasses = [...]int{512, 4 << 10, 16 << 10, 64 << 10, 256 << 10}

var bufPools [len(bufClasses)]sync.Pool

// getBufSize returns a slice of length n (capacity ≥ n) from the pools.
func getBufSize(n int) []byte {
	for i, sz := range bufClasses {
		if n <= sz {
			if p, ok := bufPools[i].Get().(*[]byte); ok {
				return (*p)[:n]
			}
			return make([]byte, n, sz)
		}
	}
	return make([]byte, n)
}

// putBuf returns b to the pool of its capacity class.
func putBuf(b []byte) {
	c := cap(b)
	for i := len(bufClasses) - 1; i >= 0; i-- {
		if c == bufClasses[i] {
			b = b[:0]
			bufPools[i].Put(&b)
			return
		}
		if c > bufClasses[i] {
			return // grown by append: let the GC have it
		}
	}
}

// spool is a FIFO byte buffer held in memory up to limit bytes and in an
// unlinked temporary file beyond (inbuf_overflow / outbuf_overflow). It is
// not safe for concurrent use.
type spool struct {
	limit int64
	mem   []byte
	rd    int
	f     *os.File
	fw    int64 // file write offset
	fr    int64 // file read offset
}

// Len is the number of unread bytes.
func (s *spool) Len() int64 {
	if s.f != nil {
		return s.fw - s.fr
	}
	return int64(len(s.mem) - s.rd)
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && int64(len(s.mem)-s.rd+len(p)) > s.limit {
		f, err := os.CreateTemp("", "gowaitress-*")
		if err != nil {
			return 0, err
		}
		os.Remove(f.Name())
		s.f = f
		if n := len(s.mem) - s.rd; n > 0 {
			if _, err := f.Write(s.mem[s.rd:]); err != nil {
				return 0, err
			}
			s.fw = int64(n)
		}
		s.releaseMem()
	}
	if s.f != nil {
		n, err := s.f.WriteAt(p, s.fw)
		s.fw += int64(n)
		return n, err
	}
	if s.mem == nil {
		s.mem = getBufSize(len(p))[:0]
	}
	if len(s.mem)+len(p) > cap(s.mem) && s.rd > 0 {
		// compact before growing
		n := copy(s.mem, s.mem[s.rd:])
		s.mem = s.mem[:n]
		s.rd = 0
	}
	if len(s.mem)+len(p) > cap(s.mem) {
		nb := getBufSize(growTo(cap(s.mem), len(s.mem)+len(p)))[:len(s.mem)]
		copy(nb, s.mem)
		putBuf(s.mem)
		s.mem = nb
	}
	s.mem = append(s.mem, p...)
	return len(p), nil
}

func growTo(c, need int) int {
	if c < 512 {
		c = 512
	}
	for c < need {
		c *= 2
	}
	return c
}

// Read reads unread bytes (io.Reader); io.EOF at the end.
func (s *spool) Read(p []byte) (int, error) {
	if s.f != nil {
		if s.fr >= s.fw {
			return 0, io.EOF
		}
		if int64(len(p)) > s.fw-s.fr {
			p = p[:s.fw-s.fr]
		}
		n, err := s.f.ReadAt(p, s.fr)
		s.fr += int64(n)
		if err == io.EOF && n > 0 {
			err = nil
		}
		return n, err
	}
	if s.rd >= len(s.mem) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[s.rd:])
	s.rd += n
	return n, nil
}

// Bytes returns the unread bytes when they are all in memory.
func (s *spool) Bytes() ([]byte, bool) {
	if s.f != nil {
		return nil, false
	}
	return s.mem[s.rd:], true
}

func (s *spool) releaseMem() {
	if s.mem != nil {
		putBuf(s.mem)
	}
	s.mem, s.rd = nil, 0
}

// Reset discards everything and releases memory and file.
func (s *spool) Reset() {
	s.releaseMem()
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.fw, s.fr = 0, 0
}

// bodyReader is r.Body over a fully received request body.
type bodyReader struct {
	mu sync.Mutex
	sp spool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sp.Read(p)
}

func (b *bodyReader) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sp.Reset()
	return nil
}
