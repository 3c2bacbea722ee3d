package server

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/gowaitress/gowaitress/config"
)

// settingsRef remembers where options came from, so that validation errors
// name file and section: `production.ini [server:main] listen, port: ...`.
type settingsRef struct {
	file    string
	section string
}

func (o *Options) problem(keys, msg string) error {
	org := config.Origin{Key: keys}
	if o.src != nil {
		org.File, org.Section = o.src.file, o.src.section
	}
	return &config.Error{Origin: org, Msg: msg}
}

// proxyHeaderNames are the valid trusted_proxy_headers values, sorted.
var proxyHeaderNames = []string{
	"forwarded", "x-forwarded-by", "x-forwarded-for", "x-forwarded-host",
	"x-forwarded-port", "x-forwarded-proto",
}

// Validate checks every option's range and waitress's cross-option rules
// (§2.4) and returns all problems together (a config.Errors when there are
// several), each naming the keys involved; nil when the options are usable.
func (o *Options) Validate() error {
	var errs []error
	add := func(keys, msg string) { errs = append(errs, o.problem(keys, msg)) }

	// Cross-option rules, in waitress's order.
	if o.listenSet() && (o.hostSet() || o.portSet()) {
		add(joinKeys("listen", o.hostSet(), "host", o.portSet(), "port"), "host or port may not be set if listen is set.")
	}
	if o.listenSet() && o.socketsSet() {
		add("listen, sockets", "socket may not be set if listen is set.")
	}
	if o.socketsSet() && (o.hostSet() || o.portSet()) {
		add(joinKeys("sockets", o.hostSet(), "host", o.portSet(), "port"), "host or port may not be set if sockets is set.")
	}
	if o.socketsSet() && o.unixSet() {
		add("sockets, unix_socket", "unix_socket may not be set if sockets is set")
	}
	if o.unixSet() && (o.hostSet() || o.portSet()) {
		add(joinKeys("unix_socket", o.hostSet(), "host", o.portSet(), "port"), "unix_socket may not be set if host or port is set")
	}
	if o.unixSet() && o.listenSet() {
		add("unix_socket, listen", "unix_socket may not be set if listen is set")
	}
	if o.given["unix_socket"] && o.UnixSocket == "" {
		add("unix_socket", "want a path, got an empty value")
	}
	if !o.IPv4 && !o.IPv6 {
		add("ipv4, ipv6", "ipv4 and ipv6 are both false: no address family left to listen on")
	}
	if o.Port != nil && (*o.Port < 0 || *o.Port > 65535) {
		add("port", fmt.Sprintf("want an integer from 0 to 65535, got %d", *o.Port))
	}
	if o.listenSet() && len(o.Listen) == 0 && !o.hostSet() && !o.portSet() {
		add("listen", "no listen entries")
	}

	// Proxy rules.
	if o.TrustedProxyCount != 0 && len(o.TrustedProxy) == 0 {
		add("trusted_proxy_count", "trusted_proxy_count has no meaning without setting trusted_proxy")
	}
	if o.TrustedProxyHeaders != nil && len(o.TrustedProxy) == 0 {
		add("trusted_proxy_headers", "trusted_proxy_headers has no meaning without setting trusted_proxy")
	}
	var bad []string
	hasFwd, hasX := false, false
	for _, h := range o.TrustedProxyHeaders {
		h = strings.ToLower(h)
		switch {
		case h == "forwarded":
			hasFwd = true
		case strings.HasPrefix(h, "x-forwarded-") && contains(proxyHeaderNames, h):
			hasX = true
		default:
			bad = append(bad, h)
		}
	}
	if len(bad) > 0 {
		add("trusted_proxy_headers", fmt.Sprintf("Received unknown trusted_proxy_headers value (%s) expected one of %s",
			strings.Join(bad, ", "), strings.Join(proxyHeaderNames, ", ")))
	}
	if hasFwd && hasX {
		add("trusted_proxy_headers", "The Forwarded proxy header and the X-Forwarded-{By,Host,Proto,Port,For} headers are mutually exclusive. Can't trust both!")
	}
	for _, p := range o.TrustedProxy {
		if _, err := parseTrust(p); err != nil {
			add("trusted_proxy", err.Error())
		}
	}
	if o.TrustedProxyCount < 0 {
		add("trusted_proxy_count", fmt.Sprintf("want an integer ≥ 1, got %d", o.TrustedProxyCount))
	}

	// Ranges.
	minInt := func(key string, v, lo int) {
		if v < lo {
			add(key, fmt.Sprintf("want an integer ≥ %d, got %d", lo, v))
		}
	}
	minI64 := func(key string, v, lo int64) {
		if v < lo {
			add(key, fmt.Sprintf("want a size ≥ %d, got %d", lo, v))
		}
	}
	minInt("threads", o.Threads, 1)
	minInt("backlog", o.Backlog, 0)
	minInt("connection_limit", o.ConnectionLimit, 1)
	minInt("channel_request_lookahead", o.ChannelRequestLookahead, 0)
	minI64("recv_bytes", o.RecvBytes, 1)
	minI64("send_bytes", o.SendBytes, 1)
	minI64("outbuf_overflow", o.OutbufOverflow, 0)
	minI64("outbuf_high_watermark", o.OutbufHighWatermark, 1)
	minI64("inbuf_overflow", o.InbufOverflow, 0)
	minI64("max_request_header_size", o.MaxRequestHeaderSize, 1)
	minI64("max_request_body_size", o.MaxRequestBodySize, 1)
	if o.RecvBytes > 1<<26 {
		add("recv_bytes", fmt.Sprintf("want a size ≤ 64M, got %d", o.RecvBytes))
	}
	if o.CleanupInterval <= 0 {
		add("cleanup_interval", fmt.Sprintf("want a duration > 0, got %v", o.CleanupInterval))
	}
	for _, d := range []struct {
		key string
		v   interface{ Seconds() float64 }
	}{{"channel_timeout", o.ChannelTimeout}, {"asyncore_loop_timeout", o.AsyncoreLoopTimeout},
		{"shutdown_timeout", o.ShutdownTimeout}, {"request_header_timeout", o.RequestHeaderTimeout}} {
		if d.v.Seconds() < 0 {
			add(d.key, fmt.Sprintf("want a duration ≥ 0, got %v", d.v))
		}
	}
	if o.UnixSocketPerms&^0o777 != 0 {
		add("unix_socket_perms", fmt.Sprintf("want octal permissions from 0 to 0777, got %#o", uint32(o.UnixSocketPerms)))
	}
	switch o.URLScheme {
	case "http", "https":
	default:
		add("url_scheme", fmt.Sprintf(`want "http" or "https", got %q`, o.URLScheme))
	}
	if hasCTL(o.Ident) {
		add("ident", fmt.Sprintf("control characters are not allowed, got %q", o.Ident))
	}
	if hasCTL(o.ServerName) {
		add("server_name", fmt.Sprintf("control characters are not allowed, got %q", o.ServerName))
	}
	if o.URLPrefix != "" && o.URLPrefix != "/" && (!strings.HasPrefix(o.URLPrefix, "/") || strings.HasSuffix(o.URLPrefix, "/")) {
		add("url_prefix", fmt.Sprintf(`want "" or a path such as "/app" without a trailing slash, got %q`, o.URLPrefix))
	}
	for _, fd := range o.Sockets {
		if fd < 0 {
			add("sockets", fmt.Sprintf("want descriptor numbers ≥ 0, got %d", fd))
		}
	}
	return config.Join(errs...)
}

func joinKeys(first string, pairs ...any) string {
	keys := []string{first}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i].(bool) {
			keys = append(keys, pairs[i+1].(string))
		}
	}
	return strings.Join(keys, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// trustEntry is one parsed trusted_proxy item.
type trustEntry struct {
	any       bool
	localhost bool
	prefix    netip.Prefix
}

func parseTrust(s string) (trustEntry, error) {
	switch s {
	case "*":
		return trustEntry{any: true}, nil
	case "localhost":
		return trustEntry{localhost: true}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return trustEntry{}, fmt.Errorf("want an IP address, a CIDR range, localhost or *, got %q", s)
		}
		return trustEntry{prefix: p.Masked()}, nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return trustEntry{}, fmt.Errorf("want an IP address, a CIDR range, localhost or *, got %q", s)
	}
	a = a.Unmap().WithZone("")
	return trustEntry{prefix: netip.PrefixFrom(a, a.BitLen())}, nil
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
