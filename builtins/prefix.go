package builtins

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

var prefixKeys = []string{"prefix", "scheme", "translate_forwarded_server", "force_port"}

// PrefixFactory is the filter-app factory registered as "PasteDeploy#prefix"
// (egg:PasteDeploy#prefix, PasteDeploy's make_prefix_middleware): it mounts
// an application behind a reverse proxy that forwards a sub-path.
//
// Settings (no others are accepted):
//
//   - prefix (default "/"): the path the proxy mounts the application at,
//     taken literally (not as a regular expression) and without its trailing
//     slashes; it must start with "/". On every request the script name is
//     set to it (replacing any earlier one; "" for the default "/"), and the
//     URL path loses it when the path equals it (the path becomes "/") or
//     continues with "/" after it; any other path is left alone (/james does
//     not strip /jamesx). Unlike PasteDeploy, the match is on whole segments.
//   - translate_forwarded_server (strict boolean, default true): consume the
//     X-Forwarded-* headers the proxy sets: X-Forwarded-Server sets the
//     server name and r.Host; X-Forwarded-Host sets r.Host;
//     X-Forwarded-For sets the address part of r.RemoteAddr (the port is
//     kept); X-Forwarded-Scheme, else X-Forwarded-Proto, sets the scheme.
//     Only the text before the first comma is used, trimmed; each header used
//     is removed from the request. An empty value, or a scheme that is not a
//     valid URL scheme, is ignored (the header is still removed). Turn this
//     off unless the proxy always sets or strips these headers: the server's
//     trusted-proxy handling does not clear X-Forwarded-Server or
//     X-Forwarded-Scheme.
//   - force_port: when present, r.Host loses its port; a non-empty value (a
//     port number) is then appended to it and becomes the server port; an
//     empty value sets the server port to 80 for http, 443 otherwise.
//   - scheme: overrides the URL scheme, last (after the forwarded headers and
//     force_port).
//
// The wrapped application gets a copy of the request; the original is not
// modified.
func PrefixFactory(next http.Handler, global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("PasteDeploy#prefix", local, prefixKeys); err != nil {
		return nil, err
	}
	p := &prefixMiddleware{next: next, translate: true}
	var errs []error
	if v, ok := local.Get("prefix"); ok {
		t := strings.TrimRight(strings.TrimSpace(v.Raw), "/")
		if t != "" && !strings.HasPrefix(t, "/") {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "prefix", v,
				"the prefix must start with \"/\", got %q (did you mean \"/%s\"?)", v.Raw, t))
		}
		p.prefix = t
	}
	if b, err := boolSetting(local, "translate_forwarded_server", true); err != nil {
		errs = append(errs, err)
	} else {
		p.translate = b
	}
	if v, ok := local.Get("force_port"); ok {
		t := strings.TrimSpace(v.Raw)
		if t != "" {
			n, err := config.ParseIntRange(t, 1, 65535)
			if err != nil {
				errs = append(errs, wrapValueError("force_port", v, err))
			}
			t = itoa(n)
		}
		p.forcePort, p.hasForcePort = t, true
	}
	if v, ok := local.Get("scheme"); ok {
		t := strings.ToLower(strings.TrimSpace(v.Raw))
		if t != "" && !validScheme(t) {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, "scheme", v,
				"want a URL scheme such as http or https, got %q", v.Raw))
		}
		p.scheme = t
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

type prefixMiddleware struct {
	next         http.Handler
	prefix       string // "" or "/x", no trailing slash
	translate    bool
	forcePort    string
	hasForcePort bool
	scheme       string
}

func (p *prefixMiddleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = environ.WithScriptName(r, p.prefix) // a shallow copy from here on
	r.URL = cloneURL(r.URL)
	stripPrefix(r.URL, p.prefix)

	if p.translate {
		r.Header = r.Header.Clone()
		if v, ok := popForwarded(r.Header, "X-Forwarded-Server"); ok {
			r = environ.WithServerName(r, v)
			r.Host = v
		}
		if v, ok := popForwarded(r.Header, "X-Forwarded-Host"); ok {
			r.Host = v
		}
		if v, ok := popForwarded(r.Header, "X-Forwarded-For"); ok {
			if _, port, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				r.RemoteAddr = net.JoinHostPort(v, port)
			} else {
				r.RemoteAddr = v
			}
		}
		v, ok := popForwarded(r.Header, "X-Forwarded-Scheme")
		if !ok {
			v, ok = popForwarded(r.Header, "X-Forwarded-Proto")
		}
		if ok {
			if v = strings.ToLower(v); validScheme(v) {
				r = environ.WithScheme(r, v)
			}
		}
	}
	if p.hasForcePort {
		host := r.Host
		if host == "" {
			host = environ.ServerName(r)
		}
		host = hostWithoutPort(host)
		if p.forcePort != "" {
			r.Host = host + ":" + p.forcePort
			r = environ.WithServerPort(r, p.forcePort)
		} else {
			r.Host = host
			if environ.Scheme(r) == "http" {
				r = environ.WithServerPort(r, "80")
			} else {
				r = environ.WithServerPort(r, "443")
			}
		}
	}
	if p.scheme != "" {
		r = environ.WithScheme(r, p.scheme)
	}
	p.next.ServeHTTP(w, r)
}

// stripPrefix removes prefix from u's path on whole segments: a path equal
// to prefix becomes "/", a path continuing with "/" after it loses it, any
// other path is unchanged; an empty result is "/" (as in PasteDeploy). The
// comparison is on decoded segments; an encoded separator (%2F) never ends a
// segment.
func stripPrefix(u *url.URL, prefix string) {
	raw := u.EscapedPath()
	if rest, ok := cutSegments(raw, prefix); ok {
		raw = rest
	} else if raw != "" {
		return
	}
	if raw == "" {
		raw = "/"
	}
	setEscapedPath(u, raw)
}

// cutSegments returns the rest of the escaped path raw after the decoded
// path prefix, when raw equals prefix or continues with "/" after it.
func cutSegments(raw, prefix string) (string, bool) {
	if prefix == "" {
		return raw, true
	}
	n := strings.Count(prefix, "/") // segments in the prefix
	end := 0
	for i := 0; i < n; i++ {
		if end >= len(raw) || raw[end] != '/' {
			return "", false
		}
		j := strings.IndexByte(raw[end+1:], '/')
		if j < 0 {
			end = len(raw)
		} else {
			end += 1 + j
		}
	}
	if dec, ok := unescapeSegments(raw[:end]); !ok || dec != prefix {
		return "", false
	}
	return raw[end:], true
}

// popForwarded removes the header name and returns the text before the first
// comma of its first value, trimmed of spaces and tabs; ok is false when the
// header is absent or that text is empty.
func popForwarded(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	h.Del(name)
	v, _, _ := strings.Cut(vs[0], ",")
	v = strings.Trim(v, " \t")
	return v, v != ""
}

// hostWithoutPort removes a :port from a host[:port], minding IPv6 brackets.
func hostWithoutPort(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}

// validScheme reports whether s is a lower-case URL scheme (RFC 3986).
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
