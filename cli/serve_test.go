package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowaitress/gowaitress/internal/stubs"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// logging is a minimal Python fileConfig setup writing to stderr.
const loggingSections = `
[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = INFO
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
`

func TestServe(t *testing.T) {
	const base = "[app:main]\npaste.app_factory = stubs:app\n\n[server:main]\npaste.server_factory = stubs:server\n"
	tests := []struct {
		name       string
		ini        string
		args       []string
		exit       int
		stdout     []string // substrings of the stub server's line
		stderr     []string
		stderrLack []string
	}{
		{name: "serves", ini: base, exit: ExitOK, stdout: []string{`"kind":"server","name":"stubs:server"`, `"app":{"app":"stubs:app","call":1}`},
			stderr: []string{"Starting server in PID"}},
		{name: "quiet", ini: base, args: []string{"-q"}, exit: ExitOK, stderrLack: []string{"Starting server"}},
		{name: "broken [pserve] value is fatal", ini: base + "\n[pserve]\nwatch_files = %(nope)s\n", exit: ExitError,
			stderr: []string{"app.ini:8 [pserve] watch_files", "'nope'"}, stderrLack: []string{"Starting server", "goroutine"}},
		{name: "unknown [pserve] key warns", ini: base + "\n[pserve]\nwatch_file = x\n", exit: ExitOK,
			stderr: []string{"unknown [pserve] setting ignored", "watch_file"}},
		{name: "logging sections route the CLI's own warnings", ini: base + "\n[pserve]\nwatch_file = x\n" + loggingSections,
			exit: ExitOK, stderr: []string{"WARNI [root] unknown [pserve] setting ignored key=watch_file"}},
		{name: "broken logging sections are fatal", ini: base + strings.Replace(loggingSections, "level = INFO", "level = LOUD", 1),
			exit: ExitError, stderr: []string{"[logger_root] level", "LOUD"}, stderrLack: []string{"Starting server"}},
		{name: "server section missing", ini: "[app:main]\npaste.app_factory = stubs:app\n", exit: ExitError,
			stderr: []string{"No section 'main' (prefixed by 'server')"}},
		{name: "every problem reported", ini: "[app:main]\nuse = egg:nope\n\n[server:main]\npaste.server_factory = stubs:server\nx = %(a)s\ny = %(b)s\n", exit: ExitError,
			stderr: []string{"[server:main] x", "[server:main] y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.ini")
			if err := os.WriteFile(path, []byte(tt.ini), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			reg := pastedeploy.NewRegistry()
			rec := stubs.NewRecorder(&stdout)
			if err := rec.Register(reg, stubs.Spec{Kind: "app", Name: "stubs:app"}, stubs.Spec{Kind: "server", Name: "stubs:server"}); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"serve"}, tt.args...)
			code := Run(append(args, path), Env{Stdout: &stdout, Stderr: &stderr, Registry: reg})
			if code != tt.exit {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.exit, stderr.String())
			}
			expectOutput(t, "stdout", stdout.String(), tt.stdout, nil)
			expectOutput(t, "stderr", stderr.String(), tt.stderr, tt.stderrLack)
		})
	}
}

func TestCheck(t *testing.T) {
	const good = "[app:main]\npaste.app_factory = stubs:app\nk = v\n\n[server:main]\npaste.server_factory = stubs:server\nport = %(p)s\n\n[DEFAULT]\np = 1\n"
	tests := []struct {
		name   string
		ini    string
		args   []string
		exit   int
		stdout []string
		stderr []string
	}{
		{name: "fine", ini: good, exit: ExitOK, stderr: []string{"the configuration is fine"}},
		{name: "show", ini: good, args: []string{"--show"}, exit: ExitOK, stdout: []string{
			"server main: stubs:server (paste.server_factory)  from [server:main] in app.ini",
			"port = 1    (app.ini:7 [server:main])",
			"global p        = 1    (app.ini:10 [DEFAULT])",
			"application main: stubs:app (paste.app_factory)",
		}},
		{name: "every problem", exit: ExitError, ini: "[app:main]\npaste.app_factory = nope\n\n[server:main]\npaste.server_factory = stubs:server\nx = %(y)s\n\n[pserve]\nwatch_files = %(z)s\n",
			stderr: []string{"gowaitress check: the configuration cannot be loaded", "[pserve] watch_files", "[server:main] x", "[app:main] paste.app_factory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "app.ini"), []byte(tt.ini), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			reg := pastedeploy.NewRegistry()
			rec := stubs.NewRecorder(&stdout)
			if err := rec.Register(reg, stubs.Spec{Kind: "app", Name: "stubs:app"}, stubs.Spec{Kind: "server", Name: "stubs:server"}); err != nil {
				t.Fatal(err)
			}
			code := Run(append(append([]string{"check"}, tt.args...), "app.ini"), Env{Stdout: &stdout, Stderr: &stderr, Registry: reg})
			if code != tt.exit {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.exit, stderr.String())
			}
			expectOutput(t, "stdout", stdout.String(), tt.stdout, []string{`"calls"`}) // check never serves
			expectOutput(t, "stderr", stderr.String(), tt.stderr, nil)
		})
	}
}

// expectOutput checks that out (the stream named name) has every string of
// want and none of lack.
func expectOutput(t *testing.T, name, out string, want, lack []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(out, s) {
			t.Errorf("%s lacks %q:\n%s", name, s, out)
		}
	}
	for _, s := range lack {
		if strings.Contains(out, s) {
			t.Errorf("%s has %q:\n%s", name, s, out)
		}
	}
}
