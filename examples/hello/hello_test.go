package hello_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/examples/hello"
)

func TestHello(t *testing.T) {
	tests := []struct {
		name     string
		local    map[string]string
		method   string
		status   int
		contains []string
		wantErr  string
	}{
		{name: "default greeting", method: "GET", status: 200, contains: []string{"Hello from gowaitress", "<code>/x</code>"}},
		{name: "greeting setting", local: map[string]string{"greeting": "Hi <there>"}, method: "GET", status: 200, contains: []string{"Hi &lt;there&gt;"}},
		{name: "debug lists settings", local: map[string]string{"debug": "true", "greeting": "g"}, method: "GET", status: 200, contains: []string{"Settings", "greeting"}},
		{name: "POST refused", method: "POST", status: 405},
		{name: "bad boolean", local: map[string]string{"debug": "maybe"}, wantErr: `debug: want a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hello.New(config.NewSettings(), config.FromMap(tt.local, config.SourceSection))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, "/x", nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			for _, s := range tt.contains {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("body lacks %q:\n%s", s, rec.Body)
				}
			}
			if tt.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}
