package server

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
	"go.uber.org/zap"
)

func TestFactoryRegistered(t *testing.T) {
	for _, name := range []string{"waitress#main", "gowaitress#main"} {
		f, ok := pastedeploy.Default.Lookup(name, pastedeploy.ProtoServer)
		if !ok {
			t.Errorf("%s not registered as a server factory", name)
			continue
		}
		if f.Keys != nil {
			t.Errorf("%s declares Keys; unknown keys are checked by OptionsFromSettings", name)
		}
		if f.Description == "" {
			t.Errorf("%s has no description", name)
		}
	}
}

func TestFactoryServe(t *testing.T) {
	if _, err := Factory(nil, section("therads", "4")); err == nil ||
		!strings.Contains(err.Error(), `production.ini [server:main] therads: unknown option (did you mean "threads"?)`) {
		t.Errorf("unknown key: %v", err)
	}
	ps, err := Factory(nil, section("listen", "127.0.0.1:0", "ident", "Factory/1"))
	if err != nil {
		t.Fatal(err)
	}
	as := ps.(*AppServer)
	as.Options.Logger = zap.NewNop()
	done := make(chan error, 1)
	go func() {
		done <- ps.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := as.Addrs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, "tcp", addrs[0].String())
	resp, body := roundTrip(t, c, bufio.NewReader(c), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if body != "hi" || resp.Header.Get("Server") != "Factory/1" {
		t.Errorf("%q %q", body, resp.Header.Get("Server"))
	}
	c.Close()
	if err := ps.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	// Shutdown before Serve makes Serve return at once.
	ps2, _ := Factory(nil, section("listen", "127.0.0.1:0"))
	ps2.Shutdown(ctx)
	if err := ps2.Serve(http.NotFoundHandler()); err != nil {
		t.Error(err)
	}
	if err := ps2.Serve(nil); err != nil {
		t.Error(err)
	}
	ps3, _ := Factory(nil, section("listen", "127.0.0.1:0"))
	if err := ps3.Serve(nil); err == nil || !strings.Contains(err.Error(), "handler is nil") {
		t.Errorf("nil app: %v", err)
	}
}

func TestShutdownTimeoutOption(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{{"", DefaultShutdownTimeout}, {"5", 5 * time.Second}, {"250ms", 250 * time.Millisecond}} {
		local := config.NewSettings()
		if tt.value != "" {
			local.Set("shutdown_timeout", tt.value, config.Origin{})
		}
		s, err := Factory(config.NewSettings(), local)
		if err != nil {
			t.Fatal(err)
		}
		got := s.(interface{ ShutdownTimeout() time.Duration }).ShutdownTimeout()
		if got != tt.want {
			t.Errorf("shutdown_timeout %q: %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestAppServerCheck(t *testing.T) {
	for _, tt := range []struct {
		settings map[string]string
		wantErr  string
	}{
		{map[string]string{"listen": "127.0.0.1:0 localhost:8080"}, ""},
		{map[string]string{"listen": "no-such-host.invalid:80"}, "no-such-host.invalid"},
		{map[string]string{"listen": "[::1]:80", "ipv6": "false"}, "::1"},
		{map[string]string{"unix_socket": "/nonexistent-dir/s.sock"}, "/nonexistent-dir/s.sock"},
		{map[string]string{"sockets": "systemd"}, "LISTEN_PID"},
	} {
		s, err := Factory(config.NewSettings(), config.FromMap(tt.settings, config.SourceSection))
		if err != nil {
			t.Fatal(err)
		}
		err = s.(*AppServer).Check()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%v: Check() = %v, want an error containing %q", tt.settings, err, tt.wantErr)
		}
	}
}
