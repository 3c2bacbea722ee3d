//go:build darwin || aix

package server

import "syscall"

// sysSocket creates a socket and marks it close-on-exec: these systems
// have no SOCK_CLOEXEC, so fork is held off in between, as the net
// package does.
func sysSocket(family, typ, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(family, typ, proto)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	return fd, err
}
