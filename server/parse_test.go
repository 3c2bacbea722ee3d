package server

import "testing"

// Host values: host [":" port] with an IP literal in brackets or a
// reg-name, and a port of digits (§8: otherwise 400 Invalid Host header).
func TestValidHostHeader(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"", true},
		{"example.test", true},
		{"example.test:8080", true},
		{"example.test:", true},
		{"192.0.2.1:80", true},
		{"[::1]", true},
		{"[2001:db8::1]:8443", true},
		{"xn--bcher-kva.example", true},
		{"a_b.example", true},
		{"example.test:port", false},
		{"a:1:2", false},
		{"[::1", false},
		{"[::1]x", false},
		{"[::1]:x", false},
		{"[g::1]", false},
		{"bad host", false},
		{"a/b", false},
		{"a@b", false},
	} {
		if got := validHostHeader(tc.host); got != tc.ok {
			t.Errorf("validHostHeader(%q) = %v, want %v", tc.host, got, tc.ok)
		}
	}
}

func TestValidChunkExt(t *testing.T) {
	for _, tc := range []struct {
		ext string
		ok  bool
	}{
		{";a", true},
		{";a=b", true},
		{";a=\"b c\";d", true},
		{";", true}, // shared case http-103 sends "20;" and expects it accepted
		{";;a", true},
		{";=b", false},
		{"; a", false},
		{";a=", false},
		{";a=\"b", false},
	} {
		if got := validChunkExt(tc.ext); got != tc.ok {
			t.Errorf("validChunkExt(%q) = %v, want %v", tc.ext, got, tc.ok)
		}
	}
}
