package pastedeploy_test

// The machinery shared by the data-driven tests (conformance_test.go,
// corpus_test.go): the case format of testdata/conformance (see its
// README.md), recording stub factories, and the checks. The data is a copy of
// the shared conformance directory made by scripts/sync-conformance; the
// tests read nothing outside testdata/.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/builtins"
	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
	"github.com/gowaitress/gowaitress/internal/stubs"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// conformanceDir holds the synced copy of the shared conformance data.
const conformanceDir = "testdata/conformance"

// dirVar stands for the directory of the case (or corpus file) in the data.
const dirVar = stubs.DirVar

// ---- the data format ----

// caseFile is one cases/<id>/case.json.
type caseFile struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Category  string        `json:"category"`
	Load      loadSpec      `json:"load"`
	Factories []factorySpec `json:"factories"`
	Builtins  []string      `json:"builtins"`
	Expect    expectSpec    `json:"expect"`
	Basis     string        `json:"basis"`
	Note      string        `json:"note"`
}

// corpusFile is corpus/corpus.json.
type corpusFile struct {
	About string `json:"about"`
	Files []struct {
		File      string        `json:"file"` // relative to corpus/, with '/'
		Origin    string        `json:"origin"`
		Factories []factorySpec `json:"factories"`
		Loads     []struct {
			Load   loadSpec   `json:"load"`
			Basis  string     `json:"basis"`
			Expect expectSpec `json:"expect"`
			Note   string     `json:"note"`
		} `json:"loads"`
	} `json:"files"`
}

// factorySpec is one stub factory of a case (the README, "The stub
// registry"); the stubs live in internal/stubs.
type factorySpec = stubs.Spec

type loadSpec struct {
	Kind       string            `json:"kind"` // app, filter, server, appconfig
	URI        string            `json:"uri"`
	Name       *string           `json:"name,omitempty"`
	RelativeTo optString         `json:"relative_to,omitzero"` // absent: the case directory; null: none
	Vars       map[string]string `json:"vars"`
}

// optString tells an absent key from a JSON null from a string.
type optString struct {
	set, null bool
	val       string
}

func (o *optString) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	return json.Unmarshal(b, &o.val)
}

func (o optString) MarshalJSON() ([]byte, error) {
	if o.null {
		return []byte("null"), nil
	}
	return json.Marshal(o.val)
}

// IsZero reports an absent key (for omitzero).
func (o optString) IsZero() bool { return !o.set }

type expectSpec struct {
	Calls    *[]any        `json:"calls"` // nil: not checked
	Result   any           `json:"result"`
	Settings any           `json:"settings"`
	Requests []requestSpec `json:"requests"`
	Error    *errorSpec    `json:"error"`
}

type errorSpec struct {
	Category        string   `json:"category"`
	MessageContains []string `json:"message_contains"`
	Line            int      `json:"line"`     // 0: not checked
	Upstream        any      `json:"upstream"` // reference only
}

type requestSpec struct {
	Request struct {
		Host       optString         `json:"host,omitzero"` // null: no Host header; absent: "localhost"
		Path       string            `json:"path"`
		ScriptName string            `json:"script_name,omitempty"`
		Scheme     string            `json:"scheme,omitempty"`
		Headers    map[string]string `json:"headers,omitempty"`
		Report     []string          `json:"report,omitempty"`
	} `json:"request"`
	Response map[string]any `json:"response"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (the data is copied into testdata/ by scripts/sync-conformance)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ---- one load and its expectations ----

// loadCase is one load to perform and check: a conformance case, or one load
// of a corpus file.
type loadCase struct {
	label     string // "case <id>" or "corpus <file> load <i>"
	title     string
	basis     string
	note      string
	dir       string   // what ${DIR} stands for: absolute, as passed to the loader
	files     []string // absolute paths of the INI files shown on failure
	load      loadSpec
	factories []factorySpec
	builtins  []string
	expect    expectSpec
}

// runLoadCase performs lc's load against a registry of stubs and checks every
// expectation, reporting all problems of the case in one failure.
func runLoadCase(t *testing.T, lc *loadCase) {
	t.Helper()
	c := &checker{}
	defer func() {
		t.Helper()
		if len(c.problems) > 0 {
			t.Errorf("%s", lc.failureReport(c.problems))
		}
	}()

	rec := &stubs.Recorder{}
	var reg *pastedeploy.Registry
	if err := protect("building the registry", func() (err error) {
		reg, err = lc.registry(rec)
		return err
	}); err != nil {
		c.failf("%v", err)
		return
	}

	var got loaded
	err := protect("the load", func() error { return lc.do(reg, &got) })
	calls := jsonValue(rec.Calls())

	if want := lc.expect.Error; want != nil {
		if err == nil {
			c.failf("expected a %s error, the load succeeded; result:\n%s", want.Category, indentJSON(got.node()))
		} else {
			c.checkError(lc, err, want)
		}
		if lc.expect.Calls != nil {
			c.compare("calls", lc.subst(*lc.expect.Calls), calls)
		} else if n, _ := calls.([]any); len(n) > 0 && !lc.usesComposite() {
			// Everything is resolved before the first factory runs, so a
			// configuration error means no factory was called. Composite
			// children are resolved when the composite asks for them.
			c.failf("a factory ran before the configuration error was found:\n%s", indentJSON(calls))
		}
		return
	}
	if err != nil {
		c.failf("unexpected error: %v\ncalls made:\n%s", err, indentJSON(calls))
		return
	}
	switch {
	case lc.expect.Calls != nil:
		c.compare("calls", lc.subst(*lc.expect.Calls), calls)
	case lc.load.Kind == "appconfig":
		c.compare("calls", []any{}, calls)
	}
	if want := lc.expect.Result; want != nil && !hasBuiltin(want) {
		c.compare("result", lc.subst(want), got.node())
	}
	if want := lc.expect.Settings; want != nil {
		c.compare("settings", lc.subst(want), got.settingsJSON())
	}
	if len(lc.expect.Requests) > 0 {
		if got.handler == nil {
			c.failf("requests: the load gave no handler to send them to")
		} else {
			for i, rq := range lc.expect.Requests {
				c.checkRequest(lc, i, got.handler, rq)
			}
		}
	}
}

// subst replaces ${DIR} in every string of v, map keys included.
func (lc *loadCase) subst(v any) any { return stubs.SubstDir(v, lc.dir) }

func (lc *loadCase) substString(s string) string { return strings.ReplaceAll(s, dirVar, lc.dir) }

// registry returns a registry holding exactly lc's stubs and built-ins.
func (lc *loadCase) registry(rec *stubs.Recorder) (*pastedeploy.Registry, error) {
	reg := pastedeploy.NewRegistry()
	if err := rec.Register(reg, lc.factories...); err != nil {
		return nil, err
	}
	if len(lc.builtins) > 0 { // no names would mean all of them
		builtins.Register(reg, lc.builtins...)
	}
	return reg, nil
}

// options returns the load options lc's load asks for.
func (lc *loadCase) options(reg *pastedeploy.Registry) []pastedeploy.LoadOption {
	opts := []pastedeploy.LoadOption{pastedeploy.WithRegistry(reg)}
	if lc.load.Name != nil {
		opts = append(opts, pastedeploy.WithName(*lc.load.Name))
	}
	switch rt := lc.load.RelativeTo; {
	case !rt.set:
		opts = append(opts, pastedeploy.WithRelativeTo(lc.dir))
	case !rt.null:
		opts = append(opts, pastedeploy.WithRelativeTo(lc.substString(rt.val)))
	}
	var vars map[string]string
	if lc.load.Vars != nil {
		vars = make(map[string]string, len(lc.load.Vars))
		for k, v := range lc.load.Vars {
			vars[lc.substString(k)] = lc.substString(v)
		}
	}
	return append(opts, pastedeploy.WithVars(vars))
}

// loaded is what a load gave.
type loaded struct {
	handler  http.Handler // app, or the loaded filter applied to the sentinel
	server   pastedeploy.Server
	settings *pastedeploy.AppSettings
}

// do performs the load into got.
func (lc *loadCase) do(reg *pastedeploy.Registry, got *loaded) error {
	uri, opts := lc.substString(lc.load.URI), lc.options(reg)
	var err error
	switch lc.load.Kind {
	case "app":
		got.handler, err = pastedeploy.LoadApp(uri, opts...)
	case "filter":
		var f pastedeploy.Filter
		if f, err = pastedeploy.LoadFilter(uri, opts...); err == nil {
			if f == nil {
				return errors.New("LoadFilter returned a nil filter and no error")
			}
			got.handler = f(stubs.Sentinel{})
		}
	case "server":
		got.server, err = pastedeploy.LoadServer(uri, opts...)
	case "appconfig":
		got.settings, err = pastedeploy.AppConfig(uri, opts...)
	default:
		return fmt.Errorf("harness: unknown load kind %q", lc.load.Kind)
	}
	return err
}

// node returns the composition tree of what was loaded.
func (g *loaded) node() any {
	switch {
	case g.handler != nil:
		return jsonValue(stubs.Node(g.handler))
	case g.server != nil:
		return jsonValue(stubs.Node(g.server))
	case g.settings != nil:
		return g.settingsJSON()
	}
	return nil
}

func (g *loaded) settingsJSON() any {
	if g.settings == nil {
		return nil
	}
	return jsonValue(map[string]any{
		"local_conf":  g.settings.Local.Map(),
		"global_conf": g.settings.Global.Map(),
	})
}

// hasBuiltin reports whether an expected tree contains a built-in node,
// whose inside these tests cannot see.
func hasBuiltin(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["builtin"]; ok {
			return true
		}
		for _, x := range v {
			if hasBuiltin(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasBuiltin(x) {
				return true
			}
		}
	}
	return false
}

// ---- checks ----

// checker collects the problems of one case.
type checker struct{ problems []string }

func (c *checker) failf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// compare compares two JSON values; the message shows a line diff.
func (c *checker) compare(what string, want, got any) {
	w, g := indentJSON(want), indentJSON(got)
	if w != g {
		c.failf("%s differ (- want, + got):\n%s", what, lineDiff(w, g))
	}
}

// errorKinds maps the data's error categories to the package's kinds.
var errorKinds = func() map[string]pastedeploy.ErrorKind {
	m := make(map[string]pastedeploy.ErrorKind)
	for k := pastedeploy.ErrorKind(1); k.Error() != "unknown"; k++ {
		m[k.Error()] = k
	}
	return m
}()

func (c *checker) checkError(lc *loadCase, err error, want *errorSpec) {
	all := pdErrors(err)
	var desc []string
	for _, e := range all {
		desc = append(desc, fmt.Sprintf("%s at line %d", e.Kind, e.Line))
	}
	found := fmt.Sprintf("error: %v\n(*pastedeploy.Error values: %s)", err, strings.Join(desc, ", "))
	kind, ok := errorKinds[want.Category]
	if !ok {
		c.failf("harness: no pastedeploy.ErrorKind is named %q\n%s", want.Category, found)
		return
	}
	if !errors.Is(err, kind) {
		c.failf("error is not %s\n%s", want.Category, found)
	}
	for _, s := range want.MessageContains {
		if s = lc.substString(s); !strings.Contains(err.Error(), s) {
			c.failf("error text lacks %q\n%s", s, found)
		}
	}
	if want.Line > 0 {
		match := false
		for _, e := range all {
			if errors.Is(e, kind) && e.Line == want.Line {
				match = true
			}
		}
		if !match {
			c.failf("no %s error points at line %d\n%s", want.Category, want.Line, found)
		}
	}
}

// pdErrors returns every *pastedeploy.Error in err's tree (joined errors
// included), outermost first.
func pdErrors(err error) []*pastedeploy.Error {
	var out []*pastedeploy.Error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if pe, ok := e.(*pastedeploy.Error); ok {
			out = append(out, pe)
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// checkRequest sends request i through h and compares the listed fields of
// the response (only the status when it is not 200).
func (c *checker) checkRequest(lc *loadCase, i int, h http.Handler, rq requestSpec) {
	want := lc.subst(rq.Response).(map[string]any)
	if st, _ := want["status"].(float64); st != http.StatusOK {
		want = map[string]any{"status": want["status"]}
	}
	w := httptest.NewRecorder()
	if err := protect("serving the request", func() error {
		r := buildRequest(lc, rq)
		h.ServeHTTP(w, r)
		return nil
	}); err != nil {
		c.failf("request %d (%s): %v", i, indentJSON(rq.Request), err)
		return
	}
	got := map[string]any{"status": w.Code}
	var body map[string]any
	if w.Code == http.StatusOK && json.Unmarshal(w.Body.Bytes(), &body) == nil {
		for k := range want {
			if v, ok := body[k]; ok && k != "status" {
				got[k] = v
			}
		}
	}
	if wj, gj := indentJSON(want), indentJSON(got); wj != gj {
		req, _ := json.Marshal(rq.Request)
		c.failf("request %d %s: response differs (- want, + got):\n%s\nbody: %s",
			i, req, lineDiff(wj, gj), strings.TrimSpace(w.Body.String()))
	}
}

// buildRequest makes the request a server would hand the app: server name
// localhost, port 80, client 127.0.0.1.
func buildRequest(lc *loadCase, rq requestSpec) *http.Request {
	spec := rq.Request
	r := httptest.NewRequest(http.MethodGet, spec.Path, nil)
	switch {
	case !spec.Host.set:
		r.Host = "localhost"
	case spec.Host.null:
		r.Host = ""
	default:
		r.Host = lc.substString(spec.Host.val)
	}
	for k, v := range spec.Headers {
		r.Header.Set(k, lc.substString(v))
	}
	r.RemoteAddr = "127.0.0.1:54321"
	scheme := spec.Scheme
	if scheme == "" {
		scheme = "http"
	}
	r = environ.WithScriptName(r, spec.ScriptName)
	r = environ.WithScheme(r, scheme)
	r = environ.WithServerName(r, "localhost")
	return environ.WithServerPort(r, "80")
}

// protect runs f, turning a panic into an error with the stack, so that one
// broken case does not end the whole run.
func protect(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v\n%s", what, p, debug.Stack())
		}
	}()
	return f()
}

// ---- reporting ----

// failureReport is the message of a failed case: what it is, what went
// wrong, and the INI files it loads.
func (lc *loadCase) failureReport(problems []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", lc.label, lc.title)
	fmt.Fprintf(&b, "basis: %s", lc.basis)
	if lc.note != "" {
		fmt.Fprintf(&b, "; note: %s", lc.note)
	}
	load, _ := json.Marshal(lc.load)
	fmt.Fprintf(&b, "\nload: %s\n${DIR} = %s\n", load, lc.dir)
	for _, p := range problems {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(p, "\n"))
	}
	for _, f := range lc.files {
		b.WriteString("\n" + showFile(lc.dir, f))
	}
	return b.String()
}

// showFile prints a file with line numbers; a byte order mark, carriage
// returns and trailing blanks are made visible.
func showFile(dir, path string) string {
	name := path
	if rel, err := filepath.Rel(dir, path); err == nil {
		name = rel
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("--- %s: %v\n", name, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n", name)
	text := string(data)
	if rest, ok := strings.CutPrefix(text, "\ufeff"); ok {
		b.WriteString("    (starts with a UTF-8 byte order mark)\n")
		text = rest
	}
	text = strings.TrimSuffix(text, "\n")
	for i, line := range strings.Split(text, "\n") {
		line = strings.ReplaceAll(line, "\r", `\r`)
		if strings.TrimRight(line, " \t") != line {
			line += "$"
		}
		fmt.Fprintf(&b, "%4d| %s\n", i+1, line)
	}
	if !strings.HasSuffix(string(data), "\n") && len(data) > 0 {
		b.WriteString("    (no newline at end of file)\n")
	}
	return b.String()
}

// dataFiles lists the files under dir except case.json, for showFile.
func dataFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !(filepath.Dir(p) == dir && d.Name() == "case.json") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// jsonValue turns v into the generic form encoding/json decodes to, so that
// actual and expected values compare alike.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<cannot marshal %T: %v>", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Sprintf("<cannot unmarshal %s: %v>", b, err)
	}
	return out
}

// indentJSON formats v with sorted keys and no HTML escaping.
func indentJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonValue(v)); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// lineDiff is a line diff of want and got (longest common subsequence),
// lines prefixed "- " (want only), "+ " (got only) or "  " (both).
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case j == len(b) || (i < len(a) && lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + a[i] + "\n")
			i++
		default:
			out.WriteString("+ " + b[j] + "\n")
			j++
		}
	}
	return strings.TrimSuffix(out.String(), "\n")
}

// TestHarness checks the machinery itself, independent of the loader.
func TestHarness(t *testing.T) {
	t.Run("error categories", func(t *testing.T) {
		// Every category of the README's table has an ErrorKind.
		readme, err := os.ReadFile(filepath.Join(conformanceDir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		_, table, ok := strings.Cut(string(readme), "| category | meaning |")
		if !ok {
			t.Fatal("README.md has no category table")
		}
		table, _, _ = strings.Cut(table, "\n\n")
		n := 0
		for _, line := range strings.Split(table, "\n") {
			if cat, ok := strings.CutPrefix(line, "| `"); ok {
				cat, _, _ = strings.Cut(cat, "`")
				n++
				if _, ok := errorKinds[cat]; !ok {
					t.Errorf("no pastedeploy.ErrorKind is named %q", cat)
				}
			}
		}
		if n < 10 {
			t.Errorf("found only %d categories in the README's table", n)
		}
	})

	t.Run("stubs and requests", func(t *testing.T) {
		rec := &stubs.Recorder{}
		lc := &loadCase{dir: "/d", factories: []factorySpec{
			{Kind: "app", Name: "a"}, {Kind: "filter", Name: "f"}, {Kind: "filter_app", Name: "fa"},
			{Kind: "composite", Name: "c"}, {Kind: "server", Name: "s"},
		}}
		reg, err := lc.registry(rec)
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range map[string]pastedeploy.Protocol{"a": pastedeploy.ProtoApp, "f": pastedeploy.ProtoFilter,
			"fa": pastedeploy.ProtoFilterApp, "c": pastedeploy.ProtoComposite, "s": pastedeploy.ProtoServer} {
			if _, ok := reg.Lookup(name, p); !ok {
				t.Errorf("%s is not registered as %s", name, p)
			}
		}
		app, _ := rec.Factory(factorySpec{Kind: "app", Name: "a"})
		local := config.FromMap(map[string]string{"tag": "T"}, config.SourceGo)
		h, _ := app.(pastedeploy.AppFactory)(config.FromMap(map[string]string{"here": "/d"}, config.SourceGo), local)
		filter, _ := rec.Factory(factorySpec{Kind: "filter", Name: "f"})
		fl, _ := filter.(pastedeploy.FilterFactory)(nil, nil)
		h = fl(h)
		c := &checker{}
		c.compare("calls", lc.subst(jsonValue([]any{
			map[string]any{"kind": "app", "name": "a", "global_conf": map[string]any{"here": "${DIR}"}, "local_conf": map[string]any{"tag": "T"}},
			map[string]any{"kind": "filter", "name": "f", "global_conf": map[string]any{}, "local_conf": map[string]any{}},
		})), jsonValue(rec.Calls()))
		c.compare("result", jsonValue(map[string]any{"filter": "f", "call": 1, "wraps": map[string]any{"app": "a", "call": 0}}),
			(&loaded{handler: h}).node())
		var rq requestSpec
		if err := json.Unmarshal([]byte(`{"request": {"host": null, "path": "//x//y", "script_name": "/m", "scheme": "https"},
			"response": {"status": 200, "app": "T", "call": 0, "script_name": "/m", "path_info": "//x//y", "host": "",
			"server_name": "localhost", "server_port": "80", "remote_addr": "127.0.0.1", "url_scheme": "https"}}`), &rq); err != nil {
			t.Fatal(err)
		}
		c.checkRequest(lc, 0, h, rq)
		rq.Response = map[string]any{"status": 404.0, "app": "ignored"}
		c.checkRequest(lc, 1, http.NotFoundHandler(), rq)
		for _, p := range c.problems {
			t.Error(p)
		}
	})

	t.Run("diff", func(t *testing.T) {
		got := lineDiff("a\nb\nc", "a\nx\nc\nd")
		want := "  a\n- b\n+ x\n  c\n+ d"
		if got != want {
			t.Errorf("lineDiff:\n%s\nwant:\n%s", got, want)
		}
	})
}

// usesComposite reports whether the case's registry has composites, whose
// children are resolved only when the composite (already called) asks.
func (lc *loadCase) usesComposite() bool {
	for _, f := range lc.factories {
		if f.Kind == "composite" {
			return true
		}
	}
	for _, b := range lc.builtins {
		if b == "Paste#urlmap" || b == "Paste#cascade" {
			return true
		}
	}
	return false
}
