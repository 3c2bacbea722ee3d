package builtins

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// URLMapFactory is the composite factory registered as "Paste#urlmap"
// (egg:Paste#urlmap): it dispatches requests to applications by host and path
// prefix, like Paste's urlmap_factory.
//
// Settings:
//
//   - not_found_app: the application (a name or URI, as for `use`) that
//     answers requests no route matches. Taken from the local settings, else
//     from the global settings (`set not_found_app = x`, or [DEFAULT]). Empty
//     or absent: a 404 page listing the routes.
//   - every other local key is a route expression whose value names the
//     application to mount: `/path`, `domain HOST /path`,
//     `domain HOST port N /path` (tokens separated by whitespace, in any
//     order; the path may be left out, meaning the whole host). [DEFAULT]
//     keys never reach the local settings, so they are never routes.
//
// Route paths must be empty or start with "/" (with a domain the "/" is
// optional); runs of "/" collapse and a trailing "/" is dropped, so "/" is
// the catch-all route "" and "/docs/" is "/docs". Domains are compared
// case-insensitively. A later route with the same domain and path replaces
// an earlier one (both applications are still loaded).
//
// Children are loaded through the loader with the composite's global
// settings: not_found_app first, then the routes in file order.
//
// Dispatch: routes with a domain are tried before routes without one. Among
// the routes whose domain equals the request host or host:port (the Host
// header, else ServerName, lower-cased; the port defaults to 80 for http and
// 443 otherwise), the longest path wins, and a host:port route beats a
// host-only route with the same path; among domain-less routes the longest
// path wins. A path P matches when the request path, with runs of "/"
// collapsed, equals P or continues with "/" after it (whole segments: /blog
// matches /blog, /blog/ and /blog/x, not /blogger; an encoded %2F is not a
// separator). The matched application gets a copy of the request whose
// script name has P appended and whose URL path has P removed. Dot segments
// ("..") are not resolved, as in Paste: they reach the mounted application.
//
// Differences from Paste (deliberate): the longest matching path is tried
// first even across "domain HOST /" and "domain HOST port N /path" routes
// (Paste's string ordering lets the host-only route shadow the other); a
// request without a Host header gets the 404 page instead of a crash; route
// domains are lower-cased.
func URLMapFactory(loader pastedeploy.Loader, global, local *config.Settings) (http.Handler, error) {
	type pending struct{ app, domain, path string }
	var (
		routes []pending
		errs   []error
	)
	for key, v := range local.All() {
		if key == "not_found_app" {
			continue
		}
		domain, path, err := parseRoute(key)
		if err != nil {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, key, v,
				"invalid urlmap route: %v", err))
			continue
		}
		if strings.TrimSpace(v.Raw) == "" {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, key, v,
				"the urlmap route names no application"))
			continue
		}
		routes = append(routes, pending{app: v.Raw, domain: domain, path: path})
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}

	m := &URLMap{byKey: make(map[routeKey]int)}
	nf, ok := local.Get("not_found_app")
	if !ok {
		nf, ok = global.Get("not_found_app")
	}
	if ok && strings.TrimSpace(nf.Raw) != "" {
		h, err := loader.GetApp(nf.Raw, global)
		if err != nil {
			return nil, err
		}
		m.notFound = h
	}
	for _, p := range routes {
		h, err := loader.GetApp(p.app, global)
		if err != nil {
			return nil, err
		}
		m.add(p.domain, p.path, h)
	}
	m.sortRoutes()
	return m, nil
}

// URLMap is the handler built by URLMapFactory.
type URLMap struct {
	routes     []Route          // in trial order (see sortRoutes)
	byKey      map[routeKey]int // index into routes
	hasDomains bool
	pathLens   map[int]bool // the lengths of the routes' paths
	notFound   http.Handler // nil: the built-in 404 page
}

// Route is one entry of a URLMap.
type Route struct {
	Domain string       // "" (any host), "host" or "host:port", lower-case
	Path   string       // "" (everything) or "/a/b", without a trailing slash
	App    http.Handler // the application mounted there
}

type routeKey struct{ domain, path string }

// add mounts h at (domain, path), replacing an earlier route with the same
// key. Call sortRoutes when done adding.
func (m *URLMap) add(domain, path string, h http.Handler) {
	k := routeKey{domain, path}
	if i, ok := m.byKey[k]; ok {
		m.routes[i].App = h
		return
	}
	m.byKey[k] = len(m.routes)
	m.routes = append(m.routes, Route{Domain: domain, Path: path, App: h})
}

func (m *URLMap) reindex() {
	clear(m.byKey)
	m.hasDomains = false
	m.pathLens = make(map[int]bool)
	for i, r := range m.routes {
		m.byKey[routeKey{r.Domain, r.Path}] = i
		m.pathLens[len(r.Path)] = true
		if r.Domain != "" {
			m.hasDomains = true
		}
	}
}

// sortRoutes puts the routes in trial order: domain routes first (longer
// path first, host:port before host-only for equal paths, then by domain),
// then domain-less routes, longer path first.
func (m *URLMap) sortRoutes() {
	sort.SliceStable(m.routes, func(i, j int) bool {
		a, b := m.routes[i], m.routes[j]
		if (a.Domain != "") != (b.Domain != "") {
			return a.Domain != ""
		}
		if len(a.Path) != len(b.Path) {
			return len(a.Path) > len(b.Path)
		}
		if ap, bp := strings.Contains(a.Domain, ":"), strings.Contains(b.Domain, ":"); ap != bp {
			return ap
		}
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		return a.Path < b.Path
	})
	m.reindex()
}

// Routes returns the routes in the order they are tried.
func (m *URLMap) Routes() []Route { return append([]Route(nil), m.routes...) }

type urlmapCtxKey struct{}

// URLMapFromRequest returns the URLMap that passed r to its not-found
// application (Paste's environ['paste.urlmap_object']), or nil.
func URLMapFromRequest(r *http.Request) *URLMap {
	m, _ := r.Context().Value(urlmapCtxKey{}).(*URLMap)
	return m
}

// ServeHTTP dispatches r to the matching route, or to the not-found
// application.
func (m *URLMap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := collapseSlashes(r.URL.EscapedPath())
	host, port := requestHostPort(r)
	if m.hasDomains {
		hostPort := host + ":" + port
		if m.try(w, r, raw, hostPort, host) {
			return
		}
	}
	if m.try(w, r, raw, "") {
		return
	}
	ctx := context.WithValue(r.Context(), urlmapCtxKey{}, m)
	r = r.WithContext(ctx)
	if m.notFound != nil {
		m.notFound.ServeHTTP(w, r)
		return
	}
	m.notFoundPage(w, r)
}

// try looks for a route whose domain is one of domains (in order of
// preference) and whose path is the longest segment prefix of raw (an
// escaped, slash-collapsed path); it serves the request and reports true
// when there is one. Only prefixes as long as some route's path are looked
// up, so the cost is linear in the length of the path.
func (m *URLMap) try(w http.ResponseWriter, r *http.Request, raw string, domains ...string) bool {
	if raw != "" && raw[0] != '/' {
		return false // such as "*": no route path can be a prefix of it
	}
	if !strings.Contains(raw, "%") {
		// Candidates, longest first: the whole path, then the text before each '/'.
		for end := len(raw); end >= 0; end = strings.LastIndexByte(raw[:end], '/') {
			if m.pathLens[end] && m.lookup(w, r, raw, end, raw[:end], domains) {
				return true
			}
			if end == 0 {
				break
			}
		}
		return false
	}
	// Decode segment by segment; a segment holding an encoded separator
	// ends the prefixes that can match.
	type cand struct{ rawEnd, decEnd int }
	var (
		dec   strings.Builder
		cands = []cand{{0, 0}}
	)
	for pos := 0; pos < len(raw); {
		next := strings.IndexByte(raw[pos+1:], '/')
		if next < 0 {
			next = len(raw)
		} else {
			next += pos + 1
		}
		seg, err := url.PathUnescape(raw[pos+1 : next])
		if err != nil || strings.Contains(seg, "/") {
			break
		}
		dec.WriteByte('/')
		dec.WriteString(seg)
		cands = append(cands, cand{next, dec.Len()})
		pos = next
	}
	d := dec.String()
	for i := len(cands) - 1; i >= 0; i-- {
		c := cands[i]
		if m.pathLens[c.decEnd] && m.lookup(w, r, raw, c.rawEnd, d[:c.decEnd], domains) {
			return true
		}
	}
	return false
}

// lookup serves r with the route (domain, prefix) for the first domain that
// has one; raw[end:] is the rest of the path.
func (m *URLMap) lookup(w http.ResponseWriter, r *http.Request, raw string, end int, prefix string, domains []string) bool {
	for _, d := range domains {
		if i, ok := m.byKey[routeKey{d, prefix}]; ok {
			m.serve(w, r, m.routes[i], raw, end)
			return true
		}
	}
	return false
}

func (m *URLMap) serve(w http.ResponseWriter, r *http.Request, rt Route, raw string, end int) {
	r2 := environ.WithScriptName(r, environ.ScriptName(r)+rt.Path)
	r2.URL = cloneURL(r.URL)
	setEscapedPath(r2.URL, raw[end:])
	rt.App.ServeHTTP(w, r2)
}

// requestHostPort returns the lower-cased request host and port: from the
// Host header, else ServerName; the port defaults from the scheme.
func requestHostPort(r *http.Request) (host, port string) {
	h := r.Host
	if h == "" {
		h = environ.ServerName(r)
	}
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") { // IPv6 literal, perhaps with a port
		if i := strings.IndexByte(h, ']'); i >= 0 {
			if rest := h[i+1:]; strings.HasPrefix(rest, ":") {
				return h[:i+1], rest[1:]
			}
			return h[:i+1], defaultPort(r)
		}
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		return h[:i], h[i+1:]
	}
	return h, defaultPort(r)
}

func defaultPort(r *http.Request) string {
	if environ.Scheme(r) == "http" {
		return "80"
	}
	return "443"
}

// notFoundPage answers 404 with a page naming the routes, the script name,
// the path and the host (Paste's not_found_application), HTML-escaped.
func (m *URLMap) notFoundPage(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("defined apps: ")
	for i, rt := range m.routes {
		if i > 0 {
			b.WriteString(",\n  ")
		}
		if rt.Domain != "" {
			fmt.Fprintf(&b, "(%q, %q)", rt.Domain, rt.Path)
		} else {
			fmt.Fprintf(&b, "%q", rt.Path)
		}
	}
	fmt.Fprintf(&b, "\nSCRIPT_NAME: %q", environ.ScriptName(r))
	fmt.Fprintf(&b, "\nPATH_INFO: %q", r.URL.Path)
	fmt.Fprintf(&b, "\nHTTP_HOST: %q", r.Host)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h1>404 Not Found</h1>\n"+
		"<p>The resource could not be found.</p>\n<pre>%s</pre>\n</body>\n</html>\n",
		html.EscapeString(b.String()))
}

var domainURLRe = regexp.MustCompile(`^(http|https)://`)

// parseRoute parses a route expression (Paste's parse_path_expression and
// URLMap.normalize_url) into a lower-cased domain ("", "host" or
// "host:port") and a normalised path. The error texts are Paste's.
func parseRoute(expr string) (domain, path string, err error) {
	parts := strings.Fields(expr)
	var d, port, p string
	for len(parts) > 0 {
		switch parts[0] {
		case "domain":
			parts = parts[1:]
			if len(parts) == 0 {
				return "", "", fmt.Errorf("'domain' must be followed with a domain name")
			}
			if d != "" {
				return "", "", fmt.Errorf("'domain' given twice")
			}
			d, parts = parts[0], parts[1:]
		case "port":
			parts = parts[1:]
			if len(parts) == 0 {
				return "", "", fmt.Errorf("'port' must be followed with a port number")
			}
			if port != "" {
				return "", "", fmt.Errorf("'port' given twice")
			}
			port, parts = parts[0], parts[1:]
			if !isDigits(port) {
				return "", "", fmt.Errorf("'port' must be followed with a port number (got '%s')", port)
			}
		default:
			if p != "" {
				return "", "", fmt.Errorf("more than one path given (have '%s', got '%s')", p, parts[0])
			}
			p, parts = parts[0], parts[1:]
		}
	}
	s := ""
	if d != "" {
		s = "http://" + d
	}
	if port != "" {
		if d == "" {
			return "", "", fmt.Errorf("If you give a port, you must also give a domain")
		}
		s += ":" + port
	}
	if p != "" {
		if s != "" {
			s += "/"
		}
		s += p
	}
	// normalize_url
	if s != "" && !strings.HasPrefix(s, "/") && !domainURLRe.MatchString(s) {
		return "", "", fmt.Errorf("URL fragments must start with / or http:// (you gave '%s')", s)
	}
	if loc := domainURLRe.FindStringIndex(s); loc != nil {
		s = s[loc[1]:]
		if i := strings.IndexByte(s, '/'); i >= 0 {
			domain, s = s[:i], s[i:]
		} else {
			domain, s = s, ""
		}
		if domain == "" {
			return "", "", fmt.Errorf("empty domain in %q", expr)
		}
	}
	path = strings.TrimRight(collapseSlashes(s), "/")
	return strings.ToLower(domain), path, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
