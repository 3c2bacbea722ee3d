package builtins

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/environ"
)

func TestEcho(t *testing.T) {
	h, err := EchoFactory(settings("DEFAULT"), settings("app:echo", "max_body", "10"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		n          int64
		capped     bool
	}{
		{"small", "hello", 5, false},
		{"capped", strings.Repeat("x", 100), 10, true},
		{"empty", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/a%2Fb/c?x=1&y", strings.NewReader(tc.body))
			r.Host = "front.example:8080"
			r.RemoteAddr = "192.0.2.1:999"
			r.Header.Set("X-Test", "v")
			r = environ.WithFacts(r, environ.Facts{ScriptName: "/mnt", Scheme: "https", ServerName: "srv", ServerPort: "8443"})
			r = setRemoteUser(r, "alice")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var rep echoReport
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatalf("%v: %q", err, rec.Body.String())
			}
			want := echoReport{Method: "POST", Path: "/a/b/c", RawPath: "/a%2Fb/c", RawQuery: "x=1&y", ScriptName: "/mnt",
				Scheme: "https", Host: "front.example:8080", ServerName: "srv", ServerPort: "8443",
				RemoteAddr: "192.0.2.1:999", RemoteUser: "alice", Proto: "HTTP/1.1", BodyLength: tc.n, BodyCapped: tc.capped}
			got := rep
			got.Headers = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if rep.Headers.Get("X-Test") != "v" || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("headers %v / %v", rep.Headers, rec.Header())
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("HEAD", "/", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d %q", rec.Code, rec.Body.String())
	}
	for _, kv := range [][]string{{"max_body", "lots"}, {"maxbody", "1"}} {
		if _, err := EchoFactory(settings("DEFAULT"), settings("app:echo", kv...)); err == nil {
			t.Errorf("%v accepted", kv)
		}
	}
	if _, err := EchoFactory(settings("DEFAULT"), settings("app:echo")); err != nil {
		t.Error(err)
	}
	_ = http.MethodGet
}
