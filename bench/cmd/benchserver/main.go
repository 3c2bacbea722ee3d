// Command benchserver serves the benchmark application with either
// gowaitress (default options) or a plain net/http server, for bench/run.sh.
//
//	benchserver -server gowaitress -addr 127.0.0.1:18080
//	benchserver -server nethttp -addr 127.0.0.1:18081
//
// Paths: /hello (12 bytes), /big (1 MiB), /upload (reads the body, answers
// its length).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"

	"github.com/gowaitress/gowaitress/server"
	"go.uber.org/zap"
)

var big = make([]byte, 1<<20)

func app() http.Handler {
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

func main() {
	kind := flag.String("server", "gowaitress", "gowaitress or nethttp")
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	flag.Parse()
	fmt.Fprintf(os.Stderr, "%s pid %d on %s\n", *kind, os.Getpid(), *addr)
	switch *kind {
	case "nethttp":
		log.Fatal((&http.Server{Addr: *addr, Handler: app()}).ListenAndServe())
	case "gowaitress":
		o := server.DefaultOptions()
		o.Listen = []string{*addr}
		o.Logger = zap.NewNop()
		s, err := server.New(app(), o)
		if err != nil {
			log.Fatal(err)
		}
		log.Fatal(s.Serve())
	default:
		log.Fatalf("unknown -server %q", *kind)
	}
}
