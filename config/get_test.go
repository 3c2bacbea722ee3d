package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// section builds the local settings of [server:main] in production.ini, one
// line per key starting at line 10, as the loader would.
func section(kv ...string) *Settings {
	s := NewSettings()
	for i := 0; i+1 < len(kv); i += 2 {
		s.Set(kv[i], kv[i+1], Origin{File: "production.ini", Line: 10 + i/2, Section: "server:main", Source: SourceSection})
	}
	return s
}

// getterCase runs one getter against a one-key Settings (key "k" at
// production.ini:10) and compares the value and error text.
type getterCase struct {
	name string
	raw  string // value stored under "k"
	get  func(s *Settings) (any, error)
	want any
	err  string // message after the position; "" when accepted
}

func TestGetters(t *testing.T) {
	const pos = "production.ini:10 [server:main] k: "
	cases := []getterCase{
		{"Bool", "Yes", func(s *Settings) (any, error) { return s.Bool("k", false) }, true, ""},
		{"Bool", "", func(s *Settings) (any, error) { return s.Bool("k", true) }, false, ""},
		{"Bool", "enabled", func(s *Settings) (any, error) { return s.Bool("k", true) }, true, wantBool + `"enabled"`},
		{"Int", " 1_000 ", func(s *Settings) (any, error) { return s.Int("k", 4) }, 1000, ""},
		{"Int", "four", func(s *Settings) (any, error) { return s.Int("k", 4) }, 4, `want an integer, got "four"`},
		{"IntRange", "65535", func(s *Settings) (any, error) { return s.IntRange("k", 8080, 0, 65535) }, 65535, ""},
		{"IntRange", "70000", func(s *Settings) (any, error) { return s.IntRange("k", 8080, 0, 65535) }, 8080, `want an integer from 0 to 65535, got "70000"`},
		{"IntRange", "0", func(s *Settings) (any, error) { return s.IntRange("k", 4, 1, math.MaxInt) }, 4, `want an integer of at least 1, got "0"`},
		{"ByteSize", "512K", func(s *Settings) (any, error) { return s.ByteSize("k", 1) }, int64(524288), ""},
		{"ByteSize", "1MiB", func(s *Settings) (any, error) { return s.ByteSize("k", 1) }, int64(1), wantSize + `"1MiB"`},
		{"ByteSizeRange", "0", func(s *Settings) (any, error) { return s.ByteSizeRange("k", 8192, 1, math.MaxInt64) }, int64(8192), `want a byte size of at least 1, got "0"`},
		{"Duration", "30", func(s *Settings) (any, error) { return s.Duration("k", time.Second) }, 30 * time.Second, ""},
		{"Duration", "1m30s", func(s *Settings) (any, error) { return s.Duration("k", time.Second) }, 90 * time.Second, ""},
		{"Duration", "1.5", func(s *Settings) (any, error) { return s.Duration("k", time.Second) }, time.Second, wantDur + `"1.5"`},
		{"Octal", "0o640", func(s *Settings) (any, error) { return s.Octal("k", 0o600) }, os.FileMode(0o640), ""},
		{"Octal", "680", func(s *Settings) (any, error) { return s.Octal("k", 0o600) }, os.FileMode(0o600), wantOctal + `"680"`},
		{"List", "a, b\nc", func(s *Settings) (any, error) { return s.List("k", nil), nil }, []string{"a", "b", "c"}, ""},
		{"List", "", func(s *Settings) (any, error) { return s.List("k", []string{"d"}), nil }, []string{}, ""},
		{"Words", " a  b,c ", func(s *Settings) (any, error) { return s.Words("k", nil), nil }, []string{"a", "b,c"}, ""},
		{"Split", " a, b,,c, ", func(s *Settings) (any, error) { return s.Split("k", ",", nil), nil }, []string{"a", "b", "", "c", ""}, ""},
		{"Lines", "\n x y\n\n z\n", func(s *Settings) (any, error) { return s.Lines("k", nil), nil }, []string{"x", "y", "z"}, ""},
		{"PathPrefix", "//app//", func(s *Settings) (any, error) { return s.PathPrefix("k", "/def"), nil }, "/app", ""},
		{"PathPrefix", "  ", func(s *Settings) (any, error) { return s.PathPrefix("k", "/def"), nil }, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.raw, func(t *testing.T) {
			got, err := c.get(section("k", c.raw))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("value %#v, want %#v", got, c.want)
			}
			if c.err == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || err.Error() != pos+c.err {
				t.Fatalf("error %q, want %q", err, pos+c.err)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("errors.As(%T, *Error) failed", err)
			}
			want := Origin{File: "production.ini", Line: 10, Section: "server:main", Key: "k", Source: SourceSection}
			if ce.Origin != want || ce.Msg != c.err {
				t.Errorf("got %+v, want origin %+v and msg %q", *ce, want, c.err)
			}
		})
	}
}

// TestGettersAbsent checks that every getter returns its default, and no
// error, for a missing key, also on a nil *Settings.
func TestGettersAbsent(t *testing.T) {
	for _, s := range []*Settings{nil, NewSettings(), section("other", "x")} {
		b, e1 := s.Bool("k", true)
		i, e2 := s.Int("k", 4)
		r, e3 := s.IntRange("k", -1, 0, 10) // the default is not range-checked
		z, e4 := s.ByteSize("k", 99)
		zr, e5 := s.ByteSizeRange("k", 0, 1, 2)
		d, e6 := s.Duration("k", time.Minute)
		o, e7 := s.Octal("k", 0o640)
		if err := errors.Join(e1, e2, e3, e4, e5, e6, e7); err != nil {
			t.Fatal(err)
		}
		if !b || i != 4 || r != -1 || z != 99 || zr != 0 || d != time.Minute || o != 0o640 {
			t.Errorf("defaults: %v %v %v %v %v %v %v", b, i, r, z, zr, d, o)
		}
		def := []string{"d"}
		for name, got := range map[string][]string{
			"List": s.List("k", def), "Words": s.Words("k", def),
			"Split": s.Split("k", ",", def), "Lines": s.Lines("k", def),
		} {
			if !reflect.DeepEqual(got, def) {
				t.Errorf("%s = %#v, want the default", name, got)
			}
		}
		if got := s.PathPrefix("k", "app/"); got != "app/" {
			t.Errorf("PathPrefix default = %q (not normalised), want %q", got, "app/")
		}
		if v, ok := s.OptString("k"); v != "" || ok {
			t.Errorf("OptString = %q, %v", v, ok)
		}
	}
}

func TestOptString(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want string
		ok   bool
	}{{"", "", false}, {"waitress", "waitress", true}, {" ", " ", true}, {"0", "0", true}} {
		v, ok := section("ident", c.raw).OptString("ident")
		if v != c.want || ok != c.ok {
			t.Errorf("OptString(%q) = %q, %v; want %q, %v", c.raw, v, ok, c.want, c.ok)
		}
	}
}

// TestGetterErrorOrigins checks the position part of messages for values from
// different kinds of origins, including a value stored without one.
func TestGetterErrorOrigins(t *testing.T) {
	s := NewSettings()
	s.Set("threads", "four", Origin{File: "production.ini", Line: 12, Section: "server:main", Source: SourceSection})
	s.Set("port", "x", Origin{File: "base.ini", Line: 3, Section: "DEFAULT", Source: SourceDefault})
	s.Set("debug", "maybe", Origin{Source: SourceCaller})
	s.SetValue("bare", Value{Raw: "1.5"})
	s.Set("perms", "999", Origin{File: "production.ini", Line: 7, Section: "server:main", Key: "set perms", Source: SourceSet})
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(s.Int("threads", 4)), `production.ini:12 [server:main] threads: want an integer, got "four"`},
		{second(s.Int("port", 1)), `base.ini:3 [DEFAULT] port: want an integer, got "x"`},
		{second(s.Bool("debug", false)), `debug: ` + wantBool + `"maybe"`},
		{second(s.ByteSize("bare", 0)), `bare: ` + wantSize + `"1.5"`},
		{second(s.Octal("perms", 0)), `production.ini:7 [server:main] set perms: ` + wantOctal + `"999"`},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("error %q, want %q", c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestErrorf(t *testing.T) {
	s := section("cleanup_interval", "0")
	err := s.Errorf("cleanup_interval", "want a duration greater than 0, got %q", "0")
	if want := `production.ini:10 [server:main] cleanup_interval: want a duration greater than 0, got "0"`; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if err := s.Errorf("missing", "nope"); err.Error() != "missing: nope" {
		t.Errorf("absent key: got %q", err)
	}
}

func TestCheckKeys(t *testing.T) {
	known := []string{"host", "port", "threads", "listen", "url_prefix"}
	s := section("host", "x", "therads", "8", "port", "1", "colour", "red", "url_prefx", "/a")
	err := s.CheckKeys(known)
	want := strings.Join([]string{
		`production.ini:11 [server:main] therads: unknown setting (did you mean "threads"?)`,
		`production.ini:13 [server:main] colour: unknown setting`,
		`production.ini:14 [server:main] url_prefx: unknown setting (did you mean "url_prefix"?)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want Errors of 3, got %#v", err)
	}
	var ce *Error
	if !errors.As(es[1], &ce) || ce.Origin.Key != "colour" || ce.Origin.Line != 13 {
		t.Errorf("second error %#v", es[1])
	}
	// One unknown key gives the *Error itself.
	err = section("host", "x", "prot", "1").CheckKeys(known)
	if _, ok := err.(*Error); !ok || err.Error() != `production.ini:11 [server:main] prot: unknown setting (did you mean "port"?)` {
		t.Errorf("single: %T %v", err, err)
	}
	if err := section("host", "x", "port", "1").CheckKeys(known); err != nil {
		t.Errorf("all known: %v", err)
	}
	if err := (*Settings)(nil).CheckKeys(known); err != nil {
		t.Errorf("nil settings: %v", err)
	}
}

func TestRequire(t *testing.T) {
	s := NewSettings()
	s.Set("here", "/srv", Origin{File: "production.ini", Source: SourceComputed})
	s.Set("debug", "true", Origin{File: "base.ini", Line: 2, Section: "DEFAULT", Source: SourceDefault})
	s.Set("use", "egg:myapp", Origin{File: "production.ini", Line: 20, Section: "app:main", Source: SourceSection})
	err := s.Require("use", "db_url", "debug", "secret")
	want := "production.ini [app:main] db_url: required setting missing\n" +
		"production.ini [app:main] secret: required setting missing"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.Origin.Line != 0 || ce.Origin.Key != "db_url" {
		t.Errorf("first error %#v", ce)
	}
	// Without a value from the section itself only the key is known.
	err = FromMap(map[string]string{"a": "1"}, SourceGo).Require("b")
	if _, ok := err.(*Error); !ok || err.Error() != "b: required setting missing" {
		t.Errorf("got %T %v", err, err)
	}
	if err := s.Require("use", "debug"); err != nil {
		t.Errorf("present: %v", err)
	}
	if err := s.Require(); err != nil {
		t.Errorf("no keys: %v", err)
	}
}

func TestGetter(t *testing.T) {
	local := section(
		"threads", "0",
		"port", "8080",
		"unix_socket_perms", "0o999",
		"ipv6", "nah",
		"listen", "a:1, b:2",
		"url_prefix", "app/",
		"ident", "",
		"channel_timeout", "2m",
		"recv_bytes", "16K",
		"therads", "x",
	)
	g := NewGetter(local)
	threads := g.IntRange("threads", 4, 1, 1<<20)
	port := g.Int("port", 1)
	perms := g.Octal("unix_socket_perms", 0o600)
	ipv6 := g.Bool("ipv6", true)
	listen := g.List("listen", nil)
	prefix := g.PathPrefix("url_prefix", "")
	_, identSet := g.OptString("ident")
	timeout := g.Duration("channel_timeout", 0)
	recv := g.ByteSizeRange("recv_bytes", 8192, 1, math.MaxInt64)
	size := g.ByteSize("absent", 7)
	words := g.Words("listen", nil)
	split := g.Split("listen", ",", nil)
	lines := g.Lines("listen", nil)
	g.CheckKeys([]string{"threads", "port", "unix_socket_perms", "ipv6", "listen", "url_prefix", "ident", "channel_timeout", "recv_bytes"})
	g.Require("port", "host")
	g.Add(nil)
	if timeout < time.Hour {
		g.Errorf("channel_timeout", "want at least an hour, got %q", g.String("channel_timeout"))
	}

	if threads != 4 || port != 8080 || perms != 0o600 || !ipv6 || prefix != "/app" || identSet ||
		timeout != 2*time.Minute || recv != 16384 || size != 7 {
		t.Errorf("values: %v %v %v %v %q %v %v %v %v", threads, port, perms, ipv6, prefix, identSet, timeout, recv, size)
	}
	if !reflect.DeepEqual(listen, []string{"a:1", "b:2"}) || !reflect.DeepEqual(words, []string{"a:1,", "b:2"}) ||
		!reflect.DeepEqual(split, []string{"a:1", "b:2"}) || !reflect.DeepEqual(lines, words) {
		t.Errorf("lists: %q %q %q %q", listen, words, split, lines)
	}
	want := strings.Join([]string{
		`production.ini:10 [server:main] threads: want an integer from 1 to 1048576, got "0"`,
		`production.ini:12 [server:main] unix_socket_perms: ` + wantOctal + `"0o999"`,
		`production.ini:13 [server:main] ipv6: ` + wantBool + `"nah"`,
		`production.ini:19 [server:main] therads: unknown setting (did you mean "threads"?)`,
		`production.ini [server:main] host: required setting missing`,
		`production.ini:17 [server:main] channel_timeout: want at least an hour, got "2m"`,
	}, "\n")
	err := g.Err()
	if err == nil || err.Error() != want {
		t.Fatalf("Err:\n%v\nwant\n%s", err, want)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 6 {
		t.Errorf("want flat Errors of 6, got %#v", err)
	}
	if g.Settings() != local || local.Getter().Settings() != local {
		t.Error("Settings() does not return the settings read")
	}
}

func TestGetterErrors(t *testing.T) {
	var g Getter // the zero Getter reads nothing and has no errors
	if g.Int("x", 3) != 3 || g.Err() != nil {
		t.Fatal("zero Getter")
	}
	one := NewGetter(section("threads", "four"))
	one.Int("threads", 4)
	if _, ok := one.Err().(*Error); !ok {
		t.Errorf("one problem: Err is %T, want *Error", one.Err())
	}
	// A wrapped error is kept whole; a bare Errors is flattened.
	inner := Errors{errors.New("a"), errors.New("b")}
	wrapped := fmt.Errorf("ctx: %w", inner)
	g.Add(inner)
	g.Add(wrapped)
	g.Add(Errors{})
	es, ok := g.Err().(Errors)
	if !ok || len(es) != 3 || es[2] != wrapped {
		t.Errorf("Err = %#v", g.Err())
	}
}
