package server

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
)

func section(kv ...string) *config.Settings {
	s := config.NewSettings()
	for i := 0; i+1 < len(kv); i += 2 {
		s.Set(kv[i], kv[i+1], config.Origin{File: "production.ini", Section: "server:main", Key: kv[i], Source: config.SourceSection})
	}
	return s
}

func TestDefaultOptionsValid(t *testing.T) {
	o := DefaultOptions()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.SendBytes != 18000 || o.Threads != 4 || !o.ClearUntrustedProxyHeaders || o.RequestHeaderTimeout > 60*time.Second {
		t.Errorf("unexpected defaults: %+v", o)
	}
	entries, port := o.effectiveListen()
	if len(entries) != 1 || entries[0] != "0.0.0.0:8080" || port != "8080" {
		t.Errorf("default listen %v %v", entries, port)
	}
}

func TestOptionNamesComplete(t *testing.T) {
	want := []string{"host", "port", "listen", "ipv4", "ipv6", "unix_socket", "unix_socket_perms", "sockets",
		"threads", "trusted_proxy", "trusted_proxy_count", "trusted_proxy_headers", "clear_untrusted_proxy_headers",
		"log_untrusted_proxy_headers", "url_scheme", "url_prefix", "ident", "server_name", "backlog", "recv_bytes",
		"send_bytes", "outbuf_overflow", "outbuf_high_watermark", "inbuf_overflow", "connection_limit",
		"cleanup_interval", "channel_timeout", "log_socket_errors", "max_request_header_size",
		"max_request_body_size", "expose_tracebacks", "channel_request_lookahead", "asyncore_loop_timeout",
		"asyncore_use_poll", "shutdown_timeout", "request_header_timeout"}
	got := append([]string(nil), OptionNames...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("OptionNames = %v\nwant %v", got, want)
	}
}

func TestOptionsFromSettings(t *testing.T) {
	o, err := OptionsFromSettings(section(
		"host", "127.0.0.1", "port", "0", "ipv6", "no", "threads", "8", "trusted_proxy", "10.0.0.0/8, 127.0.0.1",
		"trusted_proxy_count", "2", "trusted_proxy_headers", "X-Forwarded-For x-forwarded-proto",
		"clear_untrusted_proxy_headers", "false", "log_untrusted_proxy_headers", "yes", "url_scheme", "HTTPS",
		"url_prefix", "//app//", "ident", "", "server_name", "srv", "backlog", "16", "recv_bytes", "1K",
		"send_bytes", "2k", "outbuf_overflow", "1M", "outbuf_high_watermark", "2M", "inbuf_overflow", "3",
		"connection_limit", "7", "cleanup_interval", "500ms", "channel_timeout", "2", "log_socket_errors", "off",
		"max_request_header_size", "1000", "max_request_body_size", "1G", "expose_tracebacks", "true",
		"channel_request_lookahead", "2", "asyncore_loop_timeout", "3", "asyncore_use_poll", "1",
		"unix_socket_perms", "0o640", "shutdown_timeout", "1m30s", "request_header_timeout", "10",
	))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"host", *o.Host, "127.0.0.1"}, {"port", *o.Port, 0}, {"ipv6", o.IPv6, false}, {"threads", o.Threads, 8},
		{"trusted_proxy", strings.Join(o.TrustedProxy, "|"), "10.0.0.0/8|127.0.0.1"},
		{"trusted_proxy_count", o.TrustedProxyCount, 2},
		{"trusted_proxy_headers", strings.Join(o.TrustedProxyHeaders, "|"), "x-forwarded-for|x-forwarded-proto"},
		{"clear", o.ClearUntrustedProxyHeaders, false}, {"log_untrusted", o.LogUntrustedProxyHeaders, true},
		{"url_scheme", o.URLScheme, "https"}, {"url_prefix", o.URLPrefix, "/app"}, {"ident", o.Ident, ""},
		{"server_name", o.ServerName, "srv"}, {"backlog", o.Backlog, 16}, {"recv_bytes", o.RecvBytes, int64(1024)},
		{"send_bytes", o.SendBytes, int64(2048)}, {"outbuf_overflow", o.OutbufOverflow, int64(1 << 20)},
		{"outbuf_high_watermark", o.OutbufHighWatermark, int64(2 << 20)}, {"inbuf_overflow", o.InbufOverflow, int64(3)},
		{"connection_limit", o.ConnectionLimit, 7}, {"cleanup_interval", o.CleanupInterval, 500 * time.Millisecond},
		{"channel_timeout", o.ChannelTimeout, 2 * time.Second}, {"log_socket_errors", o.LogSocketErrors, false},
		{"max_request_header_size", o.MaxRequestHeaderSize, int64(1000)},
		{"max_request_body_size", o.MaxRequestBodySize, int64(1 << 30)}, {"expose_tracebacks", o.ExposeTracebacks, true},
		{"lookahead", o.ChannelRequestLookahead, 2}, {"asyncore_loop_timeout", o.AsyncoreLoopTimeout, 3 * time.Second},
		{"asyncore_use_poll", o.AsyncoreUsePoll, true}, {"unix_socket_perms", o.UnixSocketPerms, os.FileMode(0o640)},
		{"shutdown_timeout", o.ShutdownTimeout, 90 * time.Second}, {"request_header_timeout", o.RequestHeaderTimeout, 10 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if got := strings.Join(o.noEffectOptions(), ","); got != "asyncore_loop_timeout,asyncore_use_poll,channel_request_lookahead" {
		t.Errorf("no-effect options %q", got)
	}
	if entries, _ := o.effectiveListen(); len(entries) != 1 || entries[0] != "127.0.0.1:0" {
		t.Errorf("host/port listen = %v", entries)
	}
}

func TestOptionsErrors(t *testing.T) {
	cases := []struct {
		name string
		kv   []string
		want []string // substrings, each must appear
	}{
		{"unknown", []string{"therads", "4"}, []string{`production.ini [server:main] therads: unknown option (did you mean "threads"?)`}},
		{"bad int", []string{"threads", "four"}, []string{`production.ini`, `threads`, `"four"`}},
		{"bad bool", []string{"ipv4", "garbage"}, []string{"ipv4", `"garbage"`}},
		{"threads 0", []string{"threads", "0"}, []string{"threads"}},
		{"listen+port", []string{"listen", "127.0.0.1:1", "port", "2"}, []string{"production.ini [server:main] listen, port: host or port may not be set if listen is set."}},
		{"listen+sockets", []string{"listen", "127.0.0.1:1", "sockets", "3"}, []string{"listen, sockets: socket may not be set if listen is set."}},
		{"sockets+host", []string{"sockets", "3", "host", "x"}, []string{"sockets, host: host or port may not be set if sockets is set."}},
		{"sockets+unix", []string{"sockets", "systemd", "unix_socket", "/tmp/x"}, []string{"unix_socket may not be set if sockets is set"}},
		{"unix+port", []string{"unix_socket", "/tmp/x", "port", "1"}, []string{"unix_socket may not be set if host or port is set"}},
		{"unix+listen", []string{"unix_socket", "/tmp/x", "listen", "a:1"}, []string{"unix_socket may not be set if listen is set"}},
		{"count without proxy", []string{"trusted_proxy_count", "2"}, []string{"trusted_proxy_count has no meaning without setting trusted_proxy"}},
		{"headers without proxy", []string{"trusted_proxy_headers", "x-forwarded-for"}, []string{"trusted_proxy_headers has no meaning without setting trusted_proxy"}},
		{"unknown header", []string{"trusted_proxy", "*", "trusted_proxy_headers", "x-bogus"}, []string{"Received unknown trusted_proxy_headers value (x-bogus) expected one of forwarded, x-forwarded-by, x-forwarded-for, x-forwarded-host, x-forwarded-port, x-forwarded-proto"}},
		{"forwarded+x", []string{"trusted_proxy", "*", "trusted_proxy_headers", "forwarded x-forwarded-for"}, []string{"mutually exclusive"}},
		{"bad proxy", []string{"trusted_proxy", "proxy.example"}, []string{"trusted_proxy", "proxy.example"}},
		{"no family", []string{"ipv4", "false", "ipv6", "false"}, []string{"ipv4 and ipv6 are both false: no address family left to listen on"}},
		{"scheme", []string{"url_scheme", "ftp"}, []string{"url_scheme"}},
		{"ident ctl", []string{"ident", "a\x01b"}, []string{"ident"}},
		{"perms", []string{"unix_socket_perms", "999"}, []string{"unix_socket_perms"}},
		{"cleanup 0", []string{"cleanup_interval", "0"}, []string{"cleanup_interval"}},
		{"port range", []string{"port", "70000"}, []string{"port"}},
		{"sockets junk", []string{"sockets", "x"}, []string{"sockets"}},
		{"all at once", []string{"therads", "1", "threads", "x", "backlog", "-1"}, []string{"therads", "threads", "backlog"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := OptionsFromSettings(section(c.kv...))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateGoAPI(t *testing.T) {
	o := DefaultOptions()
	o.Listen = []string{"127.0.0.1:0"}
	o.Port = Ptr(8080) // equal to the default, still "set"
	err := o.Validate()
	if err == nil || !strings.Contains(err.Error(), "listen, port: host or port may not be set if listen is set.") {
		t.Errorf("err = %v", err)
	}
	if _, err := New(nil, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "handler is nil") {
		t.Errorf("nil handler: %v", err)
	}
	var zero Options
	if zero.Validate() == nil {
		t.Error("zero Options validated")
	}
}

func TestResolveListen(t *testing.T) {
	cases := []struct {
		entries    []string
		ipv4, ipv6 bool
		want       string
	}{
		{[]string{"127.0.0.1:81"}, true, true, "127.0.0.1:81"},
		{[]string{"127.0.0.1"}, true, true, "127.0.0.1:8080"},
		{[]string{"[::1]:82"}, true, true, "[::1]:82"},
		{[]string{"[::1]"}, true, true, "[::1]:8080"},
		{[]string{"::1:83"}, true, true, "[::1]:83"},
		{[]string{"*:84"}, true, true, "0.0.0.0:84 [::]:84"},
		{[]string{"*:84"}, true, false, "0.0.0.0:84"},
		{[]string{"*:84"}, false, true, "[::]:84"},
		{[]string{"127.0.0.1:85", "127.0.0.1:85"}, true, true, "127.0.0.1:85"},
		{[]string{"127.0.0.1:0", "127.0.0.1:0"}, true, true, "127.0.0.1:0 127.0.0.1:0"},
		{[]string{"127.0.0.1:http"}, true, true, "127.0.0.1:80"},
	}
	for _, c := range cases {
		got, err := resolveListen(c.entries, "8080", c.ipv4, c.ipv6)
		if err != nil {
			if strings.Contains(c.want, "80") && strings.Contains(strings.Join(c.entries, ""), "http") {
				t.Logf("service names unavailable here: %v", err)
				continue
			}
			t.Errorf("%v: %v", c.entries, err)
			continue
		}
		var s []string
		for _, a := range got {
			if a.ip.Is4() {
				s = append(s, a.ip.String()+":"+itoa(a.port))
			} else {
				s = append(s, "["+a.ip.String()+"]:"+itoa(a.port))
			}
		}
		if strings.Join(s, " ") != c.want {
			t.Errorf("%v ipv4=%v ipv6=%v: %v, want %s", c.entries, c.ipv4, c.ipv6, s, c.want)
		}
	}
	for _, bad := range []string{"127.0.0.1:notaservice", "no-such-host.invalid:80", "[::1]:99999"} {
		if _, err := resolveListen([]string{bad}, "8080", true, true); err == nil || !strings.Contains(err.Error(), "Invalid host/port specified.") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	if _, err := resolveListen([]string{"127.0.0.1:80"}, "8080", false, true); err == nil {
		t.Error("IPv4 address accepted with ipv4 = false")
	}
}
