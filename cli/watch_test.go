package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

func TestGlobAndFnmatch(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.pt", "b.txt", "sub/c.pt", "sub/deep/d.pt"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"*.pt", []string{"a.pt"}},
		{"**/*.pt", []string{"a.pt", "sub/c.pt", "sub/deep/d.pt"}},
		{"sub/**", []string{"sub/c.pt", "sub/deep/d.pt"}},
		{"b.txt", []string{"b.txt"}},
		{"missing.ini", []string{"missing.ini"}}, // a plain path is watched even before it exists
	}
	for _, tt := range tests {
		var got []string
		for _, p := range glob(filepath.Join(dir, tt.pattern)) {
			got = append(got, strings.TrimPrefix(p, dir+"/"))
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("glob(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	matches := []struct {
		pattern, path string
		want          bool
	}{
		{"*.swp", "/a/b/.x.swp", true}, // '*' crosses '/', as fnmatch
		{"/a/*/c", "/a/b/x/c", true},
		{"/a/?", "/a/bc", false},
		{"/a/[!b]", "/a/c", true},
		{"/a/[!b]", "/a/b", false},
		{"/a/b.ini", "/a/bxini", false},
	}
	for _, m := range matches {
		if got := fnmatch(m.pattern).MatchString(m.path); got != m.want {
			t.Errorf("fnmatch(%q, %q) = %v", m.pattern, m.path, got)
		}
	}
}

func TestReloadOnFileChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ini")
	inc := filepath.Join(dir, "inc.ini")
	watched := filepath.Join(dir, "templates", "page.pt")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Dir(watched), 0o755))
	must(os.WriteFile(path, []byte("[app:main]\nuse = config:inc.ini\n\n[server:main]\npaste.server_factory = blocking\n\n[pserve]\nwatch_files = templates/*.pt\nignore_files = *.swp\n"), 0o644))
	must(os.WriteFile(inc, []byte("[app:main]\npaste.app_factory = text\ntext = one\n"), 0o644))
	must(os.WriteFile(watched, []byte("v1"), 0o644))

	srv := &blockingServer{started: make(chan struct{}), stop: make(chan struct{})}
	reg := pastedeploy.NewRegistry()
	reg.Register("text", pastedeploy.AppFactory(func(g, l *config.Settings) (http.Handler, error) {
		return &closingApp{text: l.String("text"), closed: make(chan struct{})}, nil
	}))
	reg.Register("blocking", pastedeploy.ServerFactory(func(g, l *config.Settings) (pastedeploy.Server, error) { return srv, nil }))
	sigs := make(chan os.Signal, 1)
	stderr := &syncWriter{}
	done := make(chan int)
	go func() {
		done <- Run([]string{"serve", "--reload", "--reload-interval", "1", path}, Env{Stdout: io.Discard, Stderr: stderr, Registry: reg, Signals: sigs})
	}()
	<-srv.started

	// An included file is watched.
	time.Sleep(1100 * time.Millisecond) // mtimes and the first poll
	must(os.WriteFile(inc, []byte("[app:main]\npaste.app_factory = text\ntext = two\n"), 0o644))
	waitFor(t, func() bool { return srv.get(t) == "two" }, "the edit of the included file to be picked up")
	if !strings.Contains(stderr.String(), inc+" changed; reloading ...") {
		t.Errorf("stderr lacks the change line:\n%s", stderr.String())
	}
	// watch_files entries are watched; ignore_files are not. (The edit
	// may come while the first reload is still finishing: it is not lost.)
	waitFor(t, func() bool { return strings.Contains(stderr.String(), "Reloaded ") }, "the first reload to finish")
	n := strings.Count(stderr.String(), "Reloaded ")
	must(os.WriteFile(filepath.Join(dir, "templates", "x.swp"), []byte("ignored"), 0o644))
	must(os.WriteFile(watched, []byte("v2"), 0o644))
	waitFor(t, func() bool { return strings.Count(stderr.String(), "Reloaded ") > n }, "the watched template to trigger a reload")
	if strings.Contains(stderr.String(), "x.swp changed") {
		t.Errorf("an ignored file triggered a reload:\n%s", stderr.String())
	}
	sigs <- syscall.SIGTERM
	if code := <-done; code != ExitOK {
		t.Errorf("exit %d", code)
	}
}

// TestWatcherBase: a watcher started with the states taken before a
// reload reports an edit made while the reload ran; one started without
// them takes the edited file as its starting point and misses it.
func TestWatcherBase(t *testing.T) {
	for _, tc := range []struct {
		name     string
		withBase bool
		want     bool
	}{
		{"states from before the reload", true, true},
		{"no earlier states", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "app.ini")
			if err := os.WriteFile(p, []byte("v1"), 0o644); err != nil {
				t.Fatal(err)
			}
			old := newWatcher([]string{p}, nil, nil, time.Hour, nil)
			base := old.snapshot()
			old.stop()
			if err := os.WriteFile(p, []byte("v2"), 0o644); err != nil { // during the reload
				t.Fatal(err)
			}
			var b map[string]fileState
			if tc.withBase {
				b = base
			}
			w := newWatcher([]string{p}, nil, nil, 10*time.Millisecond, b)
			defer w.stop()
			select {
			case got := <-w.changes:
				if !tc.want {
					t.Errorf("reported %s", got)
				} else if got != p {
					t.Errorf("reported %s, want %s", got, p)
				}
			case <-time.After(300 * time.Millisecond):
				if tc.want {
					t.Error("the edit made during the reload was not reported")
				}
			}
		})
	}
}
