//go:build !linux || !(amd64 || arm64)

package server

// batchWrites: every socket write is its own system call here.
const batchWrites = false

func (c *conn) writeBatch(p []byte, max int, try bool) (int, error) {
	panic("gowaitress: writeBatch without sendmmsg")
}
