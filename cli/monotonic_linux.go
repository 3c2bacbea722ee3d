package cli

import (
	"syscall"
	"unsafe"
)

// monotonicMicros reads CLOCK_MONOTONIC, the clock systemd compares
// MONOTONIC_USEC with.
func monotonicMicros() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return int64(ts.Sec)*1_000_000 + int64(ts.Nsec)/1000
}
