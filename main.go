// Command gowaitress serves Go http.Handlers described by PasteDeploy INI
// files, the way pserve and waitress serve Python WSGI applications:
//
//	gowaitress serve development.ini
//
// See the README for the tour and the cli package for embedding.
package main

import (
	"os"

	"github.com/gowaitress/gowaitress/cli"
	_ "github.com/gowaitress/gowaitress/examples/hello" // the example app of examples/*.ini
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
