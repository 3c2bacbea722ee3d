package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TestAcceptBackoffEndsAtShutdown runs a server out of file descriptors
// (in a child process with a low RLIMIT_NOFILE), so that accept(2) fails
// with EMFILE and the listener backs off. Shutdown must not wait for the
// backoff: the child makes every wait of the backoff an hour, so a
// Shutdown that waited for it would never return.
func TestAcceptBackoffEndsAtShutdown(t *testing.T) {
	if os.Getenv("GOWAITRESS_EMFILE_CHILD") == "1" {
		emfileChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptBackoffEndsAtShutdown$", "-test.v")
	cmd.Env = append(os.Environ(), "GOWAITRESS_EMFILE_CHILD=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child's log: the accept error shows that it backs off. Its
	// stdout: its address, then the test framework's lines. Wait comes
	// after both are read to the end.
	backoff := make(chan struct{})
	errDone := make(chan struct{})
	go func() {
		defer close(errDone)
		sc := bufio.NewScanner(stderr)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), "server accept() threw an exception") {
				seen = true
				close(backoff)
			}
		}
	}()
	addrs := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		var rest strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
				addrs <- a
			} else {
				rest.WriteString(sc.Text() + "\n")
			}
		}
		<-errDone
		if err := cmd.Wait(); err != nil {
			exited <- fmt.Errorf("%v; output:\n%s", err, rest.String())
			return
		}
		exited <- nil
	}()
	ended := false
	defer func() {
		if !ended {
			cmd.Process.Kill()
			<-exited
		}
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-exited:
		ended = true
		t.Fatalf("child ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("child did not report its address")
	}

	// Connections complete in the listen backlog while the child is out
	// of descriptors; the parent has its own.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for len(conns) < 64 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		select {
		case <-backoff:
		case <-time.After(20 * time.Millisecond):
			continue
		}
		break
	}
	select {
	case <-backoff:
	case <-time.After(10 * time.Second):
		t.Fatal("the child never ran out of descriptors")
	}
	io.WriteString(stdin, "shutdown\n")
	select {
	case err := <-exited:
		ended = true
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown waited for the accept backoff")
	}
}

// emfileChild serves with a descriptor limit a few above what it holds,
// reports its address on stdout and shuts down when stdin says so.
func emfileChild(t *testing.T) {
	acceptBackoffMin, acceptBackoffMax = time.Hour, time.Hour
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	o.LogSocketErrors = true
	o.Logger = zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.Lock(os.Stderr), zapcore.WarnLevel))
	s, err := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = uint64(len(fds) + 4)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("addr %s\n", s.Addrs()[0])
	bufio.NewReader(os.Stdin).ReadString('\n')
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
