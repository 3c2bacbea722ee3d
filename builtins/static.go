package builtins

import (
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

var staticKeys = []string{"document_root", "cache_max_age"}

const (
	staticIndex     = "index.html"
	staticMaxRanges = 16   // more ranges than this: the Range header is ignored
	staticMaxRange  = 1024 // a longer Range header is ignored
)

// StaticFactory is the app factory registered as "Paste#static"
// (egg:Paste#static, Paste's make_static): it serves the files under a
// directory.
//
// Settings:
//
//   - document_root (required): the directory served. A relative path is
//     taken from the directory of the configuration file (the global "here"
//     setting PasteDeploy provides), else from the working directory. It must
//     exist and be a directory when the application is loaded.
//   - cache_max_age (whole seconds, default none): responses get
//     Cache-Control: max-age=N and an Expires header N seconds ahead.
//
// What is served: the request path (r.URL.Path, which is relative to the
// mount point, environ.ScriptName) names a file under document_root. GET and
// HEAD only (other methods: 405 with Allow). A directory is served through
// its index.html; a directory requested without its trailing slash is
// redirected (301) to the path with the slash, under the script name, so the
// index's relative links work; a directory without index.html is 404 (no
// listings). Responses carry Last-Modified and an ETag (size and modification
// time), and conditional requests (If-None-Match, If-Modified-Since,
// If-Match, If-Unmodified-Since, If-Range) and Range requests are answered as
// net/http's ServeContent does, except that a Range header with more than 16
// ranges, longer than 1024 bytes, or with overlapping ranges is ignored (the
// whole file is sent with 200), so that a request cannot make the response
// much larger than the file.
//
// Precompressed files: when the client accepts br (or gzip) and a regular
// file with the same name plus ".br" (or ".gz") exists beside the requested
// one, its bytes are sent with Content-Encoding br (or gzip), the
// Content-Type of the original (from its extension; a file whose type is not
// known from its extension is always sent uncompressed) and an ETag of its
// own. Whenever such a sibling exists, the response carries Vary:
// Accept-Encoding.
//
// Hostile paths: the path may not escape document_root. A request is
// answered 404 when its path contains a ".." segment, a NUL byte, a
// backslash, or an encoded separator (%2F or %5C); files are opened through
// os.Root, so a symbolic link anywhere on the way that leads outside
// document_root (or is absolute) is refused, while links that stay inside
// are followed. Only regular files are served (no devices, FIFOs or
// sockets).
//
// Dotfiles: any path segment starting with "." (".git", ".env",
// ".htpasswd") is answered 404, except ".well-known" (RFC 8615). Files ending
// in .gz or .br are served as themselves when asked for by name.
func StaticFactory(global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("Paste#static", local, staticKeys); err != nil {
		return nil, err
	}
	g := config.NewGetter(local)
	g.Require("document_root")
	maxAge := g.IntRange("cache_max_age", -1, 0, 1<<31-1)
	if err := g.Err(); err != nil {
		return nil, err
	}
	v, _ := local.Get("document_root")
	dir := strings.TrimSpace(v.Raw)
	if dir == "" {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "document_root", v, "want a directory, got an empty value")
	}
	if !filepath.IsAbs(dir) && global != nil {
		if here, ok := global.Lookup("here"); ok && here != "" {
			dir = filepath.Join(here, dir)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "document_root", v, "%v", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "document_root", v, "cannot use %s: %v", abs, err)
	}
	if !fi.IsDir() {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "document_root", v, "%s is not a directory", abs)
	}
	return &staticApp{root: abs, maxAge: maxAge}, nil
}

type staticApp struct {
	root   string // absolute; opened per request so that a swapped symlink takes effect
	maxAge int    // -1: no caching headers
}

func (s *staticApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	rel, ok := staticRelPath(r.URL)
	if !ok {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(s.root)
	if err != nil {
		zap.L().Named("wsgi").Error("Paste#static: cannot open document_root", zap.Error(err))
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return
	}
	defer root.Close()

	name := rel // "." for the root itself
	fi, err := root.Stat(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if fi.IsDir() {
		if p := r.URL.Path; p != "" && !strings.HasSuffix(p, "/") || p == "" && environ.ScriptName(r) != "" {
			loc := (&url.URL{Path: environ.ScriptName(r) + "/" + strings.TrimPrefix(path.Join("/", rel), "/")}).EscapedPath()
			if !strings.HasSuffix(loc, "/") {
				loc += "/"
			}
			loc = "/" + strings.TrimLeft(loc, "/") // never "//host"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		name = path.Join(rel, staticIndex)
		if fi, err = root.Stat(name); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if !fi.Mode().IsRegular() || name == rel && strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // not a file, or a file asked for as a directory ("/a.txt/")
		return
	}

	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	serveName, encoding := name, ""
	if ctype != "" {
		ae := r.Header.Values("Accept-Encoding")
		for _, c := range []struct{ ext, coding string }{{".br", "br"}, {".gz", "gzip"}} {
			sfi, err := root.Stat(name + c.ext)
			if err != nil || !sfi.Mode().IsRegular() {
				continue
			}
			addVary(h)
			if encoding == "" && acceptsCoding(ae, c.coding) {
				serveName, encoding, fi = name+c.ext, c.coding, sfi
			}
		}
	}
	f, err := root.OpenFile(serveName, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() { // the file that was opened
		http.NotFound(w, r)
		return
	}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}
	etag := `"` + strconv.FormatInt(fi.Size(), 36) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 36)
	if encoding != "" {
		etag += "-" + encoding
	}
	h.Set("Etag", etag+`"`)
	if s.maxAge >= 0 {
		h.Set("Cache-Control", "max-age="+strconv.Itoa(s.maxAge))
		h.Set("Expires", time.Now().Add(time.Duration(s.maxAge)*time.Second).UTC().Format(http.TimeFormat))
	}
	if rg := r.Header.Get("Range"); rg != "" && !sensibleRange(rg, fi.Size()) {
		r = r.Clone(r.Context())
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, path.Base(name), fi.ModTime(), f)
}

// fail answers a failed lookup: 403 for a permission error, else 404
// (missing files, and paths that would leave the root).
func (s *staticApp) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, fs.ErrPermission) {
		http.Error(w, "403 Forbidden", http.StatusForbidden)
		return
	}
	http.NotFound(w, r)
}

// staticRelPath turns the request path into a slash-separated path relative
// to the document root ("." for the root), refusing hostile paths: encoded
// separators, NUL, backslashes, ".." segments, and dot segments other than
// ".well-known".
func staticRelPath(u *url.URL) (string, bool) {
	raw := strings.ToLower(u.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
		return "", false
	}
	p := u.Path
	if strings.ContainsAny(p, "\x00\\") {
		return "", false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." {
			continue // collapsed below
		}
		if strings.HasPrefix(seg, ".") && seg != ".well-known" {
			return "", false // "..", dotfiles and dot-directories
		}
	}
	c := path.Clean("/" + p)
	if c == "/" {
		return ".", true
	}
	return c[1:], true
}

// acceptsCoding reports whether Accept-Encoding values accept coding with a
// q-value above 0; see acceptsGzip.
func acceptsCoding(values []string, coding string) bool {
	if coding == "gzip" {
		return acceptsGzip(values)
	}
	q, starQ := -1.0, -1.0
	n := 0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			if n++; n > 64 {
				break
			}
			c, params, _ := strings.Cut(item, ";")
			c = strings.ToLower(strings.TrimSpace(c))
			if c != coding && c != "*" {
				continue
			}
			qv, ok := parseQ(params)
			if !ok {
				continue
			}
			if c == "*" {
				starQ = max(starQ, qv)
			} else {
				q = max(q, qv)
			}
		}
	}
	if q >= 0 {
		return q > 0
	}
	return starQ > 0
}

// sensibleRange reports whether a Range header may be honoured: at most
// staticMaxRanges ranges, at most staticMaxRange bytes long, no two
// overlapping. A header it cannot parse is left to ServeContent (which
// answers 416 or ignores it).
func sensibleRange(h string, size int64) bool {
	if len(h) > staticMaxRange {
		return false
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return true
	}
	type span struct{ start, end int64 }
	var spans []span
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(spans) >= staticMaxRanges {
			return false
		}
		a, b, ok := strings.Cut(item, "-")
		if !ok {
			return true
		}
		var sp span
		switch {
		case a == "":
			n, err := strconv.ParseInt(b, 10, 64)
			if err != nil {
				return true
			}
			sp = span{max(size-n, 0), size - 1}
		default:
			s, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return true
			}
			e := size - 1
			if b != "" {
				if e, err = strconv.ParseInt(b, 10, 64); err != nil {
					return true
				}
				e = min(e, size-1)
			}
			sp = span{s, e}
		}
		if sp.start > sp.end {
			continue // unsatisfiable: ServeContent skips it
		}
		spans = append(spans, sp)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start <= spans[i-1].end {
			return false
		}
	}
	return true
}
