//go:build !(darwin || aix)

package server

import "syscall"

// sysSocket creates a socket that is close-on-exec from the start.
func sysSocket(family, typ, proto int) (int, error) {
	return syscall.Socket(family, typ|syscall.SOCK_CLOEXEC, proto)
}
