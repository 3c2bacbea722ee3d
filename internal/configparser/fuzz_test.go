package configparser

import (
	"regexp"
	"strings"
	"testing"
)

// refKeyRE is configparser's BasicInterpolation._KEYCRE.
var refKeyRE = regexp.MustCompile(`^%\(([^)]+)\)s`)

// refInterpolate is a direct transcription of configparser's
// BasicInterpolation._interpolate_some, used as the oracle of FuzzInterpolate.
func refInterpolate(option, section, rawval, rest string, lookup LookupFunc, depth int, accum *strings.Builder) string {
	if depth > MaxInterpolationDepth {
		return "Recursion limit exceeded in value substitution: option " + PyRepr(option) + " in section " + PyRepr(section) +
			" contains an interpolation key which cannot be substituted in 10 steps. Raw value: " + PyRepr(rawval)
	}
	for rest != "" {
		p := strings.Index(rest, "%")
		if p < 0 {
			accum.WriteString(rest)
			return ""
		}
		accum.WriteString(rest[:p])
		rest = rest[p:]
		c := ""
		if len(rest) > 1 {
			c = rest[1:2]
		}
		switch c {
		case "%":
			accum.WriteString("%")
			rest = rest[2:]
		case "(":
			m := refKeyRE.FindStringSubmatch(rest)
			if m == nil {
				return "bad interpolation variable reference " + PyRepr(rest)
			}
			rest = rest[len(m[0]):]
			v, literal, ok := lookup(m[1])
			if !ok {
				return "Bad value substitution: option " + PyRepr(option) + " in section " + PyRepr(section) +
					" contains an interpolation key " + PyRepr(m[1]) + " which is not a valid option name. Raw value: " + PyRepr(rawval)
			}
			if !literal && strings.Contains(v, "%") {
				if msg := refInterpolate(option, section, rawval, v, lookup, depth+1, accum); msg != "" {
					return msg
				}
			} else {
				accum.WriteString(v)
			}
		default:
			return "'%' must be followed by '%' or '(', found: " + PyRepr(rest)
		}
	}
	return ""
}

var fuzzInterpVars = map[string]string{
	"a":     "A",
	"b":     "%(a)s-%(a)s",
	"c":     "[%(b)s]",
	"self":  "%(self)s",
	"pct":   "%%",
	"bad":   "50%",
	"badv":  "%(x)d",
	"miss":  "%(nope)s",
	"here":  "/tmp/%(a)s%",
	"empty": "",
	"x y":   "space",
	"deep0": "%(deep1)s", "deep1": "%(deep2)s", "deep2": "%(deep3)s", "deep3": "%(deep4)s",
	"deep4": "%(deep5)s", "deep5": "%(deep6)s", "deep6": "%(deep7)s", "deep7": "%(deep8)s",
	"deep8": "%(deep9)s", "deep9": "%(deep10)s", "deep10": "end",
}

func FuzzInterpolate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "%%", "%%%%", "%(a)s", "%(b)s%(c)s", "%(self)s", "%(pct)s", "%(bad)s", "%(badv)s",
		"%(miss)s", "%(here)s/x", "%(empty)s", "%(x y)s", "%(deep0)s", "%(deep1)s", "%(year)d", "%", "%(",
		"%()s", "%(a", "%(a)", "it's %", "%%(a)s", "a%%b%(a)s%%",
	} {
		f.Add(s)
	}
	lookup := mapLookup(fuzzInterpVars, "here")
	prefixes := []string{
		"Recursion limit exceeded in value substitution: ",
		"Bad value substitution: ",
		"'%' must be followed by '%' or '(', found: ",
		"bad interpolation variable reference ",
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, msg := Interpolate("opt", "sec", raw, lookup)
		var ref strings.Builder
		wantMsg := refInterpolate("opt", "sec", raw, raw, lookup, 1, &ref)
		if msg != wantMsg {
			t.Fatalf("Interpolate(%q) message\n got %q\nwant %q", raw, msg, wantMsg)
		}
		if msg != "" {
			if got != "" {
				t.Errorf("value %q with message %q", got, msg)
			}
			ok := false
			for _, p := range prefixes {
				ok = ok || strings.HasPrefix(msg, p)
			}
			if !ok {
				t.Errorf("unexpected message %q", msg)
			}
		} else if got != ref.String() {
			t.Fatalf("Interpolate(%q) = %q, configparser gives %q", raw, got, ref.String())
		}
		if !strings.Contains(raw, "%") && (got != raw || msg != "") {
			t.Errorf("value without %% changed: %q -> %q %q", raw, got, msg)
		}
		// Escaping every % round-trips.
		esc := strings.ReplaceAll(raw, "%", "%%")
		if back, msg := Interpolate("opt", "sec", esc, lookup); back != raw || msg != "" {
			t.Errorf("escaped %q -> %q %q", esc, back, msg)
		}
		// Output is bounded: each level at most multiplies by the longest value.
		if len(got) > len(raw)*1024+1024 {
			t.Errorf("output of %d bytes for input of %d", len(got), len(raw))
		}
	})
}
