// Command custom is a complete gowaitress user program: it registers its
// own application factory and reuses the whole gowaitress command line.
//
//	go run ./examples/custom serve examples/custom/development.ini
//	go run ./examples/custom list
package main

import (
	"os"

	"github.com/gowaitress/gowaitress/cli"
	_ "github.com/gowaitress/gowaitress/examples/custom/notes" // registers notes#main
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
