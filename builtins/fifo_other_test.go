//go:build !unix

package builtins

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs on this system") }
