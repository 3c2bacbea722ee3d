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
	"github.com/gowaitress/gowaitress/bench/benchapp"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/gowaitress/gowaitress/server"
	"go.uber.org/zap"
)

func main() {
	kind := flag.String("server", "gowaitress", "gowaitress or nethttp")
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	limit := flag.Int("connection-limit", server.DefaultConnectionLimit, "gowaitress connection_limit")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here until SIGINT/SIGTERM")
	memRate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate (0: default)")
	flag.Parse()
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		go func() {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
			<-ch
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	fmt.Fprintf(os.Stderr, "%s pid %d on %s\n", *kind, os.Getpid(), *addr)
	go func() { // SIGUSR1: collect garbage and return memory, for RSS comparisons
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
		for sig := range ch {
			runtime.GC()
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(os.Stderr, "heap in use %d B (live objects %d B), stacks in use %d B, goroutines %d\n", ms.HeapInuse, ms.HeapAlloc, ms.StackInuse, runtime.NumGoroutine())
			if sig == syscall.SIGUSR2 { // and write a heap profile
				if f, err := os.Create(fmt.Sprintf("heap-%d.prof", os.Getpid())); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}
	}()
	switch *kind {
	case "nethttp":
		log.Fatal((&http.Server{Addr: *addr, Handler: benchapp.Handler()}).ListenAndServe())
	case "gowaitress":
		o := server.DefaultOptions()
		o.Listen = []string{*addr}
		o.Logger = zap.NewNop()
		o.ConnectionLimit = *limit
		s, err := server.New(benchapp.Handler(), o)
		if err != nil {
			log.Fatal(err)
		}
		log.Fatal(s.Serve())
	default:
		log.Fatalf("unknown -server %q", *kind)
	}
}
