package logging

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// output is where a handler writes formatted records (terminator included).
type output interface {
	write(b []byte) error
	sync() error
	close() error
}

// streamOutput writes to stdout or stderr. The streams of one Setup share a
// lock so that records never interleave.
type streamOutput struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s *streamOutput) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.Write(b)
	return err
}

func (s *streamOutput) sync() error  { return nil }
func (s *streamOutput) close() error { return nil }

type nullOutput struct{}

func (nullOutput) write([]byte) error { return nil }
func (nullOutput) sync() error        { return nil }
func (nullOutput) close() error       { return nil }

// fileOutput is FileHandler, WatchedFileHandler and RotatingFileHandler.
type fileOutput struct {
	mu          sync.Mutex
	path        string // absolute
	truncate    bool   // mode 'w' (only for the first open)
	watched     bool   // reopen when the file is moved or removed
	maxBytes    int64  // rotate before a write would reach this size (with backupCount > 0)
	backupCount int
	f           *os.File
	size        int64
	info        os.FileInfo
	closed      bool
}

func newFileOutput(name string, truncate, delay, watched bool, maxBytes int64, backupCount int) (*fileOutput, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	o := &fileOutput{path: abs, truncate: truncate, watched: watched, maxBytes: maxBytes, backupCount: backupCount}
	if maxBytes > 0 {
		o.truncate = false // as RotatingFileHandler: mode 'a' when rotating
	}
	if !delay {
		if err := o.open(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *fileOutput) open() error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if o.truncate {
		flag |= os.O_TRUNC
		o.truncate = false
	}
	f, err := os.OpenFile(o.path, flag, 0o644)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	o.f, o.info, o.size = f, info, info.Size()
	return nil
}

func (o *fileOutput) write(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("log file %s is closed", o.path)
	}
	if o.f != nil && o.watched {
		if info, err := os.Stat(o.path); err != nil || !os.SameFile(info, o.info) {
			o.f.Close()
			o.f = nil
		}
	}
	if o.f == nil {
		if err := o.open(); err != nil {
			return err
		}
	}
	if o.maxBytes > 0 && o.backupCount > 0 && o.size > 0 && o.size+int64(len(b)) >= o.maxBytes && o.info.Mode().IsRegular() {
		if err := o.rotate(); err != nil {
			return err
		}
	}
	n, err := o.f.Write(b)
	o.size += int64(n)
	return err
}

// rotate renames path.N-1 → path.N, …, path → path.1 and opens a new file,
// as RotatingFileHandler.doRollover does.
func (o *fileOutput) rotate() error {
	o.f.Close()
	o.f = nil
	for i := o.backupCount - 1; i >= 1; i-- {
		src := fmt.Sprintf("%s.%d", o.path, i)
		if _, err := os.Stat(src); err == nil {
			dst := fmt.Sprintf("%s.%d", o.path, i+1)
			os.Remove(dst)
			if err := os.Rename(src, dst); err != nil {
				return err
			}
		}
	}
	dst := o.path + ".1"
	os.Remove(dst)
	if err := os.Rename(o.path, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return o.open()
}

func (o *fileOutput) sync() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	return o.f.Sync()
}

func (o *fileOutput) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	return err
}
