// Package server is the gowaitress server core: the Go counterpart of
// waitress, serving any http.Handler with waitress's options and semantics.
//
// The request path is listeners → connection layer → net/http → channel
// layer → application (see design.md). Options are built with
// DefaultOptions (Go) or OptionsFromSettings (a [server:*] INI section),
// checked with Validate, and given to New.
package server

import (
	"os"
	"time"

	"go.uber.org/zap"
)

// Options holds every waitress option plus gowaitress's own. Start from
// DefaultOptions: the zero value is not a usable configuration (Validate
// rejects Threads = 0, for example).
//
// Options whose mere presence matters to waitress's cross-option rules
// (host, port, listen, sockets, unix_socket, trusted_proxy_count,
// trusted_proxy_headers) have a "not set" state: a nil pointer, a nil slice,
// an empty string or 0, as documented on each field.
type Options struct {
	// Host is waitress's host: the address to listen on together with Port.
	// nil means not set (then Listen, or the default 0.0.0.0:8080, applies).
	// Setting Host or Port replaces Listen with the single entry HOST:PORT.
	Host *string
	// Port is waitress's port (0–65535; 0 picks a free port). nil means not
	// set; the effective default is 8080, which is also the default port of
	// Listen entries without one.
	Port *int
	// Listen is waitress's listen: host:port entries ("*:8080",
	// "[::1]:8080", "localhost", "127.0.0.1:http"). nil means not set
	// (default "0.0.0.0:8080"); a non-nil slice, even empty, counts as set.
	Listen []string
	// IPv4 (waitress ipv4, default true) allows IPv4 addresses when
	// resolving Listen.
	IPv4 bool
	// IPv6 (waitress ipv6, default true) allows IPv6 addresses when
	// resolving Listen. IPv4 and IPv6 both false is an error.
	IPv6 bool
	// UnixSocket (waitress unix_socket) is the path of a Unix socket to
	// listen on instead of TCP; "" means not set.
	UnixSocket string
	// UnixSocketPerms (waitress unix_socket_perms, default 0600) are the
	// permission bits given to the socket file right after bind.
	UnixSocketPerms os.FileMode
	// Sockets (waitress sockets) lists inherited listening descriptors to
	// serve on; nil means not set. See also SystemdSockets.
	Sockets []int
	// SystemdSockets (the INI value `sockets = systemd`) uses every
	// descriptor passed by systemd socket activation (LISTEN_FDS, from 3,
	// when LISTEN_PID is this process). It counts as Sockets being set.
	SystemdSockets bool
	// Threads (waitress threads, default 4, ≥ 1) is the number of
	// application slots: at most this many handlers run at once.
	Threads int
	// TrustedProxy (waitress trusted_proxy) lists the peers allowed to send
	// proxy headers: IP addresses, CIDR ranges (extension), "localhost"
	// (Unix-socket peers) or "*". nil means none.
	TrustedProxy []string
	// TrustedProxyCount (waitress trusted_proxy_count, ≥ 1) is how many
	// trailing hops of X-Forwarded-For/-Host and Forwarded are trusted.
	// 0 means not set (effective 1).
	TrustedProxyCount int
	// TrustedProxyHeaders (waitress trusted_proxy_headers, lower-case names:
	// forwarded, x-forwarded-for, -host, -proto, -port, -by) are the proxy
	// headers honoured from a trusted proxy. nil means not set.
	TrustedProxyHeaders []string
	// ClearUntrustedProxyHeaders (waitress clear_untrusted_proxy_headers,
	// default true) removes every proxy header that was not trusted before
	// the handler sees the request.
	ClearUntrustedProxyHeaders bool
	// LogUntrustedProxyHeaders (waitress log_untrusted_proxy_headers,
	// default false) logs a WARNING naming the removed headers.
	LogUntrustedProxyHeaders bool
	// URLScheme (waitress url_scheme, default "http"; "http" or "https") is
	// the effective scheme unless a trusted proxy says otherwise.
	URLScheme string
	// URLPrefix (waitress url_prefix, default "") is the mount point
	// (SCRIPT_NAME): "" or "/x" without a trailing slash. It is removed
	// from r.URL.Path (§9).
	URLPrefix string
	// Ident (waitress ident, default "waitress") is the Server response
	// header; "" sends none. No control characters.
	Ident string
	// ServerName (waitress server_name, default "waitress.invalid") is
	// SERVER_NAME (environ.ServerName); the Host header never changes it.
	ServerName string
	// Backlog (waitress backlog, default 1024, ≥ 0) is passed to listen(2)
	// on every listening socket (the kernel caps it at somaxconn).
	Backlog int
	// RecvBytes (waitress recv_bytes, default 8192, ≥ 1) is the size, in
	// bytes, requested by every socket read.
	RecvBytes int64
	// SendBytes (waitress send_bytes, default 18000, ≥ 1) is the maximum
	// size in bytes of each socket write and the push threshold of buffered
	// handler output.
	SendBytes int64
	// OutbufOverflow (waitress outbuf_overflow, default 1 MiB, ≥ 0) is how
	// many bytes of a response are buffered in memory before the rest goes
	// to an unlinked temporary file.
	OutbufOverflow int64
	// OutbufHighWatermark (waitress outbuf_high_watermark, default 16 MiB,
	// ≥ 1): a handler's Write blocks while more than this many bytes of its
	// response wait to be sent.
	OutbufHighWatermark int64
	// InbufOverflow (waitress inbuf_overflow, default 512 KiB, ≥ 0) is how
	// many bytes of a request body are held in memory before the body is
	// spooled to an unlinked temporary file.
	InbufOverflow int64
	// ConnectionLimit (waitress connection_limit, default 100, ≥ 1) is the
	// number of open client connections, over all listeners, at which the
	// server stops accepting; further clients wait in the kernel backlog.
	ConnectionLimit int
	// CleanupInterval (waitress cleanup_interval, default 30 s, > 0) is the
	// period of the idle-connection sweep.
	CleanupInterval time.Duration
	// ChannelTimeout (waitress channel_timeout, default 120 s, ≥ 0): a
	// connection with no request in progress and no activity for this long
	// is closed by the sweep.
	ChannelTimeout time.Duration
	// LogSocketErrors (waitress log_socket_errors, default true) logs socket
	// read/write errors and accept failures.
	LogSocketErrors bool
	// MaxRequestHeaderSize (waitress max_request_header_size, default
	// 256 KiB, ≥ 1): a request header block (request line through the final
	// CRLFCRLF) of this many bytes or more is answered 431.
	MaxRequestHeaderSize int64
	// MaxRequestBodySize (waitress max_request_body_size, default 1 GiB,
	// ≥ 1): a Content-Length, or a chunked stream, of this many bytes or
	// more is answered 413.
	MaxRequestBodySize int64
	// ExposeTracebacks (waitress expose_tracebacks, default false) puts the
	// panic value and stack trace in the body of a 500.
	ExposeTracebacks bool
	// ChannelRequestLookahead (waitress channel_request_lookahead, default
	// 0, ≥ 0) is accepted and has no effect in gowaitress: client
	// disconnects are always visible through r.Context(). A value other
	// than 0 is logged once at start.
	ChannelRequestLookahead int
	// AsyncoreLoopTimeout (waitress asyncore_loop_timeout, default 1 s,
	// ≥ 0) is accepted and has no effect in gowaitress (there is no
	// asyncore loop); logged once at start when set.
	AsyncoreLoopTimeout time.Duration
	// AsyncoreUsePoll (waitress asyncore_use_poll, default false) is
	// accepted and has no effect in gowaitress; logged once at start when
	// set.
	AsyncoreUsePoll bool
	// ShutdownTimeout (gowaitress only, default 30 s, ≥ 0) is the grace
	// period of a graceful stop used by the command line; 0 closes at once.
	// The server itself takes its deadline from Shutdown's context.
	ShutdownTimeout time.Duration
	// RequestHeaderTimeout (gowaitress only, default 30 s, ≥ 0; 0 disables)
	// closes a connection whose request header block is not complete this
	// long after its first byte arrived, even while bytes keep trickling in.
	RequestHeaderTimeout time.Duration
	// Logger is the parent of the loggers "waitress" and "waitress.queue";
	// nil means zap.L().
	Logger *zap.Logger

	// given records the keys present in the INI section (for the no-effect
	// warnings and the error positions); nil for options built in Go.
	given map[string]bool
	// where prefixes validation errors with file and section.
	src *settingsRef
}

// Default values of the options (see the Options fields).
const (
	DefaultHost                 = "0.0.0.0"
	DefaultPort                 = 8080
	DefaultThreads              = 4
	DefaultURLScheme            = "http"
	DefaultIdent                = "waitress"
	DefaultServerName           = "waitress.invalid"
	DefaultBacklog              = 1024
	DefaultRecvBytes            = 8192
	DefaultSendBytes            = 18000
	DefaultOutbufOverflow       = 1 << 20
	DefaultOutbufHighWatermark  = 16 << 20
	DefaultInbufOverflow        = 512 << 10
	DefaultConnectionLimit      = 100
	DefaultCleanupInterval      = 30 * time.Second
	DefaultChannelTimeout       = 120 * time.Second
	DefaultMaxRequestHeaderSize = 256 << 10
	DefaultMaxRequestBodySize   = 1 << 30
	DefaultAsyncoreLoopTimeout  = time.Second
	DefaultShutdownTimeout      = 30 * time.Second
	DefaultRequestHeaderTimeout = 30 * time.Second
	DefaultUnixSocketPerms      = os.FileMode(0o600)
)

// DefaultOptions returns the defaults of every option: the one place where
// they are written down.
func DefaultOptions() Options {
	return Options{
		IPv4:                       true,
		IPv6:                       true,
		UnixSocketPerms:            DefaultUnixSocketPerms,
		Threads:                    DefaultThreads,
		ClearUntrustedProxyHeaders: true,
		URLScheme:                  DefaultURLScheme,
		Ident:                      DefaultIdent,
		ServerName:                 DefaultServerName,
		Backlog:                    DefaultBacklog,
		RecvBytes:                  DefaultRecvBytes,
		SendBytes:                  DefaultSendBytes,
		OutbufOverflow:             DefaultOutbufOverflow,
		OutbufHighWatermark:        DefaultOutbufHighWatermark,
		InbufOverflow:              DefaultInbufOverflow,
		ConnectionLimit:            DefaultConnectionLimit,
		CleanupInterval:            DefaultCleanupInterval,
		ChannelTimeout:             DefaultChannelTimeout,
		LogSocketErrors:            true,
		MaxRequestHeaderSize:       DefaultMaxRequestHeaderSize,
		MaxRequestBodySize:         DefaultMaxRequestBodySize,
		AsyncoreLoopTimeout:        DefaultAsyncoreLoopTimeout,
		ShutdownTimeout:            DefaultShutdownTimeout,
		RequestHeaderTimeout:       DefaultRequestHeaderTimeout,
	}
}

// OptionNames lists every key accepted in a [server:*] section, in the
// order of the waitress option table, followed by gowaitress's own.
var OptionNames = []string{
	"host", "port", "listen", "ipv4", "ipv6", "threads",
	"trusted_proxy", "trusted_proxy_count", "trusted_proxy_headers",
	"log_untrusted_proxy_headers", "clear_untrusted_proxy_headers",
	"url_scheme", "url_prefix", "ident", "backlog", "recv_bytes", "send_bytes",
	"outbuf_overflow", "outbuf_high_watermark", "inbuf_overflow",
	"connection_limit", "cleanup_interval", "channel_timeout",
	"log_socket_errors", "max_request_header_size", "max_request_body_size",
	"expose_tracebacks", "asyncore_loop_timeout", "asyncore_use_poll",
	"unix_socket", "unix_socket_perms", "sockets", "channel_request_lookahead",
	"server_name", "shutdown_timeout", "request_header_timeout",
}

// Ptr returns a pointer to v, for Options.Host and Options.Port.
func Ptr[T any](v T) *T { return &v }

func (o *Options) hostSet() bool    { return o.Host != nil }
func (o *Options) portSet() bool    { return o.Port != nil }
func (o *Options) listenSet() bool  { return o.Listen != nil }
func (o *Options) socketsSet() bool { return o.Sockets != nil || o.SystemdSockets }
func (o *Options) unixSet() bool    { return o.UnixSocket != "" || o.given["unix_socket"] }

func (o *Options) logger() *zap.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return zap.L()
}

// effectiveListen returns the listen entries and the default port after the
// host/port rule: host or port replaces listen with "HOST:PORT".
func (o *Options) effectiveListen() (entries []string, defPort string) {
	port := DefaultPort
	if o.Port != nil {
		port = *o.Port
	}
	defPort = itoa(port)
	if o.hostSet() || o.portSet() {
		host := DefaultHost
		if o.Host != nil {
			host = *o.Host
		}
		return []string{host + ":" + defPort}, defPort
	}
	if o.Listen != nil {
		return o.Listen, defPort
	}
	return []string{DefaultHost + ":" + defPort}, defPort
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
