package notes_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/examples/custom/notes"
)

func TestNotes(t *testing.T) {
	h, err := notes.New(config.NewSettings(), config.FromMap(map[string]string{"max_notes": "2", "max_size": "5"}, config.SourceSection))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/", "", 200, `"title":"Notes"`},
		{"POST", "/notes", "one", 201, `"stored":3`},
		{"POST", "/notes", "two", 201, ""},
		{"POST", "/notes", "three", 201, ""},
		{"POST", "/notes", "toolong", 413, ""},
		{"GET", "/notes", "", 200, `["two","three"]`},
		{"DELETE", "/notes", "", 405, ""},
		{"GET", "/nope", "", 404, ""},
	}
	for _, s := range steps {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(s.method, s.path, strings.NewReader(s.body)))
		if rec.Code != s.status || !strings.Contains(rec.Body.String(), s.want) {
			t.Errorf("%s %s: %d %q, want %d containing %q", s.method, s.path, rec.Code, rec.Body, s.status, s.want)
		}
	}
}

func TestNotesSettingsErrors(t *testing.T) {
	_, err := notes.New(config.NewSettings(), config.FromMap(map[string]string{"max_notes": "0", "max_size": "1KB"}, config.SourceSection))
	if err == nil || !strings.Contains(err.Error(), "max_notes") || !strings.Contains(err.Error(), "max_size") {
		t.Fatalf("err = %v, want both settings named", err)
	}
}
