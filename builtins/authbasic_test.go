package builtins

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func bcryptHash(t *testing.T, pw, prefix string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(h[4:])
}

func writeHtpasswd(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func userApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("user=" + RemoteUser(r)))
	})
}

func TestAuthBasic(t *testing.T) {
	file := writeHtpasswd(t, "# users\n\nalice:"+bcryptHash(t, "secret", "$2y$")+"\r\n"+
		"bob:"+bcryptHash(t, "pässword", "$2b$")+"\ncarol:"+bcryptHash(t, "c", "$2a$")+"\n")
	h, err := AuthBasicFactory(userApp(), settings("DEFAULT"), settings("filter:auth", "htpasswd", file, "realm", `My "Realm"`))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 80)
	for _, tc := range []struct {
		name string
		auth []string
		user string // "" → 401
	}{
		{"alice", []string{basic("alice", "secret")}, "alice"},
		{"alice again (cached)", []string{basic("alice", "secret")}, "alice"},
		{"utf-8 password", []string{basic("bob", "pässword")}, "bob"},
		{"2a", []string{basic("carol", "c")}, "carol"},
		{"scheme case", []string{"bAsIc " + base64.StdEncoding.EncodeToString([]byte("alice:secret"))}, "alice"},
		{"wrong password", []string{basic("alice", "Secret")}, ""},
		{"unknown user", []string{basic("mallory", "secret")}, ""},
		{"none", nil, ""},
		{"empty", []string{""}, ""},
		{"two headers", []string{basic("alice", "secret"), basic("alice", "secret")}, ""},
		{"bearer", []string{"Bearer abc"}, ""},
		{"no token", []string{"Basic"}, ""},
		{"bad base64", []string{"Basic !!!notbase64"}, ""},
		{"unpadded", []string{"Basic " + strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("alice:secret1")), "=")}, ""},
		{"no colon", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alicesecret"))}, ""},
		{"empty user", []string{basic("", "secret")}, ""},
		{"non-utf8", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:\xff\xfe"))}, ""},
		{"control char", []string{basic("alice\n", "secret")}, ""},
		{"huge", []string{"Basic " + strings.Repeat("A", 8192)}, ""},
		{"long password", []string{basic("alice", "secret"+long)}, ""},
		{"prefix of password", []string{basic("alice", "secre")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, a := range tc.auth {
				r.Header.Add("Authorization", a)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if tc.user == "" {
				if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Basic realm="My \"Realm\"", charset="UTF-8"` {
					t.Fatalf("%d %v %q", rec.Code, rec.Header(), rec.Body.String())
				}
				return
			}
			if rec.Code != 200 || rec.Body.String() != "user="+tc.user {
				t.Fatalf("%d %q", rec.Code, rec.Body.String())
			}
		})
	}
}

func TestAuthBasicRemoteUserInTranslogger(t *testing.T) {
	file := writeHtpasswd(t, "alice:"+bcryptHash(t, "secret", "$2y$")+"\n")
	auth, err := AuthBasicFactory(userApp(), settings("DEFAULT"), settings("filter:auth", "htpasswd", file))
	if err != nil {
		t.Fatal(err)
	}
	h, logs, _ := buildTranslogger(t, auth, "setup_console_handler", "false")
	for _, a := range []string{basic("alice", "secret"), basic("alice", "nope")} {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Authorization", a)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	all := logs.All()
	if len(all) != 2 || !strings.Contains(all[0].Message, " - alice [") || !strings.Contains(all[1].Message, " - - [") {
		t.Fatalf("lines %v", all)
	}
}

func TestAuthBasicLoad(t *testing.T) {
	good := bcryptHash(t, "x", "$2y$")
	for _, tc := range []struct {
		name, content string
		kv            []string
		want          string
	}{
		{"md5", "alice:" + good + "\nbob:$apr1$abc$def\n", nil, "htpasswd:2: user \"bob\": Apache MD5 ($apr1$) hashes are not accepted"},
		{"sha", "bob:{SHA}abc=\n", nil, "htpasswd:1: user \"bob\": SHA-1 ({SHA})"},
		{"crypt", "bob:abcdefghijklm\n", nil, "crypt or plain text"},
		{"sha512", "bob:$6$salt$hash\n", nil, "SHA-crypt"},
		{"malformed bcrypt", "bob:$2y$10$short\n", nil, "malformed bcrypt hash"},
		{"no colon", "bob\n", nil, "htpasswd:1: want user:hash"},
		{"duplicate", "bob:" + good + "\nbob:" + good + "\n", nil, "appears twice"},
		{"authfunc", "", []string{"authfunc", "myapp.auth:check"}, "Python callable"},
		{"unknown", "", []string{"relm", "x"}, `did you mean "realm"`},
		{"realm control", "", []string{"realm", "a\x01b"}, "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv := append([]string{"htpasswd", writeHtpasswd(t, tc.content)}, tc.kv...)
			_, err := AuthBasicFactory(userApp(), settings("DEFAULT"), settings("filter:auth", kv...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	_, err := AuthBasicFactory(userApp(), settings("DEFAULT"), settings("filter:auth"))
	if err == nil || !strings.Contains(err.Error(), "htpasswd: required setting missing") {
		t.Errorf("missing htpasswd: %v", err)
	}
	_, err = AuthBasicFactory(userApp(), settings("DEFAULT"), settings("filter:auth", "htpasswd", "/nonexistent/file"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	// A relative path is taken from "here".
	p := writeHtpasswd(t, "alice:"+good+"\n")
	if _, err := AuthBasicFactory(userApp(), settings("DEFAULT", "here", filepath.Dir(p)), settings("filter:auth", "htpasswd", "htpasswd")); err != nil {
		t.Errorf("relative: %v", err)
	}
}
