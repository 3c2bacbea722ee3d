//go:build !linux

package server

// setCork is a no-op where TCP_CORK does not exist.
func (c *conn) setCork(on bool) {}
