package server

import (
	"encoding/json"
	"testing"
)

// extraCases are wire cases of our own in the conformance format, for
// behaviour of the spec that the shared cases do not cover.
const extraCases = `[
{"id": "x-options-star", "options": {}, "send": [{"data": "OPTIONS * HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"method": "OPTIONS", "path": "*", "request_uri": "*"}}], "connection": "open"}},
{"id": "x-absolute-form", "options": {}, "send": [{"data": "GET http://other.example/x?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"host": "other.example", "path": "/x", "query": "q=1", "scheme": "http", "request_uri": "http://other.example/x?q=1"}}], "connection": "open"}},
{"id": "x-fragment", "options": {}, "send": [{"data": "GET /a%2Fb?x=1#frag HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"path": "/a/b", "query": "x=1", "request_uri": "/a%2Fb?x=1#frag"}}], "connection": "open"}},
{"id": "x-obs-fold", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Fold: a,\r\n\t b\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"headers": {"X-Fold": ["a, b"]}}}], "connection": "open"}},
{"id": "x-bad-host", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: bad host\r\n\r\n"}],
 "expect": {"responses": [{"status": 400, "headers": {"Connection": "close"}, "body_contains": "Bad Request"}], "connection": "closed"}},
{"id": "x-missing-host", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\n\r\n"}],
 "expect": {"responses": [{"status": 400, "body_contains": "Missing Host header"}], "connection": "closed"}},
{"id": "x-http10-keepalive", "options": {}, "send": [{"data": "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"path": "/a", "proto": "HTTP/1.0"}}, {"status": 200, "json": {"path": "/b"}}], "connection": "closed"}},
{"id": "x-http10-te", "options": {}, "send": [{"data": "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabc"}],
 "expect": {"responses": [{"status": 200, "json": {"body": "abc", "headers": {"Transfer-Encoding": ["chunked"]}}}], "connection": "closed"}},
{"id": "x-chunk-ext", "options": {}, "send": [{"data": "POST / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value;q=\"x y\"\r\nabc\r\n0\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"body": "abc", "content_length": 3}}], "connection": "open"}},
{"id": "x-expect-http10", "options": {}, "send": [{"data": "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"}],
 "expect": {"responses": [{"status": 200, "json": {"body": "hi", "headers": {"Expect": ["100-continue"]}}}], "connection": "closed"}},
{"id": "x-expect-other", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nExpect: something\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"headers": {"Expect": ["something"]}}}], "connection": "open"}},
{"id": "x-prefix-outside", "options": {"url_prefix": "/app"}, "send": [{"data": "GET /apple HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"path": "/apple", "script_name": "/app"}}], "connection": "open"}},
{"id": "x-forwarded", "options": {"trusted_proxy": "127.0.0.1", "trusted_proxy_headers": "forwarded", "trusted_proxy_count": "2"},
 "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nForwarded: for=192.0.2.1;host=a.example, for=\"[2001:db8::1]:4711\";proto=https;host=b.example:8443\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"remote_addr": "192.0.2.1", "scheme": "https", "host": "a.example", "server_name": "a.example", "server_port": "443", "headers": {"X-Forwarded-For": null}}}], "connection": "open"}},
{"id": "x-forwarded-count1", "options": {"trusted_proxy": "127.0.0.1", "trusted_proxy_headers": "forwarded"},
 "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nForwarded: for=192.0.2.1, for=\"[2001:db8::1]:4711\";proto=https;host=b.example:8443\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"remote_addr": "2001:db8::1", "remote_port": "4711", "scheme": "https", "host": "b.example:8443", "server_name": "b.example", "server_port": "8443"}}], "connection": "open"}},
{"id": "x-xff-port", "options": {"trusted_proxy": "127.0.0.1", "trusted_proxy_headers": "x-forwarded-host x-forwarded-port x-forwarded-proto"},
 "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Forwarded-Host: h.example\r\nX-Forwarded-Port: 8080\r\nX-Forwarded-Proto: https\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"host": "h.example:8080", "server_name": "h.example", "server_port": "8080", "scheme": "https"}}], "connection": "open"}},
{"id": "x-clear-forwarded", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nForwarded: for=192.0.2.9\r\nX-Kept: 1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"scheme": "http", "headers": {"Forwarded": null, "X-Kept": ["1"]}}}], "connection": "open"}},
{"id": "x-clear-x-forwarded-by", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nx-forwarded-by: proxy\r\nX-Kept: 1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"scheme": "http", "headers": {"X-Forwarded-By": null, "X-Kept": ["1"]}}}], "connection": "open"}},
{"id": "x-clear-x-forwarded-for", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-FORWARDED-FOR: 192.0.2.9\r\nX-Kept: 1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"scheme": "http", "headers": {"X-Forwarded-For": null, "X-Kept": ["1"]}}}], "connection": "open"}},
{"id": "x-clear-x-forwarded-host", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Forwarded-Host: h.example\r\nX-Kept: 1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"scheme": "http", "headers": {"X-Forwarded-Host": null, "X-Kept": ["1"]}}}], "connection": "open"}},
{"id": "x-clear-x-forwarded-port", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nx-forwarded-port: 8443\r\nX-Kept: 1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"scheme": "http", "headers": {"X-Forwarded-Port": null, "X-Kept": ["1"]}}}], "connection": "open"}},
{"id": "x-clear-x-forwarded-proto", "options": {}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Forwarded-Proto: https\r\nX-Kept: 1\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"scheme": "http", "headers": {"X-Forwarded-Proto": null, "X-Kept": ["1"]}}}], "connection": "open"}},
{"id": "x-no-clear", "options": {"clear_untrusted_proxy_headers": "false"}, "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"remote_addr": "127.0.0.1", "headers": {"X-Forwarded-For": ["1.2.3.4"]}}}], "connection": "open"}},
{"id": "x-unix-localhost-trust", "options": {"unix_socket": "{unix_socket}", "trusted_proxy": "localhost", "trusted_proxy_headers": "x-forwarded-for"},
 "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"remote_addr": "203.0.113.7"}}], "connection": "open"}},
{"id": "x-untrusted-peer", "options": {"trusted_proxy": "10.0.0.0/8", "trusted_proxy_headers": "x-forwarded-for"},
 "send": [{"data": "GET / HTTP/1.1\r\nHost: example.test\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"remote_addr": "127.0.0.1", "headers": {"X-Forwarded-For": null}}}], "connection": "open"}},
{"id": "x-http11-minor", "options": {}, "send": [{"data": "GET / HTTP/1.7\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "json": {"proto": "HTTP/1.1"}}], "connection": "open"}},
{"id": "x-dup-cl", "options": {}, "send": [{"data": "POST / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na"}],
 "expect": {"responses": [{"status": 400, "body_contains": "Duplicate header"}], "connection": "closed"}},
{"id": "x-head-big", "options": {}, "send": [{"data": "HEAD /?do=big&n=100000 HTTP/1.1\r\nHost: example.test\r\n\r\nGET /?do=len HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "head": true, "headers": {"Content-Length": "100000"}}, {"status": 200, "body": "0"}], "connection": "open"}},
{"id": "x-status-304", "options": {}, "send": [{"data": "GET /?do=status&code=304 HTTP/1.1\r\nHost: example.test\r\n\r\nGET /?do=len HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 304, "headers_absent": ["Content-Length", "Transfer-Encoding"]}, {"status": 200, "body": "0"}], "connection": "open"}},
{"id": "x-too-long-write", "options": {}, "send": [{"data": "GET /?do=cl&cl=2&body=abcdef HTTP/1.1\r\nHost: example.test\r\n\r\nGET /?do=len HTTP/1.1\r\nHost: example.test\r\n\r\n"}],
 "expect": {"responses": [{"status": 200, "body": "ab"}, {"status": 200, "body": "0"}], "connection": "open"}}
]`

func TestExtraWireCases(t *testing.T) { runWireCases(t, extraCases) }

// runWireCases runs wire cases given as JSON in the conformance format,
// each against a server started with its options.
func runWireCases(t *testing.T, js string) {
	t.Helper()
	var cases []confCase
	if err := json.Unmarshal([]byte(js), &cases); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		cs := &cases[i]
		t.Run(cs.ID, func(t *testing.T) {
			srv := startConfServer(t, cs.Options)
			defer srv.stop(t)
			runCase(t, srv, cs)
		})
	}
}
