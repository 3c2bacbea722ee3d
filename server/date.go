package server

import (
	"net/http"
	"sync/atomic"
	"time"
)

// httpDate is the Date field of the current second, as the connection
// layer writes it after the status line: "Date: <IMF-fixdate>\r\n".
type httpDate struct {
	until int64 // nanotime at which the second it names ends
	line  []byte
}

var dateNow atomic.Pointer[httpDate]

// dateLineLen is the length of every line dateLine returns.
const dateLineLen = len("Date: ") + len(http.TimeFormat) + len("\r\n")

// dateLine returns the Date field line for now. net/http formats the date
// for every response (time.Time.AppendFormat, the dearest single step of
// a small response); the value changes once a second, so it is formatted
// once a second and shared. One monotonic clock read per response checks
// that the second has not ended; a step of the wall clock shows within a
// second, when the next second's line reads it again.
func dateLine() []byte {
	now := nanotime()
	if d := dateNow.Load(); d != nil && now < d.until {
		return d.line
	}
	t := time.Now()
	line := append(t.UTC().AppendFormat(append(make([]byte, 0, dateLineLen), "Date: "...), http.TimeFormat), "\r\n"...)
	d := &httpDate{until: now + int64(time.Second) - int64(t.Nanosecond()), line: line}
	dateNow.Store(d)
	return line
}
