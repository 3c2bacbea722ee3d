package server

// How the options take effect (see the Options fields for units and
// defaults, and ../shared/spec/waitress.md for the reference behaviour):
//
// Listeners (listen.go, server.go):
//   - host, port, listen, ipv4, ipv6: parsed and resolved as waitress does
//     (last-colon split, brackets, "*" wildcard, service names, duplicates
//     dropped except port 0); every address gets its own socket, created
//     with socket(2)/bind(2)/listen(2) so that backlog reaches the kernel;
//     IPv6 sockets get IPV6_V6ONLY. One "Serving on http://…" line per
//     listener (IPv6 hosts always bracketed).
//   - unix_socket, unix_socket_perms: a stale socket file is replaced, a
//     live one refused, a non-socket file refused; chmod right after bind;
//     the file is removed on Shutdown if it is still ours.
//   - sockets: inherited descriptors ("3 4") or systemd activation
//     ("systemd": LISTEN_FDS from 3 when LISTEN_PID is this process).
//   - connection_limit: Accept is not called while that many client
//     connections are open (over all listeners); further clients wait in
//     the kernel backlog. Both transitions are logged.
//
// Connections (conn.go):
//   - recv_bytes: every socket read asks for exactly this many bytes.
//   - send_bytes: every socket write is at most this many bytes; it is also
//     the amount of buffered handler output that starts sending. On Linux
//     (amd64, arm64) a run of such writes is handed to the kernel in one
//     sendmmsg(2) call, one message per write (sendmmsg_linux.go).
//   - max_request_header_size, max_request_body_size: exact byte counting
//     (431 / 413), before net/http sees the request.
//   - request_header_timeout (gowaitress only): a header block not complete
//     this long after its first byte closes the connection, even while
//     bytes trickle in.
//   - cleanup_interval, channel_timeout: the sweeper (server.go) closes
//     connections with no request in progress and no activity for
//     channel_timeout; a running handler is never cut off.
//   - parking (gowaitress only, park.go): a keep-alive connection idle for
//     1 s leaves net/http (its goroutine and buffers are released) and
//     comes back through a revive listener with its next request.
//   - pipelining (gowaitress only, conn.go): a response is held (at most
//     1 ms, less than send_bytes) while the next request has already
//     arrived, and is written with the next response in one writev.
//   - log_socket_errors: socket errors other than disconnects are logged.
//
// Channel (channel.go, response.go, proxy.go):
//   - inbuf_overflow: the body is received completely before the handler
//     runs, in memory up to this size, then in an unlinked temporary file.
//   - threads: at most this many handlers run at once; waiting requests
//     are logged on "waitress.queue" as "Task queue depth is N".
//   - outbuf_overflow, outbuf_high_watermark: the handler writes into a
//     buffer (memory, then a temporary file) drained by the connection, so
//     its slot is free before a slow client has read the response; Write
//     blocks above the high watermark. As waitress's worker does once
//     send_bytes bytes are pending, a Write of at least send_bytes (and at
//     most outbuf_overflow) with nothing buffered goes to the socket from
//     the handler's goroutine without waiting; what the socket does not
//     take then is kept in memory and sent by the connection.
//   - expose_tracebacks: the panic value and stack trace in 500 bodies.
//   - The app's ResponseWriter is a handle that lets go of the pooled
//     writer when the handler returns: a goroutine left writing gets an
//     error and never writes into a later request's response.
//   - Trailers (declared in a Trailer field, or keys under
//     http.TrailerPrefix) go out after a chunked body as under net/http,
//     although the status line is written after the app's WriteHeader: a
//     declared trailer set in between does not also go into the header
//     block, and the channel adds no Content-Length to such a response.
//   - Hijack (http.Hijacker, http.ResponseController): as under net/http,
//     what the handler wrote first goes out before the connection is
//     handed over: a status (websocket libraries write 101 Switching
//     Protocols with WriteHeader, then hijack) and output, also output
//     flushed (a tunnel answers CONNECT with 200, flushes, then hijacks).
//     Refused (http.ErrNotSupported) after a 500 for an invalid header.
//     Writes through the ResponseWriter afterwards fail with
//     http.ErrHijacked.
//   - ident, server_name, url_scheme, url_prefix: the Server header
//     (written by the connection layer after the status line unless the
//     handler set one, so that net/http's per-response copy of the
//     header map has one field less; so is the Date field of a response
//     whose app used the header map, formatted once a second instead of
//     by net/http for every response),
//     environ.ServerName, environ.Scheme/r.URL.Scheme, and
//     environ.ScriptName with the prefix stripped from r.URL.Path.
//   - trusted_proxy (addresses, CIDR ranges, localhost, *),
//     trusted_proxy_count, trusted_proxy_headers,
//     clear_untrusted_proxy_headers, log_untrusted_proxy_headers: §10.
//
// Accepted without effect (a WARNING is logged once at start when set):
// asyncore_loop_timeout, asyncore_use_poll (Go's network poller replaces
// the asyncore loop) and channel_request_lookahead (client disconnects are
// always visible through r.Context()). shutdown_timeout is read by the
// command line, which passes it to Shutdown as a context deadline.
