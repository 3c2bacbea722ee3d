package builtins

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

func TestRegister(t *testing.T) {
	wantNames := []string{"Paste#urlmap", "Paste#cascade", "PasteDeploy#prefix", "Paste#translogger",
		"Paste#static", "Paste#proxy", "Paste#transparent_proxy", "Paste#gzip", "Paste#auth_basic",
		"Paste#grantip", "Paste#errordocument", "Paste#error_catcher", "gowaitress#echo",
		"gowaitress#health", "gowaitress#stats"}
	if got := Names(); !reflect.DeepEqual(got, wantNames) {
		t.Fatalf("Names() = %v", got)
	}
	protos := map[string]pastedeploy.Protocol{
		"Paste#urlmap": pastedeploy.ProtoComposite, "Paste#cascade": pastedeploy.ProtoComposite,
		"PasteDeploy#prefix": pastedeploy.ProtoFilterApp, "Paste#translogger": pastedeploy.ProtoFilter,
		"Paste#static": pastedeploy.ProtoApp, "Paste#proxy": pastedeploy.ProtoApp,
		"Paste#transparent_proxy": pastedeploy.ProtoApp, "Paste#gzip": pastedeploy.ProtoFilterApp,
		"Paste#auth_basic": pastedeploy.ProtoFilterApp, "Paste#grantip": pastedeploy.ProtoFilterApp,
		"Paste#errordocument": pastedeploy.ProtoFilterApp, "Paste#error_catcher": pastedeploy.ProtoFilterApp,
		"gowaitress#echo": pastedeploy.ProtoApp, "gowaitress#health": pastedeploy.ProtoApp,
		"gowaitress#stats": pastedeploy.ProtoApp,
	}
	keys := map[string][]string{
		"Paste#urlmap": nil, "Paste#cascade": nil,
		"PasteDeploy#prefix":      {"prefix", "scheme", "translate_forwarded_server", "force_port"},
		"Paste#translogger":       {"logger_name", "format", "logging_level", "setup_console_handler", "set_logger_level"},
		"Paste#static":            {"document_root", "cache_max_age"},
		"Paste#proxy":             {"address", "allowed_request_methods", "suppress_http_headers"},
		"Paste#transparent_proxy": {"force_host", "force_scheme", "allowed_request_methods", "suppress_http_headers"},
		"Paste#gzip":              {"compress_level", "min_size"},
		"Paste#auth_basic":        {"htpasswd", "realm", "authfunc"},
		"Paste#grantip":           nil,
		"Paste#errordocument":     nil,
		"Paste#error_catcher":     errorCatcherKeys,
		"gowaitress#echo":         {"max_body"},
		"gowaitress#health":       {"draining_status", "during_reload"},
		"gowaitress#stats":        nil,
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
			if want := map[string][]string{"Paste#static": {"document_root"}, "Paste#proxy": {"address"},
				"Paste#auth_basic": {"htpasswd"}}[n]; !reflect.DeepEqual(f.Required, want) {
				t.Errorf("%s required %v, want %v", n, f.Required, want)
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
