package builtins

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// grantReport answers with REMOTE_USER and the roles.
func grantReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(RemoteUser(r) + "|" + strings.Join(RemoteUserTokens(r), ",")))
	})
}

func TestGrantIP(t *testing.T) {
	kv := []string{
		"127.0.0.1", "-:system",
		"192.168.0.*", "-:editor",
		"192.168.0.7", "joe",
		"192.168.0.10", "__remove__:-editor",
		"10.0.0.0/8", "net:a, b",
		"10.1.2.3", "ten:-a",
		"172.16.*", "wild",
		"deny", "10.9.9.9, 2001:db8::/32",
	}
	h, err := GrantIPFactory(grantReport(), settings("DEFAULT"), settings("filter:grant", kv...))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr, preUser, want string
		status              int
	}{
		{"127.0.0.1:1", "", "|system", 200},
		{"[::ffff:127.0.0.1]:1", "", "|system", 200},
		{"192.168.0.7:1", "", "joe|", 200},
		{"192.168.0.8:1", "", "|editor", 200},
		{"192.168.0.10:1", "pre", "|", 200},
		{"10.5.5.5:1", "", "net|a,b", 200},
		{"10.1.2.3:1", "", "ten|", 200},
		{"172.16.44.1:1", "", "wild|", 200},
		{"8.8.8.8:1", "", "|", 200},
		{"192.168.0.7:1", "kept", "kept|", 200}, // clobber_username false
		{"10.9.9.9:1", "", "", 403},
		{"[2001:db8::1]:1", "", "", 403},
		{"[2001:db9::1]:1", "", "|", 200},
		{"unix-socket", "", "|", 200},
		{"", "", "|", 200},
	} {
		t.Run(tc.addr+"/"+tc.preUser, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.addr
			if tc.preUser != "" {
				r = setRemoteUser(r, tc.preUser)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.status || tc.status == 200 && rec.Body.String() != tc.want {
				t.Fatalf("%d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.want)
			}
		})
	}
}

func TestGrantIPAllowAndClobber(t *testing.T) {
	h, err := GrantIPFactory(grantReport(), settings("DEFAULT"), settings("filter:grant",
		"allow", "127.0.0.0/8 ::1 192.168.1.*", "deny", "127.0.0.66", "clobber_username", "true", "127.0.0.1", "admin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr   string
		status int
		body   string
	}{
		{"127.0.0.1:1", 200, "admin|"},
		{"127.0.0.2:1", 200, "pre|"},
		{"[::1]:1", 200, "pre|"},
		{"192.168.1.200:1", 200, "pre|"},
		{"192.168.2.1:1", 403, ""},
		{"127.0.0.66:1", 403, ""},
		{"unix", 403, ""},
		{"[fe80::1%eth0]:1", 403, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.addr
		r = setRemoteUser(r, "pre")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.status || tc.status == 200 && rec.Body.String() != tc.body {
			t.Errorf("%s: %d %q", tc.addr, rec.Code, rec.Body.String())
		}
	}
}

func TestGrantIPSettings(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"clobber_usernam", "true"}, `did you mean "clobber_username"`},
		{[]string{"allwo", "1.2.3.4"}, `did you mean "allow"`},
		{[]string{"300.1.1.1", "x"}, "not an address"},
		{[]string{"1.*.3.4", "x"}, "not an address"},
		{[]string{"fe80::1", "x"}, "not an address"},
		{[]string{"allow", "10.0.0.0/33"}, "allow"},
		{[]string{"deny", "nonsense"}, "deny"},
		{[]string{"clobber_username", "maybe"}, "clobber_username"},
		{[]string{"10.*", "a", "10.0.0.0/8", "b"}, "the same addresses"},
	} {
		_, err := GrantIPFactory(grantReport(), settings("DEFAULT"), settings("filter:grant", tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.kv, err, tc.want)
		}
	}
}
