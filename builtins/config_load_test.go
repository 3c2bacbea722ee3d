package builtins

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

// The new built-ins load from a configuration file under their Paste names,
// in pipelines and filter-app sections, with document_root and htpasswd
// relative to the file.
func TestNewBuiltinsFromINI(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "public", "errors"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "public", "index.html"), []byte("<p>"+strings.Repeat("index ", 100)+"</p>"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "public", "errors", "404.html"), []byte("custom not found"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("alice:"+bcryptHash(t, "pw", "$2y$")+"\n"), 0o600))
	ini := `
[composite:main]
use = egg:Paste#urlmap
/ = site
/echo = echo
/private = private

[pipeline:site]
pipeline = catcher gzip errors static

[filter:catcher]
use = egg:Paste#error_catcher

[filter:gzip]
use = egg:Paste#gzip
compress_level = 5

[filter:errors]
use = egg:Paste#errordocument
404 = /errors/404.html

[app:static]
use = egg:Paste#static
document_root = public
cache_max_age = 3600

[app:echo]
use = egg:gowaitress#echo

[filter-app:private]
use = egg:Paste#auth_basic
htpasswd = %(here)s/htpasswd
realm = private
next = guarded

[filter-app:guarded]
use = egg:Paste#grantip
127.0.0.1 = -:local
next = echo
`
	cfg := filepath.Join(dir, "site.ini")
	must(os.WriteFile(cfg, []byte(ini), 0o644))
	app, err := pastedeploy.LoadApp("config:" + cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()

	get := func(path string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		b, _ := io.ReadAll(r)
		return resp, string(b)
	}
	resp, body := get("/", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(body, "index index") ||
		resp.Header.Get("Cache-Control") != "max-age=3600" {
		t.Errorf("/: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, body = get("/nope")
	if resp.StatusCode != 404 || body != "custom not found" {
		t.Errorf("/nope: %d %q", resp.StatusCode, body)
	}
	resp, body = get("/echo/x?y=1")
	if resp.StatusCode != 200 || !strings.Contains(body, `"script_name": "/echo"`) || !strings.Contains(body, `"path": "/x"`) {
		t.Errorf("/echo: %d %q", resp.StatusCode, body)
	}
	resp, _ = get("/private/")
	if resp.StatusCode != 401 || resp.Header.Get("Www-Authenticate") == "" {
		t.Errorf("/private: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body = get("/private/", "Authorization", basic("alice", "pw"))
	if resp.StatusCode != 200 || !strings.Contains(body, `"remote_user": "alice"`) {
		t.Errorf("/private authed: %d %q", resp.StatusCode, body)
	}

	// Unknown keys are reported with a suggestion by the loader too.
	bad := filepath.Join(dir, "bad.ini")
	must(os.WriteFile(bad, []byte("[app:main]\nuse = egg:Paste#static\ndocument_root = public\ncache_max_ag = 1\n"), 0o644))
	if _, err := pastedeploy.LoadApp("config:" + bad); err == nil || !strings.Contains(err.Error(), "cache_max_age") {
		t.Errorf("bad.ini: %v", err)
	}
	must(os.WriteFile(bad, []byte("[app:main]\nuse = egg:Paste#proxy\n"), 0o644))
	if _, err := pastedeploy.LoadApp("config:" + bad); err == nil || !strings.Contains(err.Error(), "address") {
		t.Errorf("missing address: %v", err)
	}
}
