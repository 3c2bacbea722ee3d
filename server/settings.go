package server

import (
	"math"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/suggest"
)

// OptionsFromSettings builds Options from the local settings of a
// [server:*] section: every value is coerced with the config package's
// getters (strict booleans, sizes with K/M/G, durations with units), unknown
// keys are reported as `production.ini [server:main] therads: unknown option
// (did you mean "threads"?)`, and Validate runs on the result. All problems
// are returned together. Keys absent from the section keep their defaults.
func OptionsFromSettings(local *config.Settings) (Options, error) {
	o := DefaultOptions()
	o.given = make(map[string]bool)
	g := config.NewGetter(local)
	for k, v := range local.All() {
		o.given[k] = true
		if o.src == nil && (v.Origin.File != "" || v.Origin.Section != "") {
			o.src = &settingsRef{file: v.Origin.File, section: v.Origin.Section}
		}
		if !contains(OptionNames, k) {
			g.Add(&config.Error{Origin: keyOrigin(k, v), Msg: "unknown option" + suggest.DidYouMean(k, OptionNames)})
		}
	}
	if h, ok := local.Lookup("host"); ok {
		o.Host = Ptr(strings.TrimSpace(h))
	}
	if local.Has("port") {
		p := g.IntRange("port", DefaultPort, 0, 65535)
		o.Port = &p
	}
	if local.Has("listen") {
		o.Listen = g.List("listen", nil)
		if o.Listen == nil {
			o.Listen = []string{}
		}
	}
	o.IPv4 = g.Bool("ipv4", o.IPv4)
	o.IPv6 = g.Bool("ipv6", o.IPv6)
	o.UnixSocket = strings.TrimSpace(local.String("unix_socket"))
	o.UnixSocketPerms = g.Octal("unix_socket_perms", o.UnixSocketPerms)
	if raw, ok := local.Lookup("sockets"); ok {
		items := config.ParseList(raw)
		switch {
		case len(items) == 1 && strings.EqualFold(items[0], "systemd"):
			o.SystemdSockets = true
		case len(items) > 0:
			o.Sockets = []int{}
			for _, it := range items {
				fd, err := config.ParseIntRange(it, 0, math.MaxInt32)
				if err != nil {
					g.Errorf("sockets", `want "systemd" or descriptor numbers, got %q`, raw)
					break
				}
				o.Sockets = append(o.Sockets, fd)
			}
		}
	}
	o.Threads = g.IntRange("threads", o.Threads, 1, math.MaxInt32)
	if local.Has("trusted_proxy") {
		o.TrustedProxy = g.List("trusted_proxy", nil)
	}
	if local.Has("trusted_proxy_count") {
		o.TrustedProxyCount = g.IntRange("trusted_proxy_count", 1, 1, math.MaxInt32)
	}
	if local.Has("trusted_proxy_headers") {
		o.TrustedProxyHeaders = []string{}
		for _, h := range g.List("trusted_proxy_headers", nil) {
			o.TrustedProxyHeaders = append(o.TrustedProxyHeaders, strings.ToLower(h))
		}
	}
	o.LogUntrustedProxyHeaders = g.Bool("log_untrusted_proxy_headers", o.LogUntrustedProxyHeaders)
	o.ClearUntrustedProxyHeaders = g.Bool("clear_untrusted_proxy_headers", o.ClearUntrustedProxyHeaders)
	if raw, ok := local.Lookup("url_scheme"); ok {
		o.URLScheme = strings.ToLower(strings.TrimSpace(raw))
	}
	o.URLPrefix = g.PathPrefix("url_prefix", o.URLPrefix)
	if local.Has("ident") {
		o.Ident, _ = local.OptString("ident")
	}
	if raw, ok := local.Lookup("server_name"); ok {
		o.ServerName = raw
	}
	o.Backlog = g.IntRange("backlog", o.Backlog, 0, math.MaxInt32)
	o.RecvBytes = g.ByteSizeRange("recv_bytes", o.RecvBytes, 1, 1<<26)
	o.SendBytes = g.ByteSizeRange("send_bytes", o.SendBytes, 1, math.MaxInt64)
	o.OutbufOverflow = g.ByteSizeRange("outbuf_overflow", o.OutbufOverflow, 0, math.MaxInt64)
	o.OutbufHighWatermark = g.ByteSizeRange("outbuf_high_watermark", o.OutbufHighWatermark, 1, math.MaxInt64)
	o.InbufOverflow = g.ByteSizeRange("inbuf_overflow", o.InbufOverflow, 0, math.MaxInt64)
	o.ConnectionLimit = g.IntRange("connection_limit", o.ConnectionLimit, 1, math.MaxInt32)
	o.CleanupInterval = g.Duration("cleanup_interval", o.CleanupInterval)
	o.ChannelTimeout = g.Duration("channel_timeout", o.ChannelTimeout)
	o.LogSocketErrors = g.Bool("log_socket_errors", o.LogSocketErrors)
	o.MaxRequestHeaderSize = g.ByteSizeRange("max_request_header_size", o.MaxRequestHeaderSize, 1, math.MaxInt64)
	o.MaxRequestBodySize = g.ByteSizeRange("max_request_body_size", o.MaxRequestBodySize, 1, math.MaxInt64)
	o.ExposeTracebacks = g.Bool("expose_tracebacks", o.ExposeTracebacks)
	o.ChannelRequestLookahead = g.IntRange("channel_request_lookahead", o.ChannelRequestLookahead, 0, math.MaxInt32)
	o.AsyncoreLoopTimeout = g.Duration("asyncore_loop_timeout", o.AsyncoreLoopTimeout)
	o.AsyncoreUsePoll = g.Bool("asyncore_use_poll", o.AsyncoreUsePoll)
	o.ShutdownTimeout = g.Duration("shutdown_timeout", o.ShutdownTimeout)
	o.RequestHeaderTimeout = g.Duration("request_header_timeout", o.RequestHeaderTimeout)
	if local.Has("cleanup_interval") && o.CleanupInterval == 0 {
		g.Errorf("cleanup_interval", "want a duration greater than 0, got %q", local.String("cleanup_interval"))
		o.CleanupInterval = DefaultCleanupInterval
	}
	if err := g.Err(); err != nil {
		// Report conversion problems together with the cross-option ones.
		return o, config.Join(err, o.Validate())
	}
	return o, o.Validate()
}

func keyOrigin(k string, v config.Value) config.Origin {
	o := v.Origin
	if o.Key == "" {
		o.Key = k
	}
	return o
}

// noEffectOptions returns the options that are set but have no effect in
// gowaitress, for the one-time warning at start.
func (o *Options) noEffectOptions() []string {
	var out []string
	if o.given["asyncore_loop_timeout"] || (o.given == nil && o.AsyncoreLoopTimeout != DefaultAsyncoreLoopTimeout) {
		out = append(out, "asyncore_loop_timeout")
	}
	if o.given["asyncore_use_poll"] || (o.given == nil && o.AsyncoreUsePoll) {
		out = append(out, "asyncore_use_poll")
	}
	if o.ChannelRequestLookahead != 0 {
		out = append(out, "channel_request_lookahead")
	}
	return out
}
