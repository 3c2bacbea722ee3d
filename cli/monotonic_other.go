//go:build !linux

package cli

import "time"

var processStart = time.Now()

// monotonicMicros stands in for CLOCK_MONOTONIC where there is no systemd
// to compare it with: microseconds on the monotonic clock since start.
func monotonicMicros() int64 { return time.Since(processStart).Microseconds() }
