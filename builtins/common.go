package builtins

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/suggest"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// settingError builds a load error about the setting key whose value is v,
// positioned at the value's origin (file, line, section, key as written).
func settingError(kind pastedeploy.ErrorKind, key string, v config.Value, format string, args ...any) error {
	o := v.Origin
	k := o.Key
	if k == "" {
		k = key
	}
	return &pastedeploy.Error{
		Kind: kind, File: o.File, Line: o.Line, Section: o.Section, Key: k,
		Msg: fmt.Sprintf(format, args...),
	}
}

// wrapValueError turns a config parse error (whose text is the bare problem)
// into an ErrInvalidSetting load error positioned at the value.
func wrapValueError(key string, v config.Value, err error) error {
	msg := err.Error()
	if ce, ok := err.(*config.Error); ok {
		msg = ce.Msg
	}
	e := settingError(pastedeploy.ErrInvalidSetting, key, v, "%s", msg).(*pastedeploy.Error)
	e.Err = err
	return e
}

// checkKeys reports every local key that is not in allowed as an
// ErrUnknownSetting error with a suggestion. The loader already does this for
// factories registered with Keys; the factories check again so that they are
// safe to call directly.
func checkKeys(component string, local *config.Settings, allowed []string) error {
	var errs []error
	for k, v := range local.All() {
		if slices.Contains(allowed, k) {
			continue
		}
		errs = append(errs, settingError(pastedeploy.ErrUnknownSetting, k, v,
			"unknown setting for %s%s (accepted: %s)", component,
			suggest.DidYouMean(k, allowed), strings.Join(allowed, ", ")))
	}
	return config.Join(errs...)
}

// boolSetting reads a strict boolean (config.ParseBool) from local, or def
// when the key is absent. Unlike Settings.Bool, a bad value is an
// ErrInvalidSetting load error, the kind the built-ins report.
func boolSetting(local *config.Settings, key string, def bool) (bool, error) {
	v, ok := local.Get(key)
	if !ok {
		return def, nil
	}
	b, err := config.ParseBool(v.Raw)
	if err != nil {
		return def, wrapValueError(key, v, err)
	}
	return b, nil
}

// collapseSlashes replaces every run of '/' in p by one '/'.
func collapseSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	prev := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' && prev {
			continue
		}
		prev = c == '/'
		b.WriteByte(c)
	}
	return b.String()
}

// setEscapedPath sets u's Path and RawPath from an escaped path (one that
// came from EscapedPath, so it is valid). RawPath is kept only when the
// default encoding of the decoded path differs from raw.
func setEscapedPath(u *url.URL, raw string) {
	p, err := url.PathUnescape(raw)
	if err != nil { // cannot happen for a path that came from EscapedPath
		p = raw
	}
	u.Path = p
	u.RawPath = ""
	if (&url.URL{Path: p}).EscapedPath() != raw {
		u.RawPath = raw
	}
}

// unescapeSegments decodes an escaped path prefix for comparison with a
// configured (decoded) path. ok is false when the prefix contains an encoded
// separator (%2F): such a prefix does not end on a segment boundary of the
// decoded path and must never match.
func unescapeSegments(raw string) (string, bool) {
	if !strings.Contains(raw, "%") {
		return raw, true
	}
	p, err := url.PathUnescape(raw)
	if err != nil || strings.Count(p, "/") != strings.Count(raw, "/") {
		return "", false
	}
	return p, true
}

// cloneURL returns a copy of r's URL, for a request copy that changes it.
func cloneURL(u *url.URL) *url.URL {
	c := *u
	if u.User != nil {
		uu := *u.User
		c.User = &uu
	}
	return &c
}
