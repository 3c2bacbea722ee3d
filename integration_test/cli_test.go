package integration_test

// The command-line conformance cases of testdata/conformance/cli (see its
// README.md): every "run" case runs `stubcmd` (the gowaitress command line
// with recording stubs, built once per test run) in a fresh directory and
// checks its exit status and output. "parse" cases are tested in
// cli/parse_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/internal/stubs"
)

// casesFile is the synced copy of the shared command-line cases.
const casesFile = "testdata/conformance/cli/cases.json"

// runTimeout bounds one run of the command.
const runTimeout = 20 * time.Second

type cliCases struct {
	Factories []stubs.Spec `json:"factories"`
	Cases     []cliCase    `json:"cases"`
}

type cliCase struct {
	ID        string            `json:"id"`
	Title     string            `json:"title"`
	Mode      string            `json:"mode"` // run, parse
	Args      []string          `json:"args"`
	Files     map[string]string `json:"files"`
	Factories *[]stubs.Spec     `json:"factories"` // nil: the file's top-level list
	Expect    struct {
		Exit           int      `json:"exit"`
		Stdout         any      `json:"stdout"` // nil: not checked
		StderrContains []string `json:"stderr_contains"`
		StderrLacks    []string `json:"stderr_lacks"`
		OutputContains []string `json:"output_contains"`
	} `json:"expect"`
	Basis string `json:"basis"`
	Note  string `json:"note"`
}

func TestCLI(t *testing.T) {
	var data cliCases
	b, err := os.ReadFile(casesFile)
	if err != nil {
		t.Fatalf("%v (the data is copied into testdata/ by scripts/sync-conformance)", err)
	}
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatalf("%s: %v", casesFile, err)
	}
	if len(data.Cases) == 0 {
		t.Fatalf("%s holds no cases", casesFile)
	}
	bin := buildStubcmd(t)
	for _, c := range data.Cases {
		t.Run(c.ID, func(t *testing.T) {
			if c.Mode != "run" {
				t.Skipf("mode %q: tested in cli/parse_test.go", c.Mode)
			}
			factories := data.Factories
			if c.Factories != nil {
				factories = *c.Factories
			}
			if report := runCase(t, bin, &c, factories); report != "" {
				t.Error(report)
			}
		})
	}
}

// buildStubcmd builds integration_test/stubcmd into a temporary directory.
func buildStubcmd(t *testing.T) string { return buildBinary(t, "./stubcmd", "stubcmd") }

// buildBinary builds the main package pkg (relative to this directory) into
// a temporary directory as name and returns the executable's path.
func buildBinary(t *testing.T, pkg, name string) string {
	t.Helper()
	goTool, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command(goTool, "build", "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// runCase writes c's files into a fresh directory, runs the command there
// with the stubs factories, checks every expectation, and returns the
// failure report of all problems ("" when there is none).
func runCase(t *testing.T, bin string, c *cliCase, factories []stubs.Spec) string {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	subst := func(s string) string { return strings.ReplaceAll(s, stubs.DirVar, dir) }
	for name, text := range c.Files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = subst(a)
	}
	specs, err := json.Marshal(factories)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GOWAITRESS_STUBS="+string(specs))
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var problems []string
	failf := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	exit := 0
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		failf("the command did not finish within %s", runTimeout)
	case errors.As(runErr, &ee):
		exit = ee.ExitCode()
	case runErr != nil:
		failf("running the command: %v", runErr)
	}
	if exit != c.Expect.Exit {
		failf("exit status %d, want %d", exit, c.Expect.Exit)
	}
	if c.Expect.Stdout != nil {
		want := stubs.SubstDir(c.Expect.Stdout, dir)
		var got any
		dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
		if err := dec.Decode(&got); err != nil {
			failf("stdout is not a JSON value: %v", err)
		} else if dec.More() {
			failf("stdout holds more than one JSON value")
		} else if !reflect.DeepEqual(want, got) {
			failf("stdout differs as JSON:\nwant:\n%s\ngot:\n%s", indentJSON(want), indentJSON(got))
		}
	}
	for _, s := range c.Expect.StderrContains {
		if s = subst(s); !strings.Contains(stderr.String(), s) {
			failf("stderr lacks %q", s)
		}
	}
	for _, s := range c.Expect.StderrLacks {
		if s = subst(s); strings.Contains(stderr.String(), s) {
			failf("stderr contains %q", s)
		}
	}
	for _, s := range c.Expect.OutputContains {
		if s = subst(s); !strings.Contains(stdout.String(), s) && !strings.Contains(stderr.String(), s) {
			failf("neither stdout nor stderr contains %q", s)
		}
	}
	if len(problems) == 0 {
		return ""
	}
	return c.report(problems, args, specs, dir, exit, stdout.String(), stderr.String())
}

// report is the message of a failed case.
func (c *cliCase) report(problems, args []string, specs []byte, dir string, exit int, stdout, stderr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %s: %s\nbasis: %s", c.ID, c.Title, c.Basis)
	if c.Note != "" {
		fmt.Fprintf(&b, "; note: %s", c.Note)
	}
	q, _ := json.Marshal(args)
	fmt.Fprintf(&b, "\nargs: %s\nGOWAITRESS_STUBS=%s\n${DIR} = %s\n", q, specs, dir)
	for _, p := range problems {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(p, "\n"))
	}
	names := make([]string, 0, len(c.Files))
	for name := range c.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "\n--- %s\n%s", name, c.Files[name])
	}
	fmt.Fprintf(&b, "\n--- stdout (exit status %d)\n%s\n--- stderr\n%s", exit, stdout, stderr)
	return b.String()
}

// indentJSON formats a decoded JSON value with sorted keys.
func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}
