// Package hello is the example application of gowaitress: a small
// http.Handler built by a named factory, the way a Pyramid project's
// `main(global_config, **settings)` builds its WSGI app.
//
// It registers the app factory "hello#main", so a config file says
//
//	[app:main]
//	use = egg:hello
//	greeting = Hello from development.ini
//
// Settings (all optional):
//
//	greeting  the text of the page's heading (default "Hello from gowaitress")
//	debug     strict boolean; when true the page lists every setting the
//	          factory received and where it came from (default false)
package hello

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

func init() {
	pastedeploy.Register("hello#main", pastedeploy.AppFactory(New),
		pastedeploy.Description("example app: a page that shows how the request reached it"),
		pastedeploy.Keys("greeting", "debug"))
}

// New is the app factory: it reads its settings and returns the handler.
func New(global, local *config.Settings) (http.Handler, error) {
	g := config.NewGetter(local)
	app := &app{greeting: local.String("greeting"), debug: g.Bool("debug", false)}
	if err := g.Err(); err != nil {
		return nil, err
	}
	if app.greeting == "" {
		app.greeting = "Hello from gowaitress"
	}
	if app.debug {
		for _, s := range []*config.Settings{global, local} {
			for k, v := range s.All() {
				app.settings = append(app.settings, setting{k, v.Raw, v.Origin.Describe()})
			}
		}
		sort.Slice(app.settings, func(i, j int) bool { return app.settings[i].Key < app.settings[j].Key })
	}
	return app, nil
}

type setting struct{ Key, Value, From string }

type app struct {
	greeting string
	debug    bool
	settings []setting
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Greeting}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}
td,th{text-align:left;padding:.15rem .8rem .15rem 0;vertical-align:top}code{background:#f3f3f3;padding:0 .2rem}</style></head>
<body><h1>{{.Greeting}}</h1>
<p>This page is served by the example app <code>hello#main</code> through gowaitress.</p>
<table>
<tr><th>script name</th><td><code>{{.ScriptName}}</code></td></tr>
<tr><th>path</th><td><code>{{.Path}}</code></td></tr>
<tr><th>scheme</th><td><code>{{.Scheme}}</code></td></tr>
<tr><th>host</th><td><code>{{.Host}}</code></td></tr>
<tr><th>client</th><td><code>{{.Remote}}</code></td></tr>
</table>
{{if .Settings}}<h2>Settings</h2><table>{{range .Settings}}
<tr><td><code>{{.Key}}</code></td><td><code>{{.Value}}</code></td><td>{{.From}}</td></tr>{{end}}
</table>{{end}}
</body></html>
`))

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := page.Execute(w, map[string]any{
		"Greeting": a.greeting, "ScriptName": environ.ScriptName(r), "Path": r.URL.Path,
		"Scheme": environ.Scheme(r), "Host": r.Host, "Remote": r.RemoteAddr, "Settings": a.settings,
	})
	if err != nil {
		panic(fmt.Sprintf("hello: rendering the page: %v", err))
	}
}
