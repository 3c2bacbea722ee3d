package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

type confFile struct {
	Format string     `json:"format"`
	Cases  []confCase `json:"cases"`
}

type confSend struct {
	Data    string `json:"data"`
	PauseMS int    `json:"pause_ms"`
	Repeat  int    `json:"repeat"`
}

type confCase struct {
	ID        string            `json:"id"`
	Title     string            `json:"title"`
	Options   map[string]string `json:"options"`
	Send      []confSend        `json:"send"`
	HalfClose bool              `json:"half_close"`
	IdleMS    int               `json:"idle_ms"`
	Procedure map[string]any    `json:"procedure"`
	Expect    struct {
		Responses         []confResp `json:"responses"`
		Connection        string     `json:"connection"`
		Ignore100Continue bool       `json:"ignore_100_continue"`
		Timing            struct {
			FirstByteMin int `json:"first_byte_min_ms"`
			FirstByteMax int `json:"first_byte_max_ms"`
			CloseMin     int `json:"close_min_ms"`
		} `json:"timing"`
		UnixSocketMode string `json:"unix_socket_mode"`
	} `json:"expect"`
}

type confResp struct {
	Status          int             `json:"status"`
	Head            bool            `json:"head"`
	Headers         map[string]any  `json:"headers"`
	HeadersAbsent   []string        `json:"headers_absent"`
	HeadersPresent  []string        `json:"headers_present"`
	Body            *string         `json:"body"`
	BodyContains    any             `json:"body_contains"`
	BodyNotContains any             `json:"body_not_contains"`
	BodyLength      *int            `json:"body_length"`
	Truncated       bool            `json:"truncated"`
	JSON            map[string]any  `json:"json"`
	Raw             json.RawMessage `json:"-"`
}

// bytesOf converts a case string (one rune per byte) to bytes.
func bytesOf(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}

type gotResp struct {
	status    int
	headers   [][2]string
	body      []byte
	truncated bool
}

func (g *gotResp) values(name string) []string {
	var out []string
	for _, h := range g.headers {
		if strings.EqualFold(h[0], name) {
			out = append(out, h[1])
		}
	}
	return out
}

// parseResponses splits the received bytes into responses (README rules).
func parseResponses(data []byte, heads []bool) ([]gotResp, error) {
	var out []gotResp
	for len(data) > 0 {
		i := bytes.Index(data, []byte("\r\n\r\n"))
		if i < 0 {
			return out, fmt.Errorf("incomplete response head: %q", trunc(data))
		}
		lines := strings.Split(string(data[:i]), "\r\n")
		data = data[i+4:]
		parts := strings.SplitN(lines[0], " ", 3)
		if len(parts) < 2 {
			return out, fmt.Errorf("bad status line %q", lines[0])
		}
		code, err := strconv.Atoi(parts[1])
		if err != nil {
			return out, fmt.Errorf("bad status line %q", lines[0])
		}
		g := gotResp{status: code}
		for _, l := range lines[1:] {
			k, v, _ := strings.Cut(l, ":")
			g.headers = append(g.headers, [2]string{k, strings.TrimSpace(v)})
		}
		idx := len(out)
		isHead := idx < len(heads) && heads[idx]
		te := strings.ToLower(strings.Join(g.values("Transfer-Encoding"), ","))
		switch {
		case code/100 == 1 || code == 204 || code == 304 || isHead:
		case strings.HasSuffix(strings.TrimSpace(te), "chunked"):
			var body []byte
			for {
				j := bytes.Index(data, []byte("\r\n"))
				if j < 0 {
					g.truncated = true
					data = nil
					break
				}
				sz, err := strconv.ParseInt(strings.SplitN(string(data[:j]), ";", 2)[0], 16, 64)
				if err != nil {
					return out, fmt.Errorf("bad chunk size %q", data[:j])
				}
				data = data[j+2:]
				if sz == 0 {
					k := bytes.Index(data, []byte("\r\n"))
					for k > 0 { // trailers
						data = data[k+2:]
						k = bytes.Index(data, []byte("\r\n"))
					}
					if k < 0 {
						g.truncated = true
						data = nil
					} else {
						data = data[2:]
					}
					break
				}
				if int64(len(data)) < sz+2 {
					body = append(body, data[:min(int64(len(data)), sz)]...)
					g.truncated = true
					data = nil
					break
				}
				body = append(body, data[:sz]...)
				data = data[sz+2:]
			}
			g.body = body
		case len(g.values("Content-Length")) > 0:
			n, _ := strconv.Atoi(g.values("Content-Length")[0])
			if len(data) < n {
				g.body = data
				g.truncated = true
				data = nil
			} else {
				g.body = data[:n]
				data = data[n:]
			}
		default:
			g.body = data
			data = nil
		}
		out = append(out, g)
	}
	return out, nil
}

func trunc(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

type connResult struct {
	data      []byte
	firstByte time.Duration // since start
	closed    bool
	closedAt  time.Duration // since last write
	start     time.Time
}

// runConn writes the case's send items on c and reads until the connection
// closes or stays quiet for idle.
func runConn(c net.Conn, cs *confCase, idle time.Duration, limit time.Duration) connResult {
	return runConnN(c, cs, idle, limit, 0)
}

// runConnN is runConn that also stops once want complete responses arrived
// (want > 0).
func runConnN(c net.Conn, cs *confCase, idle time.Duration, limit time.Duration, want int) connResult {
	res := connResult{start: time.Now(), firstByte: -1}
	var mu sync.Mutex
	var lastWrite, lastRead time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := c.Read(buf)
			mu.Lock()
			if n > 0 {
				if res.firstByte < 0 {
					res.firstByte = time.Since(res.start)
				}
				res.data = append(res.data, buf[:n]...)
				lastRead = time.Now()
				if want > 0 {
					if got, err := parseResponses(res.data, nil); err == nil && len(got) >= want && !got[len(got)-1].truncated {
						mu.Unlock()
						return
					}
				}
			}
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					lw, lr := lastWrite, lastRead
					mu.Unlock()
					if !lw.IsZero() && time.Since(lw) > idle && (lr.IsZero() || time.Since(lr) > idle) {
						return
					}
					if time.Since(res.start) > limit {
						return
					}
					continue
				}
				res.closed = true
				if !lastWrite.IsZero() {
					res.closedAt = time.Since(lastWrite)
				}
				mu.Unlock()
				return
			}
			mu.Unlock()
		}
	}()
	for _, s := range cs.Send {
		if s.PauseMS > 0 {
			select {
			case <-time.After(time.Duration(s.PauseMS) * time.Millisecond):
			case <-done:
			}
		}
		rep := s.Repeat
		if rep < 1 {
			rep = 1
		}
		b := bytes.Repeat(bytesOf(s.Data), rep)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.Write(b)
	}
	if cs.HalfClose {
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
	mu.Lock()
	lastWrite = time.Now()
	mu.Unlock()
	<-done
	return res
}

func checkResponses(t *testing.T, cs *confCase, res connResult) bool {
	t.Helper()
	var heads []bool
	for _, r := range cs.Expect.Responses {
		heads = append(heads, r.Head)
	}
	got, err := parseResponses(res.data, heads)
	ok := true
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		ok = false
	}
	if err != nil {
		fail("parse: %v", err)
	}
	if cs.Expect.Ignore100Continue {
		var g2 []gotResp
		for _, g := range got {
			if g.status != 100 {
				g2 = append(g2, g)
			}
		}
		got = g2
	}
	if len(got) != len(cs.Expect.Responses) {
		var st []int
		for _, g := range got {
			st = append(st, g.status)
		}
		fail("got %d responses %v, want %d; raw: %q", len(got), st, len(cs.Expect.Responses), trunc(res.data))
	}
	for i := 0; i < len(got) && i < len(cs.Expect.Responses); i++ {
		g, e := got[i], cs.Expect.Responses[i]
		if g.status != e.Status {
			fail("response %d: status %d, want %d; raw %q", i, g.status, e.Status, trunc(res.data))
		}
		if g.truncated != e.Truncated {
			fail("response %d: truncated %v, want %v", i, g.truncated, e.Truncated)
		}
		for name, want := range e.Headers {
			vals := g.values(name)
			switch w := want.(type) {
			case string:
				gv := strings.Join(vals, ", ")
				if strings.EqualFold(name, "Connection") || strings.EqualFold(name, "Transfer-Encoding") {
					if tokens(gv) != tokens(string(bytesOf(w))) {
						fail("response %d: header %s = %q, want %q", i, name, gv, w)
					}
				} else if gv != string(bytesOf(w)) || len(vals) == 0 {
					fail("response %d: header %s = %q, want %q", i, name, gv, w)
				}
			case []any:
				var ws []string
				for _, x := range w {
					ws = append(ws, string(bytesOf(x.(string))))
				}
				if !reflect.DeepEqual(vals, ws) {
					fail("response %d: header %s = %q, want %q", i, name, vals, ws)
				}
			}
		}
		for _, name := range e.HeadersAbsent {
			if len(g.values(name)) > 0 {
				fail("response %d: header %s present (%q), want absent", i, name, g.values(name))
			}
		}
		for _, name := range e.HeadersPresent {
			if len(g.values(name)) == 0 {
				fail("response %d: header %s absent", i, name)
			}
		}
		if e.Body != nil && string(g.body) != string(bytesOf(*e.Body)) {
			fail("response %d: body %q, want %q", i, trunc(g.body), *e.Body)
		}
		for _, s := range strList(e.BodyContains) {
			if !bytes.Contains(g.body, bytesOf(s)) {
				fail("response %d: body %q does not contain %q", i, trunc(g.body), s)
			}
		}
		for _, s := range strList(e.BodyNotContains) {
			if bytes.Contains(g.body, bytesOf(s)) {
				fail("response %d: body contains %q", i, s)
			}
		}
		if e.BodyLength != nil && len(g.body) != *e.BodyLength {
			fail("response %d: body length %d, want %d", i, len(g.body), *e.BodyLength)
		}
		if e.JSON != nil {
			var m map[string]any
			if err := json.Unmarshal(g.body, &m); err != nil {
				fail("response %d: body is not JSON: %q", i, trunc(g.body))
				continue
			}
			for k, want := range e.JSON {
				if k == "headers" {
					gh, _ := m["headers"].(map[string]any)
					for hn, hv := range want.(map[string]any) {
						var gotv any
						for gk, gvv := range gh {
							if strings.EqualFold(gk, hn) {
								gotv = gvv
							}
						}
						if hv == nil {
							if gotv != nil {
								fail("response %d: json header %s = %v, want absent", i, hn, gotv)
							}
							continue
						}
						if joinAny(gotv) != joinAny(hv) {
							fail("response %d: json header %s = %v, want %v", i, hn, gotv, hv)
						}
					}
					continue
				}
				if !reflect.DeepEqual(m[k], want) {
					fail("response %d: json %s = %#v, want %#v", i, k, m[k], want)
				}
			}
		}
	}
	switch cs.Expect.Connection {
	case "closed":
		if !res.closed {
			fail("connection open, want closed")
		}
	case "open":
		if res.closed {
			fail("connection closed, want open")
		}
	}
	tm := cs.Expect.Timing
	if tm.FirstByteMin > 0 && res.firstByte >= 0 && res.firstByte < time.Duration(tm.FirstByteMin)*time.Millisecond {
		fail("first byte after %v, want ≥ %d ms", res.firstByte, tm.FirstByteMin)
	}
	if tm.FirstByteMax > 0 && (res.firstByte < 0 || res.firstByte > time.Duration(tm.FirstByteMax)*time.Millisecond) {
		fail("first byte after %v, want ≤ %d ms", res.firstByte, tm.FirstByteMax)
	}
	if tm.CloseMin > 0 && res.closed && res.closedAt < time.Duration(tm.CloseMin)*time.Millisecond {
		fail("closed after %v, want ≥ %d ms", res.closedAt, tm.CloseMin)
	}
	return ok
}

func tokens(s string) string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

func joinAny(v any) string {
	switch v := v.(type) {
	case []any:
		var s []string
		for _, x := range v {
			s = append(s, fmt.Sprint(x))
		}
		return strings.Join(s, ", ")
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

func strList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(string))
		}
		return out
	}
	return nil
}

// confServer starts a server for one option set, INI strings coerced by
// OptionsFromSettings.
type confServer struct {
	srv  *Server
	addr string
	unix string
	done chan error
	logs *observer.ObservedLogs // warnings and errors
}

func freePort(t *testing.T, network, host string) int {
	l, err := net.Listen(network, net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

// confRegistry is a private registry holding only the probe app and the
// server factory, as the conformance README asks.
func confRegistry() *pastedeploy.Registry {
	reg := pastedeploy.NewRegistry()
	reg.Register("conformance#probe", pastedeploy.AppFactory(func(_, _ *config.Settings) (http.Handler, error) {
		return probeApp(), nil
	}))
	reg.Register("waitress#main", pastedeploy.ServerFactory(Factory))
	return reg
}

// startConfServer writes the group's INI file and loads app and server
// through pastedeploy, so every option value goes through the INI parser
// and OptionsFromSettings.
func startConfServer(t *testing.T, opts map[string]string) *confServer {
	t.Helper()
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cs := &confServer{}
	needListen := true
	for _, k := range keys {
		if k == "listen" || k == "host" || k == "port" || k == "unix_socket" {
			needListen = false
		}
	}
	dir := t.TempDir()
	var ini strings.Builder
	ini.WriteString("[app:main]\nuse = egg:conformance#probe\n\n[server:main]\nuse = egg:waitress#main\n")
	if needListen {
		ini.WriteString("listen = 127.0.0.1:0\n")
	}
	for _, k := range keys {
		v := opts[k]
		if strings.Contains(v, "{port}") {
			v = strings.ReplaceAll(v, "{port}", strconv.Itoa(freePort(t, "tcp", "::1")))
		}
		if strings.Contains(v, "{unix_socket}") {
			sdir, err := os.MkdirTemp("", "gwconf")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(sdir) })
			cs.unix = filepath.Join(sdir, "s.sock")
			v = strings.ReplaceAll(v, "{unix_socket}", cs.unix)
		}
		if v == "" {
			ini.WriteString(k + " =\n")
		} else {
			ini.WriteString(k + " = " + v + "\n")
		}
	}
	path := filepath.Join(dir, "conformance.ini")
	if err := os.WriteFile(path, []byte(ini.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := confRegistry()
	app, err := pastedeploy.LoadApp("config:"+path, pastedeploy.WithRegistry(reg))
	if err != nil {
		t.Fatalf("LoadApp: %v", err)
	}
	ps, err := pastedeploy.LoadServer("config:"+path, pastedeploy.WithRegistry(reg))
	if err != nil {
		t.Fatalf("LoadServer %v: %v", opts, err)
	}
	as, ok := ps.(*AppServer)
	if !ok {
		t.Fatalf("LoadServer returned %T", ps)
	}
	// net/http recovers a panic of the connection's goroutine (our
	// connection layer runs in it) and logs it through ErrorLog: stop
	// fails the case on such a line.
	core, logs := observer.New(zapcore.WarnLevel)
	as.Options.Logger = zap.New(core)
	cs.logs = logs
	cs.done = make(chan error, 1)
	go func() { cs.done <- as.Serve(app) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := as.Addrs(ctx)
	if err != nil {
		select {
		case err := <-cs.done:
			t.Fatalf("Serve: %v", err)
		default:
		}
		t.Fatal(err)
	}
	cs.srv = as.Server()
	cs.addr = addrs[0].String()
	return cs
}

func (cs *confServer) dial() (net.Conn, error) {
	if cs.unix != "" {
		return net.Dial("unix", cs.unix)
	}
	return net.Dial("tcp", cs.addr)
}

func (cs *confServer) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs.srv.Shutdown(ctx)
	select {
	case <-cs.done:
	case <-time.After(10 * time.Second):
		t.Errorf("Serve did not return")
	}
	for _, e := range cs.logs.FilterMessageSnippet("panic serving").All() {
		t.Errorf("recovered panic: %s", e.Message)
	}
}

// caseFiles are the files of HTTP cases TestHTTPConformance walks: the
// shared conformance cases (copied by sync-conformance, never edited) and
// the project's own in the same format, written from
// ../shared/spec/waitress.md for behaviour the shared ones leave out
// (ids not starting "http-"; a note names the spec section where the
// case needs one).
var caseFiles = []string{
	"testdata/conformance/http/cases.json",
	"testdata/http_own_cases.json",
}

func loadCases(t *testing.T) []confCase {
	var all []confCase
	ids := map[string]string{}
	for _, name := range caseFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("conformance cases: %v", err)
		}
		var f confFile
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(f.Cases) == 0 {
			t.Fatalf("%s: no cases", name)
		}
		for _, c := range f.Cases {
			if prev, dup := ids[c.ID]; dup {
				t.Fatalf("%s: case %s already in %s", name, c.ID, prev)
			}
			ids[c.ID] = name
		}
		all = append(all, f.Cases...)
	}
	return all
}

func TestHTTPConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance cases take about a minute")
	}
	cases := loadCases(t)
	groups := map[string][]*confCase{}
	var order []string
	for i := range cases {
		k, _ := json.Marshal(cases[i].Options)
		if _, ok := groups[string(k)]; !ok {
			order = append(order, string(k))
		}
		groups[string(k)] = append(groups[string(k)], &cases[i])
	}
	passed, total := 0, 0
	for _, k := range order {
		group := groups[k]
		srv := startConfServer(t, group[0].Options)
		for _, cs := range group {
			ran := false // a case -run leaves out is neither passed nor counted
			ok := t.Run(cs.ID, func(t *testing.T) { ran = true; runCase(t, srv, cs) })
			if ran {
				total++
				if ok {
					passed++
				}
			}
		}
		srv.stop(t)
	}
	t.Logf("http conformance: %d/%d cases pass", passed, total)
}

func runCase(t *testing.T, srv *confServer, cs *confCase) {
	t.Logf("%s", cs.Title)
	idle := 600 * time.Millisecond
	if cs.IdleMS > 0 {
		idle = time.Duration(cs.IdleMS) * time.Millisecond
	}
	name, _ := cs.Procedure["name"].(string)
	num := func(k string) int {
		f, _ := cs.Procedure[k].(float64)
		return int(f)
	}
	switch name {
	case "":
	case "reset_churn":
		for i := 0; i < num("resets"); i++ {
			c, err := srv.dial()
			if err != nil {
				t.Fatal(err)
			}
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		}
		time.Sleep(time.Duration(num("settle_ms")) * time.Millisecond)
	case "parallel":
		n := num("connections")
		var wg sync.WaitGroup
		results := make([]connResult, n)
		start := time.Now()
		var last time.Duration
		var mu sync.Mutex
		for i := 0; i < n; i++ {
			c, err := srv.dial()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			wg.Add(1)
			go func(i int, c net.Conn) {
				defer wg.Done()
				one := *cs
				one.Expect.Connection = ""
				results[i] = runConnN(c, &one, 10*time.Second, 15*time.Second, 1)
				mu.Lock()
				if d := time.Since(start) - idle; d > last {
					last = d
				}
				mu.Unlock()
			}(i, c)
		}
		wg.Wait()
		for i := range results {
			one := *cs
			one.Expect.Connection = ""
			checkResponses(t, &one, results[i])
		}
		// Completion time: first byte of the slowest response bounds it.
		var slowest time.Duration
		for _, r := range results {
			if r.firstByte > slowest {
				slowest = r.firstByte
			}
		}
		if lo := time.Duration(num("last_response_min_ms")) * time.Millisecond; slowest < lo {
			t.Errorf("last response after %v, want ≥ %v", slowest, lo)
		}
		if hi := time.Duration(num("last_response_max_ms")) * time.Millisecond; slowest > hi {
			t.Errorf("last response after %v, want ≤ %v", slowest, hi)
		}
		return
	case "disconnect_watch":
		c, err := srv.dial()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range cs.Send {
			c.Write(bytesOf(s.Data))
		}
		time.Sleep(time.Duration(num("close_after_ms")) * time.Millisecond)
		c.Close()
		deadline := time.Now().Add(time.Duration(num("poll_ms")) * time.Millisecond)
		want, _ := cs.Procedure["result_body"].(string)
		reqStr, _ := cs.Procedure["result_request"].(string)
		last := ""
		for time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			rc, err := srv.dial()
			if err != nil {
				t.Fatal(err)
			}
			one := confCase{Send: []confSend{{Data: reqStr}}}
			res := runConn(rc, &one, 300*time.Millisecond, 5*time.Second)
			rc.Close()
			got, _ := parseResponses(res.data, nil)
			if len(got) == 1 {
				last = string(got[0].body)
				if last != "pending" && last != "none" {
					break
				}
			}
		}
		if last != want {
			t.Errorf("watch result %q, want %q", last, want)
		}
		return
	default:
		t.Skipf("procedure %q not implemented in this runner", name)
	}
	c, err := srv.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res := runConn(c, cs, idle, 20*time.Second)
	checkResponses(t, cs, res)
	if m := cs.Expect.UnixSocketMode; m != "" {
		fi, err := os.Stat(srv.unix)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := strconv.ParseUint(m, 8, 32)
		if got := fi.Mode().Perm(); uint64(got) != want {
			t.Errorf("unix socket mode %o, want %s", got, m)
		}
	}
}

var _ = syscall.SIGTERM
var _ = io.EOF
