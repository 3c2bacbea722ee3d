// Package cli is the gowaitress command line: pserve's workflow for Go.
//
// A program that registers its own factories reuses the whole command line
// by calling Main from its own main function:
//
//	package main
//
//	import (
//		"os"
//
//		"github.com/gowaitress/gowaitress/cli"
//		_ "example.com/myproject" // registers myproject#main in init
//	)
//
//	func main() { os.Exit(cli.Main(os.Args[1:])) }
package cli

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	_ "github.com/gowaitress/gowaitress/builtins" // Paste's components under their names
	"github.com/gowaitress/gowaitress/logging"
	"github.com/gowaitress/gowaitress/pastedeploy"
	_ "github.com/gowaitress/gowaitress/server" // waitress#main and gowaitress#main
)

// Exit statuses, as pserve's.
const (
	ExitOK    = 0 // normal end
	ExitError = 1 // any configuration or load error
	ExitUsage = 2 // usage error
)

// Env is what a command runs against; tests replace its parts.
type Env struct {
	Stdout, Stderr io.Writer
	Registry       *pastedeploy.Registry // nil: pastedeploy.Default
	// Signals delivers the signals that stop the server; nil: SIGINT and SIGTERM.
	Signals <-chan os.Signal
}

// Main runs the command line args (without the program name) against the
// default registry, standard output and standard error, and returns the
// exit status.
func Main(args []string) int {
	return Run(args, Env{Stdout: os.Stdout, Stderr: os.Stderr})
}

// Run runs the command line args in env and returns the exit status.
func Run(args []string, env Env) int {
	if env.Registry == nil {
		env.Registry = pastedeploy.Default
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], env)
	case "check":
		return check(args[1:], env)
	case "list":
		return list(env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "gowaitress", Version())
		return ExitOK
	case "help", "-h", "--help":
		usage(env.Stdout)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "gowaitress: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: gowaitress COMMAND [ARGS]

commands:
  serve CONFIG [NAME=VALUE ...]   serve the application and server of a PasteDeploy file
  check CONFIG [NAME=VALUE ...]   check a configuration without serving (--show: print it resolved)
  list                            list the registered factories
  version                         print the version

Run "gowaitress serve --help" or "gowaitress check --help" for their options.
`)
}

// Version returns the module version the binary was built from.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func list(env Env) int {
	for _, f := range env.Registry.Factories() {
		desc := f.Description
		if desc == "" {
			desc = "-"
		}
		fmt.Fprintf(env.Stdout, "%-32s %-26s %s\n", f.Name, f.Protocol, desc)
	}
	return ExitOK
}

// ServeArgs are the parsed arguments of `gowaitress serve`.
type ServeArgs struct {
	ConfigURI  string            // the configuration argument as given (path, optional ?query and #fragment)
	Vars       map[string]string // NAME=VALUE arguments, split at the first '='
	AppName    string            // -n/--app-name; "" when not given
	ServerName string            // --server-name; "" when not given
	Reload     bool              // --reload
	// ReloadInterval is --reload-interval, in seconds (default 1).
	ReloadInterval time.Duration
	// Verbose starts at 1; each -v adds one; -q sets 0.
	Verbose int
	Help    bool
}

// usageError is a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const serveHelp = `usage: gowaitress serve [options] CONFIG [NAME=VALUE ...]

Serve the application and the server described by a PasteDeploy file.
CONFIG is a file path, optionally followed by #name (the default name of
both the application and the server). NAME=VALUE pairs become caller
variables: they fill every section's global settings and can be used as
%(NAME)s. Options and variables may come in any order.

options:
  -n, --app-name NAME       load the application NAME (default: main)
      --server-name NAME    load the server NAME (default: main)
      --reload              restart when the configuration changes (development)
      --reload-interval S   seconds between checks for --reload (default 1)
  -v, --verbose             more output (repeatable)
  -q, --quiet               less output
  -h, --help                show this help
`

// ParseServeArgs parses the arguments after `serve` (spec pserve.md §1.2).
// Options, the config file and NAME=VALUE variables may come in any order
// (pserve refuses variables after options); "--" ends the options. Option
// values may be attached (--app-name=x, -nx) or separate; short flags
// combine (-qv). A positional argument is a variable when it has a '=' and
// the text before it has no '/', '?' or '#'; the first other one is the
// config file.
func ParseServeArgs(args []string) (ServeArgs, error) {
	a := ServeArgs{Vars: map[string]string{}, Verbose: 1, ReloadInterval: time.Second}
	// next returns the value of option opt: attached, or the next argument.
	next := func(i *int, opt, attached string, hasAttached bool) (string, error) {
		if hasAttached {
			return attached, nil
		}
		if *i+1 >= len(args) {
			return "", &usageError{fmt.Sprintf("option %s needs a value", opt)}
		}
		*i++
		return args[*i], nil
	}
	optionsDone := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		var err error
		switch {
		case optionsDone || arg == "-" || !strings.HasPrefix(arg, "-"):
			err = a.positional(arg)
		case arg == "--":
			optionsDone = true
		case strings.HasPrefix(arg, "--"):
			name, val, hasVal := strings.Cut(arg, "=")
			switch name {
			case "--help", "--reload", "--verbose", "--quiet":
				if hasVal {
					return a, &usageError{fmt.Sprintf("option %s takes no value", name)}
				}
				a.flag(name)
			case "--app-name", "--server-name", "--reload-interval":
				if val, err = next(&i, name, val, hasVal); err == nil {
					err = a.setOption(name, val)
				}
			case "--browser", "--server":
				return a, &usageError{fmt.Sprintf("-%c/%s is not supported", name[2], name)}
			default:
				return a, &usageError{fmt.Sprintf("unknown option %s", name)}
			}
		default: // a cluster of short options: -qv, -vv, -nNAME
			for j := 1; j < len(arg) && err == nil; j++ {
				switch c := arg[j]; c {
				case 'h', 'v', 'q':
					a.flag(string([]byte{'-', c}))
				case 'n':
					var v string
					if v, err = next(&i, "-n", arg[j+1:], j+1 < len(arg)); err == nil {
						a.AppName = v
					}
					j = len(arg)
				case 'b', 's':
					long := map[byte]string{'b': "--browser", 's': "--server"}[c]
					return a, &usageError{fmt.Sprintf("-%c/%s is not supported", c, long)}
				default:
					return a, &usageError{fmt.Sprintf("unknown option -%c (in %s)", c, arg)}
				}
			}
		}
		if err != nil {
			return a, err
		}
	}
	if a.ConfigURI == "" && !a.Help {
		return a, &usageError{"You must give a config file"}
	}
	return a, nil
}

// flag applies an option without a value.
func (a *ServeArgs) flag(opt string) {
	switch opt {
	case "-h", "--help":
		a.Help = true
	case "--reload":
		a.Reload = true
	case "-v", "--verbose":
		a.Verbose++
	case "-q", "--quiet":
		a.Verbose = 0
	}
}

// positional takes a variable assignment or the config file.
func (a *ServeArgs) positional(arg string) error {
	if name, val, ok := strings.Cut(arg, "="); ok && !strings.ContainsAny(name, "/?#") {
		if name == "" {
			return &usageError{fmt.Sprintf("Variable assignment '%s' invalid (empty name)", arg)}
		}
		a.Vars[name] = val
		return nil
	}
	if a.ConfigURI == "" {
		a.ConfigURI = arg
		return nil
	}
	return &usageError{fmt.Sprintf("Variable assignment '%s' invalid (no \"=\"); the config file is %q", arg, a.ConfigURI)}
}

func (a *ServeArgs) setOption(opt, v string) error {
	switch opt {
	case "-n", "--app-name":
		a.AppName = v
	case "--server-name":
		a.ServerName = v
	case "--reload-interval":
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return &usageError{fmt.Sprintf("--reload-interval: want a positive whole number of seconds, got %q", v)}
		}
		a.ReloadInterval = time.Duration(n) * time.Second
	}
	return nil
}

// configError prints a load error as one readable block, one problem a line.
func configError(w io.Writer, cmd string, err error) int {
	fmt.Fprintf(w, "gowaitress %s: the configuration cannot be loaded:\n", cmd)
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	return ExitError
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// splitConfigURI splits "file.ini?a=b#name" into the path (with its
// query) and the fragment.
func splitConfigURI(uri string) (path, fragment string) {
	path, fragment, _ = strings.Cut(uri, "#")
	return path, fragment
}

// callerVars are the caller variables of a serve command, as pserve passes
// them (later wins): here and __file__ of the configuration file, then the
// options of a ?name=value query on the file name, then NAME=VALUE
// arguments. path loses its query.
func callerVars(a ServeArgs, path string) (map[string]string, error) {
	path, query, _ := strings.Cut(path, "?")
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"here": filepath.Dir(abs), "__file__": abs}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("bad query in %q: %v", a.ConfigURI, err)}
		}
		for k, v := range q {
			vars[k] = v[len(v)-1]
		}
	}
	for k, v := range a.Vars {
		vars[k] = v
	}
	return vars, nil
}

// setupLogging configures logging from the file's [loggers], [handlers] and
// [formatters] sections when it has them (their levels rule; -v/-q do not
// apply), else a zap default: console text on a terminal, JSON otherwise, at
// INFO (-q: WARN, -vv: DEBUG). The returned function flushes and closes.
func setupLogging(path string, vars map[string]string, verbose int, env Env) (*zap.Logger, func(), error) {
	if _, err := os.Stat(path); err == nil {
		setup, ok, err := logging.FromFile(path, vars, logging.WithStreams(env.Stdout, env.Stderr))
		if err != nil {
			return nil, nil, err
		}
		if ok {
			log := setup.Logger()
			return log, func() { _ = log.Sync(); _ = setup.Close() }, nil
		}
	} // a missing file is reported by the loader, with the other load errors
	level := zapcore.InfoLevel
	switch {
	case verbose <= 0:
		level = zapcore.WarnLevel
	case verbose >= 2:
		level = zapcore.DebugLevel
	}
	log := logging.Default(env.Stderr, level)
	return log, func() { _ = log.Sync() }, nil
}
