package pastedeploy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/gowaitress/gowaitress/config"
)

// fuzzSeeds returns the INI files of the conformance data (cases and the
// real-world corpus).
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, pat := range []string{
		"testdata/conformance/cases/*/*.ini",
		"testdata/conformance/cases/*/*/*.ini",
		"testdata/conformance/corpus/*/*.ini",
		"testdata/conformance/corpus/*/*/*.ini",
		"testdata/conformance/corpus/*/*.ini_tmpl",
	} {
		paths, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
	}
	if len(out) < 50 {
		f.Fatalf("only %d seed files found", len(out))
	}
	return out
}

// checkParsedINI checks the invariants of a successful parse and that
// writing the file back out in canonical form parses to the same content.
func checkParsedINI(t *testing.T, f *iniFile) {
	t.Helper()
	dump := iniDump(t, f)
	seen := map[string]bool{}
	for _, name := range f.Sections() {
		if name == "" || name == defaultSection || seen[name] {
			t.Fatalf("bad section list %q", f.Sections())
		}
		seen[name] = true
		if f.SectionLine(name) <= 0 {
			t.Errorf("section %q has no line", name)
		}
		if strings.ContainsAny(name, "\r\n") || !utf8.ValidString(name) {
			t.Errorf("bad section name %q", name)
		}
	}
	for sec, kvs := range dump {
		for _, kv := range kvs {
			k, v := kv.Key, kv.Value
			if k == "" || strings.ContainsAny(k, "=:\r\n") {
				t.Errorf("[%q] bad key %q", sec, k)
			}
			if strings.TrimSpace(k) != k || k[0] == '#' || k[0] == ';' {
				t.Errorf("[%q] key %q has surrounding space or starts a comment", sec, k)
			}
			if strings.TrimRightFunc(v, unicode.IsSpace) != v {
				t.Errorf("[%q] %q: value %q has trailing whitespace", sec, k, v)
			}
			if strings.ContainsRune(v, '\r') || !utf8.ValidString(k+v) {
				t.Errorf("[%q] %q: value %q has CR or invalid UTF-8", sec, k, v)
			}
			if first, _, _ := strings.Cut(v, "\n"); strings.TrimSpace(first) != first {
				t.Errorf("[%q] %q: first value line %q not trimmed", sec, k, first)
			}
			if f.Line(sec, k) <= 0 {
				t.Errorf("[%q] %q has no line", sec, k)
			}
		}
	}
	// Canonical form: header, "key = first line", continuation lines indented.
	var b strings.Builder
	write := func(name string) {
		b.WriteString("[" + name + "]\n")
		for _, kv := range dump[name] {
			lines := strings.Split(kv.Value, "\n")
			b.WriteString(kv.Key + " = " + lines[0] + "\n")
			for _, l := range lines[1:] {
				if l != "" {
					b.WriteString("  " + l)
				}
				b.WriteString("\n")
			}
		}
	}
	if _, ok := dump[defaultSection]; ok {
		write(defaultSection)
	}
	for _, name := range f.Sections() {
		write(name)
	}
	g, err := parseINI("canonical.ini", []byte(b.String()))
	if err != nil {
		t.Fatalf("canonical form does not parse: %v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(g.Sections(), f.Sections()) {
		t.Fatalf("canonical form sections %q, want %q", g.Sections(), f.Sections())
	}
	if got := iniDump(t, g); !reflect.DeepEqual(got, dump) {
		t.Fatalf("canonical form reads back differently:\n got %q\nwant %q\n%s", got, dump, b.String())
	}
}

// checkINIError checks that a parse error is one *Error or a config.Errors
// of them, each positioned in the file.
func checkINIError(t *testing.T, err error, path string) {
	t.Helper()
	list := []error{err}
	var ces config.Errors
	if errors.As(err, &ces) {
		list = ces
	}
	prev := 0
	for _, e := range list {
		var pe *Error
		if !errors.As(e, &pe) {
			t.Fatalf("error %T is not an *Error: %v", e, e)
		}
		if pe.File != path || pe.Line <= 0 || (pe.Kind != ErrSyntax && pe.Kind != ErrDuplicate) || pe.Msg == "" {
			t.Errorf("bad error %#v", pe)
		}
		if pe.Line < prev {
			t.Errorf("errors out of line order: %v", err)
		}
		prev = pe.Line
	}
}

func FuzzParseINI(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"", "\xef\xbb\xbf", "[s]\r\na =\r\n  b\r\r\n\n c", "[DEFAULT]\na=1\n[DEFAULT]\na=2",
		"[a]\nx=1\n[a]\ny=1\n[b]\n[b]\ny=2\n", "[]]\n= x\n:", "[s]\n\xff\n", "[ s ] x ]\n k : v : w\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseINI("fuzz.ini", data)
		if err != nil {
			if file != nil {
				t.Fatal("file returned with an error")
			}
			checkINIError(t, err, "fuzz.ini")
			return
		}
		checkParsedINI(t, file)
	})
}

// fuzzRegistry holds stub factories under every name the conformance cases
// register, and a few built-in-like names.
func fuzzRegistry() *Registry {
	r := NewRegistry()
	app := func(name string) AppFactory {
		return func(global, local *config.Settings) (http.Handler, error) {
			if local.Has("fail") {
				return nil, errors.New("asked to fail")
			}
			return tagHandler(name), nil
		}
	}
	filter := func(name string) FilterFactory {
		return func(global, local *config.Settings) (Filter, error) {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Write([]byte(name + "("))
					next.ServeHTTP(w, r)
					w.Write([]byte(")"))
				})
			}, nil
		}
	}
	composite := CompositeFactory(func(l Loader, global, local *config.Settings) (http.Handler, error) {
		var keys []string
		for _, k := range local.Keys() {
			if strings.HasPrefix(k, "app.") || strings.HasPrefix(k, "/") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var hs []http.Handler
		for _, k := range keys {
			h, err := l.GetApp(local.String(k), global)
			if err != nil {
				return nil, err
			}
			hs = append(hs, h)
		}
		if v, ok := local.Lookup("filter"); ok {
			if _, err := l.GetFilter(v, global); err != nil {
				return nil, err
			}
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, h := range hs {
				h.ServeHTTP(w, r)
			}
		}), nil
	})
	filterApp := FilterAppFactory(func(next http.Handler, global, local *config.Settings) (http.Handler, error) {
		return next, nil
	})
	server := ServerFactory(func(global, local *config.Settings) (Server, error) { return &nopServer{}, nil })
	for _, n := range []string{"make_app", "my_dist#extra", "my_dist#main", "myproject#main", "probeapp#main",
		"stubs:Holder.make", "stubs:app", "stubs:app2", "tutorial#main", "app#main", "myapp#main"} {
		r.Register(n, app(n))
	}
	for _, n := range []string{"stubs:composite", "Paste#urlmap", "Paste#cascade"} {
		r.Register(n, composite)
	}
	for _, n := range []string{"probeapp#f", "stubs:filter", "Paste#translogger", "PasteDeploy#prefix", "pyramid_debugtoolbar#main"} {
		r.Register(n, filter(n))
	}
	r.Register("probeapp#fa", filterApp)
	for _, n := range []string{"probeapp#run", "stubs:server", "waitress#main", "pyramid#wsgiref"} {
		r.Register(n, server)
	}
	return r
}

// unsafePath reports whether text may make the loader open a device or
// pseudo-file (which could block or never end), also after %XX decoding.
func unsafePath(text string) bool {
	decoded := text
	for i := 0; i < 2; i++ {
		var b strings.Builder
		for j := 0; j < len(decoded); j++ {
			if decoded[j] == '%' && j+2 < len(decoded) && isHex(decoded[j+1]) && isHex(decoded[j+2]) {
				b.WriteByte(unhex(decoded[j+1])<<4 | unhex(decoded[j+2]))
				j += 2
				continue
			}
			b.WriteByte(decoded[j])
		}
		decoded = b.String()
	}
	return devicePathRE.MatchString(strings.ReplaceAll(text+"\n"+decoded, `\`, "/"))
}

// devicePathRE matches /dev, /proc, /sys and /run as path components.
var devicePathRE = regexp.MustCompile(`(?i)/(dev|proc|sys|run)([^a-z0-9_.-]|$)`)

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func FuzzLoadApp(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(string(s))
	}
	f.Add("[composite:main]\nuse = egg:Paste#urlmap\n/ = a\n/b = config:sub.ini#x\n[app:a]\nuse = egg:myproject\n")
	f.Add("[composite:main]\nuse = egg:Paste#urlmap\n/ = main\n")
	f.Add("[pipeline:main]\npipeline = egg:PasteDeploy#prefix probeapp#f app\n[app:app]\nuse = call:stubs:app\nfilter-with = egg:probeapp#f\n")
	dir := f.TempDir()
	sub := "[DEFAULT]\nd = sub\n[app:x]\nuse = egg:probeapp\nv = %(d)s %(here)s\n[filter:f]\nuse = egg:probeapp#f\n"
	if err := os.WriteFile(filepath.Join(dir, "sub.ini"), []byte(sub), 0o644); err != nil {
		f.Fatal(err)
	}
	reg := fuzzRegistry()
	f.Fuzz(func(t *testing.T, text string) {
		if unsafePath(text) {
			t.Skip("may name a device file")
		}
		fh, err := os.CreateTemp(dir, "fuzz*.ini")
		if err != nil {
			t.Fatal(err)
		}
		path := fh.Name()
		defer os.Remove(path)
		if _, err := fh.WriteString(text); err != nil {
			t.Fatal(err)
		}
		fh.Close()

		opts := []LoadOption{WithRegistry(reg), WithVars(map[string]string{"caller": "1"})}
		h, err := LoadApp("config:"+path, opts...)
		if (h == nil) == (err == nil) {
			t.Fatalf("LoadApp = %v, %v: want exactly one of handler and error", h, err)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || err.Error() == "" {
				t.Fatalf("error without an *Error: %T %v", err, err)
			}
		} else {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		}
		a, err := AppConfig("config:"+path, opts...)
		if (a == nil) == (err == nil) {
			t.Fatalf("AppConfig = %v, %v", a, err)
		}
		if fl, err := LoadFilter("config:"+path, opts...); (fl == nil) == (err == nil) {
			t.Fatalf("LoadFilter = %v, %v", fl != nil, err)
		}
		if s, err := LoadServer("config:"+path, opts...); (s == nil) == (err == nil) {
			t.Fatalf("LoadServer = %v, %v", s, err)
		} else if s != nil {
			s.Shutdown(context.Background())
		}
	})
}
