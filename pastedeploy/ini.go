package pastedeploy

import (
	"errors"
	"io/fs"
	"os"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/configparser"
)

// A config file is read with the project's configparser-compatible reader
// (package internal/configparser), which PasteDeploy's rules build on.

// iniFile is a parsed configuration file.
type iniFile = configparser.File

// defaultSection is the only special section name (exact case).
const defaultSection = configparser.DefaultSection

var (
	interpolate = configparser.Interpolate
	pyRepr      = configparser.PyRepr
	isSpace     = configparser.IsSpace
)

// readINI reads and parses the file at path (the path string as opened).
func readINI(path string) (*iniFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		kind := ErrFileNotFound
		msg := "open " + path + ": no such file or directory"
		if !errors.Is(err, fs.ErrNotExist) {
			kind, msg = ErrSyntax, err.Error()
		}
		return nil, &Error{Kind: kind, File: path, Msg: msg, Err: err}
	}
	return parseINI(path, data)
}

// parseINI parses data as the contents of the file at path, with
// PasteDeploy's options (case-sensitive keys). Syntax errors become
// ErrSyntax and ErrDuplicate errors, all reported together.
func parseINI(path string, data []byte) (*iniFile, error) {
	f, err := configparser.Parse(path, data, configparser.Options{})
	if err == nil {
		return f, nil
	}
	var list []error
	var many config.Errors
	if !errors.As(err, &many) {
		many = config.Errors{err}
	}
	for _, e := range many {
		var se *configparser.Error
		if !errors.As(e, &se) {
			list = append(list, e)
			continue
		}
		kind := ErrSyntax
		if se.Duplicate {
			kind = ErrDuplicate
		}
		list = append(list, &Error{Kind: kind, File: se.Path, Line: se.Line, Msg: se.Msg})
	}
	return nil, config.Join(list...)
}
