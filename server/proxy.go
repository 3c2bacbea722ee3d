package server

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"

	"github.com/gowaitress/gowaitress/environ"
)

// proxyHeaders are the six proxy headers in canonical form, keyed by their
// trusted_proxy_headers name.
var proxyHeaders = map[string]string{
	"forwarded":         "Forwarded",
	"x-forwarded-for":   "X-Forwarded-For",
	"x-forwarded-host":  "X-Forwarded-Host",
	"x-forwarded-proto": "X-Forwarded-Proto",
	"x-forwarded-port":  "X-Forwarded-Port",
	"x-forwarded-by":    "X-Forwarded-By",
}

var proxyHeaderList = []string{"Forwarded", "X-Forwarded-By", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto"}

// isTrusted reports whether the socket peer may send proxy headers (§10.2).
func (s *Server) isTrusted(c *conn, peer string) bool {
	unix := c != nil && c.isUnix()
	var ip netip.Addr
	if !unix {
		if a, err := netip.ParseAddr(peer); err == nil {
			ip = a.Unmap().WithZone("")
		}
	}
	for _, t := range s.trust {
		switch {
		case t.any:
			return true
		case t.localhost:
			if unix {
				return true
			}
		case ip.IsValid() && t.prefix.Contains(ip):
			return true
		}
	}
	return false
}

// clearUntrusted removes the proxy headers of an untrusted peer's request
// (with clear_untrusted_proxy_headers), logging them with
// log_untrusted_proxy_headers.
func (s *Server) clearUntrusted(r *http.Request) {
	if !s.opts.ClearUntrustedProxyHeaders {
		return
	}
	var removed []string
	if len(r.Header) < len(proxyHeaderList) {
		// Fewer request headers than proxy header names: look at those.
		for name := range r.Header {
			switch name {
			case "Forwarded", "X-Forwarded-By", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto":
				delete(r.Header, name)
				removed = append(removed, name)
			}
		}
	} else {
		for _, name := range proxyHeaderList {
			if _, ok := r.Header[name]; ok {
				delete(r.Header, name)
				removed = append(removed, name)
			}
		}
	}
	if len(removed) > 0 && s.opts.LogUntrustedProxyHeaders {
		sort.Strings(removed)
		s.log.Warn("Removed untrusted headers (" + strings.Join(removed, ", ") + "). Waitress recommends these be removed upstream.")
	}
}

type malformed struct{ header, reason, value string }

func (m *malformed) Error() string { return m.reason }

// undquote removes a valid quoted-string's quotes and escapes (waitress's
// undquote); a value with a quote at only one end is an error.
func undquote(v string) (string, error) {
	if strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) && len(v) >= 2 {
		inner := v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			ch := inner[i]
			switch {
			case ch == '\\':
				if i+1 >= len(inner) {
					return "", errors.New("Invalid quoting in value")
				}
				i++
				b.WriteByte(inner[i])
			case ch == '"':
				return "", errors.New("Invalid quoting in value")
			case ch < 0x20 && ch != '\t' || ch == 0x7f:
				return "", errors.New("Invalid quoting in value")
			default:
				b.WriteByte(ch)
			}
		}
		return b.String(), nil
	}
	if !strings.HasPrefix(v, `"`) && !strings.HasSuffix(v, `"`) {
		return v, nil
	}
	return "", errors.New("Invalid quoting in value")
}

func joined(h http.Header, name string) (string, bool) {
	vs, ok := h[name]
	if !ok {
		return "", false
	}
	return strings.Join(vs, ","), true
}

func lastN(items []string, n int) []string {
	if n < len(items) {
		return items[len(items)-n:]
	}
	return items
}

// applyProxy interprets trusted proxy headers and clears untrusted ones
// (§10.3, §10.4). It returns the 400 of §10.5 for a malformed trusted header.
func (s *Server) applyProxy(r *http.Request, c *conn, f *environ.Facts) *httpError {
	if len(s.trust) == 0 { // no peer is trusted: no address to parse
		s.clearUntrusted(r)
		return nil
	}
	peer, peerPort, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer, peerPort = r.RemoteAddr, ""
	}
	trusted := s.isTrusted(c, peer)
	if !trusted {
		s.clearUntrusted(r)
		return nil
	}
	untrusted := map[string]bool{}
	for k := range proxyHeaders {
		untrusted[k] = true
	}
	{
		if m := s.interpret(r, peerPort, f, untrusted); m != nil {
			s.log.Warn(`Malformed proxy header "` + m.header + `" from "` + peer + `": ` + m.reason + " value: " + m.value)
			return badReq(`Header "`+m.header+`" malformed.`, r.Proto)
		}
	}
	if !s.opts.ClearUntrustedProxyHeaders {
		return nil
	}
	var removed []string
	for k := range untrusted {
		name := proxyHeaders[k]
		if _, ok := r.Header[name]; ok {
			delete(r.Header, name)
			removed = append(removed, name)
		}
	}
	if len(removed) > 0 && s.opts.LogUntrustedProxyHeaders {
		sort.Strings(removed)
		s.log.Warn("Removed untrusted headers (" + strings.Join(removed, ", ") + "). Waitress recommends these be removed upstream.")
	}
	return nil
}

func (s *Server) interpret(r *http.Request, peerPort string, f *environ.Facts, untrusted map[string]bool) *malformed {
	n := s.opts.TrustedProxyCount
	if n < 1 {
		n = 1
	}
	var client, host, proto, port string
	h := r.Header
	if s.xheads["forwarded"] {
		delete(untrusted, "forwarded")
		if fw, ok := joined(h, "Forwarded"); ok && fw != "" {
			type hop struct{ forFor, host, proto string }
			var hops []hop
			var raw []string
			for _, el := range strings.Split(fw, ",") {
				el = strings.TrimSpace(el)
				raw = append(raw, el)
				var hp hop
				for _, pair := range strings.Split(el, ";") {
					pair = strings.ToLower(pair)
					if pair == "" {
						continue
					}
					tok, val, ok := strings.Cut(pair, "=")
					if !ok {
						return &malformed{"Forwarded", "Invalid forwarded parameter", pair}
					}
					if strings.TrimSpace(tok) != tok {
						return &malformed{"Forwarded", "Token contains leading/trailing whitespace", pair}
					}
					if strings.TrimSpace(val) != val {
						return &malformed{"Forwarded", "Value contains leading/trailing whitespace", pair}
					}
					if tok != "by" && tok != "for" && tok != "host" && tok != "proto" {
						// Not unquoted, so a bad quote here is no error (as waitress).
						s.log.Warn("Unknown Forwarded token: " + tok)
						continue
					}
					v, err := undquote(val)
					if err != nil {
						return &malformed{"Forwarded", "Invalid quoting in value", val}
					}
					switch tok {
					case "by":
					case "for":
						hp.forFor = v
					case "host":
						hp.host = v
					case "proto":
						hp.proto = v
					}
				}
				hops = append(hops, hp)
			}
			tr := hops
			if n < len(tr) {
				tr = tr[len(tr)-n:]
			}
			for i := len(tr) - 1; i >= 0; i-- {
				if tr[i].forFor != "" {
					client = tr[i].forFor
				}
				if tr[i].host != "" {
					host = tr[i].host
				}
				if tr[i].proto != "" {
					proto = tr[i].proto
				}
			}
			h["Forwarded"] = []string{strings.Join(lastN(raw, n), ",")}
		}
		if proto != "" {
			proto = strings.ToLower(proto)
			if proto != "http" && proto != "https" {
				return &malformed{"Forwarded Proto=", `Invalid "Forwarded Proto=" or "X-Forwarded-Proto" value`, proto}
			}
		}
	} else {
		list := func(name string) ([]string, []string, *malformed) {
			v, ok := joined(h, name)
			if !ok {
				return nil, nil, nil
			}
			var items, raw []string
			for _, hop := range strings.Split(v, ",") {
				hop = strings.TrimSpace(hop)
				raw = append(raw, hop)
				u, err := undquote(hop)
				if err != nil {
					return nil, nil, &malformed{name, err.Error(), v}
				}
				items = append(items, u)
			}
			return items, raw, nil
		}
		if s.xheads["x-forwarded-for"] {
			delete(untrusted, "x-forwarded-for")
			items, raw, m := list("X-Forwarded-For")
			if m != nil {
				return m
			}
			if len(items) > 0 {
				for i, it := range items {
					if !strings.Contains(it, ".") && strings.Contains(it, ":") && !strings.HasSuffix(it, "]") {
						items[i] = "[" + it + "]"
					}
				}
				client = lastN(items, n)[0]
				h["X-Forwarded-For"] = []string{strings.Join(lastN(raw, n), ",")}
			}
		}
		if s.xheads["x-forwarded-host"] {
			delete(untrusted, "x-forwarded-host")
			items, raw, m := list("X-Forwarded-Host")
			if m != nil {
				return m
			}
			if len(items) > 0 {
				host = lastN(items, n)[0]
				h["X-Forwarded-Host"] = []string{strings.Join(lastN(raw, n), ",")}
			}
		}
		single := func(name string) (string, *malformed) {
			v, _ := joined(h, name)
			u, err := undquote(v)
			if err != nil {
				return "", &malformed{name, err.Error(), v}
			}
			if strings.Contains(u, ",") {
				return "", &malformed{name, "Unspecified behavior for multiple values found in header", u}
			}
			return u, nil
		}
		if s.xheads["x-forwarded-proto"] {
			delete(untrusted, "x-forwarded-proto")
			v, m := single("X-Forwarded-Proto")
			if m != nil {
				return m
			}
			proto = v
		}
		if s.xheads["x-forwarded-port"] {
			delete(untrusted, "x-forwarded-port")
			v, m := single("X-Forwarded-Port")
			if m != nil {
				return m
			}
			port = v
		}
		if s.xheads["x-forwarded-by"] {
			delete(untrusted, "x-forwarded-by")
		}
		if proto != "" {
			proto = strings.ToLower(proto)
			if proto != "http" && proto != "https" {
				return &malformed{"X-Forwarded-Proto", `Invalid "Forwarded Proto=" or "X-Forwarded-Proto" value`, proto}
			}
		}
	}

	scheme := f.Scheme
	if proto != "" {
		scheme = proto
		f.Scheme = proto
		if port == "" {
			if proto == "https" {
				port = "443"
			} else {
				port = "80"
			}
		}
	}
	if host != "" {
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
			port = host[i+1:]
			f.ServerName = strings.TrimSpace(host[:i])
			r.Host = host
		} else {
			f.ServerName = host
			r.Host = host
			if port != "" && (port != "80" && port != "443" || port == "80" && scheme != "http" || port == "443" && scheme != "https") {
				r.Host = host + ":" + port
			}
		}
	}
	if port != "" {
		f.ServerPort = port
	}
	if client != "" {
		addr, cport := client, peerPort
		if i := strings.LastIndexByte(client, ':'); i >= 0 && !strings.HasSuffix(client, "]") {
			addr, cport = strings.TrimSpace(client[:i]), strings.TrimSpace(client[i+1:])
		}
		addr = strings.Trim(strings.TrimSpace(addr), "[]")
		if cport == "" {
			r.RemoteAddr = addr
		} else {
			r.RemoteAddr = net.JoinHostPort(addr, cport)
		}
	}
	return nil
}
