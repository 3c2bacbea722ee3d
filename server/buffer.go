package server

import (
	"io"
	"net/http"
	"os"
	"sync"
	"unsafe"
)

// Byte slices come from size-class pools so that per-connection buffers
// are held only while bytes are in flight, never by an idle connection.
var bufClasses = [...]int{512, 4 << 10, 8 << 10, 16 << 10, 64 << 10, 256 << 10}

// The pools hold the arrays' addresses as unsafe.Pointer, so that neither
// Get nor Put allocates (a *[]byte would need a new slice header on every
// Put) and one loop over bufClasses serves every class.
var bufPools [len(bufClasses)]sync.Pool

// getBufSize returns a slice of length n (capacity ≥ n) from the pools.
func getBufSize(n int) []byte {
	for i, sz := range bufClasses {
		if n <= sz {
			if p, ok := bufPools[i].Get().(unsafe.Pointer); ok {
				return unsafe.Slice((*byte)(p), sz)[:n]
			}
			return make([]byte, n, sz)
		}
	}
	return make([]byte, n)
}

// putBuf returns b to the pool of its capacity class; other capacities
// (grown by append) are left to the GC.
func putBuf(b []byte) {
	for i, sz := range bufClasses {
		if cap(b) == sz {
			bufPools[i].Put(unsafe.Pointer(unsafe.SliceData(b)))
			return
		}
	}
}

// spoolBlock is the size of the pooled blocks a spool holds in memory.
const spoolBlock = 64 << 10

// spool is a FIFO byte buffer held in memory, as a list of pooled blocks,
// up to limit bytes and in an unlinked temporary file beyond
// (inbuf_overflow / outbuf_overflow). It is not safe for concurrent use.
type spool struct {
	limit  int64
	blocks [][]byte  // unread data: blocks[0][rd:], blocks[1:]...
	inline [2][]byte // blocks' first backing array (no allocation for small bodies)
	rd     int
	size   int64 // unread bytes in memory
	f      *os.File
	fw     int64 // file write offset
	fr     int64 // file read offset
}

// Len is the number of unread bytes.
func (s *spool) Len() int64 {
	if s.f != nil {
		return s.fw - s.fr
	}
	return s.size
}

// spill moves the unread memory blocks to a new unlinked temporary file.
func (s *spool) spill() error {
	f, err := os.CreateTemp("", "gowaitress-*")
	if err != nil {
		return err
	}
	os.Remove(f.Name())
	s.f = f
	for i, b := range s.blocks {
		if i == 0 {
			b = b[s.rd:]
		}
		if _, err := f.WriteAt(b, s.fw); err != nil {
			return err
		}
		s.fw += int64(len(b))
	}
	s.releaseMem()
	return nil
}

// ReadFrom reads r to EOF straight into the spool's blocks (or file).
func (s *spool) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if s.f == nil && s.size > s.limit {
			if err := s.spill(); err != nil {
				return total, err
			}
		}
		if s.f != nil {
			b := getBufSize(spoolBlock)
			n, err := r.Read(b)
			if n > 0 {
				if _, werr := s.f.WriteAt(b[:n], s.fw); werr != nil {
					putBuf(b)
					return total, werr
				}
				s.fw += int64(n)
				total += int64(n)
			}
			putBuf(b)
			if err == io.EOF {
				return total, nil
			}
			if err != nil {
				return total, err
			}
			continue
		}
		last := len(s.blocks) - 1
		if last < 0 || cap(s.blocks[last])-len(s.blocks[last]) < 512 {
			if s.blocks == nil {
				s.blocks = s.inline[:0]
			}
			s.blocks = append(s.blocks, getBufSize(spoolBlock)[:0])
			last++
		}
		b := s.blocks[last]
		n, err := r.Read(b[len(b):cap(b)])
		s.blocks[last] = b[:len(b)+n]
		s.size += int64(n)
		total += int64(n)
		if s.size > s.limit {
			if serr := s.spill(); serr != nil {
				return total, serr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && s.size+int64(len(p)) > s.limit {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	if s.f != nil {
		n, err := s.f.WriteAt(p, s.fw)
		s.fw += int64(n)
		return n, err
	}
	n := len(p)
	for len(p) > 0 {
		last := len(s.blocks) - 1
		if last < 0 || len(s.blocks[last]) == cap(s.blocks[last]) {
			size := spoolBlock
			if last < 0 && len(p) < 4<<10 {
				size = 4 << 10
			}
			if s.blocks == nil {
				s.blocks = s.inline[:0]
			}
			s.blocks = append(s.blocks, getBufSize(size)[:0])
			last++
		}
		b := s.blocks[last]
		k := copy(b[len(b):cap(b)], p)
		s.blocks[last] = b[:len(b)+k]
		p = p[k:]
	}
	s.size += int64(n)
	return n, nil
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
	if s.size == 0 {
		return 0, io.EOF
	}
	total := 0
	for len(p) > 0 && len(s.blocks) > 0 {
		b := s.blocks[0]
		n := copy(p, b[s.rd:])
		s.rd += n
		total += n
		p = p[n:]
		if s.rd == len(b) {
			if len(s.blocks) == 1 && len(b) < cap(b) {
				break // the tail block still takes writes
			}
			putBuf(b)
			s.blocks[0] = nil
			s.blocks = s.blocks[1:]
			s.rd = 0
		}
	}
	s.size -= int64(total)
	return total, nil
}

// take removes and returns the first memory block's unread bytes; the
// caller owns the block (putBuf it when done). ok is false in file mode or
// when empty.
func (s *spool) take() (data, block []byte, ok bool) {
	if s.f != nil || len(s.blocks) == 0 {
		return nil, nil, false
	}
	block = s.blocks[0]
	data = block[s.rd:]
	s.blocks[0] = nil
	s.blocks = s.blocks[1:]
	if len(s.blocks) == 0 {
		s.blocks = nil
	}
	s.rd = 0
	s.size -= int64(len(data))
	return data, block, true
}

func (s *spool) releaseMem() {
	for _, b := range s.blocks {
		putBuf(b)
	}
	s.blocks, s.rd, s.size = nil, 0, 0
	s.inline = [2][]byte{}
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
	mu     sync.Mutex
	sp     spool
	closed bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose // as net/http's body
	}
	return b.sp.Read(p)
}

// WriteTo writes the unread body to w without an intermediate copy.
func (b *bodyReader) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var total int64
	for {
		data, block, ok := b.sp.take()
		if !ok {
			break
		}
		n, err := w.Write(data)
		putBuf(block)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	if b.sp.Len() == 0 {
		return total, nil
	}
	buf := getBufSize(spoolBlock)
	defer putBuf(buf)
	for {
		n, err := b.sp.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (b *bodyReader) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.sp.Reset()
	return nil
}
