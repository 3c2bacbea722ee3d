package server

import _ "unsafe" // for go:linkname

// nanotime is the runtime's monotonic clock in nanoseconds (one clock read;
// time.Now makes two, wall and monotonic). Connection activity stamps are
// taken several times per request and only ever compared with each other,
// so they use it. runtime.nanotime is kept linkable for packages outside
// the standard library (see its comment in the runtime).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
