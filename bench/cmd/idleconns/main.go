// Command idleconns opens n keep-alive connections to addr, makes one
// request on each, prints "ready", and holds them idle until SIGINT or
// SIGTERM; bench/run.sh compares the servers' resident memory meanwhile.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "server address")
	n := flag.Int("n", 5000, "connections")
	flag.Parse()
	conns := make([]net.Conn, 0, *n)
	for i := 0; i < *n; i++ {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			log.Fatalf("conn %d: %v", i, err)
		}
		fmt.Fprintf(c, "GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			log.Fatalf("conn %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		conns = append(conns, c)
	}
	fmt.Println("ready")
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	for _, c := range conns {
		c.Close()
	}
}
