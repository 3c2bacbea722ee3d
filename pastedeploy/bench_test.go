package pastedeploy

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/config"
)

// benchApps, benchShared: the sizes of the generated configuration.
const (
	benchApps   = 150 // [app:aN] sections of main.ini
	benchShared = 40  // [app:sN] sections of main.ini that use config:sub/shared.ini#xN
)

// writeBenchConfig writes main.ini (about 200 sections) and sub/shared.ini
// into dir and returns the path of main.ini.
func writeBenchConfig(b *testing.B, dir string) string {
	b.Helper()
	var m strings.Builder
	m.WriteString(`[DEFAULT]
debug = false
name = bench
root = %(here)s/data
log_level = INFO
cache_dir = %(root)s/cache

`)
	var all []string
	for i := 0; i < benchApps; i++ {
		n := fmt.Sprintf("a%d", i)
		all = append(all, n)
		fmt.Fprintf(&m, `[app:%s]
use = egg:bench#app
path = %%(here)s/%s/static
title = %%(name)s app %d
db = sqlite:///%%(root)s/%s.db
templates = %%(here)s/templates
	%%(root)s/templates/%s
retries = %d
label = %%(title)s (%%(path)s)

`, n, n, i, n, n, i%7)
	}
	for i := 0; i < benchShared; i++ {
		n := fmt.Sprintf("s%d", i)
		all = append(all, n)
		fmt.Fprintf(&m, "[app:%s]\nuse = config:sub/shared.ini#x%d\nextra = %%(name)s-%d\n\n", n, i, i)
	}
	m.WriteString(`[filter:auth]
use = egg:bench#filter
realm = %(name)s

[filter:log]
use = egg:bench#filter
level = %(log_level)s

[filter:gzip]
use = egg:bench#filter
level = 6

[pipeline:p1]
pipeline = log auth a0

[pipeline:p2]
pipeline = gzip log a1

`)
	all = append(all, "p1", "p2")
	fmt.Fprintf(&m, "[composite:main]\nuse = egg:bench#composite\napps = %s\n", strings.Join(all, "\n\t"))
	main := writeConfig(b, dir, "main.ini", m.String())

	var s strings.Builder
	s.WriteString("[DEFAULT]\nname = shared\nbase = %(here)s/shared\n\n")
	for i := 0; i < benchShared; i++ {
		fmt.Fprintf(&s, "[app:x%d]\nuse = egg:bench#app\npath = %%(base)s/x%d\ntitle = %%(name)s %d\nlevel = %%(log_level)s\n\n", i, i, i)
	}
	writeConfig(b, dir, "sub/shared.ini", s.String())
	return main
}

// benchRegistry holds the stub factories of the benchmark: an app, a filter
// and a composite that loads every app listed in its "apps" setting.
func benchRegistry() *Registry {
	r := NewRegistry()
	r.Register("bench#app", AppFactory(func(global, local *config.Settings) (http.Handler, error) {
		return tagHandler(local.String("path")), nil
	}))
	r.Register("bench#filter", FilterFactory(func(global, local *config.Settings) (Filter, error) {
		return func(h http.Handler) http.Handler { return h }, nil
	}))
	r.Register("bench#composite", CompositeFactory(func(l Loader, global, local *config.Settings) (http.Handler, error) {
		mux := http.NewServeMux()
		for _, name := range local.Words("apps", nil) {
			h, err := l.GetApp(name, global)
			if err != nil {
				return nil, err
			}
			mux.Handle("/"+name+"/", h)
		}
		return mux, nil
	}))
	return r
}

func BenchmarkLoadApp200(b *testing.B) {
	path := writeBenchConfig(b, b.TempDir())
	reg := benchRegistry()
	uri := "config:" + path
	// A first load checks the configuration.
	if _, err := LoadApp(uri, WithRegistry(reg), WithVars(map[string]string{"log_level": "DEBUG"})); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := LoadApp(uri, WithRegistry(reg), WithVars(map[string]string{"log_level": "DEBUG"})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseINI200 is the parsing part of BenchmarkLoadApp200 alone.
func BenchmarkParseINI200(b *testing.B) {
	path := writeBenchConfig(b, b.TempDir())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := readINI(path); err != nil {
			b.Fatal(err)
		}
	}
}
