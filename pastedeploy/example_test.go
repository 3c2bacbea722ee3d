package pastedeploy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// exampleConfig writes text to a file named name in a new temporary
// directory and returns its path and a function removing the directory.
func exampleConfig(name, text string) (string, func()) {
	dir, err := os.MkdirTemp("", "pastedeploy-example")
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		log.Fatal(err)
	}
	return path, func() { os.RemoveAll(dir) }
}

func ExampleLoadApp() {
	reg := pastedeploy.NewRegistry()
	reg.Register("myproject#main", pastedeploy.AppFactory(func(global, local *config.Settings) (http.Handler, error) {
		greeting := local.String("greeting")
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s, %s!", greeting, r.URL.Query().Get("name"))
		}), nil
	}), pastedeploy.Keys("greeting"))

	path, cleanup := exampleConfig("development.ini", `
[DEFAULT]
who = world

[app:main]
use = egg:myproject
greeting = Hello
`)
	defer cleanup()

	app, err := pastedeploy.LoadApp("config:"+path, pastedeploy.WithRegistry(reg))
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/?name=gopher", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 Hello, gopher!
}

func ExampleLoadApp_pipeline() {
	reg := pastedeploy.NewRegistry()
	reg.Register("myproject#main", pastedeploy.AppFactory(func(global, local *config.Settings) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }), nil
	}))
	reg.Register("myproject#wrap", pastedeploy.FilterFactory(func(global, local *config.Settings) (pastedeploy.Filter, error) {
		label := local.String("label")
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, label+"[")
				next.ServeHTTP(w, r)
				io.WriteString(w, "]")
			})
		}, nil
	}))

	path, cleanup := exampleConfig("app.ini", `
[pipeline:main]
pipeline = outer inner app

[filter:outer]
use = egg:myproject#wrap
label = outer

[filter:inner]
use = egg:myproject#wrap
label = inner

[app:app]
use = egg:myproject
`)
	defer cleanup()

	app, err := pastedeploy.LoadApp(path, pastedeploy.WithRegistry(reg))
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Body.String())
	// Output: outer[inner[app]]
}

func ExampleAppConfig() {
	reg := pastedeploy.NewRegistry()
	reg.Register("myproject#main", pastedeploy.AppFactory(func(global, local *config.Settings) (http.Handler, error) {
		panic("AppConfig calls no factory")
	}))

	path, cleanup := exampleConfig("production.ini", `
[DEFAULT]
debug = false
db = sqlite:///%(here)s/app.db

[app:main]
use = egg:myproject
title = My %(name)s
name = project
set debug = true
`)
	defer cleanup()

	a, err := pastedeploy.AppConfig("config:"+path, pastedeploy.WithRegistry(reg),
		pastedeploy.WithVars(map[string]string{"port": "8080"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range a.Local.Keys() {
		fmt.Printf("local  %s = %s\n", k, a.Local.String(k))
	}
	for _, k := range []string{"debug", "port"} {
		v, _ := a.Global.Get(k)
		fmt.Printf("global %s = %s (%s)\n", k, v.Raw, v.Origin.Source)
	}
	db := a.Global.String("db")
	fmt.Println("db is in the config's directory:", db == "sqlite:///"+filepath.Dir(path)+"/app.db")
	// Output:
	// local  title = My project
	// local  name = project
	// global debug = true (set)
	// global port = 8080 (caller variable)
	// db is in the config's directory: true
}

func ExampleRegistry_Register() {
	reg := pastedeploy.NewRegistry()
	app := func(global, local *config.Settings) (http.Handler, error) { return http.NotFoundHandler(), nil }
	filter := func(global, local *config.Settings) (pastedeploy.Filter, error) {
		return func(h http.Handler) http.Handler { return h }, nil
	}
	reg.Register("myproject#main", app, pastedeploy.Description("the application"))
	reg.Register("myproject#main", filter) // one name, another protocol
	reg.Register("myproject.web:make_app", app, pastedeploy.Keys("root"), pastedeploy.Required("root"))
	reg.Register("Paste#urlmap", pastedeploy.CompositeFactory(func(l pastedeploy.Loader, g, local *config.Settings) (http.Handler, error) {
		return http.NotFoundHandler(), nil
	}))

	fmt.Println(reg.Names())
	for _, f := range reg.Factories() {
		fmt.Println(f.Name, f.Protocol, f.Required)
	}
	// Output:
	// [Paste#urlmap myproject#main myproject.web:make_app]
	// Paste#urlmap paste.composite_factory []
	// myproject#main paste.app_factory []
	// myproject#main paste.filter_factory []
	// myproject.web:make_app paste.app_factory [root]
}

// exampleServer serves until it is shut down.
type exampleServer struct {
	addr string
	stop chan struct{}
}

func (s *exampleServer) Serve(app http.Handler) error {
	fmt.Println("serving on", s.addr)
	<-s.stop
	return nil
}

func (s *exampleServer) Shutdown(ctx context.Context) error {
	close(s.stop)
	return nil
}

func ExampleLoadServer() {
	reg := pastedeploy.NewRegistry()
	reg.Register("waitress#main", pastedeploy.ServerFactory(func(global, local *config.Settings) (pastedeploy.Server, error) {
		return &exampleServer{addr: local.String("host") + ":" + local.String("port"), stop: make(chan struct{})}, nil
	}), pastedeploy.Keys("host", "port"))

	path, cleanup := exampleConfig("serve.ini", `
[DEFAULT]
port = 6543

[server:main]
use = egg:waitress#main
host = 127.0.0.1
get port = port
`)
	defer cleanup()

	srv, err := pastedeploy.LoadServer("config:"+path, pastedeploy.WithRegistry(reg))
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- srv.Serve(http.NotFoundHandler()) }()
	srv.Shutdown(context.Background())
	fmt.Println("stopped:", <-done)
	// Output:
	// serving on 127.0.0.1:6543
	// stopped: <nil>
}

func ExampleError() {
	reg := pastedeploy.NewRegistry()
	reg.Register("myproject#main", pastedeploy.AppFactory(func(global, local *config.Settings) (http.Handler, error) {
		return http.NotFoundHandler(), nil
	}), pastedeploy.Keys("greeting"))

	path, cleanup := exampleConfig("app.ini", `[app:main]
use = egg:myproject
greting = hi
`)
	defer cleanup()

	_, err := pastedeploy.LoadApp("config:"+path, pastedeploy.WithRegistry(reg))
	var e *pastedeploy.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind, filepath.Base(e.File), e.Line, e.Section, e.Key)
		fmt.Println(e.Msg)
	}
	fmt.Println(errors.Is(err, pastedeploy.ErrUnknownSetting))
	// Output:
	// unknown-setting app.ini 3 app:main greting
	// unknown setting for myproject#main (did you mean "greeting"?)
	// true
}
