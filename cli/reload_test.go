package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// blockingServer serves until Shutdown, like a real one, and lets the test
// send requests to whatever handler it was given.
type blockingServer struct {
	mu        sync.Mutex
	h         http.Handler
	started   chan struct{}
	stop      chan struct{}
	reloading []bool // SetReloading calls
}

func (s *blockingServer) SetReloading(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloading = append(s.reloading, v)
}

func (s *blockingServer) Serve(h http.Handler) error {
	s.mu.Lock()
	s.h = h
	s.mu.Unlock()
	close(s.started)
	<-s.stop
	return nil
}

func (s *blockingServer) Shutdown(context.Context) error { close(s.stop); return nil }

func (s *blockingServer) get(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	return rec.Body.String()
}

// closingApp answers its text and records being closed.
type closingApp struct {
	text   string
	closed chan struct{}
}

func (a *closingApp) ServeHTTP(w http.ResponseWriter, r *http.Request) { io.WriteString(w, a.text) }
func (a *closingApp) Close() error                                     { close(a.closed); return nil }

func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ini")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte("[app:main]\npaste.app_factory = text\ntext = "+text+
			"\n\n[server:main]\npaste.server_factory = blocking\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	srv := &blockingServer{started: make(chan struct{}), stop: make(chan struct{})}
	apps := make(chan *closingApp, 10)
	reg := pastedeploy.NewRegistry()
	reg.Register("text", pastedeploy.AppFactory(func(g, l *config.Settings) (http.Handler, error) {
		a := &closingApp{text: l.String("text"), closed: make(chan struct{})}
		apps <- a
		return a, nil
	}), pastedeploy.Keys("text"))
	var builds atomic.Int32
	reg.Register("blocking", pastedeploy.ServerFactory(func(g, l *config.Settings) (pastedeploy.Server, error) {
		builds.Add(1)
		return srv, nil
	}))
	sigs := make(chan os.Signal, 1)
	stderr := &syncWriter{}
	done := make(chan int)
	go func() {
		done <- Run([]string{"serve", path}, Env{Stdout: io.Discard, Stderr: stderr, Registry: reg, Signals: sigs})
	}()
	<-srv.started
	first := <-apps
	if got := srv.get(t); got != "one" {
		t.Fatalf("before reload: %q", got)
	}

	// A good reload swaps the application in and closes the old one.
	write("two")
	sigs <- syscall.SIGHUP
	waitFor(t, func() bool { return srv.get(t) == "two" }, "the reloaded application to answer")
	select {
	case <-first.closed:
	case <-time.After(5 * time.Second):
		t.Error("the old application was not closed")
	}

	// A broken config changes nothing.
	if err := os.WriteFile(path, []byte("[app:main]\npaste.app_factory = text\ntxet = x\n\n[server:main]\npaste.server_factory = blocking\nport = %(nope)s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sigs <- syscall.SIGHUP
	waitFor(t, func() bool {
		return strings.Contains(stderr.String(), "Reload failed; still serving the previous configuration.")
	},
		"the failed reload to be reported")
	if got := srv.get(t); got != "two" {
		t.Errorf("after a failed reload: %q", got)
	}

	marks := func() string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return fmt.Sprint(srv.reloading)
	}
	waitFor(t, func() bool { return marks() == "[true false true false]" }, "SetReloading on and off around each reload")

	// A server that cannot be replaced (no Listen method) keeps running; its
	// changed settings are reported to apply at the next restart.
	if strings.Contains(stderr.String(), "the server's settings changed") {
		t.Errorf("warned about server settings that did not change:\n%s", stderr.String())
	}
	if err := os.WriteFile(path, []byte("[app:main]\npaste.app_factory = text\ntext = three\n\n[server:main]\npaste.server_factory = blocking\nthreads = 9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sigs <- syscall.SIGHUP
	waitFor(t, func() bool { return srv.get(t) == "three" }, "the third configuration")
	if !strings.Contains(stderr.String(), "the server's settings changed") {
		t.Errorf("no warning about the changed server settings:\n%s", stderr.String())
	}

	sigs <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	out := stderr.String()
	for _, want := range []string{"Received SIGHUP, triggering a reload.", "Reloaded " + path + ".",
		"[server:main] port", `txet: unknown setting for text (did you mean "text"?)`} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if n := builds.Load(); n < 2 {
		t.Errorf("the server section was built %d times; a reload loads it too", n)
	}
}

func TestSwapHandlerDrains(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "old")
	})
	s := newSwapHandler(slow)
	go s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	<-entered
	old := s.swap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "new") }))
	drained := make(chan struct{})
	go func() { old.drain(10 * time.Second); close(drained) }()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Body.String() != "new" {
		t.Errorf("new request went to %q", rec.Body.String())
	}
	select {
	case <-drained:
		t.Fatal("drained while a request was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("not drained after the request finished")
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
