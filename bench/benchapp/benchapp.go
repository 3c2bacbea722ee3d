// Package benchapp is the handler every load benchmark serves, so that the
// in-process benchmarks (server/bench_test.go) and the wrk script
// (bench/run.sh, through bench/cmd/benchserver) measure the same work.
package benchapp

import (
	"io"
	"net/http"
	"strconv"
)

var big = make([]byte, 1<<20)

// Handler answers /big with 1 MiB, /upload with the number of body bytes it
// read, and anything else with a 12-byte hello.
func Handler() http.Handler {
	hello := []byte("Hello world\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(big)
		case "/upload":
			n, _ := io.Copy(io.Discard, r.Body)
			io.WriteString(w, strconv.FormatInt(n, 10))
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.Write(hello)
		}
	})
}
