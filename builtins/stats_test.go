package builtins

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

func getStats(t *testing.T, url string) statsReport {
	t.Helper()
	status, hdr, body := fetch(t, "GET", url)
	if status != 200 || hdr.Get("Content-Type") != "application/json" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v %q", status, hdr, body)
	}
	var rep statsReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("%v: %q", err, body)
	}
	return rep
}

func TestStatsSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kv      []string
		wantErr string
	}{
		{"none", nil, ""},
		{"unknown key", []string{"indent", "true"}, "takes no settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := StatsFactory(settings("DEFAULT"), settings("app:stats", tc.kv...))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestStats(t *testing.T) {
	h, err := StatsFactory(settings("DEFAULT"), settings("app:stats"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/stats", h)
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
	s, base := startServer(t, mux)

	first := getStats(t, base+"/stats")
	if first.BusyThreads != 1 || first.IdleThreads != s.Options().Threads-1 || first.OpenConnections < 1 ||
		first.Queued != 0 || first.Draining || first.UptimeSeconds <= 0 || first.BytesIn <= 0 {
		t.Errorf("first snapshot: %+v", first)
	}
	for _, tc := range []struct {
		name  string
		check func(before, after statsReport) bool
	}{
		{"requests_served grows by the requests made", func(b, a statsReport) bool { return a.Served == b.Served+4 }},
		{"bytes_in grows", func(b, a statsReport) bool { return a.BytesIn > b.BytesIn }},
		{"bytes_out grows", func(b, a statsReport) bool { return a.BytesOut > b.BytesOut && a.BytesOut > 0 }},
		{"uptime grows", func(b, a statsReport) bool { return a.UptimeSeconds >= b.UptimeSeconds }},
		{"not draining", func(b, a statsReport) bool { return !a.Draining }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := getStats(t, base+"/stats")
			for range 3 {
				if status, _, body := fetch(t, "GET", base+"/hello"); status != 200 || body != "hello" {
					t.Fatalf("%d %q", status, body)
				}
			}
			after := getStats(t, base+"/stats") // the first stats request counts as served too
			if !tc.check(before, after) {
				t.Errorf("before %+v\nafter  %+v", before, after)
			}
		})
	}

	t.Run("HEAD", func(t *testing.T) {
		status, hdr, body := fetch(t, "HEAD", base+"/stats")
		if status != 200 || body != "" || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%d %v %q", status, hdr, body)
		}
	})
	t.Run("not served by gowaitress", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		var doc map[string]string
		if rec.Code != 503 || json.Unmarshal(rec.Body.Bytes(), &doc) != nil || !strings.Contains(doc["error"], "not served by a gowaitress server") {
			t.Errorf("%d %q", rec.Code, rec.Body.String())
		}
	})
}

// Both load from a configuration file and work behind urlmap.
func TestHealthStatsFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "site.ini")
	ini := "[composite:main]\nuse = egg:Paste#urlmap\n/healthz = health\n/stats = stats\n\n" +
		"[app:health]\nuse = egg:gowaitress#health\ndraining_status = 503\n\n[app:stats]\nuse = egg:gowaitress#stats\n"
	if err := os.WriteFile(cfg, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := pastedeploy.LoadApp("config:" + cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServer(t, app)
	if status, _, body := fetch(t, "GET", base+"/healthz"); status != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", status, body)
	}
	if rep := getStats(t, base+"/stats"); rep.Served < 1 || rep.BytesOut <= 0 {
		t.Errorf("/stats: %+v", rep)
	}
}
