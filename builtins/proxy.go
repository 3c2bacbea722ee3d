package builtins

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

var (
	proxyKeys            = []string{"address", "allowed_request_methods", "suppress_http_headers"}
	transparentProxyKeys = []string{"force_host", "force_scheme", "allowed_request_methods", "suppress_http_headers"}
)

// viaToken names this process in the Via header the proxies add, so that a
// request that comes back to the proxy that sent it is refused (508) instead
// of looping.
var viaToken = func() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gowaitress-" + hex.EncodeToString(b)
}()

// ProxyFactory is the app factory registered as "Paste#proxy"
// (egg:Paste#proxy, Paste's make_proxy): a reverse proxy to one fixed
// upstream.
//
// Settings:
//
//   - address (required): the upstream URL, http or https, with an optional
//     base path, e.g. http://127.0.0.1:8080/backend/. The request path
//     (r.URL.Path, relative to the mount point; the script name is not sent)
//     is appended to the base path, and the query string is kept. The Host
//     header sent is the upstream's host, as in Paste.
//   - allowed_request_methods (words, any case; default: all): other methods
//     are answered 405 Method Not Allowed with an Allow header.
//   - suppress_http_headers (words; default none): request headers not
//     passed on, by name ("cookie", "user-agent"; an underscore counts as a
//     dash, case is ignored, as Paste compares). Host cannot be suppressed.
//
// Both directions stream: the request body is sent as it arrives, and the
// response is flushed to the client as it comes when its length is unknown
// (chunked or event streams). Hop-by-hop headers (Connection and the headers
// it names, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) are
// removed in both directions (protocol upgrades such as WebSocket are still
// relayed). Any X-Forwarded-For/-Host/-Proto/-Port and Forwarded headers
// from the client are replaced: X-Forwarded-For is the client's incoming
// X-Forwarded-For list with the client address (r.RemoteAddr) appended,
// X-Forwarded-Host the Host the client asked for, X-Forwarded-Proto and
// X-Forwarded-Port the scheme and server port the application sees
// (environ.Scheme, environ.ServerPort). A Via header naming this process is
// added; a request that already carries it is answered 508 Loop Detected.
// A path with a "." or ".." segment (encoded or not) is answered 400, so
// that no request reaches the upstream outside address's path.
// Header values are never built from unchecked text: net/http refuses CR, LF
// and NUL in header values in both directions, so a header cannot be
// injected. Environment proxy settings (HTTP_PROXY) are not used.
//
// When the upstream cannot be reached or answers with something that is not
// HTTP, the client gets 502 Bad Gateway and the cause is logged at error
// level on the "wsgi" zap logger (zap.L() when the factory runs).
//
// Unlike Paste: a base path without a trailing slash is kept (Paste's urljoin
// dropped its last segment), disallowed methods get 405 rather than 400, the
// response streams (Paste read it whole), and the X-Forwarded-Host, -Proto,
// -Port and Via headers are added.
func ProxyFactory(global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("Paste#proxy", local, proxyKeys); err != nil {
		return nil, err
	}
	g := config.NewGetter(local)
	g.Require("address")
	if err := g.Err(); err != nil {
		return nil, err
	}
	v, _ := local.Get("address")
	u, err := url.Parse(strings.TrimSpace(v.Raw))
	if err == nil {
		u.Scheme = strings.ToLower(u.Scheme)
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "address", v,
			"want an http or https URL with a host and an optional path, such as http://127.0.0.1:8080/, got %q", v.Raw)
	}
	p := newProxy(zap.L(), local)
	p.fixed = u
	p.basePath = strings.TrimRight(u.EscapedPath(), "/")
	return p, nil
}

// TransparentProxyFactory is the app factory registered as
// "Paste#transparent_proxy" (egg:Paste#transparent_proxy, Paste's
// make_transparent_proxy): it forwards each request to the host the request
// itself names (its Host header), with the scheme the application sees, the
// full path (script name and path) and the query — for use behind a
// front end that routes by host.
//
// Settings:
//
//   - force_host (default none): connect to this host[:port] instead of the
//     one the request names; the Host header sent stays the client's.
//   - force_scheme (http or https, default http): the scheme used with
//     force_host (without force_host, the request's own scheme is used).
//   - allowed_request_methods, suppress_http_headers: as for Paste#proxy
//     (not in Paste's transparent proxy).
//
// Everything else (streaming, hop-by-hop headers, X-Forwarded-*, Via and
// loop detection, 502 with the cause logged) is as for Paste#proxy, except
// that the Host header is passed on unchanged. A request without a Host, or
// whose Host is not a plain host[:port], is answered 400.
//
// Security: without force_host this is an open proxy to any host a client
// names, including internal addresses; mount it only where the hosts that
// reach it are restricted (for example under a urlmap "domain" entry), or
// set force_host.
func TransparentProxyFactory(global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("Paste#transparent_proxy", local, transparentProxyKeys); err != nil {
		return nil, err
	}
	p := newProxy(zap.L(), local)
	p.transparent = true
	p.forceScheme = "http"
	var errs []error
	if v, ok := local.Get("force_host"); ok && strings.TrimSpace(v.Raw) != "" {
		h := strings.TrimSpace(v.Raw)
		if !validHostPort(h) {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "force_host", v,
				"want a host or host:port such as 10.0.0.5:8080, got %q", v.Raw))
		}
		p.forceHost = h
	}
	if v, ok := local.Get("force_scheme"); ok && strings.TrimSpace(v.Raw) != "" {
		s := strings.ToLower(strings.TrimSpace(v.Raw))
		if s != "http" && s != "https" {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "force_scheme", v,
				"want http or https, got %q", v.Raw))
		}
		p.forceScheme = s
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

type proxyApp struct {
	log      *zap.Logger
	allowed  []string // upper case; nil: all
	suppress []string // canonical header names
	rp       *httputil.ReverseProxy

	fixed    *url.URL // Paste#proxy
	basePath string   // escaped, no trailing slash

	transparent bool
	forceHost   string
	forceScheme string
}

type proxyTargetKey struct{}

// proxyTarget is what ServeHTTP decided, passed to Rewrite in the context.
type proxyTarget struct {
	scheme, host, rawPath, hostHeader string
}

func newProxy(base *zap.Logger, local *config.Settings) *proxyApp {
	if base == nil {
		base = zap.NewNop()
	}
	p := &proxyApp{log: base.Named("wsgi")}
	for _, m := range local.Words("allowed_request_methods", nil) {
		p.allowed = append(p.allowed, strings.ToUpper(m))
	}
	for _, h := range local.Words("suppress_http_headers", nil) {
		h = http.CanonicalHeaderKey(strings.ReplaceAll(h, "_", "-"))
		if strings.HasPrefix(h, "Http-") {
			h = h[len("Http-"):] // Paste's form without the CGI prefix is the norm; accept both
		}
		if h != "Host" {
			p.suppress = append(p.suppress, h)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil               // never through HTTP_PROXY
	tr.DisableCompression = true // pass Accept-Encoding and bodies through as they are
	p.rp = &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    tr,
		ErrorHandler: p.upstreamError,
		ErrorLog:     zap.NewStdLog(p.log),
	}
	return p
}

func (p *proxyApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.allowed != nil && !slices.Contains(p.allowed, strings.ToUpper(r.Method)) {
		w.Header().Set("Allow", strings.Join(p.allowed, ", "))
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	for _, v := range r.Header.Values("Via") {
		if strings.Contains(v, viaToken) {
			p.log.Error("proxy: request loops back to this proxy", zap.String("uri", requestURI(r)))
			http.Error(w, "508 Loop Detected", http.StatusLoopDetected)
			return
		}
	}
	if hasDotSegment(r.URL.Path) {
		// An upstream would resolve them, reaching paths outside address's path.
		http.Error(w, "400 Bad Request: dot segments in path", http.StatusBadRequest)
		return
	}
	t := proxyTarget{}
	if p.transparent {
		if r.Host == "" || !validHostPort(r.Host) {
			http.Error(w, "400 Bad Request: missing or invalid Host", http.StatusBadRequest)
			return
		}
		t.hostHeader = r.Host
		t.scheme, t.host = environ.Scheme(r), r.Host
		if p.forceHost != "" {
			t.scheme, t.host = p.forceScheme, p.forceHost
		}
		if t.scheme != "http" && t.scheme != "https" {
			http.Error(w, "400 Bad Request: unsupported scheme", http.StatusBadRequest)
			return
		}
		t.rawPath = (&url.URL{Path: environ.ScriptName(r)}).EscapedPath() + r.URL.EscapedPath()
	} else {
		t.scheme, t.host, t.hostHeader = p.fixed.Scheme, p.fixed.Host, p.fixed.Host
		t.rawPath = p.basePath + r.URL.EscapedPath()
	}
	if !strings.HasPrefix(t.rawPath, "/") {
		t.rawPath = "/" + t.rawPath
	}
	// Let the response start while the request body still arrives (net/http
	// servers otherwise drain the body first); other servers ignore it.
	_ = http.NewResponseController(w).EnableFullDuplex()
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), proxyTargetKey{}, t)))
}

func (p *proxyApp) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	t, _ := in.Context().Value(proxyTargetKey{}).(proxyTarget)
	out.URL.Scheme, out.URL.Host = t.scheme, t.host
	out.URL.User = nil
	setEscapedPath(out.URL, t.rawPath)
	out.URL.RawQuery = in.URL.RawQuery
	out.Host = t.hostHeader
	for _, h := range p.suppress {
		out.Header.Del(h)
	}

	client := in.RemoteAddr
	if h, _, err := net.SplitHostPort(client); err == nil {
		client = h
	}
	var xff []string
	for _, v := range in.Header.Values("X-Forwarded-For") {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				xff = append(xff, item)
			}
		}
	}
	if client != "" {
		xff = append(xff, client)
	}
	setIfValid(out.Header, "X-Forwarded-For", strings.Join(xff, ", "))
	setIfValid(out.Header, "X-Forwarded-Host", in.Host)
	setIfValid(out.Header, "X-Forwarded-Proto", environ.Scheme(in))
	setIfValid(out.Header, "X-Forwarded-Port", environ.ServerPort(in))
	proto := "1.1"
	if v, ok := strings.CutPrefix(in.Proto, "HTTP/"); ok && v != "" {
		proto = v
	}
	out.Header.Add("Via", proto+" "+viaToken)
}

// setIfValid sets a header whose value came from the request, unless the
// value is empty or holds a control character (which could split headers).
func setIfValid(h http.Header, name, v string) {
	if v == "" {
		return
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return
		}
	}
	h.Set(name, v)
}

func (p *proxyApp) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	t, _ := r.Context().Value(proxyTargetKey{}).(proxyTarget)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		p.log.Info("proxy: client went away", zap.String("upstream", t.scheme+"://"+t.host), zap.Error(err))
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	p.log.Error("proxy: upstream error", zap.String("upstream", t.scheme+"://"+t.host),
		zap.String("method", r.Method), zap.String("uri", requestURI(r)), zap.Error(err))
	http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
}

// hasDotSegment reports whether the decoded path has a "." or ".." segment
// (encoded dots and separators included, since p is decoded).
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// validHostPort reports whether s is a plain host or host:port: a name, an
// IPv4 address or a bracketed IPv6 address, and a numeric port.
func validHostPort(s string) bool {
	if s == "" || len(s) > 300 {
		return false
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return false
		}
		host, port = s[1:i], s[i+1:]
		if net.ParseIP(host) == nil {
			return false
		}
		if port != "" && port[0] != ':' {
			return false
		}
		port = strings.TrimPrefix(port, ":")
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if host == "" {
			return false
		}
	}
	if port != "" || strings.HasSuffix(s, ":") {
		if _, err := config.ParseIntRange(port, 1, 65535); err != nil {
			return false
		}
	}
	if strings.HasPrefix(s, "[") {
		return true
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
