package pastedeploy_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// describe writes a node tree as one line per node: role, type, factory,
// section and local settings with their source.
func describe(b *strings.Builder, role string, n *pastedeploy.Node, depth int) {
	b.WriteString(strings.Repeat("  ", depth) + role + ": " + n.Type)
	if n.Factory != "" {
		b.WriteString(" " + n.Factory + " (" + n.Protocol.String() + ")")
	}
	if n.Section != "" {
		b.WriteString(" [" + n.Section + "]")
	}
	for k, v := range n.Local.All() {
		b.WriteString(" " + k + "=" + v.Raw + "<" + v.Origin.Source.String() + ">")
	}
	b.WriteString("\n")
	for _, c := range n.Children {
		describe(b, c.Role, c.Node, depth+1)
	}
}

func TestLoadContext(t *testing.T) {
	dir := t.TempDir()
	ini := `[DEFAULT]
g = 1

[pipeline:main]
pipeline = f1 app
filter-with = outer

[filter:f1]
paste.filter_factory = f
level = %(g)s

[filter:outer]
paste.filter_factory = f

[app:app]
paste.app_factory = a
get x = g
`
	path := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(path, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	called := false
	reg := pastedeploy.NewRegistry()
	reg.Register("a", pastedeploy.AppFactory(func(g, l *config.Settings) (http.Handler, error) {
		called = true
		return http.NotFoundHandler(), nil
	}))
	reg.Register("f", pastedeploy.FilterFactory(func(g, l *config.Settings) (pastedeploy.Filter, error) {
		called = true
		return func(h http.Handler) http.Handler { return h }, nil
	}), pastedeploy.Keys("level"))

	n, err := pastedeploy.LoadContext(pastedeploy.KindApp, path, pastedeploy.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("LoadContext called a factory")
	}
	var b strings.Builder
	describe(&b, "main", n, 0)
	want := `main: filter-with [pipeline:main]
  filter: factory f (paste.filter_factory) [filter:outer]
  next: pipeline [pipeline:main]
    filter: factory f (paste.filter_factory) [filter:f1] level=1<section>
    app: factory a (paste.app_factory) [app:app] x=1<get>
`
	if b.String() != want {
		t.Errorf("graph:\n%s\nwant:\n%s", b.String(), want)
	}

	// Declared keys are checked, without building.
	bad := strings.Replace(ini, "level = %(g)s", "levle = 2", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pastedeploy.LoadContext(pastedeploy.KindApp, path, pastedeploy.WithRegistry(reg)); err == nil ||
		!strings.Contains(err.Error(), `[filter:f1] levle: unknown setting for f (did you mean "level"?)`) {
		t.Errorf("err = %v", err)
	}
}

func TestWithNodeObserver(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(path, []byte("[app:main]\npaste.app_factory = a\nk = v\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var events []string
	reg := pastedeploy.NewRegistry()
	reg.Register("a", pastedeploy.AppFactory(func(g, l *config.Settings) (http.Handler, error) {
		events = append(events, "factory")
		return http.NotFoundHandler(), nil
	}))
	_, err := pastedeploy.LoadApp(path, pastedeploy.WithRegistry(reg), pastedeploy.WithNodeObserver(func(n *pastedeploy.Node) {
		events = append(events, "node "+n.Factory+" k="+n.Local.String("k"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(events, ", "); got != "node a k=v, factory" {
		t.Errorf("events: %s", got)
	}
}
