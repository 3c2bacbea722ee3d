package logging

import (
	"errors"
	"os"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/configparser"
)

// The logging sections are read as pserve's logging setup reads them: a
// plain configparser.ConfigParser — the project's configparser reader with
// lower-cased option names — whose [DEFAULT] section beats the defaults
// passed in (here, __file__, caller variables) for interpolation.

const defaultSection = configparser.DefaultSection

type iniKey struct {
	name  string // lower-cased
	line  int
	value string // raw (not interpolated)
}

type iniSection struct {
	name string
	line int
	keys map[string]*iniKey
}

type iniFile struct {
	path     string
	sections map[string]*iniSection // without DEFAULT
	// defaults are the parser defaults: here, __file__, caller variables,
	// then the file's [DEFAULT] keys (which win).
	defaults map[string]*iniKey
	literal  map[string]bool // defaults inserted as they are (computed here, __file__)
}

// readINI reads the file at path; vars are the caller variables and computed
// values (lower-cased here, as configparser's optionxform does); literal names
// the ones that are inserted without interpolation.
func readINI(path string, data []byte, vars map[string]string, literal map[string]bool) (*iniFile, error) {
	f := &iniFile{path: path, sections: map[string]*iniSection{}, defaults: map[string]*iniKey{}, literal: map[string]bool{}}
	for k, v := range vars {
		lk := strings.ToLower(k)
		f.defaults[lk] = &iniKey{name: lk, value: v}
		if literal[k] {
			f.literal[lk] = true
		} else {
			delete(f.literal, lk)
		}
	}
	cf, err := configparser.Parse(path, data, configparser.Options{LowerKeys: true})
	if err != nil {
		return nil, syntaxErrors(err)
	}
	for _, name := range cf.Sections() {
		sec := &iniSection{name: name, line: cf.SectionLine(name), keys: map[string]*iniKey{}}
		for _, k := range cf.Keys(name) {
			v, _ := cf.Value(name, k)
			sec.keys[k] = &iniKey{name: k, line: cf.Line(name, k), value: v}
		}
		f.sections[name] = sec
	}
	for _, k := range cf.Keys(defaultSection) { // [DEFAULT] beats the passed defaults
		v, _ := cf.Value(defaultSection, k)
		f.defaults[k] = &iniKey{name: k, line: cf.Line(defaultSection, k), value: v}
		delete(f.literal, k)
	}
	return f, nil
}

// syntaxErrors turns the reader's syntax errors into config errors naming
// file and line.
func syntaxErrors(err error) error {
	var many config.Errors
	if !errors.As(err, &many) {
		many = config.Errors{err}
	}
	out := make([]error, len(many))
	for i, e := range many {
		out[i] = e
		var se *configparser.Error
		if errors.As(e, &se) {
			out[i] = &config.Error{Origin: config.Origin{File: se.Path, Line: se.Line}, Msg: se.Msg}
		}
	}
	return config.Join(out...)
}

// raw returns the raw value of key in section, falling back to the parser
// defaults as configparser does; ok is false when neither has it.
func (f *iniFile) raw(section, key string) (k *iniKey, ok bool) {
	if s := f.sections[section]; s != nil {
		if k := s.keys[key]; k != nil {
			return k, true
		}
	}
	k = f.defaults[key]
	return k, k != nil
}

// origin is the position of key in section for error messages.
func (f *iniFile) origin(section, key string) config.Origin {
	o := config.Origin{File: f.path, Section: section, Key: key}
	if s := f.sections[section]; s != nil {
		if k := s.keys[key]; k != nil {
			o.Line = k.line
		} else if key == "" {
			o.Line = s.line
		}
	}
	return o
}

// get returns the interpolated value of key in section (falling back to the
// defaults). found is false when the key is absent; err is a *config.Error.
func (f *iniFile) get(section, key string) (val string, found bool, err error) {
	k, ok := f.raw(section, key)
	if !ok {
		return "", false, nil
	}
	if s := f.sections[section]; f.literal[key] && (s == nil || s.keys[key] == nil) {
		return k.value, true, nil
	}
	v, msg := f.interpolate(section, key, k.value)
	if msg != "" {
		return "", true, &config.Error{Origin: f.origin(section, key), Msg: msg}
	}
	return v, true, nil
}

// getRaw returns the raw value of key in section (falling back to defaults).
func (f *iniFile) getRaw(section, key string) (string, bool) {
	k, ok := f.raw(section, key)
	if !ok {
		return "", false
	}
	return k.value, true
}

func (f *iniFile) interpolate(section, option, raw string) (string, string) {
	return configparser.Interpolate(option, section, raw, func(name string) (string, bool, bool) {
		name = strings.ToLower(name) // configparser applies optionxform to references too
		if s := f.sections[section]; s != nil {
			if k := s.keys[name]; k != nil {
				return k.value, false, true
			}
		}
		if k := f.defaults[name]; k != nil {
			return k.value, f.literal[name], true
		}
		return "", false, false
	})
}

// readFile reads path, turning a missing file into an error naming it.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{Origin: config.Origin{File: path}, Msg: "cannot read logging configuration: " + err.Error(), Err: err}
	}
	return data, nil
}
