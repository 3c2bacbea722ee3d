package stubs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// The conformance harnesses test the factories; this tests what only the
// command-line tests see: the stub server's report.
func TestServerReport(t *testing.T) {
	var out strings.Builder
	rec := NewRecorder(&out)
	reg := pastedeploy.NewRegistry()
	if err := rec.Register(reg, Spec{Kind: "server", Name: "s"}, Spec{Kind: "app", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Register(reg, Spec{Kind: "nope", Name: "x"}); err == nil {
		t.Error("an unknown kind was registered")
	}
	sf, _ := rec.Factory(Spec{Kind: "server", Name: "s"})
	af, _ := rec.Factory(Spec{Kind: "app", Name: "a"})
	global := config.FromMap(map[string]string{"here": "/d"}, config.SourceGo)
	srv, err := sf.(pastedeploy.ServerFactory)(global, config.FromMap(map[string]string{"port": "1"}, config.SourceGo))
	if err != nil {
		t.Fatal(err)
	}
	app, err := af.(pastedeploy.AppFactory)(global, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(app); err != nil {
		t.Fatal(err)
	}
	want := `{"calls":[` +
		`{"kind":"server","name":"s","global_conf":{"here":"/d"},"local_conf":{"port":"1"}},` +
		`{"kind":"app","name":"a","global_conf":{"here":"/d"},"local_conf":{}}],` +
		`"app":{"app":"a","call":1}}` + "\n"
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
	got := SubstDir(map[string]any{"${DIR}/k": []any{"${DIR}", 1.0}}, "/x")
	if want := map[string]any{"/x/k": []any{"/x", 1.0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("SubstDir: %v, want %v", got, want)
	}
}
