package integration_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The tests here build the real gowaitress binary and use it as a user
// would: serve configs, send requests and signals, read what it prints.

var (
	gowaitressOnce sync.Once
	gowaitressBin  string
	gowaitressErr  string
)

// gowaitress builds the command once per test run.
func gowaitress(t *testing.T) string {
	t.Helper()
	gowaitressOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gowaitress-bin")
		if err != nil {
			gowaitressErr = err.Error()
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "gowaitress"), "..").CombinedOutput()
		if err != nil {
			gowaitressErr = fmt.Sprintf("building gowaitress: %v\n%s", err, out)
			return
		}
		gowaitressBin = filepath.Join(dir, "gowaitress")
	})
	if gowaitressErr != "" {
		t.Fatal(gowaitressErr)
	}
	return gowaitressBin
}

// proc is a running gowaitress serve.
type proc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	base   string // http://127.0.0.1:PORT
	done   chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingRE = regexp.MustCompile(`Serving on (http://127\.0\.0\.1:\d+)`)

// start runs `gowaitress serve args...` in dir and waits until it serves.
func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(gowaitress(t), append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	return startCmd(t, cmd)
}

// startCmd starts cmd (a serve command) and waits until it serves.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Stdout = io.Discard
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); pw.Close() }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			p.stderr.Write([]byte(line + "\n"))
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case p.base = <-found:
	case err := <-p.done:
		t.Fatalf("gowaitress exited before serving: %v\n%s", err, p.stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("gowaitress did not start serving:\n%s", p.stderr)
	}
	return p
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("gowaitress did not exit:\n%s", p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// freshConns opens a new connection for every request: after a reload a
// test must reach the new server, not an idle keep-alive connection that the
// replaced server has yet to close.
var freshConns = func() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return tr
}()

func get(t *testing.T, url string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := freshConns.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// copyExamples copies examples/ into a temporary directory, with every
// listen line on an ephemeral loopback port.
func copyExamples(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("../examples", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../examples", path)
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if filepath.Ext(path) == ".go" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		data = regexp.MustCompile(`(?m)^listen = .*$`).ReplaceAll(data, []byte("listen = 127.0.0.1:0"))
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestServeExamples(t *testing.T) {
	dir := copyExamples(t)
	tests := []struct {
		config    string
		greeting  string
		accessLog func() string // where the access lines go
	}{
		{"development.ini", "Hello from development.ini", nil},
		{"production.ini", "Hello from production.ini", func() string {
			data, _ := os.ReadFile(filepath.Join(dir, "access.log"))
			return string(data)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			p := start(t, dir, tt.config)
			if code, _, body := get(t, p.base+"/"); code != 200 || !strings.Contains(body, tt.greeting) {
				t.Errorf("GET /: %d %q", code, body)
			}
			code, h, body := get(t, p.base+"/static/", "Accept-Encoding", "gzip")
			if code != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Vary") == "" {
				t.Errorf("GET /static/ (gzip): %d %v", code, h)
			}
			if code, _, body = get(t, p.base+"/echo/x?y=1"); code != 200 || !strings.Contains(body, `"script_name": "/echo"`) {
				t.Errorf("GET /echo/x: %d %s", code, body)
			}
			if code, _, _ := get(t, p.base+"/static/../../development.ini"); code != 404 {
				t.Errorf("path traversal: %d", code)
			}
			p.signal(t, syscall.SIGTERM)
			if code := p.wait(t); code != 0 {
				t.Errorf("exit %d after SIGTERM\n%s", code, p.stderr)
			}
			log := p.stderr.String()
			if tt.accessLog != nil {
				log = tt.accessLog()
			}
			for _, want := range []string{`"GET / HTTP/1.1" 200 `, `"GET /static/ HTTP/1.1" 200 `, `"GET /echo/x?y=1 HTTP/1.1" 200 `} {
				if !strings.Contains(log, want) {
					t.Errorf("access log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}

const helloINI = `[app:main]
use = egg:hello
greeting = %s

[server:main]
use = egg:waitress#main
listen = 127.0.0.1:0
`

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReloadUnderLoad: SIGHUP with a changed config while clients keep
// sending requests loses none of them; a broken config is refused and the
// old one keeps serving.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ini")
	writeFile(t, path, fmt.Sprintf(helloINI, "generation one"))
	p := start(t, dir, "app.ini")

	l := startLoad(p.base+"/", 4, func(_ http.Header, body string) bool { return strings.Contains(body, "generation two") })
	time.Sleep(200 * time.Millisecond)
	writeFile(t, path, fmt.Sprintf(helloINI, "generation two"))
	p.signal(t, syscall.SIGHUP)
	l.finish(t, p)

	// A broken config: every problem named, the old config keeps serving.
	writeFile(t, path, "[app:main]\nuse = egg:hello\ngreting = x\n\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\nthreads = four\n")
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, func() bool {
		return strings.Contains(p.stderr.String(), "Reload failed; still serving the previous configuration.")
	}, p)
	for _, want := range []string{"app.ini:3 [app:main] greting", `did you mean "greeting"`, "app.ini:8 [server:main] threads", `want an integer, got "four"`} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, p.stderr)
		}
	}
	if code, _, body := get(t, p.base+"/"); code != 200 || !strings.Contains(body, "generation two") {
		t.Errorf("after a failed reload: %d %q", code, body)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// load is a loop of clients sending requests to one URL (keep-alive
// connections, as a browser's) and counting the failures.
type load struct {
	ok, failed atomic.Int64
	saw        atomic.Bool // a response satisfied the condition
	errs       sync.Map    // error text -> true, for the report
	stop       chan struct{}
	wg         sync.WaitGroup
	tr         *http.Transport // the clients' own keep-alive connections
}

// startLoad starts clients; saw says whether a response shows what the
// test waits for (the reloaded configuration).
func startLoad(url string, clients int, saw func(h http.Header, body string) bool) *load {
	l := &load{stop: make(chan struct{}), tr: http.DefaultTransport.(*http.Transport).Clone()}
	client := &http.Client{Timeout: 5 * time.Second, Transport: l.tr}
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				resp, err := client.Get(url)
				if err != nil {
					l.failed.Add(1)
					l.errs.Store(err.Error(), true)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					l.failed.Add(1)
					l.errs.Store(resp.Status, true)
					continue
				}
				l.ok.Add(1)
				if saw(resp.Header, string(body)) {
					l.saw.Store(true)
				}
			}
		}()
	}
	return l
}

// finish waits (up to 10 s) for a response that saw the change, lets the
// load run a little longer, stops it and checks that nothing failed.
func (l *load) finish(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !l.saw.Load() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(l.stop)
	l.wg.Wait()
	l.tr.CloseIdleConnections()
	if !l.saw.Load() {
		t.Errorf("the reloaded config never answered\n%s", p.stderr)
	}
	if n := l.failed.Load(); n != 0 {
		var errs []string
		l.errs.Range(func(k, _ any) bool { errs = append(errs, k.(string)); return true })
		t.Errorf("%d of %d requests failed during the reload: %s", n, l.ok.Load()+n, strings.Join(errs, "; "))
		return
	}
	t.Logf("%d requests during the reload, none failed", l.ok.Load())
}

// TestReloadServerSettings: a SIGHUP that changes [server:main] applies
// the new settings: a new server takes over the listening socket (same
// port, no request lost under load), a new listen address is bound and a
// dropped one closed; a new address that cannot be bound fails the reload
// and the old server keeps serving.
func TestReloadServerSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ini")
	config := func(server string) string {
		return "[app:main]\nuse = egg:hello\ngreeting = hi\n\n[server:main]\nuse = egg:waitress#main\n" + server
	}
	writeFile(t, path, config("listen = 127.0.0.1:0\nident = one\nthreads = 4\n"))
	p := start(t, dir, "app.ini")

	// New ident and threads under load: the same port answers throughout.
	l := startLoad(p.base+"/", 4, func(h http.Header, _ string) bool { return h.Get("Server") == "two" })
	time.Sleep(200 * time.Millisecond)
	writeFile(t, path, config("listen = 127.0.0.1:0\nident = two\nthreads = 2\n"))
	p.signal(t, syscall.SIGHUP)
	l.finish(t, p)
	waitUntil(t, func() bool {
		return strings.Contains(p.stderr.String(), "a new server took over the listening sockets")
	}, p)

	// A second address is bound; the first stays the same socket.
	writeFile(t, path, config("listen = 127.0.0.1:0 127.0.0.2:0\nident = three\n"))
	p.signal(t, syscall.SIGHUP)
	// The new server logs its addresses as it starts serving, which may
	// come after "Reloaded".
	second := regexp.MustCompile(`Serving on (http://127\.0\.0\.2:\d+)`)
	waitUntil(t, func() bool {
		return strings.Count(p.stderr.String(), "Reloaded app.ini.") == 2 && second.MatchString(p.stderr.String())
	}, p)
	base2 := second.FindStringSubmatch(p.stderr.String())[1]
	for _, base := range []string{p.base, base2} {
		if code, h, _ := get(t, base+"/"); code != 200 || h.Get("Server") != "three" {
			t.Errorf("%s: %d, Server %q", base, code, h.Get("Server"))
		}
	}

	// A busy address fails the reload; both sockets keep serving.
	busy, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	writeFile(t, path, config("listen = 127.0.0.1:0 127.0.0.2:0 "+busy.Addr().String()+"\nident = four\n"))
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, func() bool {
		return strings.Contains(p.stderr.String(), "Reload failed; still serving the previous configuration.")
	}, p)
	if !strings.Contains(p.stderr.String(), busy.Addr().String()) {
		t.Errorf("the failed reload does not name the busy address:\n%s", p.stderr)
	}
	for _, base := range []string{p.base, base2} {
		if code, h, _ := get(t, base+"/"); code != 200 || h.Get("Server") != "three" {
			t.Errorf("after the failed reload, %s: %d, Server %q", base, code, h.Get("Server"))
		}
	}

	// The second address dropped: closed once the old server stopped.
	writeFile(t, path, config("listen = 127.0.0.1:0\nident = five\n"))
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(base2, "http://"), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, p)
	if code, h, _ := get(t, p.base+"/"); code != 200 || h.Get("Server") != "five" {
		t.Errorf("after dropping an address: %d, Server %q", code, h.Get("Server"))
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d\n%s", code, p.stderr)
	}
}

func waitUntil(t *testing.T, cond func() bool, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; stderr:\n%s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStopWithRequestInFlight: SIGTERM while a slow request runs lets it
// finish, then exits 0.
func TestStopWithRequestInFlight(t *testing.T) {
	entered := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		time.Sleep(time.Second)
		io.WriteString(w, "slow answer")
	}))
	defer upstream.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.ini"), "[app:main]\nuse = egg:Paste#proxy\naddress = "+upstream.URL+
		"\n\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\n")
	p := start(t, dir, "app.ini")
	type result struct {
		code int
		body string
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(p.base + "/slow")
		if err != nil {
			res <- result{0, err.Error()}
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{resp.StatusCode, string(body)}
	}()
	<-entered
	p.signal(t, syscall.SIGTERM)
	r := <-res
	if r.code != 200 || r.body != "slow answer" {
		t.Errorf("in-flight request: %d %q", r.code, r.body)
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d\n%s", code, p.stderr)
	}
}

// TestBrokenConfig: a broken config is refused with file, line, section and
// key, exit status 1, and no Go stack trace.
func TestBrokenConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.ini"), "[app:main]\nuse = egg:helo\n\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\ntherads = 4\n")
	cmd := exec.Command(gowaitress(t), "serve", "app.ini")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d (%v), want 1", code, err)
	}
	for _, want := range []string{"app.ini:7 [server:main] therads", `did you mean "threads"`, "app.ini:2 [app:main] use", `"helo"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("stack trace printed:\n%s", stderr.String())
	}
}

// TestReloadFlag: --reload picks up an edit of the config file.
func TestReloadFlag(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.ini")
	writeFile(t, path, fmt.Sprintf(helloINI, "before the edit"))
	p := start(t, dir, "--reload", "--reload-interval", "1", "app.ini")
	time.Sleep(1100 * time.Millisecond)
	writeFile(t, path, fmt.Sprintf(helloINI, "after the edit"))
	waitUntil(t, func() bool {
		_, _, body := get(t, p.base+"/")
		return strings.Contains(body, "after the edit")
	}, p)
	if !strings.Contains(p.stderr.String(), "app.ini changed; reloading ...") {
		t.Errorf("stderr lacks the change line:\n%s", p.stderr)
	}
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestCustomProgram: a user's own program (examples/custom) registers its
// factory and reuses the command line.
func TestCustomProgram(t *testing.T) {
	bin := buildBinary(t, "../examples/custom", "custom")
	dir := t.TempDir()
	data, err := os.ReadFile("../examples/custom/development.ini")
	if err != nil {
		t.Fatal(err)
	}
	data = regexp.MustCompile(`(?m)^listen = .*$`).ReplaceAll(data, []byte("listen = 127.0.0.1:0"))
	writeFile(t, filepath.Join(dir, "development.ini"), string(data))
	cmd := exec.Command(bin, "serve", "development.ini")
	cmd.Dir = dir
	p := startCmd(t, cmd)
	resp, err := http.Post(p.base+"/notes", "text/plain", strings.NewReader("hello"))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST /notes: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, _, body := get(t, p.base+"/notes"); code != 200 || !strings.Contains(body, `["hello"]`) {
		t.Errorf("GET /notes: %d %q", code, body)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(p.stderr.String(), `"POST /notes HTTP/1.1" 201`) {
		t.Errorf("no access line:\n%s", p.stderr)
	}
}

// TestShutdownTimeout: a request still running when shutdown_timeout ends
// does not keep the process alive.
func TestShutdownTimeout(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer upstream.Close()
	defer close(release)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.ini"), "[app:main]\nuse = egg:Paste#proxy\naddress = "+upstream.URL+
		"\n\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\nshutdown_timeout = 500ms\n")
	p := start(t, dir, "app.ini")
	go func() {
		if resp, err := http.Get(p.base + "/hang"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	began := time.Now()
	p.signal(t, syscall.SIGTERM)
	code := p.wait(t)
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("stopping took %v with shutdown_timeout = 500ms", took)
	}
	if code != 0 {
		t.Errorf("exit %d\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "still running") {
		t.Errorf("no word about the request cut off:\n%s", p.stderr)
	}
}

// TestCheckCommand: check builds everything without serving and reports
// every problem, listen addresses included.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.ini"), "[app:main]\nuse = egg:hello\ngreting = x\n\n[server:main]\nuse = egg:waitress#main\nlisten = no-such-host.invalid:8080\n")
	cmd := exec.Command(gowaitress(t), "check", "app.ini")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1\n%s", code, stderr.String())
	}
	for _, want := range []string{"no-such-host.invalid", "app.ini:3 [app:main] greting"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	writeFile(t, filepath.Join(dir, "app.ini"), fmt.Sprintf(helloINI, "fine"))
	out, err := exec.Command(gowaitress(t), "check", filepath.Join(dir, "app.ini")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "the configuration is fine") {
		t.Errorf("check of a good file: %v\n%s", err, out)
	}
}
