package builtins

import (
	"net/http"
	"strconv"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/server"
)

var healthKeys = []string{"draining_status", "during_reload"}

// HealthFactory is the app factory registered as "gowaitress#health": a
// liveness and readiness endpoint for load balancers and Kubernetes probes.
// Every request (any path, any method) is answered with 200 and the body
// "ok" while the server accepts work, and with draining_status and the body
// "draining" once the gowaitress server serving the request has begun a
// graceful Shutdown, so that a balancer takes the instance out of rotation
// while in-flight requests finish — and, with during_reload, while the
// command line reloads the configuration (from SIGHUP until the new
// application is swapped in; the server keeps serving meanwhile). When the
// request is not served by a gowaitress server (server.FromContext is nil,
// e.g. behind another http.Server), the answer is always 200. Responses
// are text/plain and carry "Cache-Control: no-store"; HEAD gets no body.
//
// Settings:
//
//   - draining_status (integer 200–599, default 503): the status answered
//     while the server drains.
//   - during_reload (strict boolean, default true): answer draining_status
//     during a reload too.
func HealthFactory(global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("gowaitress#health", local, healthKeys); err != nil {
		return nil, err
	}
	g := config.NewGetter(local)
	status := g.IntRange("draining_status", http.StatusServiceUnavailable, 200, 599)
	duringReload := g.Bool("during_reload", true)
	if err := g.Err(); err != nil {
		return nil, err
	}
	return healthApp{drainingStatus: status, duringReload: duringReload}, nil
}

type healthApp struct {
	drainingStatus int
	duringReload   bool
}

func (h healthApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := http.StatusOK, "ok\n"
	if s := server.FromContext(r.Context()); s != nil && s.Draining(h.duringReload) {
		status, body = h.drainingStatus, "draining\n"
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}
