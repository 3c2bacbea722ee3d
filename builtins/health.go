package builtins

import (
	"net/http"
	"strconv"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/server"
)

var healthKeys = []string{"draining_status"}

// HealthFactory is the app factory registered as "gowaitress#health": a
// liveness and readiness endpoint for load balancers and Kubernetes probes.
// Every request (any path, any method) is answered with 200 and the body
// "ok" while the server accepts work, and with draining_status and the body
// "draining" once the gowaitress server serving the request has begun a
// graceful Shutdown, so that a balancer takes the instance out of rotation
// while in-flight requests finish. A configuration reload does not drain:
// the server keeps serving through it, so health stays 200. When the
// request is not served by a gowaitress server (server.FromContext is nil,
// e.g. behind another http.Server), the answer is always 200. Responses
// are text/plain and carry "Cache-Control: no-store"; HEAD gets no body.
//
// Settings:
//
//   - draining_status (integer 200–599, default 503): the status answered
//     while the server drains.
func HealthFactory(global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("gowaitress#health", local, healthKeys); err != nil {
		return nil, err
	}
	g := config.NewGetter(local)
	status := g.IntRange("draining_status", http.StatusServiceUnavailable, 200, 599)
	if err := g.Err(); err != nil {
		return nil, err
	}
	return healthApp{drainingStatus: status}, nil
}

type healthApp struct{ drainingStatus int }

func (h healthApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := http.StatusOK, "ok\n"
	if s := server.FromContext(r.Context()); s != nil && s.Stats().Draining {
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
