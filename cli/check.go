package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/logging"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

const checkHelp = `usage: gowaitress check [options] CONFIG [NAME=VALUE ...]

Do everything "serve" does before serving — read the file and every file it
includes, check the logging sections, read [pserve], build the server and the
application — without opening sockets or log files. Every problem found is
reported, each naming file, section and key; the exit status is 1 when there
is any.

options:
  -n, --app-name NAME       check the application NAME (default: main)
      --server-name NAME    check the server NAME (default: main)
      --show                print the resolved composition: the factory of every
                            section, its settings and where each value came from
  -q, --quiet               print nothing when the configuration is fine
  -h, --help                show this help
`

// checker is implemented by servers that can check their settings without
// binding sockets (listen addresses resolve, files are in place).
type checker interface{ Check() error }

func check(args []string, env Env) int {
	show := false
	rest := make([]string, 0, len(args))
	for i, arg := range args {
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if arg == "--show" {
			show = true
			continue
		}
		rest = append(rest, arg)
	}
	inv, code, ok := parseInvocation("check", checkHelp, rest, env)
	if !ok {
		return code
	}
	a, path, vars := inv.a, inv.path, inv.vars
	log := logging.Default(env.Stderr, zap.WarnLevel)
	var problems []error
	if _, err := os.Stat(path); err == nil {
		if _, err := logging.Check(path, vars); err != nil {
			problems = append(problems, err)
		}
	}
	_, _, err := readPserveSection(path, vars, log)
	problems = append(problems, err)

	opts := []pastedeploy.LoadOption{pastedeploy.WithVars(vars), pastedeploy.WithRegistry(env.Registry)}
	serverName, appName := inv.serverName, inv.appName
	srvOpts := append(slices.Clip(opts), pastedeploy.WithName(serverName))
	appOpts := append(slices.Clip(opts), pastedeploy.WithName(appName))
	if show { // each graph is printed once resolved, before it is built
		srvOpts = append(srvOpts, pastedeploy.WithNodeObserver(func(n *pastedeploy.Node) {
			showNode(env.Stdout, "server "+orDefault(serverName, "main"), n, 0)
		}))
		appOpts = append(appOpts, pastedeploy.WithNodeObserver(func(n *pastedeploy.Node) {
			showNode(env.Stdout, "application "+orDefault(appName, "main"), n, 0)
		}))
	}
	srv, err := pastedeploy.LoadServer(path, srvOpts...)
	problems = append(problems, err)
	if c, ok := srv.(checker); ok {
		problems = append(problems, c.Check())
	}
	_, err = pastedeploy.LoadApp(path, appOpts...)
	problems = append(problems, err)
	return report(env, a, problems)
}

// report prints every problem (nil entries are skipped) and gives the exit status.
func report(env Env, a ServeArgs, problems []error) int {
	if err := config.Join(problems...); err != nil {
		return configError(env.Stderr, "check", err)
	}
	if a.Verbose > 0 {
		fmt.Fprintf(env.Stderr, "%s: the configuration is fine.\n", a.ConfigURI)
	}
	return ExitOK
}

// showNode prints a resolved object: its factory and where it is defined,
// then its settings with their origins, then its parts.
func showNode(w io.Writer, label string, n *pastedeploy.Node, depth int) {
	ind := strings.Repeat("    ", depth)
	what := n.Type
	if n.Type == "factory" {
		what = fmt.Sprintf("%s (%s)", n.Factory, n.Protocol)
	}
	where := ""
	if n.Section != "" {
		where = fmt.Sprintf("  from [%s] in %s", n.Section, n.File)
	}
	fmt.Fprintf(w, "%s%s: %s%s\n", ind, label, what, where)
	if n.Type == "factory" {
		showSettings(w, ind+"  ", "", n.Local)
		showSettings(w, ind+"  ", "global ", n.Global)
	}
	for _, c := range n.Children {
		showNode(w, c.Role, c.Node, depth+1)
	}
}

func showSettings(w io.Writer, ind, prefix string, s *config.Settings) {
	width := 0
	for k := range s.All() {
		width = max(width, len(prefix)+len(k))
	}
	for k, v := range s.All() {
		val := strings.ReplaceAll(v.Raw, "\n", `\n`)
		fmt.Fprintf(w, "%s%-*s = %s    (%s)\n", ind, width, prefix+k, val, v.Origin.Describe())
	}
}
