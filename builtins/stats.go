package builtins

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
	"github.com/gowaitress/gowaitress/server"
)

// statsReport is the JSON document gowaitress#stats answers with.
type statsReport struct {
	OpenConnections int     `json:"open_connections"` // client connections open
	BusyThreads     int     `json:"busy_threads"`     // threads slots running a handler (this request included)
	IdleThreads     int     `json:"idle_threads"`     // free threads slots
	Queued          int     `json:"queued_requests"`  // requests waiting for a slot
	Served          int64   `json:"requests_served"`  // handlers completed
	BytesIn         int64   `json:"bytes_in"`         // bytes read from client sockets
	BytesOut        int64   `json:"bytes_out"`        // bytes written to client sockets
	UptimeSeconds   float64 `json:"uptime_seconds"`   // seconds since the server was created
	Draining        bool    `json:"draining"`         // a graceful shutdown has begun
}

// StatsFactory is the app factory registered as "gowaitress#stats": every
// request (any path, any method) is answered with 200 and a JSON snapshot
// of the gowaitress server serving it (server.Stats) — the saturation
// figures waitress users ask for:
//
//	{"open_connections": 3, "busy_threads": 1, "idle_threads": 3,
//	 "queued_requests": 0, "requests_served": 1234, "bytes_in": 98765,
//	 "bytes_out": 4567890, "uptime_seconds": 3600.5, "draining": false}
//
// busy_threads counts the stats request itself. When the request is not
// served by a gowaitress server (server.FromContext is nil), the answer is
// 503 with {"error": "..."} saying so. Responses carry
// "Cache-Control: no-store"; HEAD gets no body. The figures tell
// outsiders how loaded the server is: mount it where only operators can
// reach it (behind Paste#grantip, for example).
//
// Settings: none.
func StatsFactory(global, local *config.Settings) (http.Handler, error) {
	var errs []error
	for k, v := range local.All() {
		errs = append(errs, settingError(pastedeploy.ErrUnknownSetting, k, v, "unknown setting for gowaitress#stats (it takes no settings)"))
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	return statsApp{}, nil
}

var errNoServer = errors.New("this request is not served by a gowaitress server, so there are no server statistics")

type statsApp struct{}

func (statsApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	s := server.FromContext(r.Context())
	var doc any
	status := http.StatusOK
	if s == nil {
		status = http.StatusServiceUnavailable
		doc = map[string]string{"error": errNoServer.Error()}
	} else {
		st := s.Stats()
		doc = statsReport{
			OpenConnections: st.OpenConnections, BusyThreads: st.Busy, IdleThreads: st.Idle,
			Queued: st.Queued, Served: st.Served, BytesIn: st.BytesIn, BytesOut: st.BytesOut,
			UptimeSeconds: st.Uptime.Seconds(), Draining: st.Draining,
		}
	}
	b, _ := json.Marshal(doc)
	b = append(b, '\n')
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
