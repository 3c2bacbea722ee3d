// Command stubcmd is the gowaitress command line with a registry of
// recording stubs, for the command-line conformance tests
// (integration_test/cli_test.go, testdata/conformance/cli/README.md).
//
// The environment variable GOWAITRESS_STUBS lists the stub factories to
// register, as JSON: [{"kind": "app", "name": "stubs:app"}, ...] (a case's
// "factories" in the cases file; kinds as in internal/stubs).
// Paste's built-ins are registered too; a bad GOWAITRESS_STUBS exits 3.
// Stub servers print their report (one JSON line: the calls so far and the
// app) on standard output.
//
//	GOWAITRESS_STUBS='[{"kind":"server","name":"stubs:server"}]' stubcmd serve app.ini
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gowaitress/gowaitress/builtins"
	"github.com/gowaitress/gowaitress/cli"
	"github.com/gowaitress/gowaitress/internal/stubs"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// stubsEnv names the environment variable holding the stub factories.
const stubsEnv = "GOWAITRESS_STUBS"

// exitSetup is the status of a bad GOWAITRESS_STUBS, apart from the
// command line's own statuses.
const exitSetup = 3

func main() {
	reg := pastedeploy.NewRegistry()
	var specs []stubs.Spec
	if v := os.Getenv(stubsEnv); v != "" {
		if err := json.Unmarshal([]byte(v), &specs); err != nil {
			fmt.Fprintf(os.Stderr, "stubcmd: %s: %v\n", stubsEnv, err)
			os.Exit(exitSetup)
		}
	}
	if err := stubs.NewRecorder(os.Stdout).Register(reg, specs...); err != nil {
		fmt.Fprintf(os.Stderr, "stubcmd: %s: %v\n", stubsEnv, err)
		os.Exit(exitSetup)
	}
	builtins.Register(reg)
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Registry: reg}))
}
