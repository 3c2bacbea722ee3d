package cli

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

func TestSystemdNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	path := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(path, []byte("[app:main]\npaste.app_factory = text\ntext = x\n\n[server:main]\npaste.server_factory = blocking\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := &blockingServer{started: make(chan struct{}), stop: make(chan struct{})}
	reg := pastedeploy.NewRegistry()
	reg.Register("text", pastedeploy.AppFactory(func(g, l *config.Settings) (http.Handler, error) {
		return &closingApp{text: l.String("text"), closed: make(chan struct{})}, nil
	}))
	reg.Register("blocking", pastedeploy.ServerFactory(func(g, l *config.Settings) (pastedeploy.Server, error) { return srv, nil }))
	sigs := make(chan os.Signal, 1)
	done := make(chan int)
	go func() {
		done <- Run([]string{"serve", "-q", path}, Env{Stdout: io.Discard, Stderr: io.Discard, Registry: reg, Signals: sigs})
	}()
	next := func() string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	if got := next(); got != "READY=1" {
		t.Errorf("first notification %q", got)
	}
	sigs <- syscall.SIGHUP
	if got := next(); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") || len(got) <= len("RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("reload notification %q", got)
	}
	if got := next(); got != "READY=1" {
		t.Errorf("after the reload %q", got)
	}
	sigs <- syscall.SIGTERM
	if got := next(); got != "STOPPING=1" {
		t.Errorf("stop notification %q", got)
	}
	<-done
}
