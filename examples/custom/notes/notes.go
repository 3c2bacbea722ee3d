// Package notes is the application of the examples/custom program: a tiny
// in-memory note board with a JSON API, built by a factory registered as
// "notes#main" — so its config says `use = egg:notes`.
//
// Settings:
//
//	title      the board's title (default "Notes")
//	max_notes  integer ≥ 1, the most notes kept; older ones are dropped (default 100)
//	max_size   byte size (e.g. 4K), the largest note accepted (default 1K)
package notes

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

func init() {
	pastedeploy.Register("notes#main", pastedeploy.AppFactory(New),
		pastedeploy.Description("example user app: an in-memory note board (GET and POST /notes)"),
		pastedeploy.Keys("title", "max_notes", "max_size"))
}

// New builds the app from its settings; every bad value is reported at once.
func New(global, local *config.Settings) (http.Handler, error) {
	g := config.NewGetter(local)
	b := &board{
		title:    local.String("title"),
		maxNotes: g.IntRange("max_notes", 100, 1, 1_000_000),
		maxSize:  g.ByteSize("max_size", 1024),
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	if b.title == "" {
		b.title = "Notes"
	}
	return b, nil
}

type board struct {
	title    string
	maxNotes int
	maxSize  int64

	mu    sync.Mutex
	notes []string
}

func (b *board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"title": b.title, "notes": environ.ScriptName(r) + "/notes"})
	case r.URL.Path == "/notes" && r.Method == http.MethodGet:
		b.mu.Lock()
		notes := append([]string{}, b.notes...)
		b.mu.Unlock()
		writeJSON(w, http.StatusOK, notes)
	case r.URL.Path == "/notes" && r.Method == http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, b.maxSize+1))
		if err != nil {
			http.Error(w, "cannot read the note", http.StatusBadRequest)
			return
		}
		if int64(len(body)) > b.maxSize {
			http.Error(w, "note too large", http.StatusRequestEntityTooLarge)
			return
		}
		b.mu.Lock()
		b.notes = append(b.notes, string(body))
		if len(b.notes) > b.maxNotes {
			b.notes = b.notes[len(b.notes)-b.maxNotes:]
		}
		b.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]int{"stored": len(body)})
	case r.URL.Path == "/" || r.URL.Path == "/notes":
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
