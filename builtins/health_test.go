package builtins

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/server"
	"go.uber.org/zap"
)

// startServer serves h with a real gowaitress server on 127.0.0.1:0 and
// returns it with its base URL; the server is shut down at the end of the
// test unless the test did it.
func startServer(t *testing.T, h http.Handler) (*server.Server, string) {
	t.Helper()
	o := server.DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	o.Logger = zap.NewNop()
	s, err := server.New(h, o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, "http://" + s.Addrs()[0].String()
}

// fetch makes one request on a fresh connection and returns the status,
// headers and body.
func fetch(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestHealthSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kv      []string
		wantErr string
	}{
		{"defaults", nil, ""},
		{"draining_status", []string{"draining_status", "500"}, ""},
		{"draining_status too low", []string{"draining_status", "199"}, "draining_status"},
		{"draining_status not a number", []string{"draining_status", "busy"}, "draining_status"},
		{"unknown key", []string{"draining_code", "503"}, "unknown setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HealthFactory(settings("DEFAULT"), settings("app:health", tc.kv...))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
			case tc.wantErr == "" && h == nil:
				t.Fatal("nil handler")
			}
		})
	}
}

func TestHealth(t *testing.T) {
	h, err := HealthFactory(settings("DEFAULT"), settings("app:health"))
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServer(t, h)
	for _, tc := range []struct {
		method, path string
		wantBody     string
	}{
		{"GET", "/", "ok\n"},
		{"GET", "/healthz/ready?x=1", "ok\n"},
		{"POST", "/live", "ok\n"},
		{"HEAD", "/", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, hdr, body := fetch(t, tc.method, base+tc.path)
			if status != 200 || body != tc.wantBody || hdr.Get("Cache-Control") != "no-store" ||
				!strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
				t.Errorf("%d %v %q", status, hdr, body)
			}
		})
	}

	t.Run("not served by gowaitress", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 200 || rec.Body.String() != "ok\n" {
			t.Errorf("%d %q", rec.Code, rec.Body.String())
		}
	})
}

// A health request in flight when a graceful Shutdown begins is answered
// with draining_status over the wire.
func TestHealthDrainingDuringShutdown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kv     []string
		status int
	}{
		{"default", nil, 503},
		{"draining_status", []string{"draining_status", "500"}, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := HealthFactory(settings("DEFAULT"), settings("app:health", tc.kv...))
			if err != nil {
				t.Fatal(err)
			}
			entered, release := make(chan struct{}), make(chan struct{})
			gate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/gated" {
					close(entered)
					<-release
				}
				h.ServeHTTP(w, r)
			})
			s, base := startServer(t, gate)
			if status, _, body := fetch(t, "GET", base+"/"); status != 200 || body != "ok\n" {
				t.Fatalf("before shutdown: %d %q", status, body)
			}
			type result struct {
				status int
				body   string
			}
			got := make(chan result, 1)
			go func() {
				resp, err := http.Get(base + "/gated")
				if err != nil {
					got <- result{-1, err.Error()}
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- result{resp.StatusCode, string(b)}
			}()
			<-entered
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				shut <- s.Shutdown(ctx)
			}()
			deadline := time.Now().Add(5 * time.Second)
			for !s.Stats().Draining && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			close(release)
			r := <-got
			if r.status != tc.status || r.body != "draining\n" {
				t.Errorf("during shutdown: %d %q, want %d \"draining\\n\"", r.status, r.body, tc.status)
			}
			if err := <-shut; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}

// During a reload (server.SetReloading, which the command line sets from
// SIGHUP until the swap) health answers draining unless during_reload is
// false; the server keeps serving either way.
func TestHealthDuringReload(t *testing.T) {
	for _, tc := range []struct {
		kv         []string
		wantStatus int
	}{
		{nil, 503},
		{[]string{"during_reload", "false"}, 200},
		{[]string{"during_reload", "true", "draining_status", "500"}, 500},
	} {
		h, err := HealthFactory(settings("DEFAULT"), settings("app:health", tc.kv...))
		if err != nil {
			t.Fatal(err)
		}
		s, base := startServer(t, h)
		s.SetReloading(true)
		if status, _, _ := fetch(t, "GET", base+"/"); status != tc.wantStatus {
			t.Errorf("%v while reloading: %d, want %d", tc.kv, status, tc.wantStatus)
		}
		if !s.Stats().Reloading {
			t.Error("Stats().Reloading false while reloading")
		}
		s.SetReloading(false)
		if status, _, body := fetch(t, "GET", base+"/"); status != 200 || body != "ok\n" {
			t.Errorf("%v after the reload: %d %q", tc.kv, status, body)
		}
	}
}
