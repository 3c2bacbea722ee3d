package builtins

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

func TestRegister(t *testing.T) {
	wantNames := []string{"Paste#urlmap", "Paste#cascade", "PasteDeploy#prefix", "Paste#translogger"}
	if got := Names(); !reflect.DeepEqual(got, wantNames) {
		t.Fatalf("Names() = %v", got)
	}
	protos := map[string]pastedeploy.Protocol{
		"Paste#urlmap": pastedeploy.ProtoComposite, "Paste#cascade": pastedeploy.ProtoComposite,
		"PasteDeploy#prefix": pastedeploy.ProtoFilterApp, "Paste#translogger": pastedeploy.ProtoFilter,
	}
	keys := map[string][]string{
		"Paste#urlmap": nil, "Paste#cascade": nil,
		"PasteDeploy#prefix": {"prefix", "scheme", "translate_forwarded_server", "force_port"},
		"Paste#translogger":  {"logger_name", "format", "logging_level", "setup_console_handler", "set_logger_level"},
	}
	for _, reg := range []*pastedeploy.Registry{pastedeploy.Default, func() *pastedeploy.Registry {
		r := pastedeploy.NewRegistry()
		Register(r)
		return r
	}()} {
		for _, n := range wantNames {
			f, ok := reg.Lookup(n, protos[n])
			if !ok {
				t.Errorf("%s not registered as %v", n, protos[n])
				continue
			}
			if f.Description == "" {
				t.Errorf("%s has no description", n)
			}
			if !reflect.DeepEqual(f.Keys, keys[n]) {
				t.Errorf("%s keys %v, want %v", n, f.Keys, keys[n])
			}
		}
	}

	r := pastedeploy.NewRegistry()
	Register(r, "PasteDeploy#prefix", "Paste#urlmap")
	if got := r.Names(); !reflect.DeepEqual(got, []string{"Paste#urlmap", "PasteDeploy#prefix"}) {
		t.Errorf("selective Register: %v", got)
	}
	func() {
		defer func() {
			if v := recover(); v == nil || !strings.Contains(v.(string), "Paste#nope") {
				t.Errorf("unknown name: recover() = %v", v)
			}
		}()
		Register(r, "Paste#nope")
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering twice did not panic")
			}
		}()
		Register(r, "Paste#urlmap")
	}()
}
